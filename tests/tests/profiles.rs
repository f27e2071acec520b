//! Every import of every ABI profile, walked: which service and capability it
//! reaches, and that a call without the grant is denied — contract v1 at load (its
//! imports are refused when their capability is not granted), WASI at the call
//! (errno `notcapable`) — each time with an audit record, never a trap.

use std::sync::Arc;

use caplet_core::inspect::ValType;
use caplet_core::platform::testing::{self, RecordingAudit};
use caplet_core::profiles::wasi::{Preopen, WasiConfig};
use caplet_core::profiles::{self, Profile};
use caplet_core::{Error, Grants, PluginConfig, Runtime, Value};

fn wat_type(t: &ValType) -> &'static str {
    match t {
        ValType::I32 => "i32",
        ValType::I64 => "i64",
        ValType::F32 => "f32",
        ValType::F64 => "f64",
        _ => "externref",
    }
}

/// A module importing `spec` as `$f` and exporting `go`, which calls it with
/// `args` (or zeros) and returns its i32 result (0 when it returns nothing).
fn module_calling(spec: &profiles::ImportSpec, args: &[i64]) -> Vec<u8> {
    let params: Vec<&str> = spec.params.iter().map(wat_type).collect();
    let results: Vec<&str> = spec.results.iter().map(wat_type).collect();
    let mut body = String::new();
    for (i, t) in spec.params.iter().enumerate() {
        let v = args.get(i).copied().unwrap_or(0);
        body += &format!("({}.const {v}) ", wat_type(t));
    }
    body += "call $f ";
    body += match spec.results {
        [] => "i32.const 0",
        [ValType::I64] => "i32.wrap_i64",
        _ => "",
    };
    let text = format!(
        r#"(module
            (import "{m}" "{n}" (func $f (param {p}) (result {r})))
            (memory (export "memory") 1)
            (data (i32.const 100) "f")
            (data (i32.const 104) "g")
            ;; a clock subscription: monotonic, relative, 1 µs
            (data (i32.const 324) "\01\00\00\00\00\00\00\00\e8\03")
            ;; one iovec: 4 bytes at 600
            (data (i32.const 500) "\58\02\00\00\04\00\00\00")
            (func (export "caplet_alloc") (param i32) (result i32) i32.const 1024)
            (func (export "go") (result i32) {body}))"#,
        m = spec.profile.module(),
        n = spec.name,
        p = params.join(" "),
        r = results.join(" "),
    );
    caplet_tests::wat_str(&text)
}

fn platform_with(audit: &Arc<RecordingAudit>) -> caplet_core::Platform {
    caplet_core::Platform {
        audit: Some(audit.clone()),
        ..testing::full()
    }
}

#[test]
fn every_import_names_its_service_and_capability() {
    let mut lines = Vec::new();
    for spec in profiles::imports() {
        let caps: Vec<&str> = spec.capabilities.iter().map(|k| k.prefix()).collect();
        lines.push(format!(
            "{}.{} -> service {} / capability {}",
            spec.profile.module(),
            spec.name,
            spec.service.unwrap_or("(instance)"),
            if caps.is_empty() {
                "none".to_string()
            } else {
                caps.join(" | ")
            }
        ));
        let resolved = profiles::resolve(spec.profile.module(), spec.name).expect("resolves");
        assert!(std::ptr::eq(resolved, spec));
        if spec.service.is_none() {
            assert!(
                spec.capabilities.is_empty(),
                "{}: no service, no capability",
                spec.name
            );
        }
    }
    println!("{}", lines.join("\n"));
    assert_eq!(
        profiles::imports()
            .filter(|s| s.profile == Profile::Caplet)
            .count(),
        16
    );
    assert_eq!(
        profiles::imports()
            .filter(|s| s.profile == Profile::Wasi)
            .count(),
        46
    );
}

#[test]
fn every_import_links_with_its_signature() {
    // One module importing every function of every profile instantiates.
    for spec in profiles::imports() {
        let wasm = module_calling(spec, &[]);
        let grants: Vec<String> = spec
            .capabilities
            .iter()
            .filter(|_| spec.profile == Profile::Caplet)
            .map(|k| caplet_core::Capability::any(*k).to_string())
            .collect();
        let grants = Grants::from_strs(grants.iter().map(String::as_str)).unwrap();
        let plugin = Runtime::default()
            .load(
                &wasm,
                PluginConfig {
                    grants,
                    platform: testing::full(),
                    ..Default::default()
                },
            )
            .unwrap_or_else(|e| panic!("{}.{}: {e}", spec.profile.module(), spec.name));
        plugin
            .instantiate()
            .unwrap_or_else(|e| panic!("{}.{}: {e}", spec.profile.module(), spec.name));
    }
}

