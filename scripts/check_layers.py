#!/usr/bin/env python3
"""Check that libtact.a's folders form layers and the public headers stay public.

usage: check_layers.py [ROOT]   (ROOT: the project's top folder; default: this script's parent's parent)

Reads the layer order from ROOT/src/layers.txt (bottom first; '#' starts a comment;
folders on one line share a layer). Then:
  - a file under src/<folder>/ may include "<other>/..." only when <other>'s layer is
    not above its own; an include without a folder is its own folder's;
  - every folder directly under src/ must be named in layers.txt;
  - a public header (include/tact/...) may include only "tact/..." headers, never src/.
Prints every violation and a summary line; exits 1 if there is any.
"""
import os
import re
import sys

INCLUDE = re.compile(r'^\s*#\s*include\s+"([^"]+)"')


def read_layers(path):
    rank = {}
    with open(path, encoding="utf-8") as f:
        for line in f:
            words = line.split("#", 1)[0].split()
            if not words:
                continue
            level = len(set(rank.values()))
            for name in words:
                if name in rank:
                    raise SystemExit(f"{path}: {name} is named twice")
                rank[name] = level
    return rank


def includes(path):
    with open(path, encoding="utf-8", errors="replace") as f:
        for n, line in enumerate(f, 1):
            m = INCLUDE.match(line)
            if m:
                yield n, m.group(1)


def sources(top):
    for root, _, files in os.walk(top):
        for name in sorted(files):
            if name.endswith((".hpp", ".cpp", ".h")):
                yield os.path.join(root, name)


def main(argv):
    root = argv[1] if len(argv) > 1 else os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    src = os.path.join(root, "src")
    rank = read_layers(os.path.join(src, "layers.txt"))
    problems = []
    folders = sorted(d for d in os.listdir(src) if os.path.isdir(os.path.join(src, d)))
    for d in folders:
        if d not in rank:
            problems.append(f"src/{d}/: not named in src/layers.txt")
            continue
        for path in sources(os.path.join(src, d)):
            for n, target in includes(path):
                head = target.split("/")[0] if "/" in target else d
                if head == "tact" or head not in rank:
                    continue  # public headers, system-style paths
                if rank[head] > rank[d]:
                    rel = os.path.relpath(path, root)
                    problems.append(f"{rel}:{n}: {d} includes {target}, a higher layer ({head})")
    upward = len(problems)
    public = os.path.join(root, "include", "tact")
    for path in sources(public):
        for n, target in includes(path):
            if not target.startswith("tact/"):
                rel = os.path.relpath(path, root)
                problems.append(f"{rel}:{n}: a public header includes \"{target}\" (only \"tact/...\" may be)")
    for p in problems:
        print(p)
    order = " < ".join(sorted(set(rank), key=lambda k: (rank[k], k)))
    print(f"check_layers: layers {order}; {upward} upward include(s) or unnamed folder(s), "
          f"{len(problems) - upward} public-header problem(s)")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
