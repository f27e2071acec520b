//! The `caplet` binary: outputs, reports and every exit code of the design.

use std::io::Write;
use std::process::{Command, Output, Stdio};

use caplet_tests::{plugin_path, wat_path};

fn caplet(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_caplet"))
        .args(args)
        .stdin(Stdio::null())
        .output()
        .unwrap()
}

fn p(name: &str) -> String {
    plugin_path(name).display().to_string()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn wat_file(name: &str) -> tempfile_path::TempWasm {
    tempfile_path::TempWasm::new(name, &wat::parse_file(wat_path(name)).unwrap())
}

mod tempfile_path {
    /// A wasm file in the system temp dir, removed on drop.
    pub struct TempWasm(pub std::path::PathBuf);
    impl TempWasm {
        pub fn new(name: &str, bytes: &[u8]) -> Self {
            let path =
                std::env::temp_dir().join(format!("caplet-cli-{}-{name}.wasm", std::process::id()));
            std::fs::write(&path, bytes).unwrap();
            TempWasm(path)
        }
        pub fn s(&self) -> String {
            self.0.display().to_string()
        }
    }
    impl Drop for TempWasm {
        fn drop(&mut self) {
            let _ = std::fs::remove_file(&self.0);
        }
    }
}

#[test]
fn exit_0_entry_output_on_stdout_and_report() {
    let o = caplet(&[
        "run",
        &p("echo"),
        "--call",
        "upper",
        "--input",
        "hi there",
        "--report",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(o.stdout, b"HI THERE");
    let err = stderr(&o);
    let field = |name: &str| -> u64 {
        let rest = err
            .split(&format!("{name}="))
            .nth(1)
            .unwrap_or_else(|| panic!("{name} in {err}"));
        rest.split_whitespace().next().unwrap().parse().unwrap()
    };
    assert!(
        field("fuel_used") > 0 && field("fuel_used") < 10_000_000,
        "{err}"
    );
    let peak = field("memory_peak_bytes");
    assert!(
        (65536..=1 << 20).contains(&peak) && peak % 65536 == 0,
        "{err}"
    );
    assert_eq!(field("host_calls"), 0, "{err}");
}

#[test]
fn typed_calls_print_results() {
    let o = caplet(&[
        "run",
        &p("echo"),
        "--call",
        "add",
        "--i32",
        "2",
        "--i32",
        "3",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(String::from_utf8_lossy(&o.stdout), "5\n");
    let t = wat_file("typed");
    let o = caplet(&[
        "run",
        &t.s(),
        "--allow",
        "kv",
        "--call",
        "mix",
        "--i64",
        "2",
        "--f32",
        "0.5",
        "--f64",
        "4",
    ]);
    assert_eq!(String::from_utf8_lossy(&o.stdout), "10\n", "{}", stderr(&o));
}

#[test]
fn input_from_stdin_and_logs_on_stderr_with_plugin_prefix() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_caplet"))
        .args([
            "run",
            &p("logger"),
            "--allow",
            "log",
            "--config",
            "prefix=>>",
            "--log-level",
            "warn",
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(b"from stdin")
        .unwrap();
    let o = child.wait_with_output().unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(o.stdout, b"5");
    let err = stderr(&o);
    assert!(
        err.contains("[logger] WARN  >>from stdin") && err.contains("[logger] ERROR >>from stdin"),
        "{err}"
    );
    assert!(!err.contains("INFO"), "below --log-level: {err}");
}

#[test]
fn exit_1_guest_error() {
    let o = caplet(&["run", &p("echo"), "--call", "fail", "--input", "x"]);
    assert_eq!(o.status.code(), Some(1));
    assert_eq!(
        stderr(&o).trim(),
        "error: guest: `fail` returned INVALID_INPUT (3): fail was asked to fail"
    );
}

#[test]
fn exit_2_bad_command_line() {
    for args in [
        vec!["run"],
        vec!["run", &p("echo"), "--fuel", "lots"],
        vec!["run", &p("echo"), "--memory", "12XB"],
        vec!["run", &p("echo"), "--allow", "teleport"],
        vec!["run", &p("echo"), "--call", "nope"],
        vec!["run", &p("echo")],
        vec!["run", "/does/not/exist.wasm"],
        vec!["frobnicate"],
    ] {
        let o = caplet(&args);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {}", stderr(&o));
    }
    assert_eq!(caplet(&["--help"]).status.code(), Some(0));
}

#[test]
fn exit_3_bad_module_manifest_or_digest() {
    let garbage = tempfile_path::TempWasm::new("garbage", b"\0asm garbage");
    let o = caplet(&["run", &garbage.s()]);
    assert_eq!(o.status.code(), Some(3), "{}", stderr(&o));
    assert!(
        stderr(&o).starts_with("error: module: invalid wasm module"),
        "{}",
        stderr(&o)
    );
    // A sidecar whose digest does not match.
    let dir = std::env::temp_dir().join(format!("caplet-cli-{}-sidecar", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::copy(plugin_path("echo"), dir.join("echo.wasm")).unwrap();
    let bad = dir.join("bad.json");
    std::fs::write(
        &bad,
        format!(
            r#"{{"name":"echo","version":"1.0.0","module":"echo.wasm","sha256":"{}"}}"#,
            "ab".repeat(32)
        ),
    )
    .unwrap();
    let o = caplet(&[
        "run",
        bad.to_str().unwrap(),
        "--call",
        "echo",
        "--input",
        "x",
    ]);
    assert_eq!(o.status.code(), Some(3), "{}", stderr(&o));
    assert!(stderr(&o).contains("digest mismatch"), "{}", stderr(&o));
    let o = caplet(&["verify", bad.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(3));
    // The right digest verifies and runs.
    let digest = {
        let o = caplet(&["inspect", &p("echo"), "--json"]);
        let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
        v["sha256"].as_str().unwrap().to_string()
    };
    let good = dir.join("good.json");
    std::fs::write(
        &good,
        format!(r#"{{"name":"echo","version":"1.0.0","module":"echo.wasm","sha256":"{digest}"}}"#),
    )
    .unwrap();
    let o = caplet(&["verify", good.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(String::from_utf8_lossy(&o.stdout).starts_with("ok: echo 1.0.0 sha256:"));
    let o = caplet(&[
        "run",
        good.to_str().unwrap(),
        "--call",
        "echo",
        "--input",
        "side",
    ]);
    assert_eq!(o.stdout, b"side", "{}", stderr(&o));
    std::fs::remove_dir_all(&dir).unwrap();
    // Minimum memory above --memory.
    let big = wat_file("big_memory");
    let o = caplet(&["run", &big.s(), "--call", "x", "--memory", "1MiB"]);
    assert_eq!(o.status.code(), Some(3));
    assert!(
        stderr(&o).contains("minimum memory is 100 pages"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn exit_4_out_of_fuel_and_timeout() {
    let o = caplet(&["run", &p("hostile"), "--call", "spin", "--fuel", "200000"]);
    assert_eq!(o.status.code(), Some(4));
    assert_eq!(
        stderr(&o).trim(),
        "error: budget: out of fuel after 200000 units"
    );
    let o = caplet(&[
        "run",
        &p("hostile"),
        "--call",
        "spin",
        "--fuel",
        "100000000000",
        "--timeout",
        "50",
    ]);
    assert_eq!(o.status.code(), Some(4), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("deadline passed after"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn exit_5_trap_or_memory_limit() {
    let o = caplet(&["run", &p("hostile"), "--call", "panic"]);
    assert_eq!(o.status.code(), Some(5));
    assert!(stderr(&o).contains("unreachable"), "{}", stderr(&o));
    let o = caplet(&["run", &p("hostile"), "--call", "bad_output"]);
    assert_eq!(o.status.code(), Some(5));
}

#[test]
fn exit_6_capability_denied_at_load() {
    let o = caplet(&["run", &p("kv_counter"), "--call", "incr"]);
    assert_eq!(o.status.code(), Some(6));
    assert_eq!(
        stderr(&o).trim(),
        "error: capability: capability `kv` is not granted (needed by import `caplet.kv_get`)"
    );
    // A capability this build cannot provide yet.
    let o = caplet(&[
        "run",
        &p("echo"),
        "--call",
        "echo",
        "--allow",
        "fs:read:/**",
    ]);
    assert_eq!(o.status.code(), Some(6));
    assert!(
        stderr(&o).contains("cannot provide capability `fs:read:/**`"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn inspect_lists_imports_exports_and_capabilities() {
    let o = caplet(&["inspect", &p("host_tour"), "--json"]);
    assert_eq!(o.status.code(), Some(0));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["name"], "host_tour");
    assert_eq!(
        v["capabilities"],
        serde_json::json!(["clock", "random", "emit:events.*"])
    );
    let imports: Vec<&str> = v["imports"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["name"].as_str().unwrap())
        .collect();
    assert!(imports.contains(&"clock_now") && imports.contains(&"emit"));
    assert_eq!(
        v["entry_points"],
        serde_json::json!(["config", "emit", "now", "random"])
    );
    let o = caplet(&["inspect", &p("echo")]);
    let text = String::from_utf8_lossy(&o.stdout);
    assert!(
        text.contains("upper  func (i32, i32) -> (i64)  (entry point)"),
        "{text}"
    );
    assert!(
        text.contains("add  func (i32, i32) -> (i32)  (typed)"),
        "{text}"
    );
}
