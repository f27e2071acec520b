#!/usr/bin/env python3
"""Renders serve-load.json (benches/serve-load.sh) as a Markdown section and puts it
into BENCHMARKS.md between the serve-load markers (appended when they are absent)."""
import json
import sys

BEGIN = "<!-- serve-load:begin -->"
END = "<!-- serve-load:end -->"


def main():
    data = json.load(open(sys.argv[1]))
    path = sys.argv[2]
    rows = data["results"]
    by = {(r["target"], r["concurrency"]): r for r in rows}
    floor = "raw wasmi floor"
    lines = [
        BEGIN,
        "## `caplet serve` under load (issue 15)",
        "",
        "`POST /v1/runs` of the 64-byte echo, waited for, over keep-alive HTTP/1.1",
        f"connections; {data['seconds']} s per figure after a 0.5 s warm-up; the load",
        "generator on the same 2-core machine (one thread). Floors on the same HTTP",
        "stack (hyper, axum, serde_json): answering a constant, and running the echo on",
        "raw wasmi on two worker threads. `caplet serve`: two workers, default",
        "settings (SQLite with `--durability process`, confinement on); the replicas",
        "share one PostgreSQL (`synchronous_commit=off`), the load split over both.",
        "CPU per run is the server processes' user + system time (PostgreSQL's own",
        "CPU is not in it). Where the time goes: benches/notes.md, \"caplet serve under",
        "load\". Produced by",
        "`benches/serve-load.sh`;" + f" load average after the run: {data['loadavg_after']}.",
        "",
        "| target | concurrency | runs/s | p50 | p99 | vs raw-wasmi floor | RSS | CPU per run |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for r in rows:
        base = by.get((floor, r["concurrency"]))
        ratio = (
            f"{r['runs_per_s'] / base['runs_per_s']:.2f}×"
            if base and base["runs_per_s"] > 0
            else "—"
        )
        err = f" ({r['errors']} errors)" if r["errors"] else ""
        lines.append(
            f"| {r['target']}{err} | {r['concurrency']} | {r['runs_per_s']:,.0f} | "
            f"{r['p50_us'] / 1000:.2f} ms | {r['p99_us'] / 1000:.2f} ms | {ratio} | "
            f"{r['rss_kib'] / 1024:.1f} MiB | {r['cpu_us_per_run']:.0f} µs |"
        )
    lines += ["", END]
    section = "\n".join(lines)
    text = open(path).read()
    if BEGIN in text and END in text:
        head, rest = text.split(BEGIN, 1)
        _, tail = rest.split(END, 1)
        text = head + section + tail
    else:
        text = text.rstrip("\n") + "\n\n" + section + "\n"
    open(path, "w").write(text)


if __name__ == "__main__":
    main()
