//! Fuel: budgets per call, slices with a hook between them, interruption.

use caplet_core::{Error, Interrupt, Limits, Value};
use caplet_tests::{load_limited, plugin, wat};

fn spin_plugin(fuel: u64, slice: u64) -> caplet_core::Plugin {
    let limits = Limits::default().with_fuel(fuel).with_fuel_slice(slice);
    load_limited(&wat("spin"), limits)
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
    let p = load_limited(&plugin("compute"), limits);
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
    let small = load_limited(&plugin("compute"), Limits::default().with_fuel(10_000));
    let e = small
        .instantiate()
        .unwrap()
        .call("primes", b"100000")
        .unwrap_err();
    assert!(matches!(e, Error::OutOfFuel { used: 10_000 }), "{e}");
    let big = load_limited(&plugin("compute"), Limits::default().with_fuel(500_000_000));
    assert_eq!(
        big.instantiate()
            .unwrap()
            .call("primes", b"100000")
            .unwrap(),
        b"9592"
    );
}

/// Fuel of one warm call of `entry` on the echo fixture with 64 bytes of input.
fn warm_echo_fuel(entry: &str) -> u64 {
    let mut i = caplet_tests::load(&plugin("echo"), &[])
        .unwrap()
        .instantiate()
        .unwrap();
    let input = [b'a'; 64];
    for _ in 0..3 {
        assert_eq!(i.call(entry, &input).unwrap(), input);
    }
    i.last_usage().fuel_used
}

#[test]
fn the_kits_echo_costs_a_few_hundred_fuel_per_call() {
    // The kit's call arena and kept output buffer: a warm call of the
    // `Output` form allocates nothing (252 fuel when written; dlmalloc made
    // it 2,726). wasmi charges one fuel per wasm operator, for all of a
    // function's code outside loops and `if`s, taken or not: the floor of a
    // hand-written module (a bump allocator, an echo returning its input) is
    // 18 fuel; Rust's function frames and checks make up the rest.
    let into = warm_echo_fuel("echo");
    eprintln!("echo (Output form): {into} fuel");
    assert!(into <= 300, "echo took {into} fuel per warm call");
    // The easy form allocates the Vec it returns: one malloc and free more.
    let vec = warm_echo_fuel("echo_vec");
    eprintln!("echo_vec (Vec form): {vec} fuel");
    assert!(vec > into, "echo_vec {vec} <= echo {into}");
}

/// wasmi charges fuel per block: when it translates a function it sums the cost of
/// each block's operators into the block's `ConsumeFuel` operator. The vendored
/// wasmi sums them in a Caplet patch (`OpEncoder::bump_fuel_consumption_by`, see
/// vendor/README.md) instead of rewriting the encoded sum for every operator. The
/// figures below are what the unpatched code charged, measured before the patch:
/// one long block, a loop with nested blocks, `if`s and memory accesses, calls with
/// a `br_table`, and loops of every back-edge shape (a `br_if` on a local, an f64
/// comparison, loop parameters, nested loops, a body of only the back-edge, a
/// `br_table`), each at several trip counts, must cost exactly the same.
#[test]
fn fuel_charged_per_block_is_what_wasmi_charged_before_the_patch() {
    let mut i = caplet_tests::load(&wat("fuel_shapes"), &[])
        .unwrap()
        .instantiate()
        .unwrap();
    let cases: [(&str, i32, u64); 25] = [
        ("straight", 7, 30),
        ("loops", 0, 16),
        ("loops", 1, 47),
        ("loops", 37, 983),
        ("calls", 1, 39),
        ("calls", 2, 76),
        ("calls", 25, 903),
        ("brif_local", 1, 15),
        ("brif_local", 2, 28),
        ("brif_local", 25, 327),
        ("f64_loop", 1, 30),
        ("f64_loop", 3, 86),
        ("f64_loop", 20, 562),
        ("loop_params", 1, 13),
        ("loop_params", 2, 23),
        ("loop_params", 25, 253),
        ("nested", 1, 26),
        ("nested", 3, 87),
        ("nested", 9, 582),
        ("tee_loop", 1, 8),
        ("tee_loop", 2, 14),
        ("tee_loop", 40, 242),
        ("table_loop", 1, 14),
        ("table_loop", 2, 26),
        ("table_loop", 25, 302),
    ];
    let mut charged = Vec::new();
    for (name, arg, _) in cases {
        i.call_typed(name, &[Value::I32(arg)]).unwrap();
        charged.push((name, arg, i.last_usage().fuel_used));
    }
    let expected: Vec<_> = cases.to_vec();
    assert_eq!(charged, expected);
}

/// A loop's fuel is charged by the `ConsumeFuel` op at its header; when the fuel
/// left does not suffice, the call stops there, and a sliced call refills and
/// resumes there. Budgets around a loop's cost, and slices of every size, must end
/// the same way: the same fuel, the same result, out of fuel one unit below.
/// `scripts/test.sh` runs this file in a release build too, on wasmi's tail-call
/// dispatcher (x86_64 and aarch64), which test builds do not use.
#[test]
fn a_loop_runs_out_of_fuel_at_the_same_point_with_any_budget_or_slice() {
    let load = |fuel: u64, slice: u64| {
        let limits = Limits::default().with_fuel(fuel).with_fuel_slice(slice);
        load_limited(&wat("fuel_shapes"), limits)
            .instantiate()
            .unwrap()
    };
    // `loops` with n = 37 costs 983 fuel (pinned above), most of it in its loop.
    let expected = load(1_000_000, 1_000_000)
        .call_typed("loops", &[Value::I32(37)])
        .unwrap();
    for slice in [1, 2, 7, 16, 31, 64, 500, 982, 983, 10_000] {
        let mut hook = |_used: u64| Ok(());
        let mut i = load(983, slice);
        let out = i.call_typed_with("loops", &[Value::I32(37)], &mut hook);
        assert_eq!(out.as_ref(), Ok(&expected), "slice {slice}");
        assert_eq!(i.last_usage().fuel_used, 983, "slice {slice}");
        let mut i = load(982, slice);
        let e = i
            .call_typed_with("loops", &[Value::I32(37)], &mut hook)
            .unwrap_err();
        assert_eq!(e, Error::OutOfFuel { used: 982 }, "slice {slice}");
    }
    // Without slices (no hook) the same, and after a call that ran out the
    // replaced instance charges what a fresh one does.
    let mut i = load(983, 1_000_000);
    let out = i.call_typed("loops", &[Value::I32(37)]);
    assert_eq!(out.as_ref(), Ok(&expected));
    assert_eq!(i.last_usage().fuel_used, 983);
    let mut i = load(982, 1_000_000);
    let e = i.call_typed("loops", &[Value::I32(37)]).unwrap_err();
    assert_eq!(e, Error::OutOfFuel { used: 982 });
    i.call_typed("loops", &[Value::I32(1)]).unwrap();
    assert_eq!(i.last_usage().fuel_used, 47);
}
