//! Hostile guests: every misbehaviour ends in a clear error, never a host panic, and
//! never leaves a broken instance in use.

use caplet_core::{Code, Error, Limits};
use caplet_tests::{load, load_with, plugin, wat, wat_str, Recorder};

fn guest_code(e: &Error) -> Option<Code> {
    match e {
        Error::Guest { code, .. } => *code,
        _ => None,
    }
}

#[test]
fn caplet_alloc_returning_zero_is_a_contract_violation() {
    let mut i = load(&wat("alloc_zero"), &[])
        .unwrap()
        .instantiate()
        .unwrap();
    let e = i.call("echo", b"hello").unwrap_err();
    assert!(matches!(e, Error::ContractViolation { .. }), "{e}");
    assert!(e.to_string().contains("caplet_alloc(5) returned 0"), "{e}");
    // Empty input never calls caplet_alloc.
    assert_eq!(i.call("echo", b"").unwrap(), b"");
}

#[test]
fn caplet_alloc_returning_an_out_of_range_pointer_is_refused() {
    let p = load(&wat("alloc_out_of_range"), &["kv"]).unwrap();
    let mut i = p.instantiate().unwrap();
    let e = i.call("echo", b"0123456789").unwrap_err();
    assert!(e.to_string().contains("returned 65530"), "{e}");
    // The same pointer handed back during a host call (kv_get of an existing key).
    let rec = Recorder::default();
    use caplet_core::platform::KvStore;
    rec.kv
        .set("alloc_out_of_range", "key", b"0123456789", 10)
        .unwrap();
    let mut named = caplet_core::Runtime::default()
        .load(
            &wat("alloc_out_of_range"),
            caplet_core::PluginConfig {
                name: Some("alloc_out_of_range".into()),
                grants: caplet_core::Grants::from_strs(["kv"]).unwrap(),
                platform: rec.platform.clone(),
                ..Default::default()
            },
        )
        .unwrap()
        .instantiate()
        .unwrap();
    let e = named.call("get", b"").unwrap_err();
    assert!(matches!(e, Error::ContractViolation { .. }), "{e}");
    assert!(e.to_string().contains("for `kv_get`"), "{e}");
}

#[test]
fn infinite_loop_in_caplet_alloc_during_a_host_call_runs_out_of_fuel() {
    let rec = Recorder::default();
    use caplet_core::platform::KvStore;
    rec.kv.set("plugin", "key", b"value", 10).unwrap();
    let limits = Limits::default().with_fuel(200_000).with_fuel_slice(10_000);
    let p = load_with(&wat("alloc_spin"), &["kv"], limits, rec.platform.clone()).unwrap();
    let mut i = p.instantiate().unwrap();
    let e = i.call("get", b"").unwrap_err();
    assert!(matches!(e, Error::OutOfFuel { .. }), "{e}");
    assert!(i.is_poisoned());
}

#[test]
fn trap_inside_caplet_alloc_during_a_host_call_is_reported() {
    let rec = Recorder::default();
    use caplet_core::platform::KvStore;
    rec.kv.set("plugin", "key", b"value", 10).unwrap();
    let p = load_with(
        &wat("alloc_trap"),
        &["kv"],
        Limits::default(),
        rec.platform.clone(),
    )
    .unwrap();
    let mut i = p.instantiate().unwrap();
    let e = i.call("get", b"").unwrap_err();
    match &e {
        Error::Trap { during, message } => {
            assert!(
                during.contains("caplet_alloc") && during.contains("kv_get"),
                "{during}"
            );
            assert!(message.contains("unreachable"), "{message}");
        }
        other => panic!("expected a trap, got {other}"),
    }
}

