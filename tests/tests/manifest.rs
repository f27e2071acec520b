//! Manifests and digests: embedded sections, sidecars, digest checked before compiling.

use caplet_core::{Digest, Error, Manifest, PluginConfig, Runtime};
use caplet_tests::{load, plugin};

#[test]
fn embedded_manifest_is_read_without_instantiating() {
    let wasm = plugin("kv_counter");
    let info = caplet_core::ModuleInfo::scan(&wasm, &Default::default()).unwrap();
    let m = Manifest::parse_embedded(info.manifest_bytes(&wasm).unwrap()).unwrap();
    assert_eq!(m.name, "kv_counter");
    assert_eq!(m.version.to_string(), "1.0.0");
    assert_eq!(
        m.capabilities
            .iter()
            .map(|c| c.to_string())
            .collect::<Vec<_>>(),
        ["kv"]
    );
    let p = load(&wasm, &["kv"]).unwrap();
    assert_eq!(p.name(), "kv_counter");
    assert_eq!(p.digest(), Digest::of(&wasm));
}

#[test]
fn a_wrong_digest_is_refused_before_compiling() {
    // Garbage bytes with a sidecar digest of something else: the digest error wins,
    // proving nothing was parsed or compiled first.
    let sidecar = Manifest::parse(
        br#"{"name":"x","version":"1.0.0","module":"x.wasm","sha256":"0000000000000000000000000000000000000000000000000000000000000000"}"#,
    )
    .unwrap();
    let e = Runtime::default()
        .load(
            b"definitely not wasm",
            PluginConfig {
                manifest: Some(sidecar),
                ..Default::default()
            },
        )
        .unwrap_err();
    assert!(matches!(e, Error::DigestMismatch { .. }), "{e}");
    assert!(e.to_string().contains("expected sha256:0000"));
    // A pinned digest works the same way; the right digest loads.
    let wasm = plugin("echo");
    let e = Runtime::default()
        .load(
            &wasm,
            PluginConfig {
                expected_digest: Some(Digest::of(b"other")),
                ..Default::default()
            },
        )
        .unwrap_err();
    assert!(matches!(e, Error::DigestMismatch { .. }));
    Runtime::default()
        .load(
            &wasm,
            PluginConfig {
                expected_digest: Some(Digest::of(&wasm)),
                ..Default::default()
            },
        )
        .unwrap();
}

#[test]
fn sidecar_replaces_the_embedded_manifest_and_its_limits_apply() {
    let wasm = plugin("echo");
    let sidecar = Manifest::parse(
        format!(
            r#"{{"name":"renamed","version":"2.0.0","entrypoints":["upper"],"limits":{{"fuel":1234}},"sha256":"{}"}}"#,
            Digest::of(&wasm).to_hex()
        )
        .as_bytes(),
    )
    .unwrap();
    let p = Runtime::default()
        .load(
            &wasm,
            PluginConfig {
                manifest: Some(sidecar),
                ..Default::default()
            },
        )
        .unwrap();
    assert_eq!(p.name(), "renamed");
    assert_eq!(p.limits().fuel_per_call, 1234);
    // Operator overrides win over the manifest.
    let sidecar =
        Manifest::parse(br#"{"name":"r","version":"1.0.0","limits":{"fuel":1234}}"#).unwrap();
    let p = Runtime::default()
        .load(
            &wasm,
            PluginConfig {
                manifest: Some(sidecar),
                overrides: caplet_core::LimitOverrides {
                    fuel: Some(99),
                    memory: None,
                },
                ..Default::default()
            },
        )
        .unwrap();
    assert_eq!(p.limits().fuel_per_call, 99);
}

#[test]
fn declared_entry_points_must_exist() {
    let wasm = plugin("echo");
    let m = Manifest::parse(br#"{"name":"e","version":"1.0.0","entrypoints":["echo","missing"]}"#)
        .unwrap();
    let e = Runtime::default()
        .load(
            &wasm,
            PluginConfig {
                manifest: Some(m),
                ..Default::default()
            },
        )
        .unwrap_err();
    assert!(
        matches!(&e, Error::MissingExport { name, .. } if name == "missing"),
        "{e}"
    );
    let m = Manifest::parse(br#"{"name":"e","version":"1.0.0","entrypoints":["add"]}"#).unwrap();
    let e = Runtime::default()
        .load(
            &wasm,
            PluginConfig {
                manifest: Some(m),
                ..Default::default()
            },
        )
        .unwrap_err();
    assert!(e.to_string().contains("found (i32, i32) -> (i32)"), "{e}");
}

#[test]
fn an_embedded_manifest_that_is_bad_fails_the_load() {
    // Append a second, invalid caplet.manifest custom section to a real module.
    let mut wasm = plugin("echo");
    let name = b"caplet.manifest";
    let body = br#"{"name":"Bad Name","version":"1.0.0"}"#;
    let mut section = vec![name.len() as u8];
    section.extend_from_slice(name);
    section.extend_from_slice(body);
    wasm.push(0);
    wasm.push(section.len() as u8);
    wasm.extend_from_slice(&section);
    let e = load(&wasm, &[]).unwrap_err();
    assert!(matches!(e, Error::Manifest { .. }), "{e}");
    assert!(
        e.to_string().contains("more than one caplet.manifest"),
        "{e}"
    );
}
