#!/usr/bin/env bash
# Installs the Rust targets Caplet builds for. Safe to run again.
set -euo pipefail
rustup target add wasm32-unknown-unknown thumbv7em-none-eabihf >/dev/null
