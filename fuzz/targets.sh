# Sourced by run.sh and long-run.sh: the fuzz targets, and the seeding of a
# target's working corpus.
all_targets=(manifest capability policy sizes_and_mounts oci http_request guest_path module guest_boundary)

# seed TARGET: copies the seeds (and, for `module`, the vendored WASI test modules
# and any fixture plugins built by the tests) into target/corpus/TARGET; echoes it.
seed() {
  local corpus="target/corpus/$1"
  mkdir -p "$corpus"
  cp -n seeds/"$1"/* "$corpus"/ 2>/dev/null || true
  if [ "$1" = module ]; then
    cp -n ../tests/wasi-testsuite/tests/c/testsuite/wasm32-wasip1/*.wasm "$corpus"/ 2>/dev/null || true
    cp -n ../target/plugins/wasm32-unknown-unknown/release/*.wasm "$corpus"/ 2>/dev/null || true
  fi
  echo "$corpus"
}
