#!/usr/bin/env bash
# Installs what Caplet builds and tests need. Safe to run again.
# - Rust targets: wasm32-unknown-unknown (plugins), thumbv7em-none-eabihf (no_std core).
# - Debian packages for the OCI tests: docker-registry (a real registry process) and
#   skopeo (an independent OCI client). Installed only when missing, with apt-get,
#   one package per call.
set -euo pipefail
rustup target add wasm32-unknown-unknown thumbv7em-none-eabihf >/dev/null

need=()
command -v docker-registry >/dev/null || need+=(docker-registry)
command -v skopeo >/dev/null || need+=(skopeo)
command -v cc >/dev/null || need+=(gcc)
if [ ${#need[@]} -gt 0 ]; then
  if ! command -v apt-get >/dev/null; then
    echo "setup: please install: ${need[*]} (needed by the tests)" >&2
    exit 1
  fi
  sudo=""
  if [ "$(id -u)" != 0 ]; then sudo="sudo"; fi
  echo "setup: installing ${need[*]}" >&2
  $sudo apt-get update -qq >/dev/null
  for pkg in "${need[@]}"; do
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "$pkg" >/dev/null
  done
fi
