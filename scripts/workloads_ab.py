#!/usr/bin/env python3
"""Before/after: two tact-workloads binaries run alternately (`all --workers 2`), N rounds; prints median (min-max) and after/before.

Usage: scripts/workloads_ab.py BEFORE_BINARY AFTER_BINARY ROUNDS   (e.g. a binary built at an older commit vs build/release)
A binary may carry options: 'build/release/bench/workloads/tact-workloads --metrics off'.
"""
import re, shlex, statistics, subprocess, sys
before, after, rounds = sys.argv[1], sys.argv[2], int(sys.argv[3])
res = {"before": {}, "after": {}}
for r in range(rounds):
    for name, exe in (("before", before), ("after", after)):
        cmd = shlex.split(exe)
        out = subprocess.run(cmd[:1] + ["all", "--workers", "2"] + cmd[1:], capture_output=True, text=True).stdout
        for m in re.finditer(r"RESULT workload=(\S+) framework=\S+ metric=(\S+) value=(\S+) unit=(\S+)", out):
            res[name].setdefault((m.group(1), m.group(2), m.group(4)), []).append(float(m.group(3)))
print("| workload | metric | before median (min–max) | after median (min–max) | after/before |")
print("|---|---|---|---|---|")
for key in res["before"]:
    b, a = res["before"][key], res["after"].get(key, [])
    if not a: continue
    fmt = lambda v: f"{statistics.median(v):.4g} ({min(v):.4g}–{max(v):.4g})"
    print(f"| {key[0]} | {key[1]} ({key[2]}) | {fmt(b)} | {fmt(a)} | {statistics.median(a)/statistics.median(b):.3f} |")
