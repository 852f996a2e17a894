#!/usr/bin/env python3
"""Tests of workloads_report.py and workloads_chart.py on hand-made RESULT lines,
and that every program runs the same workloads and the chart draws each of them:
python3 scripts/workloads_report_test.py"""

import contextlib
import io
import re
import sys
import tempfile
import unittest
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))
import workloads_chart as wc  # noqa: E402
import workloads_report as wr  # noqa: E402


def result(workload, framework, metric, value, unit):
    return f"RESULT workload={workload} framework={framework} metric={metric} value={value} unit={unit}\n"


class ReportTest(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.TemporaryDirectory()
        self.addCleanup(self.dir.cleanup)

    def write(self, name, lines):
        path = Path(self.dir.name) / name
        path.write_text("noise that is not a RESULT line\n" + "".join(lines))
        return str(path)

    def report(self, files):
        out = Path(self.dir.name) / "table.md"
        argv, sys.argv = sys.argv, ["workloads_report.py", "--out", str(out), *files]
        try:
            with contextlib.redirect_stdout(io.StringIO()) as printed:
                status = wr.main()
        finally:
            sys.argv = argv
        self.assertEqual(status, 0)
        self.assertEqual(printed.getvalue().strip(), out.read_text().strip())
        return {tuple(c.strip() for c in line.strip("|").split("|")[:2]): line
                for line in out.read_text().splitlines() if line.startswith("| fanin")}

    def test_medians_ranges_and_ratios_per_workload(self):
        files = []
        for i, (tact, caf, rss) in enumerate([(40e6, 2e6, 13.0), (44e6, 4e6, 12.0), (42e6, 3e6, 14.0)]):
            files.append(self.write(f"tact-{i}.txt", [
                result("fanin_many", "tact", "rate", tact, "msgs/s"),
                result("fanin_many", "tact", "peak_rss_mb", rss, "MB")]))
            files.append(self.write(f"caf-{i}.txt", [
                result("fanin_many", "caf", "rate", caf, "msgs/s"),
                result("fanin_many", "caf", "peak_rss_mb", rss * 20, "MB")]))
        rows = self.report(files)
        rate = rows[("fanin_many", "rate (msgs/s)")]
        self.assertIn("42.00M (40.00M-44.00M) n=3", rate)
        self.assertIn("3.00M (2.00M-4.00M) n=3", rate)
        self.assertTrue(rate.rstrip().endswith("| 14.00x |"), rate)  # a rate: tact / peer
        rss = rows[("fanin_many", "peak_rss_mb (MB)")]
        self.assertTrue(rss.rstrip().endswith("| 20.00x |"), rss)  # memory: peer / tact

    def test_a_workload_a_peer_did_not_run_has_no_ratio(self):
        rows = self.report([
            self.write("tact.txt", [result("fanin", "tact", "rate", 6e7, "msgs/s"),
                                    result("fanin_many", "tact", "rate", 5e7, "msgs/s")]),
            self.write("tokio.txt", [result("fanin", "tokio", "rate", 5e6, "msgs/s")]),
        ])
        self.assertTrue(rows[("fanin", "rate (msgs/s)")].rstrip().endswith("| 12.00x |"))
        many = [c.strip() for c in rows[("fanin_many", "rate (msgs/s)")].strip("|").split("|")]
        self.assertEqual(many[2:], ["50.00M (50.00M-50.00M)", "-", "-"])


def names(pattern, path):
    return re.findall(pattern, (ROOT / path).read_text())


class SameWorkloadsEverywhereTest(unittest.TestCase):
    """A workload added to one program and forgotten in a peer or in the chart fails here."""

    def test_every_program_runs_the_same_workloads_and_the_chart_draws_each(self):
        cpp = names(r'\{"(\w+)", &run_\w+,', "bench/harness/workloads_main.hpp")  # tact and CAF
        tokio = names(r'Workload \{ name: "(\w+)"', "bench/peers/tokio/src/main.rs")
        self.assertIn("fanin_many", cpp)
        self.assertEqual(cpp, tokio)
        charted = {workload for workload, _metric, _label in wc.HEADLINES}
        self.assertEqual(sorted(charted), sorted(cpp))


if __name__ == "__main__":
    unittest.main()
