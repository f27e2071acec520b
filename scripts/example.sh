#!/usr/bin/env bash
# Builds the fixture plugins and the `caplet` binary, then runs a real plugin under
# the default (embedded-sized) limits: the `upper` entry of the `echo` plugin, and
# the KV counter with the `kv` capability granted, printing a usage report.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
target="${CARGO_TARGET_DIR:-$PWD/target}"
(cd tests/plugins && cargo build --quiet --release --locked --target wasm32-unknown-unknown --target-dir "$target/plugins")
cargo build --quiet --release --locked -p caplet
plugins="$target/plugins/wasm32-unknown-unknown/release"
caplet="$target/release/caplet"
set -x
"$caplet" run "$plugins/echo.wasm" --call upper --input 'hello from a sandboxed plugin' --report
echo
"$caplet" run "$plugins/kv_counter.wasm" --call incr --input visits --allow kv --report
echo
"$caplet" run "$plugins/compute.wasm" --call count_primes --i32 100000 --fuel 100000000 --report
