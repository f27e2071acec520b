//! Modules with 1-byte memory pages (the custom-page-sizes proposal): budgets,
//! growth and bounds in bytes, end to end.

use caplet_core::{Error, Limits, Value};
use caplet_tests::{load_with, wat_str};

/// A floor echo whose memory is 1,088 bytes of 1-byte pages, with a `grow`
/// export and an entry that returns a range past the end of memory.
const SMALL: &str = r#"(module
  (memory (export "memory") 1088 (pagesize 1))
  (global $next (mut i32) (i32.const 64))
  (func (export "caplet_alloc") (param $len i32) (result i32)
    (local $p i32)
    (local.set $p (global.get $next))
    (global.set $next (i32.add (local.get $p) (local.get $len)))
    (local.get $p))
  (func (export "echo") (param $ptr i32) (param $len i32) (result i64)
    (global.set $next (i32.const 64))
    (i64.or
      (i64.shl (i64.extend_i32_u (local.get $ptr)) (i64.const 32))
      (i64.extend_i32_u (local.get $len))))
  (func (export "past_end") (param i32 i32) (result i64)
    (i64.const 0x0000_0400_0000_0080))
  (func (export "grow") (param $bytes i32) (result i32)
    (memory.grow (local.get $bytes)))
  (func (export "size") (result i32) (memory.size)))"#;

fn small(limits: Limits) -> Result<caplet_core::Plugin, Error> {
    load_with(
        &wat_str(SMALL),
        &[],
        limits,
        caplet_core::platform::testing::full(),
    )
}

#[test]
fn a_module_with_one_byte_pages_loads_under_a_budget_of_a_few_kib() {
    let plugin = small(Limits::default().with_memory(4096)).unwrap();
    assert_eq!(plugin.info().memory_page_size(), 1);
    assert_eq!(plugin.info().memory_min_pages, Some(1088));
    assert_eq!(plugin.info().memory_min_bytes(), Some(1088));
    let mut i = plugin.instantiate().unwrap();
    let input = [b'x'; 200];
    assert_eq!(i.call("echo", &input).unwrap(), input);
    assert_eq!(
        i.call_typed("size", &[]).unwrap(),
        [Value::I32(1088)],
        "memory.size counts 1-byte pages"
    );
}

#[test]
fn the_budget_check_counts_bytes_not_64_kib_pages() {
    // 1,088 bytes do not fit in 1,000.
    let e = small(Limits::default().with_memory(1000)).unwrap_err();
    assert!(matches!(e, Error::ModuleTooLarge { .. }), "{e}");
    let msg = e.to_string();
    assert!(
        msg.contains("1088 pages of 1 bytes (1088 bytes)") && msg.contains("1000 bytes"),
        "{msg}"
    );
    // A 64 KiB-page module of the same page count is 71 MB.
    let big = wat_str(r#"(module (memory (export "memory") 1088))"#);
    let e = load_with(
        &big,
        &[],
        Limits::default().with_memory(4096),
        caplet_core::platform::testing::full(),
    )
    .unwrap_err();
    assert!(e.to_string().contains("71303168 bytes"), "{e}");
}

#[test]
fn memory_grow_is_in_bytes_and_stops_at_the_budget() {
    let mut i = small(Limits::default().with_memory(4096))
        .unwrap()
        .instantiate()
        .unwrap();
    // Growing by 1,000 one-byte pages returns the old size in pages (bytes).
    assert_eq!(
        i.call_typed("grow", &[Value::I32(1000)]).unwrap(),
        [Value::I32(1088)]
    );
    assert_eq!(i.call_typed("size", &[]).unwrap(), [Value::I32(2088)]);
    assert_eq!(i.last_usage().memory_peak_bytes, 2088);
    // 2,088 + 2,009 > 4,096: refused with -1, the instance stays usable.
    assert_eq!(
        i.call_typed("grow", &[Value::I32(2009)]).unwrap(),
        [Value::I32(-1)]
    );
    assert_eq!(
        i.call_typed("grow", &[Value::I32(2008)]).unwrap(),
        [Value::I32(2088)]
    );
    assert_eq!(i.call_typed("size", &[]).unwrap(), [Value::I32(4096)]);
    assert_eq!(i.call("echo", b"still fine").unwrap(), b"still fine");
}

#[test]
fn guest_ranges_are_checked_against_the_byte_sized_memory() {
    let mut i = small(Limits::default().with_memory(4096))
        .unwrap()
        .instantiate()
        .unwrap();
    // (ptr 1024, len 128) ends at 1,152: past the 1,088-byte memory.
    let e = i.call("past_end", b"").unwrap_err();
    assert!(matches!(e, Error::ContractViolation { .. }), "{e}");
    assert!(e.to_string().contains("1088-byte memory"), "{e}");
    // An input larger than the memory cannot be placed: caplet_alloc hands
    // out 64 + 2,000 > 1,088.
    let e = i.call("echo", &[0u8; 2000]).unwrap_err();
    assert!(e.to_string().contains("1088 bytes"), "{e}");
}

#[test]
fn page_sizes_other_than_1_and_65536_are_refused_before_compiling() {
    let odd = wat_str(r#"(module (memory (export "memory") 1 (pagesize 4096)))"#);
    let e = load_with(
        &odd,
        &[],
        Limits::default(),
        caplet_core::platform::testing::full(),
    )
    .unwrap_err();
    assert!(matches!(e, Error::BadModule { .. }), "{e}");
    assert!(e.to_string().contains("page size 2^12"), "{e}");
}
