//! Application host functions: an embedder's own import module, each function
//! tied to the `app:<name>` capability it declares, with the built-in imports'
//! load check, call-time check, audit, caps, bounds checks and usage counting.
//! The guest side is the real `board_app` plugin (the kit's `app_functions!`)
//! beside `.wat` modules for what the kit never does.

use std::sync::atomic::{AtomicI32, Ordering};
use std::sync::{Arc, Mutex};

use caplet_core::platform::testing::{self, RecordingAudit};
use caplet_core::{
    AppFunctions, Code, EngineLimits, Error, Grants, Kind, Limits, Plugin, PluginConfig, Runtime,
    ValType, Value,
};

/// The board of these tests: two sensors, 41 GPIO pins, and a record of which
/// plugin called what.
struct Board {
    pins: Arc<Vec<AtomicI32>>,
    calls: Arc<Mutex<Vec<(String, String)>>>,
}

fn board() -> (AppFunctions, Board) {
    let pins: Arc<Vec<AtomicI32>> = Arc::new((0..41).map(|_| AtomicI32::new(0)).collect());
    let calls = Arc::new(Mutex::new(Vec::new()));
    let (p, c1, c2) = (pins.clone(), calls.clone(), calls.clone());
    let functions = AppFunctions::new("board")
        .unwrap()
        .bytes("read_sensor", "app:sensors.read", move |call, name| {
            c1.lock()
                .unwrap()
                .push((call.plugin().to_string(), call.function().to_string()));
            match name {
                b"temp" => Ok(b"21.5".to_vec()),
                b"humidity" => Ok(b"40".to_vec()),
                b"huge" => Ok(vec![b'9'; 2 << 20]),
                _ => Err(Code::NotFound),
            }
        })
        .unwrap()
        .numbers(
            "gpio_set",
            "app:gpio.write",
            &[ValType::I32, ValType::I32],
            &[ValType::I32],
            move |call, args, results| {
                c2.lock()
                    .unwrap()
                    .push((call.plugin().to_string(), call.function().to_string()));
                let (Value::I32(pin), Value::I32(level)) = (args[0], args[1]) else {
                    return Err(Code::InvalidInput);
                };
                let pin = p.get(pin as usize).ok_or(Code::InvalidInput)?;
                results[0] = Value::I32(pin.swap(level, Ordering::SeqCst));
                Ok(())
            },
        )
        .unwrap();
    (functions, Board { pins, calls })
}

fn runtime() -> (Runtime, Board) {
    let (functions, board) = board();
    (
        Runtime::with_functions(EngineLimits::default(), [functions]).unwrap(),
        board,
    )
}

fn load_on(
    rt: &Runtime,
    wasm: &[u8],
    caps: &[&str],
    limits: Limits,
    audit: &Arc<RecordingAudit>,
) -> Result<Plugin, Error> {
    let mut platform = testing::full();
    platform.audit = Some(audit.clone());
    rt.load(
        wasm,
        PluginConfig {
            grants: Grants::from_strs(caps.iter().copied())?,
            limits,
            platform,
            ..Default::default()
        },
    )
}

const BOTH: &[&str] = &["app:sensors.read", "app:gpio.write"];

#[test]
fn a_granted_bytes_function_answers_the_plugin() {
    let (rt, board) = runtime();
    let audit = Arc::new(RecordingAudit::default());
    let plugin = load_on(
        &rt,
        &caplet_tests::plugin("board_app"),
        BOTH,
        Limits::default(),
        &audit,
    )
    .unwrap();
    let mut i = plugin.instantiate().unwrap();
    assert_eq!(i.call("sensor", b"temp").unwrap(), b"21.5");
    assert_eq!(i.last_usage().host_calls, 1);
    assert_eq!(i.call("sensors_sum", b"temp, humidity").unwrap(), b"61.5");
    assert_eq!(i.last_usage().host_calls, 2);
    // The application sees which plugin called which function.
    assert_eq!(
        board.calls.lock().unwrap()[0],
        ("board_app".to_string(), "read_sensor".to_string())
    );
    // An application error is the guest's error code, not a trap.
    match i.call("sensor", b"pressure").unwrap_err() {
        Error::Guest { code, .. } => assert_eq!(code, Some(Code::NotFound)),
        e => panic!("expected NOT_FOUND from the guest, got {e}"),
    }
    assert!(audit.denials().is_empty());
}

