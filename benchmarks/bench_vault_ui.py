"""The Vault section as a person uses it, headless at 120x36: open it (4) at the org scope, choose
a scope of 5,000 keys (registry `platform`) and one of its servers, show the effective
configuration (t) and the deleted keys (D), type a filter, clear it, sort by a column and the
other way, reveal a secret (v) and hide it, and open a registry of 5,000 servers in the scope
tree. Each time is from the key reaching the app (a scope chosen or a header's click, posted) to
the frame showing its answer; the longest stall of the UI loop meanwhile is measured with a lag
probe.

Baseline, in the same run: a bare Textual app answering a key with a frame (a DataTable of the
rows one screen shows, filled again), measured the same way. Large: org `acme` (2,000 org keys;
`platform`: 5,000 servers, 5,000 keys); small: the demo-sized store. The store is a copy: the
app writes (a reveal is audited; the org shown is remembered).
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
from benchmarks.large_store import (  # noqa: E402
    BIG_ORG,
    BIG_REGISTRY,
    LARGE,
    PASSPHRASE,
    SMALL,
    USER,
    cached,
)
from pylee_tui.app import PyleeApp  # noqa: E402
from pylee_tui.sections.vault.pane import VaultPane  # noqa: E402
from pylee_tui.sections.vault.scope_tree import ScopeTree  # noqa: E402
from pylee_tui.sections.vault.table import VaultTable  # noqa: E402
from pylee_tui.services import Scope  # noqa: E402

FIRST_WRITE = (
    "the store's first write in a session checks the whole file first (store.py, "
    "PRAGMA integrity_check: 0.1-0.8 s per 100 MB); not the vault's to make faster"
)
SIZE = (120, 36)
FILTER = "granite"  # keys are PREFIX_WORD_NNNNN_SUFFIX: a word of the generator's list
RUNS = 3
KEY_MS = 100.0  # issue 14: every key settles in at most 100 ms...
STALL_MS = 50.0  # ...with no stall of the UI over 50 ms
WHAT = (
    "open the vault (org scope)",
    "choose a 5,000-key scope",
    "choose one of its servers",
    "effective configuration (t)",
    "back to keys defined here (t)",
    "deleted keys (D)",
    "back (D)",
    "filter key",
    "clear the filter (escape)",
    "sort by a column",
    "sort the other way",
    "reveal a secret (v), the session's first write",
    "reveal a secret (v)",
    "hide it again (v)",
    "open a registry of 5,000 servers in the tree",
)


async def _timed(app: App, act: Callable[[], object], settled: Callable[[], bool]) -> float:
    """ms from a key reaching the app (or a choice, posted) to the frame showing its answer."""
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
    app = PyleeApp(db_path=db, user=USER, watch_interval=3600)
    async with app.run_test(size=SIZE) as pilot:
        await wait_until(lambda: bool(app.screen.query("OverviewPane")), timeout=60)
        await app.workers.wait_for_complete()
        await pilot.pause()
        meter = StallMeter().start()

        async def step(what: str, act: Callable[[], object], settled: Callable[[], bool]) -> None:
            meter.reset()
            ms = await _timed(app, act, settled)
            out.setdefault(what, []).append(ms)
            out.setdefault(f"{what} stall", []).append(meter.worst_ms)

        def pane() -> VaultPane | None:
            found = app.screen.query(VaultPane)
            return found.first() if found else None

        def shows(
            scope: Scope, mode: str = "defined", needle: str = "", sort=("key", False)
        ) -> Callable[[], bool]:
            """The pane shows `scope` in `mode`, its rows answering the filter and sort
            asked for last, drawn in the table."""

            def check() -> bool:
                p = pane()
                if p is None or p.vault_view is None or p.order is None:
                    return False
                order = p.order
                return (
                    p.vault_view.scope == scope
                    and (order.mode, order.needle, order.sort, order.reverse)
                    == (mode, needle, *sort)
                    and p.query_one(VaultTable).ids is order.ids
                )

            return check

        try:
            org, platform = Scope(BIG_ORG), Scope(BIG_ORG, BIG_REGISTRY)
            await step(WHAT[0], _key(app, "4"), shows(org))
            vault = pane()
            assert vault is not None
            await step(
                WHAT[1], lambda: vault.action_scope(f"registry/{BIG_REGISTRY}"), shows(platform)
            )
            server = app.services.variables.server_names(USER, platform, limit=1)[0]
            one = Scope(BIG_ORG, BIG_REGISTRY, server)
            await step(
                WHAT[2], lambda: vault.action_scope(f"server/{BIG_REGISTRY}/{server}"), shows(one)
            )
            await step(
                WHAT[1], lambda: vault.action_scope(f"registry/{BIG_REGISTRY}"), shows(platform)
            )
            await step(WHAT[3], _key(app, "t"), shows(platform, "effective"))
            await step(WHAT[4], _key(app, "t"), shows(platform))
            await step(WHAT[5], _key(app, "D"), shows(platform, "deleted"))
            await step(WHAT[6], _key(app, "D"), shows(platform))
            await pilot.press("slash")
            for i in range(len(FILTER)):
                await step(WHAT[7], _key(app, FILTER[i]), shows(platform, needle=FILTER[: i + 1]))
            assert len(vault.order or ()) < (vault.order.total if vault.order else 0)
            await step(WHAT[8], _key(app, "escape"), shows(platform))
            table = vault.query_one(VaultTable)
            for what, descending in ((WHAT[9], False), (WHAT[10], True)):
                await step(
                    what,
                    lambda: table.post_message(
                        table.HeaderSelected(
                            table, table.ordered_columns[1].key, 1, table.ordered_columns[1].label
                        )
                    ),
                    shows(platform, sort=("kind", descending)),
                )
            # reveal: secrets (sorted by kind the other way: the secrets come last)
            app.services.vault.unlock(PASSPHRASE)
            for what, place in ((WHAT[11], 1), (WHAT[12], 2)):
                table.goto(len(table.ids) - place)
                table.focus()
                await pilot.pause()
                row = vault.selected
                assert row is not None and row.kind == "secret", row
                assert vault.check_action("reveal", ()), vault.why_not("reveal")
                await step(what, _key(app, "v"), lambda r=row: r.ident in vault.revealed)
                await step(WHAT[13], _key(app, "v"), lambda r=row: r.ident not in vault.revealed)
            tree = vault.query_one(ScopeTree)
            node = next(n for n in tree.root.children if n.data == platform)
            await step(WHAT[14], node.expand, lambda: len(node.children) > 1)
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
    visible = SIZE[1] - 12  # rows one screen of the section shows
    rows = [
        (f"ORG_GRANITE_{i:05d}_TOKEN", "secret", "••••••••", "here", "") for i in range(visible)
    ]
    bare = asyncio.run(_bare_run(rows, 15))
    baseline = statistics.median(bare)

    def values(what: str) -> list[float]:
        return [v for run in runs for v in run.get(what, [])]

    figures = []
    for what in WHAT:
        times, stalls = values(what), values(f"{what} stall")
        per = f"median of {len(times)}" if len(times) > 1 else "one"
        first_write = what == WHAT[11]
        figures.append(
            Figure(
                f"vault: {what}, key to frame ({per}; slowest {max(times):,.0f} ms)",
                statistics.median(times),
                baseline=baseline,
                baseline_what=f"bare Textual app, key to a frame of a {visible}-row DataTable",
                limit=None if first_write else KEY_MS,
                note=FIRST_WRITE if first_write else "",
            )
        )
        figures.append(
            Figure(
                f"vault: {what}, longest UI stall",
                max(stalls),
                limit=None if first_write else STALL_MS,
            )
        )
    return f"vault section ({size} store, {RUNS} runs)", figures


if __name__ == "__main__":
    from benchmarks.harness import report

    text, ok = report(*measure(sys.argv[1] if len(sys.argv) > 1 else "small"))
    print(text)
    sys.exit(0 if ok else 1)
