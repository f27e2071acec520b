#!/usr/bin/env bash
# Builds the AssemblyScript Extism fixture: OUT_DIR/extism_as.wasm.
#
#   tests/plugins-as/build.sh OUT_DIR
#
# Installs the pinned toolchain (package-lock.json) with `npm ci` when
# node_modules is missing or was installed from another lock, then compiles
# assembly/index.ts with asc's `release` target of asconfig.json (optimised,
# no debug info, abort routed into the plugin). Works from any directory.
set -euo pipefail

if [ "$#" -ne 1 ] || [ -z "$1" ]; then
  echo "usage: $0 OUT_DIR" >&2
  exit 2
fi

for tool in node npm; do
  if ! command -v "$tool" >/dev/null 2>&1; then
    echo "error: \`$tool\` is not installed; the AssemblyScript fixture needs Node.js and npm" \
      "(Debian: apt-get install nodejs npm)" >&2
    exit 127
  fi
done

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
mkdir -p "$1"
out_dir="$(cd "$1" && pwd)"

cd "$here"

# node_modules is current when it was installed from this very lock file: the
# lock's digest is kept beside it after a successful `npm ci`.
stamp="node_modules/.caplet-lock.sha256"
want="$(sha256sum package-lock.json | cut -d' ' -f1)"
have=""
if [ -f "$stamp" ]; then
  have="$(cat "$stamp")"
fi
if [ ! -d node_modules ] || [ "$want" != "$have" ] \
  || [ ! -f node_modules/assemblyscript/bin/asc.js ]; then
  echo "build.sh: installing the AssemblyScript toolchain (npm ci)" >&2
  npm ci --no-audit --no-fund
  printf '%s\n' "$want" >"$stamp"
fi

node node_modules/assemblyscript/bin/asc.js assembly/index.ts \
  --config asconfig.json --target release \
  --outFile "$out_dir/extism_as.wasm"
