"""Pilot flow of the export screen: open it on a registry, preview the change, write the file."""

from __future__ import annotations

import json
import os
import threading
from pathlib import Path

import pytest
from textual.widgets import Checkbox, Input, Select, Static, TextArea
from textual.widgets.select import InvalidSelectValueError

from pylee_tui.app import PyleeApp
from pylee_tui.dialogs.choice import ChoiceScreen
from pylee_tui.dialogs.export_preview import ExportScreen
from pylee_tui.dialogs.unlock_vault import VaultUnlockScreen
from pylee_tui.sections.registries.tree import NodeData, RegistryTree
from pylee_tui.services import Scope, Services
from pylee_tui.store import Store
from tests.support import ANN, server_doc, with_services
from tests.ui.pilot import settle, type_text, wait_until

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
    services.registries.create(ANN, "acme", "Tools")
    services.registries.add_server(ANN, Scope("acme", "tools"), weather())
    services.vault.initialize(ANN, "correct horse battery")
    services.variables.set_key(ANN, Scope("acme"), "WEATHER_KEY", SECRET, kind="secret")
    store.close()
    return db_path


async def open_export(pilot, registry: str = "tools") -> ExportScreen:
    await settle(pilot)
    await pilot.press("2")
    await settle(pilot)
    tree = pilot.app.screen.query_one(RegistryTree)
    tree.select_data(NodeData("registry", registry))
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


def message(screen: ExportScreen) -> str:
    return str(screen.query_one("#export-message", Static).render())


async def type_path(pilot, screen: ExportScreen, path: str, *, given: str = "") -> None:
    """Set the File field to `given` and type `path` after it, one key at a time, without
    enter (each key costs a frame or more: a long folder is given, not typed)."""
    field = screen.query_one("#export-path", Input)
    field.focus()
    field.value = given
    field.cursor_position = len(given)
    await type_text(pilot, path)


def preview(screen: ExportScreen) -> str:
    return screen.query_one("#export-preview", TextArea).text


def world_without_key(db: Path) -> None:
    """The weather server's required WEATHER_KEY unset: every mode refuses, naming it."""
    with_services(db, lambda s: s.variables.unset(ANN, Scope("acme"), "WEATHER_KEY"))


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


async def test_claude_gets_the_launcher_by_default_and_inline_values_when_chosen(
    world: Path, tmp_path: Path
) -> None:
    target = tmp_path / "claude.json"
    async with PyleeApp(db_path=world, user=ANN, watch_interval=3600).run_test(size=SIZE) as pilot:
        screen = await open_export(pilot)
        screen.query_one("#export-client", Select).value = "claude"
        await settle(pilot)
        await set_path(pilot, screen, target)
        # no secret value is read (the vault stays locked) and none is in the file
        assert screen.query_one("#export-secrets", Select).value == "launcher"
        assert "Claude Desktop: 1 server(s)" in status(screen)
        assert "entries start through `pylee-tui run`" in status(screen)
        assert '"run",' in preview(screen) and SECRET not in preview(screen)
        with pytest.raises(InvalidSelectValueError):  # Claude Desktop cannot reference one
            screen.query_one("#export-secrets", Select).value = "reference"
        # inlining with a locked vault asks for the passphrase first
        screen.query_one("#export-secrets", Select).value = "inline"
        await settle(pilot)
        assert isinstance(pilot.app.screen, VaultUnlockScreen)
        field = pilot.app.screen.query_one("#vault-passphrase", Input)
        field.value = "correct horse battery"  # the unlock is not under test here: given
        field.focus()
        await pilot.press("enter")
        await settle(pilot)
        assert pilot.app.screen is screen
        assert "1 secret value(s) written in plain text" in status(screen)
        diff = screen.query_one("#export-preview", TextArea).text
        assert '"WEATHER_KEY": "••••••••"' in diff and SECRET not in diff
        await pilot.press("ctrl+s")
        await settle(pilot)
    assert json.loads(target.read_text("utf-8"))["mcpServers"]["weather"]["env"] == {
        "WEATHER_KEY": SECRET
    }
    assert oct(target.stat().st_mode & 0o777) == "0o600"


