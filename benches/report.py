#!/usr/bin/env python3
"""Writes BENCHMARKS.md from criterion's results of the `suite` bench.

Reads every `<criterion dir>/**/new/benchmark.json` (ids) and the `estimates.json`
beside it (median point estimate, nanoseconds), the idle-memory JSON printed by
`suite --idle-memory`, and static notes; prints nothing but errors.

Usage: report.py --criterion DIR --memory FILE (the JSON of `suite --measure`) --root REPO --target DIR --out FILE
                 [--build-seconds N] [--build-note TEXT] [--args TEXT]
"""

import argparse
import datetime
import json
import os
import platform
import re
import subprocess
import sys


def load_medians(criterion_dir):
    """{(group, function, parameter or None): median ns}."""
    medians = {}
    for dirpath, _dirs, files in os.walk(criterion_dir):
        if os.path.basename(dirpath) != "new" or "benchmark.json" not in files:
            continue
        with open(os.path.join(dirpath, "benchmark.json")) as f:
            bench = json.load(f)
        with open(os.path.join(dirpath, "estimates.json")) as f:
            est = json.load(f)
        key = (bench["group_id"], bench.get("function_id"), bench.get("value_str"))
        medians[key] = est["median"]["point_estimate"]
    return medians


def fmt_time(ns):
    if ns is None:
        return "—"
    for unit, scale in (("s", 1e9), ("ms", 1e6), ("µs", 1e3)):
        if ns >= scale:
            return f"{ns / scale:.3g} {unit}"
    return f"{ns:.3g} ns"


def fmt_bytes(n):
    if n is None:
        return "—"
    for unit, scale in (("MiB", 1 << 20), ("KiB", 1 << 10)):
        if n >= scale:
            return f"{n / scale:.3g} {unit}"
    return f"{n} B"


def ratio(a, b):
    if a is None or b is None or b == 0:
        return None
    return a / b


def fmt_ratio(r, digits=2):
    return "—" if r is None else f"{r:.{digits}f}×"


def cpu_model():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def mem_total():
    try:
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemTotal:"):
                    kib = int(line.split()[1])
                    return f"{kib / (1 << 20):.0f} GiB"
    except OSError:
        pass
    return "unknown"


def lock_versions(root, names):
    """Versions of packages in Cargo.lock (all versions, comma-separated)."""
    found = {n: [] for n in names}
    try:
        text = open(os.path.join(root, "Cargo.lock")).read()
    except OSError:
        return {n: "unknown" for n in names}
    for m in re.finditer(r'\[\[package\]\]\nname = "([^"]+)"\nversion = "([^"]+)"', text):
        if m.group(1) in found:
            found[m.group(1)].append(m.group(2))
    return {n: ", ".join(v) if v else "not in Cargo.lock" for n, v in found.items()}


