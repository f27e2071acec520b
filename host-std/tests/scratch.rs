//! `fs:temp`: a fresh, private scratch directory per loaded plugin, mapped at
//! `/tmp` (or the grant's directory), created on first use, counted against the
//! write quota and removed with the plugin; through contract v1 and WASI alike.

mod common;

use std::path::PathBuf;
use std::process::{Command, Stdio};

use caplet::platform::StdPlatform;
use caplet_core::{Code, Limits};
use common::{guest_code, instance, platform};
use serde_json::json;

/// The `runner` fixture; it imports `exec`, so some program is always granted.
fn runner(caps: &[&str], limits: Limits) -> caplet_core::Instance {
    let (p, _) = platform(StdPlatform::default());
    let mut caps = caps.to_vec();
    caps.push("exec:/bin/pwd");
    instance("runner", &caps, limits, p)
}

/// The host directory of the instance's scratch directory, asked of `/bin/pwd`
/// run there (the default working directory of `exec`).
fn host_dir(i: &mut caplet_core::Instance) -> PathBuf {
    let out = i
        .call("run", json!({"argv": ["/bin/pwd"]}).to_string().as_bytes())
        .unwrap();
    let v: serde_json::Value = serde_json::from_slice(&out).unwrap();
    PathBuf::from(v["stdout"].as_str().unwrap().trim())
}

#[test]
fn files_round_trip_through_contract_v1() {
    let mut i = runner(&["fs:temp"], Limits::default());
    i.call("scratch_put", b"notes.txt=first draft").unwrap();
    i.call("scratch_put", b"b.txt=x").unwrap();
    assert_eq!(i.call("scratch_get", b"notes.txt").unwrap(), b"first draft");
    assert_eq!(i.call("scratch_list", b"").unwrap(), b"b.txt,notes.txt");
    // Only beneath /tmp: the grant reaches nothing else.
    assert_eq!(
        guest_code(i.call("scratch_get", b"../etc/passwd")),
        Code::PermissionDenied
    );
}

#[test]
fn each_loaded_plugin_gets_its_own_directory_removed_with_it() {
    let caps = ["fs:temp"];
    let mut a = runner(&caps, Limits::default());
    let mut b = runner(&caps, Limits::default());
    a.call("scratch_put", b"k=from a").unwrap();
    b.call("scratch_put", b"k=from b").unwrap();
    assert_eq!(a.call("scratch_get", b"k").unwrap(), b"from a");
    assert_eq!(b.call("scratch_get", b"k").unwrap(), b"from b");
    let (da, db) = (host_dir(&mut a), host_dir(&mut b));
    assert_ne!(da, db);
    assert!(da.join("k").is_file());
    // Private to the host user.
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(&da).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o700, "{mode:o}");
    drop(a);
    assert!(!da.exists(), "{} outlived its plugin", da.display());
    assert!(
        db.join("k").is_file(),
        "the other plugin's directory is untouched"
    );
    drop(b);
    assert!(!db.exists());
}

#[test]
fn the_directory_is_created_on_first_use_and_removed_on_drop() {
    use caplet_core::platform::Filesystem;
    let fs = caplet::fs::StdFs::new_scratch("/tmp");
    assert_eq!(fs.mount_point("/tmp/a"), Some("/tmp".into()));
    assert_eq!(fs.mount_point("/tmpx"), None);
    assert!(
        fs.scratch_host_dir().is_none(),
        "nothing on the host before use"
    );
    fs.write("/tmp/a.txt", b"1").unwrap();
    let host = fs.scratch_host_dir().unwrap().to_path_buf();
    assert!(host.join("a.txt").is_file());
    assert!(host
        .file_name()
        .and_then(|n| n.to_str())
        .is_some_and(|n| n.starts_with(caplet::fs::SCRATCH_PREFIX)));
    // Paths outside its directory are not this filesystem's.
    assert_eq!(fs.read("/data/a.txt", 10), Err(Code::NotFound));
    drop(fs);
    assert!(!host.exists());
}

