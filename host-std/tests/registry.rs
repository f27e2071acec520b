//! Plugin directories: scanning, semver resolution, and the compile cache shared
//! across loads and threads.

use std::path::Path;
use std::sync::Arc;

use caplet::registry::{CompileCache, Registry, ResolveError};
use caplet_core::{Digest, Grants, PluginConfig, Runtime};

fn sidecar(dir: &Path, name: &str, version: &str, module: &str, wasm: &[u8]) {
    std::fs::write(dir.join(module), wasm).unwrap();
    std::fs::write(
        dir.join(format!("{name}-{version}.json")),
        format!(
            r#"{{"name":"{name}","version":"{version}","module":"{module}","sha256":"{}"}}"#,
            Digest::of(wasm).to_hex()
        ),
    )
    .unwrap();
}

/// echo at several versions (sidecars), kv_counter with its embedded manifest in a
/// subdirectory, and some junk.
fn plugin_dir() -> tempfile::TempDir {
    let tmp = tempfile::tempdir().unwrap();
    let echo = caplet_tests::plugin("echo");
    for v in ["1.0.0", "1.2.0", "1.10.3", "2.0.0", "2.1.0-beta.1"] {
        sidecar(tmp.path(), "echo", v, &format!("echo-{v}.wasm"), &echo);
    }
    std::fs::create_dir(tmp.path().join("kv")).unwrap();
    std::fs::write(
        tmp.path().join("kv/kv_counter.wasm"),
        caplet_tests::plugin("kv_counter"),
    )
    .unwrap();
    std::fs::write(tmp.path().join("notes.txt"), "not a plugin").unwrap();
    std::fs::write(tmp.path().join("broken.wasm"), b"\0asm garbage").unwrap();
    // A sidecar whose digest does not match its module.
    std::fs::write(
        tmp.path().join("liar.json"),
        format!(
            r#"{{"name":"liar","version":"1.0.0","module":"echo-1.0.0.wasm","sha256":"{}"}}"#,
            "0".repeat(64)
        ),
    )
    .unwrap();
    tmp
}

#[test]
fn versions_resolve_to_the_highest_match() {
    let tmp = plugin_dir();
    let reg = Registry::scan(tmp.path()).unwrap();
    let v = |spec: &str| reg.resolve(spec).map(|e| e.version.to_string());
    assert_eq!(v("echo").unwrap(), "2.0.0");
    assert_eq!(v("echo@latest").unwrap(), "2.0.0");
    assert_eq!(v("echo@*").unwrap(), "2.0.0");
    assert_eq!(v("echo@1.2.0").unwrap(), "1.2.0");
    assert_eq!(v("echo@^1").unwrap(), "1.10.3");
    assert_eq!(v("echo@~1.2").unwrap(), "1.2.0");
    assert_eq!(v("echo@>=1.1, <1.10").unwrap(), "1.2.0");
    assert_eq!(v("echo@=2.1.0-beta.1").unwrap(), "2.1.0-beta.1");
    assert_eq!(v("echo@>=2.1.0-beta.0").unwrap(), "2.1.0-beta.1");
    assert_eq!(v("kv_counter").unwrap(), "1.0.0");
    assert_eq!(
        reg.resolve("echo@^3").unwrap_err(),
        (ResolveError::NoMatch {
            spec: "echo@^3".into(),
            available: ["2.1.0-beta.1", "2.0.0", "1.10.3", "1.2.0", "1.0.0"]
                .iter()
                .map(|s| s.parse().unwrap())
                .collect(),
        })
    );
    assert_eq!(
        reg.resolve("nope").unwrap_err(),
        ResolveError::UnknownName("nope".into())
    );
    assert!(matches!(
        reg.resolve("echo@bogus"),
        Err(ResolveError::BadSpec(_))
    ));
    // Listing: by name, highest first; junk reported, not fatal.
    let names: Vec<String> = reg
        .list()
        .iter()
        .map(|e| format!("{}@{}", e.name, e.version))
        .collect();
    assert_eq!(names[0], "echo@2.1.0-beta.1");
    assert_eq!(names.last().unwrap(), "kv_counter@1.0.0");
    let skipped: Vec<String> = reg
        .skipped()
        .iter()
        .map(|s| s.path.file_name().unwrap().to_string_lossy().into_owned())
        .collect();
    assert!(skipped.contains(&"broken.wasm".to_string()), "{skipped:?}");
    assert!(skipped.contains(&"liar.json".to_string()), "{skipped:?}");
}

#[test]
fn the_cli_runs_name_at_version_from_a_plugin_dir() {
    let tmp = plugin_dir();
    let dir = tmp.path().display().to_string();
    let o = std::process::Command::new(env!("CARGO_BIN_EXE_caplet"))
        .args([
            "run",
            "echo@^1",
            "--plugin-dir",
            &dir,
            "--call",
            "upper",
            "--input",
            "v1",
        ])
        .output()
        .unwrap();
    assert_eq!(o.stdout, b"V1", "{}", String::from_utf8_lossy(&o.stderr));
    let o = std::process::Command::new(env!("CARGO_BIN_EXE_caplet"))
        .args(["list", "--plugin-dir", &dir])
        .output()
        .unwrap();
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(
        out.lines().any(|l| l.starts_with("echo@1.10.3  sha256:")),
        "{out}"
    );
    assert!(String::from_utf8_lossy(&o.stderr).contains("liar.json"));
    let o = std::process::Command::new(env!("CARGO_BIN_EXE_caplet"))
        .args(["run", "echo@^9", "--plugin-dir", &dir])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("no version matches `echo@^9`"));
}

