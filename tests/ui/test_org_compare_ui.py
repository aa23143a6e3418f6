"""The compare view: from the palette, pick another org, see the differences at 80x24; a
secret's value never on screen."""

from __future__ import annotations

from textual.widgets import OptionList, Static, Tree

from pylee_tui.app import PyleeApp
from pylee_tui.dialogs.pick import PickScreen
from pylee_tui.screens.org import OrgScreen
from pylee_tui.screens.org_compare import OrgCompareScreen, open_org_compare
from pylee_tui.services import Scope, Services
from pylee_tui.services.demo import DEMO_SECRET, load_demo
from pylee_tui.store import Store
from tests.ui.pilot import settle, wait_until

ANN = "ann@example.com"
PASS = "correct horse battery staple"


def seed(db_path) -> None:
    store = Store(db_path)
    services = Services(store)
    load_demo(services, ANN, PASS)
    services.environments.clone(ANN, "acme-production", "Acme QA")
    services.variables.set_key(ANN, Scope("acme-qa"), "REGION", "\x1b[31mus-east-1")
    store.close()


def labels(tree: Tree) -> list[str]:
    found = []

    def walk(node) -> None:
        for child in node.children:
            found.append(str(child.label))
            walk(child)

    walk(tree.root)
    return found


async def test_compare_from_the_palette_lists_differences_at_80x24(db_path) -> None:
    seed(db_path)
    app = PyleeApp(db_path=db_path, user=ANN, watch_interval=3600)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_until(
            pilot,
            lambda: isinstance(app.screen, OrgScreen) and app.screen.slug is not None,
            "the org screen",
        )
        app.switch_to_org("acme-production")
        await wait_until(
            pilot, lambda: getattr(app.screen, "slug", None) == "acme-production", "the org"
        )
        open_org_compare(app)
        await wait_until(
            pilot,
            lambda: isinstance(app.screen, PickScreen) and app.screen.query(OptionList),
            "the org picker",
        )
        await settle(pilot)
        await pilot.press("q", "a", "enter")
        await wait_until(pilot, lambda: isinstance(app.screen, OrgCompareScreen), "compare")
        screen = app.screen
        await wait_until(pilot, lambda: screen.diff is not None, "the diff")
        await settle(pilot)
        shown = labels(screen.query_one(Tree))
        # the vault is locked in the app: cloned secrets are missing, REGION differs
        assert "APIFY_TOKEN (secret): missing in B (cloned without value)" in shown
        # stored text never drives the terminal: the escape shows as text
        assert any(s.startswith("REGION: differs") and "\\u001b" in s for s in shown)
        assert not any("\x1b" in s for s in shown)
        assert "Registry data-sources:" in shown
        note = str(screen.query_one("#compare-note", Static).render())
        assert "The vault is locked" in note and "Unlock it" in note
        assert DEMO_SECRET not in " ".join(shown) + note
        await pilot.press("escape")
        await wait_until(pilot, lambda: isinstance(app.screen, OrgScreen), "back")
