//! Used by the build scripts of the test crate, the benches and the firmware: each
//! compiles a workspace of plugins (`tests/plugins`, `benches/plugins`) for
//! `wasm32-unknown-unknown` with a nested `cargo build --release --locked`.
//!
//! A plugin workspace has its own lock file, profile and `.cargo/config.toml` (the
//! 32 KiB shadow stack), and its own target directory, so the nested cargo never
//! waits on the outer build's lock. The outer build's settings (`CARGO_*`,
//! `RUSTFLAGS`, the firmware's `DEFMT_LOG`, …) are not passed on.

use std::path::{Path, PathBuf};
use std::process::Command;

/// The target directory of the outer build (`$CARGO_TARGET_DIR`, else
/// `<workspace_root>/target`).
pub fn outer_target_dir(workspace_root: &Path) -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| workspace_root.join("target"))
}

/// Builds the plugin workspace at `plugins` into `target_dir` and returns the
/// directory holding the `.wasm` files. Tells cargo to rerun the build script when
/// the plugins or the guest kit (`guest`) change. Panics with a hint when the build
/// fails: this runs inside a build script.
pub fn build(plugins: &Path, guest: &Path, target_dir: &Path) -> PathBuf {
    println!("cargo:rerun-if-changed={}", plugins.display());
    println!("cargo:rerun-if-changed={}", guest.display());
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let mut cmd = Command::new(cargo);
    cmd.current_dir(plugins)
        .args([
            "build",
            "--release",
            "--locked",
            "--target",
            "wasm32-unknown-unknown",
        ])
        .arg("--target-dir")
        .arg(target_dir);
    for (key, _) in std::env::vars() {
        if key.starts_with("CARGO_") && key != "CARGO_HOME"
            || key == "RUSTFLAGS"
            || key == "RUSTC_WORKSPACE_WRAPPER"
            || key == "DEFMT_LOG"
        {
            cmd.env_remove(&key);
        }
    }
    let status = cmd
        .status()
        .unwrap_or_else(|e| panic!("cannot run cargo to build {}: {e}", plugins.display()));
    assert!(
        status.success(),
        "building the plugins in {} failed (is the target installed? run \
         `rustup target add wasm32-unknown-unknown`, or ./scripts/test.sh which does it)",
        plugins.display()
    );
    target_dir.join("wasm32-unknown-unknown").join("release")
}
