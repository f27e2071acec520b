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
    // A grant narrower than what the manifest requires.
    let o = caplet(&[
        "run",
        &p("fs_tool"),
        "--call",
        "list",
        "--allow",
        "fs:read:/data/public/**",
        "--allow",
        "fs:write:/data/**",
    ]);
    assert_eq!(o.status.code(), Some(6));
    assert!(
        stderr(&o).contains("`fs:read:/data/**` is not granted (needed by the manifest)"),
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

/// Runs `caplet` in `dir` with `args` and the given extra environment.
fn caplet_in(dir: &std::path::Path, args: &[&str], env: &[(&str, &str)]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_caplet"))
        .current_dir(dir)
        .args(args)
        .envs(env.iter().copied())
        .stdin(Stdio::null())
        .output()
        .unwrap()
}

#[test]
fn dir_mappings_from_flags() {
    let tmp = tempfile::tempdir().unwrap();
    std::fs::create_dir(tmp.path().join("data")).unwrap();
    std::fs::write(tmp.path().join("data/in.txt"), "from the host").unwrap();
    let fs_caps = [
        "--allow",
        "fs:read:/data/**",
        "--allow",
        "fs:write:/data/**",
    ];
    let mut args = vec!["run", &*p("fs_tool").leak(), "--call", "read"];
    args.extend([
        "--input",
        r#"{"path":"/data/in.txt"}"#,
        "--dir",
        "data::/data",
    ]);
    args.extend(fs_caps);
    let o = caplet_in(tmp.path(), &args, &[]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(o.stdout, b"from the host");

    // A read-only mapping: the write fails in the plugin (exit 1) and names the code.
    let mut args = vec!["run", &*p("fs_tool").leak(), "--call", "write"];
    args.extend([
        "--input",
        r#"{"path":"/data/out.txt","data":"x"}"#,
        "--dir",
        "data::/data:ro",
    ]);
    args.extend(fs_caps);
    let o = caplet_in(tmp.path(), &args, &[]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("PERMISSION_DENIED"), "{}", stderr(&o));
    assert!(!tmp.path().join("data/out.txt").exists());

    // A path outside every grant is denied and the denial shows on stderr.
    let mut args = vec!["run", &*p("fs_tool").leak(), "--call", "read"];
    args.extend([
        "--input",
        r#"{"path":"/etc/passwd"}"#,
        "--dir",
        "data::/data",
    ]);
    args.extend(fs_caps);
    let o = caplet_in(tmp.path(), &args, &[]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stderr(&o).contains("[fs_tool] DENIED fs:read /etc/passwd"),
        "{}",
        stderr(&o)
    );

    // A mapping of a directory that does not exist is a bad command line.
    let o = caplet_in(
        tmp.path(),
        &[
            "run",
            &p("fs_tool"),
            "--call",
            "read",
            "--dir",
            "nope::/data",
        ],
        &[],
    );
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("nope"), "{}", stderr(&o));
}

#[test]
fn env_allowlist_never_exposes_the_host_environment() {
    let tmp = tempfile::tempdir().unwrap();
    let host_env = [
        ("CAPLET_TEST_VISIBLE", "shown"),
        ("CAPLET_TEST_HIDDEN", "hidden"),
    ];
    let run = |name: &str, extra: &[&str]| {
        let mut args = vec!["run", &*p("env_reader").leak(), "--allow", "env:*"];
        args.extend(["--input", &*name.to_string().leak()]);
        args.extend(extra);
        caplet_in(tmp.path(), &args, &host_env)
    };
    let o = run("CAPLET_TEST_VISIBLE", &["--env", "CAPLET_TEST_VISIBLE"]);
    assert_eq!(
        (o.status.code(), o.stdout.as_slice()),
        (Some(0), &b"shown"[..])
    );
    let o = run("MODE", &["--env", "MODE=prod"]);
    assert_eq!(o.stdout, b"prod");
    // Set on the host, but not on the allowlist.
    let o = run("CAPLET_TEST_HIDDEN", &["--env", "CAPLET_TEST_VISIBLE"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("NOT_FOUND"), "{}", stderr(&o));
    assert!(o.stdout.is_empty());
    let o = run("PATH", &[]);
    assert_eq!(o.status.code(), Some(1));
    // A grant narrower than the plugin's manifest asks for fails at load.
    let mut args = vec!["run", &*p("env_reader").leak(), "--allow", "env:MODE"];
    args.extend(["--input", "MODE", "--env", "MODE=prod"]);
    let o = caplet_in(tmp.path(), &args, &[]);
    assert_eq!(o.status.code(), Some(6));
}

#[test]
fn secrets_file_must_be_private_and_values_never_leak() {
    use std::os::unix::fs::PermissionsExt;
    let tmp = tempfile::tempdir().unwrap();
    let file = tmp.path().join("secrets.toml");
    std::fs::write(&file, "api_token = \"tok-7f3a9c\"\n").unwrap();
    let run = || {
        caplet_in(
            tmp.path(),
            &[
                "run",
                &p("secret_reader"),
                "--allow",
                "secrets:read:*",
                "--secrets",
                "secrets.toml",
                "--input",
                "api_token",
            ],
            &[],
        )
    };
    std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o644)).unwrap();
    let o = run();
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("readable by group or others (mode 0644)"),
        "{}",
        stderr(&o)
    );
    std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o600)).unwrap();
    let o = run();
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    // The fixture returns the length and a digest, never the value.
    let expected = {
        use sha2::Digest;
        let d = sha2::Sha256::digest(b"tok-7f3a9c");
        let hex: String = d.iter().map(|b| format!("{b:02x}")).collect();
        format!("10 {hex}")
    };
    assert_eq!(String::from_utf8_lossy(&o.stdout), expected);
    assert!(!stderr(&o).contains("tok-7f3a9c"));
    // A broken file is reported by line, without its text.
    std::fs::write(&file, "ok = \"a\"\napi_token = tok-7f3a9c\n").unwrap();
    std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o600)).unwrap();
    let o = run();
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("line 2"), "{}", stderr(&o));
    assert!(!stderr(&o).contains("tok-7f3a9c"), "{}", stderr(&o));
}

