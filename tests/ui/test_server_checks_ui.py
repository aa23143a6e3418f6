"""Checks in the app: `k` and `K` in the registry tree (badges, a progress bar and a summary),
the server screen's Tools / Resources / Prompts tabs with the context estimate, and a tool called
from the form its input schema builds. The servers are the real fixture servers (fake uvx)."""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.widgets import DataTable, Input, Static, TabbedContent

from pylee_tui.app import PyleeApp
from pylee_tui.dialogs.check_progress import CheckProgressScreen
from pylee_tui.dialogs.tool_call import ToolCallScreen
from pylee_tui.dialogs.unlock_vault import VaultUnlockScreen
from pylee_tui.screens.server_detail import ServerScreen
from pylee_tui.sections.registries.tree import NodeData, RegistryTree
from pylee_tui.services import Scope, Services
from tests.fixtures.mcp_servers import fake_uvx, path_with, server_json
from tests.support import ANN
from tests.ui.pilot import settle, type_text, wait_until

PASSPHRASE = "correct horse battery"
SECRET = "sk-FAKE-ui-check-51c2"
TOOLS = Scope("acme", "tools")
NEEDS_SECRET = [{"name": "SECRET_TOKEN", "isRequired": True, "isSecret": True}]
REPORTER, EXIT, KEYLESS = (f"io.github.pylee/{p}" for p in ("reporter", "exit", "keyless"))


