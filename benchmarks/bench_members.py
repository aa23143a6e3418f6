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

import sys
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from benchmarks.app_keys import (  # noqa: E402
    Runs,
    bare_table_ms,
    finder,
    key_figures,
    org_home,
    runs_on_copies,
    send_key,
)
from benchmarks.harness import Figure  # noqa: E402
from pylee_tui.sections.members.pane import MembersPane  # noqa: E402

SIZE = (120, 36)
FILTER = "falcon.01"  # nine letters: emails are word.NNNNN@acme.example
RUNS = 3
WHAT = ("open", "filter key", "clear the filter", "sort", "sort the other way")


async def _app_run(db: Path) -> Runs:
    async with org_home(db, SIZE) as (app, pilot, steps):
        pane = finder(app, MembersPane)

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

        await steps.step("open", send_key(app, "3"), settled())
        members = pane()
        assert members is not None
        shown = members.table.row_count
        await pilot.press("slash")
        for i, ch in enumerate(FILTER):
            await steps.step("filter key", send_key(app, ch), settled(FILTER[: i + 1]))
        assert members.table.row_count < shown, "the filter kept every member"
        await steps.step("clear the filter", send_key(app, "escape"), settled())
        assert members.table.row_count == shown
        table = members.table
        for what, descending in (("sort", False), ("sort the other way", True)):
            await steps.step(
                what,
                lambda: table.post_message(table.HeaderSelected(table, 2)),
                settled(sort=(2, descending)),
            )
    return steps.out


def measure(size: str) -> tuple[str, list[Figure]]:
    runs = runs_on_copies(size, RUNS, _app_run)
    visible = SIZE[1] - 10  # rows one screen of the section shows
    rows = [
        (f"someone.{i:05d}@acme.example", "", "member", "active", "", "", "", "")
        for i in range(visible)
    ]
    baseline = bare_table_ms(rows, SIZE)
    figures = key_figures(
        "members",
        runs,
        WHAT,
        baseline,
        f"bare Textual app, key to a frame of a {visible}-row DataTable",
    )
    return f"members section ({size} store, {RUNS} runs)", figures


if __name__ == "__main__":
    from benchmarks.harness import report

    text, ok = report(*measure(sys.argv[1] if len(sys.argv) > 1 else "small"))
    print(text)
    sys.exit(0 if ok else 1)
