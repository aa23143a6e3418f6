"""Section 2 as a person uses it: after every change the cursor is on the changed (or the
nearest) item, the detail pane describes what is under the cursor, and a destructive key acts only
on what the screen shows. Also: drafts only, the next draft, j/k, disabled keys that say why, and
the import report that names names."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from textual.app import App
from textual.widgets import Input, Static

import pylee_tui
from pylee_tui.app import PyleeApp
from pylee_tui.dialogs.choice import ChoiceScreen
from pylee_tui.dialogs.form import FormScreen
from pylee_tui.dialogs.help import binding_rows
from pylee_tui.dialogs.import_result import ImportResultScreen
from pylee_tui.dialogs.pick import PickScreen
from pylee_tui.sections.registries.browser import RegistryBrowser
from pylee_tui.sections.registries.tree import NodeData, RegistryTree
from pylee_tui.services import Scope, Services
from pylee_tui.store import Store
from tests.support import server_doc
from tests.ui.pilot import settle, type_text, wait_until

ANN = "ann@example.com"
BOB = "bob@example.com"
SIZE = (120, 36)
WEATHER, SEARCH, MAPS = "io.github.acme/weather", "io.github.acme/search", "io.github.acme/maps"


@pytest.fixture
def acme(db_path):
    """Acme: Core Tools holds maps, search and weather; Data Sources is empty."""
    store = Store(db_path)
    services = Services(store)
    services.orgs.create(ANN, "Acme")
    services.registries.create(ANN, "acme", "Core Tools")
    services.registries.create(ANN, "acme", "Data Sources")
    for name in (WEATHER, SEARCH, MAPS):
        services.registries.add_server(ANN, Scope("acme", "core-tools"), server_doc(name))
    yield services
    store.close()


def app_for(db_path, user=ANN) -> PyleeApp:
    return PyleeApp(db_path=db_path, user=user, watch_interval=3600)


async def open_registries(pilot) -> RegistryTree:
    await settle(pilot)
    await pilot.press("2")
    await settle(pilot)
    return pilot.app.screen.query_one(RegistryTree)


async def expand(pilot, tree: RegistryTree, registry: str) -> None:
    tree.select_data(NodeData("registry", registry))
    await pilot.press("right")
    await settle(pilot)


async def put_cursor(pilot, tree: RegistryTree, data: NodeData) -> None:
    tree.select_data(data)
    await settle(pilot)
    assert cursor(tree) == data


def cursor(tree: RegistryTree) -> NodeData | None:
    node = tree.cursor_node
    return node.data if node else None


def detail_title(app) -> str:
    return str(app.screen.query_one("#detail-title", Static).render())


def assert_detail_is_the_cursor(app, tree: RegistryTree) -> None:
    """The detail pane describes the item under the cursor, nothing else."""
    data = cursor(tree)
    assert data is not None and data.kind in ("registry", "server"), data
    name = data.server if data.kind == "server" else tree.registries[data.registry].name
    assert detail_title(app) == name, (detail_title(app), data)


def shown_servers(tree: RegistryTree, registry: str) -> list[str]:
    node = tree.registry_node(registry)
    return [c.data.server for c in node.children if c.data.kind == "server"]


def expanded(tree: RegistryTree) -> set[str]:
    return {n.data.registry for n in tree.root.children if n.is_expanded}


def messages(app) -> list[str]:
    return [str(n.message) for n in app._notifications]


# --- wrong behaviour 2: keys act on a different server than the one shown --------------------


async def test_after_a_move_the_cursor_and_the_detail_follow_the_moved_server(db_path, acme):
    """The issue's steps: m moves a server, then d. The cursor, the detail and d's question all
    name the same server, the one moved."""
    async with app_for(db_path).run_test(size=SIZE) as pilot:
        tree = await open_registries(pilot)
        await expand(pilot, tree, "core-tools")
        await put_cursor(pilot, tree, NodeData("server", "core-tools", SEARCH))
        await pilot.press("m")
        await settle(pilot)
        assert isinstance(pilot.app.screen, PickScreen)
        await pilot.press("enter")  # the only other registry: data-sources
        await settle(pilot)
        assert [
            s.name for s in acme.registries.list_servers(ANN, Scope("acme", "data-sources"))
        ] == [SEARCH]
        assert_detail_is_the_cursor(pilot.app, tree)
        assert cursor(tree) == NodeData("server", "data-sources", SEARCH)
        assert {"core-tools", "data-sources"} <= expanded(tree)
        shown = detail_title(pilot.app)
        await pilot.press("d")
        await settle(pilot)
        dialog = pilot.app.screen
        assert isinstance(dialog, ChoiceScreen)
        assert dialog.title_text == f"Remove {shown}?" == f"Remove {SEARCH}?"
        await pilot.press("escape")
        await settle(pilot)


async def test_after_a_removal_the_cursor_stays_in_the_registry(db_path, acme):
    """Removing a server puts the cursor on its neighbour, not on the root: the next n makes a
    server in the same registry, not a registry."""
    async with app_for(db_path).run_test(size=SIZE) as pilot:
        tree = await open_registries(pilot)
        await expand(pilot, tree, "core-tools")
        await put_cursor(pilot, tree, NodeData("server", "core-tools", SEARCH))
        await pilot.press("d")
        await settle(pilot)
        assert pilot.app.screen.title_text == f"Remove {SEARCH}?"
        await pilot.click("#choice-yes")
        await settle(pilot)
        assert [s.name for s in acme.registries.list_servers(ANN, Scope("acme", "core-tools"))] == [
            MAPS,
            WEATHER,
        ]
        assert_detail_is_the_cursor(pilot.app, tree)
        assert cursor(tree) == NodeData("server", "core-tools", WEATHER)  # the next one
        await pilot.press("n")
        await settle(pilot)
        form = pilot.app.screen
        assert isinstance(form, FormScreen)
        assert form.title_text == "New server in core-tools"


async def test_removing_the_last_server_of_a_list_goes_to_the_previous_one(db_path, acme):
    async with app_for(db_path).run_test(size=SIZE) as pilot:
        tree = await open_registries(pilot)
        await expand(pilot, tree, "core-tools")
        await put_cursor(pilot, tree, NodeData("server", "core-tools", WEATHER))
        await pilot.press("d")
        await settle(pilot)
        await pilot.click("#choice-yes")
        await settle(pilot)
        assert cursor(tree) == NodeData("server", "core-tools", SEARCH)
        assert detail_title(pilot.app) == SEARCH


async def test_rename_keeps_the_tree_open_and_the_cursor_on_the_renamed_server(db_path, acme):
    acme.registries.add_server(ANN, Scope("acme", "data-sources"), server_doc("io.github.acme/sql"))
    async with app_for(db_path).run_test(size=SIZE) as pilot:
        tree = await open_registries(pilot)
        await expand(pilot, tree, "core-tools")
        await expand(pilot, tree, "data-sources")
        await put_cursor(pilot, tree, NodeData("server", "core-tools", SEARCH))
        await pilot.press("r")
        await settle(pilot)
        field = pilot.app.screen.query_one("#field-name")
        field.value = "io.github.acme/find"
        await pilot.click("#form-submit")
        await settle(pilot)
        assert expanded(tree) == {"core-tools", "data-sources"}
        assert cursor(tree) == NodeData("server", "core-tools", "io.github.acme/find")
        assert detail_title(pilot.app) == "io.github.acme/find"
        assert shown_servers(tree, "data-sources") == ["io.github.acme/sql"]


async def test_renaming_a_registry_slug_keeps_it_open_with_the_cursor_on_it(db_path, acme):
    async with app_for(db_path).run_test(size=SIZE) as pilot:
        tree = await open_registries(pilot)
        await expand(pilot, tree, "core-tools")
        await put_cursor(pilot, tree, NodeData("registry", "core-tools"))
        await pilot.press("r")
        await settle(pilot)
        form = pilot.app.screen
        form.query_one("#field-name").value = "Tools"
        form.query_one("#field-slug").value = "tools"
        await pilot.click("#form-submit")
        await settle(pilot)
        assert cursor(tree) == NodeData("registry", "tools")
        assert "tools" in expanded(tree)
        assert shown_servers(tree, "tools") == [MAPS, SEARCH, WEATHER]
        assert detail_title(pilot.app) == "Tools"


async def test_a_new_server_gets_the_cursor(db_path, acme):
    async with app_for(db_path).run_test(size=SIZE) as pilot:
        tree = await open_registries(pilot)
        await put_cursor(pilot, tree, NodeData("registry", "data-sources"))
        await pilot.press("n")
        await settle(pilot)
        form = pilot.app.screen
        for name, value in {
            "name": "io.github.acme/sql",
            "description": "SQL",
            "version": "1.0.0",
            "identifier": "@acme/sql",
        }.items():
            form.query_one(f"#field-{name}").value = value
        await pilot.click("#form-submit")
        await settle(pilot)
        assert cursor(tree) == NodeData("server", "data-sources", "io.github.acme/sql")
        assert detail_title(pilot.app) == "io.github.acme/sql"


async def test_a_change_made_elsewhere_keeps_the_cursor_on_its_item(db_path, acme):
    """A reload (another terminal, the CLI) rebuilds the tree: the cursor stays on its server
    and the detail with it, even when the lines above it changed."""
    async with app_for(db_path).run_test(size=SIZE) as pilot:
        tree = await open_registries(pilot)
        await expand(pilot, tree, "core-tools")
        await put_cursor(pilot, tree, NodeData("server", "core-tools", WEATHER))
        acme.registries.remove_server(ANN, Scope("acme", "core-tools", MAPS))  # a line above it
        pilot.app.org_screen.reload()
        await settle(pilot)
        assert cursor(tree) == NodeData("server", "core-tools", WEATHER)
        assert detail_title(pilot.app) == WEATHER
        acme.registries.remove_server(ANN, Scope("acme", "core-tools", WEATHER))  # the one under it
        pilot.app.org_screen.reload()
        await settle(pilot)
        assert cursor(tree) == NodeData("server", "core-tools", SEARCH)
        assert detail_title(pilot.app) == SEARCH


async def test_a_removal_is_refused_when_the_server_changed_during_the_question(db_path, acme):
    """The question names a server; if it is gone from under the cursor by the answer (removed
    in another terminal), nothing else is removed in its place."""
    async with app_for(db_path).run_test(size=SIZE) as pilot:
        tree = await open_registries(pilot)
        await expand(pilot, tree, "core-tools")
        await put_cursor(pilot, tree, NodeData("server", "core-tools", SEARCH))
        await pilot.press("d")
        await settle(pilot)
        acme.registries.move_server(ANN, Scope("acme", "core-tools", SEARCH), "data-sources")
        pilot.app.org_screen.reload()
        await settle(pilot)
        await pilot.click("#choice-yes")
        await settle(pilot)
        assert [s.name for s in acme.registries.list_servers(ANN, Scope("acme", "core-tools"))] == [
            MAPS,
            WEATHER,
        ]
        assert [
            s.name for s in acme.registries.list_servers(ANN, Scope("acme", "data-sources"))
        ] == [SEARCH]
        assert any("nothing was removed" in m for m in messages(pilot.app)), messages(pilot.app)


async def test_the_filter_keeps_the_cursor_on_a_match(db_path, acme):
    async with app_for(db_path).run_test(size=SIZE) as pilot:
        tree = await open_registries(pilot)
        await expand(pilot, tree, "core-tools")
        await put_cursor(pilot, tree, NodeData("server", "core-tools", WEATHER))
        await pilot.press("slash")
        await type_text(pilot, "ea")  # search and weather
        await wait_until(
            pilot, lambda: shown_servers(tree, "core-tools") == [SEARCH, WEATHER], "the filter"
        )
        assert cursor(tree) == NodeData("server", "core-tools", WEATHER)
        assert detail_title(pilot.app) == WEATHER
        await type_text(pilot, "r")  # search only: the cursor goes to the nearest shown
        await wait_until(pilot, lambda: shown_servers(tree, "core-tools") == [SEARCH], "filter")
        await settle(pilot)
        assert cursor(tree) == NodeData("server", "core-tools", SEARCH)
        assert detail_title(pilot.app) == SEARCH
        await pilot.press("escape")
        await settle(pilot)
        assert shown_servers(tree, "core-tools") == [MAPS, SEARCH, WEATHER]
        assert cursor(tree) == NodeData("server", "core-tools", SEARCH)


# --- j, and k (which checks: issue 15) -------------------------------------------------------


async def test_j_moves_down_in_the_tree_and_k_is_check(db_path, acme):
    async with app_for(db_path).run_test(size=SIZE) as pilot:
        tree = await open_registries(pilot)
        await expand(pilot, tree, "core-tools")
        await put_cursor(pilot, tree, NodeData("registry", "core-tools"))
        await pilot.press("j")
        await settle(pilot)
        assert cursor(tree) == NodeData("server", "core-tools", MAPS)
        assert detail_title(pilot.app) == MAPS
        await pilot.press("j", "j", "up")
        await settle(pilot)
        assert cursor(tree) == NodeData("server", "core-tools", SEARCH)
        rows = {action: key for key, action, _note in binding_rows(pilot.app.screen)}
        assert rows["Check"] == "k" and rows["Check all"] == "K"


# --- disabled keys say why ------------------------------------------------------------------


@pytest.fixture
def bob(acme):
    acme.members.invite(ANN, "acme", BOB)
    acme.members.accept(BOB, "acme")
    return BOB


KEY_ACTIONS = {
    "n": "new",
    "r": "rename",
    "d": "delete",
    "m": "move",
    "i": "import",
    "e": "edit_overview",
}


@pytest.mark.parametrize("key", list(KEY_ACTIONS))
async def test_a_disabled_key_says_why(db_path, acme, bob, key):
    async with app_for(db_path, user=BOB).run_test(size=SIZE) as pilot:
        tree = await open_registries(pilot)
        await expand(pilot, tree, "core-tools")
        target = (
            NodeData("server", "core-tools", SEARCH)
            if key == "m"
            else NodeData("registry", "core-tools")
        )
        await put_cursor(pilot, tree, target)
        browser = pilot.app.screen.query_one(RegistryBrowser)
        assert browser.check_action(KEY_ACTIONS[key], ()) is None  # shown, disabled
        await pilot.press(key)
        await settle(pilot)
        assert pilot.app.screen is pilot.app.org_screen  # nothing opened
        said = messages(pilot.app)
        assert any("registries:write" in m and "admin" in m for m in said), said


async def test_a_key_that_needs_another_item_says_which(db_path, acme):
    async with app_for(db_path).run_test(size=SIZE) as pilot:
        tree = await open_registries(pilot)
        await put_cursor(pilot, tree, NodeData("registry", "core-tools"))
        await pilot.press("m")
        await settle(pilot)
        assert not isinstance(pilot.app.screen, PickScreen)
        assert any("server" in m for m in messages(pilot.app)), messages(pilot.app)
        await put_cursor(pilot, tree, NodeData("root"))
        await pilot.press("x")
        await settle(pilot)
        assert any("registry" in m for m in messages(pilot.app)[1:]), messages(pilot.app)


# --- confirmations say what cannot be undone ------------------------------------------------


async def test_deleting_a_registry_says_it_closes_its_open_change_requests(db_path, acme):
    from pylee_tui.services.approvals import ChangeRequested

    acme.members.invite(ANN, "acme", BOB)
    acme.members.accept(BOB, "acme")
    acme.members.grant(ANN, "acme", BOB, "registries:write")
    acme.approvals.set_required(ANN, Scope("acme", "core-tools"), True)
    with pytest.raises(ChangeRequested):
        acme.registries.remove_server(BOB, Scope("acme", "core-tools", MAPS))
    async with app_for(db_path).run_test(size=SIZE) as pilot:
        tree = await open_registries(pilot)
        await put_cursor(pilot, tree, NodeData("registry", "core-tools"))
        await pilot.press("d")
        await settle(pilot)
        assert pilot.app.screen.message == (
            "This deletes its 3 servers. It closes its 1 open change request as rejected. "
            "This cannot be undone."
        )


async def test_the_removal_question_says_what_goes_and_that_it_cannot_be_undone(db_path, acme):
    acme.variables.set_key(ANN, Scope("acme", "core-tools"), "REGION", "eu")
    acme.variables.set_key(ANN, Scope("acme", "core-tools", SEARCH), "UNITS", "metric")
    async with app_for(db_path).run_test(size=SIZE) as pilot:
        tree = await open_registries(pilot)
        await put_cursor(pilot, tree, NodeData("registry", "core-tools"))
        await pilot.press("d")
        await settle(pilot)
        dialog = pilot.app.screen
        assert isinstance(dialog, ChoiceScreen)
        assert dialog.message == (
            "This deletes its 3 servers and the 2 variables or secrets of the registry and its "
            "servers, with their history. This cannot be undone."
        )
        await pilot.press("escape")
        await settle(pilot)
        await expand(pilot, tree, "core-tools")
        await put_cursor(pilot, tree, NodeData("server", "core-tools", SEARCH))
        await pilot.press("d")
        await settle(pilot)
        assert pilot.app.screen.message == (
            "It is removed from registry core-tools with its 1 variable or secret and their "
            "history. This cannot be undone."
        )
        await pilot.press("escape")
        await settle(pilot)
        await put_cursor(pilot, tree, NodeData("server", "core-tools", WEATHER))
        await pilot.press("d")
        await settle(pilot)
        assert pilot.app.screen.message == (
            "It is removed from registry core-tools. This cannot be undone."
        )


# --- drafts ---------------------------------------------------------------------------------


@pytest.fixture
def drafts(acme):
    """A draft in each registry (an empty description is a fault a person can fix)."""
    for registry, name in (("core-tools", "io.github.acme/draft-a"), ("data-sources", "zz/d")):
        document = server_doc(name)
        document["description"] = ""
        acme.registries.add_server(ANN, Scope("acme", registry), document, allow_draft=True)
    acme.registries.add_server(ANN, Scope("acme", "data-sources"), server_doc("io.github.acme/sql"))
    return acme


async def test_drafts_only_shows_the_drafts_and_back(db_path, drafts):
    async with app_for(db_path).run_test(size=SIZE) as pilot:
        tree = await open_registries(pilot)
        await pilot.press("D")
        await settle(pilot)
        assert shown_servers(tree, "core-tools") == ["io.github.acme/draft-a"]
        assert shown_servers(tree, "data-sources") == ["zz/d"]
        assert "drafts only" in str(tree.root.label)
        await pilot.press("D")
        await settle(pilot)
        assert "drafts only" not in str(tree.root.label)
        await expand(pilot, tree, "data-sources")
        assert shown_servers(tree, "data-sources") == ["io.github.acme/sql", "zz/d"]


async def test_the_next_draft_key_walks_every_draft_and_wraps(db_path, drafts):
    async with app_for(db_path).run_test(size=SIZE) as pilot:
        tree = await open_registries(pilot)
        await put_cursor(pilot, tree, NodeData("root"))
        await pilot.press("greater_than_sign")
        await settle(pilot)
        assert cursor(tree) == NodeData("server", "core-tools", "io.github.acme/draft-a")
        assert detail_title(pilot.app) == "io.github.acme/draft-a"
        await pilot.press("greater_than_sign")
        await settle(pilot)
        assert cursor(tree) == NodeData("server", "data-sources", "zz/d")
        await pilot.press("greater_than_sign")
        await settle(pilot)
        assert cursor(tree) == NodeData("server", "core-tools", "io.github.acme/draft-a")
        await pilot.press("less_than_sign")
        await settle(pilot)
        assert cursor(tree) == NodeData("server", "data-sources", "zz/d")


async def test_the_next_draft_key_says_when_there_is_none(db_path, acme):
    async with app_for(db_path).run_test(size=SIZE) as pilot:
        tree = await open_registries(pilot)
        await put_cursor(pilot, tree, NodeData("root"))
        await pilot.press("greater_than_sign")
        await settle(pilot)
        assert cursor(tree) == NodeData("root")
        assert any("No drafts" in m for m in messages(pilot.app)), messages(pilot.app)


# --- the import result names names ----------------------------------------------------------


async def test_the_import_result_lists_each_rejected_and_drafted_entry(db_path, acme, tmp_path):
    draft = server_doc("io.github.acme/draft")
    draft["description"] = ""
    path = tmp_path / "servers.json"
    entries = [server_doc("io.github.acme/ok"), draft, {"description": "x"}, "oops"]
    path.write_text(json.dumps(entries))
    async with app_for(db_path).run_test(size=SIZE) as pilot:
        tree = await open_registries(pilot)
        await put_cursor(pilot, tree, NodeData("registry", "data-sources"))
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
        result = pilot.app.screen
        assert isinstance(result, ImportResultScreen)
        text = result.text
        assert "imported 1, drafts 1, skipped 0, rejected 2" in text
        assert "io.github.acme/draft" in text and "$.description" in text
        assert "#3" in text and "no usable name" in text
        assert "#4" in text and "not a JSON object" in text
        assert "io.github.acme/ok" not in text.split("\n", 2)[-1]  # only the ones to look at
        await pilot.press("escape")
        await settle(pilot)
        assert pilot.app.screen is pilot.app.org_screen
        assert cursor(tree) == NodeData("registry", "data-sources")


# --- the import result at 80x24 -------------------------------------------------------------


class ImportResultHost(App[None]):
    """Only the dialog, in the app's stylesheet: the snapshot shows it, not the section's
    footer (which other work changes)."""

    CSS_PATH = str(Path(pylee_tui.__file__).parent / "app.tcss")

    def __init__(self, report) -> None:
        super().__init__()
        self.report = report

    def on_mount(self) -> None:
        self.push_screen(ImportResultScreen("core-tools", self.report))


def test_import_result_snapshot_at_80x24(snap_compare, acme):
    entries = [server_doc(WEATHER), {"description": "no name"}, "not an object"]
    for i, fault in enumerate(("", "x" * 120, "")):
        document = server_doc(f"io.github.acme/draft-{i}")
        document["description"] = fault
        if i == 2:
            document["packages"][0]["version"] = "latest"
        entries.append(document)
    origins = [("servers.json", i + 1) for i in range(len(entries))]
    report = acme.registries.import_servers(
        ANN, Scope("acme", "core-tools"), entries, origins=origins
    )
    assert (report.imported, report.drafts, report.skipped, report.rejected) == (0, 3, 1, 2)
    assert snap_compare(ImportResultHost(report), terminal_size=(80, 24))


async def test_escape_leaves_drafts_only_and_help_lists_the_draft_keys(db_path, drafts):
    async with app_for(db_path).run_test(size=SIZE) as pilot:
        tree = await open_registries(pilot)
        await pilot.press("D")
        await settle(pilot)
        assert shown_servers(tree, "data-sources") == ["zz/d"]
        rows = {action: key for key, action, _note in binding_rows(pilot.app.screen)}
        assert rows["Drafts only"] == "D"
        assert rows["Next draft"] == ">" and rows["Previous draft"] == "<"
        assert rows["Down"] == "j" and rows["Check"] == "k"
        await pilot.press("escape")
        await settle(pilot)
        assert "drafts only" not in str(tree.root.label)
        assert shown_servers(tree, "data-sources") == ["io.github.acme/sql", "zz/d"]


async def test_reveal_opens_the_registry_and_puts_the_cursor_on_the_server(db_path, acme):
    """For the palette and other ways in: a server is shown with its registry open."""
    async with app_for(db_path).run_test(size=SIZE) as pilot:
        tree = await open_registries(pilot)
        pilot.app.screen.query_one(RegistryBrowser).reveal("core-tools", SEARCH)
        await settle(pilot)
        assert cursor(tree) == NodeData("server", "core-tools", SEARCH)
        assert_detail_is_the_cursor(pilot.app, tree)
