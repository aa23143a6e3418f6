"""The vault section of an org made by `org clone`: each secret the clone could not copy is a
row at its scope, "missing (cloned without value)", set from the row in one step (e), after
which the row is gone. At 80x24, on the demo."""

from __future__ import annotations

from textual.widgets import Input

from pylee_tui.app import PyleeApp
from pylee_tui.dialogs.unlock_vault import VaultUnlockScreen
from pylee_tui.dialogs.variable_form import VariableFormScreen
from pylee_tui.screens.org import OrgScreen
from pylee_tui.sections.vault.pane import VaultPane
from pylee_tui.services import Scope, Services
from pylee_tui.services.demo import load_demo
from pylee_tui.store import Store
from tests.ui.pilot import settle, type_text, wait_until
from tests.ui.test_vault_ui import by_key, cursor_to, table_of

ANN = "ann@example.com"
PASS = "correct horse battery staple"
CLONED = "missing (cloned without value)"
TYPED = "typed-00"  # typed key by key: short


def seed(db_path) -> None:
    store = Store(db_path)
    services = Services(store)
    load_demo(services, ANN, PASS)
    services.environments.clone(ANN, "acme-production", "Acme QA")
    store.close()


def missing_keys(db_path, scope: Scope) -> list[str]:
    store = Store(db_path)
    try:
        return [m.key for m in Services(store).environments.missing_secrets(ANN, scope)]
    finally:
        store.close()


def mode_text(pane: VaultPane) -> str:
    return str(pane.query_one("#vault-mode").render())


async def open_clone_vault(pilot) -> VaultPane:
    app = pilot.app
    await wait_until(
        pilot,
        lambda: isinstance(app.screen, OrgScreen) and app.screen.view is not None,
        "the first org shown",  # (a switch while it loads may be overtaken by it)
    )
    await settle(pilot)
    app.switch_to_org("acme-qa")
    await wait_until(
        pilot,
        lambda: (
            getattr(app.screen, "view", None) is not None and app.screen.view.org.slug == "acme-qa"
        ),
        "the clone shown",
    )
    await settle(pilot)
    await pilot.press("4")
    pane = app.screen.query_one(VaultPane)
    await wait_until(
        pilot,
        lambda: pane.vault_view is not None and pane.vault_view.scope == Scope("acme-qa"),
        "the clone's vault",
    )
    await settle(pilot)
    return pane


async def test_missing_cloned_secrets_are_rows_set_from_the_row(db_path) -> None:
    seed(db_path)
    app = PyleeApp(db_path=db_path, user=ANN, watch_interval=3600)
    async with app.run_test(size=(80, 24)) as pilot:
        pane = await open_clone_vault(pilot)
        rows = by_key(table_of(pane))
        for key in ("APIFY_TOKEN", "EXA_API_KEY", "GLEAN_API_TOKEN"):
            assert rows[key][1:4] == ["secret", CLONED, "here"], rows[key]
        # the org's plain variables are still there, after the missing ones
        assert list(rows)[:3] == ["APIFY_TOKEN", "EXA_API_KEY", "GLEAN_API_TOKEN"]
        assert "LOG_LEVEL" in rows
        # a registry's missing secret is not the org's
        assert "KBC_STORAGE_TOKEN" not in rows
        assert "3 cloned without value" in mode_text(pane)
        assert "APIFY_TOKEN" in app.export_screenshot()

        # the detail says where the key came from and what to press
        cursor_to(pane, "APIFY_TOKEN")
        await settle(pilot)
        detail = str(pane.query_one("#vault-detail").render())
        assert "acme-production" in detail and "press e" in detail

        # e: the new-secret form with the key filled in; the vault asks for its passphrase
        await pilot.press("e")
        await wait_until(pilot, lambda: isinstance(app.screen, VariableFormScreen), "the form")
        form = app.screen
        assert form.title_text == "Set APIFY_TOKEN at org acme-qa"
        assert form.query_one("#field-key", Input).value == "APIFY_TOKEN"
        await type_text(pilot, TYPED)
        await pilot.press("enter")
        await wait_until(pilot, lambda: isinstance(app.screen, VaultUnlockScreen), "unlock")
        field = app.screen.query_one("#vault-passphrase", Input)
        assert field.has_focus
        field.value = PASS  # the unlock is not under test here: given, not typed
        await pilot.press("enter")
        await wait_until(pilot, lambda: app.screen is pane.screen, "back to the vault")
        await wait_until(
            pilot,
            lambda: by_key(table_of(pane)).get("APIFY_TOKEN", ["", ""])[2] != CLONED,
            "the row set",
        )
        await settle(pilot)
        rows = by_key(table_of(pane))
        assert rows["APIFY_TOKEN"][1] == "secret" and rows["APIFY_TOKEN"][2] != CLONED
        assert TYPED not in " ".join(" ".join(r) for r in rows.values())
        assert "2 cloned without value" in mode_text(pane)
        assert missing_keys(db_path, Scope("acme-qa")) == ["EXA_API_KEY", "GLEAN_API_TOKEN"]


async def test_the_effective_view_lists_what_a_scope_inherits_missing(db_path) -> None:
    seed(db_path)
    app = PyleeApp(db_path=db_path, user=ANN, watch_interval=3600)
    async with app.run_test(size=(80, 24)) as pilot:
        pane = await open_clone_vault(pilot)
        pane.action_scope("registry/data-sources")
        await wait_until(
            pilot,
            lambda: (
                pane.vault_view is not None
                and pane.vault_view.scope == Scope("acme-qa", "data-sources")
            ),
            "the registry scope",
        )
        await settle(pilot)
        # defined here: the registry's own missing secret
        rows = by_key(table_of(pane))
        assert rows["KBC_STORAGE_TOKEN"][2:4] == [CLONED, "here"]
        assert "APIFY_TOKEN" not in rows
        # effective: the org's too, marked where they are missing
        await pilot.press("t")
        await settle(pilot)
        rows = by_key(table_of(pane))
        assert rows["KBC_STORAGE_TOKEN"][2:4] == [CLONED, "here"]
        assert rows["APIFY_TOKEN"][2:4] == [CLONED, "org"]
        # n on such a row: the new-secret form with its key filled in
        cursor_to(pane, "APIFY_TOKEN")
        await settle(pilot)
        await pilot.press("n")
        await wait_until(pilot, lambda: isinstance(app.screen, VariableFormScreen), "the form")
        form = app.screen
        assert form.query_one("#field-key", Input).value == "APIFY_TOKEN"
        assert form.kind == "secret"
