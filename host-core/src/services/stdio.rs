//! `stdio`: a WASI program's standard streams. On a host with a [`Stdio`]
//! platform service they pass through (Linux); on a host with only a log sink
//! (a board), output goes to the log, stdout at `info` and stderr at `warn`, and
//! input is empty.
//!
//! [`Stdio`]: crate::platform::Stdio

use super::{capped, Services};
use crate::capability::Kind;
use crate::error::Code;
use crate::platform::Level;

/// A standard stream.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stream {
    /// Standard output.
    Stdout,
    /// Standard error.
    Stderr,
}

impl Services {
    /// Writes `data` to `stream`; returns the bytes written.
    pub fn stdio_write(&self, stream: Stream, data: &[u8]) -> Result<usize, Code> {
        self.require(Kind::Stdio)?;
        capped(data.len(), self.limits.max_host_result_bytes)?;
        if let Some(stdio) = &self.platform.stdio {
            return stdio.write(stream, data);
        }
        let sink = self.platform.log.as_ref().ok_or(Code::Unsupported)?;
        let level = match stream {
            Stream::Stdout => Level::Info,
            Stream::Stderr => Level::Warn,
        };
        let cap = self.limits.max_log_line_bytes as usize;
        let text = alloc::string::String::from_utf8_lossy(data);
        for line in text.lines() {
            let line = match line.char_indices().nth(cap) {
                Some((end, _)) => &line[..end],
                None => line,
            };
            sink.log(&self.name, level, line);
        }
        Ok(data.len())
    }

    /// Reads standard input into `buf`; `Ok(0)` at its end.
    pub fn stdio_read(&self, buf: &mut [u8]) -> Result<usize, Code> {
        self.require(Kind::Stdio)?;
        match &self.platform.stdio {
            Some(stdio) => stdio.read(buf),
            None => Ok(0),
        }
    }
}
