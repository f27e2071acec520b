//! The `extism:host/env` profile: unmodified plugins built with two of Extism's
//! PDKs run on the core, beside `.wat` modules for what a PDK never does (bad
//! handles, memory bombs, forged headers):
//! - `extism_kit`: the Rust PDK (extism-pdk from crates.io);
//! - `extism_as`: the AssemblyScript PDK (`@extism/as-pdk` and the `assemblyscript`
//!   compiler, pinned from npm; tests/plugins-as), which mirrors the kit's exports.
//!
//! The behaviours both PDKs reach are checked on both; a second toolchain brings its
//! own memory layout, runtime and import list.

use std::collections::BTreeMap;
use std::sync::Arc;

use caplet_core::platform::testing::{self, RecordingAudit, RecordingLog};
use caplet_core::platform::Level;
use caplet_core::{
    AppFunctions, Code, EngineLimits, Error, Grants, Interrupt, Limits, Plugin, PluginConfig,
    Runtime,
};
use caplet_tests::{plugin, wat_str};

/// Room for a PDK module (17 pages minimum) and its kernel.
fn limits() -> Limits {
    Limits::default().with_memory(4 << 20)
}

struct Setup {
    log: Arc<RecordingLog>,
    audit: Arc<RecordingAudit>,
}

fn load_on(
    runtime: &Runtime,
    wasm: &[u8],
    caps: &[&str],
    config: &[(&str, &str)],
    limits: Limits,
) -> (Result<Plugin, Error>, Setup) {
    let log = Arc::new(RecordingLog::default());
    let audit = Arc::new(RecordingAudit::default());
    let mut platform = testing::full();
    platform.log = Some(log.clone());
    platform.audit = Some(audit.clone());
    let plugin = runtime.load(
        wasm,
        PluginConfig {
            grants: Grants::from_strs(caps.iter().copied()).unwrap(),
            limits,
            platform,
            config: config
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect::<BTreeMap<_, _>>(),
            ..Default::default()
        },
    );
    (plugin, Setup { log, audit })
}

/// The kit with the application's `shout` host function.
fn runtime() -> Runtime {
    let user = AppFunctions::new("extism:host/user")
        .unwrap()
        .bytes("shout", "app:shout", |_, text| {
            if text == b"boom" {
                return Err(Code::Io);
            }
            Ok(text.to_ascii_uppercase())
        })
        .unwrap();
    Runtime::with_functions(EngineLimits::default(), [user]).unwrap()
}

/// The fixtures of the PDKs, each with the same exports.
const PDKS: [&str; 2] = ["extism_kit", "extism_as"];

fn pdk(name: &str, caps: &[&str], config: &[(&str, &str)]) -> (Plugin, Setup) {
    let (p, s) = load_on(&runtime(), &plugin(name), caps, config, limits());
    (p.unwrap_or_else(|e| panic!("{name} loads: {e}")), s)
}

fn kit(caps: &[&str], config: &[(&str, &str)]) -> (Plugin, Setup) {
    pdk("extism_kit", caps, config)
}

fn text(r: Result<Vec<u8>, Error>) -> String {
    String::from_utf8(r.expect("call succeeds")).unwrap()
}

