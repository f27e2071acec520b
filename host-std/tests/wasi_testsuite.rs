//! The WASI preview-1 test suite, run through the real `caplet` binary in `--wasi` mode.
//!
//! The suite is vendored in `tests/wasi-testsuite/` (see its `SOURCES.md`): 72 modules in
//! three suites (`assemblyscript`, `c`, `rust`). Each module runs as
//!
//! ```text
//! caplet run <module>.wasm --wasi [--dir HOST::GUEST]... [--env NAME=VALUE]... [-- ARG...]
//! ```
//!
//! built from its spec (`<module>.json` beside it, legacy format, every key optional):
//!
//! - `args` → after `--`;
//! - `env` → one `--env K=V` each (the program's whole environment);
//! - `root` (relative to the spec's folder) → `--dir <fresh copy>::/`;
//! - `dirs` (older format) → `--dir <fresh copy of folder/dir>::<dir>` each, the working
//!   directory being the (temporary) folder that holds those copies;
//! - `exit_code` (default 0) → compared with caplet's exit status;
//! - `stdout` / `stderr` → compared exactly when present.
//!
//! A module without a spec gets the default one: no args, empty environment, no preopen,
//! exit code 0. Stdin is empty. Every run gets its own copy of the preopened directories in
//! a temporary directory (with `*.cleanup` entries removed first, as upstream's runner does),
//! so tests cannot disturb each other or the repository, and a timeout so a hang fails only
//! that module.
//!
//! Every module runs; the test then prints a table of failures and the pass count. It fails
//! if a module outside [`KNOWN_FAILURES`] fails or if fewer than [`EXPECTED_AT_LEAST`]
//! pass. A module listed in [`KNOWN_FAILURES`] that passes is reported so the table can
//! be shrunk. To see the table when everything passes:
//! `cargo test -p caplet --test wasi_testsuite -- --nocapture`.

use std::collections::BTreeSet;
use std::ffi::OsStr;
use std::fs;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use serde_json::Value;

/// Modules found in the vendored suite (12 AssemblyScript + 14 C + 46 Rust).
const EXPECTED_MODULES: usize = 72;

/// The test fails if fewer modules pass.
const EXPECTED_AT_LEAST: usize = 72;

/// Modules allowed to fail, as `("<suite>/<module>", "reason")`, e.g.
/// `("rust/fd_readdir", "…")`. Any other failure fails the test.
const KNOWN_FAILURES: &[(&str, &str)] = &[];

/// Longest one module may run before it is killed and counted as failed.
const TIMEOUT: Duration = Duration::from_secs(20);

/// Modules run at the same time.
const MAX_WORKERS: usize = 2;

/// `tests/wasi-testsuite/tests` in this repository.
fn suite_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("host-std has a parent directory")
        .join("tests")
        .join("wasi-testsuite")
        .join("tests")
}

/// One test module and its spec.
struct Case {
    /// `<suite>/<module>`, the name used in [`KNOWN_FAILURES`].
    name: String,
    wasm: PathBuf,
    /// The folder of the module and its spec.
    folder: PathBuf,
    spec: Spec,
}

#[derive(Default)]
struct Spec {
    args: Vec<String>,
    env: Vec<(String, String)>,
    root: Option<String>,
    dirs: Vec<String>,
    exit_code: i64,
    stdout: Option<String>,
    stderr: Option<String>,
}

fn parse_spec(path: &Path) -> Result<Spec, String> {
    let text = fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let v: Value = serde_json::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))?;
    let obj = v
        .as_object()
        .ok_or_else(|| format!("{}: not a JSON object", path.display()))?;
    let bad = |key: &str| format!("{}: bad `{key}`", path.display());
    let strings = |key: &str| -> Result<Vec<String>, String> {
        match obj.get(key) {
            None | Some(Value::Null) => Ok(Vec::new()),
            Some(Value::Array(items)) => items
                .iter()
                .map(|i| i.as_str().map(str::to_owned).ok_or_else(|| bad(key)))
                .collect(),
            Some(_) => Err(bad(key)),
        }
    };
    let string = |key: &str| -> Result<Option<String>, String> {
        match obj.get(key) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.clone())),
            Some(_) => Err(bad(key)),
        }
    };
    let env = match obj.get("env") {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Object(map)) => map
            .iter()
            .map(|(k, v)| match v {
                Value::String(s) => Ok((k.clone(), s.clone())),
                _ => Err(bad("env")),
            })
            .collect::<Result<_, _>>()?,
        Some(_) => return Err(bad("env")),
    };
    let exit_code = match obj.get("exit_code") {
        None | Some(Value::Null) => 0,
        Some(v) => v.as_i64().ok_or_else(|| bad("exit_code"))?,
    };
    Ok(Spec {
        args: strings("args")?,
        env,
        root: string("root")?,
        dirs: strings("dirs")?,
        exit_code,
        stdout: string("stdout")?,
        stderr: string("stderr")?,
    })
}