#[test]
fn a_module_is_compiled_once_across_loads_and_threads() {
    let tmp = plugin_dir();
    let reg = Arc::new(Registry::scan(tmp.path()).unwrap());
    let cache = Arc::new(CompileCache::default());
    let runtime = Runtime::default();
    let threads: Vec<_> = (0..8)
        .map(|i| {
            let (reg, cache, runtime) = (reg.clone(), cache.clone(), runtime.clone());
            std::thread::spawn(move || {
                // Every echo version is the same module: one digest.
                let spec = ["echo@1.0.0", "echo@1.2.0", "echo@^1", "echo"][i % 4];
                let entry = reg.resolve(spec).unwrap();
                let plugin = reg
                    .load(
                        &runtime,
                        entry,
                        PluginConfig {
                            grants: Grants::new(),
                            cache: Some(cache.clone()),
                            ..Default::default()
                        },
                    )
                    .unwrap();
                plugin.instantiate().unwrap().call("upper", b"x").unwrap()
            })
        })
        .collect();
    for t in threads {
        assert_eq!(t.join().unwrap(), b"X");
    }
    assert_eq!(cache.compiles(), 1);
    assert_eq!(cache.len(), 1);
    // Another module is another compilation; a different runtime compiles its own.
    let kv = reg.resolve("kv_counter").unwrap();
    let cfg = || PluginConfig {
        grants: Grants::from_strs(["kv"]).unwrap(),
        cache: Some(cache.clone()),
        platform: caplet::platform::std_platform(caplet_core::platform::Level::Info),
        ..Default::default()
    };
    reg.load(&runtime, kv, cfg()).unwrap();
    reg.load(&runtime, kv, cfg()).unwrap();
    assert_eq!(cache.compiles(), 2);
    let other = Runtime::default();
    let p = reg.load(&other, kv, cfg()).unwrap();
    assert_eq!(p.instantiate().unwrap().call("incr", b"").unwrap(), b"1");
}

/// Runs `caplet` with `args`, killing it after 10 s: a FIFO must never hang it.
fn caplet_bounded(args: &[&str]) -> (Option<i32>, String) {
    use std::process::{Command, Stdio};
    use std::time::{Duration, Instant};
    let mut child = Command::new(env!("CARGO_BIN_EXE_caplet"))
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let started = Instant::now();
    loop {
        if let Some(_status) = child.try_wait().unwrap() {
            let out = child.wait_with_output().unwrap();
            return (
                out.status.code(),
                String::from_utf8_lossy(&out.stderr).into_owned(),
            );
        }
        if started.elapsed() > Duration::from_secs(10) {
            let _ = child.kill();
            panic!("caplet {args:?} blocked on a FIFO");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn mkfifo(path: &Path) {
    let status = std::process::Command::new("mkfifo")
        .arg(path)
        .status()
        .unwrap();
    assert!(status.success());
}

#[test]
fn a_fifo_in_a_plugin_dir_or_as_policy_or_secrets_never_blocks() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    // A sidecar whose module is a FIFO, and a FIFO named like a module.
    mkfifo(&dir.join("pipe.wasm"));
    std::fs::write(
        dir.join("pipe-1.0.0.json"),
        r#"{"name":"pipe","version":"1.0.0","module":"pipe.wasm"}"#,
    )
    .unwrap();
    mkfifo(&dir.join("other.wasm"));
    let d = dir.display().to_string();
    let (code, _) = caplet_bounded(&["list", "--plugin-dir", &d]);
    assert_eq!(code, Some(0));
    let (code, err) = caplet_bounded(&["run", "pipe@^1", "--plugin-dir", &d]);
    assert_ne!(code, Some(0), "{err}");
    // A FIFO given as the policy file, the secrets file or the module itself.
    mkfifo(&dir.join("policy.toml"));
    mkfifo(&dir.join("secrets.toml"));
    let echo = caplet_tests::plugin_path("echo").display().to_string();
    let policy = dir.join("policy.toml").display().to_string();
    let (code, err) = caplet_bounded(&["run", &echo, "--call", "echo", "--policy", &policy]);
    assert_eq!(code, Some(2), "{err}");
    assert!(err.contains("not a regular file"), "{err}");
    let secrets = dir.join("secrets.toml").display().to_string();
    let (code, err) = caplet_bounded(&["run", &echo, "--call", "echo", "--secrets", &secrets]);
    assert_eq!(code, Some(2), "{err}");
    assert!(err.contains("not a regular file"), "{err}");
    let module = dir.join("other.wasm").display().to_string();
    let (code, err) = caplet_bounded(&["run", &module]);
    assert_ne!(code, Some(0), "{err}");
    assert!(err.contains("not a regular file"), "{err}");
}
