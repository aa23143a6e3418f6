"""The org screen's keys: each section's number key (first visit, which builds the section, and a
later visit), the org switcher (`o`) and the next org (`]`), from key press until the section has
settled (shown, its lists loaded, no worker running, then a frame), with the event loop's longest
stall meanwhile (StallMeter). Beside them, in the same run and the same way: a bare Textual app
whose key switches a ContentSwitcher between two Statics.

Targets (issue 14): every key settles in <= 100 ms with no stall over 50 ms, on the large store.
small: the demo store; large: a copy of `cached(LARGE)` (acme: 40 registries, 20,000 servers,
100,000 keys, 5,000 members, ~110k audit events; 50 orgs in the switcher).
"""

from __future__ import annotations

import asyncio
import statistics
import sys
import tempfile
import time
import unicodedata
from collections.abc import Callable
from pathlib import Path

from textual import events
from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.keys import _character_to_key, _get_unicode_name_from_key
from textual.widgets import ContentSwitcher, Static

from benchmarks.harness import Figure, StallMeter, wait_until
from benchmarks.large_store import app_store

ROOT = Path(__file__).resolve().parent.parent
SIZE = (120, 36)
RUNS = 3  # app sessions: a section's first visit happens once in each
SECTION_KEYS = (("2", "registries"), ("3", "members"), ("4", "vault"), ("5", "audit"))


class BareApp(App[None]):
    BINDINGS = [Binding("2", "show('two')"), Binding("1", "show('one')")]

    def compose(self) -> ComposeResult:
        with ContentSwitcher(initial="one"):
            yield Static("one", id="one")
            yield Static("two", id="two")

    def action_show(self, which: str) -> None:
        self.query_one(ContentSwitcher).current = which


def _idle(app: App) -> bool:
    """No worker of the app still to report (a cancelled one's answer is dropped anyway)."""
    return all(w.is_finished or w.is_cancelled for w in app.workers)


def _section_settled(app: App, key: str) -> Callable[[], bool]:
    def settled() -> bool:
        screen = app.screen
        switcher = screen.query(ContentSwitcher)
        if not switcher or switcher.first().current != key or not _idle(app):
            return False
        section = switcher.first().query(f"#{key}")
        if not section:
            return False
        # its pane and its lists (a query of every widget would weigh on what is measured)
        parts = section.first().query("OrgSection, DataTable, VirtualTable, Tree")
        if any(w.loading for w in parts):
            return False
        # a built section gets its org (and so its first rows) once mounted
        return key == "overview" or screen.focused is not None

    return settled


def _send_key(app: App, key: str) -> None:
    """Post a key press as the terminal would (Pilot.press, without its waits for idle)."""
    if len(key) == 1 and not key.isalnum():
        key = _character_to_key(key)
    try:
        char: str | None = unicodedata.lookup(_get_unicode_name_from_key(key))
    except KeyError:
        char = key if len(key) == 1 else None
    event = events.Key(key, char)
    event.set_sender(app)
    assert app._driver is not None
    app._driver.send_message(event)


async def _next_frame(app: App) -> None:
    """Until the screen has refreshed once more: what is on it now has been painted."""
    painted = asyncio.Event()
    app.screen.call_after_refresh(painted.set)
    await painted.wait()


async def _key(pilot, key: str, settled: Callable[[], bool], stalls: StallMeter) -> tuple:
    app = pilot.app
    await pilot.pause()
    stalls.reset()
    started = time.perf_counter()
    _send_key(app, key)
    try:
        await wait_until(settled, timeout=30)
    except TimeoutError:
        raise TimeoutError(
            f"key {key!r} never settled: screen {app.screen}, focus {app.focused}, "
            f"workers {[(w.name, w.state) for w in app.workers]}"
        ) from None
    await _next_frame(app)
    return (time.perf_counter() - started) * 1000, stalls.worst_ms