#[test]
fn pointers_and_lengths_out_of_range_return_error_codes() {
    let rec = Recorder::default();
    let p = load_with(
        &wat("bad_pointers"),
        &["kv", "log"],
        Limits::default(),
        rec.platform.clone(),
    )
    .unwrap();
    let mut i = p.instantiate().unwrap();
    for (entry, code) in [
        ("key_past_end", Code::InvalidInput),
        ("key_negative_ptr", Code::InvalidInput),
        ("value_huge_len", Code::Limit),
        ("key_not_utf8", Code::InvalidInput),
    ] {
        let e = i.call(entry, b"").unwrap_err();
        assert_eq!(guest_code(&e), Some(code), "{entry}: {e}");
    }
    // Nothing reached the store.
    assert_eq!(rec.kv.len("plugin"), 0);
}

#[test]
fn bad_log_and_error_arguments() {
    let rec = Recorder::default();
    let p = load_with(
        &wat("bad_pointers"),
        &["kv", "log"],
        Limits::default(),
        rec.platform.clone(),
    )
    .unwrap();
    let mut i = p.instantiate().unwrap();
    let e = i.call("log_past_end", b"").unwrap_err();
    assert!(
        e.to_string().contains("log: (65000, 1000) is outside"),
        "{e}"
    );
    let e = i.call("log_bad_level", b"").unwrap_err();
    assert!(e.to_string().contains("level 9"), "{e}");
    // Oversized line: truncated to the cap with a marker.
    i.call("log_huge", b"").unwrap();
    let lines = rec.log.lines();
    let (_, _, line) = lines.last().unwrap();
    assert!(
        line.ends_with("[truncated 5904 bytes]"),
        "{}",
        &line[line.len() - 40..]
    );
    assert!(line.len() < 4096 + 64);
    // Non-UTF-8 error messages are kept, lossily.
    let e = i.call("error_not_utf8", b"").unwrap_err();
    match e {
        Error::Guest {
            code: Some(Code::InvalidInput),
            message: Some(m),
            ..
        } => assert!(m.starts_with("key\u{fffd}")),
        other => panic!("{other}"),
    }
    let e = i.call("error_unknown_code", b"").unwrap_err();
    assert!(
        matches!(
            e,
            Error::Guest {
                code: None,
                raw: 99,
                ..
            }
        ),
        "{e}"
    );
    let e = i.call("error_min", b"").unwrap_err();
    assert!(
        matches!(
            e,
            Error::Guest {
                code: None,
                raw: i64::MAX,
                ..
            }
        ),
        "{e}"
    );
}

#[test]
fn outputs_outside_memory_or_over_the_cap_are_refused() {
    let p = load(&wat("bad_output"), &[]).unwrap();
    let mut i = p.instantiate().unwrap();
    let e = i.call("overlap_end", b"").unwrap_err();
    assert!(
        e.to_string()
            .contains("65532..65540 outside its 65536-byte memory"),
        "{e}"
    );
    let e = i.call("huge_len", b"").unwrap_err();
    assert!(e.to_string().contains("output cap"), "{e}");
    let e = i.call("far_ptr", b"").unwrap_err();
    assert!(matches!(e, Error::ContractViolation { .. }), "{e}");
    assert_eq!(i.call("last_byte", b"").unwrap(), [0u8]);
}

#[test]
fn rust_guest_returning_output_past_the_end() {
    let mut i = load(&plugin("hostile"), &[])
        .unwrap()
        .instantiate()
        .unwrap();
    let e = i.call("bad_output", b"").unwrap_err();
    assert!(matches!(e, Error::ContractViolation { .. }), "{e}");
}

#[test]
fn deep_recursion_traps_cleanly() {
    let mut i = load(&wat("deep_recursion"), &[])
        .unwrap()
        .instantiate()
        .unwrap();
    let e = i
        .call_typed("recurse", &[caplet_core::Value::I32(0)])
        .unwrap_err();
    match &e {
        Error::Trap { message, .. } => assert!(message.contains("stack"), "{message}"),
        other => panic!("{other}"),
    }
    // The Rust guest overflows its shadow stack first: also a clean trap.
    let mut i = load(&plugin("hostile"), &[])
        .unwrap()
        .instantiate()
        .unwrap();
    assert!(matches!(
        i.call("recurse", b"").unwrap_err(),
        Error::Trap { .. }
    ));
}

