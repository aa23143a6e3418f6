"""The compare view, for a member who may not reveal secrets: a secret on both sides is
"unknown" and the note says why (not "unlock the vault", which would not help). At 80x24."""

from __future__ import annotations

from textual.widgets import Static, Tree

from pylee_tui.app import PyleeApp
from pylee_tui.screens.org import OrgScreen
from pylee_tui.screens.org_compare import OrgCompareScreen
from pylee_tui.services import Scope, Services
from pylee_tui.services.demo import DEMO_SECRET, load_demo
from pylee_tui.store import Store
from tests.ui.pilot import settle, wait_until

ANN = "ann@example.com"
CARL = "carl@acme.example"
PASS = "correct horse battery staple"


def seed(db_path) -> None:
    store = Store(db_path)
    services = Services(store)
    load_demo(services, ANN, PASS)
    services.environments.clone(ANN, "acme-production", "Acme QA", with_members=True)
    services.variables.set_key(ANN, Scope("acme-qa"), "EXA_API_KEY", DEMO_SECRET, kind="secret")
    store.close()


async def test_a_member_without_reveal_sees_unknown_and_why(db_path) -> None:
    seed(db_path)
    app = PyleeApp(db_path=db_path, user=CARL, watch_interval=3600)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_until(pilot, lambda: isinstance(app.screen, OrgScreen), "the org screen")
        await settle(pilot)
        screen = OrgCompareScreen("acme-production", "acme-qa")
        app.push_screen(screen)
        await wait_until(pilot, lambda: screen.diff is not None, "the diff")
        await settle(pilot)
        tree = screen.query_one(Tree)
        shown = []

        def walk(node) -> None:
            for child in node.children:
                shown.append(str(child.label))
                walk(child)

        walk(tree.root)
        assert any(s.startswith("EXA_API_KEY (secret): unknown (comparing") for s in shown)
        note = str(screen.query_one("#compare-note", Static).render())
        assert "needs secrets:reveal in both" in note
        assert "unlock" not in note.lower()
        assert DEMO_SECRET not in " ".join(shown) + note
