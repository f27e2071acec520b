#!/usr/bin/env bash
# Prints the path of the bench binary (`suite`), building it if needed with the
# bench profile in $CARGO_TARGET_DIR. Shared by benches/run.sh and
# benches/instructions.sh.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo bench -p caplet-benches --locked --bench suite --no-run --message-format=json 2>/dev/null |
  python3 -c '
import json, sys
for line in sys.stdin:
    msg = json.loads(line)
    if msg.get("reason") == "compiler-artifact" and msg["target"]["name"] == "suite" \
            and msg.get("executable"):
        print(msg["executable"])
'
