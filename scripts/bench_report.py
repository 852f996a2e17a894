#!/usr/bin/env python3
"""bench_report.py — compare tact's micro benchmarks with the alternatives.

Reads Google Benchmark JSON files (results/<binary>.json, written by scripts/bench.sh)
and prints, for each family/scenario, every implementation's time per item in ns as
median (min-max) over the repetitions, plus the ratio of tact's median throughput to
each other implementation's ("tact 2.10x moodycamel": tact does 2.1 times as many
items per second). The same table, as Markdown, goes to --out.

Benchmark names are <family>/<scenario>/<impl>, e.g. mpsc/2p1c/moodycamel. Google
Benchmark's suffixes (/real_time, /threads:2, /iterations:N, /repeats:N, /min_time:..)
are stripped; other trailing arguments (/64, /batch:8) join the scenario. When one
family/scenario was run at several thread counts, each count is its own scenario.

Statistics come from the individual repetition rows (run_type "iteration"), never from
Google Benchmark's aggregates. Time per item is 1e9 / items_per_second when the
benchmark reports items, else real_time (per iteration) in ns.

Robust to a missing benchmark binary, a crash (a truncated JSON file is salvaged up
to the last complete row), benchmarks that report an error, and names that do not
follow the convention (listed under "other"). Exit status: 0 when every benchmark
has results; 3 when the report was written but lists problems (a binary missing,
failed or empty, a benchmark reporting an error); 2 on bad arguments.

Usage: bench_report.py [--results DIR] [--out FILE] [--expect NAME]... [--failed NAME=WHY]...
                       [FILE.json ...]
"""

from __future__ import annotations

import argparse
import json
import re
import statistics
import sys
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

TACT = "tact"
# Google Benchmark's own name suffixes: flags and key:value options.
GB_FLAGS = {"real_time", "manual_time", "process_time"}
GB_KEYS = {"threads", "iterations", "repeats", "min_time", "min_warmup_time"}
AGGREGATE_SUFFIX = re.compile(r"_(mean|median|stddev|cv|min|max)$")
TIME_UNIT_NS = {"ns": 1.0, "us": 1e3, "ms": 1e6, "s": 1e9}


@dataclass
class Series:
    """The repetitions of one family/scenario/impl."""
    ns_per_item: list[float] = field(default_factory=list)
    per_item: bool = True          # False: real_time per iteration (no items reported)
    errors: list[str] = field(default_factory=list)
    source: str = ""


@dataclass
class Name:
    family: str
    scenario: str
    impl: str
    threads: str | None


def parse_name(raw: str) -> Name | None:
    """Splits a benchmark name; None when it has no family/scenario/impl shape."""
    raw = AGGREGATE_SUFFIX.sub("", raw)
    parts = raw.split("/")
    threads = None
    core, args = [], []
    for part in parts:
        key = part.split(":", 1)[0]
        if part in GB_FLAGS:
            continue
        if ":" in part and key in GB_KEYS:
            if key == "threads":
                threads = part.split(":", 1)[1]
            continue
        # Trailing arguments (numbers, key:value) after the impl belong to the scenario.
        if len(core) >= 3 or re.fullmatch(r"-?[0-9.]+", part) or ":" in part:
            args.append(part)
        else:
            core.append(part)
    if len(core) < 3:
        # A numeric scenario (mpsc/1/tact): take the non-option parts in order.
        core, args = [p for p in parts if p not in GB_FLAGS
                      and not (":" in p and p.split(":", 1)[0] in GB_KEYS)], []
        if len(core) < 3:
            return None
    family, impl = core[0], core[-1]
    scenario = "/".join(core[1:-1] + args)
    return Name(family, scenario, impl, threads)


