//! The std `exec` service: runs a program the core has checked (grant, argv,
//! environment, working directory, caps) with [`crate::process::run`]: no shell,
//! an empty environment plus the allowed variables, a process group of its own
//! killed on timeout or over-cap output.
//!
//! The run is bounded by the request's timeout and by what is left of the call's
//! wall-clock deadline ([`crate::deadline::call_time_left`]), whichever is first.
//!
//! One more rule here, where host paths are known: a program that lies inside a
//! directory the plugin can write (a read-write `--dir` mapping or a scratch
//! directory) is refused with `PERMISSION_DENIED`, even when an `exec:` grant
//! matches it, so a plugin cannot write a program and then run it. The program's
//! path is resolved through symbolic links for this check.

use std::path::{Path, PathBuf};
use std::time::Duration;

use caplet_core::platform::{Exec, ExecOutput, ExecRequest};
use caplet_core::Code;

use crate::fs::{Mount, SCRATCH_PREFIX};
use crate::process::{run, ProcessRequest};

/// The std [`Exec`].
#[derive(Debug)]
pub struct StdExec {
    /// Host directories the plugin can write (canonical).
    writable: Vec<PathBuf>,
    /// The host's temporary directory (canonical), where scratch directories live.
    temp: PathBuf,
}

impl StdExec {
    /// An exec service that refuses programs beneath the read-write mappings in
    /// `mounts` and beneath the host's scratch directories.
    pub fn new<'a>(mounts: impl IntoIterator<Item = &'a Mount>) -> Self {
        let writable = mounts
            .into_iter()
            .filter(|m| !m.read_only)
            .filter_map(|m| std::fs::canonicalize(&m.host).ok())
            .collect();
        let temp = std::env::temp_dir();
        let temp = std::fs::canonicalize(&temp).unwrap_or(temp);
        StdExec { writable, temp }
    }

    /// Whether `program` (canonical) lies where the plugin could have written it.
    fn plugin_writable(&self, program: &Path) -> bool {
        if self.writable.iter().any(|w| program.starts_with(w)) {
            return true;
        }
        program
            .strip_prefix(&self.temp)
            .ok()
            .and_then(|rest| rest.components().next())
            .is_some_and(|first| {
                first
                    .as_os_str()
                    .to_str()
                    .is_some_and(|name| name.starts_with(SCRATCH_PREFIX))
            })
    }
}

fn code_of(e: &std::io::Error) -> Code {
    match e.kind() {
        std::io::ErrorKind::NotFound => Code::NotFound,
        std::io::ErrorKind::PermissionDenied => Code::PermissionDenied,
        std::io::ErrorKind::InvalidInput => Code::InvalidInput,
        _ => Code::Io,
    }
}

impl Exec for StdExec {
    fn run(&self, request: &ExecRequest) -> Result<ExecOutput, Code> {
        let program = Path::new(&request.program);
        let real = std::fs::canonicalize(program).map_err(|e| code_of(&e))?;
        if self.plugin_writable(&real) {
            return Err(Code::PermissionDenied);
        }
        if !real.is_file() {
            return Err(Code::InvalidInput);
        }
        // The call's own deadline bounds the run too, like an HTTP request: a
        // program is killed when the call's time is up, whatever it asked for.
        let mut timeout = Duration::from_millis(request.timeout_ms);
        if let Some(left) = crate::deadline::call_time_left() {
            timeout = timeout.min(left);
        }
        let outcome = run(&ProcessRequest {
            program: program.to_path_buf(),
            args: request.args.clone(),
            env: request.env.clone(),
            cwd: PathBuf::from(&request.cwd),
            stdin: request.stdin.clone(),
            timeout,
            max_output: request.max_output,
        })
        .map_err(|e| code_of(&e))?;
        Ok(ExecOutput {
            exit_code: outcome.exit_code,
            signal: outcome.signal,
            timed_out: outcome.timed_out,
            output_capped: outcome.output_capped,
            stdout: outcome.stdout,
            stderr: outcome.stderr,
            duration_ms: u64::try_from(outcome.duration.as_millis()).unwrap_or(u64::MAX),
        })
    }
}
