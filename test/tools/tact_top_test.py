#!/usr/bin/env python3
"""tact-top driven in tmux against a running runtime (test/tools/top_target.cpp):
the busiest class (top.busy, ~100x the quiet one) must be the first row, the
metered actor shard-7 a row of its own (above the quiet class), and the 'n' key
must re-sort by name. Bounded: every wait has a deadline; the target and
the tmux session are stopped by PID/name at the end.

Usage: tact_top_test.py TOP_TARGET_BINARY TACT_TOP_SCRIPT
"""
import os, subprocess, sys, time

target_bin, top = sys.argv[1], sys.argv[2]
session = f"tact_top_test_{os.getpid()}"
target = subprocess.Popen([target_bin], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
ok = False
try:
    port = int(target.stdout.readline().split()[1])
    url = f"http://127.0.0.1:{port}/metrics"
    subprocess.run(["tmux", "new-session", "-d", "-s", session, "-x", "120", "-y", "20",
                    f"python3 {top} {url} --interval 0.5"], check=True)

    def rows():
        screen = subprocess.run(["tmux", "capture-pane", "-p", "-t", session], capture_output=True,
                                text=True).stdout
        lines = screen.splitlines()
        header = next((i for i, l in enumerate(lines) if l.startswith("CLASS")), None)
        return screen, ([l.split()[0] for l in lines[header + 1:] if l.strip()] if header is not None else [])

    deadline = time.monotonic() + 30
    screen, order = rows()
    while time.monotonic() < deadline and not (len(order) >= 4 and order[0] == "top.busy" and "shard-7" in order):
        time.sleep(0.5)
        screen, order = rows()
    print(screen)
    assert len(order) >= 3 and order[0] == "top.busy", f"busiest class not first: {order}"
    assert order.index("top.medium") < order.index("top.quiet"), f"rates out of order: {order}"
    assert "shard-7" in order, f"no row for the metered actor: {order}"
    assert order.index("shard-7") < order.index("top.quiet"), f"metered actor's rate out of order: {order}"
    assert "shard-7 (top.medium)" in screen, screen
    subprocess.run(["tmux", "send-keys", "-t", session, "n"], check=True)
    deadline = time.monotonic() + 10
    screen, order = rows()
    while time.monotonic() < deadline and not (len(order) >= 3 and order == sorted(order)):
        time.sleep(0.3)
        screen, order = rows()
    assert order == sorted(order), f"'n' did not sort by name: {order}"
    ok = True
finally:
    subprocess.run(["tmux", "kill-session", "-t", session], capture_output=True)
    try:
        target.stdin.close()
        target.wait(timeout=10)
    except Exception:
        target.kill()
        target.wait()
print("tact_top_test: ok" if ok else "tact_top_test: FAILED")
sys.exit(0 if ok else 1)
