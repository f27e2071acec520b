#!/usr/bin/env bash
# Profiles a stretch of a firmware run on the emulated board, by function:
#
#     ./profile-qemu.sh BOARD ELF [FROM [TO [TOP]]]
#
# BOARD is mps2-an386 or riscv-virt. The stretch runs from the first executed block
# of a function whose symbol matches the regular expression FROM to the first block
# of one matching TO (default: `sha2` to `instantiate`, which is the load of the
# `minimal` image: SHA-256, scan, validation and translation). Prints the TOP (25)
# functions by instructions executed in that stretch, with their share.
#
# QEMU's own logs do the counting, so the figures are exact and need no QEMU plugin:
# one run logs every translation block executed (`-d exec,nochain`: no chaining, so
# each execution is logged), a second logs each block's instructions once
# (`-d in_asm`); instructions per function = executions x block length, summed.
# Under `-icount shift=0` both runs are the same. The logs take about 1 GB for a
# 15 M-instruction load; they go to a temporary directory that is removed at exit.
set -euo pipefail
board=$1
elf=$2
from=${3:-sha2}
to=${4:-instantiate}
top=${5:-25}
case "$board" in
  mps2-an386) qemu=(qemu-system-arm -machine mps2-an386 -cpu cortex-m4) ;;
  riscv-virt) qemu=(qemu-system-riscv32 -machine virt -bios none) ;;
  *) echo "unknown board: $board" >&2; exit 2 ;;
esac
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
run() {
  timeout 600 "${qemu[@]}" -nographic -monitor none -serial none \
    -semihosting-config enable=on,target=native -icount shift=0 \
    -kernel "$elf" -d "$1" -D "$2" >/dev/null 2>&1 || true
}
run exec,nochain "$tmp/exec.log"
run in_asm,nochain "$tmp/asm.log"
demangle() { if command -v c++filt >/dev/null; then c++filt; else cat; fi; }
python3 - "$tmp/exec.log" "$tmp/asm.log" "$from" "$to" "$top" <<'EOF' | demangle
import collections, re, sys
exec_log, asm_log, start, end, top = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4], int(sys.argv[5])
# Guest instructions per translation block, keyed by its first address.
size, first, n = {}, None, 0
for line in open(asm_log, errors="replace"):
    if line.startswith("IN:"):
        if first is not None:
            size.setdefault(first, n)
        first, n = None, 0
        continue
    m = re.match(r"^0x([0-9a-f]+):", line)
    if m:
        if first is None:
            first = int(m.group(1), 16)
        n += 1
if first is not None:
    size.setdefault(first, n)
# "Trace 0: HOST [FLAGS/PC/...] SYMBOL", one line per executed block.
per_fn, total, on = collections.Counter(), 0, False
start_re, end_re = re.compile(start), re.compile(end)
for line in open(exec_log, errors="replace"):
    p = line.split()
    if len(p) < 5 or p[0] != "Trace":
        continue
    sym = p[4]
    if not on:
        on = bool(start_re.search(sym))
        if not on:
            continue
    elif end_re.search(sym):
        break
    pc = int(p[3].strip("[]").split("/")[1], 16)
    k = size.get(pc, 1)
    per_fn[sym] += k
    total += k
if total == 0:
    sys.exit(f"no block matched {start!r}: nothing profiled")
print(f"{total} instructions from the first {start!r} to the first {end!r}")
for sym, k in per_fn.most_common(top):
    print(f"{k:>10} {100 * k / total:5.1f}%  {sym}")
EOF