/// Every `*.wasm` under `tests/*/testsuite/wasm32-wasip1/`, sorted by name. A spec that
/// cannot be read becomes an immediate failure of its module.
fn discover() -> Vec<(Case, Option<String>)> {
    let root = suite_root();
    let mut suites: Vec<PathBuf> = fs::read_dir(&root)
        .unwrap_or_else(|e| panic!("{}: {e}", root.display()))
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_dir())
        .collect();
    suites.sort();
    let mut cases = Vec::new();
    for suite in suites {
        let folder = suite.join("testsuite").join("wasm32-wasip1");
        let Ok(entries) = fs::read_dir(&folder) else {
            continue;
        };
        let mut wasms: Vec<PathBuf> = entries
            .map(|e| e.unwrap().path())
            .filter(|p| p.extension() == Some(OsStr::new("wasm")) && p.is_file())
            .collect();
        wasms.sort();
        let suite_name = suite.file_name().unwrap().to_string_lossy().into_owned();
        for wasm in wasms {
            let stem = wasm.file_stem().unwrap().to_string_lossy().into_owned();
            let spec_path = wasm.with_extension("json");
            let (spec, error) = if spec_path.exists() {
                match parse_spec(&spec_path) {
                    Ok(spec) => (spec, None),
                    Err(e) => (Spec::default(), Some(format!("bad spec: {e}"))),
                }
            } else {
                (Spec::default(), None)
            };
            cases.push((
                Case {
                    name: format!("{suite_name}/{stem}"),
                    wasm,
                    folder: folder.clone(),
                    spec,
                },
                error,
            ));
        }
    }
    cases
}

/// Copies a directory tree. Files are written afresh (not with their modes), so the copy
/// is writable whatever the permissions of the checkout.
fn copy_tree(from: &Path, to: &Path) -> std::io::Result<()> {
    fs::create_dir_all(to)?;
    for entry in fs::read_dir(from)? {
        let entry = entry?;
        let kind = entry.file_type()?;
        let src = entry.path();
        let dst = to.join(entry.file_name());
        if kind.is_dir() {
            copy_tree(&src, &dst)?;
        } else if kind.is_symlink() {
            copy_symlink(&src, &dst)?;
        } else {
            fs::write(&dst, fs::read(&src)?)?;
        }
    }
    Ok(())
}

#[cfg(unix)]
fn copy_symlink(src: &Path, dst: &Path) -> std::io::Result<()> {
    std::os::unix::fs::symlink(fs::read_link(src)?, dst)
}

#[cfg(not(unix))]
fn copy_symlink(src: &Path, dst: &Path) -> std::io::Result<()> {
    // Follow it instead; the vendored suite has no symlinks.
    if src.is_dir() {
        copy_tree(src, dst)
    } else {
        fs::write(dst, fs::read(src)?)
    }
}

/// Removes every `*.cleanup` file or directory under `dir`, recursively.
fn remove_cleanup(dir: &Path) -> std::io::Result<()> {
    for entry in fs::read_dir(dir)? {
        let entry = entry?;
        let path = entry.path();
        let kind = entry.file_type()?;
        if path.extension() == Some(OsStr::new("cleanup")) {
            if kind.is_dir() {
                fs::remove_dir_all(&path)?;
            } else {
                fs::remove_file(&path)?;
            }
        } else if kind.is_dir() {
            remove_cleanup(&path)?;
        }
    }
    Ok(())
}

/// What one run produced.
struct Run {
    status: Option<ExitStatus>,
    timed_out: bool,
    stdout: Vec<u8>,
    stderr: Vec<u8>,
}

/// Reads `from` to its end on a thread, into a buffer that can be taken at any time.
fn collect(mut from: impl Read + Send + 'static) -> (Arc<Mutex<Vec<u8>>>, JoinHandle<()>) {
    let buf = Arc::new(Mutex::new(Vec::new()));
    let sink = Arc::clone(&buf);
    let handle = thread::spawn(move || {
        let mut chunk = [0u8; 8192];
        loop {
            match from.read(&mut chunk) {
                Ok(0) => break,
                Ok(n) => sink.lock().unwrap().extend_from_slice(&chunk[..n]),
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(_) => break,
            }
        }
    });
    (buf, handle)
}

