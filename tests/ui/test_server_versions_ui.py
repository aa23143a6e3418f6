"""The server page's Versions tab at 80x24: the versions listed, the unpublished changes as a
draft row with the suggested bump, publish from the dialog, a diff between two, a rollback."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest
from textual.widgets import DataTable, Static, TabbedContent

from pylee_tui.app import LAST_ORG_SETTING, PyleeApp
from pylee_tui.dialogs.choice import ChoiceScreen
from pylee_tui.screens.server_detail import ServerScreen
from pylee_tui.sections.registries.tree import NodeData, RegistryTree
from pylee_tui.services import Scope, Services
from tests.support import ANN, WEATHER
from tests.ui.pilot import settle, wait_until

NAME = WEATHER["name"]
SERVER = Scope("acme", "tools", NAME)


@pytest.fixture
def world(services: Services) -> Services:
    """acme/tools: weather 1.0.0 published, then edited (a new optional variable): unpublished."""
    services.orgs.create(ANN, "Acme")
    services.registries.create(ANN, "acme", "Tools")
    services.registries.add_server(ANN, Scope("acme", "tools"), WEATHER)
    edited = copy.deepcopy(WEATHER)
    edited["packages"][0]["environmentVariables"] = [{"name": "UNITS"}]
    services.registries.edit_server(ANN, SERVER, edited)
    return services


def text_of(screen, selector: str) -> str:
    return str(screen.query_one(selector, Static).render())


async def open_versions(pilot) -> ServerScreen:
    await settle(pilot)
    await pilot.press("2")
    await settle(pilot)
    tree = pilot.app.screen.query_one(RegistryTree)
    tree.select_data(NodeData("registry", "tools"))
    await pilot.press("right")
    await settle(pilot)
    tree.select_data(NodeData("server", "tools", NAME))
    await pilot.press("enter")
    await wait_until(pilot, lambda: isinstance(pilot.app.screen, ServerScreen), "server page")
    screen = pilot.app.screen
    assert isinstance(screen, ServerScreen)
    screen.query_one(TabbedContent).active = "tab-versions"
    await settle(pilot)
    screen.query_one("#versions-table", DataTable).focus()
    await settle(pilot)
    return screen


async def test_publish_diff_and_roll_back_from_the_versions_tab(
    world: Services, db_path: Path
) -> None:
    app = PyleeApp(db_path=db_path, user=ANN, watch_interval=3600)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_versions(pilot)
        table = screen.query_one("#versions-table", DataTable)
        await wait_until(pilot, lambda: table.row_count == 2, "the draft row and 1.0.0")
        state = text_of(screen, "#versions-state")
        assert "Latest 1.0.0" in state
        assert "suggested minor → 1.1.0 (new optional input UNITS)" in state

        # the draft row highlighted: d diffs it with the latest
        await pilot.press("d")
        await wait_until(pilot, lambda: "UNITS" in text_of(screen, "#versions-diff"), "diff")
        assert "+++ io.github.acme/weather@draft" in text_of(screen, "#versions-diff")

        await pilot.press("p")
        await wait_until(pilot, lambda: isinstance(pilot.app.screen, ChoiceScreen), "dialog")
        dialog = pilot.app.screen
        assert "Suggested: minor" in str(dialog.query_one(".dialog-message", Static).render())
        assert dialog.focused is not None and dialog.focused.id == "choice-minor"
        await pilot.press("enter")
        await wait_until(
            pilot, lambda: world.server_versions.state(ANN, SERVER).latest == "1.1.0", "published"
        )
        await wait_until(pilot, lambda: table.row_count == 2, "1.1.0 and 1.0.0")
        assert "No unpublished changes." in text_of(screen, "#versions-state")

        # mark 1.1.0, highlight 1.0.0: the diff is 1.0.0 → 1.1.0
        table.move_cursor(row=0)
        await pilot.press("space")
        table.move_cursor(row=1)
        await pilot.press("d")
        await wait_until(pilot, lambda: "@1.0.0" in text_of(screen, "#versions-diff"), "diff 2")
        assert "+++ io.github.acme/weather@1.1.0" in text_of(screen, "#versions-diff")

        # roll back to 1.0.0: its content published as 1.2.0... a removed input is minor
        await pilot.press("b")
        await wait_until(pilot, lambda: isinstance(pilot.app.screen, ChoiceScreen), "confirm")
        await pilot.press("left")  # from Cancel to Roll back
        await pilot.press("enter")
        await wait_until(
            pilot, lambda: world.server_versions.state(ANN, SERVER).latest == "1.2.0", "rolled"
        )
        await wait_until(pilot, lambda: table.row_count == 3, "three versions")
        assert "Latest 1.2.0" in text_of(screen, "#versions-state")


async def test_the_registries_tree_says_which_forked_servers_are_behind(
    world: Services, db_path: Path
) -> None:
    world.server_versions.publish(ANN, SERVER)  # 1.1.0
    world.orgs.create(ANN, "Beta")
    world.forks.fork(ANN, Scope("acme", "tools"), "beta", slug="tools", pinned=True)
    world.server_versions.unpin(ANN, Scope("beta", "tools", NAME))
    world.server_versions.pin(ANN, Scope("beta", "tools", NAME), "1.0.0")
    world.forks.fork(ANN, Scope("acme", "tools"), "beta", slug="live")
    world.settings.set_setting(LAST_ORG_SETTING.format(user=ANN), "beta")
    app = PyleeApp(db_path=db_path, user=ANN, watch_interval=3600)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("2")
        await settle(pilot)
        tree = pilot.app.screen.query_one(RegistryTree)
        for slug in ("tools", "live"):
            tree.select_data(NodeData("registry", slug))
            await pilot.press("right")
            await settle(pilot)

        def label(slug: str) -> str:
            node = tree.find(NodeData("server", slug, NAME))
            return "" if node is None else str(node.label)

        await wait_until(pilot, lambda: label("tools") != "", "the fork's servers")
        assert label("tools").endswith("1.0.0  behind")
        assert label("live").endswith("1.1.0")
