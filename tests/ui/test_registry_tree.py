"""Pilot flows of section 2: the registry tree, the server detail and the raw server.json editor."""

from __future__ import annotations

import json
import os

import pytest
from textual.widgets import Input, OptionList, TextArea

from pylee_tui.app import PyleeApp
from pylee_tui.dialogs.choice import ChoiceScreen
from pylee_tui.dialogs.form import FormScreen
from pylee_tui.dialogs.import_result import ImportResultScreen
from pylee_tui.dialogs.pick import PickScreen
from pylee_tui.screens.raw_json_editor import RawJsonScreen, locate_paths, nearest_position
from pylee_tui.screens.server_detail import ServerScreen
from pylee_tui.sections.registries.browser import RegistryBrowser
from pylee_tui.sections.registries.tree import NodeData, RegistryTree
from pylee_tui.services import Scope, Services
from pylee_tui.store import Store
from tests.support import server_doc
from tests.ui.pilot import settle, type_text, wait_until

ANN = "ann@example.com"
SIZE = (120, 36)


@pytest.fixture
def other(db_path):
    store = Store(db_path)
    services = Services(store)
    services.orgs.create(ANN, "Acme")
    yield services
    store.close()


async def open_registries(pilot) -> RegistryTree:
    await settle(pilot)
    await pilot.press("2")
    await settle(pilot)
    return pilot.app.screen.query_one(RegistryTree)


def cursor_to(tree: RegistryTree, data: NodeData) -> None:
    tree.select_data(data)
    assert tree.cursor_node is not None and tree.cursor_node.data == data, data


async def expand(pilot, tree: RegistryTree, registry: str) -> None:
    cursor_to(tree, NodeData("registry", registry))
    await pilot.press("right")
    await settle(pilot)


def app_for(db_path, user=ANN) -> PyleeApp:
    return PyleeApp(db_path=db_path, user=user, watch_interval=3600)


async def test_create_registry_and_server_from_the_tree(db_path, other):
    async with app_for(db_path).run_test(size=SIZE) as pilot:
        tree = await open_registries(pilot)
        assert tree.has_focus
        cursor_to(tree, NodeData("root"))
        await pilot.press("n")
        await settle(pilot)
        assert isinstance(pilot.app.screen, FormScreen)
        await type_text(pilot, "Core Tools")
        await pilot.press("enter")
        await settle(pilot)
        assert [r.slug for r in other.registries.list_registries(ANN, "acme")] == ["core-tools"]
        cursor_to(tree, NodeData("registry", "core-tools"))
        await pilot.press("n")  # on a registry: a server in it
        await settle(pilot)
        form = pilot.app.screen
        values = {
            "name": "io.github.acme/weather",
            "description": "Weather for agents",
            "version": "1.2.0",
            "identifier": "@acme/weather-mcp",
        }
        for name, value in values.items():
            form.query_one(f"#field-{name}", Input).value = value
        await pilot.click("#form-submit")
        await settle(pilot)
        server = other.registries.get_server(
            ANN, Scope("acme", "core-tools", "io.github.acme/weather")
        )
        assert server.status == "valid"
        assert server.document["packages"][0]["identifier"] == "@acme/weather-mcp"
        await expand(pilot, tree, "core-tools")
        leaves = [n.data.server for n in tree.registry_node("core-tools").children]
        assert leaves == ["io.github.acme/weather"]


async def test_invalid_new_server_is_refused_inline(db_path, other):
    other.registries.create(ANN, "acme", "Core Tools")
    async with app_for(db_path).run_test(size=SIZE) as pilot:
        tree = await open_registries(pilot)
        cursor_to(tree, NodeData("registry", "core-tools"))
        await pilot.press("n")
        await settle(pilot)
        form = pilot.app.screen
        form.query_one("#field-name", Input).value = "io.github.acme/weather"
        form.query_one("#field-description", Input).value = "Weather"
        form.query_one("#field-version", Input).value = "latest"
        form.query_one("#field-identifier", Input).value = "@acme/weather"
        await pilot.click("#form-submit")
        await settle(pilot)
        assert pilot.app.screen is form
        assert "$.version" in str(form.query_one("#form-error").render())
        assert other.registries.list_servers(ANN, Scope("acme", "core-tools")) == []


