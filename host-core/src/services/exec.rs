//! `exec:<program-path-glob>`: running an allowed program, without a shell.
//!
//! The service checks everything a request names before the platform sees it:
//!
//! - the program (`argv[0]`) is an absolute, normalised host path (no `.`, `..`,
//!   `//` or NUL) that an `exec:` grant allows; nothing is looked up in `PATH`;
//! - every environment variable is one an `env:` grant allows, with the value the
//!   host's environment allowlist gives it (the guest names variables, it never
//!   sets values: `LD_PRELOAD=…` cannot be smuggled in);
//! - the working directory is a guest directory that an `fs:read`, `fs:write` or
//!   `fs:temp` grant allows (by default the `fs:temp` scratch directory);
//! - argv, stdin, the timeout and the captured output are capped.
//!
//! A program runs with the host's own privileges, outside the wasm sandbox: an
//! `exec:` grant trusts the programs it names. The std platform also refuses a
//! program that lies inside a directory the plugin can write.

use alloc::string::String;
use alloc::vec::Vec;

use super::fs::normalize_guest_path;
use super::{capped, Services};
use crate::capability::Kind;
use crate::error::Code;
use crate::platform::{ExecOutput, ExecRequest};

/// Arguments (argv, program included) one request may carry.
pub const MAX_EXEC_ARGS: usize = 4096;
/// Environment variables one request may name.
pub const MAX_EXEC_ENV: usize = 256;

/// A program run as a plugin asks for it (before the checks).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ExecCall {
    /// `argv[0]` is the program's absolute host path.
    pub argv: Vec<String>,
    /// Names of environment variables to pass (values come from the host).
    pub env: Vec<String>,
    /// The working directory (a guest path); `None`: the `fs:temp` directory.
    pub cwd: Option<String>,
    /// Bytes for standard input.
    pub stdin: Vec<u8>,
    /// A shorter timeout than the operator's, in milliseconds.
    pub timeout_ms: Option<u64>,
}

/// Whether `path` is absolute and already normal (what [`normalize_guest_path`]
/// would return unchanged), so a glob sees the path the kernel will open.
fn is_normal_absolute(path: &str) -> bool {
    path.len() > 1 && normalize_guest_path(path).is_ok_and(|n| n == path) && !path.ends_with('/')
}

impl Services {
    /// Checks `call` and runs it on the platform.
    pub fn exec(&self, call: ExecCall) -> Result<ExecOutput, Code> {
        let limits = &self.limits;
        let Some(program) = call.argv.first() else {
            return Err(Code::InvalidInput);
        };
        if call.argv.len() > MAX_EXEC_ARGS || call.env.len() > MAX_EXEC_ENV {
            return Err(Code::Limit);
        }
        let argv_bytes = call.argv.iter().map(|a| a.len() + 1).sum::<usize>();
        capped(argv_bytes, limits.max_host_result_bytes)?;
        if call.argv.iter().any(|a| a.contains('\0')) {
            return Err(Code::InvalidInput);
        }
        capped(program.len(), limits.max_name_bytes)?;
        if !is_normal_absolute(program) {
            return Err(Code::InvalidInput);
        }
        self.check(Kind::Exec, program)?;
        let mut env = Vec::with_capacity(call.env.len());
        for name in &call.env {
            capped(name.len(), limits.max_name_bytes)?;
            if name.is_empty() || name.contains(['=', '\0']) {
                return Err(Code::InvalidInput);
            }
            self.check(Kind::Env, name)?;
            let host = self.platform.env.as_ref().ok_or(Code::Unsupported)?;
            // A variable the host does not set is left unset in the child.
            if let Some(value) = host.get(name)? {
                env.push((name.clone(), value));
            }
        }
        let cwd = match &call.cwd {
            Some(dir) => {
                capped(dir.len(), limits.max_name_bytes)?;
                normalize_guest_path(dir)?
            }
            None => self
                .grants
                .scratch_dirs()
                .next()
                .map(String::from)
                .ok_or(Code::InvalidInput)?,
        };
        if !self.grants.allows(Kind::FsRead, &cwd) && !self.grants.allows(Kind::FsWrite, &cwd) {
            // Audited, and always an error.
            self.deny(Kind::FsRead, &cwd)?;
        }
        capped(call.stdin.len(), limits.max_host_result_bytes)?;
        let exec = self.platform.exec.as_ref().ok_or(Code::Unsupported)?;
        let cwd = self.filesystem_for(&cwd)?.local_dir(&cwd)?;
        let timeout_ms = call
            .timeout_ms
            .map_or(limits.exec_timeout_ms, |t| t.min(limits.exec_timeout_ms));
        let mut argv = call.argv;
        let program = argv.remove(0);
        exec.run(&ExecRequest {
            program,
            args: argv,
            env,
            cwd,
            stdin: call.stdin,
            timeout_ms,
            max_output: limits.max_exec_output_bytes as usize,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_normal_absolute_program_paths_pass() {
        for ok in ["/bin/echo", "/usr/local/bin/x-y_z"] {
            assert!(is_normal_absolute(ok), "{ok}");
        }
        for bad in [
            "echo",
            "./echo",
            "/",
            "/usr/bin/../../bin/sh",
            "/usr//bin/sh",
            "/usr/bin/./sh",
            "/bin/sh/",
            "/bin/s\0h",
        ] {
            assert!(!is_normal_absolute(bad), "{bad:?}");
        }
    }
}
