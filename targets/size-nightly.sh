#!/usr/bin/env bash
# Optional: the firmware built on the nightly size profile, beside the default
# stable build, with the flash it takes:
#
#     ./targets/size-nightly.sh            # build, run under QEMU, print the table
#     ./targets/size-nightly.sh --levers   # also: `minimal` once per lever (slow)
#
# Not in CI, and not in scripts/test.sh: CI keeps the stable build (qemu-test.sh).
# Measured with rustc 1.101.0-nightly (92b5b8c87 2026-10-29).
#
# The profile keeps the release profile (opt-level z, fat LTO, one codegen unit)
# and adds, on nightly:
# - `-Zbuild-std=core,alloc`: `core` and `alloc` compiled with the image's profile
#   and its panic strategy, instead of the prebuilt ones;
# - `-Zunstable-options -Cpanic=immediate-abort`: a panic is a trap, without its
#   message, location or formatting. This nightly takes the panic strategy; the
#   older form `-Zbuild-std-features=panic_immediate_abort` is refused by its
#   `core` with a compile error that names the new flag;
# - `-Zfmt-debug=none`: `{:?}` prints nothing and derived `Debug` impls are empty.
#   Error messages the firmware prints with `Display` keep their text; a `Debug`
#   field inside one prints nothing.
# Two more levers were measured and left out (run --levers to see them):
# - `-Zbuild-std-features=optimize_for_size` saves flash but inlines the stable
#   sort's 4 KiB stack buffer into its caller's frame: the stack peak of `minimal`
#   grows by 3.6 KiB, past the 16 KiB RAM budget;
# - `-Zlocation-detail=none` changes nothing once panics abort immediately.
#
# It builds, each in target/nightly-size (the stable images are untouched):
# - mps2-an386 `minimal`, validating, without the Extism profile (as qemu-test.sh);
# - mps2-an386 `minimal-pinned` (no on-device validation; `static-messages` and
#   pinned-size.toml, as qemu-test.sh builds it);
# - riscv-virt `minimal`, validating.
# It runs each under QEMU (the image decides pass or fail) and prints flash, and
# runtime flash (flash minus the embedded modules, as qemu-test.sh counts them).
# Where qemu-test.sh has built the stable image, it runs that too and prints its
# figures beside. The fixture plugins are then built by the nightly toolchain too
# (in the same plugin target directory, so the next stable build rebuilds them),
# and the embedded modules differ in size between the two; runtime flash does not
# count them.
#
# With --levers it also builds mps2-an386 `minimal` once per lever, each adding
# one to the previous, and prints what each gives (a few minutes per build).
#
# A panic in these images executes `udf` (`unimp` on RISC-V) instead of the panic
# handler; the boards' fault handlers (HardFault, ExceptionHandler) then print the
# fault's address and end the run as a failure.
set -euo pipefail
cd "$(dirname "$0")"

levers=0
case "${1:-}" in
  "") ;;
  --levers) levers=1 ;;
  *) echo "usage: $0 [--levers]" >&2; exit 2 ;;
esac

need() { command -v "$1" >/dev/null || { echo "error: $1 not found; $2" >&2; exit 1; }; }
if ! cargo +nightly -V >/dev/null 2>&1; then
  echo "error: no nightly toolchain. This profile is optional; to try it:" >&2
  echo "  rustup toolchain install nightly --component rust-src" >&2
  exit 1
fi
if ! rustup +nightly component list --installed 2>/dev/null | grep -q '^rust-src'; then
  echo "error: the nightly toolchain has no rust-src (build-std compiles core from it):" >&2
  echo "  rustup +nightly component add rust-src" >&2
  exit 1
fi
# The board's build script builds the fixture plugins with the cargo that runs it:
# here the nightly one, which needs its own wasm32 standard library.
rustup +nightly target add wasm32-unknown-unknown >/dev/null 2>&1 || {
  echo "error: cannot add wasm32-unknown-unknown to the nightly toolchain:" >&2
  echo "  rustup +nightly target add wasm32-unknown-unknown" >&2
  exit 1
}
rustup component add llvm-tools >/dev/null 2>&1
need qemu-system-arm "install it with scripts/setup.sh (apt-get install qemu-system-arm)"
need qemu-system-riscv32 "install it with scripts/setup.sh (apt-get install qemu-system-misc)"
need defmt-print "run ./targets/qemu-test.sh once (it installs it), or cargo install defmt-print --locked"
bin=$(rustc --print sysroot)/lib/rustlib/$(rustc -vV | sed -n 's/^host: //p')/bin
size_tool=$bin/llvm-size
nightly=$(rustc +nightly -V)

# The levers, in the order --levers adds them. The profile is the first three.
lever_names=(
  "build-std (panic = abort)"
  "+ -Cpanic=immediate-abort"
  "+ -Zfmt-debug=none (the profile)"
  "+ optimize_for_size (not in the profile)"
  "+ -Zlocation-detail=none (not in the profile)"
)
lever_rustflags=(
  ""
  "-Zunstable-options -Cpanic=immediate-abort"
  "-Zunstable-options -Cpanic=immediate-abort -Zfmt-debug=none"
  "-Zunstable-options -Cpanic=immediate-abort -Zfmt-debug=none"
  "-Zunstable-options -Cpanic=immediate-abort -Zfmt-debug=none -Zlocation-detail=none"
)
lever_std_features=("" "" "" optimize_for_size optimize_for_size)
profile_rustflags=${lever_rustflags[2]}
profile_std_features=${lever_std_features[2]}

