//! The kit's small-plugin mode, end to end: `small_echo` is built `no_std`,
//! without an allocator, with 1-byte memory pages.

use caplet_core::{Error, Limits};
use caplet_tests::{load, load_with, plugin};

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

// ---- small_json: json_transform's contract in the small-plugin mode ----

fn guest_error(e: Error) -> (Option<caplet_core::Code>, String) {
    match e {
        Error::Guest { code, message, .. } => (code, message.unwrap_or_default()),
        other => panic!("expected a guest error, got {other}"),
    }
}

#[test]
fn small_json_is_small_and_declares_a_few_kib_of_memory() {
    let wasm = plugin("small_json");
    // 15.9 KB when measured (12.3 KB of code, most of it serde-json-core).
    assert!(
        wasm.len() < 20 * 1024,
        "small_json.wasm is {} bytes",
        wasm.len()
    );
    let p = load(&wasm, &[]).unwrap();
    assert_eq!(p.info().memory_page_size(), 1);
    let min = p.info().memory_min_bytes().unwrap();
    // Data and a 2 KiB stack; no 64 KiB page.
    assert!((2048..4096).contains(&min), "minimum memory {min} bytes");
    assert_eq!(p.manifest().name, "small_json");
}

#[test]
fn small_json_gives_json_transform_outputs() {
    let mut small = load(&plugin("small_json"), &[])
        .unwrap()
        .instantiate()
        .unwrap();
    let mut std = load(&plugin("json_transform"), &[])
        .unwrap()
        .instantiate()
        .unwrap();
    let many = format!(
        r#"{{"name":"many","values":[{}]}}"#,
        vec!["-7"; 1000].join(",")
    );
    let name_64 = format!(r#"{{"name":"{}","values":[]}}"#, "n".repeat(64));
    let inputs: &[&[u8]] = &[
        br#"{"name":"Ada","values":[1,2,39]}"#,
        br#"{"name":"","values":[]}"#,
        br#" { "values" : [ -5 , 0, 5 ] , "name" : "Bo" } "#,
        br#"{"name":"q\"b\\s\/n\n\t\r\b\f\u0001\u001f\u00e9\u20ac","values":[0]}"#,
        "{\"name\":\"h\u{e9}llo \u{1f600}\",\"values\":[7]}".as_bytes(),
        br#"{"name":"x","values":[9223372036854775807,-9223372036854775808]}"#,
        br#"{"name":"x","values":[9223372036854775807,-1,1]}"#,
        br#"{"extra":{"a":[1,{"b":"c"}],"d":null},"name":"x","values":[1],"more":true}"#,
        many.as_bytes(),
        name_64.as_bytes(),
        // Refused by both: bad JSON, wrong types, overflow.
        b"{not json",
        b"",
        br#"{"name":"x"}"#,
        br#"{"name":"x","values":[1.5]}"#,
        br#"{"name":"x","values":["1"]}"#,
        br#"{"name":3,"values":[]}"#,
        br#"{"name":"x","values":[1]} x"#,
        br#"{"name":"x","values":[1,]}"#,
        br#"{"name":"x","values":[9223372036854775808]}"#,
        br#"{"name":"x","values":[9223372036854775807,1]}"#,
        br#"{"name":"x","values":[-9223372036854775808,-1]}"#,
    ];
    for input in inputs {
        let shown = String::from_utf8_lossy(&input[..input.len().min(80)]).into_owned();
        match (std.call("transform", input), small.call("transform", input)) {
            (Ok(a), Ok(b)) => assert_eq!(
                String::from_utf8_lossy(&a),
                String::from_utf8_lossy(&b),
                "{shown}"
            ),
            (Err(a), Err(b)) => {
                let (a, b) = (guest_error(a), guest_error(b));
                assert_eq!(a.0, Some(caplet_core::Code::InvalidInput), "{shown}");
                assert_eq!(
                    b.0,
                    Some(caplet_core::Code::InvalidInput),
                    "{shown}: {}",
                    b.1
                );
                assert!(!b.1.is_empty(), "{shown}: a message");
            }
            (a, b) => panic!("{shown}: json_transform {a:?}, small_json {b:?}"),
        }
    }
    // serde-json-core does not read a character escaped as a surrogate pair
    // (serde_json does): refused, not misread.
    let e = small
        .call("transform", br#"{"name":"\ud83d\ude00","values":[]}"#)
        .unwrap_err();
    assert_eq!(guest_error(e).0, Some(caplet_core::Code::InvalidInput));
    let e = small
        .call(
            "transform",
            br#"{"name":"x","values":[9223372036854775807,1]}"#,
        )
        .unwrap_err();
    assert_eq!(guest_error(e).1, "sum overflows a 64-bit integer");
}

#[test]
fn small_json_refuses_input_beyond_its_bounds_cleanly() {
    let mut i = load(&plugin("small_json"), &[])
        .unwrap()
        .instantiate()
        .unwrap();
    let refused = |i: &mut caplet_core::Instance, input: &[u8]| {
        guest_error(i.call("transform", input).unwrap_err())
    };
    let long = format!(r#"{{"name":"{}","values":[1]}}"#, "n".repeat(65));
    assert_eq!(
        refused(&mut i, long.as_bytes()),
        (
            Some(caplet_core::Code::InvalidInput),
            "name is longer than 64 bytes".to_string()
        )
    );
    let escaped = format!(r#"{{"name":"{}\n","values":[1]}}"#, "n".repeat(64));
    assert_eq!(
        refused(&mut i, escaped.as_bytes()).1,
        "a string with escapes is longer than 64 bytes"
    );
    // Nesting: 16 levels (in a skipped field) pass, 17 are refused before
    // the parser recurses.
    let nested = |levels: usize| {
        format!(
            r#"{{"skip":{}{},"name":"x","values":[2]}}"#,
            "[".repeat(levels - 1),
            "]".repeat(levels - 1)
        )
    };
    assert_eq!(
        i.call("transform", nested(16).as_bytes()).unwrap(),
        br#"{"greeting":"hello, x","sum":2,"count":1}"#
    );
    assert_eq!(
        refused(&mut i, nested(17).as_bytes()).1,
        "nested deeper than 16 levels"
    );
    let objects = format!(
        r#"{{"skip":{}1{},"name":"x","values":[2]}}"#,
        r#"{"k":"#.repeat(15),
        "}".repeat(15)
    );
    assert_eq!(
        i.call("transform", objects.as_bytes()).unwrap(),
        br#"{"greeting":"hello, x","sum":2,"count":1}"#
    );
    // Brackets inside strings do not count.
    let in_string = format!(r#"{{"name":"{}","values":[3]}}"#, "[".repeat(40));
    assert!(i.call("transform", in_string.as_bytes()).is_ok());
    // Values are not stored: 5,000 of them fit (the input is 10 KB).
    let many = format!(r#"{{"name":"x","values":[{}]}}"#, vec!["1"; 5000].join(","));
    assert_eq!(
        i.call("transform", many.as_bytes()).unwrap(),
        br#"{"greeting":"hello, x","sum":5000,"count":5000}"#
    );
    // Past the manifest's 32 KiB of memory the kit refuses the input.
    let huge = format!(
        r#"{{"name":"x","values":[{}]}}"#,
        vec!["1"; 20_000].join(",")
    );
    let e = i.call("transform", huge.as_bytes()).unwrap_err();
    assert!(matches!(e, Error::ContractViolation { .. }), "{e}");
    // The instance is still usable.
    assert_eq!(
        i.call("transform", br#"{"name":"Ada","values":[1,2,39]}"#)
            .unwrap(),
        br#"{"greeting":"hello, Ada","sum":42,"count":3}"#
    );
}
