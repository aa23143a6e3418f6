"""The member review in the app: R in the members section, its flags at 80x24, the quick actions
on the row shown (with their confirmation), and a plain member's refusal."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from textual.widgets import Static

from pylee_tui.app import PyleeApp
from pylee_tui.dialogs.choice import ChoiceScreen
from pylee_tui.sections.members.review import MemberReviewScreen
from pylee_tui.services import Services
from pylee_tui.store import Store
from pylee_tui.widgets.row_table import VirtualTable
from tests.ui.pilot import settle, wait_until

ANN = "ann@example.com"
BEA = "bea@example.com"
CARL = "carl@example.com"
DAN = "dan@example.com"
SIZE = (80, 24)
NOW = datetime(2026, 11, 20, 9, 30, tzinfo=UTC)


def clock() -> datetime:
    return NOW


@pytest.fixture
def acme(db_path):
    """acme, made 120 days before NOW: ann admin; bea admin and dan a member (registries:write),
    neither has acted since; carl's invitation of 30 days ago expired. Ann acts at NOW."""
    moment = [NOW - timedelta(days=120)]
    store = Store(db_path)
    services = Services(store, clock=lambda: moment[0])
    services.orgs.create(ANN, "Acme")
    for email, role in ((BEA, "admin"), (DAN, "member")):
        services.members.invite(ANN, "acme", email, role=role)
        services.members.accept(email, "acme")
    services.members.grant(ANN, "acme", DAN, "registries:write")
    moment[0] = NOW - timedelta(days=30)
    services.members.invite(ANN, "acme", CARL)
    moment[0] = NOW
    services.registries.create(ANN, "acme", "Tools")
    yield services
    store.close()


def app_for(db_path, user=ANN) -> PyleeApp:
    return PyleeApp(db_path=db_path, user=user, watch_interval=3600, clock=clock)


def rows(table: VirtualTable) -> dict[str, tuple[str, ...]]:
    return {row[0]: tuple(row) for row in (table.get_row_at(i) for i in range(table.row_count))}


async def open_review(pilot) -> MemberReviewScreen:
    await settle(pilot)
    await pilot.press("3")
    await settle(pilot)
    await pilot.press("R")
    await wait_until(
        pilot,
        lambda: (
            isinstance(pilot.app.screen, MemberReviewScreen) and pilot.app.screen.review is not None
        ),
        "the member review",
    )
    await settle(pilot)
    screen = pilot.app.screen
    assert isinstance(screen, MemberReviewScreen)
    return screen


def cursor_on(screen: MemberReviewScreen, email: str) -> None:
    table = screen.table
    table.move_cursor(row=table.rows.keys.index(email))


async def test_the_review_shows_each_member_and_flags_what_needs_a_look(db_path, acme):
    async with app_for(db_path).run_test(size=SIZE) as pilot:
        screen = await open_review(pilot)
        shown = rows(screen.table)
        assert set(shown) == {ANN, BEA, DAN, CARL}
        assert shown[ANN][1:5] == ("active", "admin", "2026-11-20", "all")
        assert shown[BEA][1] == "inactive"
        assert shown[DAN][1:5] == ("inactive", "member", "2026-07-23", "registries:write")
        assert shown[CARL][1:5] == ("expired", "member", "never", "—")
        warnings = str(screen.query_one("#review-warnings", Static).render())
        assert "1 invitation past expiry" in warnings
        assert "2 members with no activity for 90 days" in warnings
        assert "2 admins" in str(screen.query_one("#review-title", Static).render())
        await pilot.press("escape")
        await settle(pilot)
        assert not isinstance(pilot.app.screen, MemberReviewScreen)


async def test_downgrade_acts_on_the_row_shown_after_a_confirmation(db_path, acme):
    async with app_for(db_path).run_test(size=SIZE) as pilot:
        screen = await open_review(pilot)
        cursor_on(screen, DAN)
        await settle(pilot)
        assert screen.check_action("downgrade", ()) is None  # not an admin: nothing to downgrade
        cursor_on(screen, BEA)
        await settle(pilot)
        assert "d downgrade" in str(screen.query_one("#review-row", Static).render())
        await pilot.press("d")
        await settle(pilot)
        assert isinstance(pilot.app.screen, ChoiceScreen)
        await pilot.press("escape")  # cancelled: nothing changes
        await settle(pilot)
        assert {m.email: m.role for m in acme.members.list_members(ANN, "acme")}[BEA] == "admin"
        await pilot.press("d")
        await settle(pilot)
        await pilot.click("#choice-yes")
        await wait_until(pilot, lambda: screen.review and screen.review.admins == 1, "reload")
        roles = {m.email: m.role for m in acme.members.list_members(ANN, "acme")}
        assert roles == {ANN: "admin", BEA: "member", DAN: "member", CARL: "member"}
        warnings = str(screen.query_one("#review-warnings", Static).render())
        assert f"only one admin ({ANN})" in warnings
        await pilot.press("escape")
        await settle(pilot)
        # the members list followed the change
        table = pilot.app.screen.query_one("#members-table", VirtualTable)
        assert rows(table)[BEA][2] == "member"
        assert screen.is_attached is False


async def test_remove_revokes_the_expired_invitation_shown(db_path, acme):
    async with app_for(db_path).run_test(size=SIZE) as pilot:
        screen = await open_review(pilot)
        cursor_on(screen, CARL)
        await settle(pilot)
        await pilot.press("x")
        await settle(pilot)
        assert isinstance(pilot.app.screen, ChoiceScreen)
        await pilot.click("#choice-yes")
        await wait_until(pilot, lambda: CARL not in rows(screen.table), "carl gone")
        statuses = {m.email: m.status for m in acme.members.list_members(ANN, "acme")}
        assert statuses[CARL] == "revoked"
        assert statuses[DAN] == "active"


async def test_a_plain_member_is_told_the_review_is_for_admins(db_path, acme):
    async with app_for(db_path, user=DAN).run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("3")
        await settle(pilot)
        await pilot.press("R")
        await settle(pilot)
        assert not isinstance(pilot.app.screen, MemberReviewScreen)
        said = [str(n.message) for n in pilot.app._notifications]
        assert "Review: admins only." in said


def test_member_review_snapshot_at_80x24(snap_compare, db_path, acme):
    async def run_before(pilot) -> None:
        screen = await open_review(pilot)
        cursor_on(screen, DAN)
        await settle(pilot)

    assert snap_compare(app_for(db_path), run_before=run_before, terminal_size=SIZE)
