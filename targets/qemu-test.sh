#!/usr/bin/env bash
# Builds the firmware images, runs every one under QEMU, and prints what each takes:
#
#     ./targets/qemu-test.sh
#     UPDATE_EXPECTED=1 ./targets/qemu-test.sh   # accept changed output (see below)
#
# What each image prints is compared with its expected output in expected/ (defmt's
# snapshot style), after measurements are masked (see `normalize`): a change in what
# the board says (a message, a result, a case, a figure added or gone) fails the run
# and shows as a diff in review. UPDATE_EXPECTED=1 rewrites the files instead.
#
# Each image decides its own result on the device and reports it through the
# semihosting exit code; this script exits 0 only when every image passed. It prints
# flash (vector table + text + rodata + data) and RAM (data + bss, which holds the
# arena) from the ELF, and the arena peak and stack peak measured on the device,
# and writes them to target/firmware-figures.md (benches/run.sh includes that file).
set -euo pipefail
cd "$(dirname "$0")"

need() { command -v "$1" >/dev/null || { echo "error: $1 not found; $2" >&2; exit 1; }; }
rustup target add thumbv7em-none-eabihf riscv32imac-unknown-none-elf wasm32-unknown-unknown >/dev/null
rustup component add llvm-tools >/dev/null 2>&1
need qemu-system-arm "install it with scripts/setup.sh (apt-get install qemu-system-arm)"
need qemu-system-riscv32 "install it with scripts/setup.sh (apt-get install qemu-system-misc)"
if ! command -v defmt-print >/dev/null; then
  echo "installing defmt-print (decodes the firmware's defmt log)..."
  cargo install defmt-print --locked --quiet
fi
bin=$(rustc --print sysroot)/lib/rustlib/$(rustc -vV | sed -n 's/^host: //p')/bin
size_tool=$bin/llvm-size

# board, Rust target, package
boards=(
  "mps2-an386 thumbv7em-none-eabihf caplet-mps2-an386"
  "riscv-virt riscv32imac-unknown-none-elf caplet-riscv-virt"
)
for entry in "${boards[@]}"; do
  read -r board target package <<<"$entry"
  cargo build --release --locked -p "$package" --target "$target" --bins
  # `minimal` without the Extism and WASI profiles and without the services a
  # board cannot have (a board that runs contract v1 plugins only): a target
  # directory of its own, since cargo gives both images of one build the same
  # features. The conformance image has both profiles and runs an Extism plugin
  # and a WASI command.
  CARGO_TARGET_DIR=target/lean cargo build --release --locked -p "$package" \
    --target "$target" --bin minimal --no-default-features --features validate
done
# The pinned image: `minimal` without on-device validation (the board's
# `validate` feature off). It loads only modules whose digest it pins and
# compiles them unchecked, so wasmparser's validator is not linked. A target
# directory of its own keeps the validating images. Built for size: error
# messages without their values (`static-messages`) and the rolled SHA-256
# (pinned-size.toml).
CARGO_TARGET_DIR=target/pinned cargo build --release --locked -p caplet-mps2-an386 \
  --target thumbv7em-none-eabihf --bin minimal --no-default-features --features static-messages \
  --config pinned-size.toml
# The signed image: the pinned build with Ed25519 verification on the device; it
# loads only a module whose signature by its (demo) key verifies.
CARGO_TARGET_DIR=target/pinned cargo build --release --locked -p caplet-mps2-an386 \
  --target thumbv7em-none-eabihf --bin signed --no-default-features --features signatures,static-messages \
  --config pinned-size.toml
# The fast-load profile (release with wasmi optimised for speed, not size): the
# validating and the pinned `minimal`, for the load-time and flash trade-off.
CARGO_TARGET_DIR=target/lean cargo build --profile release-fast-load --locked -p caplet-mps2-an386 \
  --target thumbv7em-none-eabihf --bin minimal --no-default-features --features validate
CARGO_TARGET_DIR=target/pinned cargo build --profile release-fast-load --locked -p caplet-mps2-an386 \
  --target thumbv7em-none-eabihf --bin minimal --no-default-features

figures=target/firmware-figures.md
{
  echo "Firmware under QEMU: mps2-an386 (Cortex-M4F, thumbv7em-none-eabihf) and riscv-virt"
  echo "(riscv32imac-unknown-none-elf); opt-level z, fat LTO, panic = abort, module validation"
  echo "on (except the \`pinned\` images: pinned modules only, compiled unchecked), wasmi"
  echo "portable-dispatch; \`minimal\` with contract v1 only (no Extism or WASI profile, no fs, http,"
  echo "env, secrets or exec service), \`conformance\` with both profiles and signature verification;"
  echo "the \`fast-load\` images with the \`release-fast-load\` profile (wasmi at opt-level 2);"
  echo "the panic handler prints the panic's location in \`conformance\` only (\`panic-location\`);"
  echo "RISC-V code built with \`+relax\` (linker relaxation) and sha2's rolled SHA-256 rounds;"
  echo "the pinned and signed images built for size: \`static-messages\` (error messages without"
  echo "their values) and sha2's rolled rounds (pinned-size.toml)."
  echo "Measured by \`targets/qemu-test.sh\` on $(date -u +%Y-%m-%d);"
  echo "flash = vector table + text + rodata + data; arena and stack peaks measured on the device."
  echo
  echo "| board | image | result | flash | of which embedded modules | runtime flash | RAM (data+bss) | arena | arena peak | static RAM beside arena | stack peak |"
  echo "|---|---|---|---|---|---|---|---|---|---|---|"
} > "$figures"

