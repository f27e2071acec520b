//! Every guest call runs in fuel slices with the slice hook, whoever starts it: an
//! entry, `_initialize`, the module's `start` function, or the host running
//! `caplet_alloc` to hand a host result to the guest. And the start function gets
//! the budget of a call, not one slice. A call whose hook needs no slices (`NoHook`)
//! gets its whole budget at once and runs as plain wasmi calls: same results, same
//! fuel, same errors.

use caplet_core::{Error, Interrupt, Limits, Plugin, PluginConfig, Runtime, Value};
use caplet_tests::wat_str;

fn load(text: &str, fuel: u64, slice: u64) -> Plugin {
    Runtime::default()
        .load(
            &wat_str(text),
            PluginConfig {
                limits: Limits::default().with_fuel(fuel).with_fuel_slice(slice),
                config: [("key".to_string(), "value".to_string())].into(),
                ..Default::default()
            },
        )
        .unwrap()
}

/// A hook that stops the call on its third slice boundary, as a deadline would.
fn deadline_after_three_slices() -> impl FnMut(u64) -> Result<(), Interrupt> {
    let mut slices = 0;
    move |_| {
        slices += 1;
        if slices >= 3 {
            Err(Interrupt::Deadline { elapsed_ms: 1 })
        } else {
            Ok(())
        }
    }
}

const LOOPING_ALLOC: &str = r#"(module
    (import "caplet" "config_get" (func $config_get (param i32 i32) (result i64)))
    (memory (export "memory") 1)
    (data (i32.const 16) "key")
    (func (export "caplet_alloc") (param i32) (result i32) (loop $l (br $l)) i32.const 0)
    (func (export "go") (result i64) (call $config_get (i32.const 16) (i32.const 3))))"#;

#[test]
fn a_looping_caplet_alloc_called_for_a_host_result_stops_at_the_deadline() {
    let mut i = load(LOOPING_ALLOC, u64::MAX / 2, 10_000)
        .instantiate()
        .unwrap();
    let e = i
        .call_typed_with("go", &[], &mut deadline_after_three_slices())
        .unwrap_err();
    assert!(
        matches!(
            e,
            Error::Interrupted {
                reason: Interrupt::Deadline { .. },
                ..
            }
        ),
        "{e}"
    );
    assert!(i.is_poisoned());
}

#[test]
fn a_looping_caplet_alloc_uses_the_calls_budget_and_reports_it() {
    let mut i = load(LOOPING_ALLOC, 300_000, 10_000).instantiate().unwrap();
    let e = i.call_typed("go", &[]).unwrap_err();
    assert_eq!(e, Error::OutOfFuel { used: 300_000 });
}

#[test]
fn a_looping_initialize_stops_at_the_deadline() {
    let plugin = load(
        r#"(module (memory (export "memory") 1)
            (func (export "_initialize") (loop $l (br $l))))"#,
        u64::MAX / 2,
        10_000,
    );
    let e = plugin
        .instantiate_with(&mut deadline_after_three_slices())
        .unwrap_err();
    assert!(matches!(e, Error::Interrupted { .. }), "{e}");
}

const LOOPING_START: &str = r#"(module (memory (export "memory") 1)
    (func $s (loop $l (br $l))) (start $s))"#;

#[test]
fn a_looping_start_function_stops_at_the_deadline() {
    let e = load(LOOPING_START, u64::MAX / 2, 10_000)
        .instantiate_with(&mut deadline_after_three_slices())
        .unwrap_err();
    assert!(matches!(e, Error::Interrupted { .. }), "{e}");
}

#[test]
fn a_looping_start_function_runs_out_of_the_calls_budget_and_reports_it() {
    let e = load(LOOPING_START, 250_000, 10_000)
        .instantiate()
        .unwrap_err();
    assert_eq!(e, Error::OutOfFuel { used: 250_000 });
}

#[test]
fn a_start_function_longer_than_one_slice_completes_within_the_budget() {
    // About 600k fuel of work in the start function, slices of 100k, budget 10M.
    let plugin = load(
        r#"(module (memory (export "memory") 1)
            (global $done (mut i32) (i32.const 0))
            (func $s (local $n i32)
                (local.set $n (i32.const 200000))
                (loop $l (local.set $n (i32.sub (local.get $n) (i32.const 1)))
                         (br_if $l (local.get $n)))
                (global.set $done (i32.const 1)))
            (start $s)
            (func (export "done") (result i32) global.get $done))"#,
        10_000_000,
        100_000,
    );
    let mut i = plugin.instantiate().unwrap();
    assert_eq!(i.call_typed("done", &[]).unwrap(), [Value::I32(1)]);
    // The relocated start function is not callable by name.
    let e = i.call_typed("caplet:start", &[]).unwrap_err();
    assert!(matches!(e, Error::MissingExport { .. }), "{e}");
}