#[test]
fn writes_count_against_the_write_quota() {
    let limits = Limits {
        write_quota_bytes: 1000,
        ..Limits::default()
    };
    let mut i = runner(&["fs:temp"], limits);
    let body = format!("a={}", "x".repeat(600));
    i.call("scratch_put", body.as_bytes()).unwrap();
    let body = format!("b={}", "x".repeat(600));
    assert_eq!(
        guest_code(i.call("scratch_put", body.as_bytes())),
        Code::Limit
    );
}

#[test]
fn a_wasi_program_reads_back_what_it_wrote_in_tmp() {
    // Writes "hello" to /tmp/note (fd 3 is the /tmp preopen), reads it back and
    // prints it.
    let wat = r#"(module
        (import "wasi_snapshot_preview1" "path_open"
          (func $open (param i32 i32 i32 i32 i32 i64 i64 i32 i32) (result i32)))
        (import "wasi_snapshot_preview1" "fd_write" (func $w (param i32 i32 i32 i32) (result i32)))
        (import "wasi_snapshot_preview1" "fd_read" (func $r (param i32 i32 i32 i32) (result i32)))
        (import "wasi_snapshot_preview1" "fd_close" (func $c (param i32) (result i32)))
        (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
        (memory (export "memory") 1)
        (data (i32.const 100) "note")
        (data (i32.const 300) "hello")
        (func $check (param i32) (if (local.get 0) (then (call $exit (local.get 0)))))
        (func (export "_start")
          (call $check (call $open (i32.const 3) (i32.const 0) (i32.const 100) (i32.const 4)
            (i32.const 9) (i64.const 64) (i64.const 0) (i32.const 0) (i32.const 200)))
          (i32.store (i32.const 0) (i32.const 300))
          (i32.store (i32.const 4) (i32.const 5))
          (call $check (call $w (i32.load (i32.const 200)) (i32.const 0) (i32.const 1) (i32.const 8)))
          (call $check (call $c (i32.load (i32.const 200))))
          (call $check (call $open (i32.const 3) (i32.const 0) (i32.const 100) (i32.const 4)
            (i32.const 0) (i64.const 2) (i64.const 0) (i32.const 0) (i32.const 200)))
          (i32.store (i32.const 0) (i32.const 400))
          (i32.store (i32.const 4) (i32.const 64))
          (call $check (call $r (i32.load (i32.const 200)) (i32.const 0) (i32.const 1) (i32.const 8)))
          (i32.store (i32.const 4) (i32.load (i32.const 8)))
          (call $check (call $w (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8)))))"#;
    let tmp = tempfile::tempdir().unwrap();
    let module = tmp.path().join("note.wasm");
    std::fs::write(&module, wat::parse_str(wat).unwrap()).unwrap();
    let o = Command::new(env!("CARGO_BIN_EXE_caplet"))
        .args(["run", module.to_str().unwrap(), "--allow", "fs:temp"])
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert_eq!(
        (o.status.code(), String::from_utf8_lossy(&o.stdout).as_ref()),
        (Some(0), "hello"),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    // Without the grant there is no /tmp preopen: fd 3 is not a directory.
    let o = Command::new(env!("CARGO_BIN_EXE_caplet"))
        .args(["run", module.to_str().unwrap()])
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert_eq!(
        o.status.code(),
        Some(8),
        "EBADF: {}",
        String::from_utf8_lossy(&o.stderr)
    );
}

#[test]
fn a_host_without_scratch_directories_refuses_the_grant_at_load() {
    let mut p = caplet_core::platform::testing::full();
    p.fs = None;
    let err = caplet_core::Runtime::default()
        .load(
            &caplet_tests::plugin("runner"),
            caplet_core::PluginConfig {
                grants: caplet_core::Grants::from_strs(["fs:temp", "exec:/bin/*"]).unwrap(),
                platform: p,
                ..Default::default()
            },
        )
        .unwrap_err();
    assert!(err.to_string().contains("fs:temp"), "{err}");
}
