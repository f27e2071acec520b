//! Builds the fixture plugins under `plugins/` for `wasm32-unknown-unknown` with the
//! guest kit, so every test runs against modules compiled by a real toolchain. They
//! land in `<target>/plugins` (see `caplet-plugin-build`).

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
    println!("cargo:rustc-env=CAPLET_PLUGIN_DIR={}", out.display());
    println!(
        "cargo:rustc-env=CAPLET_FIXTURE_DIR={}",
        manifest_dir.join("fixtures").display()
    );
}
