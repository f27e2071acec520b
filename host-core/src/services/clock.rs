//! `clock`: wall and monotonic time.

use super::Services;
use crate::capability::Kind;
use crate::error::Code;
use crate::platform::ClockId;

impl Services {
    /// Nanoseconds of `clock` (wall: since the Unix epoch).
    pub fn clock_now(&self, clock: ClockId) -> Result<u64, Code> {
        self.require(Kind::Clock)?;
        self.platform
            .clock
            .as_ref()
            .ok_or(Code::Unsupported)?
            .now_ns(clock)
    }
}

impl Services {
    /// Blocks for `ns` nanoseconds (bounded by the platform by the call's deadline).
    pub fn sleep_ns(&self, ns: u64) -> Result<(), Code> {
        self.require(Kind::Clock)?;
        self.platform
            .clock
            .as_ref()
            .ok_or(Code::Unsupported)?
            .sleep_ns(ns)
    }
}
