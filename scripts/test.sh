#!/usr/bin/env bash
# The test command: installs what the tests need, checks that caplet-core builds for
# a target without std, runs every test of the workspace (the test crate's build
# script compiles the fixture plugins for wasm32 first), then builds the firmware and
# runs it under QEMU (targets/qemu-test.sh: the conformance suite on the board).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
cargo build --locked --manifest-path host-core/Cargo.toml --no-default-features --features portable-dispatch --target thumbv7em-none-eabihf
cargo build --locked --manifest-path host-core/Cargo.toml --no-default-features --features portable-dispatch,defmt --target thumbv7em-none-eabihf
# Every feature with `static-messages` (the pinned firmware's messages), including
# the profiles the pinned images leave out.
cargo check --locked --manifest-path host-core/Cargo.toml --no-default-features --target thumbv7em-none-eabihf \
  --features portable-dispatch,static-messages,validate,extism,wasi,signatures,defmt
# A build that would run wasmi's tail-call dispatcher where it is unsafe must not
# compile: riscv32 with the default `auto-dispatch`.
if out=$(cargo check --locked --release --manifest-path host-core/Cargo.toml --target riscv32imac-unknown-none-elf 2>&1); then
  echo "test.sh: caplet-core built for riscv32 with the tail-call dispatcher; it must refuse" >&2
  exit 1
elif ! grep -q "portable-dispatch" <<<"$out"; then
  echo "$out" >&2
  exit 1
fi
cargo test --locked
# Test builds run wasmi's portable dispatcher, the release binary on x86_64 and
# aarch64 its tail-call one: the fuel tests (budgets, slices, a loop running out at
# the same point with any slice) again, on the dispatcher that ships.
cargo test --locked --release -p caplet-tests --test fuel
# caplet-core without default features (the pinned firmware's build): only pinned
# or signed modules load, compiled unchecked; the imports of the services and
# profile left out (fs, http, env, secrets, exec, WASI) are refused at load.
cargo test --locked -p caplet-core --no-default-features --features portable-dispatch --lib -- unchecked compiled_out
# The guest kit's small-plugin mode (no_std, no allocator): its unit tests.
cargo test --locked -p caplet-guest --no-default-features --lib
targets/qemu-test.sh
