"""A writer's change on a registry that requires approval is kept as a change request: the app
says so and closes the form (it is not a refusal to retry), and the server is unchanged."""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.widgets import Input

from pylee_tui.app import PyleeApp
from pylee_tui.dialogs.form import FormScreen
from pylee_tui.sections.registries.tree import NodeData, RegistryTree
from pylee_tui.services import Scope, Services
from pylee_tui.store import Store
from tests.support import ANN, BOB, WEATHER, with_services
from tests.ui.pilot import settle, type_text, wait_until


@pytest.fixture
def world(db_path: Path) -> Path:
    def build(s: Services) -> None:
        s.orgs.create(ANN, "Acme")
        s.registries.create(ANN, "acme", "Core", slug="core")
        s.registries.add_server(ANN, Scope("acme", "core"), WEATHER)
        s.members.invite(ANN, "acme", BOB)
        s.members.accept(BOB, "acme")
        s.members.grant(ANN, "acme", BOB, "registries:write")
        s.approvals.set_required(ANN, Scope("acme", "core"), True)

    with_services(db_path, build)
    return db_path


async def test_a_writers_rename_on_an_approval_registry_is_sent_for_approval(world: Path) -> None:
    app = PyleeApp(db_path=world, user=BOB, watch_interval=3600)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("2")
        await settle(pilot)
        tree = app.screen.query_one(RegistryTree)
        tree.select_data(NodeData("registry", "core"))
        await pilot.press("right")
        await settle(pilot)
        tree.select_data(NodeData("server", "core", WEATHER["name"]))
        await settle(pilot)
        await pilot.press("r")
        await settle(pilot)
        assert isinstance(app.screen, FormScreen)
        await pilot.press("end")  # the name is filled in: a suffix renames it
        await type_text(pilot, "-v2")
        assert app.screen.query_one("#field-name", Input).value == f"{WEATHER['name']}-v2"
        await pilot.press("enter")
        await wait_until(pilot, lambda: not isinstance(app.screen, FormScreen), "the form closed")
        said = [n for n in app._notifications if n.title == "Sent for approval"]
        assert said and said[0].message.startswith("Change request #1 opened for approval")
        assert not [n for n in app._notifications if n.title == "Refused"]
    store = Store(world)
    try:
        names = [
            s.name for s in Services(store).registries.list_servers(ANN, Scope("acme", "core"))
        ]
        assert names == [WEATHER["name"]]  # nothing applied before an approver says so
    finally:
        store.close()
