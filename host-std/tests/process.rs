//! The native-program runner against real programs of the machine: no shell, only the
//! given environment, stdin feeding, exit status, timeout, output caps, and the
//! process group killed when the program ends.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use caplet::process::{run, ProcessOutcome, ProcessRequest};

const MIB: usize = 1024 * 1024;
const SIGKILL: i32 = 9;
const SIGTERM: i32 = 15;

/// A request with sane defaults: PATH only, cwd `/`, no stdin, 10 s, 1 MiB per stream.
fn request(program: &str, args: &[&str]) -> ProcessRequest {
    ProcessRequest {
        program: PathBuf::from(program),
        args: args.iter().map(|a| a.to_string()).collect(),
        env: vec![("PATH".into(), "/usr/bin:/bin".into())],
        cwd: PathBuf::from("/"),
        stdin: Vec::new(),
        timeout: Duration::from_secs(10),
        max_output: MIB,
    }
}

fn run_ok(req: &ProcessRequest) -> ProcessOutcome {
    run(req).unwrap_or_else(|e| panic!("running {:?} failed: {e}", req.program))
}

fn text(bytes: &[u8]) -> &str {
    std::str::from_utf8(bytes).expect("utf-8 output")
}

/// Whether the process `pid` is gone: no `/proc/<pid>`, or a zombie nobody reaped yet.
fn is_dead(pid: i32) -> bool {
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        Err(_) => true,
        Ok(stat) => {
            // "pid (comm) state ...": the state follows the last ')'.
            let state = stat
                .rsplit_once(')')
                .and_then(|(_, rest)| rest.trim_start().chars().next());
            matches!(state, Some('Z') | Some('X'))
        }
    }
}