/// An Extism export through an entry handle, into a kept buffer.
#[test]
fn an_extism_export_is_called_into_a_kept_buffer() {
    let (p, _) = kit(&[], &[]);
    let mut i = p.instantiate().unwrap();
    let count = i.entry("count_vowels").unwrap();
    let mut out = Vec::new();
    i.call_entry_into(&count, b"Hello, World!", &mut out)
        .unwrap();
    assert_eq!(out, br#"{"count":3}"#);
    i.call_entry_into(&count, b"aeiou", &mut out).unwrap();
    assert_eq!(out, br#"{"count":5}"#);
}

#[test]
fn count_vowels_runs_unmodified() {
    for name in PDKS {
        let (p, _) = pdk(name, &[], &[]);
        let mut i = p.instantiate().unwrap();
        assert_eq!(
            text(i.call("count_vowels", b"Hello, World!")),
            r#"{"count":3}"#,
            "{name}"
        );
        // Again on the same instance: the kernel is reset between calls.
        assert_eq!(
            text(i.call("count_vowels", b"aeiou AEIOU xyz")),
            r#"{"count":10}"#,
            "{name}"
        );
        assert_eq!(
            text(i.call("count_vowels", b"")),
            r#"{"count":0}"#,
            "{name}"
        );
        // Through an entry handle, as through the name; a missing export is named.
        let entry = i.entry("count_vowels").unwrap();
        assert_eq!(
            text(i.call_entry(&entry, b"handle")),
            r#"{"count":2}"#,
            "{name}"
        );
        match i.entry("nope") {
            Err(Error::MissingExport { name: n, .. }) => assert_eq!(n, "nope"),
            other => panic!("{name}: {other:?}"),
        }
    }
}

#[test]
fn sixty_four_kib_goes_in_and_out_intact() {
    let input: Vec<u8> = (0..64 * 1024).map(|n| (n * 7 % 251) as u8).collect();
    for name in PDKS {
        let (p, _) = pdk(name, &[], &[]);
        let mut i = p.instantiate().unwrap();
        assert_eq!(i.call("echo", &input).unwrap(), input, "{name}");
        // Odd lengths exercise the PDK's byte-wise tail (input_load_u8).
        for len in [0, 1, 7, 9, 4097] {
            assert_eq!(
                i.call("echo", &input[..len]).unwrap(),
                &input[..len],
                "{name}"
            );
        }
    }
}

#[test]
fn config_reaches_the_plugin_and_a_missing_key_is_its_error() {
    for name in PDKS {
        let (p, _) = pdk(name, &[], &[("name", "Zoë")]);
        let mut i = p.instantiate().unwrap();
        assert_eq!(text(i.call("greet", b"")), "Hello, Zoë!", "{name}");

        let (p, _) = pdk(name, &[], &[]);
        let mut i = p.instantiate().unwrap();
        match i.call("greet", b"") {
            Err(Error::Guest {
                entry,
                raw,
                message,
                ..
            }) => {
                assert_eq!(entry, "greet");
                assert_eq!(raw, 2, "{name}: the export's result is the code");
                assert_eq!(message.as_deref(), Some("config key `name` is not set"));
            }
            other => panic!("{name}: expected the plugin's error, got {other:?}"),
        }
        // A plugin error does not poison the instance.
        assert!(!i.is_poisoned(), "{name}");
    }
}

#[test]
fn vars_persist_across_calls_on_one_instance_only() {
    for name in PDKS {
        let (p, _) = pdk(name, &[], &[]);
        let mut a = p.instantiate().unwrap();
        assert_eq!(text(a.call("count_calls", b"")), "1", "{name}");
        assert_eq!(text(a.call("count_calls", b"")), "2", "{name}");
        assert_eq!(text(a.call("count_calls", b"")), "3", "{name}");
        let mut b = p.instantiate().unwrap();
        assert_eq!(
            text(b.call("count_calls", b"")),
            "1",
            "{name}: a new instance has no vars"
        );
        assert_eq!(text(a.call("count_calls", b"")), "4", "{name}");
    }
}

#[test]
fn vars_are_capped_by_max_var_bytes() {
    let mut l = limits();
    l.max_var_bytes = 1000;
    let (p, _) = load_on(&runtime(), &plugin("extism_kit"), &[], &[], l);
    let mut i = p.unwrap().instantiate().unwrap();
    i.call("store_var", &[1u8; 900]).unwrap();
    match i.call("store_var", &[1u8; 1200]) {
        Err(Error::MemoryLimit { reason }) => {
            assert!(reason.contains("max_var_bytes"), "{reason}")
        }
        other => panic!("expected the var cap, got {other:?}"),
    }
}

#[test]
fn a_plugin_error_carries_its_message() {
    // The Rust PDK returns -1 for an error without a code of its own; the
    // AssemblyScript fixture returns 1.
    for (name, code) in [("extism_kit", -1), ("extism_as", 1)] {
        let (p, _) = pdk(name, &[], &[]);
        let mut i = p.instantiate().unwrap();
        let e = i.call("fail", b"because").unwrap_err();
        assert!(
            matches!(e, Error::Guest { raw, .. } if raw == code),
            "{name}: {e:?}"
        );
        assert_eq!(
            e.to_string(),
            format!("`fail` returned error code {code}: failed on purpose: because")
        );
        assert_eq!(text(i.call("count_vowels", b"a")), r#"{"count":1}"#);
    }
}

#[test]
fn the_assemblyscript_plugin_imports_extisms_functions_only() {
    let info = caplet_core::inspect::ModuleInfo::scan(&plugin("extism_as"), &limits()).unwrap();
    assert!(!info.imports.is_empty());
    for import in &info.imports {
        assert_eq!(import.module, "extism:host/env", "{}", import.name);
    }
}

#[test]
fn an_assemblyscript_abort_is_a_trap_that_keeps_the_runtimes_message() {
    // AssemblyScript's runtime aborts on an index out of range: the plugin's abort
    // handler sets the message with `error_set`, then traps.
    let (p, _) = pdk("extism_as", &[], &[]);
    let mut i = p.instantiate().unwrap();
    let e = i.call("crash", b"abc").unwrap_err();
    assert!(matches!(e, Error::Trap { .. }), "{e:?}");
    let shown = e.to_string();
    assert!(shown.contains("unreachable"), "{shown}");
    assert!(
        shown.contains("the plugin's error message: abort: Index out of range"),
        "{shown}"
    );
    assert!(i.is_poisoned());
    assert_eq!(text(i.call("count_vowels", b"aeiou")), r#"{"count":5}"#);
}

#[test]
fn error_set_wins_even_when_the_export_returns_zero() {
    let (p, _) = kit(&[], &[]);
    let mut i = p.instantiate().unwrap();
    match i.call("error_but_zero", b"") {
        Err(e @ Error::Guest { raw: 0, .. }) => {
            assert_eq!(
                e.to_string(),
                "`error_but_zero` failed: set, then returned 0"
            )
        }
        other => panic!("expected the plugin's error, got {other:?}"),
    }
}

#[test]
fn logging_follows_the_log_grant() {
    // Without the grant the level is "off". The Rust PDK asks first and does not
    // even call the host; the AssemblyScript PDK logs anyway, and each line is a
    // denial, audited and dropped. Either way the call succeeds.
    for (name, denials_without_grant) in [("extism_kit", 0), ("extism_as", 2)] {
        let (p, s) = pdk(name, &["log"], &[]);
        p.instantiate().unwrap().call("log_it", b"hi").unwrap();
        let lines: Vec<(Level, String)> =
            s.log.lines().into_iter().map(|(_, l, m)| (l, m)).collect();
        assert_eq!(
            lines,
            vec![
                (Level::Info, "info: hi".to_string()),
                (Level::Warn, "warn: hi".to_string())
            ],
            "{name}"
        );

        let (p, s) = pdk(name, &[], &[]);
        p.instantiate().unwrap().call("log_it", b"hi").unwrap();
        assert!(s.log.lines().is_empty(), "{name}");
        let denials = s.audit.denials();
        assert_eq!(denials.len(), denials_without_grant, "{name}: {denials:?}");
        assert!(denials
            .iter()
            .all(|(_, kind, _, at_load)| *kind == caplet_core::Kind::Log && !at_load));
    }
}

#[test]
fn a_denied_http_request_fails_the_call_and_is_audited() {
    let (p, s) = kit(&[], &[]);
    let mut i = p.instantiate().unwrap();
    match i.call("fetch", br#"{"url": "http://example.com/x"}"#) {
        Err(Error::CapabilityDenied {
            capability,
            needed_by,
        }) => {
            assert_eq!(capability, "net:outbound:example.com:80");
            assert!(needed_by.contains("http://example.com/x"), "{needed_by}");
        }
        other => panic!("expected a denial, got {other:?}"),
    }
    let denials = s.audit.denials();
    assert!(
        denials.iter().any(
            |(_, kind, subject, at_load)| *kind == caplet_core::Kind::NetOutbound
                && subject == "example.com:80"
                && !at_load
        ),
        "{denials:?}"
    );
}

#[test]
fn host_functions_bind_to_application_functions() {
    let (p, _) = load_on(
        &runtime(),
        &plugin("extism_host"),
        &["app:shout"],
        &[],
        limits(),
    );
    let p = p.unwrap();
    let mut i = p.instantiate().unwrap();
    assert_eq!(text(i.call("call_host", b"quiet please")), "QUIET PLEASE");
    match i.call("call_host", b"boom") {
        Err(Error::Host { reason }) => {
            assert!(reason.contains("extism:host/user.shout"), "{reason}");
            assert!(reason.contains("IO"), "{reason}");
        }
        other => panic!("expected the host function's failure, got {other:?}"),
    }
    // Without its grant the plugin does not load (it imports the function).
    let (p, _) = load_on(&runtime(), &plugin("extism_host"), &[], &[], limits());
    match p {
        Err(Error::CapabilityDenied { capability, .. }) => assert_eq!(capability, "app:shout"),
        other => panic!("expected a denial at load, got {other:?}"),
    }
}

#[test]
fn an_infinite_loop_is_stopped_by_fuel_and_by_the_slice_hook() {
    for name in PDKS {
        let (p, _) = load_on(
            &runtime(),
            &plugin(name),
            &[],
            &[],
            limits().with_fuel(2_000_000).with_fuel_slice(100_000),
        );
        let p = p.unwrap();
        let mut i = p.instantiate().unwrap();
        assert!(
            matches!(i.call("spin", b""), Err(Error::OutOfFuel { .. })),
            "{name}"
        );
        let mut slices = 0;
        let mut hook = |_: u64| {
            slices += 1;
            if slices == 3 {
                Err(Interrupt::Cancelled)
            } else {
                Ok(())
            }
        };
        let mut i = p.instantiate().unwrap();
        assert!(
            matches!(
                i.call_with("spin", b"", &mut hook),
                Err(Error::Interrupted {
                    reason: Interrupt::Cancelled,
                    ..
                })
            ),
            "{name}"
        );
    }
}

#[test]
fn a_missing_export_is_named() {
    let (p, _) = kit(&[], &[]);
    match p.instantiate().unwrap().call("nope", b"") {
        Err(Error::MissingExport { name, expected }) => {
            assert_eq!(name, "nope");
            assert!(expected.contains("() -> i32"), "{expected}");
        }
        other => panic!("{other:?}"),
    }
}

/// A hand-written Extism plugin: `go` runs `$body` with the kernel's functions
/// imported.
fn extism_wat(body: &str) -> Vec<u8> {
    wat_str(&format!(
        r#"(module
            (import "extism:host/env" "alloc" (func $alloc (param i64) (result i64)))
            (import "extism:host/env" "free" (func $free (param i64)))
            (import "extism:host/env" "length" (func $length (param i64) (result i64)))
            (import "extism:host/env" "length_unsafe" (func $length_unsafe (param i64) (result i64)))
            (import "extism:host/env" "load_u8" (func $load_u8 (param i64) (result i32)))
            (import "extism:host/env" "load_u64" (func $load_u64 (param i64) (result i64)))
            (import "extism:host/env" "store_u8" (func $store_u8 (param i64 i32)))
            (import "extism:host/env" "store_u64" (func $store_u64 (param i64 i64)))
            (import "extism:host/env" "input_length" (func $input_length (result i64)))
            (import "extism:host/env" "input_load_u64" (func $input_load_u64 (param i64) (result i64)))
            (import "extism:host/env" "output_set" (func $output_set (param i64 i64)))
            (import "extism:host/env" "error_set" (func $error_set (param i64)))
            (import "extism:host/env" "config_get" (func $config_get (param i64) (result i64)))
            (memory (export "memory") 1)
            (func (export "go") (result i32) (local $h i64) (local $g i64) {body}))"#
    ))
}

fn run_wat(body: &str, input: &[u8]) -> Result<Vec<u8>, Error> {
    let (p, _) = load_on(&runtime(), &extism_wat(body), &[], &[], limits());
    p.unwrap().instantiate().unwrap().call("go", input)
}

#[test]
fn the_kernel_checks_every_handle_and_offset() {
    // Loads and stores outside the allocated blocks read 0 and write nothing,
    // whatever the handle (above 4 GiB included: never wrapped to 32 bits).
    let out = run_wat(
        r#"
        (local.set $h (call $alloc (i64.const 8)))
        (call $store_u64 (local.get $h) (i64.const 0x1122334455667788))
        (call $store_u64 (i64.const 0x1_0000_0010) (i64.const 1))
        (call $store_u8 (i64.const -1) (i32.const 1))
        (if (i64.ne (call $load_u64 (i64.const 0x1_0000_0010)) (i64.const 0)) (then unreachable))
        (if (i32.ne (call $load_u8 (i64.const 999999)) (i32.const 0)) (then unreachable))
        (if (i64.ne (call $load_u64 (i64.add (local.get $h) (i64.const 1))) (i64.const 0)) (then unreachable))
        (if (i64.ne (call $length (local.get $h)) (i64.const 8)) (then unreachable))
        (if (i64.ne (call $length (i64.add (local.get $h) (i64.const 8))) (i64.const 0)) (then unreachable))
        (if (i64.ne (call $length (i64.const 0x7FFF_FFFF_FFFF)) (i64.const 0)) (then unreachable))
        (if (i64.ne (call $length_unsafe (i64.const -5)) (i64.const 0)) (then unreachable))
        (if (i64.ne (call $alloc (i64.const 0)) (i64.const 0)) (then unreachable))
        (if (i64.ne (call $alloc (i64.const 0x1_0000_0000)) (i64.const 0)) (then unreachable))
        (call $output_set (local.get $h) (i64.const 8))
        (i32.const 0)"#,
        b"",
    )
    .unwrap();
    assert_eq!(out, 0x1122334455667788u64.to_le_bytes());
}

#[test]
fn freed_blocks_are_reused_and_the_last_one_given_back() {
    let out = run_wat(
        r#"
        (local.set $h (call $alloc (i64.const 100)))
        (local.set $g (call $alloc (i64.const 10)))
        (call $free (local.get $h))
        (call $free (local.get $h))
        (if (i64.ne (call $length (local.get $h)) (i64.const 0)) (then unreachable))
        ;; first fit: the freed 104-byte block holds 50 bytes
        (if (i64.ne (call $alloc (i64.const 50)) (local.get $h)) (then unreachable))
        (if (i64.ne (call $length (local.get $h)) (i64.const 50)) (then unreachable))
        ;; the last block's bytes come back: the next allocation starts there
        (call $free (local.get $g))
        (if (i64.ne (call $alloc (i64.const 1)) (local.get $g)) (then unreachable))
        (i32.const 0)"#,
        b"",
    );
    assert_eq!(run_ok(out), b"");
}

fn run_ok(r: Result<Vec<u8>, Error>) -> Vec<u8> {
    r.unwrap_or_else(|e| panic!("{e}"))
}

#[test]
fn output_and_error_handles_outside_extism_memory_are_contract_errors() {
    match run_wat(
        "(call $output_set (i64.const 0x1_0000_0000) (i64.const 16)) (i32.const 0)",
        b"",
    ) {
        Err(Error::ContractViolation { reason }) => {
            assert!(reason.contains("outside"), "{reason}")
        }
        other => panic!("{other:?}"),
    }
    match run_wat("(call $error_set (i64.const 12345678)) (i32.const 0)", b"") {
        Err(Error::Guest {
            message: Some(m), ..
        }) => {
            assert!(m.contains("not a block"), "{m}")
        }
        other => panic!("{other:?}"),
    }
    // A forged header cannot make the host read past the allocated end.
    match run_wat(
        r#"(local.set $h (call $alloc (i64.const 16)))
           (call $store_u64 (i64.sub (local.get $h) (i64.const 8)) (i64.const 0x7FFF_FFFF))
           (call $error_set (local.get $h)) (i32.const 0)"#,
        b"",
    ) {
        Err(Error::Guest {
            message: Some(m), ..
        }) => assert!(m.contains("not a block"), "{m}"),
        other => panic!("{other:?}"),
    }
    // A host function given a handle that is no block ends the call, named.
    match run_wat(
        "(drop (call $config_get (i64.const 4242))) (i32.const 0)",
        b"",
    ) {
        Err(Error::ContractViolation { reason }) => {
            assert!(reason.contains("config_get key"), "{reason}")
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn extism_memory_counts_against_the_memory_budget() {
    // Allocate 64 KiB blocks until the kernel's memory cannot grow: alloc answers
    // 0 (the plugin sees a failed allocation), the host is unharmed, and the
    // plugin's memory plus the kernel's stayed within the budget.
    let body = r#"
        (block $full (loop $more
            (br_if $full (i64.eqz (call $alloc (i64.const 65536))))
            (br $more)))
        (i32.const 0)"#;
    let budget = 2 << 20;
    let (p, _) = load_on(
        &runtime(),
        &extism_wat(body),
        &[],
        &[],
        limits().with_memory(budget),
    );
    let mut i = p.unwrap().instantiate().unwrap();
    i.call("go", b"").unwrap();
    let peak = i.last_usage().memory_peak_bytes;
    assert!(peak <= budget && peak > budget - (128 << 10), "peak {peak}");
    // The input itself must fit too.
    let (p, _) = load_on(
        &runtime(),
        &extism_wat("(i32.const 0)"),
        &[],
        &[],
        limits().with_memory(256 << 10),
    );
    let big = vec![0u8; 300 << 10];
    match p.unwrap().instantiate().unwrap().call("go", &big) {
        Err(Error::MemoryLimit { reason }) => assert!(reason.contains("input"), "{reason}"),
        other => panic!("{other:?}"),
    }
}

#[test]
fn the_kernel_abi_costs_a_few_fuel_per_byte() {
    // The PDKs move every byte through the kernel's `input_load_u64` and
    // `store_u64`: wasm-to-wasm calls. Measured: 30,307 fuel for 4 KiB in and out
    // (benches/notes.md); a host-call design would show in host_calls, and a
    // slower kernel in fuel.
    let (p, _) = load_on(
        &runtime(),
        &caplet_tests::wat("extism_abi_floor"),
        &[],
        &[],
        limits(),
    );
    let mut i = p.unwrap().instantiate().unwrap();
    let input: Vec<u8> = (0..4096).map(|n| n as u8).collect();
    assert_eq!(i.call("echo", &input).unwrap(), input);
    let usage = i.last_usage();
    assert_eq!(
        usage.host_calls, 0,
        "the kernel's functions are not host calls"
    );
    assert!(
        usage.fuel_used < 8 * 4096,
        "{} fuel for 4 KiB in and out",
        usage.fuel_used
    );
}

/// A module whose initialisers record themselves in `$g` (bits), and `go`
/// outputs `$g` as a digit.
fn initializers_wat(exports: &str) -> Vec<u8> {
    wat_str(&format!(
        r#"(module
            (import "extism:host/env" "alloc" (func $alloc (param i64) (result i64)))
            (import "extism:host/env" "store_u8" (func $store_u8 (param i64 i32)))
            (import "extism:host/env" "output_set" (func $output_set (param i64 i64)))
            (memory (export "memory") 1)
            (global $g (mut i32) (i32.const 0))
            (func $ctors (global.set $g (i32.or (global.get $g) (i32.const 1))))
            (func $init (global.set $g (i32.or (global.get $g) (i32.const 2))))
            (func $hs (param i32 i32) (global.set $g (i32.or (global.get $g) (i32.const 4))))
            {exports}
            (func (export "go") (result i32) (local $h i64)
                (local.set $h (call $alloc (i64.const 1)))
                (call $store_u8 (local.get $h) (i32.add (global.get $g) (i32.const 48)))
                (call $output_set (local.get $h) (i64.const 1))
                (i32.const 0)))"#
    ))
}

#[test]
fn initialisers_run_once_in_extisms_order() {
    for (exports, expected) in [
        // `__wasm_call_ctors` wins over `_initialize`, as in Extism.
        (
            r#"(export "__wasm_call_ctors" (func $ctors)) (export "_initialize" (func $init))"#,
            b"1",
        ),
        (r#"(export "_initialize" (func $init))"#, b"2"),
        // A Haskell plugin: `_initialize`, then `hs_init(0, 0)`; no ctors.
        (
            r#"(export "__wasm_call_ctors" (func $ctors)) (export "_initialize" (func $init)) (export "hs_init" (func $hs))"#,
            b"6",
        ),
        ("", b"0"),
    ] {
        let (p, _) = load_on(&runtime(), &initializers_wat(exports), &[], &[], limits());
        let mut i = p.unwrap().instantiate().unwrap();
        assert_eq!(i.call("go", b"").unwrap(), expected, "{exports}");
        assert_eq!(i.call("go", b"").unwrap(), expected, "once per instance");
    }
}

const MATHLIB: &str = r#"(module
    (import "extism:host/env" "alloc" (func $alloc (param i64) (result i64)))
    (import "extism:host/env" "store_u8" (func $store_u8 (param i64 i32)))
    (memory (export "memory") 1)
    (func (export "add") (param i32 i32) (result i32) (i32.add (local.get 0) (local.get 1)))
    ;; a block of the shared Extism memory holding "ok"
    (func (export "ok_block") (result i64) (local $h i64)
        (local.set $h (call $alloc (i64.const 2)))
        (call $store_u8 (local.get $h) (i32.const 111))
        (call $store_u8 (i64.add (local.get $h) (i64.const 1)) (i32.const 107))
        (local.get $h)))"#;

fn main_importing(extra: &str) -> Vec<u8> {
    wat_str(&format!(
        r#"(module
            (import "extism:host/env" "output_set" (func $output_set (param i64 i64)))
            (import "extism:host/env" "length" (func $length (param i64) (result i64)))
            (import "mathlib" "ok_block" (func $ok (result i64)))
            (import "mathlib" "add" (func $add (param i32 i32) (result i32)))
            {extra}
            (memory (export "memory") 1)
            (func (export "go") (result i32) (local $h i64)
                (local.set $h (call $ok))
                (call $output_set (local.get $h) (call $length (local.get $h)))
                (i32.sub (call $add (i32.const 2) (i32.const 3)) (i32.const 5))))"#
    ))
}

fn load_linked(main: &[u8], deps: &[(&str, &str)], limits: Limits) -> Result<Plugin, Error> {
    runtime().load(
        main,
        PluginConfig {
            limits,
            linked: deps
                .iter()
                .map(|(name, text)| caplet_core::LinkedModule {
                    name: name.to_string(),
                    wasm: wat_str(text),
                })
                .collect(),
            ..Default::default()
        },
    )
}

#[test]
fn linked_modules_are_imported_by_name_and_share_extism_memory() {
    let p = load_linked(&main_importing(""), &[("mathlib", MATHLIB)], limits()).unwrap();
    let mut i = p.instantiate().unwrap();
    // The block the linked module allocated is the plugin's output: one Extism
    // memory for both.
    assert_eq!(i.call("go", b"").unwrap(), b"ok");
    assert_eq!(i.call("go", b"").unwrap(), b"ok");
}

#[test]
fn linked_modules_are_checked_like_the_plugin() {
    let missing = main_importing(r#"(import "mathlib" "sub" (func (param i32 i32) (result i32)))"#);
    match load_linked(&missing, &[("mathlib", MATHLIB)], limits()) {
        Err(Error::UnknownImport { import, reason }) => {
            assert_eq!(import, "mathlib.sub");
            assert!(reason.contains("exports no function"), "{reason}");
        }
        other => panic!("{other:?}"),
    }
    let wrong = main_importing(r#"(import "mathlib" "add" (func (param i64) (result i32)))"#);
    assert!(matches!(
        load_linked(&wrong, &[("mathlib", MATHLIB)], limits()),
        Err(Error::UnknownImport { .. })
    ));
    // Not linked at all: an unknown import module.
    assert!(matches!(
        load_linked(&main_importing(""), &[], limits()),
        Err(Error::UnknownImport { .. })
    ));
    // A linked module may not reach WASI (or anything but Extism's functions).
    let wasi_dep = r#"(module (import "wasi_snapshot_preview1" "proc_exit" (func (param i32))))"#;
    match load_linked(
        &main_importing(""),
        &[("mathlib", MATHLIB), ("w", wasi_dep)],
        limits(),
    ) {
        Err(Error::UnknownImport { reason, .. }) => {
            assert!(reason.contains("linked module (`w`)"), "{reason}")
        }
        other => panic!("{other:?}"),
    }
    // Names are unique and never Caplet's own import modules.
    for bad in [
        vec![("mathlib", MATHLIB), ("mathlib", MATHLIB)],
        vec![("extism:host/env", MATHLIB)],
    ] {
        assert!(matches!(
            load_linked(&main_importing(""), &bad, limits()),
            Err(Error::Usage { .. })
        ));
    }
    // An invalid linked module is named.
    let invalid = r#"(module
        (func (export "add") (param i32 i32) (result i32))
        (func (export "ok_block") (result i64)))"#;
    match load_linked(&main_importing(""), &[("mathlib", invalid)], limits()) {
        Err(e @ Error::BadModule { .. }) => assert!(e.to_string().contains("mathlib"), "{e}"),
        other => panic!("{other:?}"),
    }
    // Only Extism plugins link modules.
    let plain = wat_str(r#"(module (memory (export "memory") 1))"#);
    assert!(matches!(
        load_linked(&plain, &[("mathlib", MATHLIB)], limits()),
        Err(Error::Usage { .. })
    ));
}

#[test]
fn a_linked_modules_start_function_runs_under_the_fuel_budget() {
    let spinning = r#"(module
        (import "extism:host/env" "alloc" (func $alloc (param i64) (result i64)))
        (func $spin (loop $l (br $l)))
        (start $spin)
        (func (export "add") (param i32 i32) (result i32) (local.get 0))
        (func (export "ok_block") (result i64) (i64.const 0)))"#;
    let p = load_linked(
        &main_importing(""),
        &[("mathlib", spinning)],
        limits().with_fuel(1_000_000),
    )
    .unwrap();
    match p.instantiate() {
        Err(Error::OutOfFuel { .. }) => {}
        other => panic!("{other:?}"),
    }
}

/// `go` hands the call's input block (0 without input) to import `$f` of
/// `extism:host/env`, `(i64) -> i64` or `(i64)`.
fn calling(import: &str, returns: bool) -> Vec<u8> {
    let (result, drop) = if returns {
        ("(result i64)", "drop")
    } else {
        ("", "")
    };
    wat_str(&format!(
        r#"(module
            (import "extism:host/env" "input_length" (func $input_length (result i64)))
            (import "extism:host/env" "input_offset" (func $input_offset (result i64)))
            (import "extism:host/env" "{import}" (func $f (param i64) {result}))
            (memory (export "memory") 1)
            (func (export "go") (result i32)
                (call $f (if (result i64) (i64.eqz (call $input_length))
                    (then (i64.const 0)) (else (call $input_offset))))
                {drop}
                (i32.const 0)))"#
    ))
}

#[test]
fn host_function_inputs_and_the_host_call_cap_are_checked() {
    let mut l = limits();
    l.max_host_calls = 10;
    l.max_config_bytes = 8;
    let run = |wasm: Vec<u8>, input: &[u8], caps: &[&str]| {
        let (p, s) = load_on(&runtime(), &wasm, caps, &[("key", "v")], l);
        (p.unwrap().instantiate().unwrap().call("go", input), s)
    };
    // The host-call cap ends the call, named (`http_headers` takes no handle,
    // answers 0 before any response, and counts as a host call).
    let headers_loop = wat_str(
        r#"(module
            (import "extism:host/env" "http_headers" (func $h (result i64)))
            (memory (export "memory") 1)
            (func (export "go") (result i32) (local $i i32)
                (loop $l
                    (drop (call $h))
                    (local.set $i (i32.add (local.get $i) (i32.const 1)))
                    (br_if $l (i32.lt_u (local.get $i) (i32.const 11))))
                (i32.const 0)))"#,
    );
    match run(headers_loop, b"", &[]).0 {
        Err(Error::Trap { message, .. }) => {
            assert!(message.contains("max_host_calls"), "{message}")
        }
        other => panic!("{other:?}"),
    }
    // A key over the config cap, or not UTF-8, is the plugin's contract error.
    match run(calling("config_get", true), b"a key longer than 8", &[]).0 {
        Err(Error::ContractViolation { reason }) => {
            assert!(reason.contains("8-byte cap"), "{reason}")
        }
        other => panic!("{other:?}"),
    }
    match run(calling("config_get", true), b"\xff\xfe", &[]).0 {
        Err(Error::ContractViolation { reason }) => assert!(reason.contains("UTF-8"), "{reason}"),
        other => panic!("{other:?}"),
    }
    // A log line from a handle that is no block is refused, not dropped.
    match run(calling("log_info", false), b"", &["log"]).0 {
        Err(Error::ContractViolation { reason }) => {
            assert!(reason.contains("log message"), "{reason}")
        }
        other => panic!("{other:?}"),
    }
    // A line over the log cap is cut and marked by the log service.
    let long = vec![b'x'; 5000];
    let (result, s) = run(calling("log_info", false), &long, &["log"]);
    result.unwrap();
    let lines = s.log.lines();
    assert_eq!(lines.len(), 1);
    assert!(
        lines[0].2.ends_with("[truncated 904 bytes]"),
        "{}",
        lines[0].2
    );
}

/// A load that requires trust requires it of the linked modules too: each must be
/// pinned, or carry an embedded signature by a trusted key. An unpinned, unsigned
/// linked module is refused, naming it, before anything runs.
#[test]
fn linked_modules_need_the_trust_the_plugin_needs() {
    let main = main_importing("");
    let lib = wat_str(MATHLIB);
    let load = |digests: Vec<caplet_core::Digest>| {
        runtime().load(
            &main,
            PluginConfig {
                limits: limits(),
                linked: vec![caplet_core::LinkedModule {
                    name: "mathlib".into(),
                    wasm: lib.clone(),
                }],
                trust: caplet_core::Trust::Required {
                    keys: Vec::new(),
                    digests,
                },
                ..Default::default()
            },
        )
    };
    let main_digest = caplet_core::Digest::of(&main);
    match load(vec![main_digest]) {
        Err(Error::Untrusted { reason }) => assert!(
            reason.contains("linked module `mathlib`")
                && reason.contains("neither pinned nor signed"),
            "{reason}"
        ),
        other => panic!("{:?}", other.map(|_| ())),
    }
    let p = load(vec![main_digest, caplet_core::Digest::of(&lib)]).unwrap();
    p.instantiate().unwrap().call("go", b"").unwrap();
}
