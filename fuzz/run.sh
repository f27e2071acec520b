#!/usr/bin/env bash
# Runs every fuzz target for a fixed time (CI: a short smoke run on top of the
# seed corpus). Usage: fuzz/run.sh [SECONDS_PER_TARGET] [TARGET...]
#
# Needs a nightly toolchain and cargo-fuzz; both are installed here when missing.
# The corpus of each target starts from fuzz/seeds/<target> (and, for `module`, the
# vendored WASI test modules and any fixture plugins built by the tests); new inputs
# go to fuzz/target/corpus, crashes to fuzz/artifacts/<target>. A crash fails the
# run and prints the reproducer's path.
set -euo pipefail
cd "$(dirname "$0")"
seconds="${1:-20}"
shift || true
source ./targets.sh
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
  targets=("${all_targets[@]}")
fi
rustup toolchain install nightly --profile minimal >/dev/null 2>&1 || {
  echo "fuzz: a nightly toolchain is needed (rustup toolchain install nightly)" >&2
  exit 1
}
command -v cargo-fuzz >/dev/null || cargo install cargo-fuzz --locked --quiet
# Every target on the empty input and its seeds first: a broken harness fails here
# in seconds with its message, not as a "crash" of the fuzzer.
cargo test --lib --quiet
cargo +nightly fuzz build -O
summary=()
for t in "${targets[@]}"; do
  corpus=$(seed "$t")
  log="target/fuzz-$t.log"
  set +e
  cargo +nightly fuzz run -O "$t" "$corpus" -- -max_total_time="$seconds" -rss_limit_mb=4096 \
    -timeout=10 -print_final_stats=1 >"$log" 2>&1
  status=$?
  set -e
  runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  if [ "$status" -ne 0 ]; then
    echo "fuzz: $t FAILED after ${runs:-?} runs" >&2
    grep -E "panicked|ERROR|SUMMARY|Test unit written" "$log" >&2 || tail -30 "$log" >&2
    exit 1
  fi
  summary+=("$t: ${runs:-?} runs, 0 findings")
done
printf 'fuzz: %s\n' "${summary[@]}"
