#!/usr/bin/env python3
"""bank_faults.py: the durable actors' fault test, in the spirit of Jepsen.

Starts, on loopback ports of its own, 3 nats-servers (one JetStream cluster,
files in a temporary directory), 3 bank_node processes (examples/bank) and
client processes (bank_client) that run deposits and transfers on the bank's
accounts, each logging what was acknowledged. Meanwhile a fault injector
SIGKILLs a random node every --kill-every seconds and restarts it, once
SIGKILLs a NATS server (restarted a few seconds later) and once SIGSTOPs a node
for longer than its lease, then SIGCONTs it. At the end the nodes are closed,
bank_audit reads every account's final state and journal ("final" lines), and
scripts/durable_check.py checks the whole history: nothing acknowledged lost,
nothing applied twice, no two owners of an account at once, no half transfer.

  bank_faults.py --bin BUILD_DIR                     the bounded run (ctest)
  bank_faults.py --bin BUILD_DIR --long              >= 50 node kills (scripts/jepsen.sh)
  bank_faults.py --bin BUILD_DIR --broken            nodes answer before their records
                                                     are stored: the checker must object

Exit status 0: the history checks out (with --broken: the checker caught the
fault). Only processes this script started are signalled, by PID; all of them
are killed at the end, also when the watchdog (--watchdog seconds) fires.
"""
import argparse
import ctypes
import json
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
CHECKER = os.path.join(HERE, "durable_check.py")
LIBC = ctypes.CDLL(None, use_errno=True)
PR_SET_PDEATHSIG = 1


def die_with_parent():
    # A child must not outlive this script, even if it is SIGKILLed itself.
    LIBC.prctl(PR_SET_PDEATHSIG, signal.SIGKILL)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for_port(port, seconds):
    until = time.monotonic() + seconds
    while time.monotonic() < until:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return True
        except OSError:
            time.sleep(0.05)
    return False


def say(text):
    print(f"bank_faults: {text}", flush=True)


class Watchdog(Exception):
    pass


