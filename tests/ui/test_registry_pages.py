"""A registry with more servers than the tree shows at once: a page of them between "… N before"
and "… N more" (enter or → turns the page), and whatever asks for a server further on (a search,
the next draft) opens the page that holds it."""

from __future__ import annotations

import pytest

from pylee_tui.app import PyleeApp
from pylee_tui.sections.registries.browser import RegistryBrowser
from pylee_tui.sections.registries.tree import NodeData, RegistryTree
from pylee_tui.services import Scope, Services
from pylee_tui.services.registries import SERVER_PAGE
from pylee_tui.store import Store
from tests.support import server_doc
from tests.ui.pilot import settle, type_text, wait_until

ANN = "ann@example.com"
COUNT = 250
DRAFT = "io.github.acme/server-231"  # far past the first page


@pytest.fixture
def big(db_path):
    store = Store(db_path)
    services = Services(store)
    services.orgs.create(ANN, "Acme")
    services.registries.create(ANN, "acme", "Big")
    docs = [server_doc(f"io.github.acme/server-{i:03d}", "1.0.0", f"n{i}") for i in range(COUNT)]
    docs[231]["version"] = "latest"  # a draft
    services.registries.import_servers(ANN, Scope("acme", "big"), docs)
    yield services
    store.close()


def children(tree: RegistryTree, registry: str) -> list[NodeData]:
    node = tree.registry_node(registry)
    assert node is not None
    return [c.data for c in node.children if c.data is not None]


def servers(tree: RegistryTree, registry: str) -> list[str]:
    return [d.server or "" for d in children(tree, registry) if d.kind == "server"]


async def open_big(pilot) -> RegistryTree:
    await settle(pilot)
    await pilot.press("2")
    await settle(pilot)
    tree = pilot.app.screen.query_one(RegistryTree)
    tree.select_data(NodeData("registry", "big"))
    await pilot.press("right")
    await settle(pilot)
    return tree


async def test_a_big_registry_shows_a_page_and_turns_it(db_path, big):
    async with PyleeApp(db_path=db_path, user=ANN, watch_interval=3600).run_test(
        size=(80, 24)
    ) as pilot:
        tree = await open_big(pilot)
        shown = servers(tree, "big")
        assert len(shown) == SERVER_PAGE and shown[0] == "io.github.acme/server-000"
        assert children(tree, "big")[-1] == NodeData("more", "big")
        assert "150 more" in str(tree.registry_node("big").children[-1].label)
        tree.select_data(NodeData("more", "big"))
        await pilot.press("enter")
        await settle(pilot)
        assert servers(tree, "big")[0] == "io.github.acme/server-100"
        assert children(tree, "big")[0] == NodeData("earlier", "big")
        assert tree.cursor_node.data == NodeData("server", "big", "io.github.acme/server-100")
        tree.select_data(NodeData("earlier", "big"))
        await pilot.press("right")  # → turns the page back
        await settle(pilot)
        assert servers(tree, "big")[0] == "io.github.acme/server-000"
        assert tree.cursor_node.data == NodeData("server", "big", "io.github.acme/server-099")


async def test_the_next_draft_opens_the_page_that_holds_it(db_path, big):
    async with PyleeApp(db_path=db_path, user=ANN, watch_interval=3600).run_test(
        size=(120, 36)
    ) as pilot:
        tree = await open_big(pilot)
        await pilot.press("greater_than_sign")
        await settle(pilot)
        assert tree.cursor_node.data == NodeData("server", "big", DRAFT)
        assert DRAFT in servers(tree, "big")


async def test_a_filter_counts_every_match_and_shows_a_page(db_path, big):
    async with PyleeApp(db_path=db_path, user=ANN, watch_interval=3600).run_test(
        size=(120, 36)
    ) as pilot:
        tree = await open_big(pilot)
        await pilot.press("slash")
        await type_text(pilot, "server-1")
        browser = pilot.app.screen.query_one(RegistryBrowser)
        await wait_until(pilot, lambda: browser.query_text == "server-1", "the filter applied")
        await settle(pilot)
        label = str(tree.registry_node("big").label)
        assert "100 of 250 servers" in label  # server-100 … server-199
        assert len(servers(tree, "big")) < 100
        assert children(tree, "big")[-1] == NodeData("more", "big")
        await pilot.press("escape")
        await settle(pilot)
        assert len(servers(tree, "big")) == SERVER_PAGE
