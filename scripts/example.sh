#!/usr/bin/env bash
# Builds the fixture plugins and the `caplet` binary, then runs real plugins under
# the board's limits (`--profile embedded`, the default embedded settings): the
# `upper` entry of the `echo` plugin, the KV counter with the `kv` capability
# granted, a compute plugin, each printing a usage report, and a WASI command.
# Last, it checks the release binary's interpreter dispatcher: the one its target
# allows (tail calls on x86_64/aarch64), running deep recursion and a long compute.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
target="${CARGO_TARGET_DIR:-$PWD/target}"
(cd tests/plugins && cargo build --quiet --release --locked --target wasm32-unknown-unknown --target-dir "$target/plugins")
cargo build --quiet --release --locked -p caplet
plugins="$target/plugins/wasm32-unknown-unknown/release"
caplet="$target/release/caplet"
set -x
"$caplet" run "$plugins/echo.wasm" --profile embedded --call upper --input 'hello from a sandboxed plugin' --report
"$caplet" run "$plugins/kv_counter.wasm" --profile embedded --call incr --input visits --allow kv --report
"$caplet" run "$plugins/compute.wasm" --profile embedded --call count_primes --i32 100000 --fuel 100000000 --report
set +x

# The release binary's dispatcher, proven on deep recursion and a long compute.
version=$("$caplet" --version)
echo "$version"
case "$(uname -m)" in
  x86_64|amd64|aarch64|arm64) want="tail-call" ;;
  *) want="portable" ;;
esac
grep -q "dispatcher: $want" <<<"$version" || { echo "example.sh: expected the $want dispatcher" >&2; exit 1; }
out=$("$caplet" run "$plugins/compute.wasm" --call depth --i32 9000)
[ "$out" = 9000 ] || { echo "example.sh: recursion to depth 9000 gave '$out'" >&2; exit 1; }
err=$(mktemp)
set +e
"$caplet" run "$plugins/compute.wasm" --call depth --i32 100000 2>"$err"
code=$?
set -e
if [ "$code" != 5 ] || ! grep -q "call stack exhausted" "$err"; then
  echo "example.sh: recursion past the limit must trap cleanly (exit 5), got $code" >&2
  cat "$err" >&2
  exit 1
fi
rm -f "$err"
out=$("$caplet" run "$plugins/compute.wasm" --call count_primes --i32 300000)
[ "$out" = 25997 ] || { echo "example.sh: count_primes(300000) gave '$out'" >&2; exit 1; }
echo "release binary: $want dispatcher; recursion to depth 9000 returns, past the limit it traps; primes below 300000: $out"
