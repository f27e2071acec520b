//! The `exec` service end to end: the real `runner` plugin asks the std host to
//! run real programs through `caplet.exec`, under `exec:` grants, the env
//! allowlist, a working directory in a mapping, output caps and timeouts.

mod common;

use std::time::{Duration, Instant};

use caplet::fs::Mount;
use caplet::platform::StdPlatform;
use caplet_core::{Code, Instance, Kind, Limits};
use common::{guest_code, instance, platform};
use serde_json::{json, Value};

fn runner(
    caps: &[&str],
    limits: Limits,
    settings: StdPlatform,
) -> (
    Instance,
    std::sync::Arc<caplet_core::platform::testing::RecordingAudit>,
) {
    let (p, audit) = platform(settings);
    (instance("runner", caps, limits, p), audit)
}

fn run(i: &mut Instance, request: Value) -> Result<Value, caplet_core::Error> {
    let out = i.call("run", request.to_string().as_bytes())?;
    Ok(serde_json::from_slice(&out).expect("runner answers JSON"))
}

fn scratch() -> StdPlatform {
    StdPlatform::default()
}

#[test]
fn an_allowed_program_runs_with_its_arguments_and_no_shell() {
    let (mut i, _) = runner(&["exec:/bin/echo", "fs:temp"], Limits::default(), scratch());
    let out = run(
        &mut i,
        json!({"argv": ["/bin/echo", "hello", "$HOME; rm -rf /", "*"]}),
    )
    .unwrap();
    assert_eq!(out["exit_code"], 0);
    assert_eq!(out["stdout"], "hello $HOME; rm -rf / *\n");
    assert_eq!(out["timed_out"], false);
}

#[test]
fn a_shell_is_refused_unless_granted() {
    let (mut i, audit) = runner(&["exec:/bin/echo", "fs:temp"], Limits::default(), scratch());
    let err = run(&mut i, json!({"argv": ["/bin/sh", "-c", "echo pwned"]}));
    assert_eq!(guest_code(err), Code::PermissionDenied);
    assert!(audit
        .denials()
        .iter()
        .any(|(_, k, s, at_load)| *k == Kind::Exec && s == "/bin/sh" && !at_load));
    // Paths that would slip past a glob are refused before it is consulted.
    let (mut i, _) = runner(
        &["exec:/usr/bin/**", "fs:temp"],
        Limits::default(),
        scratch(),
    );
    for argv0 in [
        "/usr/bin/../../bin/sh",
        "/usr/bin//../../bin/sh",
        "sh",
        "./sh",
    ] {
        let err = run(&mut i, json!({"argv": [argv0, "-c", "true"]}));
        assert_eq!(guest_code(err), Code::InvalidInput, "{argv0}");
    }
    // Granted, the shell runs.
    let (mut i, _) = runner(&["exec:/bin/sh", "fs:temp"], Limits::default(), scratch());
    let out = run(&mut i, json!({"argv": ["/bin/sh", "-c", "echo $((6*7))"]})).unwrap();
    assert_eq!(out["stdout"], "42\n");
}

#[test]
fn the_timeout_kills_a_sleeping_program() {
    // Timed by the host's own measure of the run (`duration_ms`), so a loaded
    // machine running the guest slowly does not blur it.
    let limits = Limits {
        exec_timeout_ms: 2_000,
        ..Limits::default()
    };
    let (mut i, _) = runner(&["exec:/bin/sleep", "fs:temp"], limits, scratch());
    let ms = |out: &Value| out["duration_ms"].as_u64().unwrap();
    let out = run(&mut i, json!({"argv": ["/bin/sleep", "30"]})).unwrap();
    assert_eq!(out["timed_out"], true);
    assert_eq!(out["signal"], 9);
    assert_eq!(out["exit_code"], Value::Null);
    assert!((2_000..10_000).contains(&ms(&out)), "{}", ms(&out));
    // A request may ask for less than the operator's limit...
    let out = run(
        &mut i,
        json!({"argv": ["/bin/sleep", "30"], "timeout_ms": 100}),
    )
    .unwrap();
    assert_eq!(out["timed_out"], true);
    assert!((100..1_500).contains(&ms(&out)), "{}", ms(&out));
    // ...never more.
    let out = run(
        &mut i,
        json!({"argv": ["/bin/sleep", "30"], "timeout_ms": 60_000}),
    )
    .unwrap();
    assert_eq!(out["timed_out"], true);
    assert!((2_000..10_000).contains(&ms(&out)), "{}", ms(&out));
}