@pytest.fixture
def world(services: Services, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Services:
    """acme/tools: the reporter (4 tools), one that exits 1, one missing its configuration;
    the fake uvx first on PATH, so the app's in-process checks start the fixtures."""
    fake_uvx(tmp_path / "bin")
    monkeypatch.setenv("PATH", path_with(tmp_path / "bin"))
    monkeypatch.setenv("XDG_RUNTIME_DIR", str(tmp_path))  # no unlock agent there
    s = services
    s.orgs.create(ANN, "Acme")
    s.registries.create(ANN, "acme", "Tools")
    for package in ("reporter", "exit"):
        s.registries.add_server(ANN, TOOLS, server_json(f"pylee-fixture-{package}", NEEDS_SECRET))
    unset = [{"name": "NEVER_SET", "isRequired": True}]
    s.registries.add_server(ANN, TOOLS, server_json("pylee-fixture-keyless", unset))
    s.vault.initialize(ANN, PASSPHRASE)
    s.variables.set_key(ANN, Scope("acme"), "SECRET_TOKEN", SECRET, kind="secret")
    return s


@pytest.fixture
def checked(world: Services) -> Services:
    """The three servers checked once already (at the test clock's time)."""
    world.checks.check(ANN, TOOLS, timeout=20)
    return world


def app_for(db_path: Path) -> PyleeApp:
    return PyleeApp(db_path=db_path, user=ANN, watch_interval=3600)


async def unlock(pilot) -> None:
    """The vault unlocked once the app has opened its store (in a worker, after its first
    frame)."""
    await wait_until(pilot, lambda: pilot.app.services is not None, "the store open")
    pilot.app.services.vault.unlock(PASSPHRASE)


async def open_tools(pilot) -> RegistryTree:
    await settle(pilot)
    await pilot.press("2")
    await settle(pilot)
    tree = pilot.app.screen.query_one(RegistryTree)
    tree.select_data(NodeData("registry", "tools"))
    await pilot.press("right")
    await settle(pilot)
    return tree


def line_of(tree: RegistryTree, server: str) -> str:
    node = tree.find(NodeData("server", "tools", server))
    assert node is not None
    return str(node.label)


async def test_k_checks_the_server_under_the_cursor_and_its_badge_shows_it(db_path, world):
    async with app_for(db_path).run_test(size=(120, 36)) as pilot:
        await unlock(pilot)
        tree = await open_tools(pilot)
        assert line_of(tree, REPORTER).startswith("io.github")  # never checked: no badge
        tree.select_data(NodeData("server", "tools", REPORTER))
        await pilot.press("k")
        await wait_until(pilot, lambda: line_of(tree, REPORTER).startswith("✓ "), "✓ reporter")
        # the others get a blank badge column, so the names stay aligned
        assert line_of(tree, EXIT).startswith("  io.github")

        tree.select_data(NodeData("server", "tools", EXIT))
        await pilot.press("k")
        await wait_until(pilot, lambda: line_of(tree, EXIT).startswith("✗ "), "✗ exit")
        assert line_of(tree, REPORTER).startswith("✓ ")

        tree.select_data(NodeData("server", "tools", REPORTER))
        await pilot.press("enter")
        await wait_until(pilot, lambda: isinstance(pilot.app.screen, ServerScreen), "screen")
        screen = pilot.app.screen
        table = screen.query_one("#server-tools", DataTable)
        await wait_until(pilot, lambda: table.row_count == 4, "4 tools")
        names = {str(table.get_row_at(i)[0]) for i in range(4)}
        assert names == {"environment", "value_matches", "add", "echo"}
        assert all(str(table.get_row_at(i)[1]).startswith("≈ ") for i in range(4))
        line = str(screen.query_one("#server-check-line", Static).render())
        assert "tokens for 4 tools" in line and "ok" in line and ANN in line
        assert screen.query_one("#server-resources", DataTable).row_count == 1
        assert screen.query_one("#server-prompts", DataTable).row_count == 1
        # the launch line is the one `run` executes; the secret passes by name only
        launch = str(screen.query_one("#server-launch", Static).render())
        assert "uvx" in launch and "SECRET_TOKEN" in launch and SECRET not in launch


async def test_k_on_a_registry_says_why_not_and_a_locked_vault_is_asked_for(db_path, world):
    async with app_for(db_path).run_test(size=(120, 36)) as pilot:
        tree = await open_tools(pilot)
        tree.select_data(NodeData("registry", "tools"))
        await settle(pilot)
        await pilot.press("k")
        await settle(pilot)
        assert any("k checks a server" in str(n.message) for n in pilot.app._notifications)
        tree.select_data(NodeData("server", "tools", REPORTER))
        await pilot.press("k")  # its secret needs the vault: the passphrase is asked
        await wait_until(pilot, lambda: isinstance(pilot.app.screen, VaultUnlockScreen), "ask")
        field = pilot.app.screen.query_one("#vault-passphrase", Input)
        assert field.has_focus
        field.value = PASSPHRASE  # the unlock is not under test here: given, not typed
        await pilot.press("enter")
        await wait_until(pilot, lambda: line_of(tree, REPORTER).startswith("✓ "), "✓ reporter")


async def test_K_checks_every_server_of_the_registry_with_a_summary(db_path, world):
    async with app_for(db_path).run_test(size=(120, 36)) as pilot:
        await unlock(pilot)
        tree = await open_tools(pilot)
        tree.select_data(NodeData("server", "tools", EXIT))
        await pilot.press("K")
        await wait_until(
            pilot, lambda: isinstance(pilot.app.screen, CheckProgressScreen), "progress"
        )
        modal = pilot.app.screen
        assert isinstance(modal, CheckProgressScreen)
        await wait_until(pilot, lambda: modal.finished, "the summary", rounds=600)
        assert "1 ok · 1 missing-config · 1 failed" in modal.summary
        assert "≈ " in modal.summary and "tokens" in modal.summary
        await pilot.press("escape")
        await wait_until(pilot, lambda: line_of(tree, KEYLESS).startswith("⚠ "), "⚠ keyless")
        assert line_of(tree, REPORTER).startswith("✓ ") and line_of(tree, EXIT).startswith("✗ ")


async def open_tool_form(pilot, tool: str) -> ToolCallScreen:
    tree = await open_tools(pilot)
    tree.select_data(NodeData("server", "tools", REPORTER))
    await pilot.press("enter")
    await wait_until(pilot, lambda: isinstance(pilot.app.screen, ServerScreen), "screen")
    screen = pilot.app.screen
    table = screen.query_one("#server-tools", DataTable)
    await wait_until(pilot, lambda: table.row_count == 4, "4 tools")
    screen.query_one(TabbedContent).active = "tab-tools"
    await settle(pilot)
    row = next(i for i in range(table.row_count) if str(table.get_row_at(i)[0]) == tool)
    table.focus()
    table.move_cursor(row=row)
    await pilot.press("enter")
    await wait_until(pilot, lambda: isinstance(pilot.app.screen, ToolCallScreen), "form")
    form = pilot.app.screen
    assert isinstance(form, ToolCallScreen)
    return form


async def test_a_tool_is_called_from_the_form_its_schema_builds(db_path, checked, monkeypatch):
    from pylee_tui.services.checks import CheckService

    started: list[str] = []
    real_call = CheckService.call

    def call(self, actor, scope, tool, *args, **kwargs):
        started.append(tool)
        return real_call(self, actor, scope, tool, *args, **kwargs)

    monkeypatch.setattr(CheckService, "call", call)
    async with app_for(db_path).run_test(size=(120, 36)) as pilot:
        await unlock(pilot)
        form = await open_tool_form(pilot, "add")
        assert [f[:3] for f in form.fields] == [("a", "integer", True), ("b", "integer", False)]
        await type_text(pilot, "x")  # not an integer: said at once, no server started for it
        await pilot.press("enter")
        await wait_until(pilot, lambda: bool(form.problems), "a problem")
        assert form.problems == ["a: 'x' is not of type 'integer'"]
        assert started == []
        assert "✗ a: 'x' is not of type 'integer'" in str(
            form.query_one("#tool-call-problems", Static).render()
        )
        form.query_one("#tool-arg-0", Input).value = "2"
        form.query_one("#tool-arg-1", Input).value = "3"
        await pilot.press("enter")
        await wait_until(pilot, lambda: form.result is not None, "the answer", rounds=400)
        assert form.result is not None and (form.result.text, form.result.is_error) == ("5", False)
        assert form.problems == [] and started == ["add"]
        assert str(form.query_one("#tool-call-result", Static).render()).strip() == "5"


def test_tree_with_badges_at_80x24(snap_compare, db_path, checked):
    async def run_before(pilot) -> None:
        tree = await open_tools(pilot)
        tree.select_data(NodeData("server", "tools", REPORTER))
        await settle(pilot)

    assert snap_compare(app_for(db_path), run_before=run_before, terminal_size=(80, 24))


def test_tools_tab_at_80x24(snap_compare, db_path, checked):
    async def run_before(pilot) -> None:
        tree = await open_tools(pilot)
        tree.select_data(NodeData("server", "tools", REPORTER))
        await pilot.press("enter")
        await settle(pilot)
        pilot.app.screen.query_one(TabbedContent).active = "tab-tools"
        await settle(pilot)

    assert snap_compare(app_for(db_path), run_before=run_before, terminal_size=(80, 24))