class Run:
    def __init__(self, args, work):
        self.args = args
        self.work = work
        self.children = []  # every Popen this run started
        self.client_ports = [free_port() for _ in range(3)]
        self.route_ports = [free_port() for _ in range(3)]
        self.servers = [None] * 3
        self.nodes = {}  # name -> Popen
        self.log_offset = {}  # name -> where its log stood when it was last started
        self.faults = open(os.path.join(work, "faults.jsonl"), "a", encoding="utf-8")
        self.deadline = time.monotonic() + args.watchdog
        self.kills = 0
        self.env = dict(os.environ)
        if args.broken:
            self.env["TACT_DURABLE_FAULT"] = "answer-before-append"

    def urls(self):
        return [f"nats://127.0.0.1:{p}" for p in self.client_ports]

    def check_watchdog(self):
        if time.monotonic() > self.deadline:
            raise Watchdog(f"the run took longer than {self.args.watchdog} s")

    def sleep(self, seconds):
        until = time.monotonic() + seconds
        while time.monotonic() < until:
            self.check_watchdog()
            time.sleep(min(0.05, max(0.0, until - time.monotonic())))

    def spawn(self, argv, log, env=None):
        out = open(os.path.join(self.work, log), "ab")
        child = subprocess.Popen(argv, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                 preexec_fn=die_with_parent, env=env or self.env)
        out.close()
        self.children.append(child)
        return child

    def note(self, event):
        event["t"] = time.monotonic_ns()  # CLOCK_MONOTONIC, as the nodes' and clients' lines
        self.faults.write(json.dumps(event) + "\n")
        self.faults.flush()

    # -- NATS servers ------------------------------------------------------------
    def start_server(self, i):
        routes = ",".join(f"nats://127.0.0.1:{p}" for j, p in enumerate(self.route_ports) if j != i)
        argv = ["nats-server", "-a", "127.0.0.1", "-p", str(self.client_ports[i]), "-n", f"js{i}",
                "--cluster_name", "bank", "--cluster", f"nats://127.0.0.1:{self.route_ports[i]}",
                "--routes", routes, "-js", "-sd", os.path.join(self.work, f"js{i}")]
        self.servers[i] = self.spawn(argv, f"nats-{i}.log", env=dict(os.environ))
        if not wait_for_port(self.client_ports[i], 10):
            raise RuntimeError(f"nats-server {i} did not start on port {self.client_ports[i]}")

    def kill_server(self, i):
        self.servers[i].kill()
        self.servers[i].wait()
        self.note({"kind": "server-kill", "server": i})

    # -- bank nodes ----------------------------------------------------------------
    def start_node(self, name):
        argv = [os.path.join(self.args.bin, "examples", "bank", "bank_node"), "--node", name,
                "--cluster", "bank", "--lease-ms", str(self.args.lease_ms),
                "--answers", os.path.join(self.work, f"answers-{name}.jsonl")] + self.urls()
        path = os.path.join(self.work, f"node-{name}.log")
        self.log_offset[name] = os.path.getsize(path) if os.path.exists(path) else 0
        self.nodes[name] = self.spawn(argv, f"node-{name}.log")

    def wait_ready(self, name, seconds=60):
        path = os.path.join(self.work, f"node-{name}.log")
        until = time.monotonic() + seconds
        while time.monotonic() < until:
            self.check_watchdog()
            with open(path, "rb") as f:
                f.seek(self.log_offset[name])
                if b": ready" in f.read():  # this start's
                    return
            if self.nodes[name].poll() is not None:
                raise RuntimeError(f"bank_node {name} exited ({self.nodes[name].returncode}) before it was ready")
            time.sleep(0.05)
        raise RuntimeError(f"bank_node {name} was not ready within {seconds} s")

    def kill_node(self, name):
        self.nodes[name].kill()
        self.nodes[name].wait()
        self.kills += 1
        self.note({"kind": "kill", "node": name})

    # -- the run -------------------------------------------------------------------
    def run(self):
        a = self.args
        for i in range(3):
            self.start_server(i)
        names = ["n1", "n2", "n3"]
        for name in names:
            self.start_node(name)
        for name in names:
            self.wait_ready(name)
        say(f"cluster up ({', '.join(self.urls())}); nodes ready; lease {a.lease_ms} ms")

        client_seconds = a.seconds
        clients = []
        for c in range(a.clients):
            argv = [os.path.join(a.bin, "examples", "bank", "bank_client"), "--client", f"c{c + 1}",
                    "--cluster", "bank", "--accounts", str(a.accounts), "--threads", str(a.threads),
                    "--seconds", str(client_seconds), "--seed", str(a.seed * 100 + c),
                    "--log", os.path.join(self.work, f"client-c{c + 1}.jsonl")] + self.urls()
            clients.append(self.spawn(argv, f"client-c{c + 1}.log"))

        rng = random.Random(a.seed)
        start = time.monotonic()
        end_faults = start + a.seconds - a.calm
        server_kill_at = start + (a.seconds - a.calm) * 0.3
        pause_at = start + (a.seconds - a.calm) * 0.6
        server_down = None  # (index, restart at)
        paused = None  # (name, resume at)
        next_kill = start + a.kill_every
        done_server, done_pause = a.only_node_kills, a.only_node_kills
        while time.monotonic() < end_faults or server_down or paused:
            self.check_watchdog()
            now = time.monotonic()
            if not done_server and now >= server_kill_at:
                done_server = True
                i = rng.randrange(3)
                self.kill_server(i)
                server_down = (i, now + a.server_down)
                say(f"killed nats-server {i}")
            if server_down and now >= server_down[1]:
                self.start_server(server_down[0])
                self.note({"kind": "server-restart", "server": server_down[0]})
                say(f"restarted nats-server {server_down[0]}")
                server_down = None
            if not done_pause and now >= pause_at:
                done_pause = True
                name = rng.choice(names)
                self.nodes[name].send_signal(signal.SIGSTOP)
                self.note({"kind": "pause", "node": name})
                paused = (name, now + a.lease_ms / 1000 + a.pause_beyond_lease)
                say(f"paused {name} (SIGSTOP) past its lease")
            if paused and now >= paused[1]:
                self.nodes[paused[0]].send_signal(signal.SIGCONT)
                self.note({"kind": "resume", "node": paused[0]})
                say(f"resumed {paused[0]} (SIGCONT)")
                paused = None
            if now >= next_kill and now < end_faults:
                next_kill = now + a.kill_every * rng.uniform(0.75, 1.25)
                candidates = [n for n in names if not paused or n != paused[0]]
                name = rng.choice(candidates)
                self.kill_node(name)
                self.start_node(name)  # at once: its old leases lapse meanwhile
            time.sleep(0.02)
        say(f"faults over: {self.kills} node kills; clients finish")
        for name in names:
            self.wait_ready(name)
        for client in clients:
            while client.poll() is None:
                self.sleep(0.1)
            if client.returncode != 0:
                raise RuntimeError(f"a client exited with {client.returncode}")
        for c in range(a.clients):
            with open(os.path.join(self.work, f"client-c{c + 1}.log"), encoding="utf-8") as f:
                say(f.read().strip())

        # Close the nodes (they hand their leases back), then audit.
        for name in names:
            self.nodes[name].terminate()
        for name in names:
            try:
                self.nodes[name].wait(timeout=30)
            except subprocess.TimeoutExpired:
                raise RuntimeError(f"bank_node {name} did not close within 30 s of SIGTERM")
        audit = os.path.join(a.bin, "test", "bank_audit")
        with open(os.path.join(self.work, "final.jsonl"), "wb") as out:
            left = max(1.0, self.deadline - time.monotonic())
            subprocess.run([audit, "--accounts", str(a.accounts), "--cluster", "bank",
                            "--lease-ms", str(a.lease_ms)] + self.urls(),
                           stdout=out, check=True, timeout=left, preexec_fn=die_with_parent)
        logs = [os.path.join(self.work, f) for f in sorted(os.listdir(self.work)) if f.endswith(".jsonl")]
        check = subprocess.run([sys.executable, CHECKER] + logs, capture_output=True, text=True)
        sys.stdout.write(check.stdout)
        sys.stdout.flush()
        return check

    def stop_all(self):
        for child in self.children:
            if child.poll() is None:
                try:
                    child.send_signal(signal.SIGCONT)
                    child.kill()
                except ProcessLookupError:
                    pass
                child.wait()
        self.faults.close()


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--bin", required=True, help="the build directory (build/release)")
    parser.add_argument("--long", action="store_true", help="run until --min-kills >= 50 (the long run)")
    parser.add_argument("--broken", action="store_true",
                        help="TACT_DURABLE_FAULT=answer-before-append: succeed only if the checker objects")
    parser.add_argument("--seconds", type=float, default=None, help="how long clients run")
    parser.add_argument("--calm", type=float, default=4.0, help="seconds without faults at the end")
    parser.add_argument("--kill-every", type=float, default=2.0)
    parser.add_argument("--lease-ms", type=int, default=3000)
    parser.add_argument("--server-down", type=float, default=3.0, help="seconds a killed NATS server stays down")
    parser.add_argument("--pause-beyond-lease", type=float, default=1.5, help="SIGSTOP for lease + this")
    parser.add_argument("--only-node-kills", action="store_true",
                        help="no NATS server kill, no pause (the broken mode's ctest: shorter)")
    parser.add_argument("--accounts", type=int, default=100)
    parser.add_argument("--clients", type=int, default=2)
    parser.add_argument("--threads", type=int, default=6, help="per client")
    parser.add_argument("--min-kills", type=int, default=None, help="fail if fewer node kills happened")
    parser.add_argument("--seed", type=int, default=None)
    parser.add_argument("--watchdog", type=float, default=None, help="seconds: then everything is killed")
    parser.add_argument("--keep", metavar="DIR", help="keep the logs there (default: a temporary directory)")
    args = parser.parse_args()
    if args.seconds is None:
        args.seconds = 130.0 if args.long else 22.0
    if args.min_kills is None:
        args.min_kills = 50 if args.long else 3
    if args.seed is None:
        args.seed = random.SystemRandom().randrange(1 << 30)
    if args.watchdog is None:
        args.watchdog = args.seconds + 120.0
    if args.seconds <= args.calm + 2 * args.kill_every:
        parser.error("--seconds must leave room for faults before --calm")
    if shutil.which("nats-server") is None:
        print("bank_faults: nats-server is not on PATH (scripts/setup.sh installs it)", file=sys.stderr)
        return 2
    for program in ("examples/bank/bank_node", "examples/bank/bank_client", "test/bank_audit"):
        if not os.access(os.path.join(args.bin, program), os.X_OK):
            print(f"bank_faults: {args.bin}/{program} is not built", file=sys.stderr)
            return 2

    work = args.keep or tempfile.mkdtemp(prefix="tact-bank-")
    os.makedirs(work, exist_ok=True)
    say(f"seed {args.seed}; logs in {work}{' (BROKEN mode: answers before appends)' if args.broken else ''}")
    run = Run(args, work)
    started = time.monotonic()
    try:
        check = run.run()
    except (Watchdog, RuntimeError, subprocess.SubprocessError) as e:
        say(f"FAILED: {e} (logs in {work})")
        run.stop_all()
        return 1
    finally:
        run.stop_all()
    say(f"{run.kills} node kills, {time.monotonic() - started:.1f} s")
    lost = "VIOLATION lost" in check.stdout
    if args.broken:
        ok = check.returncode == 1 and lost
        say("the checker caught the broken mode" if ok else "the checker MISSED the broken mode")
    else:
        ok = check.returncode == 0 and run.kills >= args.min_kills
        if run.kills < args.min_kills:
            say(f"only {run.kills} node kills (wanted {args.min_kills})")
    if ok and not args.keep:
        shutil.rmtree(work, ignore_errors=True)
    elif not ok:
        say(f"logs kept in {work}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
