//! Safe wrappers for the host imports that move plain values: log, config,
//! clock, random, kv, emit, env and secrets. Files and HTTP have their own
//! modules ([`fs`](crate::fs), [`http`](crate::http)).
//!
//! Every wrapper returns contract errors; none panics on bad host data.

use crate::error::{Error, ErrorCode};
use crate::sys;

/// Maps `NOT_FOUND` to `None`.
fn optional<T>(result: Result<T, Error>) -> Result<Option<T>, Error> {
    match result {
        Ok(v) => Ok(Some(v)),
        Err(e) if e.code == ErrorCode::NotFound => Ok(None),
        Err(e) => Err(e),
    }
}

/// A host result that must be text.
fn utf8(import: &str, bytes: Vec<u8>, code: ErrorCode) -> Result<String, Error> {
    String::from_utf8(bytes).map_err(|_| Error::new(code, format!("{import}: value is not UTF-8")))
}

pub mod log {
    //! Log lines to the host (`caplet.log`, capability `log`).
    //!
    //! Logging never fails from the plugin's point of view: a line the host
    //! drops (over its size cap, say) is simply lost.

    /// Severity of a log line, as numbered by the contract.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
    #[repr(i32)]
    pub enum Level {
        /// `0`
        Trace = 0,
        /// `1`
        Debug = 1,
        /// `2`
        Info = 2,
        /// `3`
        Warn = 3,
        /// `4`
        Error = 4,
    }

    /// Logs `message` at `level`.
    pub fn log(level: Level, message: &str) {
        crate::sys::log(level as i32, message.as_bytes());
    }

    /// Logs at [`Level::Trace`].
    pub fn trace(message: &str) {
        log(Level::Trace, message)
    }

    /// Logs at [`Level::Debug`].
    pub fn debug(message: &str) {
        log(Level::Debug, message)
    }

    /// Logs at [`Level::Info`].
    pub fn info(message: &str) {
        log(Level::Info, message)
    }

    /// Logs at [`Level::Warn`].
    pub fn warn(message: &str) {
        log(Level::Warn, message)
    }

    /// Logs at [`Level::Error`].
    pub fn error(message: &str) {
        log(Level::Error, message)
    }
}

pub mod config {
    //! The plugin's own configuration (`caplet.config_get`, no capability).
    //!
    //! Values come from the manifest's `config` defaults, overridden by the
    //! operator (`--config KEY=VALUE`).

    use super::{optional, utf8};
    use crate::error::{Error, ErrorCode};

    /// The value of config key `key`, or `None` when it is not set.
    pub fn get(key: &str) -> Result<Option<String>, Error> {
        optional(crate::sys::config_get(key.as_bytes()))?
            .map(|v| utf8("config_get", v, ErrorCode::Internal))
            .transpose()
    }
}

pub mod clock {
    //! Time (`caplet.clock_now`, capability `clock`).

    use crate::error::Error;

    /// Which clock to read; the numbers are the contract's.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
    #[repr(i32)]
    pub enum Clock {
        /// `0` — wall-clock time, nanoseconds since the Unix epoch.
        Wall = 0,
        /// `1` — a monotonic clock in nanoseconds from an unspecified start.
        Monotonic = 1,
    }

    /// Reads `clock` in nanoseconds.
    pub fn now(clock: Clock) -> Result<u64, Error> {
        crate::sys::clock_now(clock as i32)
    }

    /// Wall-clock time in nanoseconds since the Unix epoch.
    pub fn wall_ns() -> Result<u64, Error> {
        now(Clock::Wall)
    }

    /// Monotonic time in nanoseconds; only differences are meaningful.
    pub fn monotonic_ns() -> Result<u64, Error> {
        now(Clock::Monotonic)
    }
}

pub mod random {
    //! Random bytes from the host (`caplet.random_fill`, capability `random`).

    use crate::error::Error;

    /// Fills `buf` with random bytes. An empty `buf` needs no host call.
    pub fn fill(buf: &mut [u8]) -> Result<(), Error> {
        crate::sys::random_fill(buf)
    }

    /// `len` random bytes.
    pub fn bytes(len: usize) -> Result<Vec<u8>, Error> {
        let mut buf = vec![0u8; len];
        fill(&mut buf)?;
        Ok(buf)
    }

    /// A random `u64`.
    pub fn u64() -> Result<u64, Error> {
        let mut buf = [0u8; 8];
        fill(&mut buf)?;
        Ok(u64::from_le_bytes(buf))
    }
}

