#!/usr/bin/env python3
"""Summarise tact-workloads RESULT lines from several rounds.

Reads lines like
    RESULT workload=pingpong framework=tact metric=rtt_ns value=106.2 unit=ns
from the files given, and prints per (workload, metric) the median (min-max) over
the rounds, next to the reference figures of the tokio task+mpsc+oneshot pattern
that issue 3 quotes for this machine class (quoted, not re-measured in this run:
the peers run side by side arrive with the peer comparison).
"""
import argparse
import re
import statistics
import sys
from collections import defaultdict

LINE = re.compile(r"^RESULT workload=(\S+) framework=(\S+) metric=(\S+) value=(\S+) unit=(\S+)$")

# (workload, metric) -> (value, unit, higher_is_better)
TOKIO_REFERENCE = {
    ("pingpong", "rtt_ns"): (410.0, "ns", False),
    ("ask_ext", "p50_ns"): (10_000.0, "ns", False),
    ("ask_ext", "p99_ns"): (31_000.0, "ns", False),
    ("fanin", "rate"): (6.3e6, "msgs/s", True),
    ("ring", "rate"): (6.7e6, "hops/s", True),
    ("skynet", "ms"): (929.0, "ms", False),
    ("pairs", "rate"): (13.9e6, "msgs/s", True),
    ("idle_mem", "bytes_per_actor"): (936.0, "bytes", False),
}


def fmt(v):
    if v >= 1e6:
        return f"{v / 1e6:.2f}M"
    if v >= 1e4:
        return f"{v / 1e3:.1f}k"
    return f"{v:.1f}"


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("files", nargs="+")
    ap.add_argument("--out", help="also write the table (Markdown) here")
    ap.add_argument("--scale", type=float, default=1.0,
                    help="the --scale the rounds ran at; the reference applies at 1 only")
    args = ap.parse_args()

    values = defaultdict(list)
    units = {}
    order = []
    for path in args.files:
        with open(path) as f:
            for line in f:
                m = LINE.match(line.strip())
                if not m:
                    continue
                workload, framework, metric, value, unit = m.groups()
                key = (workload, framework, metric)
                if key not in values:
                    order.append(key)
                values[key].append(float(value))
                units[key] = unit
    if not values:
        print("workloads_report: no RESULT lines found", file=sys.stderr)
        return 1

    rows = ["| workload | metric | tact median (min-max) | rounds | tokio pattern (reference) | tact vs reference |",
            "|---|---|---|---|---|---|"]
    for key in order:
        workload, framework, metric = key
        vs = values[key]
        med = statistics.median(vs)
        cell = f"{fmt(med)} ({fmt(min(vs))}-{fmt(max(vs))}) {units[key]}"
        ref = TOKIO_REFERENCE.get((workload, metric)) if args.scale == 1.0 else None
        if ref:
            ref_value, ref_unit, higher_better = ref
            ratio = med / ref_value if higher_better else ref_value / med
            ref_cell = f"{fmt(ref_value)} {ref_unit}"
            ratio_cell = f"{ratio:.2f}x {'faster' if ratio >= 1 else 'SLOWER'}" if metric not in (
                "bytes_per_actor",) else f"{ratio:.1f}x smaller" if ratio >= 1 else f"{ratio:.2f}x (LARGER)"
        else:
            ref_cell, ratio_cell = "-", "-"
        rows.append(f"| {workload} | {metric} | {cell} | {len(vs)} | {ref_cell} | {ratio_cell} |")
    if args.scale != 1.0:
        rows.append(f"\n(scale {args.scale}: the reference figures are for full-scale runs, so no ratios)")
    table = "\n".join(rows)
    print(table)
    if args.out:
        with open(args.out, "w") as f:
            f.write(table + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
