//! Builds the fixture plugins under `plugins/` for `wasm32-unknown-unknown` with the
//! guest kit, so every test runs against modules compiled by a real toolchain. They
//! land in `<target>/plugins` (see `caplet-plugin-build`), beside the Extism
//! plugin written with the AssemblyScript PDK (`plugins-as/`, built with its pinned
//! npm toolchain: `extism_as.wasm`).

use std::path::PathBuf;

fn main() {
    let manifest_dir = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").unwrap());
    let workspace = manifest_dir.parent().unwrap().to_path_buf();
    let target = caplet_plugin_build::outer_target_dir(&workspace).join("plugins");
    let out = caplet_plugin_build::build(
        &manifest_dir.join("plugins"),
        &workspace.join("guest"),
        &target,
    );
    build_assemblyscript(&manifest_dir.join("plugins-as"), &out);
    println!("cargo:rustc-env=CAPLET_PLUGIN_DIR={}", out.display());
    println!(
        "cargo:rustc-env=CAPLET_FIXTURE_DIR={}",
        manifest_dir.join("fixtures").display()
    );
}

/// Builds `plugins-as/` (an Extism plugin written with the AssemblyScript PDK)
/// into `out/extism_as.wasm` with its own script, which installs the pinned
/// toolchain from package-lock.json. Node.js and npm come from scripts/setup.sh.
fn build_assemblyscript(dir: &std::path::Path, out: &std::path::Path) {
    for item in [
        "assembly",
        "asconfig.json",
        "package.json",
        "package-lock.json",
        "build.sh",
    ] {
        println!("cargo:rerun-if-changed={}", dir.join(item).display());
    }
    let result = std::process::Command::new("bash")
        .arg(dir.join("build.sh"))
        .arg(out)
        .output()
        .unwrap_or_else(|e| panic!("running {}: {e}", dir.join("build.sh").display()));
    if !result.status.success() {
        panic!(
            "building the AssemblyScript fixture failed ({}); scripts/setup.sh installs \
             Node.js and npm:\n{}{}",
            result.status,
            String::from_utf8_lossy(&result.stdout),
            String::from_utf8_lossy(&result.stderr)
        );
    }
}
