//! Running an allowed program (`caplet.exec`, capability
//! `exec:<program-path-glob>`), on hosts that offer it (Linux, not boards).
//!
//! Nothing runs through a shell: the program is an absolute host path and its
//! arguments are passed as they are. The child's environment holds only the
//! variables named with [`Command::env`] that the operator allows (`env:`
//! grants), with the host's values; its working directory is a guest directory
//! the plugin may read or write (by default its `fs:temp` scratch directory).
//! The host caps the captured output and the run time and kills the whole
//! process group past either.
//!
//! ```no_run
//! use caplet_guest::exec::Command;
//!
//! # fn main() -> Result<(), caplet_guest::Error> {
//! let out = Command::new("/usr/bin/sha256sum")
//!     .arg("report.csv")
//!     .cwd("/data")
//!     .timeout_ms(2_000)
//!     .run()?;
//! if !out.success() {
//!     return Err(caplet_guest::Error::internal(format!("sha256sum failed: {:?}", out.exit_code)));
//! }
//! let digest = String::from_utf8_lossy(&out.stdout);
//! # let _ = digest;
//! # Ok(())
//! # }
//! ```
//!
//! On the wire a request is `{"argv":["/bin/echo","hi"],"env":["LANG"],"cwd":"/data",
//! "stdin":"<base64>","timeout_ms":2000}` and a response `{"exit_code":0,"signal":null,
//! "timed_out":false,"output_capped":false,"duration_ms":3,"stdout":"<base64>",
//! "stderr":"<base64>"}`.

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use serde::{Deserialize, Serialize};

use crate::error::Error;
use crate::sys;

/// A program to run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Command {
    argv: Vec<String>,
    env: Vec<String>,
    cwd: Option<String>,
    stdin: Vec<u8>,
    timeout_ms: Option<u64>,
}

/// How a program run ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Output {
    /// The exit status, when the program exited.
    pub exit_code: Option<i32>,
    /// The signal that ended it (9 after a timeout or over-cap output).
    pub signal: Option<i32>,
    /// The timeout passed.
    pub timed_out: bool,
    /// stdout or stderr passed the host's cap (and holds only the first part).
    pub output_capped: bool,
    /// Wall-clock time of the run.
    pub duration_ms: u64,
    /// Standard output.
    pub stdout: Vec<u8>,
    /// Standard error.
    pub stderr: Vec<u8>,
}

impl Output {
    /// Whether the program exited with status 0.
    pub fn success(&self) -> bool {
        self.exit_code == Some(0)
    }
}

#[derive(Serialize)]
struct RequestJson<'a> {
    argv: &'a [String],
    env: &'a [String],
    #[serde(skip_serializing_if = "Option::is_none")]
    cwd: Option<&'a str>,
    stdin: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    timeout_ms: Option<u64>,
}

#[derive(Deserialize)]
struct OutputJson {
    exit_code: Option<i32>,
    signal: Option<i32>,
    timed_out: bool,
    output_capped: bool,
    duration_ms: u64,
    stdout: String,
    stderr: String,
}

impl Command {
    /// A command running `program`, an absolute host path.
    pub fn new(program: impl Into<String>) -> Command {
        Command {
            argv: vec![program.into()],
            env: Vec::new(),
            cwd: None,
            stdin: Vec::new(),
            timeout_ms: None,
        }
    }

    /// Adds an argument.
    pub fn arg(mut self, arg: impl Into<String>) -> Command {
        self.argv.push(arg.into());
        self
    }

    /// Adds arguments.
    pub fn args<I, S>(mut self, args: I) -> Command
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.argv.extend(args.into_iter().map(Into::into));
        self
    }

    /// Passes the host's variable `name` (it needs an `env:` grant).
    pub fn env(mut self, name: impl Into<String>) -> Command {
        self.env.push(name.into());
        self
    }

    /// Runs in guest directory `dir` (default: the `fs:temp` directory).
    pub fn cwd(mut self, dir: impl Into<String>) -> Command {
        self.cwd = Some(dir.into());
        self
    }

    /// Bytes for the program's standard input.
    pub fn stdin(mut self, bytes: impl Into<Vec<u8>>) -> Command {
        self.stdin = bytes.into();
        self
    }

    /// A shorter timeout than the operator's.
    pub fn timeout_ms(mut self, ms: u64) -> Command {
        self.timeout_ms = Some(ms);
        self
    }

    /// The request as the contract's JSON.
    pub fn to_json(&self) -> Result<Vec<u8>, Error> {
        crate::json::to_vec(&RequestJson {
            argv: &self.argv,
            env: &self.env,
            cwd: self.cwd.as_deref(),
            stdin: STANDARD.encode(&self.stdin),
            timeout_ms: self.timeout_ms,
        })
    }

    /// Runs the program and waits for it. A non-zero exit is still `Ok`; a
    /// program outside the grant is `PERMISSION_DENIED`, a host without `exec`
    /// `UNSUPPORTED`.
    pub fn run(&self) -> Result<Output, Error> {
        let raw = sys::exec(&self.to_json()?)?;
        Output::from_json(&raw)
    }
}

impl Output {
    /// Decodes the contract's JSON response.
    pub fn from_json(bytes: &[u8]) -> Result<Output, Error> {
        let o: OutputJson = serde_json::from_slice(bytes)
            .map_err(|e| Error::internal(format!("exec: malformed response from host: {e}")))?;
        let decode = |s: &str| {
            STANDARD
                .decode(s)
                .map_err(|e| Error::internal(format!("exec: bad base64 from host: {e}")))
        };
        Ok(Output {
            exit_code: o.exit_code,
            signal: o.signal,
            timed_out: o.timed_out,
            output_capped: o.output_capped,
            duration_ms: o.duration_ms,
            stdout: decode(&o.stdout)?,
            stderr: decode(&o.stderr)?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requests_encode_to_contract_json() {
        let json = Command::new("/bin/echo")
            .args(["a b", "$HOME"])
            .env("LANG")
            .cwd("/data")
            .stdin(&b"hi"[..])
            .timeout_ms(500)
            .to_json()
            .unwrap();
        assert_eq!(
            String::from_utf8(json).unwrap(),
            r#"{"argv":["/bin/echo","a b","$HOME"],"env":["LANG"],"cwd":"/data","stdin":"aGk=","timeout_ms":500}"#
        );
        let bare = Command::new("/bin/true").to_json().unwrap();
        assert_eq!(
            String::from_utf8(bare).unwrap(),
            r#"{"argv":["/bin/true"],"env":[],"stdin":""}"#
        );
    }

    #[test]
    fn responses_decode() {
        let out = Output::from_json(
            br#"{"exit_code":null,"signal":9,"timed_out":true,"output_capped":false,"duration_ms":200,"stdout":"aGk=","stderr":""}"#,
        )
        .unwrap();
        assert_eq!(out.signal, Some(9));
        assert!(out.timed_out && !out.success());
        assert_eq!(out.stdout, b"hi");
        assert!(Output::from_json(b"{}").is_err());
    }

    #[test]
    fn off_wasm_the_host_is_unsupported() {
        let err = Command::new("/bin/true").run().unwrap_err();
        assert_eq!(err.code, crate::ErrorCode::Unsupported);
    }
}