async def test_cancelling_the_unlock_goes_back_to_the_default_mode(
    world: Path, tmp_path: Path
) -> None:
    async with PyleeApp(db_path=world, user=ANN, watch_interval=3600).run_test(size=SIZE) as pilot:
        screen = await open_export(pilot)
        screen.query_one("#export-client", Select).value = "cursor"
        await settle(pilot)
        await set_path(pilot, screen, tmp_path / "c.json")
        assert "set WEATHER_KEY where Cursor starts" in status(screen)
        screen.query_one("#export-secrets", Select).value = "inline"
        await settle(pilot)
        assert isinstance(pilot.app.screen, VaultUnlockScreen)
        await pilot.press("escape")
        await settle(pilot)
        assert pilot.app.screen is screen
        assert screen.query_one("#export-secrets", Select).value == "reference"
        assert "adds weather" in status(screen)


async def test_ctrl_s_writes_only_the_change_the_preview_shows(world: Path, tmp_path: Path) -> None:
    """Typing a path and pressing ctrl+s at once used to write (and merge into) a file whose
    change was never shown. Now the preview follows the path, and ctrl+s refuses until it has."""
    shown_first = tmp_path / "first.json"
    target = tmp_path / "typed.json"
    target.write_text(json.dumps({"mcpServers": {"mine": {"command": "x"}}}), "utf-8")
    async with PyleeApp(db_path=world, user=ANN, watch_interval=3600).run_test(size=SIZE) as pilot:
        screen = await open_export(pilot)
        screen.query_one("#export-client", Select).value = "cursor"
        await settle(pilot)
        await set_path(pilot, screen, shown_first)
        assert screen.ready and str(shown_first) in status(screen)
        # the folder given, the file's name typed
        await type_path(pilot, screen, target.name, given=f"{target.parent}{os.sep}")
        await pilot.press("ctrl+s")  # before the preview caught up with the typing
        await settle(pilot)
        assert isinstance(pilot.app.screen, ExportScreen)
        assert "Not written" in message(screen)
        assert json.loads(target.read_text("utf-8")) == {"mcpServers": {"mine": {"command": "x"}}}
        assert not shown_first.exists()
        # the preview follows the typed path without enter
        await wait_until(pilot, lambda: screen.ready, "the preview of the typed path")
        assert f"→ {target}" in status(screen)
        assert "keeps 1 other server" in status(screen)
        assert f"+++ {target}" in preview(screen)
        assert "Not written" in message(screen)  # the refusal stays said until the next step
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert not isinstance(pilot.app.screen, ExportScreen)
    written = json.loads(target.read_text("utf-8"))
    assert set(written["mcpServers"]) == {"mine", "weather"}
    assert not shown_first.exists()


async def test_options_refresh_the_preview_and_stale_previews_never_write(
    world: Path, tmp_path: Path
) -> None:
    target = tmp_path / "c.json"
    async with PyleeApp(db_path=world, user=ANN, watch_interval=3600).run_test(size=SIZE) as pilot:
        screen = await open_export(pilot)
        screen.query_one("#export-client", Select).value = "cursor"
        await settle(pilot)
        await set_path(pilot, screen, target)
        world_without_key(world)
        screen.query_one("#export-secrets", Select).value = "launcher"
        await settle(pilot)
        # the app's own words: the checkbox to tick, no CLI flag
        assert "allow missing variables" in status(screen)
        assert "--" not in status(screen)
        assert not screen.ready
        screen.query_one("#export-secrets", Select).value = "reference"
        await settle(pilot)
        assert not screen.ready
        with_services(
            world,
            lambda s: s.variables.set_key(ANN, Scope("acme"), "WEATHER_KEY", "x", kind="variable"),
        )
        screen.query_one("#export-client", Select).value = "claude"
        await settle(pilot)
        assert screen.query_one("#export-secrets", Select).value == "launcher"
        screen.query_one("#export-client", Select).value = "cursor"
        await settle(pilot)
        assert "Cursor: 1 server(s)" in status(screen) and screen.ready
        screen.query_one("#export-missing", Checkbox).value = True
        assert not screen.ready  # stale at once, before the new dry run is back
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert not target.exists()
        assert screen.ready
        # VS Code asks for secrets itself: inlining them is not offered
        screen.query_one("#export-client", Select).value = "vscode"
        await settle(pilot)
        with pytest.raises(InvalidSelectValueError):
            screen.query_one("#export-secrets", Select).value = "inline"


