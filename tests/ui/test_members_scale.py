"""The members section with more members than a screen holds: every member is reachable, a fast
typist's filter shows the rows for everything typed, and the cursor keeps its member when the
list comes back from the database."""

from __future__ import annotations

import pytest
from textual import events

from pylee_tui.app import PyleeApp
from pylee_tui.sections.members.pane import MembersPane
from pylee_tui.services import Services
from pylee_tui.store import Store
from pylee_tui.widgets.row_table import VirtualTable
from tests.ui.pilot import settle

ANN = "ann@example.com"
COUNT = 120


@pytest.fixture
def crowded(db_path):
    store = Store(db_path)
    services = Services(store)
    services.orgs.create(ANN, "Acme")
    with store.transaction():
        for i in range(COUNT):
            services.members.invite(ANN, "acme", f"person{i:03d}@example.com")
    yield services
    store.close()


def burst(app: PyleeApp, text: str) -> None:
    """Keys queued at once, as a terminal delivers fast typing."""
    for ch in text:
        app.post_message(events.Key(ch if ch.isalnum() else "full_stop", ch))


async def open_members(pilot) -> tuple[MembersPane, VirtualTable]:
    await settle(pilot)
    await pilot.press("3")
    await settle(pilot)
    pane = pilot.app.screen.query_one(MembersPane)
    return pane, pane.table


def row_emails(table: VirtualTable) -> list[str]:
    return [table.get_row_at(i)[0] for i in range(table.row_count)]


@pytest.mark.parametrize("size", [(120, 36), (80, 24)])
async def test_end_and_page_keys_reach_every_member(db_path, crowded, size):
    async with PyleeApp(db_path=db_path, user=ANN, watch_interval=3600).run_test(
        size=size
    ) as pilot:
        _pane, table = await open_members(pilot)
        assert table.row_count == COUNT + 1 and table.has_focus
        await pilot.press("ctrl+end")
        assert table.get_row_at(table.cursor_row)[0] == "person119@example.com"
        assert table.scroll_y > 0  # scrolled to show it
        await pilot.press("pageup", "k")
        moved = table.cursor_row
        assert 0 < moved < COUNT - 2
        await pilot.press("ctrl+home")
        assert table.cursor_row == 0 and table.scroll_y == 0
        assert table.get_row_at(0)[0] == ANN


async def test_a_filter_typed_fast_shows_the_rows_for_all_of_it(db_path, crowded):
    async with PyleeApp(db_path=db_path, user=ANN, watch_interval=3600).run_test(
        size=(120, 36)
    ) as pilot:
        pane, table = await open_members(pilot)
        await pilot.press("slash")
        burst(pilot.app, "person11")  # each key asks the database; the last answer is shown
        await settle(pilot)
        assert pane.settled
        assert row_emails(table) == [f"person11{i}@example.com" for i in range(10)]
        await pilot.press("escape")
        await settle(pilot)
        assert table.row_count == COUNT + 1 and table.has_focus


async def test_the_cursor_keeps_its_member_when_the_list_comes_back(db_path, crowded):
    async with PyleeApp(db_path=db_path, user=ANN, watch_interval=3600).run_test(
        size=(120, 36)
    ) as pilot:
        pane, table = await open_members(pilot)
        table.move_cursor(row=50)
        await settle(pilot)
        email = table.get_row_at(50)[0]
        await pilot.click("#members-table", offset=(2, 0))  # Email, descending
        await settle(pilot)
        assert row_emails(table)[0] == "person119@example.com"
        assert table.get_row_at(table.cursor_row)[0] == email
        assert pane.selected is not None and pane.selected.email == email


async def test_a_member_chosen_elsewhere_gets_the_cursor_even_behind_a_filter(db_path, crowded):
    """What the palette's search does with a member it found (MembersPane.select_member)."""
    async with PyleeApp(db_path=db_path, user=ANN, watch_interval=3600).run_test(
        size=(80, 24)
    ) as pilot:
        pane, table = await open_members(pilot)
        pane.select_member("person077@example.com")
        await settle(pilot)
        assert table.get_row_at(table.cursor_row)[0] == "person077@example.com"
        await pilot.press("slash")
        burst(pilot.app, "person00")
        await settle(pilot)
        pane.select_member("person100@example.com")  # hidden by the filter: it goes
        await settle(pilot)
        assert pane.query_one("#members-filter").value == ""
        assert table.get_row_at(table.cursor_row)[0] == "person100@example.com"
        assert table.has_focus
