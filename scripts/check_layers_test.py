#!/usr/bin/env python3
"""Tests of check_layers.py on small trees it builds: a clean tree passes; an
include running upward, a folder missing from layers.txt, and a public header
including src/ each fail, naming the offending line."""
import os
import subprocess
import sys
import tempfile

CHECK = os.path.join(os.path.dirname(os.path.abspath(__file__)), "check_layers.py")


def tree(files):
    root = tempfile.mkdtemp(prefix="check-layers-")
    for rel, text in files.items():
        path = os.path.join(root, rel)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w", encoding="utf-8") as f:
            f.write(text)
    return root


def run(root):
    r = subprocess.run([sys.executable, CHECK, root], capture_output=True, text=True)
    return r.returncode, r.stdout


BASE = {
    "src/layers.txt": "low  # the bottom\nmid\ntop\n",
    "src/low/a.hpp": "#pragma once\n",
    "src/mid/b.hpp": '#include "low/a.hpp"\n#include "b2.hpp"\n',
    "src/mid/b2.hpp": "#pragma once\n",
    "src/top/sub/c.cpp": '#include "mid/b.hpp"\n#include "tact/x.hpp"\n',
    "include/tact/x.hpp": '#include "tact/y.hpp"\n',
}


def main():
    failures = []

    def expect(name, files, code, needle):
        got, out = run(tree(files))
        if got != code or needle not in out:
            failures.append(f"{name}: exit {got}, expected {code} with {needle!r}; output:\n{out}")

    expect("clean", BASE, 0, "0 upward include(s)")
    expect("upward", {**BASE, "src/low/a.hpp": '#include "top/sub/c.hpp"\n'}, 1,
           "src/low/a.hpp:1: low includes top/sub/c.hpp, a higher layer (top)")
    expect("unnamed folder", {**BASE, "src/extra/d.hpp": "#pragma once\n"}, 1,
           "src/extra/: not named in src/layers.txt")
    expect("public header", {**BASE, "include/tact/x.hpp": '#include "mid/b.hpp"\n'}, 1,
           'include/tact/x.hpp:1: a public header includes "mid/b.hpp"')
    for f in failures:
        print("FAIL", f)
    print(f"check_layers_test: {4 - len(failures)} passed, {len(failures)} failed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
