#!/usr/bin/env bash
# The load bench of `caplet serve` (benches/src/bin/serve_load.rs), all figures from
# one run: POST /v1/runs of the 64-byte echo at concurrency 1, 16 and 64 against
# the constant floor, the raw-wasmi floor, `caplet serve` on SQLite and two
# `caplet serve` replicas sharing a PostgreSQL started here. Writes the table into
# BENCHMARKS.md (between the serve-load markers) and the raw figures to
# $CARGO_TARGET_DIR/serve-load.json.
#
#     benches/serve-load.sh            # 5 s per figure
#     SECONDS_PER=10 benches/serve-load.sh
#
# Needs what scripts/setup.sh installs (PostgreSQL for the replicas: skipped with a
# note when initdb is missing) and python3.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$root/target}"
seconds="${SECONDS_PER:-5}"

echo "== building caplet and the load generator (release)" >&2
cargo build --release --locked -p caplet --bin caplet -p caplet-benches --bin serve_load
caplet="$CARGO_TARGET_DIR/release/caplet"
gen="$CARGO_TARGET_DIR/release/serve_load"

pg_args=()
tmp=$(mktemp -d)
cleanup() {
  if [ -n "${pg_pid:-}" ]; then kill "$pg_pid" 2>/dev/null || true; wait "$pg_pid" 2>/dev/null || true; fi
  rm -rf "$tmp"
}
trap cleanup EXIT
bin=""
if command -v initdb >/dev/null; then bin="$(dirname "$(readlink -f "$(command -v initdb)")")"; fi
if [ -z "$bin" ]; then bin="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1 || true)"; fi
if [ -n "$bin" ] && [ -x "$bin/initdb" ]; then
  echo "== PostgreSQL for the two replicas ($bin)" >&2
  as=()
  if [ "$(id -u)" = 0 ]; then
    chown nobody "$tmp"
    as=(runuser -u nobody --)
  fi
  "${as[@]}" "$bin/initdb" -D "$tmp/pg" -U caplet --auth=trust >/dev/null
  port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
  # synchronous_commit=off: a commit returns before the WAL is flushed, like
  # `caplet serve`'s default SQLite durability (a killed process loses nothing).
  "${as[@]}" "$bin/postgres" -D "$tmp/pg" -k "$tmp" -p "$port" \
    -c listen_addresses=127.0.0.1 -c synchronous_commit=off -c max_connections=100 \
    >"$tmp/pg.log" 2>&1 &
  pg_pid=$!
  for _ in $(seq 100); do
    if "$bin/pg_isready" -h 127.0.0.1 -p "$port" >/dev/null 2>&1; then break; fi
    sleep 0.1
  done
  pg_args=(--postgres "postgres://caplet@127.0.0.1:$port/postgres")
else
  echo "== no PostgreSQL (run scripts/setup.sh): the two-replica row is left out" >&2
fi

out="$CARGO_TARGET_DIR/serve-load.json"
echo "== load ($seconds s per figure)" >&2
"$gen" --caplet "$caplet" --seconds "$seconds" --json "$out" "${pg_args[@]}"
python3 "$root/benches/serve_report.py" "$out" "$root/BENCHMARKS.md"
echo "== BENCHMARKS.md updated (serve load section)" >&2