def command(*args):
    try:
        return subprocess.run(args, capture_output=True, text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--criterion", required=True)
    ap.add_argument("--memory", required=True)
    ap.add_argument("--root", required=True)
    ap.add_argument("--target", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--build-seconds", type=float)
    ap.add_argument("--build-note", default="")
    ap.add_argument("--args", default="")
    ap.add_argument("--wasm3", help="JSON printed by benches/wasm3.sh")
    ap.add_argument("--instructions", help="JSON printed by benches/instructions.sh")
    ap.add_argument("--load-before", help="/proc/loadavg before the timed run")
    ap.add_argument("--load-after", help="/proc/loadavg after the timed run")
    a = ap.parse_args()

    m = load_medians(a.criterion)
    if not m:
        sys.exit(f"no criterion results under {a.criterion}")

    def get(group, function, param=None):
        return m.get((group, function, param))

    try:
        with open(a.memory) as f:
            measured = json.load(f)
    except (OSError, ValueError):
        measured = {}
    memory = measured.get("idle_memory", {})
    fuel_counts = measured.get("fuel", {})
    wasm3 = {}
    if a.wasm3 and os.path.exists(a.wasm3):
        with open(a.wasm3) as f:
            wasm3 = json.load(f)
    wasm3_ns = wasm3.get("ns_per_call")
    instr = {}
    if a.instructions and os.path.exists(a.instructions):
        try:
            with open(a.instructions) as f:
                instr = json.load(f)
        except ValueError as e:
            print(f"report.py: {a.instructions}: {e}; no instruction counts", file=sys.stderr)
    instr_keys = ["caplet", "caplet_entry", "caplet_into", "raw_wasmi", "raw_wasmi_fuel",
                  "raw_wasmi_into", "raw_wasmi_fuel_into", "compute_caplet_fuel",
                  "compute_raw_wasmi", "compute_raw_wasmi_fuel", "host_calls_caplet",
                  "host_calls_raw_wasmi", "instantiate_caplet", "instantiate_raw_wasmi"]
    missing = [k for k in instr_keys if not isinstance(instr.get(k), int)]
    if instr and missing:
        print(f"report.py: instruction counts lack {', '.join(missing)}; not used",
              file=sys.stderr)
        instr = {}

    def iratio(a_key, b_key):
        return ratio(instr.get(a_key), instr.get(b_key))

    def load1(text):
        try:
            return float(text.split()[0])
        except (AttributeError, IndexError, ValueError):
            return None
    load_before, load_after = load1(a.load_before), load1(a.load_after)

    out = []
    w = out.append
    now = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    versions = lock_versions(a.root, ["wasmi", "wasmtime", "extism", "criterion"])
    w("# Benchmarks")
    w("")
    w("Caplet against its floor (raw wasmi on the same module, the same Rust function")
    w("compiled natively) and against Extism, each ratio taken from figures of the same")
    w("run. Generated by `benches/run.sh`; medians of criterion's samples in a short mode,")
    w("so expect a few percent of noise between runs. Re-run on a quiet machine for")
    w("figures to quote.")
    w("")
    w(f"- Date: {now}")
    w(f"- Commit: `{command('git', '-C', a.root, 'rev-parse', '--short', 'HEAD')}`")
    w(f"- Machine: {cpu_model()}, {os.cpu_count()} logical cores, {mem_total()} RAM,"
      f" {platform.system()} {platform.machine()}")
    w(f"- Toolchain: {command('rustc', '-V')}")
    w(f"- Crates (Cargo.lock): wasmi {versions['wasmi']}; extism {versions['extism']};"
      f" wasmtime {versions['wasmtime']}; criterion {versions['criterion']}")
    w(f"- Criterion options: `{a.args}`")
    if load_before is not None and load_after is not None:
        busy = max(load_before, load_after) > 0.5
        w(f"- Load average (1 min) before / after the timed run: {load_before:.2f} /"
          f" {load_after:.2f}: the machine was {'**not quiet**' if busy else 'quiet'}"
          f" (2 cores; the bench itself adds about 1.0). Extism's figures move"
          f" with the load far more than Caplet's and raw wasmi's.")
    if a.build_seconds is not None and a.build_seconds >= 30:
        w(f"- Build of the bench binary in this run: {a.build_seconds:.0f} s"
          f" {a.build_note}".rstrip())
    w("")
    w("Build settings: the `bench` profile is the workspace's `release` profile (fat LTO,")
    w("`codegen-units = 1`, `panic = \"abort\"`), the settings Caplet ships with; Extism")
    w("and wasmtime are built with the same settings in the same binary. The dispatcher is")
    w("the one the `caplet` binary ships on this machine (caplet-core's default")
    w("`auto-dispatch`: wasmi's tail-call dispatcher on an optimised x86_64/aarch64 build);")
    w("cargo unifies features, so the raw-wasmi baselines use the same dispatcher as Caplet.")
    w("")

    # ---- Targets -------------------------------------------------------------------
    floor = ratio(get("echo", "caplet_floor", "64"), get("echo", "raw_wasmi_floor", "64"))
    floor_entry = ratio(get("echo", "caplet_floor_entry", "64"), get("echo", "raw_wasmi_floor", "64"))
    floor_into = ratio(get("echo", "caplet_floor_into", "64"), get("echo", "raw_wasmi_floor_into", "64"))
    kit = ratio(get("echo", "caplet", "64"), get("echo", "caplet_floor", "64"))
    small_ext = ratio(get("echo", "extism", "64"), get("echo", "caplet", "64"))
    bulk = ratio(get("echo", "caplet", "65536"), get("echo", "extism", "65536"))
    fuel = ratio(get("compute", "caplet_fuel"), get("compute", "raw_wasmi"))
    vs_wasm3 = ratio(wasm3_ns, get("compute", "caplet_fuel"))
    inst = ratio(get("instantiate", "caplet"), get("instantiate", "raw_wasmi"))
    host = ratio(get("host_calls", "caplet"), get("host_calls", "raw_wasmi"))
    cold = ratio(get("cold_start", "caplet"), get("cold_start", "extism"))

    def verdict(value, ok):
        if value is None:
            return "not measured"
        return "**met**" if ok(value) else "**missed**"

    # Caplet against raw wasmi: the instruction counts of benches/instructions.sh
    # (callgrind) decide, where they were taken; the timings are shown beside them.
    counted = {
        "floor": iratio("caplet", "raw_wasmi"),
        "floor_entry": iratio("caplet_entry", "raw_wasmi"),
        "floor_into": iratio("caplet_into", "raw_wasmi_into"),
        "inst": iratio("instantiate_caplet", "instantiate_raw_wasmi"),
        "host": iratio("host_calls_caplet", "host_calls_raw_wasmi"),
        "fuel": iratio("compute_caplet_fuel", "compute_raw_wasmi"),
    }
    with_fuel = {
        "floor": iratio("caplet", "raw_wasmi_fuel"),
        "floor_entry": iratio("caplet_entry", "raw_wasmi_fuel"),
        "floor_into": iratio("caplet_into", "raw_wasmi_fuel_into"),
        "fuel": iratio("compute_caplet_fuel", "compute_raw_wasmi_fuel"),
    }

    def raw_row(label, key, timed, goal):
        n = counted.get(key)
        decide = n if n is not None else timed
        fuel_txt = ""
        if with_fuel.get(key) is not None:
            fuel_txt = f"; {fmt_ratio(with_fuel[key], 3)} of raw wasmi with fuel"
        counts = "—" if n is None else f"{fmt_ratio(n, 3)}{fuel_txt}"
        w(f"| {label} | {fmt_ratio(timed, 3)} | {counts} |"
          f" {verdict(decide, lambda r: r <= goal)} |")

    w("## Targets")
    w("")
    if instr:
        w("Caplet against raw wasmi is decided by instructions executed (callgrind,")
        w("`benches/instructions.sh` on the same binary, in this run): they do not move")
        w("with the machine, while these timings move between runs of one binary on a")
        w("shared machine, by up to 40% on the machine of 2026-12-01's fifth session")
        w("(each LTO build lays wasmi's handlers out anew, and a busy sibling core slows")
        w("an interpreter's dispatch more than native code). The counts miss cache")
        w("misses and count a `rep movsb` copy as one instruction: instantiation spends")
        w("its time there, so read its timing too. Against Extism and wasm3 the timings")
        w("decide.")
        w("")
    w("| target | time | instructions | |")
    w("| --- | --- | --- | --- |")
    raw_row("Caplet ≤ 1.10× raw wasmi on the floor echo (64 B)", "floor", floor, 1.10)
    if floor_entry is not None:
        raw_row("the same through an `Entry` looked up once (as raw wasmi's `TypedFunc`)",
                "floor_entry", floor_entry, 1.10)
    if floor_into is not None:
        raw_row("the same into a buffer kept across calls (`call_entry_into`; raw wasmi likewise)",
                "floor_into", floor_into, 1.10)
    raw_row("Caplet ≤ 1.10× raw wasmi on instantiation", "inst", inst, 1.10)
    raw_row("Caplet ≤ 1.10× raw wasmi on host calls (10,000 `kv_get`)", "host", host, 1.10)
    raw_row("compute with fuel ≤ 1.05× raw wasmi without fuel", "fuel", fuel, 1.05)
    w(f"| the kit's echo ≤ 2× the floor echo's time | {fmt_ratio(kit, 3)} | — |"
      f" {verdict(kit, lambda r: r <= 2)} |")
    quiet = "" if load_before is None else f" (load {max(load_before, load_after or 0):.1f})"
    w(f"| echo 64 B ≥ 8× faster than Extism on a quiet machine{quiet} | {fmt_ratio(small_ext, 3)} faster | — |"
      f" {verdict(small_ext, lambda r: r >= 8)} |")
    w(f"| echo 64 KiB no slower than Extism (Caplet/Extism ≤ 1) | {fmt_ratio(bulk, 3)} | — |"
      f" {verdict(bulk, lambda r: r <= 1)} |")
    w(f"| compute with fuel ≥ 1.3× faster than wasm3 | {fmt_ratio(vs_wasm3, 3)} faster | — |"
      f" {verdict(vs_wasm3, lambda r: r >= 1.3)} |")
    cold_txt = f"{fmt_ratio(cold, 4)} (1/{1 / cold:.0f})" if cold else "—"
    w(f"| cold start ≤ 1/20 of Extism's (Caplet/Extism ≤ 0.05) | {cold_txt} | — |"
      f" {verdict(cold, lambda r: r <= 0.05)} |")
    w("")
    if instr:
        w("Instructions per call (or per instance), this run: floor echo"
          f" {instr['caplet']:,} by name, {instr['caplet_entry']:,} through an `Entry`,"
          f" {instr['caplet_into']:,} into a kept buffer, against raw wasmi's"
          f" {instr['raw_wasmi']:,} ({instr['raw_wasmi_fuel']:,} with fuel) and"
          f" {instr['raw_wasmi_into']:,} into a buffer ({instr['raw_wasmi_fuel_into']:,}"
          f" with fuel); `count_primes(20000)` {instr['compute_caplet_fuel']:,} against"
          f" {instr['compute_raw_wasmi']:,} ({instr['compute_raw_wasmi_fuel']:,} with fuel);"
          f" 10,000 `kv_get` {instr['host_calls_caplet']:,} against"
          f" {instr['host_calls_raw_wasmi']:,}; an instance"
          f" {instr['instantiate_caplet']:,} against {instr['instantiate_raw_wasmi']:,}.")
    else:
        w("The floor-echo rows time a call of about 120 ns: their ratios move by up to")
        w("±10% between runs of one binary (alignment of each copy of the interpreter).")
        w("The stable figures for them are the instruction counts of")
        w("`benches/instructions.sh` (valgrind was not found for this run).")
    w("")
    w("Where a target is missed, see *Where the time goes* below.")
    w("")

    # ---- Tables --------------------------------------------------------------------
    w("## Results")
    w("")
    w("### Calls: echo entry, output copied out (`echo/*`)")
    w("")
    w("| input | Caplet | raw wasmi | Extism | Caplet / raw wasmi | Extism / Caplet |")
    w("| --- | --- | --- | --- | --- | --- |")
    for size, label in (("64", "64 B"), ("4096", "4 KiB"), ("65536", "64 KiB")):
        cap, raw, ext = (get("echo", f, size) for f in ("caplet", "raw_wasmi", "extism"))
        w(f"| {label} | {fmt_time(cap)} | {fmt_time(raw)} | {fmt_time(ext)} |"
          f" {fmt_ratio(ratio(cap, raw))} | {fmt_ratio(ratio(ext, cap))} |")
    w("")
    w("The floor and the kit (64 B, same run): the floor plugin is hand-written WAT (a bump")
    w("`caplet_alloc`, an echo returning its input); `caplet` is the kit's `Output` form,")
    w("`caplet_vec` its easy `Vec` form, `caplet_small` the small-plugin mode (`small_echo`).")
    w("")
    w("| call | median | vs floor on Caplet | vs raw wasmi on the floor |")
    w("| --- | --- | --- | --- |")
    fl_cap, fl_raw = get("echo", "caplet_floor", "64"), get("echo", "raw_wasmi_floor", "64")
    for fid, label in (("raw_wasmi_floor", "floor on raw wasmi"),
                       ("caplet_floor", "floor on Caplet"),
                       ("caplet_floor_entry", "floor on Caplet, through an `Entry`"),
                       ("raw_wasmi_floor_into", "floor on raw wasmi, into a kept buffer"),
                       ("caplet_floor_into", "floor on Caplet, `call_entry_into` a kept buffer"),
                       ("caplet", "kit, `Output` form"),
                       ("caplet_vec", "kit, `Vec` form"),
                       ("caplet_small", "kit, small-plugin mode")):
        v = get("echo", fid, "64")
        w(f"| {label} | {fmt_time(v)} | {fmt_ratio(ratio(v, fl_cap))} | {fmt_ratio(ratio(v, fl_raw))} |")
    raw_fuel = get("echo", "raw_wasmi_fuel", "64")
    if raw_fuel is not None:
        w("")
        w(f"Diagnostic: raw wasmi with fuel metering on (`echo/raw_wasmi_fuel/64`):"
          f" {fmt_time(raw_fuel)}, {fmt_ratio(ratio(raw_fuel, get('echo', 'raw_wasmi', '64')))}"
          f" of raw wasmi without fuel.")
    w("")

    w("### Cold start: read + SHA-256 + compile + instantiate + first call (`cold_start/*`)")
    w("")
    w("| runtime | module | median | vs Caplet |")
    w("| --- | --- | --- | --- |")
    cap = get("cold_start", "caplet")
    wasm_dirs = {
        "compute": os.path.join(a.target, "plugins", "wasm32-unknown-unknown", "release"),
        "json_transform": os.path.join(a.target, "plugins", "wasm32-unknown-unknown",
                                       "release"),
        "extism_compute": os.path.join(a.target, "bench-plugins", "wasm32-unknown-unknown",
                                       "release"),
    }
    sizes = {}
    for name, d in wasm_dirs.items():
        try:
            sizes[name] = os.path.getsize(os.path.join(d, name + ".wasm"))
        except OSError:
            pass
    for fid, label, module in (
        ("caplet", "Caplet (new runtime, compile)", "compute"),
        ("caplet_warm_cache", "Caplet, warm compile cache (no compile)", "compute"),
        ("caplet_json_transform", "Caplet (new runtime, compile), larger module",
         "json_transform"),
        ("extism", "Extism (wasmtime cache off)", "extism_compute"),
    ):
        v = get("cold_start", fid)
        size = sizes.get(module)
        module_label = f"`{module}` ({fmt_bytes(size)})" if size else f"`{module}`"
        w(f"| {label} | {module_label} | {fmt_time(v)} | {fmt_ratio(ratio(v, cap))} |")
    w("")

    w("### Instantiate from a compiled module (`instantiate/*`)")
    w("")
    w("| runtime | median | vs raw wasmi | vs Caplet |")
    w("| --- | --- | --- | --- |")
    raw = get("instantiate", "raw_wasmi")
    cap = get("instantiate", "caplet")
    for fid, label in (("caplet", "Caplet `Plugin::instantiate`"),
                       ("raw_wasmi", "raw wasmi `instantiate_and_start`"),
                       ("extism", "Extism `Plugin::new_from_compiled`")):
        v = get("instantiate", fid)
        w(f"| {label} | {fmt_time(v)} | {fmt_ratio(ratio(v, raw))} | {fmt_ratio(ratio(v, cap))} |")
    w("")

    w("### One Extism plugin on both hosts (`extism_plugin/*`)")
    w("")
    w("The `extism_kit` fixture (built with extism-pdk 1.4 from crates.io, at opt-level 3")
    w("as `cargo build --release` builds a plugin), the same")
    w("`.wasm` on Caplet's Extism profile (wasmi, fuel on, Extism memory in Caplet's")
    w("wasm kernel) and on Extism (wasmtime, Cranelift). Goals of issue 14: small")
    w("calls at least 2× faster than Extism, 4 KiB no slower, cold start at least 40×")
    w("faster.")
    w("")
    w("| measurement | Caplet | Extism | Extism ÷ Caplet | goal |")
    w("| --- | --- | --- | --- | --- |")
    for fn, param, label, goal in (
        ("count_vowels", "13", "count_vowels, 13 B", 2.0),
        ("count_vowels", "4096", "count_vowels, 4 KiB", 1.0),
        ("echo", "64", "echo, 64 B", 2.0),
        ("echo", "65536", "echo, 64 KiB", None),
        ("instantiate", None, "instantiate (compiled module)", None),
        ("cold_start", None, "cold start (read, load, instantiate, first call)", 40.0),
    ):
        c = get("extism_plugin", f"{fn}/caplet", param)
        e = get("extism_plugin", f"{fn}/extism", param)
        r = ratio(e, c)
        if goal is None:
            g = "—"
        elif r is None:
            g = "not measured"
        else:
            g = f"≥ {goal:g}×: " + ("met" if r >= goal else "missed")
        w(f"| {label} | {fmt_time(c)} | {fmt_time(e)} | {fmt_ratio(r)} | {g} |")
    w("")
    w("Where the time goes is in benches/notes.md (\"Extism plugins\").")
    w("")

    w("### Compute: primes below 20,000 by trial division (`compute/*`)")
    w("")
    w("| variant | median | vs raw wasmi (fuel off) | vs native |")
    w("| --- | --- | --- | --- |")
    raw = get("compute", "raw_wasmi")
    nat = get("compute", "native")
    for fid, label in (("caplet_fuel", "Caplet, fuel on, typed `count_primes`"),
                       ("caplet_fuel_entry", "Caplet, fuel on, entry `primes`"),
                       ("raw_wasmi", "raw wasmi, fuel off"),
                       ("raw_wasmi_fuel", "raw wasmi, fuel on"),
                       ("native", "native Rust")):
        v = get("compute", fid)
        w(f"| {label} | {fmt_time(v)} | {fmt_ratio(ratio(v, raw))} | {fmt_ratio(ratio(v, nat))} |")
    if wasm3_ns is not None:
        label = f"{wasm3.get('runtime', 'wasm3')} (`cc -O3 -DNDEBUG`, benches/wasm3.sh), no fuel"
        w(f"| {label} | {fmt_time(wasm3_ns)} | {fmt_ratio(ratio(wasm3_ns, raw))} | {fmt_ratio(ratio(wasm3_ns, nat))} |")
    w("")

    w("### Host calls: one call making 10,000 `kv_get` (`host_calls/*`)")
    w("")
    w("| host | median (10,000 calls) | per host call | vs raw wasmi |")
    w("| --- | --- | --- | --- |")
    raw = get("host_calls", "raw_wasmi")
    for fid, label in (("caplet", "Caplet, in-memory KV"),
                       ("raw_wasmi", "raw wasmi, `HashMap` lookup")):
        v = get("host_calls", fid)
        per = None if v is None else v / 10_000
        w(f"| {label} | {fmt_time(v)} | {fmt_time(per)} | {fmt_ratio(ratio(v, raw))} |")
    w("")

    w("### Application functions: one call making 10,000 host calls (`app_calls/*`)")
    w("")
    w("An application function against the built-in import of the same shape, same run.")
    w("")
    w("| host call | median (10,000 calls) | per host call | vs built-in |")
    w("| --- | --- | --- | --- |")
    for fid, label, base in (("bytes_builtin", "`caplet.config_get` (bytes in, bytes out)", "bytes_builtin"),
                             ("bytes_app", "application bytes function", "bytes_builtin"),
                             ("numbers_builtin", "`caplet.clock_now` (numbers only)", "numbers_builtin"),
                             ("numbers_app", "application numbers function", "numbers_builtin")):
        v = get("app_calls", fid)
        per = None if v is None else v / 10_000
        w(f"| {label} | {fmt_time(v)} | {fmt_time(per)} | {fmt_ratio(ratio(v, get('app_calls', base)))} |")
    w("")

    w("### Running `/bin/true` (`exec/*`)")
    w("")
    w("| path | median | vs native spawn |")
    w("| --- | --- | --- |")
    nat = get("exec", "native")
    for fid, label in (("caplet", "a guest call of `caplet.exec` (JSON, checks, spawn, poll loop)"),
                       ("native", "`std::process::Command` in the host")):
        v = get("exec", fid)
        w(f"| {label} | {fmt_time(v)} | {fmt_ratio(ratio(v, nat))} |")
    w("")

    w("### Memory per idle instance (`suite --measure`)")
    w("")
    w("Resident-set growth (`/proc/self/statm`) while 1,000 instances of the echo plugin")
    w("are created and kept alive, each runtime in its own process, after one warm-up")
    w("instance.")
    w("")
    w("| runtime | growth for 1,000 | per instance | vs Caplet |")
    w("| --- | --- | --- | --- |")
    cap_mem = memory.get("caplet", {}).get("bytes_per_instance")
    for rid, label in (("caplet", "Caplet"), ("raw_wasmi", "raw wasmi (same module)"),
                       ("caplet_small", "Caplet, `small_echo` (small-plugin mode, 1-byte pages)"),
                       ("extism", "Extism")):
        e = memory.get(rid, {})
        per = e.get("bytes_per_instance")
        growth = None
        if "rss_after" in e:
            growth = max(0, e["rss_after"] - e["rss_before"])
        w(f"| {label} | {fmt_bytes(growth)} | {fmt_bytes(per)} | {fmt_ratio(ratio(per, cap_mem))} |")
    w("")

    if fuel_counts:
        w("### Guest work per call (fuel, about one unit per wasm instruction; `suite --measure`)")
        w("")
        w("| call | fuel |")
        w("| --- | --- |")
        w(f"| echo 64 B, kit `Output` form | {fuel_counts.get('echo_64', '—')} |")
        w(f"| echo 64 B, kit `Vec` form | {fuel_counts.get('echo_vec_64', '—')} |")
        w(f"| echo 64 B, kit small-plugin mode | {fuel_counts.get('small_echo_64', '—')} |")
        w(f"| echo 64 B, WAT floor | {fuel_counts.get('floor_64', '—')} |")
        w(f"| echo 64 KiB | {fuel_counts.get('echo_65536', '—')} |")
        w(f"| primes below 20,000 | {fuel_counts.get('primes_20000', '—')} |")
        calls = fuel_counts.get("kv_get_10000_host_calls")
        kv = fuel_counts.get("kv_get_10000")
        per = f" ({kv / calls:.0f} per host call)" if kv and calls else ""
        w(f"| 10,000 `kv_get` ({calls} host calls) | {kv}{per} |")
        w("")

    # ---- Notes and firmware --------------------------------------------------------
    notes = os.path.join(a.root, "benches", "notes.md")
    if os.path.exists(notes):
        w(open(notes).read().rstrip())
        w("")

    w("## Firmware")
    w("")
    fw = os.path.join(a.root, "targets", "target", "firmware-figures.md")
    if os.path.exists(fw):
        w(open(fw).read().rstrip())
    else:
        w("No firmware figures yet: run `targets/qemu-test.sh` to add them, then")
        w("`benches/run.sh` again.")
    w("")

    # The load benchmark of `caplet serve` (benches/serve-load.sh) writes its own
    # block between markers: keep the one the report had.
    begin, end = "<!-- serve-load:begin -->", "<!-- serve-load:end -->"
    if os.path.exists(a.out):
        old = open(a.out).read()
        if begin in old and end in old:
            block = old[old.index(begin) : old.index(end) + len(end)]
            w(block)
            w("")

    with open(a.out, "w") as f:
        f.write("\n".join(out))


if __name__ == "__main__":
    main()
