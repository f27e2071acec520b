#!/usr/bin/env bash
# Instructions per call, counted by callgrind (valgrind). Unlike timings, the
# counts do not move with the machine's load, so each ratio is exact:
#
# * the floor echo (64 B, almost no guest work): Caplet's call path against raw
#   wasmi on the same module, fuel metering off and on;
# * one host call of an application function against the built-in import of the
#   same shape (`config_get` for bytes, `clock_now` for numbers only), the loop
#   of `APP_CALLS_WAT` included.
#
#     benches/instructions.sh [BENCH_BINARY]
#
# Without an argument it builds the bench binary (as benches/run.sh does). Prints
# one JSON object: {"caplet": N, "caplet_entry": N, "caplet_into": N, "raw_wasmi": N,
# "raw_wasmi_fuel": N, "raw_wasmi_into": N,
# "bytes_builtin": N, "bytes_app": N, "numbers_builtin": N, "numbers_app": N}
# (instructions per call), and the ratios on stderr.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$root/target}"
command -v valgrind >/dev/null || { echo "instructions.sh: valgrind is required" >&2; exit 1; }
exe="${1:-}"
if [ -z "$exe" ]; then
  exe=$("$root/benches/suite-exe.sh")
fi
[ -x "$exe" ] || { echo "bench binary not found" >&2; exit 1; }
calls=100000
count() {
  valgrind --tool=callgrind --callgrind-out-file=/dev/null "$exe" "$@" 2>&1 |
    awk '/Collected :|refs:/ {gsub(",", "", $NF); print $NF}' | tail -1
}
json="{"
sep=""
for runtime in caplet caplet_entry caplet_into raw_wasmi raw_wasmi_fuel raw_wasmi_into; do
  base=$(count --floor-calls "$runtime" 0)
  total=$(count --floor-calls "$runtime" "$calls")
  per=$(( (total - base) / calls ))
  json+="$sep\"$runtime\": $per"
  sep=", "
  echo "floor echo, $runtime: $per instructions per call" >&2
done
for kind in bytes_builtin bytes_app numbers_builtin numbers_app; do
  base=$(count --app-calls "$kind" 0)
  total=$(count --app-calls "$kind" "$calls")
  per=$(( (total - base) / calls ))
  json+="$sep\"$kind\": $per"
  echo "host call, $kind: $per instructions per call" >&2
done
json+="}"
echo "$json"
python3 -c '
import json, sys
d = json.loads(sys.argv[1])
print("floor echo: caplet / raw_wasmi %.3f, caplet / raw_wasmi_fuel %.3f" % (d["caplet"] / d["raw_wasmi"], d["caplet"] / d["raw_wasmi_fuel"]), file=sys.stderr)
print("floor echo through an Entry: caplet_entry / raw_wasmi %.3f, caplet_entry / raw_wasmi_fuel %.3f" % (d["caplet_entry"] / d["raw_wasmi"], d["caplet_entry"] / d["raw_wasmi_fuel"]), file=sys.stderr)
print("floor echo into a kept buffer: caplet_into / raw_wasmi_into %.3f" % (d["caplet_into"] / d["raw_wasmi_into"]), file=sys.stderr)
print("application function / built-in: bytes %.3f, numbers %.3f" % (d["bytes_app"] / d["bytes_builtin"], d["numbers_app"] / d["numbers_builtin"]), file=sys.stderr)
' "$json"
