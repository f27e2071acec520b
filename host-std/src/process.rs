//! Running one allowed native program for a plugin: no shell, bounded time, bounded
//! output, and the whole process group killed at the end.
//!
//! [`run`] starts [`ProcessRequest::program`] directly (`execve`, never through a
//! shell) with exactly the given arguments, environment and working directory, in a
//! new process group that the child leads. One thread drives the child with one
//! `poll` loop over the three non-blocking pipes: it feeds stdin as the child accepts
//! it and captures stdout and stderr.
//!
//! # What it guarantees
//!
//! - **No shell.** The arguments reach the program as `argv[1..]` unchanged; nothing
//!   is expanded, split or interpreted.
//! - **Only the given environment.** The child's environment is cleared and holds
//!   only [`ProcessRequest::env`].
//! - **Bounded time.** When [`ProcessRequest::timeout`] passes, the whole process
//!   group is killed with `SIGKILL` and [`ProcessOutcome::timed_out`] is set. `run`
//!   returns within about the timeout plus [`DRAIN_GRACE`] (and the few milliseconds
//!   the kernel takes to deliver `SIGKILL`).
//! - **Bounded memory.** At most [`ProcessRequest::max_output`] bytes are kept per
//!   stream. When a stream passes the cap the whole group is killed with `SIGKILL`,
//!   [`ProcessOutcome::output_capped`] is set and the first `max_output` bytes are
//!   kept.
//! - **A stuck writer or reader does not block the host.** stdin is written only as
//!   fast as the child reads it; a child that never reads stdin (or closes it) is
//!   not an error, the rest of the input is dropped. The pipes are never read or
//!   written in blocking mode.
//! - **Background children die with the program.** When the direct child exits, its
//!   whole process group is killed too, so a background job it left behind does not
//!   outlive it. The exit is noticed at once through a pidfd (Linux 5.3+; otherwise
//!   within [`POLL_INTERVAL`]), even if a grandchild
//!   keeps the pipes open. What is still in the pipes is then read for at most
//!   [`DRAIN_GRACE`] (or until both reach end of file), and the pipes are closed.
//! - **No zombies.** The direct child is always reaped before `run` returns, also
//!   when `run` fails or panics after the spawn (a drop guard kills the group and
//!   reaps). The group is killed before the child is reaped, so the group id cannot
//!   have been reused by an unrelated process.
//!
//! # What it does not guarantee
//!
//! - **The program runs with the host's own privileges**: same user, same
//!   filesystem view, same network. This module is not a sandbox; the policy grant
//!   must only name trusted programs that cannot be steered into harm through their
//!   arguments, input or environment.
//! - **A process that leaves the process group is not killed.** A descendant that
//!   calls `setsid`/`setpgid` (or double-forks into another group) escapes the group
//!   kill and can keep running after `run` returns. If it holds the output pipes,
//!   `run` still returns after [`DRAIN_GRACE`]: it closes its ends and returns what
//!   it has. Containing such programs needs cgroups or a PID namespace.
//! - **Nothing survives a host crash cleanly.** If the host process dies while a
//!   program runs, the program and its group are not killed.
//! - **A child stuck in uninterruptible sleep** (for example on a hung network
//!   filesystem) delays the reap after `SIGKILL` until the kernel lets it die.
//! - The host must ignore `SIGPIPE` (the Rust runtime does so in every Rust `main`):
//!   writing to a child that closed its stdin must fail with `EPIPE`, not kill the
//!   host. Children start with the default `SIGPIPE` disposition.

use std::io;
use std::os::fd::{AsFd, OwnedFd};
use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::path::PathBuf;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use rustix::event::{poll, PollFd, PollFlags, Timespec};
use rustix::fs::{fcntl_getfl, fcntl_setfl, OFlags};
use rustix::io::Errno;
use rustix::process::{
    kill_process_group, pidfd_open, waitid, Pid, PidfdFlags, Signal, WaitId, WaitIdOptions,
};

/// The longest single wait of the loop: the child's exit and the timeout are
/// checked at least this often.
pub const POLL_INTERVAL: Duration = Duration::from_millis(10);

/// After the direct child exited (or was killed at the timeout), how long the pipes
/// are still read before `run` closes them and returns.
pub const DRAIN_GRACE: Duration = Duration::from_millis(50);

/// Bytes read from one pipe per `read` call.
const READ_CHUNK: usize = 64 * 1024;

/// Most `read` calls per pipe per loop turn, so a fast writer cannot keep the loop
/// from checking the clock and the child.
const READS_PER_TURN: usize = 16;

/// One program to run: what to start, with what, and within which limits.
#[derive(Debug, Clone)]
pub struct ProcessRequest {
    /// Absolute host path of the program (already checked against the grant by the caller).
    pub program: PathBuf,
    /// `argv[1..]` (`argv[0]` is the program path).
    pub args: Vec<String>,
    /// The child's whole environment (the caller clears everything else).
    pub env: Vec<(String, String)>,
    /// The working directory (an existing host directory, already checked by the caller).
    pub cwd: PathBuf,
    /// Bytes written to the child's stdin, then stdin is closed.
    pub stdin: Vec<u8>,
    /// Wall-clock limit; when it passes, the whole process group is killed.
    pub timeout: Duration,
    /// Cap on captured bytes per stream (stdout, stderr), each.
    pub max_output: usize,
}