#[test]
fn a_numbers_function_takes_and_returns_values() {
    let (rt, board) = runtime();
    let audit = Arc::new(RecordingAudit::default());
    let plugin = load_on(
        &rt,
        &caplet_tests::plugin("board_app"),
        BOTH,
        Limits::default(),
        &audit,
    )
    .unwrap();
    let mut i = plugin.instantiate().unwrap();
    assert_eq!(i.call("toggle", b"13").unwrap(), b"0");
    assert_eq!(board.pins[13].load(Ordering::SeqCst), 1);
    assert_eq!(i.call("toggle", b"13").unwrap(), b"1");
    // A failure of a numbers function ends the call with an error naming it.
    let err = i.call("toggle", b"99").unwrap_err();
    assert!(
        err.to_string().contains("board.gpio_set") && err.to_string().contains("INVALID_INPUT"),
        "{err}"
    );
}

#[test]
fn an_ungranted_function_fails_the_load_with_an_audit_record() {
    let (rt, _board) = runtime();
    let audit = Arc::new(RecordingAudit::default());
    let wasm = caplet_tests::plugin("board_app");
    // Grant only the gpio functions: importing the sensor function fails the
    // load before anything is compiled.
    let err = load_on(&rt, &wasm, &["app:gpio.*"], Limits::default(), &audit).unwrap_err();
    match &err {
        Error::CapabilityDenied {
            capability,
            needed_by,
        } => {
            assert_eq!(capability, "app:sensors.read");
            assert!(needed_by.contains("board.read_sensor"), "{needed_by}");
        }
        e => panic!("expected a denial, got {e}"),
    }
    let denials = audit.denials();
    assert_eq!(denials.len(), 1);
    assert_eq!(denials[0].1, Kind::App);
    assert!(denials[0].3, "at load");
    // A glob grant covers both.
    load_on(&rt, &wasm, &["app:*"], Limits::default(), &audit).unwrap();
}

#[test]
fn a_runtime_without_the_module_names_what_it_offers() {
    let err = Runtime::default()
        .load(
            &caplet_tests::plugin("board_app"),
            PluginConfig {
                grants: Grants::from_strs(BOTH.iter().copied()).unwrap(),
                platform: testing::full(),
                ..Default::default()
            },
        )
        .unwrap_err();
    assert!(
        matches!(&err, Error::UnknownImport { import, .. } if import.starts_with("board.")),
        "{err}"
    );
}

/// A module importing `board.read_sensor` whose `go` passes `(ptr, len)`.
fn raw_reader(ptr: i64, len: i64) -> Vec<u8> {
    caplet_tests::wat_str(&format!(
        r#"(module
            (import "board" "read_sensor" (func $read (param i32 i32) (result i64)))
            (memory (export "memory") 1)
            (data (i32.const 16) "temp")
            (global $bump (mut i32) (i32.const 4096))
            (func (export "caplet_alloc") (param i32) (result i32)
              (local $p i32)
              global.get $bump
              local.set $p
              global.get $bump
              local.get 0
              i32.add
              global.set $bump
              local.get $p)
            (func (export "go") (result i64)
              (call $read (i32.const {ptr}) (i32.const {len}))))"#
    ))
}

fn go(plugin: &Plugin) -> i64 {
    let mut i = plugin.instantiate().unwrap();
    match i.call_typed("go", &[]).unwrap()[..] {
        [Value::I64(v)] => v,
        ref other => panic!("go returned {other:?}"),
    }
}

#[test]
fn guest_buffers_are_bounds_checked_and_results_capped() {
    let (rt, _board) = runtime();
    let audit = Arc::new(RecordingAudit::default());
    let load =
        |wasm: &[u8]| load_on(&rt, wasm, &["app:sensors.read"], Limits::default(), &audit).unwrap();
    // In range: a packed buffer from caplet_alloc holding the reading.
    let packed = go(&load(&raw_reader(16, 4)));
    assert_eq!((packed >> 32, packed & 0xffff_ffff), (4096, 4));
    // Outside memory, or a length that wraps: INVALID_INPUT, no trap.
    assert_eq!(go(&load(&raw_reader(65_530, 100))), -3);
    assert_eq!(go(&load(&raw_reader(-1, 4))), -3);
    // Longer than the host-result cap: LIMIT before the application sees it.
    assert_eq!(go(&load(&raw_reader(0, 2 << 20))), -6);
    // A result over the cap: LIMIT.
    let huge = caplet_tests::wat_str(
        r#"(module
            (import "board" "read_sensor" (func $read (param i32 i32) (result i64)))
            (memory (export "memory") 1)
            (data (i32.const 16) "huge")
            (func (export "caplet_alloc") (param i32) (result i32) i32.const 4096)
            (func (export "go") (result i64) (call $read (i32.const 16) (i32.const 4))))"#,
    );
    assert_eq!(go(&load(&huge)), -6);
}

