#!/usr/bin/env bash
# The test command: installs what the tests need, checks that caplet-core builds for
# a target without std, runs every test of the workspace (the test crate's build
# script compiles the fixture plugins for wasm32 first), then builds the firmware and
# runs it under QEMU (targets/qemu-test.sh: the conformance suite on the board).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
cargo build --locked --manifest-path host-core/Cargo.toml --no-default-features --target thumbv7em-none-eabihf
cargo build --locked --manifest-path host-core/Cargo.toml --no-default-features --features defmt --target thumbv7em-none-eabihf
cargo test --locked
targets/qemu-test.sh
