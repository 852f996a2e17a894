#!/usr/bin/env python3
"""Tests of durable_check.py: a consistent history passes, and each kind of
violation (lost, double, state, transfer, overlap) is caught and named. One
case is the history a broken node leaves when it answers before its append is
acknowledged and is then killed: the acknowledged deposit is missing from the
new owner's journal."""
import json
import os
import subprocess
import sys
import tempfile

CHECK = os.path.join(os.path.dirname(os.path.abspath(__file__)), "durable_check.py")
MS = 1_000_000


def run(events):
    with tempfile.TemporaryDirectory(prefix="durable-check-") as d:
        with open(os.path.join(d, "all.jsonl"), "w", encoding="utf-8") as f:
            for e in events:
                f.write(json.dumps(e) + "\n")
        r = subprocess.run([sys.executable, CHECK, d], capture_output=True, text=True)
        return r.returncode, r.stdout


def good():
    """Two accounts; n1 owns a1 until killed, then n2 takes over; a transfer."""
    return [
        {"kind": "initial", "account": "a1", "balance": 100},
        {"kind": "initial", "account": "a2", "balance": 100},
        {"kind": "answer", "node": "n1", "epoch": "n1#1", "account": "a1", "op": "d1", "t": 1 * MS},
        {"kind": "ok", "op": "d1", "account": "a1", "t": 2 * MS, "node": "n1", "epoch": "n1#1"},
        {"kind": "kill", "node": "n1", "t": 3 * MS},
        {"kind": "fail", "op": "d2", "account": "a1", "t": 4 * MS, "error": "Timeout"},
        {"kind": "answer", "node": "n2", "epoch": "n2#4", "account": "a1", "op": "x1/debit", "t": 500 * MS},
        {"kind": "ok", "op": "x1/debit", "account": "a1", "t": 501 * MS, "node": "n2", "epoch": "n2#4"},
        {"kind": "answer", "node": "n3", "epoch": "n3#2", "account": "a2", "op": "x1/credit", "t": 502 * MS},
        {"kind": "ok", "op": "x1/credit", "account": "a2", "t": 503 * MS, "node": "n3", "epoch": "n3#2"},
        # d2 was indeterminate: applied here, which is allowed.
        {"kind": "final", "account": "a1", "balance": 112, "applied": [["d1", 5], ["d2", 10], ["x1/debit", -3]]},
        {"kind": "final", "account": "a2", "balance": 103, "applied": [["x1/credit", 3]]},
    ]


def expect(name, events, code, needle):
    rc, out = run(events)
    if rc != code or needle not in out:
        print(f"FAIL {name}: exit {rc} (wanted {code}), output:\n{out}")
        return False
    print(f"ok   {name}")
    return True


def main():
    ok = True
    ok &= expect("a consistent history passes", good(), 0, "0 violation(s)")
    ok &= expect("fail-over is reported", good(), 0, "fail-over (kill -> first answer from another node): 1 cases")

    lost = [e for e in good() if e["kind"] != "final"] + [
        {"kind": "final", "account": "a1", "balance": 97, "applied": [["x1/debit", -3]]},
        {"kind": "final", "account": "a2", "balance": 103, "applied": [["x1/credit", 3]]},
    ]
    ok &= expect("an answer before the append, then a kill: lost", lost, 1, "lost: d1 was acknowledged")

    double = [e for e in good() if e["kind"] != "final"] + [
        {"kind": "final", "account": "a1", "balance": 117,
         "applied": [["d1", 5], ["d1", 5], ["d2", 10], ["x1/debit", -3]]},
        {"kind": "final", "account": "a2", "balance": 103, "applied": [["x1/credit", 3]]},
    ]
    ok &= expect("a retried op applied twice", double, 1, "double: d1 applied twice to a1")

    state = [e for e in good() if e["kind"] != "final"] + [
        {"kind": "final", "account": "a1", "balance": 150, "applied": [["d1", 5], ["d2", 10], ["x1/debit", -3]]},
        {"kind": "final", "account": "a2", "balance": 103, "applied": [["x1/credit", 3]]},
    ]
    ok &= expect("a balance its history does not give", state, 1, "state: a1 holds 150")

    half = [e for e in good() if not (e["kind"] in ("ok", "answer") and e["op"] == "x1/credit")
            and e["kind"] != "final"] + [
        {"kind": "final", "account": "a1", "balance": 112, "applied": [["d1", 5], ["d2", 10], ["x1/debit", -3]]},
        {"kind": "final", "account": "a2", "balance": 100, "applied": []},
    ]
    ok &= expect("a debit without its credit", half, 1, "transfer: x1 has its debit applied")

    overlap = good() + [
        {"kind": "answer", "node": "n1", "epoch": "n1#1", "account": "a1", "op": "late", "t": 600 * MS},
    ]
    ok &= expect("a stale owner answering after the new one", overlap, 1, "overlap: a1 decided by n1")

    decided_late = good() + [
        {"kind": "answer", "node": "n1", "epoch": "n1#1", "account": "a1", "op": "late", "t": 600 * MS,
         "decided": 550 * MS},
    ]
    ok &= expect("a stale owner deciding after the new one began", decided_late, 1, "overlap: a1 decided by n1")

    # A node stopped (SIGSTOP) between deciding and sending: its answer leaves
    # after the next owner's first, but was decided in its own tenure.
    sent_late = good() + [
        {"kind": "answer", "node": "n1", "epoch": "n1#1", "account": "a1", "op": "late", "t": 600 * MS,
         "decided": 2 * MS},
    ]
    ok &= expect("an answer decided in its tenure and sent after the next began", sent_late, 0, "0 violation(s)")

    rc, out = run([{"kind": "ok", "op": "z", "account": "nowhere", "t": 1, "node": "n", "epoch": "e"}])
    ok &= rc == 1 and "no final state" in out
    print(("ok   " if rc == 1 else "FAIL ") + "an account with no final state")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
