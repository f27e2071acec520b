//! `serve::confine` in a child process (its restrictions cannot be undone): the
//! test binary runs itself again with `CAPLET_CONFINE_ROLE` set and
//! `--exact <test> --nocapture`; the child confines itself, tries what must still
//! work and what must now fail, and prints one `CONFINE-RESULT` line of
//! `key=value` pairs that the parent checks.
//!
//! Values: `ok`, or `errno:<n>` for a failure. Landlock refuses with `EACCES` (13),
//! the seccomp filter with `EPERM` (1).

use std::collections::BTreeMap;
use std::io;
use std::path::{Path, PathBuf};
use std::process::Command;

use caplet::serve::confine::{confine, Confinement, Status};

const ROLE: &str = "CAPLET_CONFINE_ROLE";
const RW: &str = "CAPLET_CONFINE_RW";
const OTHER: &str = "CAPLET_CONFINE_OTHER";
const EACCES: &str = "errno:13";
const EPERM: &str = "errno:1";
const ENOENT: &str = "errno:2";

/// `ok` or `errno:<n>`.
fn outcome<T>(r: io::Result<T>) -> String {
    match r {
        Ok(_) => "ok".into(),
        Err(e) => match e.raw_os_error() {
            Some(n) => format!("errno:{n}"),
            None => format!("error:{}", e.kind()),
        },
    }
}

fn status_word(s: &Status) -> &'static str {
    match s {
        Status::Enforced { .. } => "enforced",
        Status::Partial { .. } => "partial",
        Status::Unsupported { .. } => "unsupported",
    }
}

/// Runs `test` of this binary as a child in `role` with two fresh directories: one
/// listed read-write, one not listed (holding `secret.txt`). Returns the child's
/// result pairs.
fn run_child(test: &str, role: &str) -> BTreeMap<String, String> {
    let rw = tempfile::tempdir().unwrap();
    let other = tempfile::tempdir().unwrap();
    std::fs::write(other.path().join("secret.txt"), "not for plugins").unwrap();
    let out = Command::new(std::env::current_exe().unwrap())
        .args(["--exact", test, "--nocapture", "--test-threads=1"])
        .env(ROLE, role)
        .env(RW, rw.path())
        .env(OTHER, other.path())
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "child {role} failed: {}\nstdout:\n{stdout}\nstderr:\n{stderr}",
        out.status
    );
    // libtest prints `test <name> ... ` before the child's first line, on the same
    // line.
    let ours = |l: &str| l.find("CONFINE-").map(|i| l[i..].to_string());
    let line = stdout
        .lines()
        .filter_map(ours)
        .find_map(|l| l.strip_prefix("CONFINE-RESULT ").map(str::to_string))
        .unwrap_or_else(|| panic!("child {role} printed no result\nstdout:\n{stdout}"));
    // The child's report, for the test log.
    for l in stdout.lines().filter_map(ours) {
        eprintln!("{l}");
    }
    line.split_whitespace()
        .filter_map(|kv| kv.split_once('='))
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

/// The child's half: confines itself as `role` says and prints the results.
fn child(role: &str) {
    let rw = PathBuf::from(std::env::var_os(RW).unwrap());
    let other = PathBuf::from(std::env::var_os(OTHER).unwrap());
    let allow_exec = role == "exec";
    let mut results: Vec<(&str, String)> = Vec::new();
    // chroot on a missing path fails with ENOENT for anyone, root or not, before
    // the filter: afterwards EPERM can only come from the filter.
    results.push((
        "chroot_before",
        outcome(rustix::process::chroot("/caplet-confine-test-missing").map_err(io::Error::from)),
    ));
    // unshare with no flag changes nothing and succeeds for anyone, before.
    results.push(("unshare_before", outcome(unshare_nothing())));
    let threads = std::fs::read_dir("/proc/self/task").unwrap().count();
    results.push(("threads", threads.to_string()));
    let report = confine(&Confinement {
        read_write: vec![rw.clone()],
        read_only: Vec::new(),
        allow_exec,
    })
    .expect("confine");
    for line in report.to_string().lines() {
        println!("CONFINE-REPORT {line}");
    }
    results.push(("landlock", status_word(&report.landlock).into()));
    results.push(("seccomp", status_word(&report.seccomp).into()));

    // Inside the read-write directory: create, write, read back, list, remove.
    let file = rw.join("note.txt");
    results.push(("rw_create", outcome(std::fs::write(&file, "kept"))));
    results.push((
        "rw_read",
        outcome(std::fs::read_to_string(&file).and_then(|s| {
            (s == "kept")
                .then_some(())
                .ok_or_else(|| io::Error::other("content"))
        })),
    ));
    results.push(("rw_mkdir", outcome(std::fs::create_dir(rw.join("sub")))));
    results.push(("rw_list", outcome(std::fs::read_dir(&rw))));
    results.push(("rw_remove", outcome(std::fs::remove_file(&file))));
    // Outside every listed path.
    results.push((
        "other_read",
        outcome(std::fs::read(other.join("secret.txt"))),
    ));
    results.push((
        "other_create",
        outcome(std::fs::write(other.join("new.txt"), "x")),
    ));
    results.push(("passwd", outcome(std::fs::read("/etc/passwd"))));
    // What the service needs to keep working.
    results.push((
        "urandom",
        outcome(std::fs::File::open("/dev/urandom").and_then(|mut f| {
            let mut buf = [0u8; 16];
            io::Read::read_exact(&mut f, &mut buf)
        })),
    ));
    if Path::new("/etc/hosts").exists() {
        results.push(("hosts", outcome(std::fs::read("/etc/hosts"))));
    }
    results.push((
        "proc_self",
        outcome(std::fs::read_to_string("/proc/self/status")),
    ));
    results.push(("parallelism", outcome(std::thread::available_parallelism())));
    // A thread started after confine inherits the domain.
    let from_thread = std::thread::spawn(|| outcome(std::fs::read("/etc/passwd")))
        .join()
        .unwrap();
    results.push(("thread_passwd", from_thread));
    // The filter.
    results.push((
        "chroot_after",
        outcome(rustix::process::chroot("/caplet-confine-test-missing").map_err(io::Error::from)),
    ));
    results.push(("unshare_after", outcome(unshare_nothing())));
    results.push(("exec_true", outcome(Command::new("/bin/true").status())));
    if allow_exec {
        // A program started now is confined too: it reads the listed directory
        // but not /etc/passwd.
        std::fs::write(&file, "kept").unwrap();
        let cat = |p: &Path| {
            Command::new("/bin/cat")
                .arg(p)
                .output()
                .map(|o| o.status.success())
        };
        results.push((
            "program_reads_rw",
            cat(&file).map_or_else(|e| outcome::<()>(Err(e)), |ok| ok.to_string()),
        ));
        results.push((
            "program_reads_passwd",
            cat(Path::new("/etc/passwd"))
                .map_or_else(|e| outcome::<()>(Err(e)), |ok| ok.to_string()),
        ));
    }
    let line: Vec<String> = results.iter().map(|(k, v)| format!("{k}={v}")).collect();
    println!("CONFINE-RESULT {}", line.join(" "));
}

