#!/usr/bin/env bash
# Runs every fuzz target for at least RUNS executions (default 10^7), one after the
# other, and prints executions and findings per target. Takes hours; not for CI.
# Usage: fuzz/long-run.sh [RUNS] [TARGET...]
set -euo pipefail
cd "$(dirname "$0")"
runs="${1:-10000000}"
shift || true
source ./targets.sh
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
  targets=("${all_targets[@]}")
fi
for t in "${targets[@]}"; do
  corpus=$(seed "$t")
  start=$(date +%s)
  set +e
  cargo +nightly fuzz run -O "$t" "$corpus" -- -runs="$runs" -rss_limit_mb=4096 -timeout=10 \
    -print_final_stats=1 >"target/long-$t.log" 2>&1
  status=$?
  set -e
  done_runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "target/long-$t.log" | tail -1)
  findings=$(ls artifacts/"$t" 2>/dev/null | wc -l)
  echo "$t: ${done_runs:-?} executions in $(( $(date +%s) - start )) s, exit $status, $findings findings"
done
