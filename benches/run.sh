#!/usr/bin/env bash
# Runs Caplet's benchmark suite in a short mode and writes BENCHMARKS.md at the
# repository root.
#
#     benches/run.sh                 # everything, ~1 s warm-up + 2 s per bench
#     benches/run.sh echo            # only criterion ids matching `echo` (the report
#                                    # then lacks the other groups)
#
# Environment: WARM_UP (seconds, default 1), MEASURE (seconds, default 2),
# CARGO_TARGET_DIR (default: target/ at the root).
#
# Needs a stable Rust toolchain with the wasm32-unknown-unknown target (installed
# here when rustup is present) and python3; valgrind for the instruction counts
# (benches/instructions.sh) that decide the Caplet-against-raw-wasmi targets. The bench crate is not a default
# workspace member: the test command and CI never build it (it pulls in Extism and
# wasmtime). Its first build takes long; see BENCHMARKS.md for the time.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$root/target}"
warm_up="${WARM_UP:-1}"
measure="${MEASURE:-2}"

if command -v rustup >/dev/null; then
  rustup target add wasm32-unknown-unknown >/dev/null
fi

echo "== building the bench binary (bench profile = release settings)" >&2
start=$(date +%s)
cargo bench -p caplet-benches --locked --bench suite --no-run
build_seconds=$(( $(date +%s) - start ))
# A build under ~30 s was incremental (or a no-op): report it as such.
if [ "$build_seconds" -lt 30 ]; then
  build_note="(already built)"
else
  build_note="(incremental unless the dependencies were not built yet)"
fi

exe=$("$root/benches/suite-exe.sh")
[ -x "$exe" ] || { echo "bench binary not found" >&2; exit 1; }

criterion_dir="$CARGO_TARGET_DIR/criterion"
# Only this run's figures go into the report.
rm -rf "$criterion_dir"
criterion_args=(--warm-up-time "$warm_up" --measurement-time "$measure" --noplot)

echo "== criterion groups" >&2
load_before=$(cat /proc/loadavg 2>/dev/null || true)
"$exe" --bench "${criterion_args[@]}" "$@"

echo "== wasm3 on the compute module (same run)" >&2
"$root/benches/wasm3.sh" > "$criterion_dir/wasm3.json" || rm -f "$criterion_dir/wasm3.json"
load_after=$(cat /proc/loadavg 2>/dev/null || true)

echo "== measurements that are not timings: idle memory, fuel counts" >&2
mkdir -p "$criterion_dir"
"$exe" --measure > "$criterion_dir/measure.json"
cat "$criterion_dir/measure.json" >&2

# Instruction counts (callgrind) of the Caplet-against-raw-wasmi targets: exact,
# where the timings move with the machine. Needs valgrind; the report says so
# when it is missing.
if command -v valgrind >/dev/null; then
  echo "== instructions per call (callgrind, about 3 minutes)" >&2
  if ! "$root/benches/instructions.sh" "$exe" > "$criterion_dir/instructions.json"; then
    echo "== instructions.sh failed: no instruction counts in this report" >&2
    rm -f "$criterion_dir/instructions.json"
  fi
else
  echo "== valgrind not found: no instruction counts in this report" >&2
  rm -f "$criterion_dir/instructions.json"
fi

python3 "$root/benches/report.py" \
  --criterion "$criterion_dir" \
  --memory "$criterion_dir/measure.json" \
  --root "$root" \
  --target "$CARGO_TARGET_DIR" \
  --out "$root/BENCHMARKS.md" \
  --build-seconds "$build_seconds" \
  --build-note "$build_note" \
  --args "${criterion_args[*]}" \
  --wasm3 "$criterion_dir/wasm3.json" \
  --instructions "$criterion_dir/instructions.json" \
  --load-before "$load_before" \
  --load-after "$load_after"
echo "== wrote $root/BENCHMARKS.md" >&2
