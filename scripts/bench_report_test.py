#!/usr/bin/env python3
"""Tests of bench_report.py on hand-made Google Benchmark JSON: python3 scripts/bench_report_test.py"""

import contextlib
import io
import json
import sys
import tempfile
import unittest
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import bench_report as br  # noqa: E402

CONTEXT = {"date": "2025-01-01T00:00:00", "host_name": "box", "num_cpus": 2,
           "mhz_per_cpu": 2400, "cpu_scaling_enabled": False, "library_build_type": "release"}


def rows(name, times_ns, items=True, unit="ns", threads=1):
    """Repetition rows plus the aggregates Google Benchmark appends (deliberately wrong
    values, so a report that used them would fail the tests)."""
    out = []
    scale = br.TIME_UNIT_NS[unit]
    for i, t in enumerate(times_ns):
        r = {"name": name, "run_name": name, "run_type": "iteration", "repetitions": len(times_ns),
             "repetition_index": i, "threads": threads, "iterations": 1000,
             "real_time": t / scale, "cpu_time": t / scale, "time_unit": unit}
        if items:
            r["items_per_second"] = 1e9 / t
        out.append(r)
    for agg in ("mean", "median", "stddev", "cv", "min", "max"):
        out.append({"name": f"{name}_{agg}", "run_name": name, "run_type": "aggregate",
                    "aggregate_name": agg, "real_time": 1e9, "cpu_time": 1e9,
                    "time_unit": unit, "items_per_second": 1.0})
    return out


class ParseName(unittest.TestCase):
    def test_plain(self):
        n = br.parse_name("mpsc/2p1c/moodycamel")
        self.assertEqual((n.family, n.scenario, n.impl, n.threads), ("mpsc", "2p1c", "moodycamel", None))

    def test_gb_suffixes_stripped(self):
        n = br.parse_name("mpsc/2p1c/tact/iterations:100/repeats:5/real_time/threads:2_median")
        self.assertEqual((n.family, n.scenario, n.impl, n.threads), ("mpsc", "2p1c", "tact", "2"))

    def test_args_join_scenario(self):
        n = br.parse_name("mpsc/batch/tact/64/real_time")
        self.assertEqual((n.scenario, n.impl), ("batch/64", "tact"))

    def test_numeric_scenario(self):
        n = br.parse_name("mpsc/1/tact")
        self.assertEqual((n.scenario, n.impl), ("1", "tact"))

    def test_unconventional(self):
        self.assertIsNone(br.parse_name("BM_Something/8"))


class Report(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.TemporaryDirectory()
        self.path = Path(self.dir.name)

    def tearDown(self):
        self.dir.cleanup()

    def write(self, name, benchmarks, truncate=None):
        text = json.dumps({"context": CONTEXT, "benchmarks": benchmarks}, indent=2)
        if truncate:
            text = text[: int(len(text) * truncate)]
        (self.path / f"{name}.json").write_text(text)

    def report(self, *extra):
        out = self.path / "micro.md"
        with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
            rc = br.main(["--results", str(self.path), "--out", str(out), *extra])
        return rc, out.read_text()

    def test_medians_ranges_and_ratios(self):
        self.write("mpsc_queue_bench",
                   rows("mpsc/2p1c/tact/real_time/threads:2", [10, 12, 11], threads=2)
                   + rows("mpsc/2p1c/moodycamel/real_time/threads:2", [22, 20, 30], threads=2))
        rc, md = self.report("--expect", "mpsc_queue_bench")
        self.assertEqual(rc, 0)
        self.assertIn("| 2p1c | tact | 11.0 (10.0–12.0) | 3 | — |", md)
        self.assertIn("| 2p1c | moodycamel | 22.0 (20.0–30.0) | 3 | tact 2.00x moodycamel |", md)

    def test_real_time_when_no_items(self):
        self.write("reply_slot_bench",
                   rows("reply/roundtrip/tact", [2000, 1000, 3000], items=False, unit="us")
                   + rows("reply/roundtrip/std_future", [4000, 4000, 4000], items=False))
        rc, md = self.report()
        self.assertIn("| roundtrip | tact | 2,000 (1,000–3,000) /iter | 3 | — |", md)
        self.assertIn("tact 2.00x std_future", md)

    def test_missing_failed_truncated_and_error_rows(self):
        err = {"name": "reply/x/tact", "run_name": "reply/x/tact", "run_type": "iteration",
               "error_occurred": True, "error_message": "watchdog fired", "time_unit": "ns"}
        self.write("reply_slot_bench", [err] + rows("reply/x/std_future", [5, 5, 5]))
        self.write("chase_lev_deque_bench",
                   rows("deque/steal/tact", [1, 2, 3]) + rows("deque/steal/mutex", [4, 5, 6]),
                   truncate=0.6)
        rc, md = self.report("--expect", "reply_slot_bench", "--expect", "chase_lev_deque_bench",
                             "--expect", "mpsc_queue_bench", "--failed", "mpsc_queue_bench=build failed")
        self.assertEqual(rc, 3)
        self.assertIn("| x | tact | FAILED: watchdog fired | 0 | — |", md)
        self.assertIn("| x | std_future | 5.00 (5.00–5.00) | 3 | no tact result |", md)
        self.assertIn("| steal | tact | 2.00 (1.00–3.00) | 3 | — |", md)
        self.assertIn("- mpsc_queue_bench: build failed", md)
        self.assertIn("chase_lev_deque_bench.json: truncated output", md)

    def test_thread_counts_split_scenarios(self):
        self.write("chase_lev_deque_bench",
                   rows("deque/push_pop/tact/threads:1", [1, 1, 1])
                   + rows("deque/push_pop/tact/threads:2", [3, 3, 3], threads=2)
                   + rows("deque/push_pop/taskflow/threads:1", [2, 2, 2]))
        _, md = self.report()
        self.assertIn("| push_pop/threads:1 | taskflow | 2.00 (2.00–2.00) | 3 | tact 2.00x taskflow |", md)
        self.assertIn("| push_pop/threads:2 | tact | 3.00 (3.00–3.00) | 3 | — |", md)

    def test_empty_file(self):
        (self.path / "mpsc_queue_bench.json").write_text("")
        rc, md = self.report("--expect", "mpsc_queue_bench")
        self.assertEqual(rc, 3)
        self.assertIn("No benchmark results.", md)


if __name__ == "__main__":
    unittest.main()