#[test]
fn ten_megabytes_of_output_stop_at_the_cap() {
    // The plugin decodes a JSON answer of a third of a megabyte: server limits.
    let limits = Limits {
        max_exec_output_bytes: 256 * 1024,
        ..caplet::limits::server()
    };
    let (mut i, _) = runner(&["exec:/usr/bin/head", "fs:temp"], limits, scratch());
    let out = run(
        &mut i,
        json!({"argv": ["/usr/bin/head", "-c", "10000000", "/dev/zero"]}),
    )
    .unwrap();
    // Killed as soon as it passed the cap: the run itself is short (the guest's
    // decoding of the answer, slow in a debug build, is not part of it).
    assert!(
        out["duration_ms"].as_u64().unwrap() < 2_000,
        "{}",
        out["duration_ms"]
    );
    assert_eq!(out["output_capped"], true);
    assert_eq!(out["stdout_len"], 256 * 1024);
}

#[test]
fn a_child_that_outlives_its_parent_is_killed_with_the_group() {
    let (mut i, _) = runner(&["exec:/bin/sh", "fs:temp"], Limits::default(), scratch());
    let start = Instant::now();
    let out = run(
        &mut i,
        json!({"argv": ["/bin/sh", "-c", "/bin/sleep 30 & echo $!"]}),
    )
    .unwrap();
    // Not the 30 s of the background sleep: the run ends with its parent.
    assert!(start.elapsed() < Duration::from_secs(20));
    assert!(
        out["duration_ms"].as_u64().unwrap() < 2_000,
        "{}",
        out["duration_ms"]
    );
    let pid: u32 = out["stdout"].as_str().unwrap().trim().parse().unwrap();
    // Reaped by init shortly after the kill: gone, or at most a zombie.
    let deadline = Instant::now() + Duration::from_secs(2);
    loop {
        let state = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok();
        let alive = state.as_deref().is_some_and(|s| {
            let after = s.rsplit_once(')').map_or("", |(_, r)| r).trim_start();
            !after.starts_with('Z') && s.contains("(sleep)")
        });
        if !alive {
            break;
        }
        assert!(Instant::now() < deadline, "background sleep {pid} survived");
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn the_environment_holds_only_allowed_variables_with_host_values() {
    let settings = StdPlatform {
        env: vec!["APP_MODE=prod".into(), "APP_SECRET=s3".into()],
        ..scratch()
    };
    let (mut i, audit) = runner(
        &["exec:/usr/bin/env", "env:APP_MODE", "fs:temp"],
        Limits::default(),
        settings,
    );
    let out = run(
        &mut i,
        json!({"argv": ["/usr/bin/env"], "env": ["APP_MODE"]}),
    )
    .unwrap();
    assert_eq!(out["stdout"], "APP_MODE=prod\n");
    let out = run(&mut i, json!({"argv": ["/usr/bin/env"]})).unwrap();
    assert_eq!(out["stdout"], "");
    // A variable outside the env grants is denied, not silently dropped.
    let err = run(
        &mut i,
        json!({"argv": ["/usr/bin/env"], "env": ["APP_SECRET"]}),
    );
    assert_eq!(guest_code(err), Code::PermissionDenied);
    assert!(audit
        .denials()
        .iter()
        .any(|(_, k, s, _)| *k == Kind::Env && s == "APP_SECRET"));
    // The guest names variables; it cannot set values.
    let err = run(
        &mut i,
        json!({"argv": ["/usr/bin/env"], "env": ["LD_PRELOAD=/tmp/x.so"]}),
    );
    assert_eq!(guest_code(err), Code::InvalidInput);
}

#[test]
fn the_working_directory_must_be_inside_a_granted_mapping() {
    let data = tempfile::tempdir().unwrap();
    std::fs::write(data.path().join("report.csv"), "a,b\n").unwrap();
    let settings = StdPlatform {
        mounts: vec![Mount::parse(&format!("{}::/data:ro", data.path().display())).unwrap()],
        ..scratch()
    };
    let (mut i, audit) = runner(
        &[
            "exec:/bin/ls",
            "exec:/bin/pwd",
            "fs:read:/data/**",
            "fs:write:/data/out/*",
        ],
        Limits::default(),
        settings,
    );
    let out = run(&mut i, json!({"argv": ["/bin/ls"], "cwd": "/data"})).unwrap();
    assert_eq!(out["stdout"], "report.csv\n");
    let out = run(&mut i, json!({"argv": ["/bin/pwd"], "cwd": "/data/"})).unwrap();
    assert_eq!(
        out["stdout"].as_str().unwrap().trim(),
        std::fs::canonicalize(data.path())
            .unwrap()
            .to_str()
            .unwrap()
    );
    // Outside every grant: denied and audited.
    let err = run(&mut i, json!({"argv": ["/bin/ls"], "cwd": "/etc"}));
    assert_eq!(guest_code(err), Code::PermissionDenied);
    assert!(audit
        .denials()
        .iter()
        .any(|(_, k, s, _)| *k == Kind::FsRead && s == "/etc"));
    // No cwd and no scratch directory: nothing to run in.
    let err = run(&mut i, json!({"argv": ["/bin/ls"]}));
    assert_eq!(guest_code(err), Code::InvalidInput);
    // Granted, but not mapped: not found.
    let (mut i, _) = runner(
        &["exec:/bin/ls", "fs:read:/**", "fs:write:/out/*"],
        Limits::default(),
        scratch(),
    );
    let err = run(&mut i, json!({"argv": ["/bin/ls"], "cwd": "/srv"}));
    assert_eq!(guest_code(err), Code::NotFound);
}

#[test]
fn a_program_in_a_writable_directory_is_refused_even_when_granted() {
    let data = tempfile::tempdir().unwrap();
    let tool = data.path().join("tool");
    std::fs::copy("/bin/true", &tool).unwrap();
    let settings = StdPlatform {
        mounts: vec![Mount::parse(&format!("{}::/data", data.path().display())).unwrap()],
        ..scratch()
    };
    let grant = format!("exec:{}", tool.display());
    let (mut i, _) = runner(
        &[&grant, "fs:read:/data/**", "fs:write:/data/**"],
        Limits::default(),
        settings,
    );
    let err = run(
        &mut i,
        json!({"argv": [tool.to_str().unwrap()], "cwd": "/data"}),
    );
    assert_eq!(guest_code(err), Code::PermissionDenied);
    // The same program mapped read-only may run.
    let settings = StdPlatform {
        mounts: vec![Mount::parse(&format!("{}::/data:ro", data.path().display())).unwrap()],
        ..scratch()
    };
    let (mut i, _) = runner(
        &[&grant, "fs:read:/data/**", "fs:write:/data/out/*"],
        Limits::default(),
        settings,
    );
    let out = run(
        &mut i,
        json!({"argv": [tool.to_str().unwrap()], "cwd": "/data"}),
    )
    .unwrap();
    assert_eq!(out["exit_code"], 0);
}

#[test]
fn stdin_reaches_the_program_and_exit_status_comes_back() {
    let (mut i, _) = runner(
        &["exec:/bin/*", "exec:/usr/bin/*", "fs:temp"],
        Limits::default(),
        scratch(),
    );
    let out = run(&mut i, json!({"argv": ["/bin/cat"], "stdin": "piped text"})).unwrap();
    assert_eq!(out["stdout"], "piped text");
    let out = run(
        &mut i,
        json!({"argv": ["/bin/sh", "-c", "echo oops >&2; exit 3"]}),
    )
    .unwrap();
    assert_eq!(out["exit_code"], 3);
    assert_eq!(out["stderr"], "oops\n");
    // A missing program inside the grant: NOT_FOUND.
    let err = run(&mut i, json!({"argv": ["/bin/no-such-program"]}));
    assert_eq!(guest_code(err), Code::NotFound);
    // A NUL byte cannot reach the kernel's argv.
    let err = run(&mut i, json!({"argv": ["/bin/echo", "a\u{0}b"]}));
    assert_eq!(guest_code(err), Code::InvalidInput);
}

#[test]
fn without_a_grant_the_import_fails_the_load() {
    let (p, _) = platform(scratch());
    let err = caplet_core::Runtime::default()
        .load(
            &caplet_tests::plugin("runner"),
            caplet_core::PluginConfig {
                grants: caplet_core::Grants::from_strs(["fs:temp"]).unwrap(),
                platform: p,
                ..Default::default()
            },
        )
        .unwrap_err();
    assert!(err.to_string().contains("exec"), "{err}");
}

/// The `caplet` command: grants, `--exec-timeout` and the call's own `--timeout`.
mod cli {
    use std::process::{Command, Stdio};
    use std::time::{Duration, Instant};

    fn caplet(args: &[&str]) -> std::process::Output {
        Command::new(env!("CARGO_BIN_EXE_caplet"))
            .args(args)
            .stdin(Stdio::null())
            .output()
            .unwrap()
    }

    fn runner() -> String {
        caplet_tests::plugin_path("runner").display().to_string()
    }

    #[test]
    fn an_allowed_program_runs_from_the_command_line() {
        let r = runner();
        let o = caplet(&[
            "run",
            &r,
            "--call",
            "run",
            "--input",
            r#"{"argv":["/bin/echo","hi"]}"#,
            "--allow",
            "exec:/bin/echo",
            "--allow",
            "fs:temp",
        ]);
        assert_eq!(
            o.status.code(),
            Some(0),
            "{}",
            String::from_utf8_lossy(&o.stderr)
        );
        let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
        assert_eq!(v["stdout"], "hi\n");
        // Another program: denied, with the DENIED line naming it.
        let o = caplet(&[
            "run",
            &r,
            "--call",
            "run",
            "--input",
            r#"{"argv":["/bin/sh","-c","id"]}"#,
            "--allow",
            "exec:/bin/echo",
            "--allow",
            "fs:temp",
        ]);
        assert_eq!(o.status.code(), Some(1));
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(err.contains("DENIED") && err.contains("/bin/sh"), "{err}");
    }

    #[test]
    fn the_exec_timeout_and_the_call_timeout_both_bound_a_program() {
        let r = runner();
        let input = r#"{"argv":["/bin/sleep","30"]}"#;
        for limit in [["--exec-timeout", "200"], ["--timeout", "300"]] {
            let start = Instant::now();
            let o = caplet(&[
                "run",
                &r,
                "--call",
                "run",
                "--input",
                input,
                "--allow",
                "exec:/bin/sleep",
                "--allow",
                "fs:temp",
                limit[0],
                limit[1],
            ]);
            // Far below the 30 s of the sleep, with room for a debug build on a
            // loaded machine.
            assert!(
                start.elapsed() < Duration::from_secs(15),
                "{limit:?}: {:?}",
                start.elapsed()
            );
            let text = String::from_utf8_lossy(&o.stdout);
            assert!(
                text.contains(r#""timed_out":true"#) || o.status.code() == Some(4),
                "{limit:?}: {text} {}",
                String::from_utf8_lossy(&o.stderr)
            );
        }
    }
}
