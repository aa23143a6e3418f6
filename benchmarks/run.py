"""`make bench` (small) and `make bench-large`: every benchmark, one report; exit 1 when any target
is missed. Speed targets live here, never in the tests.

    python benchmarks/run.py [--large] [NAME ...]     NAME: bench_members, members, ...

A benchmark is a module `benchmarks/bench_*.py` with `measure(size) -> (title, [Figure, ...])`.
"""

from __future__ import annotations

import argparse
import importlib
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from benchmarks.harness import report  # noqa: E402


def names() -> list[str]:
    return sorted(p.stem for p in HERE.glob("bench_*.py"))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="benchmarks/run.py")
    parser.add_argument("--large", action="store_true", help="the large store (make bench-large)")
    parser.add_argument("only", nargs="*", help="run only these benchmarks")
    args = parser.parse_args(argv)
    size = "large" if args.large else "small"
    wanted = [n if n.startswith("bench_") else f"bench_{n}" for n in args.only] or names()
    unknown = [n for n in wanted if n not in names()]
    if unknown:
        print(f"no such benchmark: {', '.join(unknown)} (have: {', '.join(names())})")
        return 2
    missed: list[str] = []
    for name in wanted:
        module = importlib.import_module(f"benchmarks.{name}")
        started = time.perf_counter()
        title, figures = module.measure(size)
        text, ok = report(f"{title}  [{size}]", figures)
        print(text)
        print(f"  ({time.perf_counter() - started:.1f} s)\n", flush=True)
        missed += [f"{name}: {f.what}" for f in figures if not f.ok]
    if missed:
        print(f"{len(missed)} target(s) missed:")
        for line in missed:
            print(f"  {line}")
        return 1
    print("every target holds")
    return 0


if __name__ == "__main__":
    sys.exit(main())
