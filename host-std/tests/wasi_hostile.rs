//! WASI programs that reach for what they were not given: each attempt is an errno
//! (the programs below exit with it), never a trap, a hang or a host crash, and
//! nothing outside the preopen is read or written.

use std::process::{Command, Output, Stdio};

/// Runs a WASI command given as WAT with `args` after the module; returns the output.
fn run_wat(text: &str, args: &[&str]) -> Output {
    let dir = tempfile::tempdir().unwrap();
    let module = dir.path().join("prog.wasm");
    std::fs::write(&module, wat::parse_str(text).unwrap()).unwrap();
    Command::new(env!("CARGO_BIN_EXE_caplet"))
        .arg("run")
        .arg(&module)
        .args(args)
        .stdin(Stdio::null())
        .output()
        .unwrap()
}

/// A command that opens the path at offset 100 (length from `len`) beneath fd 3
/// with `oflags` and `rights`, and exits with the errno (0 on success).
fn open_program(path: &str, oflags: u32, rights: u64, lookup: u32) -> String {
    format!(
        r#"(module
            (import "wasi_snapshot_preview1" "path_open"
              (func $open (param i32 i32 i32 i32 i32 i64 i64 i32 i32) (result i32)))
            (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
            (memory (export "memory") 1)
            (data (i32.const 100) "{path}")
            (func (export "_start")
              (call $exit (call $open (i32.const 3) (i32.const {lookup}) (i32.const 100)
                (i32.const {len}) (i32.const {oflags}) (i64.const {rights}) (i64.const 0)
                (i32.const 0) (i32.const 200)))))"#,
        len = path.len()
    )
}

const FD_READ: u64 = 1 << 1;
const FD_WRITE: u64 = 1 << 6;
const O_CREAT: u32 = 1;
const NOTCAPABLE: i32 = 76;

fn code(o: &Output) -> Option<i32> {
    o.status.code()
}

#[test]
fn a_read_only_preopen_refuses_a_create_with_notcapable() {
    let data = tempfile::tempdir().unwrap();
    let dir = format!("{}::/data:ro", data.path().display());
    let o = run_wat(
        &open_program("new.txt", O_CREAT, FD_WRITE, 0),
        &["--dir", &dir],
    );
    assert_eq!(
        code(&o),
        Some(NOTCAPABLE),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    assert!(!data.path().join("new.txt").exists());
    assert!(String::from_utf8_lossy(&o.stderr).contains("DENIED fs:write /data/new.txt"));
    // The same program on a read-write preopen creates the file.
    let dir = format!("{}::/data", data.path().display());
    let o = run_wat(
        &open_program("new.txt", O_CREAT, FD_WRITE, 0),
        &["--dir", &dir],
    );
    assert_eq!(code(&o), Some(0), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(data.path().join("new.txt").exists());
}

#[test]
fn dot_dot_out_of_a_preopen_and_absolute_paths_are_notcapable() {
    let data = tempfile::tempdir().unwrap();
    std::fs::create_dir(data.path().join("inner")).unwrap();
    let dir = format!("{}::/data", data.path().display());
    for path in ["../etc/passwd", "inner/../../x", "/etc/passwd"] {
        let o = run_wat(&open_program(path, 0, FD_READ, 1), &["--dir", &dir]);
        assert_eq!(
            code(&o),
            Some(NOTCAPABLE),
            "{path}: {}",
            String::from_utf8_lossy(&o.stderr)
        );
    }
}

#[test]
fn a_symlink_leading_out_of_the_preopen_is_not_followed() {
    let outside = tempfile::tempdir().unwrap();
    std::fs::write(outside.path().join("secret"), b"s3cret").unwrap();
    let data = tempfile::tempdir().unwrap();
    std::os::unix::fs::symlink(outside.path().join("secret"), data.path().join("abs")).unwrap();
    std::os::unix::fs::symlink(
        "../../../../../../../../etc/passwd",
        data.path().join("rel"),
    )
    .unwrap();
    std::fs::write(data.path().join("inside"), b"ok").unwrap();
    std::os::unix::fs::symlink("inside", data.path().join("good")).unwrap();
    let dir = format!("{}::/data", data.path().display());
    for path in ["abs", "rel"] {
        let o = run_wat(&open_program(path, 0, FD_READ, 1), &["--dir", &dir]);
        let c = code(&o).unwrap_or(-1);
        assert!(
            c != 0 && c < 100,
            "{path}: exit {c}, {}",
            String::from_utf8_lossy(&o.stderr)
        );
    }
    // A link inside the preopen is followed.
    let o = run_wat(&open_program("good", 0, FD_READ, 1), &["--dir", &dir]);
    assert_eq!(code(&o), Some(0), "{}", String::from_utf8_lossy(&o.stderr));
}

#[test]
fn a_fifo_in_a_preopen_is_refused_without_blocking() {
    let data = tempfile::tempdir().unwrap();
    let fifo = data.path().join("pipe");
    let status = Command::new("mkfifo").arg(&fifo).status().unwrap();
    assert!(status.success());
    let dir = format!("{}::/data", data.path().display());
    let started = std::time::Instant::now();
    let o = run_wat(&open_program("pipe", 0, FD_READ, 1), &["--dir", &dir]);
    assert_ne!(code(&o), Some(0));
    assert!(started.elapsed() < std::time::Duration::from_secs(10));
}

#[test]
fn guest_pointers_out_of_range_are_efault_not_traps() {
    // fd_write with an iovec array far outside memory, then with an iovec whose
    // buffer is outside memory: both EFAULT (21); the program exits with the sum.
    let o = run_wat(
        r#"(module
            (import "wasi_snapshot_preview1" "fd_write" (func $w (param i32 i32 i32 i32) (result i32)))
            (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
            (memory (export "memory") 1)
            (func (export "_start")
              (i32.store (i32.const 0) (i32.const 0xfffffff0))
              (i32.store (i32.const 4) (i32.const 64))
              (call $exit (i32.add
                (call $w (i32.const 1) (i32.const 0x7ffffff0) (i32.const 4) (i32.const 8))
                (call $w (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8))))))"#,
        &[],
    );
    assert_eq!(code(&o), Some(42), "{}", String::from_utf8_lossy(&o.stderr));
}

#[test]
fn a_huge_iovec_count_is_refused() {
    let o = run_wat(
        r#"(module
            (import "wasi_snapshot_preview1" "fd_write" (func $w (param i32 i32 i32 i32) (result i32)))
            (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
            (memory (export "memory") 1)
            (func (export "_start")
              (call $exit (call $w (i32.const 1) (i32.const 0) (i32.const -1) (i32.const 8)))))"#,
        &[],
    );
    assert_eq!(code(&o), Some(28), "{}", String::from_utf8_lossy(&o.stderr));
}
