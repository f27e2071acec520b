//! Fuel: budgets per call, slices with a hook between them, interruption.

use caplet_core::{Error, Interrupt, Limits, Value};
use caplet_tests::{load_with, plugin, wat};

fn spin_plugin(fuel: u64, slice: u64) -> caplet_core::Plugin {
    let limits = Limits::default().with_fuel(fuel).with_fuel_slice(slice);
    load_with(&wat("spin"), &[], limits, caplet_core::Platform::new()).unwrap()
}

#[test]
fn an_infinite_loop_runs_out_of_fuel_and_reports_the_fuel_used() {
    let mut i = spin_plugin(500_000, 100_000).instantiate().unwrap();
    let e = i.call_typed("spin", &[]).unwrap_err();
    assert_eq!(e, Error::OutOfFuel { used: 500_000 });
    assert_eq!(i.last_usage().fuel_used, 500_000);
    assert!(e.to_string().contains("500000"));
}

#[test]
fn the_hook_runs_between_slices() {
    let mut i = spin_plugin(1_000_000, 100_000).instantiate().unwrap();
    let mut seen = Vec::new();
    let mut hook = |used: u64| {
        seen.push(used);
        Ok(())
    };
    let e = i.call_typed_with("spin", &[], &mut hook).unwrap_err();
    assert!(matches!(e, Error::OutOfFuel { .. }));
    // 10 slices: the hook runs before each refill, 9 times, with growing fuel.
    assert_eq!(seen.len(), 9, "{seen:?}");
    assert!(seen.windows(2).all(|w| w[0] < w[1]), "{seen:?}");
    assert!(seen[0] <= 100_000 && seen[8] <= 900_000);
}

#[test]
fn the_hook_can_interrupt_a_call() {
    let mut i = spin_plugin(u64::MAX / 2, 50_000).instantiate().unwrap();
    let mut calls = 0;
    let mut hook = |_used: u64| {
        calls += 1;
        if calls == 3 {
            Err(Interrupt::Deadline { elapsed_ms: 7 })
        } else {
            Ok(())
        }
    };
    let e = i.call_typed_with("spin", &[], &mut hook).unwrap_err();
    match e {
        Error::Interrupted {
            reason: Interrupt::Deadline { elapsed_ms: 7 },
            fuel_used,
        } => {
            assert!((100_000..=150_000).contains(&fuel_used), "{fuel_used}")
        }
        other => panic!("{other}"),
    }
    assert!(i.is_poisoned());
}

#[test]
fn a_normal_call_reports_fuel_below_budget_and_is_deterministic() {
    let limits = Limits::default().with_fuel(50_000_000);
    let p = load_with(
        &plugin("compute"),
        &[],
        limits,
        caplet_core::Platform::new(),
    )
    .unwrap();
    let mut i = p.instantiate().unwrap();
    i.call_typed("count_primes", &[Value::I32(5000)]).unwrap();
    let warm = i.last_usage().fuel_used;
    i.call_typed("count_primes", &[Value::I32(5000)]).unwrap();
    let again = i.last_usage().fuel_used;
    // Translation is eager: the first call costs what every later call costs.
    assert!(again > 0 && again == warm, "{again} vs {warm}");
    i.call_typed("count_primes", &[Value::I32(5000)]).unwrap();
    assert_eq!(i.last_usage().fuel_used, again);
    // More work costs more fuel.
    i.call_typed("count_primes", &[Value::I32(20000)]).unwrap();
    assert!(i.last_usage().fuel_used > 3 * again);
}

#[test]
fn a_budget_too_small_for_the_work_fails_then_a_larger_one_succeeds() {
    let small = load_with(
        &plugin("compute"),
        &[],
        Limits::default().with_fuel(10_000),
        caplet_core::Platform::new(),
    )
    .unwrap();
    let e = small
        .instantiate()
        .unwrap()
        .call("primes", b"100000")
        .unwrap_err();
    assert!(matches!(e, Error::OutOfFuel { used: 10_000 }), "{e}");
    let big = load_with(
        &plugin("compute"),
        &[],
        Limits::default().with_fuel(500_000_000),
        caplet_core::Platform::new(),
    )
    .unwrap();
    assert_eq!(
        big.instantiate()
            .unwrap()
            .call("primes", b"100000")
            .unwrap(),
        b"9592"
    );
}
