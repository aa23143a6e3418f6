"""Section 5 on a long log: the table shows the newest page and reads the next as you scroll; a
filter answers for the last letter typed."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from textual.widgets import Input, Static

from pylee_tui.app import PyleeApp
from pylee_tui.sections.audit import pane as audit_pane
from pylee_tui.sections.audit.pane import AuditPane
from pylee_tui.services import Services
from pylee_tui.store import Store
from pylee_tui.widgets.row_table import VirtualTable
from tests.ui.pilot import settle, type_text, wait_until

ANN = "ann@example.com"
SIZE = (120, 36)
NOW = datetime(2026, 11, 20, 9, 30, tzinfo=UTC)
EVENTS = 250  # and the org.create


def clock() -> datetime:
    return NOW


@pytest.fixture
def long_log(db_path):
    """Acme with 250 exports recorded after its creation: every tenth names `blue`."""
    store = Store(db_path)
    services = Services(store, clock=clock)
    services.orgs.create(ANN, "Acme")
    with store.transaction() as db:
        org = {"id": 1, "slug": "acme"}
        for n in range(EVENTS):
            db.table("audit_events").insert(
                {
                    "org_id": org["id"],
                    "org_slug": org["slug"],
                    "actor": ANN,
                    "action": "registry.export",
                    "target_type": "registry",
                    "target_id": str(n),
                    "target_label": f"{'blue' if n % 10 == 0 else 'red'}-{n:03d}",
                    "created_at": (NOW + timedelta(seconds=n)).isoformat(),
                    "metadata": json.dumps({"n": n}),
                }
            )
    store.close()
    return db_path


def labels(table: VirtualTable) -> list[str]:
    return [str(table.get_row_at(i)[3]) for i in range(table.row_count)]


def title(pilot) -> str:
    return str(pilot.app.screen.query_one("#audit-title", Static).render())


async def open_audit(pilot) -> AuditPane:
    await settle(pilot)
    await pilot.press("5")
    await settle(pilot)
    pane = pilot.app.screen.query_one(AuditPane)
    await wait_until(pilot, lambda: pane.settled and pane.shown is not None, "the first page")
    return pane


async def test_the_log_reads_the_next_page_as_the_cursor_nears_the_end(long_log):
    app = PyleeApp(db_path=long_log, user=ANN, watch_interval=3600, clock=clock)
    async with app.run_test(size=SIZE) as pilot:
        await open_audit(pilot)
        table = pilot.app.screen.query_one("#audit-table", VirtualTable)
        assert table.row_count == audit_pane.PAGE
        assert labels(table)[:2] == ["registry red-249", "registry red-248"]
        assert "the newest 100 events, more as you scroll" in title(pilot)
        await pilot.press("ctrl+end")
        await wait_until(pilot, lambda: table.row_count == 200, "the second page")
        await pilot.press("ctrl+end")
        await wait_until(pilot, lambda: table.row_count == EVENTS + 1, "the rest")
        assert labels(table)[-2:] == ["registry blue-000", "organization Acme"]
        assert len(set(labels(table))) == EVENTS + 1  # no event twice, none left out
        assert "251 events, newest first" in title(pilot)


async def test_a_filter_reads_its_own_pages(long_log):
    app = PyleeApp(db_path=long_log, user=ANN, watch_interval=3600, clock=clock)
    async with app.run_test(size=SIZE) as pilot:
        pane = await open_audit(pilot)
        table = pilot.app.screen.query_one("#audit-table", VirtualTable)
        await pilot.press("slash")
        await type_text(pilot, "blue")
        await wait_until(pilot, lambda: pane.settled and pane.shown == ("acme", "blue"), "blue")
        assert labels(table)[0] == "registry blue-240" and table.row_count == 25
        assert "25 events, newest first" in title(pilot)
        # typed on and back: each keystroke asks at once, the last one answers
        await type_text(pilot, "-0")
        await pilot.press("backspace")
        await wait_until(pilot, lambda: pane.settled and pane.shown == ("acme", "blue-"), "back")
        assert table.row_count == 25
        assert pilot.app.screen.query_one("#audit-filter", Input).value == "blue-"


async def test_a_change_elsewhere_keeps_what_was_read(long_log):
    app = PyleeApp(db_path=long_log, user=ANN, watch_interval=3600, clock=clock)
    async with app.run_test(size=SIZE) as pilot:
        pane = await open_audit(pilot)
        table = pilot.app.screen.query_one("#audit-table", VirtualTable)
        await pilot.press("ctrl+end")
        await wait_until(pilot, lambda: table.row_count == 200, "the second page")
        table.move_cursor(row=150)
        chosen = pane.selected
        pane.refresh_data()  # what the org screen does when the store changed
        await wait_until(pilot, lambda: pane.settled, "the reload")
        assert table.row_count == 200 and pane.selected == chosen
