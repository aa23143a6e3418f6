"""The Members section as a person uses it, headless at 120x36: open it (3), type a filter of
nine letters, clear it (escape), sort by a column and sort it the other way (a header's click,
posted). Each time is from the key reaching the app to the frame showing its answer (the rows on
screen answer the filter and sort asked for last); the longest stall of the UI loop meanwhile is
measured with a lag probe.

Baseline, in the same run: a bare Textual app answering a key with a frame (a DataTable of the
rows one screen shows, filled again), measured the same way. Large: org `acme`, 5,000 members;
small: the demo-sized store. The store is a copy: the app writes (it remembers the org shown).
"""

from __future__ import annotations

import asyncio
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from textual import events  # noqa: E402
from textual.app import App, ComposeResult  # noqa: E402
from textual.widgets import DataTable  # noqa: E402

from benchmarks.harness import Figure, StallMeter, wait_until  # noqa: E402
from benchmarks.large_store import LARGE, SMALL, USER, cached  # noqa: E402
from pylee_tui.app import PyleeApp  # noqa: E402
from pylee_tui.sections.members.pane import MembersPane  # noqa: E402

SIZE = (120, 36)
FILTER = "falcon.01"  # nine letters: emails are word.NNNNN@acme.example
RUNS = 3
KEY_MS = 100.0  # issue 14: every key settles in at most 100 ms...
STALL_MS = 50.0  # ...with no stall of the UI over 50 ms


async def _timed(app: App, act: Callable[[], None], settled: Callable[[], bool]) -> float:
    """ms from a key reaching the app (or a header's click, posted) to the frame showing its
    answer."""
    started = time.perf_counter()
    act()
    await wait_until(settled, timeout=60, poll=0.0005)
    await app.screen.wait_for_refresh()
    return (time.perf_counter() - started) * 1000


def _key(app: App, key: str) -> Callable[[], None]:
    def send() -> None:
        assert app._driver is not None
        app._driver.send_message(events.Key(key, key if len(key) == 1 else None))

    return send


async def _app_run(db: Path) -> dict[str, list[float]]:
    out: dict[str, list[float]] = {}

    def note(what: str, ms: float, stall: float) -> None:
        out.setdefault(what, []).append(ms)
        out.setdefault(f"{what} stall", []).append(stall)

    app = PyleeApp(db_path=db, user=USER, watch_interval=3600)
    async with app.run_test(size=SIZE) as pilot:
        await wait_until(lambda: bool(app.screen.query("OverviewPane")), timeout=60)
        await app.workers.wait_for_complete()
        await pilot.pause()
        meter = StallMeter().start()
        try:

            def pane() -> MembersPane | None:
                found = app.screen.query(MembersPane)
                return found.first() if found else None

            def settled(text: str = "", sort: tuple[int, bool] = (0, False)) -> Callable[[], bool]:
                """The key has been read (the pane asks for `text` sorted by `sort`) and the
                rows on screen answer it."""

                def check() -> bool:
                    p = pane()
                    return (
                        p is not None
                        and p.wanted == (text, *sort)
                        and p.settled
                        and not p.table.loading
                    )

                return check

            meter.reset()
            ms = await _timed(app, _key(app, "3"), settled())
            note("open", ms, meter.worst_ms)
            members = pane()
            assert members is not None
            shown = members.table.row_count
            await pilot.press("slash")
            for i, ch in enumerate(FILTER):
                meter.reset()
                ms = await _timed(app, _key(app, ch), settled(FILTER[: i + 1]))
                note("filter key", ms, meter.worst_ms)
            assert members.table.row_count < shown, "the filter kept every member"
            meter.reset()
            ms = await _timed(app, _key(app, "escape"), settled())  # the filter cleared
            note("clear the filter", ms, meter.worst_ms)
            assert members.table.row_count == shown
            table = members.table
            for what, descending in (("sort", False), ("sort the other way", True)):
                meter.reset()
                ms = await _timed(
                    app,
                    lambda: table.post_message(table.HeaderSelected(table, 2)),
                    settled(sort=(2, descending)),
                )
                note(what, ms, meter.worst_ms)
        finally:
            meter.stop()
    return out


class _Bare(App[None]):
    """A bare Textual app: a key fills a DataTable with one screen of rows again."""

    def __init__(self, rows: list[tuple[str, ...]]) -> None:
        super().__init__()
        self.rows, self.fills = rows, 0

    def compose(self) -> ComposeResult:
        yield DataTable()

    def on_mount(self) -> None:
        self.query_one(DataTable).add_columns(*(f"c{i}" for i in range(len(self.rows[0]))))

    def on_key(self) -> None:
        table = self.query_one(DataTable)
        table.clear()
        for i, row in enumerate(self.rows):
            table.add_row(*row, key=str(i))
        self.fills += 1


async def _bare_run(rows: list[tuple[str, ...]], keys: int) -> list[float]:
    app = _Bare(rows)
    times = []
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        for i in range(keys):
            want = app.fills + 1
            times.append(await _timed(app, _key(app, "abc"[i % 3]), lambda w=want: app.fills >= w))
    return times


def measure(size: str) -> tuple[str, list[Figure]]:
    source = cached(LARGE if size == "large" else SMALL)
    runs: list[dict[str, list[float]]] = []
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "store.db"
        for _ in range(RUNS):
            shutil.copyfile(source, db)  # the app writes: a fresh copy each run
            runs.append(asyncio.run(_app_run(db)))
    visible = SIZE[1] - 10  # rows one screen of the section shows
    rows = [
        (f"someone.{i:05d}@acme.example", "", "member", "active", "", "", "", "")
        for i in range(visible)
    ]
    bare = asyncio.run(_bare_run(rows, 15))
    baseline = statistics.median(bare)

    def values(what: str) -> list[float]:
        return [v for run in runs for v in run[what]]

    figures = []
    for what in ("open", "filter key", "clear the filter", "sort", "sort the other way"):
        times, stalls = values(what), values(f"{what} stall")
        per = f"median of {len(times)}" if len(times) > 1 else "one"
        figures.append(
            Figure(
                f"members: {what}, key to frame ({per}; slowest {max(times):,.0f} ms)",
                statistics.median(times),
                baseline=baseline,
                baseline_what=f"bare Textual app, key to a frame of a {visible}-row DataTable",
                limit=KEY_MS,
            )
        )
        figures.append(Figure(f"members: {what}, longest UI stall", max(stalls), limit=STALL_MS))
    return f"members section ({size} store, {RUNS} runs)", figures


if __name__ == "__main__":
    title, figs = measure(sys.argv[1] if len(sys.argv) > 1 else "small")
    print(title)
    for f in figs:
        print("\n".join(f.lines()))
