"""The Registries section as a person uses it, headless at 120x36: open it (2), open the biggest
registry (→), show its next page of servers (enter on "… N more"), type a filter of five letters,
clear it (escape), and move between registries (↓). Each time is from the key reaching the app
to the frame showing its answer (the tree as asked and every load it started landed); the
longest stall of the UI loop meanwhile is measured with a lag probe.

Baseline, in the same run: a bare Textual app answering a key with a frame of a Tree as big as
the one shown (40 registries, one open on a page of servers), measured the same way. Large: org
`acme`, registry `platform` with 5,000 servers among 40 registries and 20,000 servers; small:
the demo-sized store. The store is a copy: the app writes (it remembers the org shown).
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
from textual.widgets import Tree  # noqa: E402
from textual.worker import WorkerState  # noqa: E402

from benchmarks.harness import Figure, StallMeter, wait_until  # noqa: E402
from benchmarks.large_store import BIG_REGISTRY, LARGE, SMALL, USER, cached  # noqa: E402
from pylee_tui.app import PyleeApp  # noqa: E402
from pylee_tui.sections.registries.browser import RegistryBrowser  # noqa: E402
from pylee_tui.sections.registries.tree import NodeData, RegistryTree  # noqa: E402
from pylee_tui.services.registries import SERVER_PAGE  # noqa: E402

SIZE = (120, 36)
FILTER = "-0004"  # names end in a five-digit number: -00040 … -00049 in each registry
RUNS = 3
KEY_MS = 100.0  # issue 14: every key settles in at most 100 ms...
STALL_MS = 50.0  # ...with no stall of the UI over 50 ms


def _idle(app: App) -> bool:
    return not any(w.state in (WorkerState.PENDING, WorkerState.RUNNING) for w in app.workers)


async def _timed(app: App, act: Callable[[], None], done: Callable[[], bool]) -> float:
    """ms from a key reaching the app to the frame showing its answer: `done` holds and no
    load is on its way."""
    started = time.perf_counter()
    act()
    await wait_until(lambda: done() and _idle(app), timeout=60, poll=0.0005)
    await app.screen.wait_for_refresh()
    return (time.perf_counter() - started) * 1000


def _key(app: App, key: str, character: str | None = None) -> Callable[[], None]:
    def send() -> None:
        assert app._driver is not None
        app._driver.send_message(events.Key(key, character))

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

            def tree() -> RegistryTree | None:
                found = app.screen.query(RegistryTree)
                return found.first() if found else None

            def at(data: NodeData) -> Callable[[], bool]:
                def check() -> bool:
                    t = tree()
                    return (
                        t is not None and t.cursor_node is not None and t.cursor_node.data == data
                    )

                return check

            meter.reset()
            ms = await _timed(app, _key(app, "2"), lambda: bool((t := tree()) and t.registries))
            note("open the section", ms, meter.worst_ms)
            t = tree()
            assert t is not None
            big = NodeData("registry", BIG_REGISTRY)
            t.select_data(big)
            await wait_until(lambda: _idle(app), timeout=60)
            meter.reset()
            ms = await _timed(app, _key(app, "right"), lambda: t.is_loaded(BIG_REGISTRY))
            note(f"open {BIG_REGISTRY}", ms, meter.worst_ms)
            shown = len(t.pages[BIG_REGISTRY].lines)
            if t.find(NodeData("more", BIG_REGISTRY)) is not None:
                t.select_data(NodeData("more", BIG_REGISTRY))
                await wait_until(lambda: _idle(app), timeout=60)
                meter.reset()
                ms = await _timed(
                    app,
                    _key(app, "enter"),
                    lambda: t.pages[BIG_REGISTRY].offset == shown,
                )
                note("its next page", ms, meter.worst_ms)
            browser = app.screen.query_one(RegistryBrowser)
            await pilot.press("slash")
            for i, ch in enumerate(FILTER):
                meter.reset()
                ms = await _timed(
                    app,
                    _key(app, "minus" if ch == "-" else ch, ch),
                    lambda i=i: browser.query_text == FILTER[: i + 1],
                )
                note("filter key", ms, meter.worst_ms)
            meter.reset()
            ms = await _timed(app, _key(app, "escape"), lambda: browser.query_text == "")
            note("clear the filter", ms, meter.worst_ms)
            for node in t.root.children:  # every registry closed: ↓ moves between them
                node.collapse()
            t.select_data(big)
            await wait_until(lambda: _idle(app), timeout=60)
            order = list(t.registries)
            here = order.index(BIG_REGISTRY)
            for following in order[here + 1 : here + 4]:
                target = NodeData("registry", following)
                meter.reset()
                ms = await _timed(app, _key(app, "down"), at(target))
                note("move to the next registry", ms, meter.worst_ms)
        finally:
            meter.stop()
    return out


class _Bare(App[None]):
    """A bare Textual app: a key builds a Tree of 40 registries, one open on a page."""

    def __init__(self, children: int) -> None:
        super().__init__()
        self.leaves, self.builds = children, 0

    def compose(self) -> ComposeResult:
        yield Tree("Registries")

    def on_key(self) -> None:
        tree: Tree[None] = self.query_one(Tree)
        tree.clear()
        for r in range(40):
            node = tree.root.add(f"registry {r:02d}  {self.leaves} servers")
            if r == 0:
                for i in range(self.leaves):
                    node.add_leaf(f"io.example.platform/server-{i:05d}  1.0.0")
                node.expand()
        tree.root.expand()
        self.builds += 1


async def _bare_run(children: int, keys: int) -> list[float]:
    app = _Bare(children)
    times = []
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        for i in range(keys):
            want = app.builds + 1
            times.append(await _timed(app, _key(app, "abc"[i % 3]), lambda w=want: app.builds >= w))
    return times


def measure(size: str) -> tuple[str, list[Figure]]:
    source = cached(LARGE if size == "large" else SMALL)
    runs: list[dict[str, list[float]]] = []
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "store.db"
        for _ in range(RUNS):
            shutil.copyfile(source, db)  # the app writes: a fresh copy each run
            runs.append(asyncio.run(_app_run(db)))
    baseline = statistics.median(asyncio.run(_bare_run(SERVER_PAGE, 15)))
    figures = []
    for what in runs[0]:
        if what.endswith(" stall"):
            continue
        times = [v for run in runs for v in run[what]]
        stalls = [v for run in runs for v in run[f"{what} stall"]]
        figures.append(
            Figure(
                f"registries: {what}, key to frame (median of {len(times)}; "
                f"slowest {max(times):,.0f} ms)",
                statistics.median(times),
                baseline=baseline,
                baseline_what=f"bare Textual app, key to a frame of a Tree of 40 + {SERVER_PAGE}",
                limit=KEY_MS,
            )
        )
        figures.append(Figure(f"registries: {what}, longest UI stall", max(stalls), limit=STALL_MS))
    return f"registries section ({size} store, {RUNS} runs)", figures


if __name__ == "__main__":
    title, figs = measure(sys.argv[1] if len(sys.argv) > 1 else "small")
    print(title)
    for f in figs:
        print("\n".join(f.lines()))
