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
///
/// Packages named in the workspace's `[workspace.metadata.caplet]` key
/// `build-alone = ["name", …]` are built by a cargo invocation of their own:
/// cargo unifies the features of the packages one invocation builds, and a
/// plugin that uses the kit without its `std` feature (the small-plugin mode)
/// must not get it from its neighbours. Those also named under
/// `opt-level-3 = ["name", …]` are built at opt-level 3, their dependencies
/// included, whatever the workspace's release profile says: cargo's default, as
/// `cargo build --release` builds a plugin outside this repository.
pub fn build(plugins: &Path, guest: &Path, target_dir: &Path) -> PathBuf {
    println!("cargo:rerun-if-changed={}", plugins.display());
    println!("cargo:rerun-if-changed={}", guest.display());
    let manifest = std::fs::read_to_string(plugins.join("Cargo.toml"))
        .unwrap_or_else(|e| panic!("reading {}/Cargo.toml: {e}", plugins.display()));
    let alone = name_list(&manifest, "build-alone");
    let opt3 = name_list(&manifest, "opt-level-3");
    if let Err(e) = check_opt3(&alone, &opt3) {
        panic!("{}/Cargo.toml: {e}", plugins.display());
    }
    let mut rest = vec!["--workspace".to_string()];
    for name in &alone {
        rest.push("--exclude".into());
        rest.push(name.clone());
    }
    run_cargo(plugins, target_dir, &rest);
    for name in &alone {
        let mut args = vec!["-p".to_string(), name.clone()];
        if opt3.contains(name) {
            args.extend(["--config".into(), "profile.release.opt-level=3".into()]);
        }
        run_cargo(plugins, target_dir, &args);
    }
    target_dir.join("wasm32-unknown-unknown").join("release")
}

/// Every package under `opt-level-3` must be under `build-alone`: only a package
/// built by an invocation of its own can have a profile of its own, and a name
/// that is not would be built at the workspace's profile without a word.
fn check_opt3(alone: &[String], opt3: &[String]) -> Result<(), String> {
    match opt3.iter().find(|n| !alone.contains(n)) {
        Some(name) => Err(format!(
            "`{name}` is under opt-level-3 but not under build-alone \
             (only a package built alone can have a profile of its own)"
        )),
        None => Ok(()),
    }
}

/// The names listed under `key = [...]` in a workspace manifest (one line), or
/// none.
fn name_list(manifest: &str, key: &str) -> Vec<String> {
    manifest
        .lines()
        .map(str::trim)
        .find_map(|l| l.strip_prefix(key)?.trim_start().strip_prefix('='))
        .map(|list| {
            list.trim()
                .trim_start_matches('[')
                .trim_end_matches(']')
                .split(',')
                .map(|n| n.trim().trim_matches('"').to_string())
                .filter(|n| !n.is_empty())
                .collect()
        })
        .unwrap_or_default()
}

fn run_cargo(plugins: &Path, target_dir: &Path, packages: &[String]) {
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
        .args(packages)
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
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn build_alone_lists_are_read() {
        let m = "[workspace]\nmembers = []\n[workspace.metadata.caplet]\nbuild-alone = [\"small_echo\", \"b\"]\n";
        assert_eq!(name_list(m, "build-alone"), ["small_echo", "b"]);
        assert!(name_list(m, "opt-level-3").is_empty());
        assert!(name_list("[workspace]", "build-alone").is_empty());
        assert!(name_list("build-alone = []", "build-alone").is_empty());
        let m = "build-alone = [\"k\"]\nopt-level-3 = [\"k\"]\n";
        assert_eq!(name_list(m, "opt-level-3"), ["k"]);
        // opt-level-3 applies only to packages built alone; any other is refused.
        let names = |l: &[&str]| l.iter().map(|n| n.to_string()).collect::<Vec<_>>();
        assert!(check_opt3(&names(&["k", "s"]), &names(&["k"])).is_ok());
        let e = check_opt3(&names(&["s"]), &names(&["k"])).unwrap_err();
        assert!(
            e.contains("`k` is under opt-level-3 but not under build-alone"),
            "{e}"
        );
        // A longer key that starts with this one is another key.
        let m = "opt-level-3x = [\"a\"]\nopt-level-3 = [\"k\"]\n";
        assert_eq!(name_list(m, "opt-level-3"), ["k"]);
    }
}