#[test]
fn malformed_and_truncated_modules() {
    for (bytes, needle) in [
        (b"not wasm at all".to_vec(), "invalid wasm module"),
        (vec![], "invalid wasm module"),
        (b"\0asm\x01\0\0\0\x01".to_vec(), "invalid wasm module"),
    ] {
        let e = load(&bytes, &[]).unwrap_err();
        assert!(e.to_string().contains(needle), "{e}");
    }
    let echo = plugin("echo");
    for cut in [9, 100, echo.len() / 2, echo.len() - 1] {
        let e = load(&echo[..cut], &[]).unwrap_err();
        assert!(
            matches!(e, Error::BadModule { .. } | Error::Manifest { .. }),
            "cut at {cut}: {e}"
        );
    }
}

#[test]
fn operators_of_proposals_wasmi_does_not_run_are_refused_by_name() {
    // The vendored wasmparser decodes these opcodes only with features Caplet leaves
    // off (vendor/README.md); either way the load fails naming the proposal.
    for (body, needle) in [
        ("atomic.fence", "threads support is not enabled"),
        ("(try_table)", "exceptions support is not enabled"),
        (
            "(drop (ref.as_non_null (ref.func $f)))",
            "function-references and gc support is not enabled",
        ),
    ] {
        assert_bad_module(&format!("(elem declare func $f) (func $f {body})"), needle);
    }
}

/// Loads a module of `fields` (beside an exported memory) and checks that it is
/// refused as a bad module whose message contains `needle`.
fn assert_bad_module(fields: &str, needle: &str) {
    let wasm = wat_str(&format!("(module (memory (export \"memory\") 1) {fields})"));
    let e = load(&wasm, &[]).unwrap_err();
    assert!(matches!(e, Error::BadModule { .. }), "{fields}: {e}");
    assert!(e.to_string().contains(needle), "{fields}: {e}");
}

#[test]
fn constant_expressions_are_read_without_the_full_operator_decoder() {
    // The vendored wasmparser and wasmi read constant expressions with a decoder of
    // their own operators (vendor/README.md): every kind still initialises...
    let wasm = wat_str(
        r#"(module (memory (export "memory") 1)
            (global $a i32 (i32.const 40))
            (global $b i64 (i64.mul (i64.const 6) (i64.sub (i64.const 10) (i64.const 3))))
            (global $c f64 (f64.const 1.5))
            (global $d funcref (ref.func $get))
            (global $e externref (ref.null extern))
            (table 2 funcref)
            (elem (i32.add (i32.const 0) (i32.const 1)) func $get)
            (data (i32.sub (i32.const 20) (i32.const 4)) "hi")
            (func $get (export "get") (result i64)
                (i64.add
                    (i64.add (i64.extend_i32_u (global.get $a)) (global.get $b))
                    (i64.add (i64.trunc_f64_u (global.get $c))
                        (i64.load16_u (i32.const 16))))))"#,
    );
    let mut i = load(&wasm, &[]).unwrap().instantiate().unwrap();
    // 40 + 42 + 1 + "hi" as a little-endian u16.
    let expected = 40 + 42 + 1 + i64::from(u16::from_le_bytes(*b"hi"));
    assert_eq!(
        i.call_typed("get", &[]).unwrap(),
        vec![caplet_core::Value::I64(expected)]
    );
    // ...and a non-constant operator is refused, never run.
    for init in [
        "(i32.clz (i32.const 1))",
        "(i32.load (i32.const 0))",
        "(nop) (i32.const 1)",
    ] {
        assert_bad_module(
            &format!("(global i32 {init})"),
            "constant expression required",
        );
    }
}