/// Runs `cmd` with empty stdin, collecting its output, killing it after [`TIMEOUT`].
fn run_with_timeout(mut cmd: Command) -> std::io::Result<Run> {
    let mut child = cmd
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()?;
    let (out, out_reader) = collect(child.stdout.take().unwrap());
    let (err, err_reader) = collect(child.stderr.take().unwrap());
    let deadline = Instant::now() + TIMEOUT;
    let (status, timed_out) = loop {
        if let Some(status) = child.try_wait()? {
            break (Some(status), false);
        }
        if Instant::now() >= deadline {
            let _ = child.kill();
            let _ = child.wait();
            break (None, true);
        }
        thread::sleep(Duration::from_millis(10));
    };
    // The pipes close when the process is gone, unless something it started still holds
    // them: wait a little, then keep what was read so far.
    let grace = Instant::now() + Duration::from_secs(if timed_out { 1 } else { 5 });
    while Instant::now() < grace && !(out_reader.is_finished() && err_reader.is_finished()) {
        thread::sleep(Duration::from_millis(5));
    }
    let take = |buf: &Arc<Mutex<Vec<u8>>>| std::mem::take(&mut *buf.lock().unwrap());
    Ok(Run {
        status,
        timed_out,
        stdout: take(&out),
        stderr: take(&err),
    })
}

/// Runs one module; `Err` holds the reason it failed.
fn run_case(case: &Case) -> Result<(), String> {
    let spec = &case.spec;
    let work = tempfile::TempDir::new().map_err(|e| format!("temp dir: {e}"))?;
    let mut preopens: Vec<(PathBuf, String)> = Vec::new();
    if let Some(root) = &spec.root {
        let copy = work.path().join("root");
        copy_tree(&case.folder.join(root), &copy)
            .map_err(|e| format!("copying root `{root}`: {e}"))?;
        preopens.push((copy, "/".to_owned()));
    }
    for dir in &spec.dirs {
        let copy = work.path().join(dir);
        copy_tree(&case.folder.join(dir), &copy)
            .map_err(|e| format!("copying dir `{dir}`: {e}"))?;
        preopens.push((copy, dir.clone()));
    }
    for (host, _) in &preopens {
        remove_cleanup(host).map_err(|e| format!("removing *.cleanup: {e}"))?;
    }

    let mut cmd = Command::new(env!("CARGO_BIN_EXE_caplet"));
    cmd.arg("run").arg(&case.wasm).arg("--wasi");
    for (host, guest) in &preopens {
        let mut grant = host.clone().into_os_string();
        grant.push("::");
        grant.push(guest);
        cmd.arg("--dir").arg(grant);
    }
    for (k, v) in &spec.env {
        cmd.arg("--env").arg(format!("{k}={v}"));
    }
    if !spec.args.is_empty() {
        cmd.arg("--").args(&spec.args);
    }
    // Stands in for the spec's folder: `dirs` preopens are relative to it, and nothing
    // the program does to its working directory reaches the repository.
    cmd.current_dir(work.path());
    // Keep the caller's CAPLET_* settings (plugin dir, store, …) out of the run.
    for (key, _) in std::env::vars_os() {
        if key.to_string_lossy().starts_with("CAPLET_") {
            cmd.env_remove(key);
        }
    }

    let run = run_with_timeout(cmd).map_err(|e| format!("spawning caplet: {e}"))?;
    let stderr_text = String::from_utf8_lossy(&run.stderr);
    let caplet_error = stderr_text
        .lines()
        .find(|l| l.starts_with("error:"))
        .map(|l| format!("; {}", clip(l)))
        .unwrap_or_default();
    if run.timed_out {
        return Err(format!(
            "timed out after {}s{caplet_error}",
            TIMEOUT.as_secs()
        ));
    }
    let status = run.status.expect("a finished run has a status");
    let Some(code) = status.code() else {
        return Err(format!(
            "caplet ended without an exit code ({status}){caplet_error}"
        ));
    };
    let mut problems = Vec::new();
    if i64::from(code) != spec.exit_code {
        problems.push(format!(
            "exit {code}, expected {}{caplet_error}",
            spec.exit_code
        ));
    }
    if let Some(expected) = &spec.stdout {
        if let Some(d) = diff("stdout", expected.as_bytes(), &run.stdout) {
            problems.push(d);
        }
    }
    if let Some(expected) = &spec.stderr {
        if let Some(d) = diff("stderr", expected.as_bytes(), &run.stderr) {
            problems.push(d);
        }
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(problems.join("; "))
    }
}

