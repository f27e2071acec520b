//! Wall-clock deadlines and cancellation, checked between fuel slices.
//!
//! A [`Deadline`] is the [`SliceHook`] of one call: it stops the guest between fuel
//! slices once the time is up or the call was cancelled. Host services that block
//! (HTTP) bound their own waits by the same deadline: run the call inside
//! [`with_call_deadline`] and they read [`call_time_left`].

use std::cell::Cell;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use caplet_core::{Interrupt, SliceHook};

/// A handle that cancels a running call from any thread.
#[derive(Clone, Default, Debug)]
pub struct CancelHandle(Arc<AtomicBool>);

impl CancelHandle {
    /// A fresh handle.
    pub fn new() -> Self {
        Self::default()
    }

    /// Asks the call to stop at the next slice boundary.
    pub fn cancel(&self) {
        self.0.store(true, Ordering::Relaxed);
    }

    /// Whether [`cancel`](Self::cancel) was called.
    pub fn is_cancelled(&self) -> bool {
        self.0.load(Ordering::Relaxed)
    }
}

/// A [`SliceHook`] enforcing an optional deadline and a cancel handle.
///
/// The deadline is checked between fuel slices, so a call overshoots it by at most
/// one slice of guest work (the fuel slice is the knob) plus one host call.
#[derive(Debug)]
pub struct Deadline {
    start: Instant,
    timeout: Option<Duration>,
    cancel: CancelHandle,
}

impl Deadline {
    /// Starts the clock now.
    pub fn new(timeout: Option<Duration>, cancel: CancelHandle) -> Self {
        Deadline {
            start: Instant::now(),
            timeout,
            cancel,
        }
    }

    /// Time since the deadline was created.
    pub fn elapsed(&self) -> Duration {
        self.start.elapsed()
    }

    /// The instant the call must end by, if it has a timeout.
    pub fn until(&self) -> Option<Instant> {
        self.timeout.and_then(|t| self.start.checked_add(t))
    }
}

thread_local! {
    static CALL_DEADLINE: Cell<Option<Instant>> = const { Cell::new(None) };
}

/// Runs `f` (a guest call on this thread) with `until` as the deadline that blocking
/// host services see through [`call_time_left`]. Nests: the previous deadline is
/// restored afterwards, even if `f` panics.
pub fn with_call_deadline<R>(until: Option<Instant>, f: impl FnOnce() -> R) -> R {
    struct Restore(Option<Instant>);
    impl Drop for Restore {
        fn drop(&mut self) {
            CALL_DEADLINE.with(|d| d.set(self.0));
        }
    }
    let _restore = Restore(CALL_DEADLINE.with(|d| d.replace(until)));
    f()
}

/// Time left before the deadline of the call running on this thread: `None` when the
/// call has no deadline, `Some(ZERO)` once it has passed.
pub fn call_time_left() -> Option<Duration> {
    CALL_DEADLINE
        .with(|d| d.get())
        .map(|until| until.saturating_duration_since(Instant::now()))
}

impl SliceHook for Deadline {
    fn on_slice(&mut self, _fuel_used: u64) -> Result<(), Interrupt> {
        if self.cancel.is_cancelled() {
            return Err(Interrupt::Cancelled);
        }
        let elapsed = self.start.elapsed();
        match self.timeout {
            Some(t) if elapsed >= t => Err(Interrupt::Deadline {
                elapsed_ms: elapsed.as_millis() as u64,
            }),
            _ => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn call_deadlines_nest_and_restore() {
        assert_eq!(call_time_left(), None);
        let outer = Instant::now() + Duration::from_secs(60);
        with_call_deadline(Some(outer), || {
            let left = call_time_left().unwrap();
            assert!(left > Duration::from_secs(59) && left <= Duration::from_secs(60));
            with_call_deadline(Some(Instant::now()), || {
                assert_eq!(call_time_left(), Some(Duration::ZERO));
            });
            assert!(call_time_left().unwrap() > Duration::from_secs(59));
        });
        assert_eq!(call_time_left(), None);
    }

    #[test]
    fn a_cancelled_handle_stops_the_next_slice() {
        let cancel = CancelHandle::new();
        let mut d = Deadline::new(None, cancel.clone());
        assert!(d.on_slice(0).is_ok());
        std::thread::spawn(move || cancel.cancel()).join().unwrap();
        assert!(matches!(d.on_slice(0), Err(Interrupt::Cancelled)));
    }
}