def load_json(path: Path) -> tuple[dict | None, str | None]:
    """Loads a benchmark JSON file; salvages a truncated one (the run crashed)."""
    try:
        text = path.read_text()
    except OSError as e:
        return None, f"cannot read: {e}"
    if not text.strip():
        return None, "empty file (the run produced no output)"
    try:
        return json.loads(text), None
    except json.JSONDecodeError:
        pass
    # The JSON reporter writes one row at a time; cut after the last complete row.
    start = text.find('"benchmarks"')
    cut = len(text)
    while start >= 0:
        cut = text.rfind("}", start, cut)
        if cut < 0:
            break
        try:
            data = json.loads(text[: cut + 1] + "]}")
            return data, "truncated output (the run stopped early); complete rows kept"
        except json.JSONDecodeError:
            continue
    try:
        return json.loads(text[: text.find('"benchmarks"')].rstrip().rstrip(",") + "}"), \
            "truncated output before any benchmark finished"
    except (json.JSONDecodeError, ValueError):
        return None, "unreadable JSON"


def ns_per_item(row: dict) -> tuple[float | None, bool]:
    ips = row.get("items_per_second")
    if isinstance(ips, (int, float)) and ips > 0:
        return 1e9 / ips, True
    rt = row.get("real_time")
    if isinstance(rt, (int, float)):
        return rt * TIME_UNIT_NS.get(row.get("time_unit", "ns"), 1.0), False
    return None, False


def collect(files: list[Path], problems: list[str], contexts: dict):
    """Returns {(family, scenario, impl, threads): Series} and unconventional names."""
    series: dict[tuple, Series] = {}
    others: dict[str, Series] = {}
    for path in files:
        data, warning = load_json(path)
        if warning:
            problems.append(f"{path.name}: {warning}")
        if data is None:
            continue
        if isinstance(data.get("context"), dict):
            contexts[path.stem] = data["context"]
        rows = data.get("benchmarks") or []
        if not rows:
            problems.append(f"{path.name}: no benchmark results")
        for row in rows:
            if row.get("run_type") == "aggregate" or "aggregate_name" in row:
                continue
            raw = row.get("run_name") or row.get("name", "?")
            parsed = parse_name(raw)
            if parsed is None:
                s = others.setdefault(AGGREGATE_SUFFIX.sub("", raw), Series(source=path.stem))
            else:
                key = (parsed.family, parsed.scenario, parsed.impl, parsed.threads)
                s = series.setdefault(key, Series(source=path.stem))
            if row.get("error_occurred"):
                s.errors.append(str(row.get("error_message", "error")))
                continue
            value, per_item = ns_per_item(row)
            if value is None:
                s.errors.append("no timing in row")
                continue
            s.ns_per_item.append(value)
            s.per_item = s.per_item and per_item
    return series, others


def group(series: dict[tuple, Series]):
    """{(family, scenario): {impl: Series}}. Thread counts split a scenario only when
    it was measured at more than one count (then every row names its count)."""
    counts = defaultdict(set)
    for (fam, scen, _impl, thr) in series:
        counts[(fam, scen)].add(thr)
    out: dict[tuple, dict[str, Series]] = defaultdict(dict)
    for (fam, scen, impl, thr), s in series.items():
        if len(counts[(fam, scen)]) > 1 and thr is not None:
            scen = f"{scen}/threads:{thr}"
        if impl in out[(fam, scen)]:  # same name twice (e.g. two files): merge
            prev = out[(fam, scen)][impl]
            prev.ns_per_item += s.ns_per_item
            prev.errors += s.errors
            prev.per_item = prev.per_item and s.per_item
        else:
            out[(fam, scen)][impl] = s
    return out


def fmt_ns(v: float) -> str:
    if v >= 100:
        return f"{v:,.0f}"
    if v >= 10:
        return f"{v:.1f}"
    return f"{v:.2f}"


def cell_time(s: Series) -> str:
    if not s.ns_per_item:
        return "FAILED: " + (s.errors[0] if s.errors else "no data")
    med = statistics.median(s.ns_per_item)
    text = f"{fmt_ns(med)} ({fmt_ns(min(s.ns_per_item))}–{fmt_ns(max(s.ns_per_item))})"
    if not s.per_item:
        text += " /iter"
    if s.errors:
        text += f" [{len(s.errors)} failed]"
    return text


def natural_key(text: str):
    """Sorts "push_pop/8" before "push_pop/64"."""
    return [(0, int(t), "") if t.isdigit() else (1, 0, t) for t in re.split(r"(\d+)", text)]


def impl_order(impls):
    return sorted(impls, key=lambda i: (i != TACT, i))


