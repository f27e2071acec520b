//! `log`: plugin log lines to the platform's sink.

use alloc::format;
use alloc::string::String;

use super::Services;
use crate::capability::Kind;
use crate::error::Code;
use crate::platform::Level;

impl Services {
    /// Logs `message` at `level`. Invalid UTF-8 is replaced; a message over the
    /// line cap is cut and marked. A host without a log sink drops the line.
    pub fn log(&self, level: Level, message: &[u8]) -> Result<(), Code> {
        self.require(Kind::Log)?;
        let cap = self.limits.max_log_line_bytes as usize;
        let Some(sink) = &self.platform.log else {
            return Ok(());
        };
        if message.len() > cap {
            let text = String::from_utf8_lossy(&message[..cap]);
            let line = format!("{text}… [truncated {} bytes]", message.len() - cap);
            sink.log(&self.name, level, &line);
        } else {
            sink.log(&self.name, level, &String::from_utf8_lossy(message));
        }
        Ok(())
    }
}
