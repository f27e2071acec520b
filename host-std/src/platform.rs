//! Std implementations of the core's platform traits.

use std::io::{Read, Write};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use std::path::PathBuf;

use caplet_core::platform::{
    Audit, Clock, ClockId, Denial, Entropy, EventSink, KvStore, Level, LogSink, MemoryKv, Stdio,
};
use caplet_core::services::Stream;

use crate::deadline::call_time_left;
use caplet_core::{Code, Platform};

use crate::env::StdEnv;
use crate::exec::StdExec;
use crate::fs::{Mount, StdFs};
use crate::http::{HttpConfig, StdHttp};
use crate::kv::SqliteKv;
use crate::secrets::StdSecrets;

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

    /// Sleeps, but never past the deadline of the call running on this thread:
    /// a sleep that would cross it sleeps until it and returns `TIMEOUT`.
    fn sleep_ns(&self, ns: u64) -> Result<(), Code> {
        let want = Duration::from_nanos(ns);
        match call_time_left() {
            Some(left) if left < want => {
                std::thread::sleep(left);
                Err(Code::Timeout)
            }
            _ => {
                std::thread::sleep(want);
                Ok(())
            }
        }
    }
}

/// The process's own standard streams, for WASI programs: output is written
/// through and flushed at once (streamed, never buffered whole), input is read as
/// it arrives.
#[derive(Debug, Default)]
pub struct ProcessStdio;

impl Stdio for ProcessStdio {
    fn write(&self, stream: Stream, data: &[u8]) -> Result<usize, Code> {
        let result = match stream {
            Stream::Stdout => {
                let mut out = std::io::stdout().lock();
                out.write_all(data).and_then(|()| out.flush())
            }
            Stream::Stderr => {
                let mut err = std::io::stderr().lock();
                err.write_all(data).and_then(|()| err.flush())
            }
        };
        result.map(|()| data.len()).map_err(|_| Code::Io)
    }

    fn read(&self, buf: &mut [u8]) -> Result<usize, Code> {
        std::io::stdin().lock().read(buf).map_err(|_| Code::Io)
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

/// Operator settings from which a whole std [`Platform`] is built.
///
/// Every service is present (so every capability can be granted), but each reaches
/// only what the operator configured here: no mapped directory means every path is
/// `NOT_FOUND`, an empty env allowlist means every variable is absent, and so on.
#[derive(Debug, Clone)]
pub struct StdPlatform {
    /// Lowest plugin log level written to stderr.
    pub log_level: Level,
    /// Host directories mapped to guest paths (`--dir`).
    pub mounts: Vec<Mount>,
    /// The environment allowlist (`--env NAME` or `NAME=VALUE`).
    pub env: Vec<String>,
    /// The secrets file (`--secrets`).
    pub secrets_file: Option<PathBuf>,
    /// The durable KV store (`--kv-store`); without it KV lives in memory for the
    /// life of the process.
    pub kv_store: Option<PathBuf>,
    /// HTTP settings.
    pub http: HttpConfig,
    /// Give WASI programs the process's standard streams; without it their output
    /// goes to the plugin log.
    pub stdio: bool,
}

impl Default for StdPlatform {
    fn default() -> Self {
        StdPlatform {
            log_level: Level::Info,
            mounts: Vec::new(),
            env: Vec::new(),
            secrets_file: None,
            kv_store: None,
            http: HttpConfig::default(),
            stdio: false,
        }
    }
}

impl StdPlatform {
    /// Opens directories, reads the secrets file and the environment, opens the KV
    /// store. Errors name the setting and what was wrong.
    pub fn build(&self) -> Result<Platform, String> {
        let fs = StdFs::new(self.mounts.iter().cloned()).map_err(|e| format!("--dir: {e}"))?;
        let env = StdEnv::from_specs(&self.env).map_err(|e| format!("--env: {e}"))?;
        let secrets = match &self.secrets_file {
            Some(p) => StdSecrets::from_file(p)?,
            None => StdSecrets::empty(),
        };
        let kv: Arc<dyn KvStore> = match &self.kv_store {
            Some(p) => Arc::new(SqliteKv::open(p)?),
            None => Arc::new(MemoryKv::default()),
        };
        Ok(self.assemble(fs, env, secrets, kv))
    }

    /// The platform around services already opened.
    fn assemble(
        &self,
        fs: StdFs,
        env: StdEnv,
        secrets: StdSecrets,
        kv: Arc<dyn KvStore>,
    ) -> Platform {
        Platform {
            clock: Some(Arc::new(SystemClock::default())),
            entropy: Some(Arc::new(OsEntropy)),
            log: Some(Arc::new(StderrLog {
                min_level: self.log_level,
            })),
            events: Some(Arc::new(StderrEvents)),
            kv: Some(kv),
            fs: Some(Arc::new(fs)),
            http: Some(Arc::new(StdHttp::new(self.http.clone()))),
            env: Some(Arc::new(env)),
            secrets: Some(Arc::new(secrets)),
            stdio: self.stdio.then(|| Arc::new(ProcessStdio) as Arc<dyn Stdio>),
            exec: Some(Arc::new(StdExec::new(&self.mounts))),
            audit: Some(Arc::new(StderrAudit)),
        }
    }
}

/// The default std platform with `min_level` logs: system clock, OS entropy, stderr
/// logs and events, in-memory KV, HTTP with default settings, and no directories,
/// environment or secrets.
pub fn std_platform(min_level: Level) -> Platform {
    // Nothing to open: no directories, environment, secrets file or store.
    StdPlatform {
        log_level: min_level,
        ..StdPlatform::default()
    }
    .assemble(
        StdFs::empty(),
        StdEnv::default(),
        StdSecrets::empty(),
        Arc::new(MemoryKv::default()),
    )
}

/// Writes each denial made during a call to stderr as
/// `[plugin] DENIED <kind> <subject>`. A denial at load fails the load, and the
/// load's error already names it, so it is not repeated.
#[derive(Debug, Default)]
pub struct StderrAudit;

impl Audit for StderrAudit {
    fn denied(&self, d: &Denial<'_>) {
        if d.at_load {
            return;
        }
        let _ = writeln!(
            std::io::stderr().lock(),
            "[{}] DENIED {} {}",
            escape(d.plugin),
            d.kind.prefix(),
            escape(d.subject)
        );
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
