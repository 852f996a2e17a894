#!/usr/bin/env python3
"""g++ vs clang++ builds of tact-workloads: the table of scripts/compare_compilers.sh.

Reads RESULT lines (as scripts/workloads_report.py does) whose framework field names
the compiler, e.g.
    RESULT workload=pingpong framework=g++ metric=rtt_ns value=61.2 unit=ns
and prints per (workload, metric) each compiler's median (min-max) over its rounds,
the ratio of the medians clang++/g++, and which compiler's median is better (rates:
higher; times, latencies, memory: lower), marked when the two min-max ranges overlap.
"""
import argparse
import os
import statistics
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from workloads_report import HIGHER_IS_BETTER, fmt, read  # noqa: E402

BASE, OTHER = "g++", "clang++"


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("files", nargs="+")
    ap.add_argument("--out", help="also write the table (Markdown) here")
    args = ap.parse_args()

    values, units, rows, _ = read(args.files)
    if not rows:
        print("compilers_report: no RESULT lines found", file=sys.stderr)
        return 1
    lines = [f"| workload | metric | {BASE} median (min-max) | {OTHER} median (min-max) "
             f"| {OTHER}/{BASE} | better |",
             "|---|---|---|---|---|---|"]
    for workload, metric in rows:
        cells = [workload, f"{metric} ({units[(workload, metric)]})"]
        medians = {}
        for c in (BASE, OTHER):
            vs = values.get((workload, metric, c))
            if not vs:
                cells.append("-")
                continue
            medians[c] = statistics.median(vs)
            cells.append(f"{fmt(medians[c])} ({fmt(min(vs))}-{fmt(max(vs))}) n={len(vs)}")
        b, o = medians.get(BASE), medians.get(OTHER)
        if b and o:
            cells.append(f"{o / b:.2f}")
            higher = metric in HIGHER_IS_BETTER
            better = OTHER if (o > b) == higher else BASE
            vb, vo = values[(workload, metric, BASE)], values[(workload, metric, OTHER)]
            if max(vb) >= min(vo) and max(vo) >= min(vb):
                better += " (ranges overlap)"
            cells.append(better)
        else:
            cells += ["-", "-"]
        lines.append("| " + " | ".join(cells) + " |")
    lines.append("")
    lines.append(f"{OTHER}/{BASE}: ratio of the medians. better: the compiler whose median is "
                 "better (rates: higher; times, latencies, memory: lower); (ranges overlap): the two min-max "
                 "ranges overlap, so the rounds do not settle it.")
    table = "\n".join(lines)
    print(table)
    if args.out:
        with open(args.out, "w") as f:
            f.write(table + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
