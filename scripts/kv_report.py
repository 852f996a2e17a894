#!/usr/bin/env python3
"""kv_report.py: the tact-kv vs redis-server table from redis-benchmark outputs.

Usage: kv_report.py --out results/kv.md [--server-line TEXT] FILE...
Each FILE is one redis-benchmark run (--precision 3, not -q), named
<server>-<test>-P<depth>-<round>.txt, server being tact-kv or redis.

Per test and pipeline depth, for requests/s and the p50, p99 and p99.9 latencies:
each server's median over the rounds (min-max), and tact-kv's ratio to redis.
p50/p99 come from redis-benchmark's latency summary. p99.9 is not in that summary:
it is read off the "Latency by percentile distribution" table as the first row at
or above 99.9% (an HdrHistogram bucket edge, e.g. the 99.902% row), so it is an
upper bound within the histogram's precision.
Exit status: 0 when every expected number was found, 3 when some were missing.
"""
import argparse
import re
import statistics
import sys
from collections import defaultdict
from pathlib import Path

NAME = re.compile(r"^(tact-kv|redis)-(\w+)-P(\d+)-(\d+)\.txt$")
THROUGHPUT = re.compile(r"throughput summary:\s*([\d.]+) requests per second")
PERCENTILE_ROW = re.compile(r"^\s*([\d.]+)% <= ([\d.]+) milliseconds")
METRICS = [("rps", "requests/s", True), ("p50", "p50 ms", False), ("p99", "p99 ms", False),
           ("p999", "p99.9 ms", False)]


def parse_run(text):
    """rps, p50, p99, p999 of one run (missing ones left out)."""
    run = {}
    m = THROUGHPUT.search(text)
    if m:
        run["rps"] = float(m.group(1))
    lines = text.splitlines()
    for i, line in enumerate(lines):
        if line.split() == ["avg", "min", "p50", "p95", "p99", "max"] and i + 1 < len(lines):
            values = [float(v) for v in lines[i + 1].split()]
            if len(values) == 6:
                run["p50"], run["p99"] = values[2], values[4]
    in_table = False
    for line in lines:
        if line.startswith("Latency by percentile distribution"):
            in_table = True
            continue
        if line.startswith("Cumulative distribution"):
            break
        m = PERCENTILE_ROW.match(line)
        if in_table and m and float(m.group(1)) >= 99.9:
            run["p999"] = float(m.group(2))
            break
    return run


def fmt(value, rate):
    if rate:
        return f"{value / 1000:.1f}k" if value < 1e6 else f"{value / 1e6:.2f}M"
    return f"{value:.3f}"


def summary(values, rate):
    if not values:
        return "n/a"
    return f"{fmt(statistics.median(values), rate)} ({fmt(min(values), rate)}-{fmt(max(values), rate)})"


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", required=True)
    ap.add_argument("--server-line", default="")
    ap.add_argument("files", nargs="+")
    args = ap.parse_args()

    # (test, depth) -> server -> metric -> [values over rounds]
    data = defaultdict(lambda: defaultdict(lambda: defaultdict(list)))
    rounds = set()
    problems = []
    for f in args.files:
        m = NAME.match(Path(f).name)
        if not m:
            continue
        server, test, depth, rnd = m.group(1), m.group(2), int(m.group(3)), int(m.group(4))
        rounds.add(rnd)
        run = parse_run(Path(f).read_text(errors="replace"))
        for key, _, _ in METRICS:
            if key in run:
                data[(test, depth)][server][key].append(run[key])
            else:
                problems.append(f"{Path(f).name}: no {key}")

    order = {"set": 0, "get": 1, "incr": 2}
    out = ["# tact-kv beside redis-server (redis-benchmark, loopback)", ""]
    if args.server_line:
        out += [f"`{args.server_line}`", ""]
    out += [f"redis-benchmark -c 50 -r 100000 --precision 3; {len(rounds)} interleaved round(s); "
            "median (min-max) over rounds. Ratio: tact-kv / redis-server "
            "(requests/s: above 1 tact-kv is faster; latencies: below 1 tact-kv is faster). "
            "The client runs on the same machine as the server under test.", "",
            "| test | -P | metric | tact-kv | redis-server | tact-kv / redis |",
            "|---|---|---|---|---|---|"]
    medians = {}
    for (test, depth) in sorted(data, key=lambda k: (k[1], order.get(k[0], 9), k[0])):
        for key, label, rate in METRICS:
            kv = data[(test, depth)]["tact-kv"][key]
            rd = data[(test, depth)]["redis"][key]
            ratio = "n/a"
            if kv and rd and statistics.median(rd) > 0:
                r = statistics.median(kv) / statistics.median(rd)
                medians[(test, depth, key)] = r
                ratio = f"{r:.2f}x"
            out.append(f"| {test.upper()} | {depth} | {label} | {summary(kv, rate)} | {summary(rd, rate)} | {ratio} |")

    out += ["", "Targets (issue 6), from the medians above:", ""]
    for test in sorted({t for (t, _) in data}, key=lambda t: order.get(t, 9)):
        r = medians.get((test, 16, "rps"))
        if r is not None:
            out.append(f"- {test.upper()} -P 16 throughput >= redis-server's: {r:.2f}x, "
                       f"{'met' if r >= 1 else 'missed'}")
        r = medians.get((test, 1, "p99"))
        if r is not None:
            out.append(f"- {test.upper()} -P 1 p99 <= 2x redis-server's: {r:.2f}x, "
                       f"{'met' if r <= 2 else 'missed'}")
    p999_note = ("p99.9 is read off redis-benchmark's percentile table: the first row at or "
                 "above 99.9% (an upper bound within the histogram's bucket precision).")
    out += ["", p999_note]
    if problems:
        out += ["", "Problems:", ""] + [f"- {p}" for p in problems]
    text = "\n".join(out) + "\n"
    Path(args.out).write_text(text)
    print(text)
    return 3 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
