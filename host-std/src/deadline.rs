//! Wall-clock deadlines and cancellation, checked between fuel slices.

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
