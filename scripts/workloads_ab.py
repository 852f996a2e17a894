#!/usr/bin/env python3
"""Before/after: two tact-workloads binaries, each workload run by one and then the
other (order swapped each round), N rounds, every run a fresh process (`--workers 2`).

Usage: scripts/workloads_ab.py BEFORE_BINARY AFTER_BINARY ROUNDS [WORKLOAD ...]
  (e.g. a binary built at an older commit vs build/release; no WORKLOAD: all of them)
A binary may carry options: 'build/release/bench/workloads/tact-workloads --metrics off'.

Prints median (min-max) of each side, the ratio of the medians, and the median
(min-max) of the paired ratios: a pair's two runs are seconds apart, so they
mostly share the machine's state (this VM's two vCPUs move between a near and a
far placement every few seconds), where `all` runs of either side a minute apart
do not.
"""
import re, shlex, statistics, subprocess, sys

RESULT = re.compile(r"RESULT workload=(\S+) framework=\S+ metric=(\S+) value=(\S+) unit=(\S+)")


def workloads_of(exe):
    """The workload names the binary's usage lists (between 'workloads:' and 'all')."""
    cmd = shlex.split(exe)
    text = subprocess.run(cmd[:1] + ["--help"], capture_output=True, text=True)
    names, listing = [], False
    for line in (text.stdout + text.stderr).splitlines():
        if line.strip() == "workloads:":
            listing = True
            continue
        if listing:
            word = line.split()[0] if line.split() else ""
            if not word or word == "all":
                break
            names.append(word)
    if not names:
        sys.exit(f"workloads_ab: no workloads listed by {cmd[0]} --help")
    return names


def run(exe, workload):
    cmd = shlex.split(exe)
    out = subprocess.run(cmd[:1] + [workload, "--workers", "2"] + cmd[1:], capture_output=True, text=True).stdout
    return {(m.group(1), m.group(2), m.group(4)): float(m.group(3)) for m in RESULT.finditer(out)}


def main():
    if len(sys.argv) < 4:
        sys.exit(__doc__)
    before, after, rounds = sys.argv[1], sys.argv[2], int(sys.argv[3])
    workloads = sys.argv[4:] or workloads_of(before)
    res = {"before": {}, "after": {}}
    pairs = {}
    for r in range(rounds):
        for w in workloads:
            sides = (("before", before), ("after", after)) if r % 2 == 0 else (("after", after), ("before", before))
            got = {name: run(exe, w) for name, exe in sides}
            for name in got:
                for key, value in got[name].items():
                    res[name].setdefault(key, []).append(value)
            for key, b in got["before"].items():
                a = got["after"].get(key)
                if a is not None and b != 0:
                    pairs.setdefault(key, []).append(a / b)
    fmt = lambda v: f"{statistics.median(v):.4g} ({min(v):.4g}–{max(v):.4g})"
    print("| workload | metric | before median (min–max) | after median (min–max) | after/before "
          "| paired after/before median (min–max) |")
    print("|---|---|---|---|---|---|")
    for key in res["before"]:
        b, a = res["before"][key], res["after"].get(key, [])
        if not a:
            continue
        paired = pairs.get(key, [])
        paired_text = f"{statistics.median(paired):.3f} ({min(paired):.3f}–{max(paired):.3f})" if paired else "–"
        print(f"| {key[0]} | {key[1]} ({key[2]}) | {fmt(b)} | {fmt(a)} | "
              f"{statistics.median(a) / statistics.median(b):.3f} | {paired_text} |")


if __name__ == "__main__":
    main()
