#!/usr/bin/env bash
# The test command: installs the targets, checks that caplet-core builds for a
# target without std, then runs every test of the workspace (the test crate's build
# script compiles the fixture plugins for wasm32 first).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
cargo build --locked --manifest-path host-core/Cargo.toml --no-default-features --target thumbv7em-none-eabihf
cargo build --locked --manifest-path host-core/Cargo.toml --no-default-features --features defmt --target thumbv7em-none-eabihf
cargo test --locked
