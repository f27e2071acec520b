//! The memory budget: refused at load, -1 on growth, per instance, peak reported.

use caplet_core::{Error, Limits, Value};
use caplet_tests::{load_limited, load_with, plugin, wat};

fn with_memory(wasm: &[u8], bytes: u64) -> Result<caplet_core::Plugin, Error> {
    load_with(
        wasm,
        &[],
        Limits::default().with_memory(bytes),
        caplet_core::Platform::new(),
    )
}

#[test]
fn growth_past_the_budget_returns_minus_one() {
    let p = with_memory(&wat("grow_bomb"), 256 * 1024).unwrap();
    let mut i = p.instantiate().unwrap();
    // 4 pages fit in 256 KiB; the fifth grow returns -1 and the guest carries on.
    assert_eq!(i.call_typed("bomb", &[]).unwrap(), [Value::I32(4)]);
    assert_eq!(i.last_usage().memory_peak_bytes, 256 * 1024);
    assert_eq!(i.call_typed("grow_huge", &[]).unwrap(), [Value::I32(-1)]);
    assert!(!i.is_poisoned());
}

#[test]
fn each_instance_has_its_own_budget() {
    let p = with_memory(&wat("grow_bomb"), 128 * 1024).unwrap();
    let mut a = p.instantiate().unwrap();
    let mut b = p.instantiate().unwrap();
    assert_eq!(a.call_typed("bomb", &[]).unwrap(), [Value::I32(2)]);
    assert_eq!(b.call_typed("bomb", &[]).unwrap(), [Value::I32(2)]);
}

#[test]
fn a_rust_grow_bomb_stops_inside_the_budget() {
    let p = with_memory(&plugin("hostile"), 2 * 1024 * 1024).unwrap();
    let mut i = p.instantiate().unwrap();
    let pages: u64 = String::from_utf8(i.call("grow", b"").unwrap())
        .unwrap()
        .parse()
        .unwrap();
    assert!(pages * 65536 <= 2 * 1024 * 1024, "{pages}");
    assert!(pages >= 17, "{pages}");
    assert!(i.last_usage().memory_peak_bytes <= 2 * 1024 * 1024);
}

#[test]
fn a_module_whose_minimum_memory_exceeds_the_budget_is_refused_at_load() {
    let e = with_memory(&wat("big_memory"), 1024 * 1024).unwrap_err();
    assert!(matches!(e, Error::ModuleTooLarge { .. }), "{e}");
    assert!(
        e.to_string().contains(
            "minimum memory is 100 pages of 65536 bytes (6553600 bytes), more than the memory budget of 1048576"
        ),
        "{e}"
    );
    with_memory(&wat("big_memory"), 8 * 1024 * 1024)
        .unwrap()
        .instantiate()
        .unwrap();
}

#[test]
fn a_growth_resumed_after_its_fuel_slice_ran_out_is_counted_once() {
    // `memory.grow` costs fuel for the bytes it adds (1 KiB of fuel per 64 KiB
    // page at wasmi's default costs), more than these 100-unit slices hold: wasmi
    // asks the budget limiter, then runs out of fuel, and the sliced call runs
    // `memory.grow` again after the refill. The budget holds exactly the grown
    // memory, so the growth must be counted once (it used to be counted twice,
    // and the retry got -1).
    let module = caplet_tests::wat_str(
        r#"(module (memory (export "memory") 1)
            (func (export "grow") (result i32) (memory.grow (i32.const 1))))"#,
    );
    let p = load_limited(
        &module,
        Limits::default()
            .with_memory(128 * 1024)
            .with_fuel_slice(100),
    );
    let mut i = p.instantiate().unwrap();
    let mut every_slice = |_: u64| Ok(());
    assert_eq!(
        i.call_typed_with("grow", &[], &mut every_slice).unwrap(),
        [Value::I32(1)]
    );
    assert_eq!(i.last_usage().memory_peak_bytes, 128 * 1024);
    // The budget is full now: a further page is refused, by the budget.
    assert_eq!(
        i.call_typed_with("grow", &[], &mut every_slice).unwrap(),
        [Value::I32(-1)]
    );
    assert_eq!(i.last_usage().memory_peak_bytes, 128 * 1024);
}
