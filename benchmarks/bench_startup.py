"""Start-up: time from PyleeApp start to the org home on screen (demo store), beside a bare Textual
App showing one Static, measured the same way in the same run. Target: ratio <= 1.5.

"Ready" for pylee-tui means the org home with its onboarding timeline and the overview's Markdown
rendered, then one settled frame; for the bare app, its Static mounted, then one settled frame.
"""

from __future__ import annotations

import asyncio
import statistics
import tempfile
import time
from pathlib import Path

from textual.app import App, ComposeResult
from textual.widgets import Static

from pylee_tui.app import PyleeApp
from pylee_tui.screens.org import OrgScreen
from pylee_tui.services import Services
from pylee_tui.services.demo import load_demo
from pylee_tui.store import Store

USER = "bench@example.com"
RUNS = 7
TARGET = 1.5


class BareApp(App[None]):
    def compose(self) -> ComposeResult:
        yield Static("hello", id="hello")


async def _time_until(app: App, ready) -> float:
    start = time.perf_counter()
    async with app.run_test(size=(120, 36)) as pilot:
        while not ready(app):
            await asyncio.sleep(0.0005)
        await pilot.pause()  # the frame with it on screen
        elapsed = time.perf_counter() - start
    return elapsed


def _home_ready(app: App) -> bool:
    screen = app.screen
    return (
        isinstance(screen, OrgScreen)
        and screen.view is not None
        and screen.query_one("#timeline").state is not None
        and screen.overview_shown == screen.view.org.overview
    )


def _bare_ready(app: App) -> bool:
    return bool(app.screen.query("#hello")) and app.screen.query_one("#hello").is_mounted


async def _measure(db: Path) -> dict[str, float]:
    # one warm-up of each so imports and first-use caches do not count against either
    await _time_until(BareApp(), _bare_ready)
    await _time_until(PyleeApp(db_path=db, user=USER, watch_interval=3600), _home_ready)
    bare, pylee = [], []
    for _ in range(RUNS):
        bare.append(await _time_until(BareApp(), _bare_ready))
        pylee.append(await _time_until(_app(db), _home_ready))
    bare_ms = statistics.median(bare) * 1000
    pylee_ms = statistics.median(pylee) * 1000
    return {"bare_ms": bare_ms, "pylee_ms": pylee_ms, "ratio": pylee_ms / bare_ms}


def _app(db: Path) -> PyleeApp:
    return PyleeApp(db_path=db, user=USER, watch_interval=3600)


def run() -> dict[str, float]:
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "demo.db"
        store = Store(db)
        load_demo(Services(store), USER)
        store.close()
        return asyncio.run(_measure(db))


def report(result: dict[str, float]) -> str:
    verdict = "OK" if result["ratio"] <= TARGET else "OVER TARGET"
    return (
        f"start-up to org home (median of {RUNS}, headless 120x36)\n"
        f"  bare Textual app, one Static : {result['bare_ms']:7.1f} ms\n"
        f"  pylee-tui on the demo store  : {result['pylee_ms']:7.1f} ms\n"
        f"  ratio                        : {result['ratio']:7.2f}x"
        f"  (target <= {TARGET}x: {verdict})"
    )


if __name__ == "__main__":
    print(report(run()))