async def test_rename_move_filter_and_delete(db_path, other):
    other.registries.create(ANN, "acme", "Core Tools")
    other.registries.create(ANN, "acme", "Data Sources")
    other.registries.add_server(
        ANN, Scope("acme", "core-tools"), server_doc("io.github.acme/weather")
    )
    other.registries.add_server(
        ANN, Scope("acme", "core-tools"), server_doc("io.github.acme/search")
    )
    async with app_for(db_path).run_test(size=SIZE) as pilot:
        tree = await open_registries(pilot)
        # rename a registry
        cursor_to(tree, NodeData("registry", "data-sources"))
        await pilot.press("r")
        await settle(pilot)
        pilot.app.screen.query_one("#field-name", Input).value = "Warehouses"
        await pilot.click("#form-submit")
        await settle(pilot)
        assert (
            other.registries.get_registry(ANN, Scope("acme", "data-sources")).name == "Warehouses"
        )
        # move a server
        await expand(pilot, tree, "core-tools")
        cursor_to(tree, NodeData("server", "core-tools", "io.github.acme/search"))
        await pilot.press("m")
        await settle(pilot)
        assert isinstance(pilot.app.screen, PickScreen)
        await pilot.press("enter")
        await settle(pilot)
        assert [
            s.name for s in other.registries.list_servers(ANN, Scope("acme", "data-sources"))
        ] == ["io.github.acme/search"]
        # filter as you type
        await pilot.press("slash")
        await type_text(pilot, "weath")
        await wait_until(
            pilot,
            lambda: not tree.registry_node("data-sources").children,  # search moved there
            "the filter",
        )
        await settle(pilot)
        node = tree.registry_node("core-tools")
        assert node.is_expanded
        assert [c.data.server for c in node.children] == ["io.github.acme/weather"]
        assert list(tree.registry_node("data-sources").children) == []
        await pilot.press("escape")
        await settle(pilot)
        # delete a registry: the confirmation says what goes with it
        tree.focus()
        cursor_to(tree, NodeData("registry", "data-sources"))
        await pilot.press("d")
        await settle(pilot)
        dialog = pilot.app.screen
        assert isinstance(dialog, ChoiceScreen)
        assert "1 server" in dialog.message
        await pilot.click("#choice-yes")
        await settle(pilot)
        assert [r.slug for r in other.registries.list_registries(ANN, "acme")] == ["core-tools"]


async def test_import_from_the_tree_keeps_drafts_and_reports(db_path, other, tmp_path):
    other.registries.create(ANN, "acme", "Core Tools")
    path = tmp_path / "servers.json"
    draft = server_doc("io.github.acme/draft")
    draft["description"] = ""
    path.write_text(json.dumps([server_doc("io.github.acme/ok"), draft, {"description": "x"}]))
    async with app_for(db_path).run_test(size=SIZE) as pilot:
        tree = await open_registries(pilot)
        cursor_to(tree, NodeData("registry", "core-tools"))
        await pilot.press("i")
        await settle(pilot)
        # the file's field has the focus: its folder given, its name typed (a key costs a frame)
        field = pilot.app.focused
        assert isinstance(field, Input)
        field.value = f"{path.parent}{os.sep}"
        field.cursor_position = len(field.value)
        await type_text(pilot, path.name)
        await pilot.press("enter")
        await settle(pilot)
        summary = pilot.app.screen
        assert isinstance(summary, ImportResultScreen)
        assert "imported 1, drafts 1, skipped 0, rejected 1" in summary.text
        await pilot.press("escape")
        await settle(pilot)
        await expand(pilot, tree, "core-tools")
        labels = {c.data.server: str(c.label) for c in tree.registry_node("core-tools").children}
        assert "draft" in labels["io.github.acme/draft"]
        assert "draft" not in labels["io.github.acme/ok"]


