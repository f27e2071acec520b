#!/usr/bin/env bash
# Installs what Caplet builds and tests need. Safe to run again.
# - Rust targets: wasm32-unknown-unknown (plugins), thumbv7em-none-eabihf (no_std core
#   and Cortex-M firmware), riscv32imac-unknown-none-elf (RISC-V firmware); the
#   llvm-tools component (firmware sizes).
# - Debian packages: docker-registry (a real registry process) and skopeo (an
#   independent OCI client) for the OCI tests, qemu-system-arm and qemu-system-misc
#   (qemu-system-riscv32) for the firmware, postgresql (initdb, pg_ctl, postgres:
#   a real server for the `caplet serve --database` tests, found on PATH or in
#   /usr/lib/postgresql/*/bin), nodejs and npm (the AssemblyScript Extism fixture's
#   toolchain, pinned by tests/plugins-as/package-lock.json).
#   Installed only when missing, with apt-get, one package per call.
# - defmt-print (decodes the firmware's defmt log), with cargo install when missing.
set -euo pipefail
rustup target add wasm32-unknown-unknown thumbv7em-none-eabihf riscv32imac-unknown-none-elf >/dev/null
rustup component add llvm-tools >/dev/null 2>&1

need=()
command -v docker-registry >/dev/null || need+=(docker-registry)
command -v skopeo >/dev/null || need+=(skopeo)
command -v cc >/dev/null || need+=(gcc)
# Node.js and npm build the AssemblyScript Extism fixture (tests/plugins-as).
command -v node >/dev/null || need+=(nodejs)
command -v npm >/dev/null || need+=(npm)
command -v qemu-system-arm >/dev/null || need+=(qemu-system-arm)
command -v qemu-system-riscv32 >/dev/null || need+=(qemu-system-misc)
if ! command -v initdb >/dev/null && ! compgen -G '/usr/lib/postgresql/*/bin/initdb' >/dev/null; then
  need+=(postgresql)
fi
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

if ! command -v defmt-print >/dev/null; then
  echo "setup: installing defmt-print" >&2
  cargo install defmt-print --locked --quiet
fi
