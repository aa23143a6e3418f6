"""`make bench`: every benchmark, one report. Speed targets live here, never in the tests."""

from __future__ import annotations

import importlib
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

BENCHMARKS = [
    "bench_startup",
    "bench_markdown_editor",
    "bench_registry_tree",
    "bench_vault",
    "bench_quick_check",
]


def main() -> int:
    for name in BENCHMARKS:
        module = importlib.import_module(f"benchmarks.{name}")
        result = module.run()
        print(module.report(result) if hasattr(module, "report") else result)
        print()
    return 0


if __name__ == "__main__":
    sys.exit(main())