/// Waits up to `within` for `pid` to be dead.
fn dies_within(pid: i32, within: Duration) -> bool {
    let until = Instant::now() + within;
    loop {
        if is_dead(pid) {
            return true;
        }
        if Instant::now() >= until {
            return false;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
}

fn parse_pid(line: &str) -> i32 {
    line.trim()
        .parse()
        .unwrap_or_else(|_| panic!("not a pid: {line:?}"))
}

#[test]
fn echo_prints_its_arguments_and_exits_zero() {
    let out = run_ok(&request("/bin/echo", &["hello", "world"]));
    assert_eq!(text(&out.stdout), "hello world\n");
    assert_eq!(out.stderr, b"");
    assert_eq!(out.exit_code, Some(0));
    assert_eq!(out.signal, None);
    assert!(!out.timed_out);
    assert!(!out.output_capped);
}

#[test]
fn arguments_reach_the_program_without_a_shell() {
    let out = run_ok(&request("/bin/echo", &["$HOME; rm -rf /", "*", "`id`"]));
    assert_eq!(text(&out.stdout), "$HOME; rm -rf / * `id`\n");
    assert_eq!(out.exit_code, Some(0));
}

#[test]
fn the_environment_is_only_what_was_given() {
    let mut req = request("/usr/bin/env", &[]);
    req.env = vec![("A".into(), "1".into())];
    let out = run_ok(&req);
    assert_eq!(text(&out.stdout), "A=1\n");
    assert_eq!(out.exit_code, Some(0));
}

#[test]
fn the_program_runs_in_the_given_directory() {
    let dir = tempfile::tempdir().unwrap();
    let dir_path = dir.path().canonicalize().unwrap();
    let mut req = request("/bin/pwd", &[]);
    req.cwd = dir_path.clone();
    let out = run_ok(&req);
    assert_eq!(text(&out.stdout), format!("{}\n", dir_path.display()));
}

#[test]
fn cat_returns_one_mib_of_stdin_whole() {
    let input: Vec<u8> = (0..MIB).map(|i| (i % 251) as u8).collect();
    let mut req = request("/bin/cat", &[]);
    req.stdin = input.clone();
    req.max_output = 2 * MIB;
    let out = run_ok(&req);
    assert_eq!(out.stdout.len(), input.len());
    assert!(out.stdout == input, "cat changed its input");
    assert_eq!(out.exit_code, Some(0));
    assert!(!out.output_capped);
}

#[test]
fn a_child_that_never_reads_stdin_does_not_block() {
    for (program, args) in [("/bin/sleep", &["0.1"][..]), ("/bin/true", &[][..])] {
        let mut req = request(program, args);
        req.stdin = vec![b'x'; 10 * MIB];
        let start = Instant::now();
        let out = run_ok(&req);
        let took = start.elapsed();
        assert_eq!(out.exit_code, Some(0), "{program}");
        assert!(!out.timed_out, "{program}");
        assert!(took < Duration::from_secs(2), "{program} took {took:?}");
    }
}

#[test]
fn an_exit_code_is_reported() {
    let out = run_ok(&request("/bin/sh", &["-c", "exit 3"]));
    assert_eq!(out.exit_code, Some(3));
    assert_eq!(out.signal, None);
}

#[test]
fn a_terminating_signal_is_reported() {
    let out = run_ok(&request("/bin/sh", &["-c", "kill -TERM $$"]));
    assert_eq!(out.exit_code, None);
    assert_eq!(out.signal, Some(SIGTERM));
    assert!(!out.timed_out);
}

#[test]
fn the_timeout_kills_the_program() {
    let mut req = request("/bin/sleep", &["30"]);
    req.timeout = Duration::from_millis(200);
    let start = Instant::now();
    let out = run_ok(&req);
    let took = start.elapsed();
    assert!(out.timed_out);
    assert_eq!(out.signal, Some(SIGKILL));
    assert_eq!(out.exit_code, None);
    assert!(
        took >= Duration::from_millis(200),
        "returned early: {took:?}"
    );
    assert!(took < Duration::from_secs(2), "took {took:?}");
}

#[test]
fn output_past_the_cap_kills_the_program_and_keeps_the_cap() {
    let mut req = request("/usr/bin/head", &["-c", "10000000", "/dev/zero"]);
    req.max_output = MIB;
    let start = Instant::now();
    let out = run_ok(&req);
    let took = start.elapsed();
    assert!(out.output_capped);
    assert_eq!(out.stdout.len(), MIB);
    assert!(out.stdout.iter().all(|&b| b == 0));
    assert_eq!(out.signal, Some(SIGKILL));
    assert!(!out.timed_out);
    assert!(took < Duration::from_secs(2), "took {took:?}");
}

#[test]
fn stderr_is_capped_too() {
    let mut req = request("/bin/sh", &["-c", "/usr/bin/head -c 3000000 /dev/zero >&2"]);
    req.max_output = 100_000;
    let out = run_ok(&req);
    assert!(out.output_capped);
    assert_eq!(out.stderr.len(), 100_000);
    assert_eq!(out.stdout, b"");
}

#[test]
fn output_of_exactly_the_cap_is_not_capped() {
    let mut req = request("/usr/bin/head", &["-c", "1000", "/dev/zero"]);
    req.max_output = 1000;
    let out = run_ok(&req);
    assert!(!out.output_capped);
    assert_eq!(out.stdout.len(), 1000);
    assert_eq!(out.exit_code, Some(0));
}

#[test]
fn a_background_child_dies_with_its_parent() {
    // The background pid goes to stderr so stdout is exactly "started\n".
    let req = request(
        "/bin/sh",
        &["-c", "/bin/sleep 30 & echo $! >&2; echo started"],
    );
    let start = Instant::now();
    let out = run_ok(&req);
    let took = start.elapsed();
    assert_eq!(text(&out.stdout), "started\n");
    assert_eq!(out.exit_code, Some(0));
    assert!(took < Duration::from_secs(2), "took {took:?}");
    let pid = parse_pid(text(&out.stderr));
    assert!(
        dies_within(pid, Duration::from_secs(1)),
        "the background sleep {pid} is still alive"
    );
}

#[test]
fn a_grandchild_that_escaped_with_setsid_does_not_make_run_hang() {
    assert!(
        Path::new("/usr/bin/setsid").exists(),
        "setsid (util-linux) is needed"
    );
    // The shell waits until the background child leads its own session (field 6 of
    // /proc/<pid>/stat is the session id), so the group kill surely misses it and
    // it still holds stdout when the shell exits.
    let script = "/usr/bin/setsid /bin/sleep 5 & pid=$!; echo $pid >&2; \
                  i=0; while [ \"$(cut -d' ' -f6 /proc/$pid/stat)\" != \"$pid\" ] \
                  && [ $i -lt 200 ]; do sleep 0.01; i=$((i+1)); done; echo x";
    let req = request("/bin/sh", &["-c", script]);
    let start = Instant::now();
    let out = run_ok(&req);
    let took = start.elapsed();
    let pid = parse_pid(text(&out.stderr));
    let escaped_alive = !is_dead(pid);
    // Clean up the escaped sleep before asserting anything.
    if let Some(p) = rustix::process::Pid::from_raw(pid) {
        let _ = rustix::process::kill_process(p, rustix::process::Signal::KILL);
    }
    assert_eq!(text(&out.stdout), "x\n");
    assert_eq!(out.exit_code, Some(0));
    assert!(took < Duration::from_secs(2), "took {took:?}");
    assert!(
        escaped_alive,
        "the setsid sleep {pid} did not escape, so the test proved nothing"
    );
}

#[test]
fn a_missing_program_is_an_error() {
    let err = run(&request("/nonexistent/caplet-no-such-program", &[])).unwrap_err();
    assert_eq!(err.kind(), std::io::ErrorKind::NotFound);
}

#[test]
fn a_missing_working_directory_is_an_error() {
    let mut req = request("/bin/true", &[]);
    req.cwd = PathBuf::from("/nonexistent/caplet-no-such-dir");
    assert!(run(&req).is_err());
}

#[test]
fn a_file_that_is_not_executable_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("not-executable");
    std::fs::write(&file, "#!/bin/sh\necho hi\n").unwrap();
    let err = run(&request(file.to_str().unwrap(), &[])).unwrap_err();
    assert_eq!(err.kind(), std::io::ErrorKind::PermissionDenied);
}
