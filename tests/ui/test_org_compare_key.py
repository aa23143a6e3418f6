"""C (shift+c) on the org screen opens "compare with another org", from any section (the vault's
own c copies a value, and still does), and help lists it. At 80x24, on the demo."""

from __future__ import annotations

from textual.widgets import OptionList

from pylee_tui.app import PyleeApp
from pylee_tui.dialogs.help import binding_rows
from pylee_tui.dialogs.pick import PickScreen
from pylee_tui.screens.org import OrgScreen
from pylee_tui.screens.org_compare import OrgCompareScreen
from pylee_tui.sections.vault.pane import VaultPane
from pylee_tui.services import Services
from pylee_tui.services.demo import load_demo
from pylee_tui.store import Store
from tests.ui.pilot import settle, type_text, wait_until

ANN = "ann@example.com"
PASS = "correct horse battery staple"


def seed(db_path) -> None:
    store = Store(db_path)
    services = Services(store)
    load_demo(services, ANN, PASS)
    services.environments.clone(ANN, "acme-production", "Acme QA")
    store.close()


async def on_org(pilot, slug: str) -> OrgScreen:
    app = pilot.app
    await wait_until(
        pilot,
        lambda: isinstance(app.screen, OrgScreen) and app.screen.view is not None,
        "the first org shown",  # (a switch while it loads may be overtaken by it)
    )
    await settle(pilot)
    app.switch_to_org(slug)
    await wait_until(pilot, lambda: getattr(app.screen, "slug", None) == slug, "the org")
    await settle(pilot)
    return app.screen


async def test_shift_c_opens_the_compare_view_and_help_lists_it(db_path) -> None:
    seed(db_path)
    app = PyleeApp(db_path=db_path, user=ANN, watch_interval=3600)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await on_org(pilot, "acme-production")
        rows = {keys: (what, note) for keys, what, note in binding_rows(screen)}
        assert rows["C"] == ("Compare", "Compare with another org")
        await pilot.press("C")
        await wait_until(
            pilot,
            lambda: isinstance(app.screen, PickScreen) and app.screen.query(OptionList),
            "the org picker",
        )
        assert app.screen.title_text == "Compare acme-production with…"
        await settle(pilot)
        await type_text(pilot, "qa")
        await pilot.press("enter")
        await wait_until(pilot, lambda: isinstance(app.screen, OrgCompareScreen), "compare")
        compare = app.screen
        await wait_until(pilot, lambda: compare.diff is not None, "the diff")
        await pilot.press("escape")
        await wait_until(pilot, lambda: app.screen is screen, "back")


async def test_shift_c_in_the_vault_section_compares_and_c_still_copies(db_path) -> None:
    seed(db_path)
    app = PyleeApp(db_path=db_path, user=ANN, watch_interval=3600)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await on_org(pilot, "acme-production")
        await pilot.press("4")
        pane = screen.query_one(VaultPane)
        await wait_until(pilot, lambda: pane.vault_view is not None, "the vault")
        await settle(pilot)
        assert pane.table.has_focus
        assert pane.KEY_ACTIONS["c"] == "copy"
        await pilot.press("C")
        await wait_until(pilot, lambda: isinstance(app.screen, PickScreen), "the org picker")
        await pilot.press("escape")
        await wait_until(pilot, lambda: app.screen is screen, "back")
        # typing in the vault's filter, C is a letter of the filter
        await pilot.press("slash")
        await settle(pilot)
        await pilot.press("C")
        await settle(pilot)
        assert app.screen is screen
        assert pane.needle == "C"
