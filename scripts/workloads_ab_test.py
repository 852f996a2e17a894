#!/usr/bin/env python3
"""Tests of workloads_ab.py against fake workload programs: python3 scripts/workloads_ab_test.py"""

import os
import stat
import subprocess
import sys
import tempfile
import unittest
from pathlib import Path

SCRIPT = Path(__file__).resolve().parent / "workloads_ab.py"

# A fake tact-workloads: lists two workloads; each run appends "<label> <workload>"
# to a log and prints a rate that depends on its label and on how many runs came
# before it (a machine whose speed drifts between runs, as this VM's does).
FAKE = r"""#!/usr/bin/env python3
import sys
if sys.argv[1] == "--help":
    print("usage: fake <workload>|all\n\nworkloads:\n  alpha   one\n  beta    two\n  all     each\n")
    sys.exit(0)
workload, label = sys.argv[1], sys.argv[-1]
log = "{log}"
with open(log, "a") as f:
    f.write(f"{{label}} {{workload}}\n")
runs = sum(1 for _ in open(log))
drift = 1.0 + 0.5 * ((runs - 1) // 2 % 2)    # the machine's speed flips every 2 runs
factor = 0.9 if label == "slow" else 1.0    # "slow" does 10% less work per second
print(f"RESULT workload={{workload}} framework=tact metric=rate value={{100 * drift * factor}} unit=msgs/s")
"""


class WorkloadsAbTest(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.TemporaryDirectory()
        self.log = os.path.join(self.dir.name, "runs.log")
        self.fake = os.path.join(self.dir.name, "fake")
        with open(self.fake, "w") as f:
            f.write(FAKE.format(log=self.log))
        os.chmod(self.fake, os.stat(self.fake).st_mode | stat.S_IEXEC)

    def tearDown(self):
        self.dir.cleanup()

    def ab(self, *args):
        out = subprocess.run([sys.executable, str(SCRIPT), *args], capture_output=True, text=True, check=True)
        return out.stdout

    def runs(self):
        return [line.split() for line in open(self.log).read().splitlines()]

    def test_each_workload_runs_on_both_sides_back_to_back_order_swapped_each_round(self):
        self.ab(f"{self.fake} --label fast", f"{self.fake} --label slow", "2")
        self.assertEqual(self.runs(), [["fast", "alpha"], ["slow", "alpha"], ["fast", "beta"], ["slow", "beta"],
                                       ["slow", "alpha"], ["fast", "alpha"], ["slow", "beta"], ["fast", "beta"]])

    def test_the_paired_ratio_sees_through_a_drifting_machine(self):
        out = self.ab(f"{self.fake} --label fast", f"{self.fake} --label slow", "4", "alpha")
        row = next(line for line in out.splitlines() if line.startswith("| alpha |"))
        cells = [c.strip() for c in row.strip("|").split("|")]
        # The machine's speed moved between pairs (each side reads 100 and 150
        # apart), but a pair's two runs share it: each pair reads 0.9.
        self.assertEqual(cells[2], "125 (100–150)")
        self.assertEqual(cells[5], "0.900 (0.900–0.900)")
        # Only alpha ran: no row for beta.
        self.assertNotIn("| beta |", out)

    def test_no_workloads_listed_is_an_error(self):
        empty = os.path.join(self.dir.name, "empty")
        with open(empty, "w") as f:
            f.write("#!/bin/sh\necho usage\n")
        os.chmod(empty, os.stat(empty).st_mode | stat.S_IEXEC)
        result = subprocess.run([sys.executable, str(SCRIPT), empty, empty, "1"], capture_output=True, text=True)
        self.assertNotEqual(result.returncode, 0)
        self.assertIn("no workloads listed", result.stderr)


if __name__ == "__main__":
    unittest.main()
