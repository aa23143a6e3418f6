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
import sys
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from textual.app import App, ComposeResult  # noqa: E402
from textual.widgets import Tree  # noqa: E402
from textual.worker import WorkerState  # noqa: E402

from benchmarks.app_keys import (  # noqa: E402
    Runs,
    bare_keys,
    finder,
    key_figures,
    org_home,
    runs_on_copies,
    send_key,
    step_names,
)
from benchmarks.harness import Figure, wait_until  # noqa: E402
from benchmarks.large_store import BIG_REGISTRY  # noqa: E402
from pylee_tui.sections.registries.browser import RegistryBrowser  # noqa: E402
from pylee_tui.sections.registries.tree import NodeData, RegistryTree  # noqa: E402
from pylee_tui.services.registries import SERVER_PAGE  # noqa: E402

SIZE = (120, 36)
FILTER = "-0004"  # names end in a five-digit number: -00040 … -00049 in each registry
RUNS = 3


def _idle(app: App) -> bool:
    return not any(w.state in (WorkerState.PENDING, WorkerState.RUNNING) for w in app.workers)


async def _app_run(db: Path) -> Runs:
    async with org_home(db, SIZE) as (app, pilot, steps):

        async def step(what: str, act: Callable[[], object], done: Callable[[], bool]) -> None:
            """The key's answer: `done` holds and no load is on its way."""
            await steps.step(what, act, lambda: done() and _idle(app))

        tree = finder(app, RegistryTree)

        def at(data: NodeData) -> Callable[[], bool]:
            def check() -> bool:
                t = tree()
                return t is not None and t.cursor_node is not None and t.cursor_node.data == data

            return check

        await step(
            "open the section", send_key(app, "2"), lambda: bool((t := tree()) and t.registries)
        )
        t = tree()
        assert t is not None
        big = NodeData("registry", BIG_REGISTRY)
        t.select_data(big)
        await wait_until(lambda: _idle(app), timeout=60)
        await step(
            f"open {BIG_REGISTRY}", send_key(app, "right"), lambda: t.is_loaded(BIG_REGISTRY)
        )
        shown = len(t.pages[BIG_REGISTRY].lines)
        if t.find(NodeData("more", BIG_REGISTRY)) is not None:
            t.select_data(NodeData("more", BIG_REGISTRY))
            await wait_until(lambda: _idle(app), timeout=60)
            await step(
                "its next page",
                send_key(app, "enter"),
                lambda: t.pages[BIG_REGISTRY].offset == shown,
            )
        browser = app.screen.query_one(RegistryBrowser)
        await pilot.press("slash")
        for i, ch in enumerate(FILTER):
            await step(
                "filter key",
                send_key(app, "minus" if ch == "-" else ch, ch),
                lambda i=i: browser.query_text == FILTER[: i + 1],
            )
        await step("clear the filter", send_key(app, "escape"), lambda: browser.query_text == "")
        for node in t.root.children:  # every registry closed: ↓ moves between them
            node.collapse()
        t.select_data(big)
        await wait_until(lambda: _idle(app), timeout=60)
        order = list(t.registries)
        here = order.index(BIG_REGISTRY)
        for following in order[here + 1 : here + 4]:
            target = NodeData("registry", following)
            await step("move to the next registry", send_key(app, "down"), at(target))
    return steps.out


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


def measure(size: str) -> tuple[str, list[Figure]]:
    runs = runs_on_copies(size, RUNS, _app_run)
    bare = _Bare(SERVER_PAGE)
    baseline = asyncio.run(bare_keys(bare, SIZE, 15, lambda: bare.builds))
    figures = key_figures(
        "registries",
        runs,
        step_names(runs),
        baseline,
        f"bare Textual app, key to a frame of a Tree of 40 + {SERVER_PAGE}",
    )
    return f"registries section ({size} store, {RUNS} runs)", figures


if __name__ == "__main__":
    from benchmarks.harness import report

    text, ok = report(*measure(sys.argv[1] if len(sys.argv) > 1 else "small"))
    print(text)
    sys.exit(0 if ok else 1)
