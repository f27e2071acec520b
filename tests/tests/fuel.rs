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
/// a `br_table`, and loops of every back-edge shape (a `br_if` on a local in a
/// register or in its slot, a `br` and a `br_if` that copy values, an f64
/// comparison, loop parameters, nested loops, a body of only the back-edge, a
/// `br_table`), each at several trip counts, must cost exactly the same.
#[test]
fn fuel_charged_per_block_is_what_wasmi_charged_before_the_patch() {
    let mut i = caplet_tests::load(&wat("fuel_shapes"), &[])
        .unwrap()
        .instantiate()
        .unwrap();
    let cases: [(&str, i32, u64); 34] = [
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
        ("brif_slot", 1, 13),
        ("brif_slot", 2, 24),
        ("brif_slot", 25, 277),
        ("br_copies", 1, 33),
        ("br_copies", 2, 47),
        ("br_copies", 25, 369),
        ("brif_copies", 1, 18),
        ("brif_copies", 2, 33),
        ("brif_copies", 25, 378),
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

/// The fuel the hook saw at the stops of a sliced call (`used`, before each
/// refill), as the number of stops and an FNV-1a digest of the sequence.
fn stops_fingerprint(seen: &[u64]) -> (usize, u64) {
    let mut digest: u64 = 0xcbf2_9ce4_8422_2325;
    for used in seen {
        for byte in used.to_le_bytes() {
            digest ^= u64::from(byte);
            digest = digest.wrapping_mul(0x0100_0000_01b3);
        }
    }
    (seen.len(), digest)
}

/// A loop's fuel is charged by the `ConsumeFuel` op at its header; when the fuel
/// left does not suffice, the call stops there, and a sliced call refills and resumes there. For every shape,
/// budgets around its cost and slices of every size must end the same way: the
/// same fuel, the same result, out of fuel below the cost; and the hook must see
/// the same fuel used at every stop, pinned before the patch at slices 1, 2, 3 and
/// 7 (the fuel charged so far at each stop: a block's charge split, merged, moved
/// or made at another time changes them).
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
    // (export, argument, fuel of the call as pinned above, the hook's stops at
    // slices 1, 2, 3 and 7 as `stops_fingerprint`).
    type Stops = [(usize, u64); 4];
    #[rustfmt::skip]
    let shapes: [(&str, i32, u64, Stops); 12] = [
        ("straight", 7, 30, [(29, 0x60963a2f93896b45), (14, 0xa4ca53d582377be5), (9, 0x3ecb33e15783bec5), (4, 0x0c8210784d8af5a5)]),
        ("loops", 37, 983, [(982, 0x15664f09abe9d672), (491, 0x64cf659b54a6a1b5), (327, 0x120f6e09dddddc3d), (140, 0x5abe8c06e146481b)]),
        ("calls", 25, 903, [(902, 0xd07eb58004eb8aac), (451, 0xa17e6d0dcbeccc0f), (300, 0x0626ed44dcb31307), (128, 0x0e25d977598e47c1)]),
        ("brif_local", 25, 327, [(326, 0x14e362992acf0f70), (163, 0x6e9b4b1c8efc44e0), (108, 0x51fb1d2f6d2683f2), (46, 0x802284040717c76e)]),
        ("brif_slot", 25, 277, [(276, 0x971b354ce5e55810), (138, 0x52dce409a713f069), (92, 0xa087554f587bff05), (39, 0x619ffdd00f077515)]),
        ("br_copies", 25, 369, [(368, 0x582d9efd03d2f705), (184, 0xe8c86853d92b3d88), (122, 0x0cf363bdc452f118), (52, 0xc159c056055dff85)]),
        ("brif_copies", 25, 378, [(377, 0xcad168c6309b7446), (188, 0xd7efac063559b196), (125, 0x60180f811bf693b6), (53, 0xa5750972d39b04d0)]),
        ("f64_loop", 20, 562, [(561, 0x1c03dbd3105e6519), (280, 0x5a72ecf94f4e6d07), (187, 0x4d186920a595c291), (80, 0x3f03d060558e6ff1)]),
        ("loop_params", 25, 253, [(252, 0x6c5b5cc48aeb8b45), (126, 0x1579f43eeb426946), (84, 0x85c33d051b4a9bd5), (36, 0x7b1bf508ac3024d7)]),
        ("nested", 9, 582, [(581, 0x64673982b4186080), (290, 0xd1a0a694f5cc0d88), (193, 0x6301cea8b735f8ab), (83, 0x23de9fa0d3ecc737)]),
        ("tee_loop", 40, 242, [(241, 0x9f57f5a69c38b585), (120, 0xe5943cfc71eaec45), (80, 0x55b3fc3aedec6fe5), (34, 0x51ad460018c185cf)]),
        ("table_loop", 25, 302, [(301, 0x80c858e386aadeed), (150, 0x25266fbcc2cfccb9), (100, 0xf9b6fce290a9445d), (43, 0xc57a6b625ea10537)]),
    ];
    let mut all_stops = Vec::new();
    for (name, arg, cost, _) in shapes {
        let args = [Value::I32(arg)];
        let expected = load(1_000_000, 1_000_000).call_typed(name, &args).unwrap();
        for budget in cost - 3..=cost {
            for slice in [1, 2, 3, 7, 16, 31, 64, 500, cost - 1, cost, 10_000] {
                let mut hook = |_used: u64| Ok(());
                let mut i = load(budget, slice);
                let out = i.call_typed_with(name, &args, &mut hook);
                if budget == cost {
                    assert_eq!(out.as_ref(), Ok(&expected), "{name} slice {slice}");
                    assert_eq!(i.last_usage().fuel_used, cost, "{name} slice {slice}");
                } else {
                    let e = out.unwrap_err();
                    let want = Error::OutOfFuel { used: budget };
                    assert_eq!(e, want, "{name} budget {budget} slice {slice}");
                }
            }
        }
        let mut stops = [(0, 0); 4];
        for (slice, stop) in [1, 2, 3, 7].into_iter().zip(&mut stops) {
            let mut seen = Vec::new();
            let mut hook = |used: u64| {
                seen.push(used);
                Ok(())
            };
            let mut i = load(cost, slice);
            let out = i.call_typed_with(name, &args, &mut hook);
            assert_eq!(out.as_ref(), Ok(&expected), "{name} slice {slice}");
            *stop = stops_fingerprint(&seen);
        }
        all_stops.push((name, arg, cost, stops));
        // Without slices (no hook) the same, and after a call that ran out the
        // replaced instance charges what a fresh one does.
        let mut i = load(cost, 1_000_000);
        let out = i.call_typed(name, &args);
        assert_eq!(out.as_ref(), Ok(&expected), "{name}");
        assert_eq!(i.last_usage().fuel_used, cost, "{name}");
        let mut i = load(cost - 1, 1_000_000);
        let e = i.call_typed(name, &args).unwrap_err();
        assert_eq!(e, Error::OutOfFuel { used: cost - 1 }, "{name}");
        i.call_typed("tee_loop", &[Value::I32(1)]).unwrap();
        assert_eq!(i.last_usage().fuel_used, 8, "{name}");
    }
    assert_eq!(all_stops, shapes.to_vec());
}
