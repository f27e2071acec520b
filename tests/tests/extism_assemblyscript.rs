//! A second Extism PDK: `extism_as`, an Extism plugin written in AssemblyScript
//! with `@extism/as-pdk` and compiled by the `assemblyscript` compiler, both pinned
//! from npm (tests/plugins-as). Nothing in it knows about Caplet; it mirrors the
//! Rust PDK's fixture (`extism_kit`, tests/extism.rs), so the same profile is seen
//! from a second toolchain's memory layout, runtime and import list. Its HTTP call
//! to a real server is in host-std's tests (cli_extism.rs).

use std::collections::BTreeMap;
use std::sync::Arc;

use caplet_core::platform::testing::{self, RecordingAudit, RecordingLog};
use caplet_core::platform::Level;
use caplet_core::{Error, Grants, Interrupt, Limits, Plugin, PluginConfig, Runtime};
use caplet_tests::plugin;

struct Loaded {
    plugin: Plugin,
    log: Arc<RecordingLog>,
    audit: Arc<RecordingAudit>,
}

fn load(caps: &[&str], config: &[(&str, &str)], limits: Limits) -> Loaded {
    let log = Arc::new(RecordingLog::default());
    let audit = Arc::new(RecordingAudit::default());
    let mut platform = testing::full();
    platform.log = Some(log.clone());
    platform.audit = Some(audit.clone());
    let plugin = Runtime::default()
        .load(
            &plugin("extism_as"),
            PluginConfig {
                grants: Grants::from_strs(caps.iter().copied()).unwrap(),
                limits,
                platform,
                config: config
                    .iter()
                    .map(|(k, v)| (k.to_string(), v.to_string()))
                    .collect::<BTreeMap<_, _>>(),
                ..Default::default()
            },
        )
        .expect("the AssemblyScript PDK plugin loads");
    Loaded { plugin, log, audit }
}

fn plain() -> Plugin {
    load(&[], &[], Limits::default()).plugin
}

fn text(r: Result<Vec<u8>, Error>) -> String {
    String::from_utf8(r.expect("call succeeds")).unwrap()
}

#[test]
fn it_imports_extisms_functions_only() {
    let info =
        caplet_core::inspect::ModuleInfo::scan(&plugin("extism_as"), &Limits::default()).unwrap();
    assert!(!info.imports.is_empty());
    for import in &info.imports {
        assert_eq!(import.module, "extism:host/env", "{}", import.name);
    }
}

#[test]
fn count_vowels_and_echo_run_unmodified() {
    let mut i = plain().instantiate().unwrap();
    assert_eq!(
        text(i.call("count_vowels", b"Hello, World!")),
        r#"{"count":3}"#
    );
    assert_eq!(text(i.call("count_vowels", b"")), r#"{"count":0}"#);
    let input: Vec<u8> = (0..64 * 1024).map(|n| (n * 7 % 251) as u8).collect();
    assert_eq!(i.call("echo", &input).unwrap(), input, "64 KiB in and out");
    for len in [0, 1, 7, 9, 4097] {
        assert_eq!(i.call("echo", &input[..len]).unwrap(), &input[..len]);
    }
}

#[test]
fn config_reaches_the_plugin_and_a_missing_key_is_its_error() {
    let mut i = load(&[], &[("name", "Zoë")], Limits::default())
        .plugin
        .instantiate()
        .unwrap();
    assert_eq!(text(i.call("greet", b"")), "Hello, Zoë!");
    let mut i = plain().instantiate().unwrap();
    match i.call("greet", b"") {
        Err(Error::Guest { raw, message, .. }) => {
            assert_eq!(raw, 2, "the export's result is the code");
            assert_eq!(message.as_deref(), Some("config key `name` is not set"));
        }
        other => panic!("expected the plugin's error, got {other:?}"),
    }
    assert!(
        !i.is_poisoned(),
        "a plugin error does not poison the instance"
    );
}

#[test]
fn vars_persist_across_calls_on_one_instance_only() {
    let p = plain();
    let mut a = p.instantiate().unwrap();
    assert_eq!(text(a.call("count_calls", b"")), "1");
    assert_eq!(text(a.call("count_calls", b"")), "2");
    let mut b = p.instantiate().unwrap();
    assert_eq!(
        text(b.call("count_calls", b"")),
        "1",
        "a new instance has no vars"
    );
    assert_eq!(text(a.call("count_calls", b"")), "3");
}

#[test]
fn a_plugin_error_carries_its_message() {
    let mut i = plain().instantiate().unwrap();
    let e = i.call("fail", b"because").unwrap_err();
    assert_eq!(
        e.to_string(),
        "`fail` returned error code 1: failed on purpose: because"
    );
}

#[test]
fn an_abort_is_a_trap_that_keeps_the_runtimes_message() {
    // AssemblyScript's runtime aborts on an index out of range: the plugin's abort
    // handler sets the message with `error_set`, then traps.
    let mut i = plain().instantiate().unwrap();
    let e = i.call("crash", b"abc").unwrap_err();
    assert!(matches!(e, Error::Trap { .. }), "{e:?}");
    let shown = e.to_string();
    assert!(shown.contains("unreachable"), "{shown}");
    assert!(
        shown.contains("the plugin's error message: abort: Index out of range"),
        "{shown}"
    );
    assert!(i.is_poisoned());
    assert_eq!(text(i.call("count_vowels", b"aeiou")), r#"{"count":5}"#);
}

#[test]
fn logging_follows_the_log_grant() {
    let l = load(&["log"], &[], Limits::default());
    l.plugin
        .instantiate()
        .unwrap()
        .call("log_it", b"hi")
        .unwrap();
    let lines: Vec<(Level, String)> = l.log.lines().into_iter().map(|(_, l, m)| (l, m)).collect();
    assert_eq!(
        lines,
        vec![
            (Level::Info, "info: hi".to_string()),
            (Level::Warn, "warn: hi".to_string())
        ]
    );
    // This PDK does not ask for the log level first: without the grant each line
    // is a denial, audited and dropped, and the call still succeeds.
    let l = load(&[], &[], Limits::default());
    l.plugin
        .instantiate()
        .unwrap()
        .call("log_it", b"hi")
        .unwrap();
    assert!(l.log.lines().is_empty());
    let denials = l.audit.denials();
    assert_eq!(denials.len(), 2, "{denials:?}");
    assert!(denials
        .iter()
        .all(|(_, kind, _, at_load)| *kind == caplet_core::Kind::Log && !at_load));
}

#[test]
fn an_infinite_loop_is_stopped_by_fuel_and_by_the_slice_hook() {
    let p = load(
        &[],
        &[],
        Limits::default()
            .with_fuel(2_000_000)
            .with_fuel_slice(100_000),
    )
    .plugin;
    let mut i = p.instantiate().unwrap();
    assert!(matches!(i.call("spin", b""), Err(Error::OutOfFuel { .. })));
    let mut slices = 0;
    let mut hook = |_: u64| {
        slices += 1;
        if slices == 3 {
            Err(Interrupt::Cancelled)
        } else {
            Ok(())
        }
    };
    let mut i = p.instantiate().unwrap();
    assert!(matches!(
        i.call_with("spin", b"", &mut hook),
        Err(Error::Interrupted {
            reason: Interrupt::Cancelled,
            ..
        })
    ));
}
