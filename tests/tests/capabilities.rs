//! Capabilities: deny by default, checked at link time and at every call, audited.

use std::collections::BTreeMap;
use std::sync::Arc;

use caplet_core::platform::testing::{CannedHttp, MapEnv, MapSecrets, MemoryFs};
use caplet_core::platform::{Filesystem, HttpResponse};
use caplet_core::{Code, Error, Kind, Limits};
use caplet_tests::{load, load_with, plugin, Recorder};

/// Loads fixture `name` with a minimal sidecar manifest (no required capabilities),
/// so a grant narrower than the embedded manifest's requirement can be tested.
fn load_bare(name: &str, caps: &[&str], platform: caplet_core::Platform) -> caplet_core::Plugin {
    let manifest = format!(r#"{{"name":"{name}","version":"1.0.0"}}"#);
    caplet_core::Runtime::default()
        .load(
            &plugin(name),
            caplet_core::PluginConfig {
                manifest: Some(caplet_core::Manifest::parse(manifest.as_bytes()).unwrap()),
                grants: caplet_core::Grants::from_strs(caps.iter().copied()).unwrap(),
                platform,
                ..Default::default()
            },
        )
        .unwrap()
}

fn guest_code(e: &Error) -> Option<Code> {
    match e {
        Error::Guest { code, .. } => *code,
        _ => None,
    }
}

#[test]
fn link_time_denial_names_the_capability_and_is_audited() {
    let rec = Recorder::default();
    for (name, granted, missing) in [
        ("kv_counter", vec![], "kv"),
        ("logger", vec![], "log"),
        ("host_tour", vec!["clock", "random"], "emit:<scope>"),
        ("fs_tool", vec![], "fs:read:<scope>"),
        ("http_fetch", vec![], "net:outbound:<scope>"),
        ("env_reader", vec![], "env:<scope>"),
        ("secret_reader", vec![], "secrets:read:<scope>"),
    ] {
        let e = load_with(
            &plugin(name),
            &granted,
            Limits::default(),
            rec.platform.clone(),
        )
        .unwrap_err();
        match &e {
            Error::CapabilityDenied {
                capability,
                needed_by,
            } => {
                assert_eq!(capability, missing, "{name}");
                assert!(needed_by.starts_with("import `caplet."), "{needed_by}");
            }
            other => panic!("{name}: {other}"),
        }
    }
    assert_eq!(rec.audit.denials().len(), 7);
    assert!(rec.audit.denials().iter().all(|d| d.3), "all at load");
}

#[test]
fn manifest_requirements_must_be_covered() {
    // host_tour's manifest requires `emit:events.*`; a narrower grant does not cover it.
    let e = load(
        &plugin("host_tour"),
        &["clock", "random", "emit:events.user"],
    )
    .unwrap_err();
    assert!(
        e.to_string()
            .contains("`emit:events.*` is not granted (needed by the manifest)"),
        "{e}"
    );
    load(&plugin("host_tour"), &["clock", "random", "emit:*"]).unwrap();
}

#[test]
fn call_time_scope_check_for_emit() {
    let rec = Recorder::default();
    // `emit:events.*` covers the manifest's requirement; each call is still checked.
    let p = load_with(
        &plugin("host_tour"),
        &["clock", "random", "emit:events.*"],
        Limits::default(),
        rec.platform.clone(),
    )
    .unwrap();
    let mut i = p.instantiate().unwrap();
    i.call("emit", br#"{"topic":"events.ok","data":"1"}"#)
        .unwrap();
    let e = i
        .call("emit", br#"{"topic":"admin.shutdown","data":"1"}"#)
        .unwrap_err();
    assert_eq!(guest_code(&e), Some(Code::PermissionDenied), "{e}");
    assert_eq!(
        rec.events.events().len(),
        1,
        "the denied event never reached the sink"
    );
    let d = rec.audit.denials();
    assert_eq!(
        d.last().unwrap(),
        &(
            "host_tour".to_string(),
            Kind::Emit,
            "admin.shutdown".to_string(),
            false
        )
    );
}

#[test]
fn filesystem_scopes_on_normalised_paths() {
    let fs = Arc::new(MemoryFs::default());
    fs.write("/data/a.txt", b"alpha").unwrap();
    fs.write("/etc/passwd", b"root").unwrap();
    let rec = Recorder::default();
    let mut platform = rec.platform.clone();
    platform.fs = Some(fs.clone());
    let p = load_with(
        &plugin("fs_tool"),
        &["fs:read:/data/**", "fs:write:/data/**"],
        Limits::default(),
        platform,
    )
    .unwrap();
    let mut i = p.instantiate().unwrap();
    assert_eq!(
        i.call("read", br#"{"path":"/data/a.txt"}"#).unwrap(),
        b"alpha"
    );
    assert_eq!(
        i.call("read", br#"{"path":"/data/./x/../a.txt"}"#).unwrap(),
        b"alpha"
    );
    for path in ["/data/../etc/passwd", "/etc/passwd", "/../etc/passwd"] {
        let e = i
            .call("read", format!(r#"{{"path":"{path}"}}"#).as_bytes())
            .unwrap_err();
        assert_eq!(guest_code(&e), Some(Code::PermissionDenied), "{path}: {e}");
    }
    let e = i.call("read", br#"{"path":"relative.txt"}"#).unwrap_err();
    assert_eq!(guest_code(&e), Some(Code::InvalidInput), "{e}");
    assert_eq!(
        i.call("write", br#"{"path":"/data/b.txt","data":"beta"}"#)
            .unwrap(),
        b"ok"
    );
    assert_eq!(fs.read("/data/b.txt", 100).unwrap(), b"beta");
    let e = i
        .call("write", br#"{"path":"/etc/evil","data":"x"}"#)
        .unwrap_err();
    assert_eq!(guest_code(&e), Some(Code::PermissionDenied));
    let list: serde_json::Value =
        serde_json::from_slice(&i.call("list", br#"{"path":"/data"}"#).unwrap()).unwrap();
    assert_eq!(
        list,
        serde_json::json!([{"name":"a.txt","kind":"file","size":5},{"name":"b.txt","kind":"file","size":4}])
    );
}

#[test]
fn env_and_secrets_scopes() {
    let rec = Recorder::default();
    let mut platform = rec.platform.clone();
    platform.env = Some(Arc::new(MapEnv(BTreeMap::from([
        ("APP_MODE".to_string(), "prod".to_string()),
        ("HOME".to_string(), "/root".to_string()),
    ]))));
    platform.secrets = Some(Arc::new(MapSecrets(BTreeMap::from([(
        "db-password".to_string(),
        b"hunter2".to_vec(),
    )]))));
    let env = load_with(
        &plugin("env_reader"),
        &["env:APP_*"],
        Limits::default(),
        platform.clone(),
    );
    // The manifest requires `env:*`: a narrower grant fails the load.
    assert!(matches!(env, Err(Error::CapabilityDenied { .. })));
    let p = load_bare("env_reader", &["env:APP_*"], platform.clone());
    let mut i = p.instantiate().unwrap();
    assert_eq!(i.call("get", b"APP_MODE").unwrap(), b"prod");
    assert_eq!(
        guest_code(&i.call("get", b"HOME").unwrap_err()),
        Some(Code::PermissionDenied)
    );
    assert_eq!(
        guest_code(&i.call("get", b"APP_MISSING").unwrap_err()),
        Some(Code::NotFound)
    );

    let p = load_with(
        &plugin("secret_reader"),
        &["secrets:read:*"],
        Limits::default(),
        platform,
    )
    .unwrap();
    let mut i = p.instantiate().unwrap();
    let out = String::from_utf8(i.call("get", b"db-password").unwrap()).unwrap();
    assert!(out.starts_with("7 "), "{out}");
    assert!(!out.contains("hunter2"));
}

#[test]
fn http_allowlist_and_redirect_hops() {
    let allowed = Arc::new(CannedHttp {
        response: HttpResponse {
            status: 200,
            headers: vec![("content-type".into(), "text/plain".into())],
            body: b"hi\x00\xff".to_vec(),
        },
        ..Default::default()
    });
    let rec = Recorder::default();
    let mut platform = rec.platform.clone();
    platform.http = Some(allowed.clone());
    let p = load_bare(
        "http_fetch",
        &["net:outbound:api.example.com:443"],
        platform.clone(),
    );
    let mut i = p.instantiate().unwrap();
    let out = i
        .call(
            "fetch",
            br#"{"method":"GET","url":"https://api.example.com/v1?q=1","headers":{"x-a":"1"}}"#,
        )
        .unwrap();
    let v: serde_json::Value = serde_json::from_slice(&out).unwrap();
    assert_eq!(v["status"], 200);
    assert_eq!(v["body"], "aGkA/w==", "binary body round-trips as base64");
    let seen = allowed.seen.lock().clone();
    assert_eq!(seen.len(), 1);
    assert_eq!(
        (seen[0].host.as_str(), seen[0].port, seen[0].path.as_str()),
        ("api.example.com", 443, "/v1?q=1")
    );
    // Denied host, port, and userinfo smuggling: never reach the platform.
    for url in [
        "https://evil.example.org/",
        "http://api.example.com/",
        "https://api.example.com@evil.org/",
    ] {
        let req = format!(r#"{{"method":"GET","url":"{url}"}}"#);
        let e = i.call("fetch", req.as_bytes()).unwrap_err();
        assert!(
            matches!(
                guest_code(&e),
                Some(Code::PermissionDenied | Code::InvalidInput)
            ),
            "{url}: {e}"
        );
    }
    assert_eq!(allowed.seen.lock().len(), 1);
    // A redirect to a host outside the grant is refused by the policy handed to the platform.
    let redirecting = Arc::new(CannedHttp {
        redirects: vec![("internal.corp".into(), 443)],
        ..Default::default()
    });
    platform.http = Some(redirecting);
    let p = load_bare("http_fetch", &["net:outbound:api.example.com"], platform);
    let e = p
        .instantiate()
        .unwrap()
        .call(
            "fetch",
            br#"{"method":"GET","url":"https://api.example.com/"}"#,
        )
        .unwrap_err();
    assert_eq!(guest_code(&e), Some(Code::PermissionDenied));
    assert!(rec
        .audit
        .denials()
        .iter()
        .any(|d| d.2 == "internal.corp:443"));
}

#[test]
fn unsupported_capabilities_and_full_tables() {
    let e = load_with(
        &plugin("kv_counter"),
        &["kv", "fs:read:/**"],
        Limits::default(),
        {
            let mut p = caplet_core::platform::testing::full();
            p.fs = None;
            p
        },
    )
    .unwrap_err();
    assert_eq!(
        e,
        Error::CapabilityUnsupported {
            capability: "fs:read:/**".into()
        }
    );
    let many: Vec<String> = (0..40).map(|i| format!("env:V{i}")).collect();
    let refs: Vec<&str> = many.iter().map(String::as_str).collect();
    let e = load(&plugin("echo"), &refs).unwrap_err();
    assert!(
        matches!(e, Error::CapabilityTableFull { capacity: 32 }),
        "{e}"
    );
}

#[test]
fn imports_outside_the_contract_are_refused() {
    let bad = [
        (
            r#"(module (import "env" "f" (func)) (memory (export "memory") 1))"#,
            "Caplet provides the import modules `caplet` (contract v1), `wasi_snapshot_preview1` (WASI preview 1) and `extism:host/env` (Extism)",
        ),
        (
            r#"(module (import "caplet" "teleport" (func)) (memory (export "memory") 1))"#,
            "the `caplet` profile has no function of this name",
        ),
        (
            r#"(module (import "wasi_snapshot_preview1" "teleport" (func)) (memory (export "memory") 1))"#,
            "the `wasi_snapshot_preview1` profile has no function of this name",
        ),
        (
            r#"(module (import "wasi_snapshot_preview1" "fd_write" (func (param i32))) (memory (export "memory") 1))"#,
            "expected signature (i32, i32, i32, i32) -> (i32)",
        ),
        (
            r#"(module (import "caplet" "log" (func (param i32))) (memory (export "memory") 1))"#,
            "expected signature (i32, i32, i32) -> ()",
        ),
    ];
    for (text, needle) in bad {
        let e = load(&caplet_tests::wat_str(text), &["log"]).unwrap_err();
        assert!(e.to_string().contains(needle), "{e}");
    }
}
