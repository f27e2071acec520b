#!/usr/bin/env bash
# Runs one firmware image under QEMU and decodes its defmt log on the host.
#
#     ./run-qemu.sh BOARD ELF        # BOARD: mps2-an386 | riscv-virt
#
# The firmware decides its own result and reports it through the semihosting exit
# code, which this script returns. `-icount shift=0` makes runs deterministic (one
# instruction per virtual nanosecond), so instruction counts and timings repeat.
set -euo pipefail
board=$1
elf=$2
case "$board" in
  mps2-an386)
    qemu=(qemu-system-arm -machine mps2-an386 -cpu cortex-m4) ;;
  riscv-virt)
    qemu=(qemu-system-riscv32 -machine virt -bios none) ;;
  *) echo "unknown board: $board" >&2; exit 2 ;;
esac
set +e
timeout 600 "${qemu[@]}" -nographic -monitor none -serial none \
  -semihosting-config enable=on,target=native -icount shift=0 \
  -kernel "$elf" | defmt-print -e "$elf"
status=("${PIPESTATUS[@]}")
set -e
if [ "${status[0]}" -eq 124 ]; then
  echo "error: $elf did not finish within 600 s" >&2
fi
exit "${status[0]}"