kib() { awk -v b="$1" 'BEGIN { printf "%.1f KiB", b / 1024 }'; }
# Masks what a run measures, which moves with any change of code or toolchain:
# every number on the figure lines (timing, load split, figures), and elsewhere
# byte counts ("N B"), fuel, instruction counts and KiB. Everything else (plugin
# output, case names and results, error messages, call counts) must match exactly.
normalize() {
  sed -E \
    -e '/^(extism )?timing |^load split |^figures: /s/=[0-9]+/=N/g' \
    -e 's/[0-9]+ bytes/N bytes/g' \
    -e 's/[0-9]+ B\b/N B/g' \
    -e 's/fuel [0-9]+/fuel N/g' \
    -e 's/[0-9]+ instructions/N instructions/g' \
    -e 's/[0-9]+(\.[0-9]+)? KiB/N KiB/g'
}
failed=0
for entry in "${boards[@]}"; do
  read -r board target package <<<"$entry"
  images=(minimal conformance)
  [ "$board" = mps2-an386 ] && images+=(minimal-pinned signed minimal-fast-load minimal-pinned-fast-load)
  for image in "${images[@]}"; do
    if [ "$image" = minimal-fast-load ]; then
      elf=target/lean/$target/release-fast-load/minimal
    elif [ "$image" = minimal-pinned-fast-load ]; then
      elf=target/pinned/$target/release-fast-load/minimal
    elif [ "$image" = minimal-pinned ]; then
      elf=target/pinned/$target/release/minimal
    elif [ "$image" = signed ]; then
      elf=target/pinned/$target/release/signed
    elif [ "$image" = minimal ]; then
      elf=target/lean/$target/release/minimal
    else
      elf=target/$target/release/$image
    fi
    log=target/$board-$image.log
    echo "== $board $image"
    set +e
    ./run-qemu.sh "$board" "$elf" 2>&1 | tee "$log"
    status=${PIPESTATUS[0]}
    set -e
    if [ "$status" -eq 0 ]; then result=pass; else result="FAIL ($status)"; failed=1; fi
    expected=expected/$board-$image.out
    normalize <"$log" >"target/$board-$image.out"
    if [ "${UPDATE_EXPECTED:-}" = 1 ]; then
      cp "target/$board-$image.out" "$expected"
    elif ! diff -u "$expected" "target/$board-$image.out"; then
      echo "error: $board $image printed something else than $expected (the diff above);" \
        "if the change is meant, rerun with UPDATE_EXPECTED=1 and commit the file" >&2
      result="FAIL (output)"; failed=1
    fi
    sect() { "$size_tool" -A "$elf" | awk -v s="$1" '$1 == s { n = $2 } END { print n + 0 }'; }
    flash=$(( $(sect .vector_table) + $(sect .init) + $(sect .init.rust) + $(sect .trap) + $(sect .text) + $(sect .rodata) + $(sect .srodata) + $(sect .eh_frame) + $(sect .data) + $(sect .sdata) ))
    ram=$(( $(sect .data) + $(sect .sdata) + $(sect .bss) + $(sect .sbss) ))
    read -r arena arena_peak stack_peak modules < <(sed -n \
      's/.*figures: arena_bytes=\([0-9]*\) arena_peak=\([0-9]*\) .*stack_peak=\([0-9]*\) embedded_modules=\([0-9]*\).*/\1 \2 \3 \4/p' "$log" | tail -1) || true
    if [ -z "${modules:-}" ]; then
      # An image that ends without its figures line did not finish its run.
      echo "error: $board $image printed no figures line" >&2
      result="FAIL (no figures)"; failed=1
      arena=0; arena_peak=0; stack_peak=0; modules=0
    fi
    # Boards run the portable dispatcher: the tail-call one overflows the native
    # stack where LLVM does not emit the tail calls (riscv32, size-optimised code).
    if ! grep -q "dispatch=portable" "$log"; then
      echo "error: $board $image does not report the portable dispatcher" >&2
      result="FAIL (dispatcher)"; failed=1
    fi
    # No float formatting on a board: nothing a board runs prints a float, and
    # `core`'s float formatting (Grisu, Dragon, their tables) is about 17 KiB. A
    # `{:?}` of a value that may hold a float, anywhere reachable, brings it back.
    # (The symbols are read first, so that a failing llvm-nm stops the script.)
    symbols=$("$bin/llvm-nm" -C "$elf")
    if grep -Eq 'core::fmt::float::|core::num::flt2dec::' <<<"$symbols"; then
      echo "error: $board $image links core's float formatting (a Debug of a float somewhere)" >&2
      result="FAIL (float formatting)"; failed=1
    fi
    # Panic locations: the conformance images are built with `panic-location`. In
    # the Cortex-M4's other images nothing reads a panic's location, so fat LTO
    # drops every location, message and the formatting behind them (about 71 KiB);
    # a source path of the runtime's crates in .rodata means something reads them
    # again. RISC-V's `minimal` is not checked: it keeps some (README.md,
    # "Panics"). (The embedded plugins' own paths are in .rodata too; they are not
    # counted.)
    if [ "$board-$image" != riscv-virt-minimal ]; then
      "$bin/llvm-objcopy" -O binary --only-section=.rodata "$elf" "target/$board-$image.rodata"
      rodata_paths=$({ grep -aoE '(host-core|vendor/wasmi|vendor/wasmparser)/src/[[:alnum:]_/]*\.rs' \
        "target/$board-$image.rodata" || true; } | wc -l)
      want=absent; [ "$image" = conformance ] && want=present
      if { [ "$want" = present ] && [ "$rodata_paths" -eq 0 ]; } ||
        { [ "$want" = absent ] && [ "$rodata_paths" -ne 0 ]; }; then
        echo "error: $board $image: panic locations should be $want, found $rodata_paths runtime source paths (see caplet-board's panic-location)" >&2
        result="FAIL (panic locations)"; failed=1
      fi
    fi
    static_ram=$(( ram - arena ))
    printf '%s %s: %s; flash %s (runtime %s + modules %s); RAM %s (arena %s, peak %s; static beside arena %s); stack peak %s\n' \
      "$board" "$image" "$result" "$(kib $flash)" "$(kib $((flash - modules)))" "$(kib $modules)" "$(kib $ram)" \
      "$(kib $arena)" "$(kib $arena_peak)" "$(kib $static_ram)" "$(kib $stack_peak)"
    echo "| $board | $image | $result | $(kib $flash) | $(kib $modules) | $(kib $((flash - modules))) | $(kib $ram) | $(kib $arena) | $(kib $arena_peak) | $(kib $static_ram) | $(kib $stack_peak) |" >> "$figures"
  done
