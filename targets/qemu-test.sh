#!/usr/bin/env bash
# Builds the firmware images, runs every one under QEMU, and prints what each takes:
#
#     ./targets/qemu-test.sh
#
# Each image decides its own result on the device and reports it through the
# semihosting exit code; this script exits 0 only when every image passed. It prints
# flash (vector table + text + rodata + data) and RAM (data + bss, which holds the
# arena) from the ELF, and the arena peak and stack peak measured on the device,
# and writes them to target/firmware-figures.md (benches/run.sh includes that file).
set -euo pipefail
cd "$(dirname "$0")"

need() { command -v "$1" >/dev/null || { echo "error: $1 not found; $2" >&2; exit 1; }; }
rustup target add thumbv7em-none-eabihf wasm32-unknown-unknown >/dev/null
rustup component add llvm-tools >/dev/null 2>&1
need qemu-system-arm "install it with scripts/setup.sh (apt-get install qemu-system-arm)"
if ! command -v defmt-print >/dev/null; then
  echo "installing defmt-print (decodes the firmware's defmt log)..."
  cargo install defmt-print --locked --quiet
fi
bin=$(rustc --print sysroot)/lib/rustlib/$(rustc -vV | sed -n 's/^host: //p')/bin
size_tool=$bin/llvm-size

cargo build --release --locked --bins
elf_dir=target/thumbv7em-none-eabihf/release
figures=target/firmware-figures.md
{
  echo "Firmware on mps2-an386 (Cortex-M4F, thumbv7em-none-eabihf), opt-level z, fat LTO,"
  echo "panic = abort, module validation on, wasmi portable-dispatch. Measured by"
  echo "\`targets/qemu-test.sh\` on $(date -u +%Y-%m-%d); arena and stack peaks measured on the device."
  echo
  echo "| image | result | flash | of which embedded modules | runtime flash | RAM (data+bss) | arena | arena peak | static RAM beside arena | stack peak |"
  echo "|---|---|---|---|---|---|---|---|---|---|"
} > "$figures"

failed=0
for image in minimal conformance; do
  elf=$elf_dir/$image
  log=target/$image.log
  echo "== $image"
  set +e
  ./run-qemu.sh mps2-an386 "$elf" 2>&1 | tee "$log"
  status=${PIPESTATUS[0]}
  set -e
  if [ "$status" -eq 0 ]; then result=pass; else result="FAIL ($status)"; failed=1; fi
  sect() { "$size_tool" -A "$elf" | awk -v s="$1" '$1 == s { print $2 }'; }
  flash=$(( $(sect .vector_table) + $(sect .text) + $(sect .rodata) + $(sect .data) ))
  ram=$(( $(sect .data) + $(sect .bss) ))
  modules=$(sed -n 's/.*embedded_modules=\([0-9]*\).*/\1/p' "$log" | tail -1)
  read -r arena arena_peak stack_peak < <(sed -n \
    's/.*figures: arena_bytes=\([0-9]*\) arena_peak=\([0-9]*\) .*stack_peak=\([0-9]*\).*/\1 \2 \3/p' "$log" | tail -1)
  arena=${arena:-0}; arena_peak=${arena_peak:-0}; stack_peak=${stack_peak:-0}; modules=${modules:-0}
  kib() { awk -v b="$1" 'BEGIN { printf "%.1f KiB", b / 1024 }'; }
  static_ram=$(( ram - arena ))
  printf '%s: %s; flash %s (runtime %s + modules %s); RAM %s (arena %s, peak %s; static beside arena %s); stack peak %s\n' \
    "$image" "$result" "$(kib $flash)" "$(kib $((flash - modules)))" "$(kib $modules)" "$(kib $ram)" \
    "$(kib $arena)" "$(kib $arena_peak)" "$(kib $static_ram)" "$(kib $stack_peak)"
  echo "| $image | $result | $(kib $flash) | $(kib $modules) | $(kib $((flash - modules))) | $(kib $ram) | $(kib $arena) | $(kib $arena_peak) | $(kib $static_ram) | $(kib $stack_peak) |" >> "$figures"
done
echo
cat "$figures"
if [ "$failed" -ne 0 ]; then
  echo "error: a firmware image failed" >&2
  exit 1
fi
