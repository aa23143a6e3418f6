"""Snapshots at 80x24, the smallest terminal the app promises to work in: the screens a new user
sees first and the sections not pinned at that size elsewhere (members, audit and the vault are
in their own files). Each SVG was looked at as a picture before it was committed."""

from __future__ import annotations

import pytest

from pylee_tui.app import PyleeApp
from pylee_tui.sections.registries.tree import NodeData, RegistryTree
from pylee_tui.services import Scope, Services
from pylee_tui.store import Store
from tests.support import server_doc
from tests.ui.pilot import settle

ANN = "ann@example.com"
SIZE = (80, 24)


@pytest.fixture
def db_path(tmp_path, monkeypatch):
    monkeypatch.delenv("PYLEE_USER", raising=False)
    return tmp_path / "pylee.db"


@pytest.fixture
def acme(db_path):
    """An org whose setup is complete (the timeline collapses), with a draft among its servers."""
    store = Store(db_path)
    services = Services(store)
    services.orgs.create(
        ANN,
        "Acme Production",
        description="Production MCP servers for Acme's agents",
        overview="# Acme Production\n\nReviewed servers only.\n\n- [x] Secrets in the vault\n",
    )
    services.registries.create(ANN, "acme-production", "Core Tools")
    services.registries.import_servers(
        ANN,
        Scope("acme-production", "core-tools"),
        [
            server_doc("io.github.acme/weather", "1.2.0", "Forecasts for agents"),
            server_doc("io.github.acme/search", "0.3.1", "Web search"),
            {**server_doc("io.github.acme/warehouse", "", "SQL"), "version": ""},
        ],
    )
    services.members.invite(ANN, "acme-production", "bea@example.com")
    services.variables.set_key(ANN, Scope("acme-production"), "LOG_LEVEL", "info")
    yield services
    store.close()


def make_app(db_path, user=ANN) -> PyleeApp:
    return PyleeApp(db_path=db_path, user=user, watch_interval=3600)


def test_welcome_offers_the_demo_at_80x24(snap_compare, db_path):
    assert snap_compare(make_app(db_path), run_before=settle, terminal_size=SIZE)


def test_first_organization_dialog_at_80x24(snap_compare, db_path):
    async def run_before(pilot) -> None:
        await settle(pilot)
        await pilot.press("enter")  # Create organization
        await settle(pilot)

    assert snap_compare(make_app(db_path), run_before=run_before, terminal_size=SIZE)


def test_overview_with_setup_complete_at_80x24(snap_compare, db_path, acme):
    assert snap_compare(make_app(db_path), run_before=settle, terminal_size=SIZE)


async def open_core_tools(pilot) -> RegistryTree:
    """Section 2 with the Core Tools registry open."""
    await settle(pilot)
    await pilot.press("2")
    await settle(pilot)
    tree = pilot.app.screen.query_one(RegistryTree)
    tree.select_data(NodeData("registry", "core-tools"))
    await pilot.press("right")
    await settle(pilot)
    return tree


def test_registries_at_80x24(snap_compare, db_path, acme):
    async def run_before(pilot) -> None:
        tree = await open_core_tools(pilot)
        tree.select_data(NodeData("server", "core-tools", "io.github.acme/warehouse"))
        await settle(pilot)

    assert snap_compare(make_app(db_path), run_before=run_before, terminal_size=SIZE)


def test_server_detail_at_80x24(snap_compare, db_path, acme):
    async def run_before(pilot) -> None:
        tree = await open_core_tools(pilot)
        tree.select_data(NodeData("server", "core-tools", "io.github.acme/weather"))
        await pilot.press("enter")
        await settle(pilot)

    assert snap_compare(make_app(db_path), run_before=run_before, terminal_size=SIZE)