/// The first differing line of an exact comparison, or `None` when equal.
fn diff(stream: &str, expected: &[u8], actual: &[u8]) -> Option<String> {
    if expected == actual {
        return None;
    }
    let expected = String::from_utf8_lossy(expected);
    let actual = String::from_utf8_lossy(actual);
    let mut e_lines = expected.split('\n');
    let mut a_lines = actual.split('\n');
    let mut line = 1;
    loop {
        match (e_lines.next(), a_lines.next()) {
            (Some(e), Some(a)) if e == a => line += 1,
            (e, a) => {
                let show =
                    |s: Option<&str>| s.map_or("<end>".to_owned(), |s| format!("{:?}", clip(s)));
                return Some(format!(
                    "{stream} line {line}: expected {}, got {}",
                    show(e),
                    show(a)
                ));
            }
        }
    }
}

/// At most 160 characters of `s`.
fn clip(s: &str) -> String {
    const MAX: usize = 160;
    if s.chars().count() <= MAX {
        s.to_owned()
    } else {
        format!("{}…", s.chars().take(MAX).collect::<String>())
    }
}

#[test]
fn wasi_testsuite() {
    let cases = discover();
    let total = cases.len();

    // Run every module on a few workers; results keep discovery order.
    let results: Mutex<Vec<Option<Result<(), String>>>> = Mutex::new(vec![None; total]);
    let next = AtomicUsize::new(0);
    let workers = thread::available_parallelism()
        .map_or(1, |n| n.get())
        .clamp(1, MAX_WORKERS);
    thread::scope(|s| {
        for _ in 0..workers {
            s.spawn(|| loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                let Some((case, spec_error)) = cases.get(i) else {
                    break;
                };
                let result = match spec_error {
                    Some(e) => Err(e.clone()),
                    None => run_case(case),
                };
                results.lock().unwrap()[i] = Some(result);
            });
        }
    });
    let results: Vec<Result<(), String>> = results
        .into_inner()
        .unwrap()
        .into_iter()
        .map(|r| r.expect("every module ran"))
        .collect();

    let names: BTreeSet<&str> = cases.iter().map(|(c, _)| c.name.as_str()).collect();
    let known = |name: &str| KNOWN_FAILURES.iter().any(|(n, _)| *n == name);
    let mut passed = 0;
    let mut unexpected = Vec::new();
    let mut now_passing = Vec::new();
    let width = names.iter().map(|n| n.len()).max().unwrap_or(0);
    let mut table = String::new();
    for ((case, _), result) in cases.iter().zip(&results) {
        match result {
            Ok(()) => {
                passed += 1;
                if known(&case.name) {
                    now_passing.push(case.name.as_str());
                }
            }
            Err(reason) => {
                let mark = if known(&case.name) { "known" } else { "NEW  " };
                table.push_str(&format!("  {mark} {:width$}  {reason}\n", case.name));
                if !known(&case.name) {
                    unexpected.push(case.name.as_str());
                }
            }
        }
    }
    if !table.is_empty() {
        println!("wasi-testsuite failures:\n{table}");
    }
    for name in &now_passing {
        println!("wasi-testsuite: {name} passes now; remove it from KNOWN_FAILURES");
    }
    let stale: Vec<&str> = KNOWN_FAILURES
        .iter()
        .map(|(n, _)| *n)
        .filter(|n| !names.contains(n))
        .collect();
    for name in &stale {
        println!("wasi-testsuite: KNOWN_FAILURES names {name}, which is not in the suite");
    }
    println!("wasi-testsuite: {passed}/{total} passed");

    assert_eq!(
        total, EXPECTED_MODULES,
        "the vendored suite in tests/wasi-testsuite should hold {EXPECTED_MODULES} modules"
    );
    assert!(
        stale.is_empty(),
        "KNOWN_FAILURES names modules that do not exist: {stale:?}"
    );
    assert!(
        unexpected.is_empty(),
        "modules failing that are not in KNOWN_FAILURES: {unexpected:?} (see the table above)"
    );
    assert!(
        passed >= EXPECTED_AT_LEAST,
        "{passed}/{total} passed, expected at least {EXPECTED_AT_LEAST}"
    );
}
