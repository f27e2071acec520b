//! The `exec` service's own checks and caps, before any platform runs anything:
//! on the test platform, whose `RecordingExec` keeps each request it is handed.

use std::sync::Arc;

use caplet_core::platform::testing::{self, MapEnv, RecordingExec};
use caplet_core::services::exec::{ExecCall, MAX_EXEC_ARGS, MAX_EXEC_ENV};
use caplet_core::{Code, Grants, Limits, PluginConfig, Runtime};

fn service(caps: &[&str], limits: Limits) -> (caplet_core::Plugin, Arc<RecordingExec>) {
    let exec = Arc::new(RecordingExec::default());
    let mut platform = testing::full();
    platform.exec = Some(exec.clone());
    platform.env = Some(Arc::new(MapEnv(
        [("LANG".to_string(), "C.UTF-8".to_string())]
            .into_iter()
            .collect(),
    )));
    let wasm = caplet_tests::wat_str(r#"(module (memory (export "memory") 1))"#);
    let plugin = Runtime::default()
        .load(
            &wasm,
            PluginConfig {
                grants: Grants::from_strs(caps.iter().copied()).unwrap(),
                limits,
                platform,
                ..Default::default()
            },
        )
        .unwrap();
    (plugin, exec)
}

fn call(argv: &[&str]) -> ExecCall {
    ExecCall {
        argv: argv.iter().map(|a| a.to_string()).collect(),
        ..ExecCall::default()
    }
}

#[test]
fn a_checked_request_reaches_the_platform_with_host_values_and_capped_timeout() {
    let limits = Limits {
        exec_timeout_ms: 500,
        max_exec_output_bytes: 4096,
        ..Limits::default()
    };
    let (p, exec) = service(&["exec:/bin/*", "env:LANG", "fs:temp"], limits);
    let mut c = call(&["/bin/echo", "hi"]);
    c.env = vec!["LANG".into(), "HOME".into()];
    c.timeout_ms = Some(60_000);
    assert_eq!(
        p.services().exec(c),
        Err(Code::PermissionDenied),
        "HOME is outside the env grants"
    );
    let mut c = call(&["/bin/echo", "hi"]);
    c.env = vec!["LANG".into()];
    c.timeout_ms = Some(60_000);
    p.services().exec(c).unwrap();
    let mut c = call(&["/bin/true"]);
    c.timeout_ms = Some(20);
    p.services().exec(c).unwrap();
    let seen = exec.0.lock().clone();
    assert_eq!(
        seen.len(),
        2,
        "the denied request never reached the platform"
    );
    assert_eq!(seen[0].program, "/bin/echo");
    assert_eq!(seen[0].args, ["hi"]);
    assert_eq!(seen[0].env, [("LANG".to_string(), "C.UTF-8".to_string())]);
    assert_eq!(seen[0].cwd, "/tmp", "the scratch directory by default");
    assert_eq!(
        seen[0].timeout_ms, 500,
        "never more than the operator's limit"
    );
    assert_eq!(seen[0].max_output, 4096);
    assert_eq!(seen[1].timeout_ms, 20, "less when asked");
}

#[test]
fn oversized_requests_are_refused_with_limit() {
    let limits = Limits {
        max_host_result_bytes: 1024,
        ..Limits::default()
    };
    let (p, exec) = service(&["exec:/bin/*", "env:*", "fs:temp"], limits);
    let too_many: Vec<String> = (0..=MAX_EXEC_ARGS).map(|i| i.to_string()).collect();
    let mut c = call(&["/bin/echo"]);
    c.argv.extend(too_many);
    assert_eq!(p.services().exec(c), Err(Code::Limit), "argv count");
    let mut c = call(&["/bin/echo"]);
    c.argv.push("x".repeat(2048));
    assert_eq!(p.services().exec(c), Err(Code::Limit), "argv bytes");
    let mut c = call(&["/bin/cat"]);
    c.stdin = vec![0; 2048];
    assert_eq!(p.services().exec(c), Err(Code::Limit), "stdin");
    let mut c = call(&["/bin/env"]);
    c.env = (0..=MAX_EXEC_ENV).map(|i| format!("V{i}")).collect();
    assert_eq!(p.services().exec(c), Err(Code::Limit), "env names");
    assert!(exec.0.lock().is_empty());
}

#[test]
fn bad_programs_names_and_directories_are_refused_before_the_platform() {
    let (p, exec) = service(
        &["exec:/**", "env:*", "fs:read:/data/**"],
        Limits::default(),
    );
    let with_cwd = |argv: &[&str], cwd: Option<&str>| {
        let mut c = call(argv);
        c.cwd = cwd.map(String::from);
        c
    };
    for (c, code) in [
        (call(&[]), Code::InvalidInput),
        (with_cwd(&["echo"], Some("/data")), Code::InvalidInput),
        (
            with_cwd(&["/usr/../bin/sh"], Some("/data")),
            Code::InvalidInput,
        ),
        (
            with_cwd(&["/bin/echo", "a\0b"], Some("/data")),
            Code::InvalidInput,
        ),
        // No cwd and no scratch directory.
        (with_cwd(&["/bin/echo"], None), Code::InvalidInput),
        // A cwd outside every fs grant.
        (
            with_cwd(&["/bin/echo"], Some("/etc")),
            Code::PermissionDenied,
        ),
    ] {
        let argv = c.argv.clone();
        assert_eq!(p.services().exec(c), Err(code), "{argv:?}");
    }
    let mut c = with_cwd(&["/bin/echo"], Some("/data"));
    c.env = vec!["A=B".into()];
    assert_eq!(
        p.services().exec(c),
        Err(Code::InvalidInput),
        "a value smuggled in a name"
    );
    assert!(exec.0.lock().is_empty());
}