#[test]
fn application_calls_count_against_the_host_call_cap() {
    let (rt, _board) = runtime();
    let audit = Arc::new(RecordingAudit::default());
    let limits = Limits {
        max_host_calls: 3,
        ..Limits::default()
    };
    let plugin = load_on(
        &rt,
        &caplet_tests::plugin("board_app"),
        BOTH,
        limits,
        &audit,
    )
    .unwrap();
    let mut i = plugin.instantiate().unwrap();
    assert_eq!(i.call("sensors_sum", b"temp,temp,temp").unwrap(), b"64.5");
    match i.call("sensors_sum", b"temp,temp,temp,temp").unwrap_err() {
        Error::Guest { code, .. } => assert_eq!(code, Some(Code::Limit)),
        e => panic!("expected LIMIT, got {e}"),
    }
}

#[test]
fn imports_must_match_the_declared_signature_and_name() {
    let (rt, _board) = runtime();
    let audit = Arc::new(RecordingAudit::default());
    let wrong_sig = caplet_tests::wat_str(
        r#"(module
            (import "board" "gpio_set" (func (param i32) (result i32)))
            (memory (export "memory") 1))"#,
    );
    let err = load_on(&rt, &wrong_sig, BOTH, Limits::default(), &audit).unwrap_err();
    assert!(err.to_string().contains("expected signature"), "{err}");
    let unknown = caplet_tests::wat_str(
        r#"(module
            (import "board" "self_destruct" (func))
            (memory (export "memory") 1))"#,
    );
    let err = load_on(&rt, &unknown, &["app:*"], Limits::default(), &audit).unwrap_err();
    assert!(
        err.to_string().contains("board.self_destruct")
            && err.to_string().contains("no function of this name"),
        "{err}"
    );
}

#[test]
fn registration_refuses_reserved_modules_duplicates_and_bad_capabilities() {
    for module in [
        "caplet",
        "wasi_snapshot_preview1",
        "extism:host/env",
        "env",
        "",
        "a b",
    ] {
        assert!(AppFunctions::new(module).is_err(), "{module:?}");
    }
    // Extism's host-function module is the application's.
    assert!(AppFunctions::new("extism:host/user").is_ok());
    let ok = |_: &caplet_core::AppCall<'_>, _: &[u8]| Ok(Vec::new());
    let set = AppFunctions::new("app").unwrap();
    assert!(
        set.clone().bytes("f", "kv", ok).is_err(),
        "not an app: capability"
    );
    assert!(
        set.clone().bytes("f", "app:x.*", ok).is_err(),
        "no wildcards"
    );
    assert!(set
        .clone()
        .numbers("f", "app:x", &[ValType::Other], &[], |_, _, _| Ok(()))
        .is_err());
    let twice = set.bytes("f", "app:x", ok).unwrap();
    assert!(twice.clone().bytes("f", "app:y", ok).is_err(), "duplicate");
    let err = Runtime::with_functions(EngineLimits::default(), [twice.clone(), twice]).unwrap_err();
    assert!(err.to_string().contains("given twice"), "{err}");
}

#[test]
fn a_numbers_function_that_returns_a_wrong_type_is_a_host_error() {
    let functions = AppFunctions::new("m")
        .unwrap()
        .numbers("f", "app:f", &[], &[ValType::I64], |_, _, r| {
            r[0] = Value::I32(1);
            Ok(())
        })
        .unwrap();
    let rt = Runtime::with_functions(EngineLimits::default(), [functions]).unwrap();
    let wasm = caplet_tests::wat_str(
        r#"(module
            (import "m" "f" (func $f (result i64)))
            (memory (export "memory") 1)
            (func (export "go") (result i64) call $f))"#,
    );
    let audit = Arc::new(RecordingAudit::default());
    let plugin = load_on(&rt, &wasm, &["app:f"], Limits::default(), &audit).unwrap();
    let err = plugin
        .instantiate()
        .unwrap()
        .call_typed("go", &[])
        .unwrap_err();
    assert_eq!(err.kind(), caplet_core::ErrorKind::Host, "{err}");
    assert!(err.to_string().contains("m.f"), "{err}");
}