async def test_fix_a_draft_in_the_raw_editor(db_path, other):
    other.registries.create(ANN, "acme", "Core Tools")
    broken = server_doc("io.github.acme/weather")
    broken["packages"][0]["version"] = ""
    other.registries.add_server(ANN, Scope("acme", "core-tools"), broken, allow_draft=True)
    async with app_for(db_path).run_test(size=SIZE) as pilot:
        tree = await open_registries(pilot)
        await expand(pilot, tree, "core-tools")
        cursor_to(tree, NodeData("server", "core-tools", "io.github.acme/weather"))
        await pilot.press("enter")
        await settle(pilot)
        detail = pilot.app.screen
        assert isinstance(detail, ServerScreen)
        assert "$.packages[0].version" in str(detail.query_one("#server-problems").render())
        assert "npx -y @weather/mcp" in str(detail.query_one("#server-launch").render())
        await pilot.press("j")
        await settle(pilot)
        raw = pilot.app.screen
        assert isinstance(raw, RawJsonScreen)
        editor = raw.query_one(TextArea)
        # saving as it is: refused, the problem listed and the cursor put on it
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert pilot.app.screen is raw
        problems = raw.query_one("#raw-problems", OptionList)
        assert problems.get_option_at_index(0).id == "$.packages[0].version"
        row = editor.cursor_location[0]
        assert '"version": ""' in editor.document.get_line(row)
        # a JSON syntax error is pointed at by line and column
        editor.text = editor.text.replace('"version": ""', '"version": "1.0.0" oops')
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert problems.get_option_at_index(0).id.startswith("line ")
        assert pilot.app.screen is raw
        editor.text = editor.text.replace('"version": "1.0.0" oops', '"version": "1.0.0"')
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(pilot.app.screen, ServerScreen)
        server = other.registries.get_server(
            ANN, Scope("acme", "core-tools", "io.github.acme/weather")
        )
        assert server.status == "valid" and server.problems == []
        assert str(pilot.app.screen.query_one("#server-problems").render()) == ""


async def test_member_without_grant_cannot_change_registries(db_path, other):
    other.registries.create(ANN, "acme", "Core Tools")
    other.members.invite(ANN, "acme", "bob@example.com")
    other.members.accept("bob@example.com", "acme")
    async with app_for(db_path, user="bob@example.com").run_test(size=SIZE) as pilot:
        tree = await open_registries(pilot)
        browser = pilot.app.screen.query_one(RegistryBrowser)
        cursor_to(tree, NodeData("registry", "core-tools"))
        for action in ("new", "rename", "delete", "import", "edit_overview"):
            assert browser.check_action(action, ()) is None, action  # shown, disabled
        await pilot.press("n")
        await settle(pilot)
        assert not isinstance(pilot.app.screen, FormScreen)


def test_locate_paths_finds_nested_keys_and_items():
    text = json.dumps(server_doc("io.github.acme/weather"), indent=2)
    positions = locate_paths(text)
    row, _col = positions["$.packages[0].version"]
    assert '"version"' in text.splitlines()[row]
    # a missing field points at its closest parent
    assert (
        nearest_position(positions, "$.packages[0].transport.url")
        == positions["$.packages[0].transport"]
    )


def test_tree_snapshot(snap_compare, db_path, other):
    other.registries.create(ANN, "acme", "Core Tools", description="Search and automation")
    other.registries.create(ANN, "acme", "Data Sources")
    other.registries.add_server(
        ANN, Scope("acme", "core-tools"), server_doc("io.github.acme/weather")
    )
    draft = server_doc("io.github.acme/search", "0.2.0")
    draft["description"] = ""
    other.registries.add_server(ANN, Scope("acme", "core-tools"), draft, allow_draft=True)

    async def run_before(pilot) -> None:
        tree = await open_registries(pilot)
        await expand(pilot, tree, "core-tools")
        cursor_to(tree, NodeData("server", "core-tools", "io.github.acme/search"))
        await settle(pilot)

    assert snap_compare(app_for(db_path), run_before=run_before, terminal_size=SIZE)


