"""Keys sent to the real app, headless, each timed from the key reaching the app to the frame
showing its answer, with the longest stall of the UI loop meanwhile: what the section benchmarks
(members, registry_tree, vault_ui) share, with their same-run baseline of a bare Textual app
answering a key with a frame of a DataTable.
"""

from __future__ import annotations

import asyncio
import shutil
import statistics
import tempfile
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import TypeVar

from textual import events
from textual.app import App, ComposeResult
from textual.pilot import Pilot
from textual.widget import Widget
from textual.widgets import DataTable

from benchmarks.harness import Figure, StallMeter, wait_until
from benchmarks.large_store import LARGE, SMALL, USER, cached

W = TypeVar("W", bound=Widget)
KEY_MS = 100.0  # issue 14: every key settles in at most 100 ms...
STALL_MS = 50.0  # ...with no stall of the UI over 50 ms

Runs = dict[str, list[float]]


def send_key(app: App, key: str, character: str | None = None) -> Callable[[], None]:
    """A key as the terminal driver delivers it (a printable key is its own character)."""
    if character is None and len(key) == 1:
        character = key

    def send() -> None:
        assert app._driver is not None
        app._driver.send_message(events.Key(key, character))

    return send


POLL = 0.002  # s between two looks at the app: each look runs on the app's own loop


def finder(app: App, kind: type[W]) -> Callable[[], W | None]:
    """The widget of `kind` on the screen, looked up once it is there: a query of the whole
    screen every poll cost the app 1-2 ms of its loop each time, measured as its own."""
    seen: W | None = None

    def find() -> W | None:
        nonlocal seen
        if seen is None or not seen.is_attached:
            found = app.screen.query(kind)
            seen = found.first() if found else None
        return seen

    return find


async def timed(app: App, act: Callable[[], object], settled: Callable[[], bool]) -> float:
    """ms from a key reaching the app (or a choice, posted) to the frame showing its answer."""
    started = time.perf_counter()
    act()
    await wait_until(settled, timeout=60, poll=POLL)
    await app.screen.wait_for_refresh()
    return (time.perf_counter() - started) * 1000


class Steps:
    """Each step's time and the longest stall of the UI loop while it ran, by what it is."""

    def __init__(self, app: App, meter: StallMeter) -> None:
        self.app, self.meter = app, meter
        self.out: Runs = {}

    async def step(self, what: str, act: Callable[[], object], settled: Callable[[], bool]) -> None:
        self.meter.reset()
        ms = await timed(self.app, act, settled)
        self.out.setdefault(what, []).append(ms)
        self.out.setdefault(f"{what} stall", []).append(self.meter.worst_ms)


@asynccontextmanager
async def org_home(db: Path, size: tuple[int, int]) -> AsyncIterator[tuple[App, Pilot, Steps]]:
    """The app on `db` as USER, its org home settled and a stall probe running: the steps to
    time."""
    from pylee_tui.app import PyleeApp

    app = PyleeApp(db_path=db, user=USER, watch_interval=3600)
    async with app.run_test(size=size) as pilot:
        await wait_until(lambda: bool(app.screen.query("OverviewPane")), timeout=60)
        await app.workers.wait_for_complete()
        await pilot.pause()
        meter = StallMeter().start()
        try:
            yield app, pilot, Steps(app, meter)
        finally:
            meter.stop()


def runs_on_copies(size: str, runs: int, one_run: Callable[[Path], Awaitable[Runs]]) -> list[Runs]:
    """`one_run` of the app `runs` times, each on a fresh copy of the cached store of `size`
    (the app writes: it remembers the org shown, audits a reveal)."""
    source = cached(LARGE if size == "large" else SMALL)
    out = []
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "store.db"
        for _ in range(runs):
            shutil.copyfile(source, db)
            out.append(asyncio.run(one_run(db)))
    return out


class _BareTable(App[None]):
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


async def bare_keys(app: App, size: tuple[int, int], keys: int, done: Callable[[], int]) -> float:
    """The median ms of `keys` keys into a bare `app`, each until `done()` (a count of the
    answers) has grown by one and the frame is drawn."""
    times = []
    async with app.run_test(size=size) as pilot:
        await pilot.pause()
        for i in range(keys):
            want = done() + 1
            times.append(await timed(app, send_key(app, "abc"[i % 3]), lambda w=want: done() >= w))
    return statistics.median(times)


def bare_table_ms(rows: list[tuple[str, ...]], size: tuple[int, int], keys: int = 15) -> float:
    """The baseline: a bare Textual app's key -> frame of a DataTable of `rows` filled again."""
    app = _BareTable(rows)
    return asyncio.run(bare_keys(app, size, keys, lambda: app.fills))


def key_figures(
    section: str,
    runs: list[Runs],
    whats: Iterable[str],
    baseline: float,
    baseline_what: str,
    limits: Callable[[str], tuple[float | None, float | None, str]] | None = None,
) -> list[Figure]:
    """Two figures a step: the median key -> frame over every run (against `baseline`, within
    KEY_MS) and the longest stall (within STALL_MS); `limits(what)` may set other limits and a
    note for one step."""
    figures = []
    for what in whats:
        times = [v for run in runs for v in run.get(what, [])]
        stalls = [v for run in runs for v in run.get(f"{what} stall", [])]
        key_limit, stall_limit, note = limits(what) if limits else (KEY_MS, STALL_MS, "")
        per = f"median of {len(times)}" if len(times) > 1 else "one"
        figures.append(
            Figure(
                f"{section}: {what}, key to frame ({per}; slowest {max(times):,.0f} ms)",
                statistics.median(times),
                baseline=baseline,
                baseline_what=baseline_what,
                limit=key_limit,
                note=note,
            )
        )
        figures.append(
            Figure(f"{section}: {what}, longest UI stall", max(stalls), limit=stall_limit)
        )
    return figures


def step_names(runs: list[Runs]) -> list[str]:
    """The steps the runs timed, in the order the first run took them."""
    return [what for what in runs[0] if not what.endswith(" stall")]


__all__ = [
    "KEY_MS",
    "STALL_MS",
    "Steps",
    "StallMeter",
    "bare_keys",
    "bare_table_ms",
    "finder",
    "key_figures",
    "org_home",
    "runs_on_copies",
    "send_key",
    "step_names",
    "timed",
]
