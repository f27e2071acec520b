//! Entry points, typed calls and the core host functions, on real Rust plugins.

use caplet_core::platform::Level;
use caplet_core::{Error, Interrupt, Value};
use caplet_tests::{load, load_with, plugin, wat, Recorder};
use sha2::Digest as _;

#[test]
fn echo_and_upper_round_trip_bytes() {
    let mut i = load(&plugin("echo"), &[]).unwrap().instantiate().unwrap();
    assert_eq!(i.call("echo", b"hello").unwrap(), b"hello");
    assert_eq!(i.call("upper", b"hello, caplet").unwrap(), b"HELLO, CAPLET");
    let binary: Vec<u8> = (0..=255).collect();
    assert_eq!(i.call("echo", &binary).unwrap(), binary);
    // Many calls on one instance: the kit frees the previous output, memory stays flat.
    let big = vec![b'x'; 60_000];
    for _ in 0..50 {
        assert_eq!(i.call("echo", &big).unwrap().len(), 60_000);
    }
    assert!(i.last_usage().memory_peak_bytes <= 1024 * 1024);
}

#[test]
fn empty_input_and_empty_output() {
    let mut i = load(&plugin("echo"), &[]).unwrap().instantiate().unwrap();
    assert_eq!(i.call("echo", b"").unwrap(), b"");
    assert_eq!(i.call("empty", b"ignored").unwrap(), b"");
}

#[test]
fn typed_exports() {
    let mut i = load(&plugin("echo"), &[]).unwrap().instantiate().unwrap();
    assert_eq!(
        i.call_typed("add", &[Value::I32(2), Value::I32(3)])
            .unwrap(),
        [Value::I32(5)]
    );
    let mut t = load(&wat("typed"), &["kv"]).unwrap().instantiate().unwrap();
    let r = t
        .call_typed("mix", &[Value::I64(2), Value::F32(0.5), Value::F64(4.0)])
        .unwrap();
    assert_eq!(r, [Value::F64(10.0)]);
    let e = t.call_typed("add", &[Value::I32(1)]).unwrap_err();
    assert!(
        e.to_string()
            .contains("takes (i32, i32) -> (i32), but the arguments were (i32)"),
        "{e}"
    );
    let e = t.call_typed("nope", &[]).unwrap_err();
    assert!(matches!(e, Error::MissingExport { .. }), "{e}");
    let e = t.call("nope", b"").unwrap_err();
    assert!(matches!(e, Error::MissingExport { .. }), "{e}");
}

#[test]
fn initialize_runs_once_per_instance_and_traps_reset_state() {
    let p = load(&wat("typed"), &["kv"]).unwrap();
    let mut i = p.instantiate().unwrap();
    assert_eq!(i.call_typed("inits", &[]).unwrap(), [Value::I32(1)]);
    assert_eq!(i.call_typed("bump", &[]).unwrap(), [Value::I32(1)]);
    assert_eq!(i.call_typed("bump", &[]).unwrap(), [Value::I32(2)]);
    assert!(i.call_typed("trap", &[]).is_err());
    assert!(i.is_poisoned());
    // Re-instantiated: fresh globals, `_initialize` ran again once.
    assert_eq!(i.call_typed("bump", &[]).unwrap(), [Value::I32(1)]);
    assert_eq!(i.call_typed("inits", &[]).unwrap(), [Value::I32(1)]);
}

