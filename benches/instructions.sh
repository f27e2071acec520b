#!/usr/bin/env bash
# Instructions per call, counted by callgrind (valgrind). Unlike timings, the
# counts do not move with the machine's load, so each ratio is exact:
#
# * the floor echo (64 B, almost no guest work): Caplet's call path against raw
#   wasmi on the same module, fuel metering off and on;
# * compute (`count_primes(20000)`), 10,000 `kv_get` host calls in one call, and
#   instantiation: the other Caplet-against-raw-wasmi targets of BENCHMARKS.md,
#   whose timings move by several percent between runs on a shared machine;
# * one host call of an application function against the built-in import of the
#   same shape (`config_get` for bytes, `clock_now` for numbers only), the loop
#   of `APP_CALLS_WAT` included.
#
#     benches/instructions.sh [BENCH_BINARY]
#
# Without an argument it builds the bench binary (as benches/run.sh does). Prints
# one JSON object: {"caplet": N, "caplet_entry": N, "caplet_into": N, "raw_wasmi": N,
# "raw_wasmi_fuel": N, "raw_wasmi_into": N, "raw_wasmi_fuel_into": N,
# "compute_caplet_fuel": N, "compute_raw_wasmi": N, "compute_raw_wasmi_fuel": N,
# "host_calls_caplet": N, "host_calls_raw_wasmi": N,
# "instantiate_caplet": N, "instantiate_raw_wasmi": N,
# "bytes_builtin": N, "bytes_app": N, "numbers_builtin": N, "numbers_app": N}
# (instructions per call), and the ratios on stderr.
set -euo pipefail
# A count that fails inside `$(…)` must stop the script, not read as 0.
shopt -s inherit_errexit
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
  local n
  n=$(valgrind --tool=callgrind --callgrind-out-file=/dev/null "$exe" "$@" 2>&1 |
    awk '/Collected :|refs:/ {gsub(",", "", $NF); print $NF}' | tail -1)
  [[ "$n" =~ ^[0-9]+$ ]] || { echo "instructions.sh: no count for $*" >&2; exit 1; }
  echo "$n"
}
json="{"
sep=""
for runtime in caplet caplet_entry caplet_into raw_wasmi raw_wasmi_fuel raw_wasmi_into raw_wasmi_fuel_into; do
  base=$(count --floor-calls "$runtime" 0)
  total=$(count --floor-calls "$runtime" "$calls")
  per=$(( (total - base) / calls ))
  json+="$sep\"$runtime\": $per"
  sep=", "
  echo "floor echo, $runtime: $per instructions per call" >&2
done
# Per call of count_primes(20000) (the `compute` group), of get_many with its
# 10,000 kv_get (`host_calls`), and per instance of the echo plugin (`instantiate`).
per() { # per MODE RUNTIME N
  local base total
  base=$(count "$1" "$2" 0)
  total=$(count "$1" "$2" "$3")
  echo $(( (total - base) / $3 ))
}
for runtime in caplet_fuel raw_wasmi raw_wasmi_fuel; do
  n=$(per --compute-calls "$runtime" 3)
  json+="$sep\"compute_$runtime\": $n"
  echo "compute, $runtime: $n instructions per call" >&2
done
for runtime in caplet raw_wasmi; do
  n=$(per --kv-calls "$runtime" 2)
  json+="$sep\"host_calls_$runtime\": $n"
  echo "10,000 kv_get, $runtime: $n instructions per call" >&2
  n=$(per --instantiations "$runtime" 2000)
  json+="$sep\"instantiate_$runtime\": $n"
  echo "instantiate, $runtime: $n instructions per instance" >&2
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
print("floor echo into a kept buffer: caplet_into / raw_wasmi_into %.3f, caplet_into / raw_wasmi_fuel_into %.3f" % (d["caplet_into"] / d["raw_wasmi_into"], d["caplet_into"] / d["raw_wasmi_fuel_into"]), file=sys.stderr)
print("compute: caplet_fuel / raw_wasmi %.3f, caplet_fuel / raw_wasmi_fuel %.3f" % (d["compute_caplet_fuel"] / d["compute_raw_wasmi"], d["compute_caplet_fuel"] / d["compute_raw_wasmi_fuel"]), file=sys.stderr)
print("host calls: caplet / raw_wasmi %.3f; instantiate: caplet / raw_wasmi %.3f" % (d["host_calls_caplet"] / d["host_calls_raw_wasmi"], d["instantiate_caplet"] / d["instantiate_raw_wasmi"]), file=sys.stderr)
print("application function / built-in: bytes %.3f, numbers %.3f" % (d["bytes_app"] / d["bytes_builtin"], d["numbers_app"] / d["numbers_builtin"]), file=sys.stderr)
' "$json"
