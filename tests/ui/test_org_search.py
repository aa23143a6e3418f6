"""Searching the whole org from the command palette: servers by name and description,
registries, keys at every scope, members; choosing a result goes there."""

from __future__ import annotations

import pytest
from textual.command import CommandPalette

from pylee_tui.app import PyleeApp
from pylee_tui.screens.server_detail import ServerScreen
from pylee_tui.sections.registries.tree import RegistryTree
from pylee_tui.sections.vault.pane import VaultPane
from pylee_tui.services import NotFound, Scope, Services
from pylee_tui.widgets.row_table import VirtualTable
from tests.support import ANN, BOB, server_doc
from tests.ui.pilot import settle, type_text

OUTSIDER = "zed@example.com"


@pytest.fixture
def org(services: Services) -> Services:
    services.orgs.create(ANN, "Acme")
    services.registries.create(ANN, "acme", "Core Tools", description="search and weather")
    services.registries.create(ANN, "acme", "Data")
    services.registries.add_server(
        ANN,
        Scope("acme", "core-tools"),
        server_doc("io.github.acme/weather", description="Forecasts"),
    )
    services.registries.add_server(
        ANN,
        Scope("acme", "data"),
        server_doc("io.github.acme/warehouse", description="SQL weather data"),
    )
    services.variables.set_key(ANN, Scope("acme", "data"), "WEATHER_UNITS", "metric")
    services.members.invite(ANN, "acme", BOB)
    return services


def test_search_finds_each_kind_names_first(org: Services) -> None:
    hits = org.search.search(ANN, "acme", "Weather")
    kinds = [(h.kind, h.title) for h in hits]
    assert kinds == [
        ("server", "io.github.acme/weather"),  # in the name: first
        ("server", "io.github.acme/warehouse"),  # in the description
        ("registry", "Core Tools"),  # in the description
        ("key", "WEATHER_UNITS"),
    ]
    assert hits[-1].scope == Scope("acme", "data")
    assert [(h.kind, h.email) for h in org.search.search(ANN, "acme", "bob@")] == [("member", BOB)]
    assert org.search.search(ANN, "acme", "  ") == []


def test_search_is_for_members_of_the_org(org: Services) -> None:
    with pytest.raises(NotFound):
        org.search.search(OUTSIDER, "acme", "weather")


async def pick(pilot, query: str, title: str) -> None:
    await pilot.press("ctrl+p")
    await settle(pilot)
    assert isinstance(pilot.app.screen, CommandPalette)
    await type_text(pilot, query)
    await settle(pilot)
    palette = pilot.app.screen
    await settle(pilot)
    options = palette.query_one("CommandList")
    prompts = [str(options.get_option_at_index(i).prompt) for i in range(options.option_count)]
    index = next(i for i, p in enumerate(prompts) if title in p)
    options.highlighted = index
    await pilot.press("enter")
    await settle(pilot)


async def test_choosing_a_server_opens_its_page(db_path, org) -> None:
    app = PyleeApp(db_path=db_path, user=ANN, watch_interval=3600)
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot)
        await pick(pilot, "warehouse", "Server: io.github.acme/warehouse")
        assert isinstance(app.screen, ServerScreen)
        assert (app.screen.registry, app.screen.name_) == ("data", "io.github.acme/warehouse")
        tree = app.screen_stack[0].query_one(RegistryTree)
        assert tree.cursor_node.data.registry == "data"


async def test_choosing_a_key_shows_its_scope_and_a_member_their_row(db_path, org) -> None:
    app = PyleeApp(db_path=db_path, user=ANN, watch_interval=3600)
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot)
        await pick(pilot, "units", "Key: WEATHER_UNITS")
        pane = app.screen.query_one(VaultPane)
        assert pane.scope == Scope("acme", "data")
        await pick(pilot, "bob", f"Member: {BOB}")
        table = app.screen.query_one("#members-pane").query_one(VirtualTable)
        assert table.get_row_at(table.cursor_row)[0] == BOB
