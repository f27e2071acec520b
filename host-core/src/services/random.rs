//! `random`: bytes from the platform's entropy source.

use super::{capped, Services};
use crate::capability::Kind;
use crate::error::Code;

impl Services {
    /// Fills `buf` with random bytes (at most the `max_random_bytes` cap).
    pub fn random_fill(&self, buf: &mut [u8]) -> Result<(), Code> {
        self.require(Kind::Random)?;
        capped(buf.len(), self.limits.max_random_bytes)?;
        self.platform
            .entropy
            .as_ref()
            .ok_or(Code::Unsupported)?
            .fill(buf)
    }
}