pub mod kv {
    //! The plugin's private key-value store (`caplet.kv_get`, `kv_set`,
    //! `kv_delete`; capability `kv`). Each plugin sees only its own keys.

    use super::optional;
    use crate::error::Error;

    /// The value stored under `key`, or `None` when there is none.
    pub fn get(key: &str) -> Result<Option<Vec<u8>>, Error> {
        optional(crate::sys::kv_get(key.as_bytes()))
    }

    /// Stores `value` under `key`, replacing any previous value.
    pub fn set(key: &str, value: &[u8]) -> Result<(), Error> {
        crate::sys::kv_set(key.as_bytes(), value)
    }

    /// Removes `key`. What a missing key returns is up to the host (success
    /// or `NOT_FOUND`); use [`delete_if_present`] to ignore the difference.
    pub fn delete(key: &str) -> Result<(), Error> {
        crate::sys::kv_delete(key.as_bytes())
    }

    /// Removes `key`, treating `NOT_FOUND` as success.
    pub fn delete_if_present(key: &str) -> Result<(), Error> {
        optional(delete(key)).map(|_| ())
    }
}

/// Publishes `data` on `topic` (`caplet.emit`, capability `emit:<topic-glob>`).
///
/// A topic outside the granted globs fails with `PERMISSION_DENIED`.
pub fn emit(topic: &str, data: &[u8]) -> Result<(), Error> {
    sys::emit(topic.as_bytes(), data)
}

pub mod env {
    //! Environment variables the operator exposes (`caplet.env_get`,
    //! capability `env:<name-glob>`).

    use super::{optional, utf8};
    use crate::error::{Error, ErrorCode};

    /// The value of variable `name`, or `None` when it is not set.
    /// A value that is not UTF-8 is `INVALID_INPUT`.
    pub fn get(name: &str) -> Result<Option<String>, Error> {
        optional(crate::sys::env_get(name.as_bytes()))?
            .map(|v| utf8("env_get", v, ErrorCode::InvalidInput))
            .transpose()
    }
}

pub mod secret {
    //! Secrets the operator provides (`caplet.secret_get`, capability
    //! `secrets:read:<name-glob>`). Secret values are bytes, not text.

    use super::optional;
    use crate::error::Error;

    /// The value of secret `name`, or `None` when there is no such secret.
    pub fn get(name: &str) -> Result<Option<Vec<u8>>, Error> {
        optional(crate::sys::secret_get(name.as_bytes()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn not_found_is_none() {
        assert_eq!(optional::<u8>(Err(Error::not_found("x"))), Ok(None));
        assert_eq!(optional(Ok(1)), Ok(Some(1)));
        let e = optional::<u8>(Err(Error::io("x"))).unwrap_err();
        assert_eq!(e.code, ErrorCode::Io);
    }

    #[test]
    fn utf8_results() {
        assert_eq!(
            utf8("x", b"ok".to_vec(), ErrorCode::Internal).unwrap(),
            "ok"
        );
        let e = utf8("env_get", vec![0xff], ErrorCode::InvalidInput).unwrap_err();
        assert_eq!(e.code, ErrorCode::InvalidInput);
    }

    #[test]
    fn wrappers_on_a_machine_without_host_are_unsupported() {
        log::info("no host here");
        assert_eq!(config::get("k").unwrap_err().code, ErrorCode::Unsupported);
        assert_eq!(clock::wall_ns().unwrap_err().code, ErrorCode::Unsupported);
        assert_eq!(
            clock::monotonic_ns().unwrap_err().code,
            ErrorCode::Unsupported
        );
        assert_eq!(random::bytes(0), Ok(Vec::new()));
        assert_eq!(random::u64().unwrap_err().code, ErrorCode::Unsupported);
        assert_eq!(kv::get("k").unwrap_err().code, ErrorCode::Unsupported);
        assert_eq!(
            kv::delete_if_present("k").unwrap_err().code,
            ErrorCode::Unsupported
        );
        assert_eq!(
            emit("events.x", b"").unwrap_err().code,
            ErrorCode::Unsupported
        );
        assert_eq!(env::get("HOME").unwrap_err().code, ErrorCode::Unsupported);
        assert_eq!(
            secret::get("token").unwrap_err().code,
            ErrorCode::Unsupported
        );
    }
}
