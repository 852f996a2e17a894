#!/usr/bin/env python3
"""Draw tact's advantage over each peer, per workload, as an SVG bar chart.

Reads the same RESULT lines as workloads_report.py; for each workload's headline
figure, plots median(peer) / median(tact) (or the inverse for rates) on a log
scale: a bar right of the 1x line means tact is ahead. Plain SVG, no plotting
library needed.
"""
import argparse
import math
import sys

from workloads_report import HIGHER_IS_BETTER, read
import statistics

HEADLINES = [
    ("pingpong", "rtt_ns", "ping-pong round trip"),
    ("ask_ext", "p50_ns", "external ask p50"),
    ("ask_ext", "p99_ns", "external ask p99"),
    ("fanin", "rate", "fan-in throughput"),
    ("fanin_many", "rate", "8 fan-ins throughput"),
    ("ring", "rate", "ring throughput"),
    ("skynet", "ms", "skynet time"),
    ("pairs", "rate", "pairs throughput"),
    ("idle_mem", "bytes_per_actor", "bytes per idle actor"),
]
COLORS = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd"]


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("files", nargs="+")
    ap.add_argument("--out", required=True)
    args = ap.parse_args()
    values, _units, _rows, frameworks = read(args.files)
    peers = [f for f in frameworks if f != "tact"]
    if not peers:
        print("workloads_chart: no peer results: nothing to compare", file=sys.stderr)
        return 1

    bars = []  # (label, peer, ratio)
    for workload, metric, label in HEADLINES:
        tact = values.get((workload, metric, "tact"))
        for peer in peers:
            other = values.get((workload, metric, peer))
            if not tact or not other:
                continue
            t, o = statistics.median(tact), statistics.median(other)
            if t <= 0 or o <= 0:
                continue
            bars.append((label, peer, t / o if metric in HIGHER_IS_BETTER else o / t))
    if not bars:
        print("workloads_chart: no comparable figures", file=sys.stderr)
        return 1

    lo = min(0.5, min(r for _, _, r in bars) / 1.5)
    hi = max(2.0, max(r for _, _, r in bars) * 1.5)
    left, width, bar_h, gap = 190, 520, 14, 10
    labels = [h[2] for h in HEADLINES if any(b[0] == h[2] for b in bars)]
    group_h = bar_h * len(peers) + gap
    height = 60 + group_h * len(labels) + 40
    x = lambda r: left + width * (math.log10(r) - math.log10(lo)) / (math.log10(hi) - math.log10(lo))

    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{left + width + 30}" height="{height}" '
           'font-family="sans-serif" font-size="12">',
           f'<text x="{left}" y="20" font-size="14" font-weight="bold">tact\'s advantage over each peer '
           '(log scale; right of 1x: tact ahead)</text>']
    for i, peer in enumerate(peers):
        out.append(f'<rect x="{left + 120 * i}" y="32" width="12" height="12" fill="{COLORS[i % len(COLORS)]}"/>'
                   f'<text x="{left + 120 * i + 16}" y="43">vs {peer}</text>')
    decade = 10 ** math.floor(math.log10(lo))
    while decade <= hi:
        for m in (1, 2, 5):
            r = decade * m
            if lo <= r <= hi:
                out.append(f'<line x1="{x(r):.1f}" y1="55" x2="{x(r):.1f}" y2="{height - 35}" '
                           f'stroke="{"#000" if r == 1 else "#ddd"}"/>'
                           f'<text x="{x(r):.1f}" y="{height - 20}" text-anchor="middle">{r:g}x</text>')
        decade *= 10
    for g, label in enumerate(labels):
        y0 = 60 + g * group_h
        out.append(f'<text x="{left - 8}" y="{y0 + bar_h * len(peers) / 2 + 4}" text-anchor="end">{label}</text>')
        for i, peer in enumerate(peers):
            ratio = next((r for l, p, r in bars if l == label and p == peer), None)
            if ratio is None:
                continue
            y = y0 + i * bar_h
            x0, x1 = sorted((x(1), x(ratio)))
            out.append(f'<rect x="{x0:.1f}" y="{y}" width="{max(x1 - x0, 1):.1f}" height="{bar_h - 2}" '
                       f'fill="{COLORS[i % len(COLORS)]}"/>'
                       f'<text x="{x1 + 4:.1f}" y="{y + bar_h - 4}" font-size="10">{ratio:.2f}x</text>')
    out.append("</svg>")
    with open(args.out, "w") as f:
        f.write("\n".join(out) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
