//! `emit:<topic-glob>`: events to the platform's sink.

use super::{capped, Services};
use crate::capability::Kind;
use crate::error::Code;

impl Services {
    /// Emits `data` on `topic`.
    pub fn emit(&self, topic: &str, data: &[u8]) -> Result<(), Code> {
        capped(topic.len(), self.limits.max_topic_bytes)?;
        capped(data.len(), self.limits.max_emit_bytes)?;
        self.check(Kind::Emit, topic)?;
        self.platform
            .events
            .as_ref()
            .ok_or(Code::Unsupported)?
            .emit(&self.name, topic, data)
    }
}