/// A hook that never interrupts but, unlike `NoHook`, asks for slices: the call
/// takes the resumable path, slice by slice.
fn every_slice() -> impl FnMut(u64) -> Result<(), Interrupt> {
    |_| Ok(())
}

#[test]
fn a_looping_caplet_alloc_reports_the_same_budget_sliced_and_unsliced() {
    // `call_typed` (NoHook) gives the whole budget at once and runs caplet_alloc as
    // a plain call; a hook that asks for slices runs it resumably. Both end the
    // call out of fuel with the whole budget used, and poison the instance.
    let plugin = load(LOOPING_ALLOC, 300_000, 10_000);
    let mut unsliced = plugin.instantiate().unwrap();
    let mut sliced = plugin.instantiate().unwrap();
    let a = unsliced.call_typed("go", &[]).unwrap_err();
    let b = sliced
        .call_typed_with("go", &[], &mut every_slice())
        .unwrap_err();
    assert_eq!(a, Error::OutOfFuel { used: 300_000 });
    assert_eq!(b, a);
    assert!(unsliced.is_poisoned() && sliced.is_poisoned());
    assert_eq!(unsliced.last_usage().fuel_used, 300_000);
    assert_eq!(sliced.last_usage().fuel_used, 300_000);
}

#[test]
fn entry_calls_and_host_results_cost_the_same_fuel_sliced_and_unsliced() {
    use caplet_core::platform::testing::full;
    use caplet_tests::{load_with, plugin};
    // The kit's echo (caplet_alloc and an entry) and kv_counter (host calls whose
    // results the host hands over through a nested caplet_alloc), each warm, with
    // slices far smaller than a call so the sliced path refills many times.
    for (name, caps, entry, input) in [
        ("echo", &[][..], "echo", &b"same fuel either way"[..]),
        ("echo", &[][..], "echo_vec", &[7u8; 4096][..]),
        ("kv_counter", &["kv"][..], "incr", &b"hits"[..]),
    ] {
        let wasm = plugin(name);
        let fuel_of = |sliced: bool| {
            // A fresh platform (and KV store) per run: both count from zero.
            let limits = Limits::default().with_fuel_slice(50);
            let p = load_with(&wasm, caps, limits, full()).unwrap();
            let mut i = p.instantiate().unwrap();
            let mut out = Vec::new();
            for _ in 0..3 {
                out = if sliced {
                    i.call_with(entry, input, &mut every_slice()).unwrap()
                } else {
                    i.call(entry, input).unwrap()
                };
            }
            (out, i.last_usage())
        };
        let (out_a, a) = fuel_of(false);
        let (out_b, b) = fuel_of(true);
        assert_eq!(out_a, out_b, "{name}.{entry}");
        assert_eq!(a.fuel_used, b.fuel_used, "{name}.{entry}");
        assert_eq!(a.host_calls, b.host_calls, "{name}.{entry}");
    }
}

#[test]
fn an_initialize_whose_host_result_needs_more_than_a_slice_completes_unsliced_and_sliced() {
    // `_initialize` asks the host for a config value; the guest's caplet_alloc
    // then spends about 30k fuel (three 10k slices) before it answers. With the
    // budget at 1M both paths complete: unsliced (`instantiate`, NoHook) with the
    // whole budget in the store, sliced with refills between the slices.
    let plugin = load(
        r#"(module
            (import "caplet" "config_get" (func $config_get (param i32 i32) (result i64)))
            (memory (export "memory") 1)
            (data (i32.const 16) "key")
            (global $got (mut i64) (i64.const 0))
            (func (export "caplet_alloc") (param $len i32) (result i32) (local $n i32)
                (local.set $n (i32.const 10000))
                (loop $l (local.set $n (i32.sub (local.get $n) (i32.const 1)))
                         (br_if $l (local.get $n)))
                i32.const 1024)
            (func (export "_initialize")
                (global.set $got (call $config_get (i32.const 16) (i32.const 3))))
            (func (export "got") (result i64) global.get $got))"#,
        1_000_000,
        10_000,
    );
    // "value" (5 bytes) at 1024, packed as (1024 << 32) | 5.
    let packed = Value::I64((1024 << 32) | 5);
    let mut unsliced = plugin.instantiate().unwrap();
    assert_eq!(unsliced.call_typed("got", &[]).unwrap(), [packed]);
    let mut sliced = plugin.instantiate_with(&mut every_slice()).unwrap();
    assert_eq!(
        sliced
            .call_typed_with("got", &[], &mut every_slice())
            .unwrap(),
        [packed]
    );
}
