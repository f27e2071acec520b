//! Std implementations of the core's platform traits.

use std::io::Write;
use std::sync::Arc;
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use caplet_core::platform::{Clock, ClockId, Entropy, EventSink, Level, LogSink, MemoryKv};
use caplet_core::{Code, Platform};

/// The system clocks: wall time from `SystemTime`, monotonic time from `Instant`
/// (nanoseconds since this clock was created).
pub struct SystemClock {
    start: Instant,
}

impl Default for SystemClock {
    fn default() -> Self {
        SystemClock {
            start: Instant::now(),
        }
    }
}

impl Clock for SystemClock {
    fn now_ns(&self, clock: ClockId) -> Result<u64, Code> {
        match clock {
            ClockId::Wall => SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .map(|d| d.as_nanos().min(u64::MAX as u128) as u64)
                .map_err(|_| Code::Io),
            ClockId::Monotonic => Ok(self.start.elapsed().as_nanos().min(u64::MAX as u128) as u64),
        }
    }
}

/// The operating system's cryptographically secure random source (`getrandom`).
#[derive(Default)]
pub struct OsEntropy;

impl Entropy for OsEntropy {
    fn fill(&self, buf: &mut [u8]) -> Result<(), Code> {
        getrandom::fill(buf).map_err(|_| Code::Io)
    }
}

/// Writes plugin log lines to stderr as `[<plugin>] <LEVEL> <message>`, dropping
/// lines below `min_level`. Control characters in messages are escaped so a plugin
/// cannot forge other lines or terminal sequences.
pub struct StderrLog {
    /// Lowest level written.
    pub min_level: Level,
}

impl LogSink for StderrLog {
    fn log(&self, plugin: &str, level: Level, message: &str) {
        if level < self.min_level {
            return;
        }
        let line = format!(
            "[{plugin}] {:<5} {}\n",
            level.name().to_uppercase(),
            escape(message)
        );
        let _ = std::io::stderr().lock().write_all(line.as_bytes());
    }
}

/// Writes emitted events to stderr as `[<plugin>] EVENT <topic> <data>`.
#[derive(Default)]
pub struct StderrEvents;

impl EventSink for StderrEvents {
    fn emit(&self, plugin: &str, topic: &str, data: &[u8]) -> Result<(), Code> {
        let line = format!(
            "[{plugin}] EVENT {} {}\n",
            escape(topic),
            escape(&String::from_utf8_lossy(data))
        );
        std::io::stderr()
            .lock()
            .write_all(line.as_bytes())
            .map_err(|_| Code::Io)
    }
}

/// Escapes control characters (`\n` → `\\n`, others as `\u{..}`).
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c.is_control() => out.push_str(&format!("\\u{{{:x}}}", c as u32)),
            c => out.push(c),
        }
    }
    out
}

/// The std platform with the services available today: log (stderr), clock,
/// random (OS), in-memory KV (per process), emit (stderr).
pub fn std_platform(min_level: Level) -> Platform {
    Platform {
        clock: Some(Arc::new(SystemClock::default())),
        entropy: Some(Arc::new(OsEntropy)),
        log: Some(Arc::new(StderrLog { min_level })),
        events: Some(Arc::new(StderrEvents)),
        kv: Some(Arc::new(MemoryKv::default())),
        ..Platform::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escape_neutralises_control_characters() {
        assert_eq!(escape("a\nb\u{1b}[31m"), "a\\nb\\u{1b}[31m");
    }

    #[test]
    fn clocks_advance() {
        let c = SystemClock::default();
        let a = c.now_ns(ClockId::Monotonic).unwrap();
        let b = c.now_ns(ClockId::Monotonic).unwrap();
        assert!(b >= a);
        assert!(c.now_ns(ClockId::Wall).unwrap() > 1_600_000_000_000_000_000);
    }

    #[test]
    fn os_entropy_fills() {
        let mut a = [0u8; 32];
        let mut b = [0u8; 32];
        OsEntropy.fill(&mut a).unwrap();
        OsEntropy.fill(&mut b).unwrap();
        assert_ne!(a, b);
    }
}
