//! The kit's small-plugin mode, end to end: `small_echo` is built `no_std`,
//! without an allocator, with 1-byte memory pages.

use caplet_core::{Error, Limits};
use caplet_tests::{load_with, plugin};

fn small(memory: u64) -> caplet_core::Plugin {
    load_with(
        &plugin("small_echo"),
        &[],
        Limits::default().with_memory(memory),
        caplet_core::platform::testing::full(),
    )
    .unwrap()
}

#[test]
fn the_module_is_small_and_declares_a_few_kib_of_memory() {
    let wasm = plugin("small_echo");
    assert!(wasm.len() < 4096, "small_echo.wasm is {} bytes", wasm.len());
    let p = small(8 * 1024);
    assert_eq!(p.info().memory_page_size(), 1);
    let min = p.info().memory_min_bytes().unwrap();
    // Data and a 4 KiB stack; no 64 KiB page.
    assert!((4096..6144).contains(&min), "minimum memory {min} bytes");
    assert_eq!(p.manifest().name, "small_echo");
}

#[test]
fn calls_run_in_a_few_kib_and_grow_memory_byte_by_byte() {
    let mut i = small(8 * 1024).instantiate().unwrap();
    assert_eq!(i.call("echo", b"hello").unwrap(), b"hello");
    assert_eq!(i.call("upper", b"hello").unwrap(), b"HELLO");
    assert_eq!(i.call("echo", b"").unwrap(), b"");
    let min = i.plugin().info().memory_min_bytes().unwrap();
    // Input and output of 1,000 bytes each: the memory grows by what they
    // need beyond the heap's start, not by 64 KiB.
    let input = [b'a'; 1000];
    assert_eq!(i.call("upper", &input).unwrap(), [b'A'; 1000]);
    let peak = i.last_usage().memory_peak_bytes;
    assert!(
        peak >= 2000 && peak < min + 2100,
        "peak {peak} bytes with a {min}-byte minimum"
    );
    // Errors carry the static message.
    match i.call("fail", b"x").unwrap_err() {
        Error::Guest { message, .. } => {
            assert_eq!(message.as_deref(), Some("fail was asked to fail"))
        }
        other => panic!("{other}"),
    }
}

#[test]
fn an_input_beyond_the_memory_budget_is_refused_cleanly() {
    let mut i = small(8 * 1024).instantiate().unwrap();
    // caplet_alloc cannot grow memory past the 8 KiB budget: it returns 0.
    let e = i.call("echo", &[1u8; 6000]).unwrap_err();
    assert!(matches!(e, Error::ContractViolation { .. }), "{e}");
    assert!(
        e.to_string().contains("could not allocate the input"),
        "{e}"
    );
    // An output that does not fit fails the call with LIMIT, not a trap.
    let e = i.call("echo", &[1u8; 2500]).unwrap_err();
    match e {
        Error::Guest { code, message, .. } => {
            assert_eq!(code, Some(caplet_core::Code::Limit));
            assert_eq!(message.as_deref(), Some("output does not fit in memory"));
        }
        other => panic!("{other}"),
    }
    // The instance is still usable.
    assert_eq!(i.call("echo", b"ok").unwrap(), b"ok");
}

#[test]
fn a_warm_echo_costs_a_few_hundred_fuel() {
    let mut i = small(8 * 1024).instantiate().unwrap();
    let input = [b'a'; 64];
    for _ in 0..3 {
        assert_eq!(i.call("echo", &input).unwrap(), input);
    }
    let fuel = i.last_usage().fuel_used;
    eprintln!("small_echo echo 64 B: {fuel} fuel");
    assert!(fuel <= 250, "{fuel} fuel");
}