/// How a program ended and what it printed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProcessOutcome {
    /// The exit code; `None` when the program was killed by a signal.
    pub exit_code: Option<i32>,
    /// The terminating signal, if any (`SIGKILL` after a timeout or output cap).
    pub signal: Option<i32>,
    /// The timeout passed and the group was killed.
    pub timed_out: bool,
    /// A stream passed `max_output`: the group was killed.
    pub output_capped: bool,
    /// What the program wrote to stdout, at most `max_output` bytes.
    pub stdout: Vec<u8>,
    /// What the program wrote to stderr, at most `max_output` bytes.
    pub stderr: Vec<u8>,
    /// Wall-clock time from just before the spawn to the return.
    pub duration: Duration,
}

/// Runs `req.program` to completion (or to its timeout or output cap) and returns
/// how it ended.
///
/// Errors: spawning failed (program missing or not executable, working directory
/// missing, ...), or an unexpected failure of `poll`, `read` or `wait`. In every
/// case after a successful spawn, the process group is killed and the child reaped
/// before `run` returns.
pub fn run(req: &ProcessRequest) -> io::Result<ProcessOutcome> {
    let start = Instant::now();
    // An unrepresentable deadline (a huge timeout) means no deadline.
    let deadline = start.checked_add(req.timeout);

    let mut command = Command::new(&req.program);
    command
        .args(&req.args)
        .env_clear()
        .envs(req.env.iter().map(|(k, v)| (k, v)))
        .current_dir(&req.cwd)
        .process_group(0)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = command.spawn()?;

    let stdin = child.stdin.take().map(OwnedFd::from);
    let stdout = child.stdout.take().map(OwnedFd::from);
    let stderr = child.stderr.take().map(OwnedFd::from);
    // From here on, the guard kills the group and reaps the child on every exit path.
    let mut group = Group::new(child);

    for fd in [&stdin, &stdout, &stderr].into_iter().flatten() {
        set_nonblocking(fd)?;
    }
    let mut feed = Feed {
        // Nothing to write: close stdin right away so the child sees end of file.
        fd: stdin.filter(|_| !req.stdin.is_empty()),
        data: &req.stdin,
        pos: 0,
    };
    let mut out = Capture::new(stdout);
    let mut err = Capture::new(stderr);
    let mut scratch = vec![0u8; READ_CHUNK];
    // Readable when the child exits (Linux 5.3+): the loop wakes on the exit itself
    // rather than on its next poll interval, which matters once both pipes are at
    // end of file. Without it, the interval bounds the delay.
    let exit_fd = pidfd_open(group.pgid, PidfdFlags::empty()).ok();
    let mut timed_out = false;
    let mut output_capped = false;

    // Running: until the child exits, the timeout passes or a stream passes the cap.
    loop {
        if group.exited()? {
            break;
        }
        let now = Instant::now();
        let wait = match deadline {
            Some(d) if now >= d => {
                timed_out = true;
                break;
            }
            Some(d) => POLL_INTERVAL.min(d - now),
            None => POLL_INTERVAL,
        };
        wait_for_io(feed.fd.as_ref(), exit_fd.as_ref(), &out, &err, wait)?;
        feed.write_some();
        let capped_out = out.read_some(req.max_output, &mut scratch)?;
        let capped_err = err.read_some(req.max_output, &mut scratch)?;
        if capped_out || capped_err {
            output_capped = true;
            break;
        }
    }

    // Kill what is left of the group (background jobs too) and reap the child.
    let status = group.kill_and_reap()?;
    drop(feed);

    // Draining: what the group wrote before it died, bounded in time because a
    // process that escaped the group may hold the pipes open forever.
    if !output_capped {
        let until = Instant::now() + DRAIN_GRACE;
        while out.is_open() || err.is_open() {
            let now = Instant::now();
            if now >= until {
                break;
            }
            wait_for_io(None, None, &out, &err, until - now)?;
            let capped_out = out.read_some(req.max_output, &mut scratch)?;
            let capped_err = err.read_some(req.max_output, &mut scratch)?;
            if capped_out || capped_err {
                output_capped = true;
                break;
            }
        }
    }

    Ok(ProcessOutcome {
        exit_code: status.code(),
        signal: status.signal(),
        timed_out,
        output_capped,
        stdout: out.into_data(),
        stderr: err.into_data(),
        duration: start.elapsed(),
    })
}

/// The child and its process group; kills the group and reaps the child when
/// dropped unreaped.
struct Group {
    child: Child,
    pgid: Pid,
    status: Option<ExitStatus>,
}

impl Group {
    fn new(child: Child) -> Self {
        let pgid = Pid::from_child(&child);
        Group {
            child,
            pgid,
            status: None,
        }
    }

