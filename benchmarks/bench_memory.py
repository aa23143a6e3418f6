"""Peak memory of the app: a fresh process runs it headless (120x36) on a store, waits for the
org home, visits every section (2 3 4 5 1, each until it has settled), and reports its peak
resident set (VmHWM; see `peak_kb`). The baseline is the same on the demo store, in the same run.

Target (issue 14): the peak on the large store <= 2x the peak on the demo store. small: the
small generated store (`cached(SMALL)`, the demo-sized shape of the large one) against the demo.
"""

from __future__ import annotations

import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

from benchmarks.harness import Figure

ROOT = Path(__file__).resolve().parent.parent
PYTHON = ROOT / ".venv" / "bin" / "python"
RUNS = 3

CHILD = """
import asyncio, json, resource, sys
sys.path.insert(0, sys.argv[3])
from benchmarks.bench_sections import _idle, _section_settled, _send_key, _next_frame
from benchmarks.harness import wait_until
from pylee_tui.app import PyleeApp

SECTIONS = (("2", "registries"), ("3", "members"), ("4", "vault"), ("5", "audit"),
            ("1", "overview"))

def peak_kb():
    # VmHWM: the peak of this process image. getrusage's ru_maxrss also keeps the peak of the
    # process that forked it (Linux carries it across exec): a benchmark run after others
    # would measure its own parent
    try:
        with open("/proc/self/status") as status:
            return next(int(l.split()[1]) for l in status if l.startswith("VmHWM:"))
    except (OSError, StopIteration):
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss

async def main():
    app = PyleeApp(db_path=sys.argv[1], user=sys.argv[2], watch_interval=3600)
    async with app.run_test(size=(120, 36)) as pilot:
        await wait_until(lambda: app.org_screen.view is not None, timeout=120)
        await wait_until(lambda: _idle(app), timeout=120)
        home = peak_kb()
        for key, section in SECTIONS:
            _send_key(app, key)
            await wait_until(_section_settled(app, section), timeout=120)
            await _next_frame(app)
    peak = peak_kb()
    print(json.dumps({"home_kb": home, "peak_kb": peak}))

asyncio.run(main())
"""


def _copy(source: Path, tmp: Path, name: str) -> Path:
    db = tmp / name
    shutil.copy(source, db)
    with db.open("rb+") as copied:  # on disk now: the app's first write must not flush it
        os.fsync(copied.fileno())
    return db


def _peak(db: Path, user: str) -> dict[str, float]:
    """MB: the peak once the org home has settled, and after every section was visited."""
    out = subprocess.run(
        [str(PYTHON), "-c", CHILD, str(db), user, str(ROOT)],
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
        timeout=600,
    ).stdout
    kb = json.loads(out.strip().splitlines()[-1])
    return {"home": kb["home_kb"] / 1024, "peak": kb["peak_kb"] / 1024}


def measure(size: str) -> tuple[str, list[Figure]]:
    from benchmarks.large_store import LARGE, SMALL, USER, app_store, cached

    with tempfile.TemporaryDirectory() as tmp:
        (Path(tmp) / "demo").mkdir()
        demo, demo_user = app_store("small", Path(tmp) / "demo")
        store = _copy(cached(LARGE if size == "large" else SMALL), Path(tmp), "store.db")
        demo_runs, store_runs = [], []
        for _ in range(RUNS):
            demo_runs.append(_peak(demo, demo_user))
            store_runs.append(_peak(store, USER))

    def mb(runs: list[dict[str, float]], key: str) -> float:
        return statistics.median(r[key] for r in runs)

    which = "the large store (acme)" if size == "large" else "the small generated store"
    return (
        f"Peak memory of the app, {which}, every section visited (median of {RUNS} processes)",
        [
            Figure(
                f"peak RSS on {which}",
                mb(store_runs, "peak"),
                unit="MB",
                baseline=mb(demo_runs, "peak"),
                baseline_what="the same on the demo store",
                max_ratio=2.0,
                note=f"at the org home: {mb(store_runs, 'home'):,.0f} MB "
                f"(demo {mb(demo_runs, 'home'):,.0f} MB)",
            )
        ],
    )


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    from benchmarks.harness import report

    print(report(*measure(sys.argv[1] if len(sys.argv) > 1 else "small"))[0])
