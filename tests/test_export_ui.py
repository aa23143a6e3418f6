"""Pilot flow of the export screen: open it on a registry, preview the change, write the file."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import ANN, server_doc, settle, type_text
from textual.widgets import Checkbox, Input, Select, Static, TextArea

from pylee_tui.app import PyleeApp
from pylee_tui.screens.export_preview import ExportScreen
from pylee_tui.screens.vault_unlock import VaultUnlockScreen
from pylee_tui.services import Services
from pylee_tui.store import Store
from pylee_tui.widgets.registry_tree import NodeData, RegistryTree

SIZE = (120, 36)
SECRET = "sk-FAKE-ui-export-1234"


def weather() -> dict:
    doc = server_doc("io.github.alice/weather")
    doc["packages"][0]["environmentVariables"] = [
        {"name": "WEATHER_KEY", "isRequired": True, "isSecret": True}
    ]
    return doc


@pytest.fixture
def world(db_path: Path):
    store = Store(db_path)
    services = Services(store)
    services.orgs.create(ANN, "Acme")
    services.registries.create(ANN, "acme", name="Tools")
    services.registries.add_server(ANN, "acme", "tools", weather())
    services.vault.initialize(ANN, "correct horse battery")
    services.variables.set_secret(ANN, "acme", "WEATHER_KEY", SECRET)
    store.close()
    return db_path


async def open_export(pilot) -> ExportScreen:
    await settle(pilot)
    await pilot.press("2")
    await settle(pilot)
    tree = pilot.app.screen.query_one(RegistryTree)
    tree.select_data(NodeData("registry", "tools"))
    await settle(pilot)
    await pilot.press("x")
    await settle(pilot)
    screen = pilot.app.screen
    assert isinstance(screen, ExportScreen)
    return screen


async def set_path(pilot, screen: ExportScreen, path: Path) -> None:
    field = screen.query_one("#export-path", Input)
    field.value = str(path)  # the path itself is not under test: no need to type it
    field.focus()
    await pilot.press("enter")
    await settle(pilot)


def status(screen: ExportScreen) -> str:
    return str(screen.query_one("#export-status", Static).render())


async def test_export_previews_then_merges_into_a_file_with_other_servers(
    world: Path, tmp_path: Path
) -> None:
    target = tmp_path / "mcp.json"
    other = {"mcpServers": {"filesystem": {"command": "npx"}}, "theme": "dark"}
    target.write_text(json.dumps(other), "utf-8")
    async with PyleeApp(db_path=world, user=ANN, watch_interval=3600).run_test(size=SIZE) as pilot:
        screen = await open_export(pilot)
        screen.query_one("#export-client", Select).value = "cursor"
        await settle(pilot)
        await set_path(pilot, screen, target)
        assert "adds weather" in status(screen)
        assert "keeps 1 other server" in status(screen)
        preview = screen.query_one("#export-preview", TextArea).text
        assert '+      "env": {' in preview or "${env:WEATHER_KEY}" in preview
        assert SECRET not in preview
        assert json.loads(target.read_text("utf-8")) == other  # nothing written yet
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert not isinstance(pilot.app.screen, ExportScreen)
    doc = json.loads(target.read_text("utf-8"))
    assert doc["theme"] == "dark"
    assert doc["mcpServers"]["filesystem"] == {"command": "npx"}
    assert doc["mcpServers"]["weather"]["env"] == {"WEATHER_KEY": "${env:WEATHER_KEY}"}
    assert json.loads(target.with_name("mcp.json.bak").read_text("utf-8")) == other


async def test_claude_refusal_is_shown_inline_and_nothing_is_written(
    world: Path, tmp_path: Path
) -> None:
    target = tmp_path / "claude.json"
    async with PyleeApp(db_path=world, user=ANN, watch_interval=3600).run_test(size=SIZE) as pilot:
        screen = await open_export(pilot)
        screen.query_one("#export-client", Select).value = "claude"
        await settle(pilot)
        await set_path(pilot, screen, target)
        assert "Claude Desktop takes literal values only" in status(screen)
        assert "WEATHER_KEY" in status(screen)
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(pilot.app.screen, ExportScreen)
        # inlining with a locked vault asks for the passphrase first
        screen.query_one("#export-inline", Checkbox).value = True
        await settle(pilot)
        assert isinstance(pilot.app.screen, VaultUnlockScreen)
        pilot.app.screen.query_one("#vault-passphrase", Input).focus()
        await type_text(pilot, "correct horse battery")
        await pilot.press("enter")
        await settle(pilot)
        assert pilot.app.screen is screen
        assert "1 secret value(s) written in plain text" in status(screen)
        preview = screen.query_one("#export-preview", TextArea).text
        assert '"WEATHER_KEY": "••••••••"' in preview and SECRET not in preview
        await pilot.press("ctrl+s")
        await settle(pilot)
    assert json.loads(target.read_text("utf-8"))["mcpServers"]["weather"]["env"] == {
        "WEATHER_KEY": SECRET
    }
    assert oct(target.stat().st_mode & 0o777) == "0o600"


async def test_cancelling_the_unlock_unchecks_inline_secrets(world: Path, tmp_path: Path) -> None:
    async with PyleeApp(db_path=world, user=ANN, watch_interval=3600).run_test(size=SIZE) as pilot:
        screen = await open_export(pilot)
        screen.query_one("#export-client", Select).value = "cursor"
        await settle(pilot)
        await set_path(pilot, screen, tmp_path / "c.json")
        screen.query_one("#export-inline", Checkbox).value = True
        await settle(pilot)
        assert isinstance(pilot.app.screen, VaultUnlockScreen)
        await pilot.press("escape")
        await settle(pilot)
        assert pilot.app.screen is screen
        assert screen.query_one("#export-inline", Checkbox).value is False
        assert "adds weather" in status(screen)