#[test]
fn contract_v1_imports_without_their_grant_are_refused_at_load_and_audited() {
    for spec in profiles::imports().filter(|s| s.profile == Profile::Caplet) {
        let Some(&kind) = spec.capabilities.first() else {
            continue;
        };
        let audit = Arc::new(RecordingAudit::default());
        let e = Runtime::default()
            .load(
                &module_calling(spec, &[]),
                PluginConfig {
                    platform: platform_with(&audit),
                    ..Default::default()
                },
            )
            .unwrap_err();
        assert!(
            matches!(&e, Error::CapabilityDenied { capability, .. } if capability.starts_with(kind.prefix())),
            "caplet.{}: {e}",
            spec.name
        );
        let denials = audit.denials();
        assert!(
            denials.iter().any(|(_, k, subject, at_load)| *k == kind
                && *at_load
                && subject == &format!("caplet.{}", spec.name)),
            "caplet.{}: {denials:?}",
            spec.name
        );
    }
}

/// Arguments that make each capability-checked WASI function reach its service:
/// fd 3 is the preopen `/data`, 100 holds the path `f`, 104 the path `g`, 300 a
/// clock subscription, 500 an iovec of 4 bytes at 600, 400 and 700 scratch.
fn wasi_args(name: &str) -> &'static [i64] {
    match name {
        "clock_res_get" => &[1, 400],
        "clock_time_get" => &[1, 0, 400],
        "fd_filestat_get" => &[3, 400],
        "fd_filestat_set_times" => &[3, 0, 0, 2],
        "fd_read" => &[0, 500, 1, 400],
        "fd_readdir" => &[3, 600, 64, 0, 400],
        "fd_write" => &[1, 500, 1, 400],
        "path_create_directory" | "path_remove_directory" | "path_unlink_file" => &[3, 100, 1],
        "path_filestat_get" => &[3, 0, 100, 1, 400],
        "path_filestat_set_times" => &[3, 0, 100, 1, 0, 0, 2],
        "path_link" => &[3, 0, 100, 1, 3, 104, 1],
        "path_open" => &[3, 0, 100, 1, 0, 2, 0, 0, 400],
        "path_readlink" => &[3, 100, 1, 600, 64, 400],
        "path_rename" => &[3, 100, 1, 3, 104, 1],
        "path_symlink" => &[104, 1, 3, 100, 1],
        "poll_oneoff" => &[308, 700, 1, 400],
        "random_get" => &[600, 4],
        "environ_get" => &[400, 600],
        "environ_sizes_get" => &[400, 404],
        other => panic!("no arguments for {other}"),
    }
}

#[test]
fn wasi_calls_without_their_grant_are_notcapable_and_audited() {
    const NOTCAPABLE: i32 = 76;
    for spec in profiles::imports().filter(|s| s.profile == Profile::Wasi) {
        if spec.capabilities.is_empty() {
            continue;
        }
        let audit = Arc::new(RecordingAudit::default());
        let plugin = Runtime::default()
            .load(
                &module_calling(spec, wasi_args(spec.name)),
                PluginConfig {
                    platform: platform_with(&audit),
                    wasi: WasiConfig {
                        args: vec!["prog".into()],
                        preopens: vec![Preopen::new("/data")],
                    },
                    ..Default::default()
                },
            )
            .unwrap_or_else(|e| panic!("{}: {e}", spec.name));
        let mut instance = plugin.instantiate().unwrap();
        let out = instance
            .call_typed("go", &[])
            .unwrap_or_else(|e| panic!("{}: a denial must not trap: {e}", spec.name));
        let denials = audit.denials();
        match spec.name {
            // The environment is filtered by the grants: nothing is asked for by
            // name, so nothing is denied; the program sees no variable.
            "environ_get" | "environ_sizes_get" => {
                assert_eq!(out, [Value::I32(0)], "{}", spec.name);
                assert!(denials.is_empty(), "{}: {denials:?}", spec.name);
                continue;
            }
            // The clock subscription's event carries the errno; the call succeeds.
            "poll_oneoff" => assert_eq!(out, [Value::I32(0)]),
            _ => assert_eq!(out, [Value::I32(NOTCAPABLE)], "{}", spec.name),
        }
        assert!(
            denials
                .iter()
                .any(|(_, k, _, at_load)| spec.capabilities.contains(k) && !*at_load),
            "{}: expected a call-time denial of {:?}, got {denials:?}",
            spec.name,
            spec.capabilities
        );
    }
}
