#!/usr/bin/env bash
# wasm3, the embedded interpreter, as a peer of the compute benchmark: the same
# `compute` module, the same call (`count_primes(20000)`), timed by a small C
# driver (benches/wasm3/driver.c) built here with `cc -O3 -DNDEBUG`.
#
#     benches/wasm3.sh [ITERATIONS]      # default 200
#
# No maintained Rust crate builds wasm3 (the `wasm3` crate's last release is
# from 2021), so the wasm3 C sources come from the `wasm3-sys` crate on
# crates.io (wasm3 0.4.7), fetched by cargo into $CARGO_TARGET_DIR/wasm3.
# Prints one JSON object (runtime, result, ns_per_call). benches/run.sh runs it
# in the same run as the criterion groups and puts it in BENCHMARKS.md.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$root/target}"
iterations="${1:-200}"
work="$CARGO_TARGET_DIR/wasm3"
mkdir -p "$work/fetch/src"
cat > "$work/fetch/Cargo.toml" <<'TOML'
[package]
name = "wasm3-source"
version = "0.0.0"
edition = "2021"
publish = false

[workspace]

[dependencies]
wasm3-sys = "=0.3.0"
TOML
: > "$work/fetch/src/lib.rs"
manifest=$(cd "$work/fetch" && cargo metadata --quiet --format-version 1 |
  python3 -c 'import json, sys
m = json.load(sys.stdin)
print(next(p["manifest_path"] for p in m["packages"] if p["name"] == "wasm3-sys"))')
src="$(dirname "$manifest")/wasm3/source"
[ -f "$src/wasm3.h" ] || { echo "wasm3.sh: no wasm3 sources in $src" >&2; exit 1; }
driver="$work/driver"
if [ ! -x "$driver" ] || [ "$root/benches/wasm3/driver.c" -nt "$driver" ]; then
  core=()
  for f in bind code compile core emit env exec info module optimize parse; do
    core+=("$src/m3_$f.c")
  done
  cc -O3 -DNDEBUG -Dd_m3LogOutput=0 -w -I"$src" "${core[@]}" \
    "$root/benches/wasm3/driver.c" -lm -o "$driver"
fi
module="$CARGO_TARGET_DIR/plugins/wasm32-unknown-unknown/release/compute.wasm"
[ -f "$module" ] || { echo "wasm3.sh: build the fixture plugins first ($module)" >&2; exit 1; }
"$driver" "$module" count_primes 20000 "$iterations"
