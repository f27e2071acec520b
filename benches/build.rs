//! Builds the bench-only plugins under `plugins/` (the `kv_loop` Caplet guest and the
//! Extism twins of the `echo` and `compute` fixtures) for `wasm32-unknown-unknown`,
//! into `<target>/bench-plugins` (see `caplet-plugin-build`).

use std::path::PathBuf;

fn main() {
    let manifest_dir = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").unwrap());
    let workspace = manifest_dir.parent().unwrap().to_path_buf();
    let target = caplet_plugin_build::outer_target_dir(&workspace).join("bench-plugins");
    let out = caplet_plugin_build::build(
        &manifest_dir.join("plugins"),
        &workspace.join("guest"),
        &target,
    );
    println!("cargo:rustc-env=CAPLET_BENCH_PLUGIN_DIR={}", out.display());
}