async def test_a_dry_run_landing_after_a_newer_one_is_never_shown(
    world: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Dry runs run in threads and may finish in any order: Claude chosen, then at once Cursor,
    Claude's dry run landing last must not replace Cursor's preview."""
    real_dry_run = ExportScreen._dry_run
    release, finished = threading.Event(), threading.Event()
    held = []

    def dry_run(self, path, options):
        if options["client"] == "claude" and not held:
            held.append("claude")
            release.wait(10)
            try:
                return real_dry_run(self, path, options)
            finally:
                finished.set()
        return real_dry_run(self, path, options)

    monkeypatch.setattr(ExportScreen, "_dry_run", dry_run)
    async with PyleeApp(db_path=world, user=ANN, watch_interval=3600).run_test(size=SIZE) as pilot:
        screen = await open_export(pilot)
        await set_path(pilot, screen, tmp_path / "mcp.json")
        screen.query_one("#export-client", Select).value = "claude"
        for _ in range(100):  # Claude's dry run is in its thread
            if held:
                break
            await pilot.pause()
        screen.query_one("#export-client", Select).value = "cursor"
        await wait_until(pilot, lambda: screen.ready, "Cursor's preview")
        assert "Cursor: 1 server(s)" in status(screen)
        release.set()  # the older dry run lands now
        for _ in range(100):
            if finished.is_set():
                break
            await pilot.pause()
        await settle(pilot)
        assert held == ["claude"]
        assert "Cursor: 1 server(s)" in status(screen) and screen.ready


async def test_a_file_changed_after_its_preview_is_not_written_and_its_change_now_is_shown(
    world: Path, tmp_path: Path
) -> None:
    target = tmp_path / "mcp.json"
    target.write_text(json.dumps({"mcpServers": {}}), "utf-8")
    async with PyleeApp(db_path=world, user=ANN, watch_interval=3600).run_test(size=SIZE) as pilot:
        screen = await open_export(pilot)
        screen.query_one("#export-client", Select).value = "cursor"
        await settle(pilot)
        await set_path(pilot, screen, target)
        assert screen.ready and "keeps" not in status(screen)
        mine = {"mcpServers": {"mine": {"command": "x"}}}
        target.write_text(json.dumps(mine), "utf-8")  # changed elsewhere after the preview
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert pilot.app.screen is screen
        assert "the file changed since the preview" in message(screen)
        assert json.loads(target.read_text("utf-8")) == mine
        assert "keeps 1 other server" in status(screen) and screen.ready
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert not isinstance(pilot.app.screen, ExportScreen)
    assert set(json.loads(target.read_text("utf-8"))["mcpServers"]) == {"mine", "weather"}


async def test_a_missing_folder_is_created_on_request_then_previewed(
    world: Path, tmp_path: Path
) -> None:
    target = tmp_path / "new folder" / "deeper" / "mcp.json"
    async with PyleeApp(db_path=world, user=ANN, watch_interval=3600).run_test(size=SIZE) as pilot:
        screen = await open_export(pilot)
        screen.query_one("#export-client", Select).value = "cursor"
        await settle(pilot)
        await set_path(pilot, screen, target)
        assert f"No folder {target.parent}" in status(screen)
        assert "ctrl+s creates it" in status(screen)
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(pilot.app.screen, ChoiceScreen)
        await pilot.click("#choice-no")  # cancel: nothing is created
        await settle(pilot)
        assert not target.parent.exists()
        await pilot.press("ctrl+s")
        await settle(pilot)
        await pilot.click("#choice-yes")
        await settle(pilot)
        assert target.parent.is_dir() and not target.exists()
        assert pilot.app.screen is screen and screen.ready
        assert f"+++ {target}" in preview(screen)
        await pilot.press("ctrl+s")
        await settle(pilot)
    assert "weather" in json.loads(target.read_text("utf-8"))["mcpServers"]


async def test_the_file_field_takes_quotes_tilde_and_completes_with_tab(
    world: Path, tmp_path: Path
) -> None:
    home = Path.home()  # tmp_path/home in tests
    (home / "My Configs").mkdir(parents=True)
    async with PyleeApp(db_path=world, user=ANN, watch_interval=3600).run_test(size=SIZE) as pilot:
        screen = await open_export(pilot)
        screen.query_one("#export-client", Select).value = "cursor"
        await settle(pilot)
        await type_path(pilot, screen, '"~/My')
        await settle(pilot)
        await pilot.press("tab")  # completes the folder, quote kept open
        field = screen.query_one("#export-path", Input)
        assert field.value == '"~/My Configs/'
        assert field.has_focus
        await type_text(pilot, 'mcp.json"')
        await wait_until(pilot, lambda: screen.ready, "the preview of the quoted path")
        assert f"→ {home / 'My Configs' / 'mcp.json'}" in status(screen)
        await pilot.press("ctrl+s")
        await settle(pilot)
    assert (home / "My Configs" / "mcp.json").is_file()


async def test_the_dialog_remembers_client_path_and_options_per_registry(
    world: Path, tmp_path: Path
) -> None:
    target = tmp_path / "cursor.json"
    with_services(world, lambda s: s.registries.create(ANN, "acme", "Other"))
    async with PyleeApp(db_path=world, user=ANN, watch_interval=3600).run_test(size=SIZE) as pilot:
        screen = await open_export(pilot)
        screen.query_one("#export-client", Select).value = "cursor"
        await settle(pilot)
        await set_path(pilot, screen, target)
        screen.query_one("#export-missing", Checkbox).value = True
        await settle(pilot)
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert target.exists()
        screen = await open_export(pilot)  # the same registry again
        await settle(pilot)
        assert screen.query_one("#export-client", Select).value == "cursor"
        assert screen.query_one("#export-path", Input).value == str(target)
        assert screen.query_one("#export-missing", Checkbox).value is True
        await wait_until(pilot, lambda: f"→ {target}" in status(screen), "the remembered preview")
        assert "already holds exactly this: nothing to write" in status(screen)
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert "Nothing to write" in message(screen)
        await pilot.press("escape")
        await settle(pilot)
        screen = await open_export(pilot, "other")  # another registry starts afresh
        assert screen.query_one("#export-client", Select).value == "vscode"
        assert screen.query_one("#export-missing", Checkbox).value is False


async def test_a_long_list_of_skipped_drafts_leaves_the_summary_and_diff_in_view(
    world: Path, tmp_path: Path
) -> None:
    def drafts(services: Services) -> None:
        for n in range(40):
            doc = server_doc(f"io.github.alice/a-rather-long-draft-server-name-{n:02d}")
            doc["description"] = ""
            services.registries.add_server(ANN, Scope("acme", "tools"), doc, allow_draft=True)

    with_services(world, drafts)
    async with PyleeApp(db_path=world, user=ANN, watch_interval=3600).run_test(
        size=(80, 24)
    ) as pilot:
        screen = await open_export(pilot)
        screen.query_one("#export-client", Select).value = "cursor"
        await settle(pilot)
        await set_path(pilot, screen, tmp_path / "c.json")
        assert "40 drafts skipped" in status(screen)
        summary = screen.query_one("#export-status", Static)
        skipped = screen.query_one("#export-skipped")
        diff = screen.query_one("#export-preview", TextArea)
        dialog = screen.query_one("ExportScreen > Vertical")
        for widget in (summary, skipped, diff):
            assert widget.region.bottom <= dialog.region.bottom, widget
        assert "Cursor: 1 server(s)" in str(summary.render())
        assert diff.region.height >= 3
        assert skipped.region.height <= 3
        assert skipped.max_scroll_y > 0  # the rest of the list is a scroll away


def test_export_dialog_snapshot_at_80x24(snap_compare, world: Path, tmp_path: Path, monkeypatch):
    """The summary, a long list of skipped drafts (a scroll), the diff and the keys, at 80x24."""

    def drafts(services: Services) -> None:
        for n in range(12):
            doc = server_doc(f"io.github.alice/draft-{n:02d}")
            doc["description"] = ""
            services.registries.add_server(ANN, Scope("acme", "tools"), doc, allow_draft=True)

    with_services(world, drafts)
    monkeypatch.chdir(tmp_path)  # the file is named relative to here: the same on any machine

    async def run_before(pilot) -> None:
        screen = await open_export(pilot)
        screen.query_one("#export-client", Select).value = "cursor"
        await settle(pilot)
        await set_path(pilot, screen, Path("mcp.json"))
        screen.query_one("#export-client", Select).focus()
        await settle(pilot)

    app = PyleeApp(db_path=world, user=ANN, watch_interval=3600)
    assert snap_compare(app, run_before=run_before, terminal_size=(80, 24))
