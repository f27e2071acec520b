//! `caplet run` on an unmodified Extism plugin (`extism_kit`, built with
//! extism-pdk from crates.io): the profile is detected by its imports, `--call`
//! and `--input` work as for contract v1, `--config` sets Extism config, exit
//! codes are contract v1's, and HTTP goes to a real server on 127.0.0.1 through
//! the grants and the private-address guard.

use std::process::{Command, Output};
use std::sync::Arc;
use std::thread;

use caplet_tests::plugin_path;

fn caplet(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_caplet"))
        .args(args)
        .output()
        .unwrap()
}

fn kit() -> String {
    plugin_path("extism_kit").to_str().unwrap().to_string()
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

#[test]
fn count_vowels_runs_from_the_command_line() {
    let o = caplet(&[
        "run",
        &kit(),
        "--call",
        "count_vowels",
        "--input",
        "Hello, World",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(stdout(&o), r#"{"count":3}"#);
}

#[test]
fn config_flags_reach_the_plugin() {
    let o = caplet(&["run", &kit(), "--call", "greet", "--config", "name=Ada"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(stdout(&o), "Hello, Ada!");
}

#[test]
fn a_plugin_error_exits_1_with_its_message() {
    let o = caplet(&["run", &kit(), "--call", "fail", "--input", "because"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stderr(&o)
            .contains("error: guest: `fail` returned error code -1: failed on purpose: because"),
        "{}",
        stderr(&o)
    );
    let o = caplet(&["run", &kit(), "--call", "greet"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stderr(&o).contains("config key `name` is not set"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn a_missing_export_is_named_with_the_ones_there_are() {
    let o = caplet(&["run", &kit(), "--call", "nope"]);
    assert_eq!(o.status.code(), Some(2));
    let err = stderr(&o);
    assert!(err.contains("`nope` is not exported"), "{err}");
    assert!(err.contains("count_vowels"), "{err}");
}

#[test]
fn an_infinite_loop_is_stopped_by_fuel_and_by_the_timeout() {
    let o = caplet(&["run", &kit(), "--call", "spin", "--fuel", "100000"]);
    assert_eq!(o.status.code(), Some(4));
    assert!(stderr(&o).contains("out of fuel"), "{}", stderr(&o));
    let o = caplet(&["run", &kit(), "--call", "spin", "--timeout", "200"]);
    assert_eq!(o.status.code(), Some(4));
    assert!(stderr(&o).contains("deadline passed"), "{}", stderr(&o));
}

#[test]
fn logs_need_the_log_grant() {
    let o = caplet(&[
        "run",
        &kit(),
        "--call",
        "log_it",
        "--input",
        "hi",
        "--allow",
        "log",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(stderr(&o).contains("INFO  info: hi"), "{}", stderr(&o));
    let o = caplet(&["run", &kit(), "--call", "log_it", "--input", "hi"]);
    assert_eq!(o.status.code(), Some(0));
    assert!(!stderr(&o).contains("info: hi"), "{}", stderr(&o));
}

/// A real HTTP server on 127.0.0.1 answering every request with `hello from
/// <path>`.
fn server() -> (Arc<tiny_http::Server>, u16) {
    let server = Arc::new(tiny_http::Server::http("127.0.0.1:0").unwrap());
    let port = server.server_addr().to_ip().unwrap().port();
    let s = server.clone();
    thread::spawn(move || {
        for req in s.incoming_requests() {
            let body = format!("hello from {}", req.url());
            let _ = req.respond(tiny_http::Response::from_string(body));
        }
    });
    (server, port)
}

#[test]
fn http_goes_through_the_grants_and_the_private_address_guard() {
    let (server, port) = server();
    let input = format!(r#"{{"url": "http://127.0.0.1:{port}/x"}}"#);
    // Granted: status and body come back.
    let o = caplet(&[
        "run",
        &kit(),
        "--call",
        "fetch",
        "--input",
        &input,
        "--allow",
        &format!("net:outbound:127.0.0.1:{port}"),
        "--allow",
        "net:outbound:private",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(stdout(&o), "200 hello from /x");
    // The host granted but not the private-address exemption: refused.
    let o = caplet(&[
        "run",
        &kit(),
        "--call",
        "fetch",
        "--input",
        &input,
        "--allow",
        &format!("net:outbound:127.0.0.1:{port}"),
    ]);
    assert_ne!(o.status.code(), Some(0), "{}", stdout(&o));
    // Not granted at all: a capability error (exit 6), not an empty success.
    let o = caplet(&["run", &kit(), "--call", "fetch", "--input", &input]);
    assert_eq!(o.status.code(), Some(6), "{}", stderr(&o));
    assert!(
        stderr(&o).contains(&format!("net:outbound:127.0.0.1:{port}")),
        "{}",
        stderr(&o)
    );
    server.unblock();
}

#[test]
fn inspect_lists_the_extism_imports_with_their_capabilities() {
    let o = caplet(&["inspect", &kit()]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let out = stdout(&o);
    assert!(!out.contains("unknown import"), "{out}");
    assert!(out.contains("extism:host/env.http_request"), "{out}");
    assert!(out.contains("[net:outbound]"), "{out}");
}
