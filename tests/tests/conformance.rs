//! The conformance table of `caplet-conformance`, on Linux: the same modules, inputs
//! and expected values the firmware under `targets/` checks on the board, on a
//! platform with the board's services (log, clock, random, events, KV; no
//! filesystem, HTTP, environment or secrets).

use caplet_core::platform::Level;
use std::collections::BTreeMap;
use std::sync::Arc;

use caplet_conformance::{run_case, Module, Modules, NoProbe, CASES, MODULES};
use caplet_core::platform::testing::{RecordingEvents, RecordingLog, StepClock, XorShiftEntropy};
use caplet_core::platform::{MemoryKv, Platform};
use caplet_core::Digest;
use caplet_tests::{plugin, wat};

struct Files(BTreeMap<&'static str, Vec<u8>>);

impl Modules for Files {
    fn module(&self, name: &str) -> Option<Module<'_>> {
        self.0.get(name).map(|bytes| Module {
            bytes,
            digest: Digest::of(bytes),
        })
    }
}

fn board_like_platform(log: Arc<RecordingLog>, events: Arc<RecordingEvents>) -> Platform {
    Platform {
        clock: Some(Arc::new(StepClock::new(1_700_000_000_000_000_000, 1_000))),
        entropy: Some(Arc::new(XorShiftEntropy::new(7))),
        log: Some(log),
        events: Some(events),
        kv: Some(Arc::new(MemoryKv::new(4))),
        ..Platform::new()
    }
}

#[test]
fn every_case_passes_with_the_board_profile() {
    let files = Files(
        MODULES
            .iter()
            .map(|&name| {
                let bytes = match name.strip_suffix(".wat") {
                    Some(stem) => wat(stem),
                    None => plugin(name),
                };
                (name, bytes)
            })
            .collect(),
    );
    let log = Arc::new(RecordingLog::default());
    let events = Arc::new(RecordingEvents::default());
    let platform = board_like_platform(log.clone(), events.clone());
    let runtime = caplet_conformance::runtime();
    // This host verifies signatures (caplet-core's `signatures`): the signed-module
    // cases are in the table.
    for name in [
        "signed",
        "signed_altered",
        "signed_by_another_key",
        "signature_missing",
    ] {
        assert!(CASES.iter().any(|c| c.name == name), "{name} missing");
    }
    let mut failures = Vec::new();
    for case in CASES {
        if let Err(f) = run_case(case, &runtime, &platform, &files, u64::MAX, &mut NoProbe) {
            failures.push(format!(
                "{}: step {:?}: expected {}; error {:?}; output {:?}",
                f.case,
                f.step,
                f.expected,
                f.error.map(|e| e.to_string()),
                f.output.map(|o| String::from_utf8_lossy(&o).into_owned())
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "conformance failures:\n{}",
        failures.join("\n")
    );
    // The services saw what the cases did.
    let lines = log.lines();
    assert_eq!(lines.len(), 7, "{lines:?}");
    // The WASI command's stdout and stderr, on a host without standard streams.
    assert_eq!(
        lines[..2],
        [
            (
                "plugin".to_string(),
                Level::Info,
                "hello from wasi".to_string()
            ),
            ("plugin".to_string(), Level::Warn, "20".to_string()),
        ]
    );
    assert!(lines[2..]
        .iter()
        .all(|(p, _, m)| p == "logger" && m == "conformance: five levels"));
    assert_eq!(
        events.events(),
        [(
            "host_tour".to_string(),
            "events.conformance".to_string(),
            b"hi".to_vec()
        )]
    );
}

#[test]
fn case_names_are_unique_and_modules_listed() {
    let mut names: Vec<_> = CASES.iter().map(|c| c.name).collect();
    names.sort_unstable();
    let before = names.len();
    names.dedup();
    assert_eq!(names.len(), before, "duplicate case names");
    for case in CASES {
        if let caplet_conformance::Source::Module(m) | caplet_conformance::Source::Truncated(m, _) =
            case.source
        {
            assert!(
                MODULES.contains(&m),
                "{}: module {m} not in MODULES",
                case.name
            );
        }
    }
}