done
{
  echo
  echo "Instructions (\`minimal\` image, echo plugin; under \`-icount shift=0\` one instruction is one virtual ns):"
  echo
  echo "| board | load (sha256 + scan + compile) | of which SHA-256 | of which scan | of which compile | instantiate | first call | next call |"
  echo "|---|---|---|---|---|---|---|---|"
  for run in mps2-an386-minimal riscv-virt-minimal mps2-an386-minimal-pinned mps2-an386-signed \
      mps2-an386-minimal-fast-load mps2-an386-minimal-pinned-fast-load; do
    case "$run" in
      *-signed) label="$run (signature verified on the device)" ;;
      *) label="${run%-minimal*}${run#*-minimal}" ;;
    esac
    # SHA-256 and the scan are timed apart by the image (its `load split` line).
    read -r sha scan < <(sed -n 's/.*load split.*sha256=\([0-9]*\) scan=\([0-9]*\).*/\1 \2/p' \
      "target/$run.log" | tail -1) || true
    sed -n 's/.*timing.*load=\([0-9]*\) instantiate=\([0-9]*\) first_call=\([0-9]*\) call=\([0-9]*\).*/\1 \2 \3 \4/p' \
      "target/$run.log" | tail -1 | while read -r load inst first call; do
      if [ -n "${sha:-}" ]; then
        echo "| $label | $load | $sha | $scan | $((load - sha - scan)) | $inst | $first | $call |"
      else
        echo "| $label | $load | — | — | — | $inst | $first | $call |"
      fi
    done
    sha=""; scan=""
  done
  echo
  echo "Instructions of an unmodified Extism plugin (\`conformance\` image, \`extism_board\`"
  echo "fixture built with extism-pdk, \`count_vowels\` on 13 bytes; Extism memory in Caplet's kernel):"
  echo
  echo "| board | load (sha256 + scan + compile) | instantiate | first call | next call |"
  echo "|---|---|---|---|---|"
  for board in mps2-an386 riscv-virt; do
    sed -n 's/.*extism timing.*load=\([0-9]*\) instantiate=\([0-9]*\) first_call=\([0-9]*\) call=\([0-9]*\).*/\1 \2 \3 \4/p' \
      "target/$board-conformance.log" | tail -1 | while read -r load inst first call; do
      echo "| $board | $load | $inst | $first | $call |"
    done
  done
} >> "$figures"
echo
cat "$figures"
if [ "$failed" -ne 0 ]; then
  echo "error: a firmware image failed" >&2
  exit 1
fi