#[test]
fn json_transform() {
    let mut i = load(&plugin("json_transform"), &[])
        .unwrap()
        .instantiate()
        .unwrap();
    let out = i
        .call("transform", br#"{"name":"Ada","values":[1,2,39]}"#)
        .unwrap();
    let v: serde_json::Value = serde_json::from_slice(&out).unwrap();
    assert_eq!(
        v,
        serde_json::json!({"greeting": "hello, Ada", "sum": 42, "count": 3})
    );
    let e = i.call("transform", b"{not json").unwrap_err();
    assert!(
        matches!(
            e,
            Error::Guest {
                code: Some(caplet_core::Code::InvalidInput),
                message: Some(_),
                ..
            }
        ),
        "{e}"
    );
}

#[test]
fn kv_counter_shares_the_store_across_instances() {
    let rec = Recorder::default();
    let p = load_with(
        &plugin("kv_counter"),
        &["kv"],
        Default::default(),
        rec.platform.clone(),
    )
    .unwrap();
    let mut a = p.instantiate().unwrap();
    let mut b = p.instantiate().unwrap();
    assert_eq!(a.call("incr", b"").unwrap(), b"1");
    assert_eq!(b.call("incr", b"").unwrap(), b"2");
    assert_eq!(a.call("incr", b"other").unwrap(), b"1");
    assert_eq!(b.call("get", b"").unwrap(), b"2");
    assert_eq!(a.call("reset", b"").unwrap(), b"ok");
    assert_eq!(b.call("get", b"").unwrap(), b"0");
    assert_eq!(rec.kv.len("kv_counter"), 1);
    assert_eq!(a.last_usage().host_calls, 1);
}

#[test]
fn kv_caps_on_keys() {
    let rec = Recorder::default();
    let limits = caplet_core::Limits {
        max_kv_keys: 3,
        ..Default::default()
    };
    let p = load_with(&plugin("kv_counter"), &["kv"], limits, rec.platform.clone()).unwrap();
    let mut i = p.instantiate().unwrap();
    for k in ["a", "b", "c"] {
        i.call("incr", k.as_bytes()).unwrap();
    }
    let e = i.call("incr", b"d").unwrap_err();
    assert!(
        matches!(
            e,
            Error::Guest {
                code: Some(caplet_core::Code::Limit),
                ..
            }
        ),
        "{e}"
    );
    // Existing keys still update.
    assert_eq!(i.call("incr", b"a").unwrap(), b"2");
}

#[test]
fn logger_logs_every_level_with_config_prefix() {
    let rec = Recorder::default();
    let p = caplet_core::Runtime::default()
        .load(
            &plugin("logger"),
            caplet_core::PluginConfig {
                grants: caplet_core::Grants::from_strs(["log"]).unwrap(),
                config: [("prefix".to_string(), "> ".to_string())].into(),
                platform: rec.platform.clone(),
                ..Default::default()
            },
        )
        .unwrap();
    let mut i = p.instantiate().unwrap();
    assert_eq!(i.call("log", b"hi").unwrap(), b"5");
    let lines = rec.log.lines();
    let levels: Vec<Level> = lines.iter().map(|l| l.1).collect();
    assert_eq!(
        levels,
        [
            Level::Trace,
            Level::Debug,
            Level::Info,
            Level::Warn,
            Level::Error
        ]
    );
    assert!(lines
        .iter()
        .all(|(plugin, _, msg)| plugin == "logger" && msg == "> hi"));
}

#[test]
fn compute_matches_native_code() {
    let mut i = load(&plugin("compute"), &[])
        .unwrap()
        .instantiate()
        .unwrap();
    assert_eq!(i.call("primes", b"1000").unwrap(), b"168");
    assert_eq!(
        i.call_typed("count_primes", &[Value::I32(10_000)]).unwrap(),
        [Value::I32(1229)]
    );
    assert_eq!(
        i.call_typed("fib", &[Value::I32(50)]).unwrap(),
        [Value::I64(12_586_269_025)]
    );
    let data = vec![7u8; 10_000];
    let native = hex(&sha2::Sha256::digest(&data));
    assert_eq!(
        String::from_utf8(i.call("sha256", &data).unwrap()).unwrap(),
        native
    );
}

#[test]
fn host_tour_clock_random_emit_config() {
    let rec = Recorder::default();
    let p = load_with(
        &plugin("host_tour"),
        &["clock", "random", "emit:events.*"],
        Default::default(),
        rec.platform.clone(),
    )
    .unwrap();
    let mut i = p.instantiate().unwrap();
    let now: serde_json::Value = serde_json::from_slice(&i.call("now", b"").unwrap()).unwrap();
    assert!(now["wall"].as_u64().unwrap() >= 1_700_000_000_000_000_000);
    let a = i.call("random", b"").unwrap();
    let b = i.call("random", b"").unwrap();
    assert_eq!(a.len(), 64);
    assert_ne!(a, b);
    assert_eq!(
        i.call("emit", br#"{"topic":"events.user","data":"joined"}"#)
            .unwrap(),
        b"ok"
    );
    assert_eq!(
        rec.events.events(),
        [(
            "host_tour".to_string(),
            "events.user".to_string(),
            b"joined".to_vec()
        )]
    );
    // The manifest's config default, and a missing key.
    assert_eq!(i.call("config", b"greeting").unwrap(), b"hello");
    let e = i.call("config", b"missing").unwrap_err();
    assert!(
        matches!(
            e,
            Error::Guest {
                code: Some(caplet_core::Code::NotFound),
                ..
            }
        ),
        "{e}"
    );
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

/// A contract v1 plugin for `Entry` handles: `echo`, `calls` (how many `echo`
/// calls this instance has served, as one byte) and `trap`.
const HANDLE_WAT: &str = r#"(module
  (memory (export "memory") 1)
  (global $calls (mut i32) (i32.const 0))
  (func (export "caplet_alloc") (param $len i32) (result i32) (i32.const 1024))
  (func (export "echo") (param $ptr i32) (param $len i32) (result i64)
    (global.set $calls (i32.add (global.get $calls) (i32.const 1)))
    (i64.or
      (i64.shl (i64.extend_i32_u (local.get $ptr)) (i64.const 32))
      (i64.extend_i32_u (local.get $len))))
  (func (export "calls") (param i32 i32) (result i64)
    (i32.store8 (i32.const 2048) (global.get $calls))
    (i64.or (i64.shl (i64.const 2048) (i64.const 32)) (i64.const 1)))
  (func (export "trap") (param i32 i32) (result i64) unreachable))"#;

#[test]
fn an_entry_handle_calls_like_its_name_and_survives_a_rebuilt_instance() {
    let p = load(&caplet_tests::wat_str(HANDLE_WAT), &[]).unwrap();
    let mut i = p.instantiate().unwrap();
    let echo = i.entry("echo").unwrap();
    assert_eq!(echo.name(), "echo");
    assert_eq!(
        i.call_entry(&echo, b"through the handle").unwrap(),
        b"through the handle"
    );
    assert_eq!(i.call("echo", b"by name").unwrap(), b"by name");
    assert_eq!(i.call("calls", b"").unwrap(), [2]);
    // A trap poisons the instance: the next call runs on a new store, where the
    // handle's function is not valid. The handle falls back to the name.
    assert!(matches!(i.call("trap", b""), Err(Error::Trap { .. })));
    assert!(i.is_poisoned());
    // The rebuilt instance hands out handles of its own (a token of its own): the
    // stale one must still not be taken for them. Used with the wrong store, its
    // function would make wasmi panic.
    let fresh = i.entry("calls").unwrap();
    assert_eq!(
        i.call_entry(&echo, b"after the trap").unwrap(),
        b"after the trap"
    );
    assert_eq!(
        i.call_entry(&fresh, b"").unwrap(),
        [1],
        "a fresh instance served it"
    );
    // A handle resolved on another instance of the plugin is not used on this one,
    // though that one has handles of its own.
    let mut other = p.instantiate().unwrap();
    let others = other.entry("echo").unwrap();
    assert_eq!(other.call_entry(&echo, b"elsewhere").unwrap(), b"elsewhere");
    assert_eq!(other.call_entry(&others, b"its own").unwrap(), b"its own");
    assert_eq!(other.call("calls", b"").unwrap(), [2]);
    assert_eq!(
        i.call("calls", b"").unwrap(),
        [1],
        "the first instance was not called"
    );
    // Nor on an instance made after the one it came from is gone.
    drop(i);
    let mut later = p.instantiate().unwrap();
    let _later_handle = later.entry("echo").unwrap();
    assert_eq!(later.call_entry(&echo, b"later").unwrap(), b"later");
    assert_eq!(later.call_entry(&fresh, b"").unwrap(), [1]);
}

/// `call_entry_into` gives the bytes `call_entry` does, replaces the buffer's
/// contents, reuses its allocation, and leaves it as it was when the call fails.
#[test]
fn an_entry_call_into_a_kept_buffer_replaces_its_contents_and_reuses_it() {
    let mut i = load(&caplet_tests::wat_str(HANDLE_WAT), &[])
        .unwrap()
        .instantiate()
        .unwrap();
    let echo = i.entry("echo").unwrap();
    let mut out = b"stale bytes, longer than the output".to_vec();
    i.call_entry_into(&echo, b"first", &mut out).unwrap();
    assert_eq!(out, b"first");
    let (ptr, cap) = (out.as_ptr(), out.capacity());
    i.call_entry_into(&echo, b"second", &mut out).unwrap();
    assert_eq!(out, b"second");
    assert_eq!(
        (out.as_ptr(), out.capacity()),
        (ptr, cap),
        "no new allocation for an output that fits"
    );
    assert_eq!(
        i.call_entry(&echo, b"second").unwrap(),
        out,
        "the same bytes as call_entry"
    );
    // A trap: an error, and the buffer untouched.
    let trap = i.entry("trap").unwrap();
    let e = i.call_entry_into(&trap, b"x", &mut out).unwrap_err();
    assert!(matches!(e, Error::Trap { .. }), "{e}");
    assert_eq!(out, b"second");
    // The rebuilt instance serves the handle into the buffer too.
    i.call_entry_into(&echo, b"after the trap", &mut out)
        .unwrap();
    assert_eq!(out, b"after the trap");
    // With a slice hook and slices of 5 units: the call runs sliced, the hook runs
    // between slices, and the output is the same.
    let mut sliced = caplet_tests::load_limited(
        &caplet_tests::wat_str(HANDLE_WAT),
        caplet_core::Limits::default().with_fuel_slice(5),
    )
    .instantiate()
    .unwrap();
    let echo = sliced.entry("echo").unwrap();
    let mut slices = 0;
    let mut hook = |_: u64| {
        slices += 1;
        Ok(())
    };
    sliced
        .call_entry_into_with(&echo, b"in slices", &mut out, &mut hook)
        .unwrap();
    assert_eq!(out, b"in slices");
    assert!(slices > 0, "the hook never ran");
}

#[test]
fn an_entry_handle_for_a_missing_or_mistyped_export_is_refused_by_name() {
    let mut i = load(&caplet_tests::wat_str(HANDLE_WAT), &[])
        .unwrap()
        .instantiate()
        .unwrap();
    for name in ["nope", "memory", "caplet_alloc"] {
        match i.entry(name) {
            Err(Error::MissingExport { name: n, expected }) => {
                assert_eq!(n, name);
                assert!(expected.contains("(i32, i32) -> (i64)"), "{expected}");
            }
            other => panic!("{name}: {other:?}"),
        }
    }
    // The instance is unharmed: a refused handle does not drop it (a call of a
    // missing entry does, as any failure but a guest or usage error).
    assert!(!i.is_poisoned());
    assert_eq!(i.call("echo", b"still here").unwrap(), b"still here");
    assert_eq!(
        i.call("calls", b"").unwrap(),
        [1],
        "the same instance served it"
    );
}

/// A slice hook (closures are hooks) that cancels the call at its third slice,
/// counting the slices it saw in `slices`.
fn cancel_at_third_slice(slices: &mut u32) -> impl FnMut(u64) -> Result<(), Interrupt> + '_ {
    move |_| {
        *slices += 1;
        if *slices >= 3 {
            Err(Interrupt::Cancelled)
        } else {
            Ok(())
        }
    }
}

#[test]
fn a_call_through_a_handle_runs_the_hook_between_slices_and_can_be_cancelled() {
    let p = load(&plugin("hostile"), &[]).unwrap();
    let mut i = p.instantiate().unwrap();
    let spin = i.entry("spin").unwrap();
    let mut slices = 0;
    match i.call_entry_with(&spin, b"", &mut cancel_at_third_slice(&mut slices)) {
        Err(Error::Interrupted {
            reason: Interrupt::Cancelled,
            fuel_used,
        }) => assert!(fuel_used > 0, "{fuel_used}"),
        other => panic!("{other:?}"),
    }
    assert_eq!(slices, 3, "the hook ran between slices until it cancelled");
    // The cancelled instance was dropped; the handle still works, by name.
    assert!(i.is_poisoned());
    let mut again = 0;
    assert!(matches!(
        i.call_entry_with(&spin, b"", &mut cancel_at_third_slice(&mut again)),
        Err(Error::Interrupted { .. })
    ));
    assert_eq!(again, 3, "the rebuilt instance's call ran the hook too");
}