#[test]
fn policy_file_grants_maps_and_limits_per_plugin() {
    let tmp = tempfile::tempdir().unwrap();
    std::fs::create_dir(tmp.path().join("data")).unwrap();
    std::fs::write(tmp.path().join("data/in.txt"), "policy works").unwrap();
    let policy = tmp.path().join("caplet.toml");
    std::fs::write(
        &policy,
        r#"
[defaults]
fuel = 50_000_000

[plugins.fs_tool]
allow = ["fs:read:/data/**", "fs:write:/data/**"]
dirs = ["data::/data:ro"]

[plugins.compute]
fuel = 1000
"#,
    )
    .unwrap();
    // Run from elsewhere: the policy's relative paths are relative to the policy.
    let elsewhere = tempfile::tempdir().unwrap();
    let policy_arg = policy.display().to_string();
    let o = caplet_in(
        elsewhere.path(),
        &[
            "run",
            &p("fs_tool"),
            "--call",
            "read",
            "--policy",
            &policy_arg,
            "--input",
            r#"{"path":"/data/in.txt"}"#,
        ],
        &[],
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(o.stdout, b"policy works");
    // The compute plugin's own section lowers its fuel: out of fuel, exit 4.
    let run_compute = |extra: &[&str]| {
        let mut args = vec!["run", &*p("compute").leak(), "--call", "count_primes"];
        args.extend(["--i32", "10000", "--policy", &*policy_arg.clone().leak()]);
        args.extend(extra);
        caplet_in(elsewhere.path(), &args, &[])
    };
    let o = run_compute(&[]);
    assert_eq!(o.status.code(), Some(4), "{}", stderr(&o));
    // A flag overrides the policy's single value.
    let o = run_compute(&["--fuel", "100000000"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(String::from_utf8_lossy(&o.stdout).trim(), "1229");
    // Without a grant in the policy, the fs plugin does not load.
    std::fs::write(&policy, "[plugins.other]\nallow = [\"log\"]\n").unwrap();
    let o = caplet_in(
        elsewhere.path(),
        &[
            "run",
            &p("fs_tool"),
            "--call",
            "read",
            "--policy",
            &policy_arg,
        ],
        &[],
    );
    assert_eq!(o.status.code(), Some(6), "{}", stderr(&o));
    // A typo is a bad command line that names the key.
    std::fs::write(&policy, "[plugins.fs_tool]\nalow = [\"log\"]\n").unwrap();
    let o = caplet_in(
        elsewhere.path(),
        &["run", &p("fs_tool"), "--policy", &policy_arg],
        &[],
    );
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("alow"), "{}", stderr(&o));
}

#[test]
fn help_documents_every_run_option() {
    let o = caplet(&["run", "--help"]);
    assert_eq!(o.status.code(), Some(0));
    let text = String::from_utf8_lossy(&o.stdout);
    for flag in [
        "--policy",
        "--allow",
        "--dir",
        "--env",
        "--secrets",
        "--kv-store",
        "--config",
        "--fuel",
        "--memory",
        "--timeout",
        "--http-timeout",
        "--http-rate",
        "--trust-addr",
        "--i32",
        "--log-level",
        "--report",
        "Examples:",
    ] {
        assert!(text.contains(flag), "run --help lacks {flag}");
    }
    let o = caplet(&["--help"]);
    assert!(String::from_utf8_lossy(&o.stdout).contains("Exit codes: 0 ok"));
}

#[test]
fn a_policy_section_pinned_to_a_digest_refuses_other_modules() {
    let tmp = tempfile::tempdir().unwrap();
    let policy = tmp.path().join("caplet.toml");
    let policy_arg = policy.display().to_string();
    let echo = p("echo");
    let pin = |digest: &str| {
        std::fs::write(
            &policy,
            format!("[plugins.echo]\nallow = [\"log\"]\nsha256 = \"{digest}\"\n"),
        )
        .unwrap()
    };
    let run = || {
        caplet_in(
            tmp.path(),
            &[
                "run",
                &echo,
                "--call",
                "upper",
                "--input",
                "ok",
                "--policy",
                &policy_arg,
            ],
            &[],
        )
    };
    let hex: String = {
        use sha2::Digest;
        sha2::Sha256::digest(caplet_tests::plugin("echo"))
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect()
    };
    pin(&hex);
    let o = run();
    assert_eq!(
        (o.status.code(), o.stdout.as_slice()),
        (Some(0), &b"OK"[..]),
        "{}",
        stderr(&o)
    );
    pin(&"ab".repeat(32));
    let o = run();
    assert_eq!(o.status.code(), Some(3));
    assert!(stderr(&o).contains("pins sha256:abab"), "{}", stderr(&o));
}

#[test]
fn http_rate_flag_parses_or_fails_cleanly() {
    for (rate, code) in [("5/10", 1), ("off", 1), ("0", 2), ("x/y", 2)] {
        // No server listens: a valid rate gets as far as the request, which the
        // guard refuses (loopback, no trust), so the plugin fails: exit 1.
        let o = caplet(&[
            "run",
            &p("http_fetch"),
            "--allow",
            "net:outbound:*",
            "--http-rate",
            rate,
            "--input",
            r#"{"method":"GET","url":"http://127.0.0.1:9/"}"#,
        ]);
        assert_eq!(o.status.code(), Some(code), "{rate}: {}", stderr(&o));
        if code == 2 {
            assert!(stderr(&o).contains("--http-rate"), "{}", stderr(&o));
        } else {
            assert!(stderr(&o).contains("PERMISSION_DENIED"), "{}", stderr(&o));
        }
    }
}