def ratio_cell(impl: str, impls: dict[str, Series]) -> str:
    if impl == TACT:
        return "—"
    t, o = impls.get(TACT), impls[impl]
    if t is None or not t.ns_per_item:
        return "no tact result"
    if not o.ns_per_item:
        return "—"
    if t.per_item != o.per_item:
        return "not comparable (items vs iterations)"
    # Throughput ratio = inverse ratio of the median times.
    r = statistics.median(o.ns_per_item) / statistics.median(t.ns_per_item)
    return f"tact {r:.2f}x {impl}" if r >= 0.1 else f"tact {r:.2g}x {impl}"


def render(grouped, others, problems, contexts) -> str:
    lines = ["# tact micro benchmarks", ""]
    ctx = next(iter(contexts.values()), None)
    if ctx:
        lines.append(
            f"Host {ctx.get('host_name', '?')}, {ctx.get('num_cpus', '?')} CPUs "
            f"@ {ctx.get('mhz_per_cpu', '?')} MHz, run {ctx.get('date', '?')}; "
            f"Google Benchmark library built as {ctx.get('library_build_type', '?')}.")
        if ctx.get("cpu_scaling_enabled"):
            lines.append("Warning: CPU frequency scaling was enabled; timings are noisier.")
        lines.append("")
    lines += [
        "Time per item in ns: median (min–max) over the repetitions "
        "(\"/iter\": per iteration, the benchmark reports no item count). "
        "\"tact Nx impl\": tact's median throughput divided by impl's (>1: tact is faster).",
        "",
    ]
    families = defaultdict(list)
    for (fam, scen) in grouped:
        families[fam].append(scen)
    for fam in sorted(families):
        lines += [f"## {fam}", "", "| scenario | impl | ns/item median (min–max) | reps | vs tact |",
                  "|---|---|---|---:|---|"]
        for scen in sorted(families[fam], key=natural_key):
            impls = grouped[(fam, scen)]
            for impl in impl_order(impls):
                s = impls[impl]
                lines.append(f"| {scen} | {impl} | {cell_time(s)} | {len(s.ns_per_item)} | "
                             f"{ratio_cell(impl, impls)} |")
        lines.append("")
    if others:
        lines += ["## other (names not <family>/<scenario>/<impl>)", "",
                  "| benchmark | ns/item median (min–max) | reps |", "|---|---|---:|"]
        for name in sorted(others):
            lines.append(f"| {name} | {cell_time(others[name])} | {len(others[name].ns_per_item)} |")
        lines.append("")
    if not grouped and not others:
        lines += ["No benchmark results.", ""]
    if problems:
        lines += ["## Problems", ""] + [f"- {p}" for p in problems] + [""]
    return "\n".join(lines)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("files", nargs="*", type=Path, help="benchmark JSON files")
    ap.add_argument("--results", type=Path, help="directory of <name>.json files")
    ap.add_argument("--out", type=Path, help="also write the Markdown table here")
    ap.add_argument("--expect", action="append", default=[],
                    help="a benchmark binary whose results/<name>.json should exist")
    ap.add_argument("--failed", action="append", default=[],
                    help="NAME=WHY: a benchmark binary the caller saw fail")
    args = ap.parse_args(argv)

    problems: list[str] = []
    failed = dict(f.split("=", 1) if "=" in f else (f, "failed") for f in args.failed)
    for name, why in failed.items():
        problems.append(f"{name}: {why}")
    files = list(args.files)
    if args.results:
        if args.expect:
            for name in args.expect:
                path = args.results / f"{name}.json"
                if path.exists():
                    files.append(path)
                elif name not in failed:
                    problems.append(f"{name}: no results ({path} missing)")
        else:
            files += sorted(args.results.glob("*.json"))

    contexts: dict = {}
    series, others = collect(files, problems, contexts)
    report = render(group(series), others, problems, contexts)
    print(report)
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(report)
        print(f"(written to {args.out})", file=sys.stderr)
    failed_rows = any(s.errors for s in series.values()) or any(s.errors for s in others.values())
    return 3 if problems or failed_rows else 0


if __name__ == "__main__":
    sys.exit(main())