/// `unshare(0)`: no namespace is left, nothing changes (the flag that makes
/// `unshare` unsafe, `CLONE_FILES`, is not given).
#[allow(deprecated)]
fn unshare_nothing() -> io::Result<()> {
    rustix::thread::unshare(rustix::thread::UnshareFlags::empty()).map_err(io::Error::from)
}

/// Checks what both roles share.
fn check_common(r: &BTreeMap<String, String>) {
    let get = |k: &str| r.get(k).map(String::as_str).unwrap_or("missing");
    for k in [
        "rw_create",
        "rw_read",
        "rw_mkdir",
        "rw_list",
        "rw_remove",
        "urandom",
        "proc_self",
        "parallelism",
    ] {
        assert_eq!(get(k), "ok", "{k}: {r:?}");
    }
    if r.contains_key("hosts") {
        assert_eq!(get("hosts"), "ok", "{r:?}");
    }
    match get("landlock") {
        "enforced" | "partial" => {
            for k in ["other_read", "other_create", "passwd", "thread_passwd"] {
                assert_eq!(get(k), EACCES, "{k} must be refused by Landlock: {r:?}");
            }
        }
        "unsupported" => {
            // No Landlock in this kernel: the report says so, and indeed nothing
            // is refused.
            for k in ["other_read", "passwd"] {
                assert_eq!(get(k), "ok", "{k}: Landlock reported unsupported: {r:?}");
            }
        }
        other => panic!("landlock status {other}: {r:?}"),
    }
    assert_eq!(get("chroot_before"), ENOENT, "{r:?}");
    assert_eq!(get("unshare_before"), "ok", "{r:?}");
    if cfg!(any(target_arch = "x86_64", target_arch = "aarch64")) {
        assert_eq!(get("seccomp"), "enforced", "{r:?}");
        assert_eq!(get("chroot_after"), EPERM, "chroot must be refused: {r:?}");
        assert_eq!(
            get("unshare_after"),
            EPERM,
            "unshare must be refused: {r:?}"
        );
    } else {
        assert_eq!(get("seccomp"), "unsupported", "{r:?}");
    }
}

#[test]
fn confined_without_exec() {
    if let Ok(role) = std::env::var(ROLE) {
        return child(&role);
    }
    let r = run_child("confined_without_exec", "no-exec");
    check_common(&r);
    if cfg!(any(target_arch = "x86_64", target_arch = "aarch64")) {
        assert_eq!(r["exec_true"], EPERM, "execve must be refused: {r:?}");
    }
}

#[test]
fn confined_with_exec() {
    if let Ok(role) = std::env::var(ROLE) {
        return child(&role);
    }
    let r = run_child("confined_with_exec", "exec");
    check_common(&r);
    assert_eq!(r["exec_true"], "ok", "/bin/true must start: {r:?}");
    assert_eq!(r["program_reads_rw"], "true", "{r:?}");
    if r["landlock"] != "unsupported" {
        assert_eq!(
            r["program_reads_passwd"], "false",
            "a started program inherits the Landlock domain: {r:?}"
        );
    }
}

#[test]
fn missing_path_is_an_error_naming_it() {
    if std::env::var(ROLE).is_ok() {
        // Nothing is restricted when a listed path is missing.
        let missing = PathBuf::from(std::env::var_os(RW).unwrap()).join("absent");
        let err = confine(&Confinement {
            read_write: vec![missing.clone()],
            ..Confinement::default()
        })
        .unwrap_err();
        let nnp = std::fs::read_to_string("/proc/self/status")
            .unwrap()
            .lines()
            .find_map(|l| l.strip_prefix("NoNewPrivs:").map(|v| v.trim().to_string()))
            .unwrap();
        let names = err.contains(&missing.display().to_string());
        println!("CONFINE-RESULT names_path={names} no_new_privs={nnp}");
        println!("CONFINE-ERROR {err}");
        return;
    }
    let r = run_child("missing_path_is_an_error_naming_it", "missing");
    assert_eq!(r["names_path"], "true", "{r:?}");
    assert_eq!(r["no_new_privs"], "0", "nothing may be set on error: {r:?}");
}
