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

import sys
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from benchmarks.app_keys import (  # noqa: E402
    KEY_MS,
    STALL_MS,
    Runs,
    bare_table_ms,
    finder,
    key_figures,
    org_home,
    runs_on_copies,
    send_key,
)
from benchmarks.harness import Figure  # noqa: E402
from benchmarks.large_store import BIG_ORG, BIG_REGISTRY, PASSPHRASE, USER  # noqa: E402
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


async def _app_run(db: Path) -> Runs:
    async with org_home(db, SIZE) as (app, pilot, steps):
        step = steps.step

        pane = finder(app, VaultPane)

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

        org, platform = Scope(BIG_ORG), Scope(BIG_ORG, BIG_REGISTRY)
        await step(WHAT[0], send_key(app, "4"), shows(org))
        vault = pane()
        assert vault is not None
        await step(WHAT[1], lambda: vault.action_scope(f"registry/{BIG_REGISTRY}"), shows(platform))
        server = app.services.variables.server_names(USER, platform, limit=1)[0]
        one = Scope(BIG_ORG, BIG_REGISTRY, server)
        await step(
            WHAT[2], lambda: vault.action_scope(f"server/{BIG_REGISTRY}/{server}"), shows(one)
        )
        await step(WHAT[1], lambda: vault.action_scope(f"registry/{BIG_REGISTRY}"), shows(platform))
        await step(WHAT[3], send_key(app, "t"), shows(platform, "effective"))
        await step(WHAT[4], send_key(app, "t"), shows(platform))
        await step(WHAT[5], send_key(app, "D"), shows(platform, "deleted"))
        await step(WHAT[6], send_key(app, "D"), shows(platform))
        await pilot.press("slash")
        for i in range(len(FILTER)):
            await step(WHAT[7], send_key(app, FILTER[i]), shows(platform, needle=FILTER[: i + 1]))
        assert len(vault.order or ()) < (vault.order.total if vault.order else 0)
        await step(WHAT[8], send_key(app, "escape"), shows(platform))
        table = vault.query_one(VaultTable)
        for what, descending in ((WHAT[9], False), (WHAT[10], True)):
            await step(
                what,
                lambda: table.post_message(table.HeaderSelected(table, 1)),
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
            await step(what, send_key(app, "v"), lambda r=row: r.ident in vault.revealed)
            await step(WHAT[13], send_key(app, "v"), lambda r=row: r.ident not in vault.revealed)
        tree = vault.query_one(ScopeTree)
        node = next(n for n in tree.root.children if n.data == platform)
        await step(WHAT[14], node.expand, lambda: len(node.children) > 1)
    return steps.out


def measure(size: str) -> tuple[str, list[Figure]]:
    runs = runs_on_copies(size, RUNS, _app_run)
    visible = SIZE[1] - 12  # rows one screen of the section shows
    rows = [
        (f"ORG_GRANITE_{i:05d}_TOKEN", "secret", "••••••••", "here", "") for i in range(visible)
    ]
    baseline = bare_table_ms(rows, SIZE)

    def limits(what: str) -> tuple[float | None, float | None, str]:
        if what == WHAT[11]:  # the session's first write: the store's check, not the vault's
            return None, None, FIRST_WRITE
        return KEY_MS, STALL_MS, ""

    figures = key_figures(
        "vault",
        runs,
        WHAT,
        baseline,
        f"bare Textual app, key to a frame of a {visible}-row DataTable",
        limits,
    )
    return f"vault section ({size} store, {RUNS} runs)", figures


if __name__ == "__main__":
    from benchmarks.harness import report

    text, ok = report(*measure(sys.argv[1] if len(sys.argv) > 1 else "small"))
    print(text)
    sys.exit(0 if ok else 1)
