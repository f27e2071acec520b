//! `caplet run` across profiles and limit sets: WASI commands (detection, argv,
//! environment, stdin/stdout/stderr passthrough, exit status, default grants),
//! the server-sized defaults against `--profile embedded`, refusals that name
//! the flag raising the limit, the report on its own line, the dispatcher in
//! `--version`, and deadlines on every guest call the host starts.

use std::io::Write;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use caplet_tests::wat_path;

/// A wasm file in a temp dir, removed with the dir on drop.
struct Wasm(#[allow(dead_code)] tempfile::TempDir, std::path::PathBuf);

impl Wasm {
    fn from_wat(text: &str) -> Wasm {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("m.wasm");
        std::fs::write(&path, wat::parse_str(text).unwrap()).unwrap();
        Wasm(dir, path)
    }

    fn fixture(name: &str) -> Wasm {
        Self::from_wat(&std::fs::read_to_string(wat_path(name)).unwrap())
    }

    fn s(&self) -> &str {
        self.1.to_str().unwrap()
    }
}

fn run_with_stdin(args: &[&str], stdin: &[u8]) -> (Output, Duration) {
    let started = Instant::now();
    let mut child = Command::new(env!("CARGO_BIN_EXE_caplet"))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(stdin).unwrap();
    let out = child.wait_with_output().unwrap();
    (out, started.elapsed())
}

fn run(args: &[&str]) -> (Output, Duration) {
    run_with_stdin(args, b"")
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

#[test]
fn a_wasi_command_runs_with_no_flags_and_passes_its_streams_through() {
    let m = Wasm::fixture("wasi_command");
    let (o, _) = run_with_stdin(&["run", m.s(), "--", "a", "b"], b"from stdin");
    // proc_exit(argc): argv[0] is the module, then the two arguments.
    assert_eq!(o.status.code(), Some(3), "{}", stderr(&o));
    assert_eq!(o.stdout, b"hello from wasi\nfrom stdin");
    // argc 3, no environment variable.
    assert_eq!(stderr(&o), "30\n");
}

#[test]
fn wasi_env_is_exactly_the_env_flags() {
    let m = Wasm::fixture("wasi_command");
    let (o, _) = run(&["run", m.s(), "--env", "A=1", "--env", "B=2"]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert_eq!(stderr(&o), "12\n");
}

#[test]
fn wasi_mode_reports_its_default_grants() {
    let m = Wasm::fixture("wasi_command");
    let (o, _) = run(&["run", m.s(), "--report"]);
    let err = stderr(&o);
    assert!(err.contains("mode=wasi grants=clock,random,stdio"), "{err}");
}

#[test]
fn a_wasi_denial_is_an_errno_not_a_trap() {
    // Without the clock grant (no WASI mode: --call _start), clock_time_get is
    // refused with notcapable; the program exits 107 (step 7 failed) and the
    // denial is printed.
    let m = Wasm::fixture("wasi_command");
    let (o, _) = run(&[
        "run",
        m.s(),
        "--call",
        "_start",
        "--allow",
        "stdio",
        "--allow",
        "random",
    ]);
    let err = stderr(&o);
    assert!(err.contains("DENIED clock clock"), "{err}");
    assert_eq!(o.status.code(), Some(107), "{err}");
    // Without WASI mode the standard streams are not passed through: stdout goes
    // to the plugin log.
    assert!(err.contains("hello from wasi"), "{err}");
    assert!(o.stdout.is_empty());
}

#[test]
fn ordinary_plugins_fit_the_server_defaults_and_embedded_refuses_naming_the_flag() {
    // rustc's default wasm stack: 17 pages of minimum memory.
    let m = Wasm::from_wat(
        r#"(module (memory (export "memory") 17)
            (func (export "answer") (result i32) i32.const 42))"#,
    );
    let (o, _) = run(&["run", m.s(), "--call", "answer"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(o.stdout, b"42\n");
    let (o, _) = run(&["run", m.s(), "--call", "answer", "--profile", "embedded"]);
    assert_eq!(o.status.code(), Some(3));
    assert!(stderr(&o).contains("--memory"), "{}", stderr(&o));
    let (o, _) = run(&["run", m.s(), "--call", "answer", "--max-module", "16"]);
    assert_eq!(o.status.code(), Some(3));
    assert!(stderr(&o).contains("--max-module"), "{}", stderr(&o));
}

#[test]
fn the_report_goes_on_its_own_line() {
    let m = Wasm::from_wat(
        r#"(module (memory (export "memory") 1) (data (i32.const 8) "abc")
            (func (export "caplet_alloc") (param i32) (result i32) i32.const 64)
            (func (export "out") (param i32 i32) (result i64) i64.const 0x0000000800000003))"#,
    );
    let (o, _) = run(&["run", m.s(), "--call", "out", "--report"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(o.stdout, b"abc");
    assert!(stderr(&o).starts_with("\nreport: "), "{:?}", stderr(&o));
}

#[test]
fn the_version_names_the_dispatcher() {
    let (o, _) = run(&["--version"]);
    let text = String::from_utf8_lossy(&o.stdout);
    // Test builds are debug builds: the portable dispatcher.
    assert!(text.contains("wasmi dispatcher: portable"), "{text}");
}

#[test]
fn the_timeout_stops_a_caplet_alloc_looping_during_config_get() {
    let m = Wasm::from_wat(
        r#"(module
            (import "caplet" "config_get" (func $get (param i32 i32) (result i64)))
            (memory (export "memory") 1) (data (i32.const 16) "key")
            (func (export "caplet_alloc") (param i32) (result i32) (loop $l (br $l)) i32.const 0)
            (func (export "go") (param i32 i32) (result i64) (call $get (i32.const 16) (i32.const 3))))"#,
    );
    let (o, took) = run(&[
        "run",
        m.s(),
        "--call",
        "go",
        "--config",
        "key=value",
        "--timeout",
        "200",
    ]);
    assert_eq!(o.status.code(), Some(4), "{}", stderr(&o));
    assert!(stderr(&o).contains("deadline passed"), "{}", stderr(&o));
    assert!(took < Duration::from_secs(5), "took {took:?}");
}

#[test]
fn the_timeout_stops_a_looping_initialize_and_start() {
    for text in [
        r#"(module (memory (export "memory") 1) (func (export "_initialize") (loop $l (br $l)))
            (func (export "f") (result i32) i32.const 1))"#,
        r#"(module (memory (export "memory") 1) (func $s (loop $l (br $l))) (start $s)
            (func (export "f") (result i32) i32.const 1))"#,
    ] {
        let m = Wasm::from_wat(text);
        let (o, took) = run(&["run", m.s(), "--call", "f", "--timeout", "100"]);
        assert_eq!(o.status.code(), Some(4), "{}", stderr(&o));
        assert!(took < Duration::from_secs(5), "took {took:?}");
    }
}

#[test]
fn a_start_function_gets_the_calls_fuel_budget() {
    // About 5 M fuel of work in `start`, 100 M of budget: as an entry it would
    // succeed, so it must as a start function too.
    let m = Wasm::from_wat(
        r#"(module (memory (export "memory") 1)
            (func $s (local $n i32) (local.set $n (i32.const 1700000))
              (loop $l (local.set $n (i32.sub (local.get $n) (i32.const 1))) (br_if $l (local.get $n))))
            (start $s)
            (func (export "f") (result i32) i32.const 7))"#,
    );
    let (o, _) = run(&[
        "run",
        m.s(),
        "--call",
        "f",
        "--fuel",
        "100000000",
        "--report",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(o.stdout, b"7\n");
    let (o, _) = run(&["run", m.s(), "--call", "f", "--fuel", "3000000"]);
    assert_eq!(o.status.code(), Some(4), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("out of fuel after 3000000 units"),
        "{}",
        stderr(&o)
    );
}
