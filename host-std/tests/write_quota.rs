//! The write quota: a plugin with `fs:write` cannot fill the disk. Bytes written
//! and files created beneath the mappings count against a per-plugin quota
//! (`--write-quota`, `--write-quota-files`, policy `write-quota`), through contract
//! v1's `fs_write` and through WASI alike.

use std::process::{Command, Output, Stdio};

use caplet_tests::plugin_path;

fn caplet(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_caplet"))
        .args(args)
        .stdin(Stdio::null())
        .output()
        .unwrap()
}

#[test]
fn contract_v1_writes_stop_at_the_byte_quota() {
    let data = tempfile::tempdir().unwrap();
    let dir = format!("{}::/data", data.path().display());
    let tool = plugin_path("fs_tool").display().to_string();
    let write = |name: &str, quota: &str| {
        let input = format!(r#"{{"path":"/data/{name}","data":"{}"}}"#, "x".repeat(600));
        caplet(&[
            "run",
            &tool,
            "--call",
            "write",
            "--input",
            &input,
            "--dir",
            &dir,
            "--allow",
            "fs:read:/data/**",
            "--allow",
            "fs:write:/data/**",
            "--write-quota",
            quota,
        ])
    };
    let o = write("a.txt", "1000");
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let o = write("b.txt", "500");
    assert_eq!(
        o.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    assert!(
        String::from_utf8_lossy(&o.stderr).contains("LIMIT"),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    assert!(!data.path().join("b.txt").exists());
}

#[test]
fn contract_v1_file_creation_stops_at_the_file_quota() {
    let data = tempfile::tempdir().unwrap();
    std::fs::write(data.path().join("old.txt"), "old").unwrap();
    let dir = format!("{}::/data", data.path().display());
    let tool = plugin_path("fs_tool").display().to_string();
    let write = |name: &str| {
        let input = format!(r#"{{"path":"/data/{name}","data":"y"}}"#);
        caplet(&[
            "run",
            &tool,
            "--call",
            "write",
            "--input",
            &input,
            "--dir",
            &dir,
            "--allow",
            "fs:read:/data/**",
            "--allow",
            "fs:write:/data/**",
            "--write-quota-files",
            "0",
        ])
    };
    // Replacing an existing file creates none; a new one is refused.
    assert_eq!(write("old.txt").status.code(), Some(0));
    assert_eq!(write("new.txt").status.code(), Some(1));
    assert!(!data.path().join("new.txt").exists());
}

#[test]
fn wasi_writes_stop_at_the_quota_with_dquot() {
    // Opens /data/f (create), writes 4 KiB twice; exits with the second write's
    // errno (0 on success).
    let wat = r#"(module
        (import "wasi_snapshot_preview1" "path_open"
          (func $open (param i32 i32 i32 i32 i32 i64 i64 i32 i32) (result i32)))
        (import "wasi_snapshot_preview1" "fd_write" (func $w (param i32 i32 i32 i32) (result i32)))
        (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
        (memory (export "memory") 1)
        (data (i32.const 100) "f")
        (func (export "_start")
          (drop (call $open (i32.const 3) (i32.const 0) (i32.const 100) (i32.const 1)
            (i32.const 1) (i64.const 64) (i64.const 0) (i32.const 0) (i32.const 200)))
          (i32.store (i32.const 0) (i32.const 1024))
          (i32.store (i32.const 4) (i32.const 4096))
          (drop (call $w (i32.load (i32.const 200)) (i32.const 0) (i32.const 1) (i32.const 8)))
          (call $exit (call $w (i32.load (i32.const 200)) (i32.const 0) (i32.const 1) (i32.const 8)))))"#;
    let tmp = tempfile::tempdir().unwrap();
    let module = tmp.path().join("w.wasm");
    std::fs::write(&module, wat::parse_str(wat).unwrap()).unwrap();
    let data = tempfile::tempdir().unwrap();
    let dir = format!("{}::/data", data.path().display());
    let m = module.display().to_string();
    let o = caplet(&["run", &m, "--dir", &dir, "--write-quota", "6KiB"]);
    assert_eq!(
        o.status.code(),
        Some(19),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    assert_eq!(
        std::fs::metadata(data.path().join("f")).unwrap().len(),
        4096
    );
    let o = caplet(&["run", &m, "--dir", &dir, "--write-quota", "8KiB"]);
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
}
