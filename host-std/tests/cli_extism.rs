//! `caplet run` on an unmodified Extism plugin (`extism_kit`, built with
//! extism-pdk from crates.io): the profile is detected by its imports, `--call`
//! and `--input` work as for contract v1, `--config` sets Extism config, exit
//! codes are contract v1's, and HTTP goes to a real server on 127.0.0.1 through
//! the grants and the private-address guard.

use std::process::{Command, Output};
use std::sync::Arc;
use std::thread;

use caplet_tests::plugin_path;

fn caplet(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_caplet"))
        .args(args)
        .output()
        .unwrap()
}

fn kit() -> String {
    plugin_path("extism_kit").to_str().unwrap().to_string()
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

#[test]
fn count_vowels_runs_from_the_command_line() {
    let o = caplet(&[
        "run",
        &kit(),
        "--call",
        "count_vowels",
        "--input",
        "Hello, World",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(stdout(&o), r#"{"count":3}"#);
}

#[test]
fn config_flags_reach_the_plugin() {
    let o = caplet(&["run", &kit(), "--call", "greet", "--config", "name=Ada"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(stdout(&o), "Hello, Ada!");
}

#[test]
fn a_plugin_error_exits_1_with_its_message() {
    let o = caplet(&["run", &kit(), "--call", "fail", "--input", "because"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stderr(&o)
            .contains("error: guest: `fail` returned error code -1: failed on purpose: because"),
        "{}",
        stderr(&o)
    );
    let o = caplet(&["run", &kit(), "--call", "greet"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stderr(&o).contains("config key `name` is not set"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn a_missing_export_is_named_with_the_ones_there_are() {
    let o = caplet(&["run", &kit(), "--call", "nope"]);
    assert_eq!(o.status.code(), Some(2));
    let err = stderr(&o);
    assert!(err.contains("`nope` is not exported"), "{err}");
    assert!(err.contains("count_vowels"), "{err}");
}

#[test]
fn an_infinite_loop_is_stopped_by_fuel_and_by_the_timeout() {
    let o = caplet(&["run", &kit(), "--call", "spin", "--fuel", "100000"]);
    assert_eq!(o.status.code(), Some(4));
    assert!(stderr(&o).contains("out of fuel"), "{}", stderr(&o));
    let o = caplet(&["run", &kit(), "--call", "spin", "--timeout", "200"]);
    assert_eq!(o.status.code(), Some(4));
    assert!(stderr(&o).contains("deadline passed"), "{}", stderr(&o));
}

#[test]
fn logs_need_the_log_grant() {
    let o = caplet(&[
        "run",
        &kit(),
        "--call",
        "log_it",
        "--input",
        "hi",
        "--allow",
        "log",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(stderr(&o).contains("INFO  info: hi"), "{}", stderr(&o));
    let o = caplet(&["run", &kit(), "--call", "log_it", "--input", "hi"]);
    assert_eq!(o.status.code(), Some(0));
    assert!(!stderr(&o).contains("info: hi"), "{}", stderr(&o));
}

/// A real HTTP server on 127.0.0.1 answering every request with `hello from
/// <path>`.
fn server() -> (Arc<tiny_http::Server>, u16) {
    let server = Arc::new(tiny_http::Server::http("127.0.0.1:0").unwrap());
    let port = server.server_addr().to_ip().unwrap().port();
    let s = server.clone();
    thread::spawn(move || {
        for req in s.incoming_requests() {
            let body = format!("hello from {}", req.url());
            let _ = req.respond(tiny_http::Response::from_string(body));
        }
    });
    (server, port)
}

#[test]
fn http_goes_through_the_grants_and_the_private_address_guard() {
    let (server, port) = server();
    let input = format!(r#"{{"url": "http://127.0.0.1:{port}/x"}}"#);
    let host = format!("net:outbound:127.0.0.1:{port}");
    // The Rust PDK's kit and the AssemblyScript PDK's plugin, the same way.
    for wasm in [kit(), as_plugin()] {
        let fetch = |grants: &[&str]| {
            let mut args = vec!["run", &wasm, "--call", "fetch", "--input", &input];
            for g in grants {
                args.extend(["--allow", g]);
            }
            caplet(&args)
        };
        // Granted: status and body come back.
        let o = fetch(&[&host, "net:outbound:private"]);
        assert_eq!(o.status.code(), Some(0), "{wasm}: {}", stderr(&o));
        assert_eq!(stdout(&o), "200 hello from /x", "{wasm}");
        // The host granted but not the private-address exemption: refused, and the
        // error and the audit line name the grant that is missing, not the host's.
        let o = fetch(&[&host]);
        assert_eq!(o.status.code(), Some(6), "{wasm}: {}", stdout(&o));
        assert!(
            stderr(&o).contains("capability `net:outbound:private` is not granted"),
            "{wasm}: {}",
            stderr(&o)
        );
        assert!(
            stderr(&o).contains("DENIED net:outbound:private 127.0.0.1"),
            "{wasm}: {}",
            stderr(&o)
        );
        // Not granted at all: a capability error (exit 6), not an empty success.
        let o = fetch(&[]);
        assert_eq!(o.status.code(), Some(6), "{wasm}: {}", stderr(&o));
        assert!(stderr(&o).contains(&host), "{wasm}: {}", stderr(&o));
    }
    server.unblock();
}

fn as_plugin() -> String {
    plugin_path("extism_as").to_str().unwrap().to_string()
}

/// The AssemblyScript PDK's plugin (tests/plugins-as) on the same command line:
/// detected by its imports, its config, its error and an abort (its HTTP call is
/// in the HTTP test above, beside the Rust kit's).
#[test]
fn a_plugin_of_the_assemblyscript_pdk_runs_from_the_command_line() {
    let wasm = as_plugin();
    let o = caplet(&[
        "run",
        &wasm,
        "--call",
        "count_vowels",
        "--input",
        "Hello, World",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(stdout(&o), r#"{"count":3}"#);
    let o = caplet(&["run", &wasm, "--call", "greet", "--config", "name=Ada"]);
    assert_eq!(stdout(&o), "Hello, Ada!", "{}", stderr(&o));
    let o = caplet(&["run", &wasm, "--call", "fail", "--input", "because"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stderr(&o)
            .contains("error: guest: `fail` returned error code 1: failed on purpose: because"),
        "{}",
        stderr(&o)
    );
    // An abort: a trap (exit 5) that keeps the runtime's message.
    let o = caplet(&["run", &wasm, "--call", "crash", "--input", "abc"]);
    assert_eq!(o.status.code(), Some(5));
    assert!(
        stderr(&o).contains("abort: Index out of range"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn inspect_lists_the_extism_imports_with_their_capabilities() {
    let o = caplet(&["inspect", &kit()]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let out = stdout(&o);
    assert!(!out.contains("unknown import"), "{out}");
    assert!(out.contains("extism:host/env.http_request"), "{out}");
    assert!(out.contains("[net:outbound]"), "{out}");
}

/// An Extism manifest in a temp dir next to a copy of the kit.
fn manifest_dir(manifest: &str) -> (tempfile::TempDir, String) {
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(plugin_path("extism_kit"), dir.path().join("kit.wasm")).unwrap();
    let path = dir.path().join("plugin.json");
    std::fs::write(&path, manifest).unwrap();
    let p = path.to_str().unwrap().to_string();
    (dir, p)
}

fn kit_sha256() -> String {
    use sha2::{Digest, Sha256};
    let bytes = std::fs::read(plugin_path("extism_kit")).unwrap();
    Sha256::digest(&bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

#[test]
fn an_extism_manifest_gives_the_module_its_config_and_grants() {
    let (_d, m) = manifest_dir(&format!(
        r#"{{"wasm": [{{"path": "kit.wasm", "name": "kit", "hash": "{}"}}],
            "config": {{"name": "Ada"}},
            "allowed_hosts": ["*.example.com"],
            "allowed_paths": {{"ro:.": "/data"}},
            "memory": {{"max_pages": 64, "max_var_bytes": 100}},
            "timeout_ms": 5000}}"#,
        kit_sha256()
    ));
    let o = caplet(&["run", &m, "--call", "greet", "--report"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(stdout(&o), "Hello, Ada!");
    let err = stderr(&o);
    assert!(err.contains("net:outbound:*.example.com"), "{err}");
    assert!(err.contains("fs:read:/data/**"), "{err}");
    assert!(!err.contains("fs:write:/data"), "read-only mapping: {err}");
    // --config overrides the manifest's config.
    let o = caplet(&["run", &m, "--call", "greet", "--config", "name=Bo"]);
    assert_eq!(stdout(&o), "Hello, Bo!", "{}", stderr(&o));
    // memory.max_var_bytes caps the vars.
    let o = caplet(&[
        "run",
        &m,
        "--call",
        "store_var",
        "--input",
        &"x".repeat(200),
    ]);
    assert_eq!(o.status.code(), Some(5), "{}", stderr(&o));
    assert!(stderr(&o).contains("max_var_bytes"), "{}", stderr(&o));
}

#[test]
fn a_wrong_hash_is_refused_before_compiling() {
    let (_d, m) = manifest_dir(&format!(
        r#"{{"wasm": [{{"path": "kit.wasm", "hash": "{}"}}]}}"#,
        "ab".repeat(32)
    ));
    let o = caplet(&["run", &m, "--call", "count_vowels", "--input", "a"]);
    assert_eq!(o.status.code(), Some(3), "{}", stderr(&o));
    assert!(stderr(&o).contains("digest"), "{}", stderr(&o));
    assert!(stderr(&o).contains(&kit_sha256()), "{}", stderr(&o));
}

#[test]
fn inline_data_and_urls_are_module_sources() {
    use base64::Engine as _;
    let bytes = std::fs::read(plugin_path("extism_kit")).unwrap();
    let b64 = base64::engine::general_purpose::STANDARD.encode(&bytes);
    let (_d, m) = manifest_dir(&format!(r#"{{"wasm": [{{"data": "{b64}"}}]}}"#));
    let o = caplet(&["run", &m, "--call", "count_vowels", "--input", "aaa"]);
    assert_eq!(stdout(&o), r#"{"count":3}"#, "{}", stderr(&o));

    // A real server on 127.0.0.1 serving the module.
    let server = Arc::new(tiny_http::Server::http("127.0.0.1:0").unwrap());
    let port = server.server_addr().to_ip().unwrap().port();
    let s = server.clone();
    let served = bytes.clone();
    thread::spawn(move || {
        for req in s.incoming_requests() {
            let resp = if req.url() == "/kit.wasm" {
                tiny_http::Response::from_data(served.clone())
            } else {
                tiny_http::Response::from_data(Vec::new()).with_status_code(404)
            };
            let _ = req.respond(resp);
        }
    });
    let (_d, m) = manifest_dir(&format!(
        r#"{{"wasm": [{{"url": "http://127.0.0.1:{port}/kit.wasm", "hash": "{}"}}]}}"#,
        kit_sha256()
    ));
    let o = caplet(&["run", &m, "--call", "count_vowels", "--input", "ee"]);
    assert_eq!(stdout(&o), r#"{"count":2}"#, "{}", stderr(&o));
    let (_d, m) = manifest_dir(&format!(
        r#"{{"wasm": [{{"url": "http://127.0.0.1:{port}/missing.wasm"}}]}}"#
    ));
    let o = caplet(&["run", &m, "--call", "count_vowels"]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(stderr(&o).contains("HTTP 404"), "{}", stderr(&o));
    server.unblock();
}

#[test]
fn unsupported_or_malformed_manifests_are_named() {
    for (manifest, needle) in [
        (
            r#"{"wasm": [{"path": "kit.wasm"}, {"path": "kit.wasm"}]}"#,
            "`wasm[0]` needs a `name`",
        ),
        (r#"{"wasm": []}"#, "`wasm` is empty"),
        (
            r#"{"wasm": [{"path": "kit.wasm", "data": "AA=="}]}"#,
            "exactly one of",
        ),
        (
            r#"{"wasm": [{"path": "kit.wasm"}], "surprise": 1}"#,
            "unknown field",
        ),
        (r#"{"wasm": [{"data": "not base64!"}]}"#, "not base64"),
        (
            r#"{"wasm": [{"path": "kit.wasm", "hash": "xyz"}]}"#,
            "not a SHA-256",
        ),
        (r#"{"wasm": [{"path": "missing.wasm"}]}"#, "missing.wasm"),
    ] {
        let (_d, m) = manifest_dir(manifest);
        let o = caplet(&["run", &m, "--call", "count_vowels"]);
        assert_eq!(o.status.code(), Some(2), "{manifest}: {}", stderr(&o));
        assert!(stderr(&o).contains(needle), "{manifest}: {}", stderr(&o));
    }
    // Memory pages too few for the module: refused at load, naming the budget.
    let (_d, m) = manifest_dir(r#"{"wasm": [{"path": "kit.wasm"}], "memory": {"max_pages": 1}}"#);
    let o = caplet(&["run", &m, "--call", "count_vowels"]);
    assert_ne!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(stderr(&o).contains("memory"), "{}", stderr(&o));
}

#[test]
fn a_manifest_of_two_modules_links_them_by_name() {
    let dir = tempfile::tempdir().unwrap();
    let lib = r#"(module
        (func (export "twice") (param i32) (result i32) (i32.mul (local.get 0) (i32.const 2))))"#;
    let main = r#"(module
        (import "extism:host/env" "alloc" (func $alloc (param i64) (result i64)))
        (import "extism:host/env" "store_u8" (func $store_u8 (param i64 i32)))
        (import "extism:host/env" "output_set" (func $output_set (param i64 i64)))
        (import "lib" "twice" (func $twice (param i32) (result i32)))
        (memory (export "memory") 1)
        (func (export "go") (result i32) (local $h i64)
            (local.set $h (call $alloc (i64.const 1)))
            (call $store_u8 (local.get $h) (i32.add (i32.const 48) (call $twice (i32.const 4))))
            (call $output_set (local.get $h) (i64.const 1))
            (i32.const 0)))"#;
    std::fs::write(dir.path().join("lib.wasm"), wat::parse_str(lib).unwrap()).unwrap();
    std::fs::write(dir.path().join("main.wasm"), wat::parse_str(main).unwrap()).unwrap();
    let m = dir.path().join("plugin.json");
    std::fs::write(
        &m,
        r#"{"wasm": [{"path": "lib.wasm", "name": "lib"}, {"path": "main.wasm", "name": "main"}]}"#,
    )
    .unwrap();
    let o = caplet(&["run", m.to_str().unwrap(), "--call", "go"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(stdout(&o), "8");
}
