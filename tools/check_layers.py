#!/usr/bin/env python3
"""Checks that every #include "layer/..." in src/ goes down the ladder of docs/architecture.md.

A layer may include itself and the layers below it, never above. Exits 1 listing each
violation as file:line. Run by scripts/test.sh.
"""
import os
import re
import sys

# Bottom to top. Each layer may include itself and anything earlier in the list.
LADDER = ["base", "core", "formats", "kernels", "ops", "nn", "quant", "docling", "models",
          "runtime", "api", "server", "apps"]
# kernels/ sits above formats in the ladder but must not parse files: raw pointers only.
FORBIDDEN = {("kernels", "formats")}
INCLUDE = re.compile(r'^\s*#\s*include\s+"([a-z_]+)/')


def main():
    root = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "src")
    problems = []
    for dirpath, _, files in os.walk(root):
        rel = os.path.relpath(dirpath, root)
        layer = rel.split(os.sep)[0]
        if layer not in LADDER:
            continue
        for name in files:
            path = os.path.join(dirpath, name)
            with open(path, encoding="utf-8") as f:
                for lineno, line in enumerate(f, 1):
                    m = INCLUDE.match(line)
                    if not m or m.group(1) not in LADDER:
                        continue
                    target = m.group(1)
                    if LADDER.index(target) > LADDER.index(layer) or (layer, target) in FORBIDDEN:
                        problems.append(f"src/{os.path.relpath(path, root)}:{lineno}: "
                                        f"{layer} must not include {target}")
    for p in problems:
        print(p)
    print(f"layer check: {len(problems)} violation(s)")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