# build TARGET_DIR PACKAGE TARGET BIN RUSTFLAGS STD_FEATURES CARGO_ARGS...
build() {
  local dir=$1 package=$2 target=$3 bin_name=$4 flags=$5 std_features=$6
  shift 6
  local std=(-Zbuild-std=core,alloc)
  [ -n "$std_features" ] && std+=("-Zbuild-std-features=$std_features")
  # Target rustflags from the environment add to .cargo/config.toml's (the linker
  # scripts) and apply to core and alloc; the nested plugin build does not get them.
  local var
  var=CARGO_TARGET_$(echo "$target" | tr 'a-z-' 'A-Z_')_RUSTFLAGS
  env "$var=$flags" cargo +nightly build --release --locked -p "$package" \
    --target "$target" --bin "$bin_name" "$@" "${std[@]}" --target-dir "$dir"
}

flash_of() {
  local elf=$1
  sect() { "$size_tool" -A "$elf" | awk -v s="$1" '$1 == s { n = $2 } END { print n + 0 }'; }
  echo $(( $(sect .vector_table) + $(sect .init) + $(sect .init.rust) + $(sect .trap) + $(sect .text) + $(sect .rodata) + $(sect .srodata) + $(sect .eh_frame) + $(sect .data) + $(sect .sdata) ))
}
# KiB, or the word as it is (a failure).
kib() {
  if [[ $1 =~ ^-?[0-9]+$ ]]; then
    awk -v b="$1" 'BEGIN { printf "%.1f KiB", b / 1024 }'
  else
    echo "$1"
  fi
}

failed=0
# run BOARD ELF LOG: runs the image; prints "FLASH RUNTIME_FLASH" in bytes, or
# "FAIL(status) -" (run in a subshell: the caller records the failure).
run() {
  local board=$1 elf=$2 log=$3 status modules flash
  echo "== $board $elf" >&2
  set +e
  ./run-qemu.sh "$board" "$elf" >"$log" 2>&1
  status=$?
  set -e
  modules=$(sed -n 's/.*figures: .*embedded_modules=\([0-9]*\).*/\1/p' "$log" | tail -1)
  if [ "$status" -ne 0 ] || [ -z "$modules" ] || ! grep -q "dispatch=portable" "$log"; then
    echo "error: $board $elf failed (exit $status); log in targets/$log" >&2
    echo "FAIL($status) -"
    return
  fi
  flash=$(flash_of "$elf")
  echo "$flash $((flash - modules))"
}

out=target/nightly-size
mkdir -p "$out"
rows=()
if [ "$levers" -eq 1 ]; then
  for i in "${!lever_names[@]}"; do
    dir=$out/lever-$i
    build "$dir" caplet-mps2-an386 thumbv7em-none-eabihf minimal \
      "${lever_rustflags[$i]}" "${lever_std_features[$i]}" --no-default-features --features validate
    read -r flash runtime < <(run mps2-an386 "$dir/thumbv7em-none-eabihf/release/minimal" "$out/lever-$i.log")
    [ "$runtime" = - ] && failed=1
    rows+=("| ${lever_names[$i]} | $(kib "$flash") | $(kib "$runtime") |")
  done
fi

# board, target, package, image, target dir, features, stable ELF
images=(
  "mps2-an386 thumbv7em-none-eabihf caplet-mps2-an386 minimal lean validate target/lean"
  "mps2-an386 thumbv7em-none-eabihf caplet-mps2-an386 minimal-pinned pinned static-messages target/pinned"
  "riscv-virt riscv32imac-unknown-none-elf caplet-riscv-virt minimal lean validate target/lean"
)
table=()
for entry in "${images[@]}"; do
  read -r board target package image sub features stable_dir <<<"$entry"
  feature_args=(--no-default-features)
  [ "$features" != - ] && feature_args+=(--features "$features")
  # The pinned image's size settings, as qemu-test.sh builds it.
  [ "$sub" = pinned ] && feature_args+=(--config pinned-size.toml)
  build "$out/$sub" "$package" "$target" minimal "$profile_rustflags" "$profile_std_features" "${feature_args[@]}"
  read -r flash runtime < <(run "$board" "$out/$sub/$target/release/minimal" "$out/$board-$image.log")
  [ "$runtime" = - ] && failed=1
  # The stable image as qemu-test.sh last built it, if it did.
  sflash="not built"; sruntime=-; gain=-
  if [ -f "$stable_dir/$target/release/minimal" ]; then
    read -r sflash sruntime < <(run "$board" "$stable_dir/$target/release/minimal" "$out/$board-$image-stable.log")
    if [ "$sruntime" != - ] && [ "$runtime" != - ]; then gain=$((sruntime - runtime)); fi
  fi
  table+=("| $board | $image | $(kib "$flash") | $(kib "$runtime") | $(kib "$sflash") | $(kib "$sruntime") | $(kib "$gain") |")
done

echo
echo "Nightly size profile ($nightly), measured $(date -u +%Y-%m-%d)."
echo "Flash = vector table + text + rodata + data; runtime flash = flash minus the embedded modules."
echo
echo "| board | image | nightly flash | nightly runtime flash | stable flash | stable runtime flash | runtime flash saved |"
echo "|---|---|---|---|---|---|---|"
printf '%s\n' "${table[@]}"
if [ "$levers" -eq 1 ]; then
  echo
  echo "Each lever on mps2-an386 \`minimal\` (validating), adding to the one above:"
  echo
  echo "| lever | flash | runtime flash |"
  echo "|---|---|---|"
  printf '%s\n' "${rows[@]}"
fi
if [ "$failed" -ne 0 ]; then
  echo "error: an image failed under QEMU" >&2
  exit 1
fi
