"""Pilot flows of the Requests section (7) at 80x24: the open count in the tab, the list with the
diff of the request under the cursor, a approves (applied), x rejects with a comment, and the
refusals said in the comment form (a race, a requester's own request)."""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.widgets import DataTable, Input, Static

from pylee_tui.app import PyleeApp
from pylee_tui.dialogs.form import FormScreen
from pylee_tui.sections.requests.pane import RequestsPane
from pylee_tui.services import Scope, Services
from pylee_tui.services.approvals import ChangeRequested
from pylee_tui.widgets.section_bar import SectionBar
from tests.support import ANN, BOB, WEATHER, with_services
from tests.ui.pilot import settle, type_text, wait_until

WEATHER_2 = WEATHER | {"description": "Weather, now with alerts \x1b[31mred", "version": "1.1.0"}
AT = Scope("acme", "core", WEATHER["name"])


@pytest.fixture
def world(db_path: Path) -> Path:
    """acme: ann admin, bob a writer; core requires approval; bob's edit of weather is #1."""

    def build(s: Services) -> None:
        s.orgs.create(ANN, "Acme")
        s.registries.create(ANN, "acme", "Core", slug="core")
        s.registries.add_server(ANN, Scope("acme", "core"), WEATHER)
        s.members.invite(ANN, "acme", BOB)
        s.members.accept(BOB, "acme")
        s.members.grant(ANN, "acme", BOB, "registries:write")
        s.approvals.set_required(ANN, Scope("acme", "core"), True)
        with pytest.raises(ChangeRequested):
            s.registries.edit_server(BOB, AT, WEATHER_2)

    with_services(db_path, build)
    return db_path


async def open_requests(pilot) -> RequestsPane:
    await settle(pilot)
    await pilot.press("7")
    await settle(pilot)
    pane = pilot.app.screen.query_one(RequestsPane)
    await wait_until(pilot, lambda: pane.requests != {}, "the requests shown")
    return pane


def detail(pane: RequestsPane) -> str:
    return str(pane.query_one("#requests-detail", Static).render())


def bar_text(app) -> str:
    return str(app.screen.query_one(SectionBar).render())


def weather(db: Path) -> dict:
    found: dict = {}
    with_services(db, lambda s: found.update(s.registries.get_server(ANN, AT).document))
    return found


async def test_the_tab_counts_and_approval_applies(world: Path) -> None:
    async with PyleeApp(db_path=world, user=ANN).run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert "7 Requests (1)" in bar_text(pilot.app)
        pane = await open_requests(pilot)
        shown = detail(pane)
        assert f"edit server {WEATHER['name']} in registry core" in shown
        assert '+  "version": "1.1.0"' in shown
        assert "\x1b" not in shown  # stored text never drives the terminal
        await pilot.press("a")
        await settle(pilot)
        assert isinstance(pilot.app.screen, FormScreen)
        await type_text(pilot, "ok")
        await pilot.press("enter")
        await wait_until(pilot, lambda: not isinstance(pilot.app.screen, FormScreen), "closed")
        await wait_until(pilot, lambda: "Requests (1)" not in bar_text(pilot.app), "count gone")
        await settle(pilot)
        assert pane.current is not None and pane.current.state == "approved"
    assert weather(world)["version"] == "1.1.0"


async def test_a_race_is_said_in_the_form_and_changes_nothing(world: Path) -> None:
    admins = WEATHER | {"description": "Edited by an admin"}
    with_services(world, lambda s: s.registries.edit_server(ANN, AT, admins))
    async with PyleeApp(db_path=world, user=ANN).run_test(size=(80, 24)) as pilot:
        await open_requests(pilot)
        await pilot.press("a")
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        form = pilot.app.screen
        assert isinstance(form, FormScreen)
        error = str(form.query_one("#form-error", Static).render())
        assert "changed since the request was made; reject it and ask for a new one" in error
    assert weather(world) == admins


async def test_reject_asks_why_and_the_requester_cannot_approve(world: Path) -> None:
    async with PyleeApp(db_path=world, user=BOB).run_test(size=(80, 24)) as pilot:
        pane = await open_requests(pilot)
        # bob may withdraw his request, not approve it
        assert pane.check_action("approve", ()) is None
        assert pane.check_action("reject", ()) is True
    async with PyleeApp(db_path=world, user=ANN).run_test(size=(80, 24)) as pilot:
        pane = await open_requests(pilot)
        await pilot.press("x")
        await settle(pilot)
        form = pilot.app.screen
        assert isinstance(form, FormScreen)
        await pilot.press("enter")  # no comment: refused, the form stays
        await settle(pilot)
        assert "needs a comment" in str(form.query_one("#form-error", Static).render())
        form.query_one(Input).value = "not now"
        await pilot.press("enter")
        await wait_until(pilot, lambda: pilot.app.screen is not form, "the form closed")
        await settle(pilot)
        assert pane.query_one(DataTable).row_count == 1
        assert pane.current is not None and pane.current.state == "rejected"
        assert "comment: not now" in detail(pane)
        assert pane.check_action("approve", ()) is None  # decided
    assert weather(world) == WEATHER