#[test]
fn modules_declaring_huge_counts_are_refused_before_compiling() {
    // A function section claiming 2^32-1 functions, with nothing behind it.
    let mut m = b"\0asm\x01\0\0\0".to_vec();
    m.extend_from_slice(&[0x01, 0x04, 0x01, 0x60, 0x00, 0x00]); // type section: one () -> ()
    m.extend_from_slice(&[0x03, 0x05, 0xff, 0xff, 0xff, 0xff, 0x0f]); // function section
    let e = load(&m, &[]).unwrap_err();
    assert!(matches!(e, Error::ModuleTooLarge { .. }), "{e}");
    assert!(e.to_string().contains("4294967295 functions"), "{e}");
    // Many real functions: above the configured limit.
    let funcs: String = (0..50).map(|i| format!("(func $f{i})")).collect();
    let wasm = wat_str(&format!("(module (memory (export \"memory\") 1) {funcs})"));
    let limits = Limits {
        max_functions: 10,
        ..Limits::default()
    };
    let e = load_with(&wasm, &[], limits, caplet_core::Platform::new()).unwrap_err();
    assert!(
        e.to_string()
            .contains("50 functions, more than the limit of 10"),
        "{e}"
    );
    // Module size above the cap.
    let limits = Limits {
        max_module_bytes: 1000,
        ..Limits::default()
    };
    let e = load_with(&plugin("echo"), &[], limits, caplet_core::Platform::new()).unwrap_err();
    assert!(
        e.to_string().contains("more than the 1000-byte limit"),
        "{e}"
    );
    // Compile budget too small for the module.
    let limits = Limits {
        compile_memory_bytes: 64 * 1024,
        ..Limits::default()
    };
    let e = load_with(
        &plugin("compute"),
        &[],
        limits,
        caplet_core::Platform::new(),
    )
    .unwrap_err();
    assert!(e.to_string().contains("compile budget"), "{e}");
}

#[test]
fn a_trapping_start_function_fails_instantiation() {
    let p = load(&wat("start_trap"), &[]).unwrap();
    let e = p.instantiate().unwrap_err();
    assert!(matches!(e, Error::Trap { .. }), "{e}");
}

#[test]
fn rust_guest_panic_is_a_trap_and_the_instance_recovers() {
    let p = load(&plugin("hostile"), &[]).unwrap();
    let mut i = p.instantiate().unwrap();
    let e = i.call("panic", b"").unwrap_err();
    assert!(e.to_string().contains("unreachable"), "{e}");
    assert!(i.is_poisoned());
    // The next call runs on a fresh instance.
    let e = i.call("bad_output", b"").unwrap_err();
    assert!(matches!(e, Error::ContractViolation { .. }));
}

#[test]
fn a_message_set_just_before_a_trap_is_kept_with_the_trap() {
    // What a guest's abort or panic handler does: set the error, then trap.
    let wasm = wat_str(
        r#"(module
            (import "caplet" "set_error" (func $set_error (param i32 i32)))
            (memory (export "memory") 1)
            (data (i32.const 16) "index out of range")
            (func (export "caplet_alloc") (param i32) (result i32) (i32.const 1024))
            (func (export "crash") (param i32 i32) (result i64)
                (call $set_error (i32.const 16) (i32.const 18))
                unreachable))"#,
    );
    let mut i = load(&wasm, &[]).unwrap().instantiate().unwrap();
    let e = i.call("crash", b"").unwrap_err();
    assert!(matches!(e, Error::Trap { .. }), "{e:?}");
    assert_eq!(
        e.to_string(),
        "guest trapped in `crash`: wasm `unreachable` instruction executed; \
         the plugin's error message: index out of range"
    );
    // The trapped instance is discarded; the next call's trap carries its own.
    let e = i.call("crash", b"").unwrap_err();
    assert!(e.to_string().ends_with("index out of range"), "{e}");
}