    /// Whether the direct child has exited, without reaping it (`WNOWAIT`): while it
    /// is a zombie its pid, and so the group id, cannot be reused.
    fn exited(&self) -> io::Result<bool> {
        let options = WaitIdOptions::EXITED | WaitIdOptions::NOHANG | WaitIdOptions::NOWAIT;
        loop {
            match waitid(WaitId::Pid(self.pgid), options) {
                Ok(status) => return Ok(status.is_some()),
                Err(Errno::INTR) => continue,
                Err(e) => return Err(e.into()),
            }
        }
    }

    /// `SIGKILL` to every process of the group. Fails only when the group is
    /// already empty, which is fine.
    fn kill(&self) {
        let _ = kill_process_group(self.pgid, Signal::KILL);
    }

    /// Kills the group, then reaps the child (in that order, see [`Self::exited`]).
    fn kill_and_reap(&mut self) -> io::Result<ExitStatus> {
        if let Some(status) = self.status {
            return Ok(status);
        }
        self.kill();
        let status = self.child.wait()?;
        self.status = Some(status);
        Ok(status)
    }
}

impl Drop for Group {
    fn drop(&mut self) {
        if self.status.is_none() {
            self.kill();
            let _ = self.child.wait();
        }
    }
}

/// The stdin pipe and what is left to write into it.
struct Feed<'a> {
    /// `None` once everything was written or the child stopped reading.
    fd: Option<OwnedFd>,
    data: &'a [u8],
    pos: usize,
}

impl Feed<'_> {
    /// Writes as much as the pipe takes now; closes it when done or when the child
    /// closed its end (`EPIPE`) or any other write error.
    fn write_some(&mut self) {
        while let Some(fd) = &self.fd {
            if self.pos >= self.data.len() {
                self.fd = None;
                return;
            }
            match rustix::io::write(fd, &self.data[self.pos..]) {
                Ok(n) => self.pos += n,
                Err(Errno::AGAIN) => return,
                Err(Errno::INTR) => continue,
                Err(_) => {
                    self.fd = None;
                    return;
                }
            }
        }
    }
}

/// One output pipe and what was captured from it.
struct Capture {
    /// `None` after end of file.
    fd: Option<OwnedFd>,
    data: Vec<u8>,
}

impl Capture {
    fn new(fd: Option<OwnedFd>) -> Self {
        Capture {
            fd,
            data: Vec::new(),
        }
    }

    fn is_open(&self) -> bool {
        self.fd.is_some()
    }

    /// Reads what is available now (a bounded number of chunks). Returns whether the
    /// stream passed `max`; the data is then cut to exactly `max` bytes.
    fn read_some(&mut self, max: usize, scratch: &mut [u8]) -> io::Result<bool> {
        for _ in 0..READS_PER_TURN {
            let Some(fd) = &self.fd else {
                return Ok(false);
            };
            match rustix::io::read(fd, &mut *scratch) {
                Ok(0) => self.fd = None,
                Ok(n) => {
                    let room = max.saturating_sub(self.data.len());
                    if n > room {
                        self.data.extend_from_slice(&scratch[..room]);
                        return Ok(true);
                    }
                    self.data.extend_from_slice(&scratch[..n]);
                }
                Err(Errno::AGAIN) => return Ok(false),
                Err(Errno::INTR) => {}
                Err(e) => return Err(e.into()),
            }
        }
        Ok(false)
    }

    fn into_data(self) -> Vec<u8> {
        self.data
    }
}

/// Sets `O_NONBLOCK` on our end of a pipe (the child's end is a separate open file
/// description and stays blocking).
fn set_nonblocking(fd: &OwnedFd) -> io::Result<()> {
    let flags = fcntl_getfl(fd)?;
    fcntl_setfl(fd, flags | OFlags::NONBLOCK)?;
    Ok(())
}

/// Waits up to `timeout` for stdin to take data, an output pipe to have data (or
/// end of file) or the child to exit (`exit`, its pidfd). Returns early on any of
/// these; `EINTR` counts as a wake-up.
fn wait_for_io(
    stdin: Option<&OwnedFd>,
    exit: Option<&OwnedFd>,
    out: &Capture,
    err: &Capture,
    timeout: Duration,
) -> io::Result<()> {
    let mut fds: Vec<PollFd<'_>> = Vec::with_capacity(4);
    if let Some(fd) = stdin {
        fds.push(PollFd::from_borrowed_fd(fd.as_fd(), PollFlags::OUT));
    }
    if let Some(fd) = exit {
        fds.push(PollFd::from_borrowed_fd(fd.as_fd(), PollFlags::IN));
    }
    for fd in [&out.fd, &err.fd].into_iter().flatten() {
        fds.push(PollFd::from_borrowed_fd(fd.as_fd(), PollFlags::IN));
    }
    let timeout = Timespec::try_from(timeout).unwrap_or(Timespec {
        tv_sec: 0,
        tv_nsec: 10_000_000,
    });
    match poll(&mut fds, Some(&timeout)) {
        Ok(_) | Err(Errno::INTR) => Ok(()),
        Err(e) => Err(e.into()),
    }
}
