"""The damage check: what the first write in a Store's life pays for `PRAGMA integrity_check` on the
benchmark store (the large one is ~100 MB), beside opening it and reading one row (what reads pay).

Median of RUNS fresh opens of a copy of the store, warm page cache. Target: the check costs at most
CHECK_TARGET_MS per 100 MB. A cold cache adds one read of the file from disk (not measured: dropping
the page cache needs root). The app takes this cost in a worker, never on the UI thread.
"""

from __future__ import annotations

import shutil
import tempfile
import time
from pathlib import Path

from benchmarks.harness import Figure, median_ms
from benchmarks.large_store import SHAPES, cached
from pylee_tui.services import Services
from pylee_tui.store import Store

RUNS = 5
CHECK_TARGET_MS = 1000.0


def _open_and_read(db: Path, pragma: str | None = None) -> None:
    store = Store(db)
    try:
        with store.reading() as conn:
            conn.execute("SELECT count(*) FROM organizations").fetchone()
            if pragma is not None:
                assert conn.execute(f"PRAGMA {pragma}").fetchall() == [("ok",)]
    finally:
        store.close()


def _first_write(db: Path, check: bool) -> None:
    store = Store(db)
    try:
        if not check:
            store._sound = True  # as if the check had already run: the write alone
        Services(store).settings.set_setting("bench.touch", str(time.time()))
    finally:
        store.close()


def measure(size: str) -> tuple[str, list[Figure]]:
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "store.db"
        shutil.copy(cached(SHAPES[size]), db)
        size_mb = db.stat().st_size / 1e6
        open_ms = median_ms(lambda: _open_and_read(db), RUNS)
        checked_ms = median_ms(lambda: _open_and_read(db, "integrity_check"), RUNS)
        write_ms = median_ms(lambda: _first_write(db, check=False), RUNS)
        first_write_ms = median_ms(lambda: _first_write(db, check=True), RUNS)
    per_100mb = (checked_ms - open_ms) * 100 / size_mb
    title = f"damage check on a {size_mb:.0f} MB store (median of {RUNS}, warm cache)"
    return title, [
        Figure(
            "integrity_check, per 100 MB",
            per_100mb,
            baseline=open_ms,
            baseline_what="open + one read",
            limit=CHECK_TARGET_MS,
        ),
        Figure(
            "first write of a Store (open, the check, one setting)",
            first_write_ms,
            baseline=write_ms,
            baseline_what="the same write, check skipped",
            note="informational: the app's first write runs in a worker",
        ),
    ]
