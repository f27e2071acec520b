//! Every guest call runs in fuel slices with the slice hook, whoever starts it: an
//! entry, `_initialize`, the module's `start` function, or the host running
//! `caplet_alloc` to hand a host result to the guest. And the start function gets
//! the budget of a call, not one slice.

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
