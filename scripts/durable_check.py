#!/usr/bin/env python3
"""durable_check.py: the checker of the durable-actors fault test (a Jepsen-style
history check). Reads JSON-lines logs (every *.jsonl in the given directories, or
the given files), one event per line, and checks what was acknowledged against
the final state every account's journal holds.

Events (`t`: CLOCK_MONOTONIC nanoseconds, comparable across processes of one machine):
  {"kind":"ok", "op":ID, "account":A, "t":T, "node":N, "epoch":E}
      a client got an answer for op ID (for a transfer: one line per step, the
      steps' ids being "<transfer>/debit" and "<transfer>/credit" on their accounts)
  {"kind":"fail", "op":ID, "account":A, "t":T, "error":TEXT}
      a client gave up on op ID: indeterminate, applied or not
  {"kind":"answer", "node":N, "epoch":E, "account":A, "op":ID, "t":T, "decided":D}
      a node answered op ID for A while owning it under lease epoch E; it decided
      the answer at D (DurableAnswer::decided; T when absent) and sent it at T
  {"kind":"kill", "node":N, "t":T}          the fault injector SIGKILLed node N
  {"kind":"initial", "account":A, "balance":B}
  {"kind":"final", "account":A, "balance":B, "applied":[[ID, DELTA], ...]}
      read back at the end from A's journal, in log order

Checks (each violation printed; exit status 1 if any):
  lost          an acknowledged op is not in its account's applied list
  double        an op is applied twice to one account
  state         an account's balance is not initial + the sum of its applied deltas
  transfer      a transfer's debit applied without its credit, or the reverse
  overlap       two lease epochs of one account decided answers in overlapping
                intervals (decision times: an answer decided in its tenure may be
                sent after the next one began, as by a process stopped and resumed)
Reports: operations, acknowledged, indeterminate, kills; per account the longest
gap between acknowledged answers; fail-over time after each kill (kill -> first
answer from another node, for the accounts the killed node was the last to answer),
median and max.
"""
import argparse
import glob
import json
import os
import statistics
import sys
from collections import defaultdict


def read_events(paths):
    events = []
    for path in paths:
        files = sorted(glob.glob(os.path.join(path, "*.jsonl"))) if os.path.isdir(path) else [path]
        for name in files:
            with open(name, encoding="utf-8") as f:
                for number, line in enumerate(f, 1):
                    line = line.strip()
                    if not line:
                        continue
                    try:
                        events.append(json.loads(line))
                    except json.JSONDecodeError as e:
                        raise SystemExit(f"durable_check: {name}:{number}: not JSON ({e})")
    return events


def check(events):
    """Returns (violations, report lines)."""
    violations = []
    acked = defaultdict(set)          # account -> op ids acknowledged
    indeterminate = 0
    initial = {}
    final = {}
    answers = defaultdict(list)       # account -> [(t, epoch, node)]
    kills = []
    ok_times = defaultdict(list)      # account -> [t]
    for e in events:
        kind = e.get("kind")
        if kind == "ok":
            acked[e["account"]].add(e["op"])
            ok_times[e["account"]].append((e["t"], e.get("node")))
        elif kind == "fail":
            indeterminate += 1
        elif kind == "answer":
            answers[e["account"]].append((e.get("decided", e["t"]), e["epoch"], e["node"]))
        elif kind == "kill":
            kills.append((e["t"], e["node"]))
        elif kind == "initial":
            initial[e["account"]] = e["balance"]
        elif kind == "final":
            final[e["account"]] = e
        elif kind is None:
            raise SystemExit(f"durable_check: an event without a kind: {e}")

    applied_ops = defaultdict(set)
    for account, f in sorted(final.items()):
        seen = set()
        total = 0
        for op, delta in f["applied"]:
            if op in seen:
                violations.append(f"double: {op} applied twice to {account}")
            seen.add(op)
            total += delta
        applied_ops[account] = seen
        expected = initial.get(account, 0) + total
        if f["balance"] != expected:
            violations.append(f"state: {account} holds {f['balance']}, its history gives {expected}")
    for account, ops in sorted(acked.items()):
        if account not in final:
            violations.append(f"lost: {account} has acknowledged operations but no final state")
            continue
        for op in sorted(ops - applied_ops[account]):
            violations.append(f"lost: {op} was acknowledged but is not in {account}'s history")
    # Transfers: both steps or neither (the step ids name their transfer).
    steps = defaultdict(dict)
    for account, ops in applied_ops.items():
        for op in ops:
            if op.endswith("/debit") or op.endswith("/credit"):
                transfer, step = op.rsplit("/", 1)
                steps[transfer][step] = account
    for transfer, done in sorted(steps.items()):
        if len(done) != 2:
            only = next(iter(done))
            violations.append(f"transfer: {transfer} has its {only} applied but not its other step")
    # Owners: each epoch's decisions span an interval; two epochs must not overlap.
    for account, rows in sorted(answers.items()):
        spans = {}
        for t, epoch, node in rows:
            lo, hi, _ = spans.get(epoch, (t, t, node))
            spans[epoch] = (min(lo, t), max(hi, t), node)
        ordered = sorted(spans.items(), key=lambda kv: kv[1][0])
        for (e1, (lo1, hi1, n1)), (e2, (lo2, hi2, n2)) in zip(ordered, ordered[1:]):
            if lo2 <= hi1:
                violations.append(
                    f"overlap: {account} decided by {n1} ({e1}) until {hi1} and by {n2} ({e2}) from {lo2}")

    report = []
    n_acked = sum(len(v) for v in acked.values())
    report.append(f"accounts {len(final)}, acknowledged {n_acked}, indeterminate {indeterminate}, "
                  f"kills {len(kills)}, epochs {sum(len({ep for _, ep, _ in r}) for r in answers.values())}")
    gaps = []
    for account, times in ok_times.items():
        ts = sorted(t for t, _ in times)
        if len(ts) > 1:
            gaps.append((max(b - a for a, b in zip(ts, ts[1:])), account))
    if gaps:
        worst = max(gaps)
        report.append(f"longest gap without an acknowledged answer: {worst[0] / 1e6:.1f} ms ({worst[1]}); "
                      f"median over accounts {statistics.median(g for g, _ in gaps) / 1e6:.1f} ms")
    failovers = []
    for t_kill, node in kills:
        for account, rows in answers.items():
            before = [r for r in rows if r[0] < t_kill]
            if not before or max(before)[2] != node:
                continue
            after = sorted(r for r in rows if r[0] > t_kill and r[2] != node)
            if after:
                failovers.append(after[0][0] - t_kill)
    if failovers:
        report.append(f"fail-over (kill -> first answer from another node): {len(failovers)} cases, "
                      f"median {statistics.median(failovers) / 1e6:.0f} ms, max {max(failovers) / 1e6:.0f} ms")
    return violations, report


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("paths", nargs="+", help="log files or directories of *.jsonl")
    args = parser.parse_args()
    violations, report = check(read_events(args.paths))
    for line in report:
        print("durable_check: " + line)
    for v in violations:
        print("durable_check: VIOLATION " + v)
    print(f"durable_check: {len(violations)} violation(s)")
    return 1 if violations else 0


if __name__ == "__main__":
    sys.exit(main())
