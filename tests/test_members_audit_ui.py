"""Pilot flows of section 3 (members) and section 5 (audit log), and their snapshots."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from conftest import settle, type_text
from textual.widgets import DataTable, Input

from pylee_tui.app import PyleeApp
from pylee_tui.screens.choice import ChoiceScreen
from pylee_tui.screens.form import FormScreen
from pylee_tui.screens.pick import PickScreen
from pylee_tui.services import Services
from pylee_tui.store import Store
from pylee_tui.widgets.members_pane import MembersPane

ANN = "ann@example.com"
BEA = "bea@example.com"
SIZE = (120, 36)
NOW = datetime(2026, 11, 20, 9, 30, tzinfo=UTC)


def clock() -> datetime:
    """One fixed moment for the seed data and the app, so dates on screen never drift."""
    return NOW


@pytest.fixture
def other(db_path):
    store = Store(db_path)
    services = Services(store, clock=clock)
    services.orgs.create(ANN, "Acme")
    services.members.invite(ANN, "acme", BEA)
    services.members.accept(BEA, "acme")
    services.members.invite(ANN, "acme", "carl@example.com", "admin")
    yield services
    store.close()


def app_for(db_path, user=ANN) -> PyleeApp:
    return PyleeApp(db_path=db_path, user=user, watch_interval=3600, clock=clock)


def rows(table: DataTable) -> list[list[str]]:
    return [[str(c) for c in table.get_row_at(i)] for i in range(table.row_count)]


async def open_section(pilot, key: str) -> None:
    await settle(pilot)
    await pilot.press(key)
    await settle(pilot)
    await settle(pilot)


async def test_members_table_lists_sorts_and_filters(db_path, other):
    async with app_for(db_path).run_test(size=SIZE) as pilot:
        await open_section(pilot, "3")
        table = pilot.app.screen.query_one("#members-table", DataTable)
        assert [r[0] for r in rows(table)] == [ANN, BEA, "carl@example.com"]
        assert [r[3] for r in rows(table)] == ["active", "active", "invited"]
        await pilot.click("#members-table", offset=(2, 0))  # the Email header: sort descending
        await settle(pilot)
        assert [r[0] for r in rows(table)] == ["carl@example.com", BEA, ANN]
        pilot.app.screen.query_one("#members-filter", Input).value = "invited"
        await settle(pilot)
        assert [r[0] for r in rows(table)] == ["carl@example.com"]


async def test_invite_from_the_members_table(db_path, other):
    async with app_for(db_path).run_test(size=SIZE) as pilot:
        await open_section(pilot, "3")
        await pilot.press("i")
        await settle(pilot)
        assert isinstance(pilot.app.screen, FormScreen)
        await type_text(pilot, "Dana@Example.com")
        await pilot.press("enter")
        await settle(pilot)
        emails = {m.email: m.status for m in other.members.list(ANN, "acme")}
        assert emails["dana@example.com"] == "invited"
        table = pilot.app.screen.query_one("#members-table", DataTable)
        await settle(pilot)
        assert "dana@example.com" in [r[0] for r in rows(table)]


async def test_change_role_grant_and_remove_from_the_table(db_path, other):
    if not hasattr(other.members, "change_role"):
        pytest.fail("MemberService.change_role is missing")
    async with app_for(db_path).run_test(size=SIZE) as pilot:
        await open_section(pilot, "3")
        table = pilot.app.screen.query_one("#members-table", DataTable)
        table.move_cursor(row=1)  # bea
        await pilot.press("g")
        await settle(pilot)
        assert isinstance(pilot.app.screen, PickScreen)
        await pilot.press("enter")  # the first grant: registries:write
        await settle(pilot)
        bea = next(m for m in other.members.list(ANN, "acme") if m.email == BEA)
        assert "registries:write" in bea.grants
        table.move_cursor(row=1)
        await pilot.press("x")
        await settle(pilot)
        assert isinstance(pilot.app.screen, ChoiceScreen)
        await pilot.click("#choice-yes")
        await settle(pilot)
        statuses = {m.email: m.status for m in other.members.list(ANN, "acme")}
        assert statuses.get(BEA) in (None, "revoked")


async def test_a_member_sees_member_actions_disabled(db_path, other):
    async with app_for(db_path, user=BEA).run_test(size=SIZE) as pilot:
        await open_section(pilot, "3")
        pane = pilot.app.screen.query_one(MembersPane)
        for action in ("invite", "role", "grant", "remove"):
            assert pane.check_action(action, ()) is None, action
        await pilot.press("i")
        await settle(pilot)
        assert not isinstance(pilot.app.screen, FormScreen)


async def test_audit_log_newest_first_and_filtered(db_path, other):
    async with app_for(db_path).run_test(size=SIZE) as pilot:
        await open_section(pilot, "5")
        table = pilot.app.screen.query_one("#audit-table", DataTable)
        actions = [r[2] for r in rows(table)]
        assert actions == ["member.invite", "member.accept", "member.invite", "org.create"]
        pilot.app.screen.query_one("#audit-filter", Input).value = "accept"
        await pilot.pause(0.3)
        await settle(pilot)
        assert [r[1:3] for r in rows(table)] == [[BEA, "member.accept"]]


def test_members_snapshot(snap_compare, db_path, other):
    async def run_before(pilot) -> None:
        await open_section(pilot, "3")

    assert snap_compare(app_for(db_path), run_before=run_before, terminal_size=SIZE)


def test_audit_snapshot(snap_compare, db_path, other):
    async def run_before(pilot) -> None:
        await open_section(pilot, "5")

    assert snap_compare(app_for(db_path), run_before=run_before, terminal_size=SIZE)


async def test_launching_as_an_invited_email_accepts_the_invitation(db_path, other):
    async with app_for(db_path, user="carl@example.com").run_test(size=SIZE) as pilot:
        await settle(pilot)
        screen = pilot.app.screen
        assert screen.view is not None and screen.view.org.slug == "acme"
        assert screen.view.role == "admin"
    statuses = {m.email: m.status for m in other.members.list(ANN, "acme")}
    assert statuses["carl@example.com"] == "active"
