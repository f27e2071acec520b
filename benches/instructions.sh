#!/usr/bin/env bash
# Instructions per call of the floor echo (64 B, almost no guest work): Caplet's
# call path against raw wasmi on the same module, fuel metering off and on,
# counted by callgrind (valgrind). Unlike timings, the counts do not move with
# the machine's load, so the ratio is Caplet's own layer, exactly.
#
#     benches/instructions.sh [BENCH_BINARY]
#
# Without an argument it builds the bench binary (as benches/run.sh does). Prints
# one JSON object: {"caplet": N, "raw_wasmi": N, "raw_wasmi_fuel": N} (instructions
# per call), and the ratios on stderr.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$root/target}"
command -v valgrind >/dev/null || { echo "instructions.sh: valgrind is required" >&2; exit 1; }
exe="${1:-}"
if [ -z "$exe" ]; then
  exe=$(cargo bench -p caplet-benches --locked --bench suite --no-run --message-format=json 2>/dev/null |
    python3 -c '
import json, sys
for line in sys.stdin:
    msg = json.loads(line)
    if msg.get("reason") == "compiler-artifact" and msg["target"]["name"] == "suite" \
            and msg.get("executable"):
        print(msg["executable"])
')
fi
[ -x "$exe" ] || { echo "bench binary not found" >&2; exit 1; }
calls=100000
count() {
  valgrind --tool=callgrind --callgrind-out-file=/dev/null "$exe" --floor-calls "$1" "$2" 2>&1 |
    awk '/Collected :|refs:/ {gsub(",", "", $NF); print $NF}' | tail -1
}
json="{"
sep=""
for runtime in caplet raw_wasmi raw_wasmi_fuel; do
  base=$(count "$runtime" 0)
  total=$(count "$runtime" "$calls")
  per=$(( (total - base) / calls ))
  json+="$sep\"$runtime\": $per"
  sep=", "
  echo "$runtime: $per instructions per call" >&2
done
json+="}"
echo "$json"
python3 -c '
import json, sys
d = json.loads(sys.argv[1])
print("caplet / raw_wasmi: %.3f; caplet / raw_wasmi_fuel: %.3f" % (d["caplet"] / d["raw_wasmi"], d["caplet"] / d["raw_wasmi_fuel"]), file=sys.stderr)
' "$json"
