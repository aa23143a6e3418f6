"""The app asks the agent before its unlock screen: with the agent holding the key, revealing a
secret shows it at once; with the agent locked, the unlock screen comes as ever."""

from __future__ import annotations

from pathlib import Path

import pytest

from pylee_tui.dialogs.unlock_vault import VaultUnlockScreen
from pylee_tui.services import Scope, Services
from pylee_tui.services.resolver import MASK
from pylee_tui.store import Store
from tests.support import ANN, CliRunner
from tests.ui.pilot import settle, wait_until
from tests.ui.test_vault_ui import SIZE, app_for, by_key, cursor_to, open_vault, table_of

from .conftest import PASS, SECRET, start


@pytest.fixture
def store_with_secret(db_path: Path, runtime: Path) -> Path:
    store = Store(db_path)
    services = Services(store)
    services.orgs.create(ANN, "Acme")
    services.vault.initialize(ANN, PASS)
    services.variables.set_key(ANN, Scope("acme"), "API_TOKEN", SECRET, kind="secret")
    store.close()
    return db_path


async def test_the_agents_key_reveals_without_the_unlock_screen(
    store_with_secret: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert start(CliRunner(store_with_secret), monkeypatch).code == 0
    async with app_for(store_with_secret).run_test(size=SIZE) as pilot:
        pane = await open_vault(pilot)
        cursor_to(pane, "API_TOKEN")
        await pilot.press("v")
        await wait_until(pilot, lambda: pane.revealed, "the reveal")
        assert not isinstance(pilot.app.screen, VaultUnlockScreen)
        assert by_key(table_of(pane))["API_TOKEN"][2] == SECRET
        assert "vault locked" not in str(pane.query_one("#vault-lock").render())


async def test_a_locked_agent_leaves_the_unlock_screen_to_ask(
    store_with_secret: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cli = CliRunner(store_with_secret)
    assert start(cli, monkeypatch).code == 0
    assert cli("agent", "lock").code == 0
    async with app_for(store_with_secret).run_test(size=SIZE) as pilot:
        pane = await open_vault(pilot)
        cursor_to(pane, "API_TOKEN")
        await pilot.press("v")
        await settle(pilot)
        await wait_until(
            pilot, lambda: isinstance(pilot.app.screen, VaultUnlockScreen), "the unlock screen"
        )
        assert by_key(table_of(pane))["API_TOKEN"][2] == MASK