async def _session(db: Path, user: str, results: dict[str, list[tuple[float, float]]]) -> None:
    from pylee_tui.app import PyleeApp
    from pylee_tui.screens.org import OrgScreen

    app = PyleeApp(db_path=db, user=user, watch_interval=3600)
    async with app.run_test(size=SIZE) as pilot:
        await wait_until(
            lambda: isinstance(app.screen, OrgScreen) and app.screen.view is not None, timeout=60
        )
        await wait_until(lambda: _idle(app), timeout=60)
        await pilot.pause()
        stalls = StallMeter().start()
        for visit in ("first", "again"):
            for key, section in (*SECTION_KEYS, ("1", "overview")):
                what = f"key {key}: {section} ({visit} visit)"
                results.setdefault(what, []).append(
                    await _key(pilot, key, _section_settled(app, section), stalls)
                )
        orgs = app.org_screen.view.orgs if app.org_screen.view else []

        def switcher_open() -> bool:
            return type(app.screen).__name__ == "OrgSwitcherScreen" and _idle(app)

        what = f"o: the org switcher ({len(orgs)} orgs)"
        results.setdefault(what, []).append(await _key(pilot, "o", switcher_open, stalls))
        await pilot.press("escape")
        await wait_until(lambda: isinstance(app.screen, OrgScreen))
        current = app.org_screen.view.org.slug if app.org_screen.view else ""
        slugs = [o.slug for o in orgs]
        after = slugs[(slugs.index(current) + 1) % len(slugs)] if current in slugs else ""

        def next_org_shown() -> bool:
            # the org shown (its last-org setting is written after, in the background: the
            # first write of a session waits for the store's check of the whole file)
            view = app.org_screen.view
            loading = any(w.group == "org-view" and not w.is_finished for w in app.workers)
            return view is not None and view.org.slug == after and not loading

        what = "]: the next org's home"
        results.setdefault(what, []).append(await _key(pilot, "]", next_org_shown, stalls))
        stalls.stop()


async def _bare(runs: int) -> tuple[float, float]:
    times, worst = [], []
    for _ in range(runs):
        app = BareApp()
        async with app.run_test(size=SIZE) as pilot:
            await pilot.pause()
            stalls = StallMeter().start()
            for key, which in (("2", "two"), ("1", "one")) * 3:

                def shown(app: App = app, which: str = which) -> bool:
                    return app.query_one(ContentSwitcher).current == which

                elapsed, stall = await _key(pilot, key, shown, stalls)
                times.append(elapsed)
                worst.append(stall)
            stalls.stop()
    return statistics.median(times), statistics.median(worst)


def measure(size: str) -> tuple[str, list[Figure]]:
    results: dict[str, list[tuple[float, float]]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        db, user = app_store(size, Path(tmp))
        for _ in range(RUNS):
            asyncio.run(_session(db, user, results))
    bare_ms, bare_stall = asyncio.run(_bare(RUNS))
    figures = []
    for what, runs in results.items():
        settle = statistics.median(r[0] for r in runs)
        stall = statistics.median(r[1] for r in runs)
        figures.append(
            Figure(
                f"{what}: key -> settled",
                settle,
                baseline=bare_ms,
                baseline_what="bare Textual app, key -> ContentSwitcher shown",
                limit=100,
            )
        )
        figures.append(
            Figure(
                f"{what}: longest stall",
                stall,
                baseline=bare_stall,
                baseline_what="bare app, same key",
                limit=50,
                note=f"worst of {len(runs)} runs {max(r[1] for r in runs):,.0f} ms, "
                f"settled {max(r[0] for r in runs):,.0f} ms",
            )
        )
    store = "the demo store" if size == "small" else "the large store (acme)"
    return f"The org screen's keys, {store} (median of {RUNS} app sessions)", figures


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    from benchmarks.harness import report

    print(report(*measure(sys.argv[1] if len(sys.argv) > 1 else "small"))[0])
