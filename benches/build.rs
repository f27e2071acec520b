//! Builds the bench-only plugins under `plugins/` (the `kv_loop` Caplet guest and the
//! Extism twins of the `echo` and `compute` fixtures) for `wasm32-unknown-unknown`.
//!
//! Like the fixture plugins of `tests/`, they are their own cargo workspace with their
//! own lock file and target directory (`<target>/bench-plugins`), so this nested
//! cargo never waits on the outer build's lock.

use std::path::PathBuf;
use std::process::Command;

fn main() {
    let manifest_dir = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").unwrap());
    let plugins = manifest_dir.join("plugins");
    let workspace = manifest_dir.parent().unwrap().to_path_buf();
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| workspace.join("target"))
        .join("bench-plugins");
    println!("cargo:rerun-if-changed={}", plugins.display());
    println!(
        "cargo:rerun-if-changed={}",
        workspace.join("guest").display()
    );

    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let mut cmd = Command::new(cargo);
    cmd.current_dir(&plugins)
        .args([
            "build",
            "--release",
            "--locked",
            "--target",
            "wasm32-unknown-unknown",
        ])
        .arg("--target-dir")
        .arg(&target);
    // Do not leak the outer build's settings into the wasm build.
    for (key, _) in std::env::vars() {
        if key.starts_with("CARGO_") && key != "CARGO_HOME"
            || key == "RUSTFLAGS"
            || key == "RUSTC_WORKSPACE_WRAPPER"
        {
            cmd.env_remove(&key);
        }
    }
    let status = cmd
        .status()
        .expect("cannot run cargo to build the bench plugins");
    if !status.success() {
        panic!(
            "building the bench plugins failed (is the target installed? run \
             `rustup target add wasm32-unknown-unknown`)"
        );
    }
    let out = target.join("wasm32-unknown-unknown").join("release");
    println!("cargo:rustc-env=CAPLET_BENCH_PLUGIN_DIR={}", out.display());
}
