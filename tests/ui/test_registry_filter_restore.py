"""Clearing a filter shows the tree as it was before it: the page each registry showed (not
its first page again), with the cursor left on the item it is on; a registry the filter opened
stays open; a change made while filtering is shown, not the tree from before it."""

from __future__ import annotations

import pytest

from pylee_tui.app import PyleeApp
from pylee_tui.sections.registries.browser import RegistryBrowser
from pylee_tui.sections.registries.tree import NodeData, RegistryTree
from pylee_tui.services import Scope, Services
from pylee_tui.store import Store
from tests.support import server_doc
from tests.ui.pilot import settle, type_text, wait_until

ANN = "ann@example.com"
OTHER = "io.github.acme/other-server-15"


def name(i: int) -> str:
    return f"io.github.acme/server-{i:03d}"


@pytest.fixture
def stores(db_path):
    store = Store(db_path)
    services = Services(store)
    services.orgs.create(ANN, "Acme")
    services.registries.create(ANN, "acme", "Big")
    services.registries.create(ANN, "acme", "Other")
    docs = [server_doc(name(i), "1.0.0", f"n{i}") for i in range(250)]
    services.registries.import_servers(ANN, Scope("acme", "big"), docs)
    services.registries.add_server(ANN, Scope("acme", "other"), server_doc(OTHER))
    yield services
    store.close()


def servers(tree: RegistryTree, registry: str) -> list[str]:
    node = tree.registry_node(registry)
    assert node is not None
    return [c.data.server or "" for c in node.children if c.data and c.data.kind == "server"]


def cursor(tree: RegistryTree) -> NodeData | None:
    return tree.cursor_node.data if tree.cursor_node is not None else None


async def open_big(pilot, *, second_page: bool) -> RegistryTree:
    await settle(pilot)
    await pilot.press("2")
    await settle(pilot)
    tree = pilot.app.screen.query_one(RegistryTree)
    tree.select_data(NodeData("registry", "big"))
    await pilot.press("right")
    await settle(pilot)
    if second_page:
        tree.select_data(NodeData("more", "big"))
        await pilot.press("enter")
        await settle(pilot)
        assert servers(tree, "big")[0] == name(100)
    return tree


async def filter_by(pilot, text: str) -> RegistryBrowser:
    browser = pilot.app.screen.query_one(RegistryBrowser)
    await pilot.press("slash")
    await type_text(pilot, text)
    await wait_until(pilot, lambda: browser.query_text == text, "the filter applied")
    await settle(pilot)
    return browser


def app(db_path) -> PyleeApp:
    return PyleeApp(db_path=db_path, user=ANN, watch_interval=3600)


async def test_clearing_the_filter_shows_the_page_shown_before(db_path, stores):
    async with app(db_path).run_test(size=(120, 36)) as pilot:
        tree = await open_big(pilot, second_page=True)
        await filter_by(pilot, "server-15")
        assert servers(tree, "big") == [name(i) for i in range(150, 160)]
        assert servers(tree, "other") == [OTHER]  # the filter opened it
        tree.select_data(NodeData("server", "big", name(152)))
        await pilot.press("escape")
        await settle(pilot)
        assert servers(tree, "big") == [name(i) for i in range(100, 200)]  # not the first page
        assert cursor(tree) == NodeData("server", "big", name(152))
        assert servers(tree, "other") == [OTHER]  # still open
        assert "Registries  2" in str(tree.root.label)


async def test_the_cursor_on_a_match_off_that_page_keeps_its_server(db_path, stores):
    async with app(db_path).run_test(size=(120, 36)) as pilot:
        tree = await open_big(pilot, second_page=False)  # server-000 … server-099
        await filter_by(pilot, "server-23")
        tree.select_data(NodeData("server", "big", name(231)))
        await pilot.press("escape")
        await settle(pilot)
        assert cursor(tree) == NodeData("server", "big", name(231))
        assert name(231) in servers(tree, "big") and len(servers(tree, "big")) == 100


async def test_a_change_made_while_filtering_is_shown_after(db_path, stores):
    async with app(db_path).run_test(size=(120, 36)) as pilot:
        tree = await open_big(pilot, second_page=True)
        await filter_by(pilot, "server-15")
        tree.focus()
        tree.select_data(NodeData("server", "big", name(150)))
        await pilot.press("r")
        await settle(pilot)
        form = pilot.app.screen
        form.query_one("#field-name").value = "io.github.acme/server-150b"
        await pilot.click("#form-submit")
        await settle(pilot)
        assert cursor(tree) == NodeData("server", "big", "io.github.acme/server-150b")
        await pilot.press("escape")
        await settle(pilot)
        shown = servers(tree, "big")
        assert "io.github.acme/server-150b" in shown and name(150) not in shown
        assert cursor(tree) == NodeData("server", "big", "io.github.acme/server-150b")
