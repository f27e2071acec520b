//! Environment and secrets through the std services: the grant's glob and the
//! operator's allowlist both have to let a name through.

mod common;

use std::os::unix::fs::PermissionsExt;

use caplet::platform::StdPlatform;
use caplet_core::{Code, Kind, Limits, Manifest};
use common::{guest_code, instance_with, platform};

#[test]
fn env_needs_both_the_grant_and_the_allowlist() {
    let (p, audit) = platform(StdPlatform {
        env: vec!["APP_MODE=prod".into(), "OTHER=visible-to-operator".into()],
        ..StdPlatform::default()
    });
    let manifest = Some(Manifest::anonymous("env_reader"));
    let mut i = instance_with("env_reader", manifest, &["env:APP_*"], Limits::default(), p);
    assert_eq!(i.call("get", b"APP_MODE").unwrap(), b"prod");
    // Granted by the glob, not on the allowlist.
    assert_eq!(guest_code(i.call("get", b"APP_HOME")), Code::NotFound);
    // On the allowlist, outside the grant.
    assert_eq!(guest_code(i.call("get", b"OTHER")), Code::PermissionDenied);
    assert!(audit
        .denials()
        .iter()
        .any(|(_, k, s, _)| *k == Kind::Env && s == "OTHER"));
}

#[test]
fn secrets_need_both_the_grant_and_the_file() {
    let tmp = tempfile::tempdir().unwrap();
    let file = tmp.path().join("secrets.toml");
    std::fs::write(&file, "\"db.password\" = \"pw-1\"\napi_token = \"tok-2\"\n").unwrap();
    std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o400)).unwrap();
    let (p, audit) = platform(StdPlatform {
        secrets_file: Some(file),
        ..StdPlatform::default()
    });
    let manifest = Some(Manifest::anonymous("secret_reader"));
    let mut i = instance_with(
        "secret_reader",
        manifest,
        &["secrets:read:db.*"],
        Limits::default(),
        p,
    );
    let out = String::from_utf8(i.call("get", b"db.password").unwrap()).unwrap();
    assert!(out.starts_with("4 "), "{out}");
    assert_eq!(guest_code(i.call("get", b"db.user")), Code::NotFound);
    assert_eq!(
        guest_code(i.call("get", b"api_token")),
        Code::PermissionDenied
    );
    assert!(audit
        .denials()
        .iter()
        .any(|(_, k, s, _)| *k == Kind::SecretsRead && s == "api_token"));
}