def test_server_detail_snapshot(snap_compare, db_path, other):
    other.registries.create(ANN, "acme", "Core Tools")
    document = server_doc("io.github.acme/weather")
    document["packages"][0]["environmentVariables"] = [
        {"name": "WEATHER_API_KEY", "isRequired": True, "isSecret": True, "description": "Key"},
        {"name": "UNITS", "default": "metric", "description": "metric or imperial"},
    ]
    other.registries.add_server(ANN, Scope("acme", "core-tools"), document)

    async def run_before(pilot) -> None:
        tree = await open_registries(pilot)
        await expand(pilot, tree, "core-tools")
        cursor_to(tree, NodeData("server", "core-tools", "io.github.acme/weather"))
        await pilot.press("enter")
        # the page is pushed by a message, then reads the server in a worker of its own: under
        # load that can outlast a few settle rounds, and the picture would show it empty
        await wait_until(
            pilot,
            lambda: isinstance(pilot.app.screen, ServerScreen) and pilot.app.screen.server,
            "the server's page shows the server",
        )
        await settle(pilot)

    assert snap_compare(app_for(db_path), run_before=run_before, terminal_size=SIZE)


async def test_edit_a_registry_overview_in_the_split_editor(db_path, other):
    other.registries.create(ANN, "acme", "Core Tools")
    async with app_for(db_path).run_test(size=SIZE) as pilot:
        tree = await open_registries(pilot)
        cursor_to(tree, NodeData("registry", "core-tools"))
        await pilot.press("e")
        await settle(pilot)
        from pylee_tui.screens.overview_editor import OverviewEditorScreen

        editor_screen = pilot.app.screen
        assert isinstance(editor_screen, OverviewEditorScreen)
        area = editor_screen.query_one(TextArea)
        area.insert("# Core Tools\n\nOnly reviewed servers.\n")
        await pilot.press("ctrl+s")
        await settle(pilot)
        stored = other.registries.get_registry(ANN, Scope("acme", "core-tools")).overview
        assert stored == "# Core Tools\n\nOnly reviewed servers.\n"
        await pilot.press("escape")
        await settle(pilot)
        events = [e.action for e in other.audit.list_for_org(ANN, "acme")]
        assert events[0] == "registry.overview"


@pytest.mark.parametrize(
    "text, reason",
    [
        ("[" * 5_000 + "]" * 5_000, "nested too deeply"),
        ('{"name": "io.github.acme/weather", "size": 1e999999}', "Infinity is not a JSON number"),
        ('{"name": "io.github.acme/weather", "size": NaN}', "not a JSON number"),
    ],
    ids=["deep nesting", "overflowing number", "NaN"],
)
async def test_the_raw_editor_refuses_odd_json_without_crashing(db_path, other, text, reason):
    """What the CLI's reader refuses, the raw editor refuses too: a problem, nothing saved."""
    other.registries.create(ANN, "acme", "Core Tools")
    other.registries.add_server(
        ANN, Scope("acme", "core-tools"), server_doc("io.github.acme/weather")
    )
    before = other.registries.get_server(ANN, Scope("acme", "core-tools", "io.github.acme/weather"))
    async with app_for(db_path).run_test(size=SIZE) as pilot:
        await settle(pilot)
        pilot.app.push_screen(ServerScreen("acme", "core-tools", "io.github.acme/weather", "admin"))
        await settle(pilot)
        await pilot.press("j")
        await settle(pilot)
        raw = pilot.app.screen
        assert isinstance(raw, RawJsonScreen)
        raw.query_one(TextArea).text = text
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert pilot.app.screen is raw
        listed = [str(o.prompt) for o in raw.query_one("#raw-problems", OptionList).options]
        assert any(reason in line for line in listed), listed
    after = other.registries.get_server(ANN, Scope("acme", "core-tools", "io.github.acme/weather"))
    assert after.document == before.document
