#!/usr/bin/env python3
"""Compare tact-workloads with the peers' programs, run in the same sitting.

Reads RESULT lines
    RESULT workload=pingpong framework=tact metric=rtt_ns value=106.2 unit=ns
from the files given (any mix of frameworks and rounds), and prints per
(workload, metric) each framework's median (min-max) over its rounds, and tact's
advantage over each peer: how many times faster / smaller tact's median is (above
1: tact is ahead; below 1: the peer is).
"""
import argparse
import re
import statistics
import sys
from collections import defaultdict

LINE = re.compile(r"^RESULT workload=(\S+) framework=(\S+) metric=(\S+) value=(\S+) unit=(\S+)$")
HIGHER_IS_BETTER = {"rate"}


def fmt(v):
    if v >= 1e6:
        return f"{v / 1e6:.2f}M"
    if v >= 1e4:
        return f"{v / 1e3:.1f}k"
    return f"{v:.1f}"


def read(files):
    values = defaultdict(list)  # (workload, metric, framework) -> [values]
    units, rows, frameworks = {}, [], []
    for path in files:
        with open(path) as f:
            for line in f:
                m = LINE.match(line.strip())
                if not m:
                    continue
                workload, framework, metric, value, unit = m.groups()
                if (workload, metric) not in units:
                    rows.append((workload, metric))
                units[(workload, metric)] = unit
                if framework not in frameworks:
                    frameworks.append(framework)
                values[(workload, metric, framework)].append(float(value))
    return values, units, rows, frameworks


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("files", nargs="+")
    ap.add_argument("--out", help="also write the table (Markdown) here")
    args = ap.parse_args()

    values, units, rows, frameworks = read(args.files)
    if not rows:
        print("workloads_report: no RESULT lines found", file=sys.stderr)
        return 1
    frameworks.sort(key=lambda f: (f != "tact", f))
    peers = [f for f in frameworks if f != "tact"]

    header = ["workload", "metric"] + [f"{f} median (min-max)" for f in frameworks]
    header += [f"tact vs {p}" for p in peers]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for workload, metric in rows:
        unit = units[(workload, metric)]
        cells = [workload, f"{metric} ({unit})"]
        medians = {}
        for f in frameworks:
            vs = values.get((workload, metric, f))
            if not vs:
                cells.append("-")
                continue
            medians[f] = statistics.median(vs)
            n = f" n={len(vs)}" if len(vs) > 1 else ""
            cells.append(f"{fmt(medians[f])} ({fmt(min(vs))}-{fmt(max(vs))}){n}")
        for p in peers:
            t, o = medians.get("tact"), medians.get(p)
            if t is None or o is None or t == 0 or o == 0:
                cells.append("-")
                continue
            ratio = t / o if metric in HIGHER_IS_BETTER else o / t
            cells.append(f"{ratio:.2f}x")
        lines.append("| " + " | ".join(cells) + " |")
    lines.append("")
    lines.append("tact vs peer: how many times better tact's median is (rates: higher; "
                 "times, latencies, memory: lower); above 1 tact is ahead.")
    table = "\n".join(lines)
    print(table)
    if args.out:
        with open(args.out, "w") as f:
            f.write(table + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
