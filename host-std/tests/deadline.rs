//! Deadlines and cancellation of running guest code, through the std `Deadline` hook.

use std::time::{Duration, Instant};

use caplet::deadline::{CancelHandle, Deadline};
use caplet_core::{Error, Interrupt, Limits};

fn spinner() -> caplet_core::Instance {
    let limits = Limits::default()
        .with_fuel(u64::MAX / 2)
        .with_fuel_slice(100_000);
    caplet_tests::load_limited(&caplet_tests::wat("spin"), limits)
        .instantiate()
        .unwrap()
}

#[test]
fn a_cancel_handle_stops_a_spinning_call_from_another_thread() {
    let mut i = spinner();
    let cancel = CancelHandle::new();
    let mut deadline = Deadline::new(None, cancel.clone());
    let canceller = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(100));
        cancel.cancel();
    });
    let started = Instant::now();
    let r = i.call_typed_with("spin", &[], &mut deadline);
    canceller.join().unwrap();
    assert!(
        matches!(
            r,
            Err(Error::Interrupted {
                reason: Interrupt::Cancelled,
                ..
            })
        ),
        "{r:?}"
    );
    assert!(started.elapsed() < Duration::from_secs(5));
    assert!(i.is_poisoned(), "an interrupted instance is not reused");
}

#[test]
fn a_timeout_stops_a_spinning_call_and_reports_the_time() {
    let mut i = spinner();
    let mut deadline = Deadline::new(Some(Duration::from_millis(150)), CancelHandle::new());
    let r = i.call_typed_with("spin", &[], &mut deadline);
    match r {
        Err(Error::Interrupted {
            reason: Interrupt::Deadline { elapsed_ms },
            ..
        }) => assert!((150..2000).contains(&elapsed_ms), "{elapsed_ms}"),
        other => panic!("expected a deadline interrupt, got {other:?}"),
    }
}
