//! `caplet keygen`, `caplet sign` and `caplet run --trusted-key`: the whole
//! signing workflow through the binary, on a real plugin.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use caplet_tests::plugin_path;

fn caplet(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_caplet"))
        .args(args)
        .stdin(Stdio::null())
        .output()
        .unwrap()
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// A temp dir with a copy of the echo plugin and a key pair `me`.
fn setup() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let module = dir.path().join("echo.wasm");
    std::fs::copy(plugin_path("echo"), &module).unwrap();
    let o = caplet(&["keygen", s(&dir.path().join("me"))]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(String::from_utf8_lossy(&o.stdout).starts_with("ed25519:"));
    (dir, module)
}

fn run_echo(module: &Path, extra: &[&str]) -> Output {
    let mut args = vec!["run", s(module), "--call", "echo", "--input", "hi"];
    args.extend_from_slice(extra);
    caplet(&args)
}

/// Running `target` with `trust` is refused as unsigned; once `module` is signed
/// with `dir`'s key `me` (a sidecar), the same run succeeds.
fn refused_until_signed(dir: &Path, module: &Path, target: &Path, trust: &[&str]) {
    let o = run_echo(target, trust);
    assert_eq!(o.status.code(), Some(3), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("neither pinned nor signed"),
        "{}",
        stderr(&o)
    );
    let key = dir.join("me.key");
    let o = caplet(&["sign", s(module), "--key", s(&key), "--sidecar"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let o = run_echo(target, trust);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(o.stdout, b"hi");
}

#[test]
fn a_signed_module_runs_only_with_its_key_trusted() {
    let (dir, module) = setup();
    let key = dir.path().join("me.key");
    let public = dir.path().join("me.pub");
    let o = caplet(&["sign", s(&module), "--key", s(&key)]);
    assert!(o.status.success(), "{}", stderr(&o));
    let o = run_echo(&module, &["--trusted-key", s(&public)]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(o.stdout, b"hi");
    // The key given inline works the same.
    let inline = std::fs::read_to_string(&public).unwrap();
    let o = run_echo(&module, &["--trusted-key", inline.trim()]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    // Another trusted key: refused, exit 3, naming the signer.
    caplet(&["keygen", s(&dir.path().join("other"))]);
    let o = run_echo(
        &module,
        &["--trusted-key", s(&dir.path().join("other.pub"))],
    );
    assert_eq!(o.status.code(), Some(3));
    assert!(stderr(&o).contains("not a trusted key"), "{}", stderr(&o));
    // Without --trusted-key nothing is required: the signed module still runs.
    assert_eq!(run_echo(&module, &[]).status.code(), Some(0));
}

#[test]
fn unsigned_and_altered_modules_are_refused() {
    let (dir, module) = setup();
    let public = dir.path().join("me.pub");
    let o = run_echo(&module, &["--trusted-key", s(&public)]);
    assert_eq!(o.status.code(), Some(3));
    assert!(
        stderr(&o).contains("neither pinned nor signed"),
        "{}",
        stderr(&o)
    );
    let signed = dir.path().join("signed.wasm");
    let o = caplet(&[
        "sign",
        s(&module),
        "--key",
        s(&dir.path().join("me.key")),
        "--out",
        s(&signed),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(
        std::fs::read(&module).unwrap(),
        std::fs::read(plugin_path("echo")).unwrap(),
        "--out leaves the module as it was"
    );
    let mut bytes = std::fs::read(&signed).unwrap();
    bytes[200] ^= 1;
    std::fs::write(&signed, &bytes).unwrap();
    let o = run_echo(&signed, &["--trusted-key", s(&public)]);
    assert_eq!(o.status.code(), Some(3));
    assert!(stderr(&o).contains("does not match"), "{}", stderr(&o));
}

#[test]
fn sidecar_signatures_are_found_beside_the_module() {
    let (dir, module) = setup();
    let o = caplet(&[
        "sign",
        s(&module),
        "--key",
        s(&dir.path().join("me.key")),
        "--sidecar",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let sig = dir.path().join("echo.wasm.sig");
    assert_eq!(std::fs::read(&sig).unwrap().len(), 97);
    let public = dir.path().join("me.pub");
    let o = run_echo(&module, &["--trusted-key", s(&public)]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    // Given explicitly from elsewhere.
    let moved = dir.path().join("elsewhere.sig");
    std::fs::rename(&sig, &moved).unwrap();
    assert_eq!(
        run_echo(&module, &["--trusted-key", s(&public)])
            .status
            .code(),
        Some(3)
    );
    let o = run_echo(
        &module,
        &["--trusted-key", s(&public), "--signature", s(&moved)],
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    // A sidecar far larger than a signature is refused while reading, by name.
    let huge = dir.path().join("huge.sig");
    std::fs::write(&huge, vec![1u8; 8192]).unwrap();
    let o = run_echo(
        &module,
        &["--trusted-key", s(&public), "--signature", s(&huge)],
    );
    assert_eq!(o.status.code(), Some(3));
    let err = stderr(&o);
    assert!(
        err.contains("signature:") && err.contains("huge.sig"),
        "{err}"
    );
    assert!(!err.contains("--max-module"), "{err}");
}

#[test]
fn bad_key_arguments_are_usage_errors() {
    let (dir, module) = setup();
    let o = run_echo(&module, &["--signature", s(&dir.path().join("x.sig"))]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("needs trusted keys (--trusted-key"),
        "{}",
        stderr(&o)
    );
    let o = run_echo(&module, &["--trusted-key", "nonsense"]);
    assert_eq!(o.status.code(), Some(2));
    let o = caplet(&["keygen", s(&dir.path().join("me"))]);
    assert_eq!(o.status.code(), Some(2), "keygen never overwrites");
    assert!(stderr(&o).contains("exists"), "{}", stderr(&o));
    // Signing with a public key file or a non-module.
    let o = caplet(&["sign", s(&module), "--key", s(&dir.path().join("me.pub"))]);
    assert_eq!(o.status.code(), Some(2));
    let text = dir.path().join("notes.txt");
    std::fs::write(&text, b"not wasm").unwrap();
    let o = caplet(&["sign", s(&text), "--key", s(&dir.path().join("me.key"))]);
    assert_eq!(o.status.code(), Some(3));
}

#[test]
fn only_valid_modules_are_signed_and_inspect_shows_the_signer() {
    let (dir, module) = setup();
    // A module whose function body does not validate: never signed, so firmware
    // that compiles signed modules unchecked never sees it.
    let mut bad = wat::parse_str(
        r#"(module (memory (export "memory") 1) (func (export "f") (result i32) (i32.const 1)))"#,
    )
    .unwrap();
    let at = bad.iter().rposition(|&b| b == 0x41).unwrap();
    bad[at] = 0xff;
    let bad_path = dir.path().join("bad.wasm");
    std::fs::write(&bad_path, &bad).unwrap();
    let o = caplet(&["sign", s(&bad_path), "--key", s(&dir.path().join("me.key"))]);
    assert_eq!(o.status.code(), Some(3));
    assert!(stderr(&o).contains("not signed"), "{}", stderr(&o));
    assert_eq!(std::fs::read(&bad_path).unwrap(), bad, "left untouched");
    // inspect names the signer of an embedded signature.
    let public = std::fs::read_to_string(dir.path().join("me.pub")).unwrap();
    caplet(&["sign", s(&module), "--key", s(&dir.path().join("me.key"))]);
    let o = caplet(&["inspect", s(&module)]);
    let text = String::from_utf8_lossy(&o.stdout);
    assert!(
        text.contains(&format!("signed by:    {}", public.trim())),
        "{text}"
    );
    let o = caplet(&["inspect", s(&module), "--json"]);
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["signed_by"], public.trim());
}

/// The policy file's `trusted-keys` demands a signature as `--trusted-key` does: a
/// key file relative to the policy's directory, or a key inline.
#[test]
fn the_policy_files_trusted_keys_require_a_signature() {
    let (dir, module) = setup();
    let policy = dir.path().join("policy.toml");
    std::fs::write(&policy, "trusted-keys = [\"me.pub\"]\n").unwrap();
    refused_until_signed(dir.path(), &module, &module, &["--policy", s(&policy)]);
    // Another key, inline: the signer is not trusted.
    caplet(&["keygen", s(&dir.path().join("other"))]);
    let other = std::fs::read_to_string(dir.path().join("other.pub")).unwrap();
    std::fs::write(&policy, format!("trusted-keys = [\"{}\"]\n", other.trim())).unwrap();
    let o = run_echo(&module, &["--policy", s(&policy)]);
    assert_eq!(o.status.code(), Some(3), "{}", stderr(&o));
    assert!(stderr(&o).contains("not a trusted key"), "{}", stderr(&o));
    // --trusted-key adds to the policy's keys.
    let o = run_echo(
        &module,
        &[
            "--policy",
            s(&policy),
            "--trusted-key",
            s(&dir.path().join("me.pub")),
        ],
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    // A key that is neither a key nor a readable file is a usage error naming it.
    std::fs::write(&policy, "trusted-keys = [\"missing.pub\"]\n").unwrap();
    let o = run_echo(&module, &["--policy", s(&policy)]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("trusted-keys") && stderr(&o).contains("missing.pub"),
        "{}",
        stderr(&o)
    );
}

/// A sidecar manifest's module is found beside the manifest, and its sidecar
/// signature beside the module (where `caplet sign --sidecar` writes it), as
/// `caplet push` and `caplet serve` look for it.
#[test]
fn a_sidecar_manifests_module_signature_is_found_beside_the_module() {
    let (dir, module) = setup();
    let wasm = std::fs::read(&module).unwrap();
    let manifest = dir.path().join("echo.json");
    std::fs::write(
        &manifest,
        format!(
            r#"{{"name":"echo","version":"1.0.0","module":"echo.wasm","sha256":"{}","entrypoints":["echo"]}}"#,
            caplet_core::Digest::of(&wasm).to_hex()
        ),
    )
    .unwrap();
    let public = dir.path().join("me.pub");
    refused_until_signed(
        dir.path(),
        &module,
        &manifest,
        &["--trusted-key", s(&public)],
    );
    // A key file that is not a regular file, or over 1 KiB, is refused, naming it.
    let big = dir.path().join("big.pub");
    std::fs::write(&big, "x".repeat(2048)).unwrap();
    for bad in ["/dev/zero", s(&big)] {
        let o = run_echo(&module, &["--trusted-key", bad]);
        assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
        assert!(stderr(&o).contains(bad), "{}", stderr(&o));
    }
}
