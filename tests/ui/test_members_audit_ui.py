"""Pilot flows of section 3 (members) and section 5 (audit log), and their snapshots."""

from __future__ import annotations

import threading
from datetime import UTC, datetime

import pytest
from textual.widgets import Button, DataTable, Input, Select, Static

from pylee_tui.app import PyleeApp
from pylee_tui.dialogs.audit_event import AuditEventScreen
from pylee_tui.dialogs.choice import ChoiceScreen
from pylee_tui.dialogs.form import FormScreen
from pylee_tui.dialogs.pick import PickScreen
from pylee_tui.sections.members.pane import MembersPane
from pylee_tui.services import Services
from pylee_tui.store import Store
from pylee_tui.widgets.row_table import VirtualTable
from tests.ui.pilot import settle, type_text, wait_until

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
    services.members.invite(ANN, "acme", "carl@example.com", role="admin")
    yield services
    store.close()


def app_for(db_path, user=ANN) -> PyleeApp:
    return PyleeApp(db_path=db_path, user=user, watch_interval=3600, clock=clock)


def rows(table: DataTable | VirtualTable) -> list[list[str]]:
    return [[str(c) for c in table.get_row_at(i)] for i in range(table.row_count)]


async def open_section(pilot, key: str) -> None:
    await settle(pilot)
    await pilot.press(key)
    await settle(pilot)
    await settle(pilot)


async def test_members_table_lists_sorts_and_filters(db_path, other):
    async with app_for(db_path).run_test(size=SIZE) as pilot:
        await open_section(pilot, "3")
        table = pilot.app.screen.query_one("#members-table", VirtualTable)
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
        await type_text(pilot, "Di@X.io")  # kept in lower case
        await pilot.press("enter")
        await settle(pilot)
        emails = {m.email: m.status for m in other.members.list_members(ANN, "acme")}
        assert emails["di@x.io"] == "invited"
        table = pilot.app.screen.query_one("#members-table", VirtualTable)
        await settle(pilot)
        assert "di@x.io" in [r[0] for r in rows(table)]


async def test_change_role_grant_and_remove_from_the_table(db_path, other):
    if not hasattr(other.members, "change_role"):
        pytest.fail("MemberService.change_role is missing")
    async with app_for(db_path).run_test(size=SIZE) as pilot:
        await open_section(pilot, "3")
        table = pilot.app.screen.query_one("#members-table", VirtualTable)
        table.move_cursor(row=1)  # bea
        await pilot.press("g")
        await settle(pilot)
        assert isinstance(pilot.app.screen, PickScreen)
        await pilot.press("enter")  # the first grant: registries:write
        await settle(pilot)
        bea = next(m for m in other.members.list_members(ANN, "acme") if m.email == BEA)
        assert "registries:write" in bea.grants
        table.move_cursor(row=1)
        await pilot.press("x")
        await settle(pilot)
        assert isinstance(pilot.app.screen, ChoiceScreen)
        await pilot.click("#choice-yes")
        await settle(pilot)
        statuses = {m.email: m.status for m in other.members.list_members(ANN, "acme")}
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
        table = pilot.app.screen.query_one("#audit-table", VirtualTable)
        actions = [r[2] for r in rows(table)]
        assert actions == ["member.invite", "member.accept", "member.invite", "org.create"]
        pilot.app.screen.query_one("#audit-filter", Input).value = "accept"
        await wait_until(pilot, lambda: len(rows(table)) == 1, "the filtered log")
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
    statuses = {m.email: m.status for m in other.members.list_members(ANN, "acme")}
    assert statuses["carl@example.com"] == "active"


# --- filters: escape goes back to the table (issue 12, wrong behaviour 8) ---------------------


@pytest.mark.parametrize("size", [(120, 36), (80, 24)])
async def test_escape_leaves_the_members_filter_and_keys_act_on_the_table(db_path, other, size):
    async with app_for(db_path).run_test(size=size) as pilot:
        await open_section(pilot, "3")
        screen = pilot.app.screen
        filter_input = screen.query_one("#members-filter", Input)
        table = screen.query_one("#members-table", VirtualTable)
        await pilot.press("slash")
        await type_text(pilot, "bea")
        await settle(pilot)
        assert filter_input.value == "bea" and len(rows(table)) == 1
        await pilot.press("escape")
        await settle(pilot)
        assert table.has_focus
        assert filter_input.value == "" and len(rows(table)) == 3
        await pilot.press("i")  # the next key is the table's again: invite
        await settle(pilot)
        assert isinstance(pilot.app.screen, FormScreen)
        assert filter_input.value == ""


@pytest.mark.parametrize("size", [(120, 36), (80, 24)])
async def test_escape_leaves_the_audit_filter_and_keys_act_on_the_table(db_path, other, size):
    async with app_for(db_path).run_test(size=size) as pilot:
        await open_section(pilot, "5")
        screen = pilot.app.screen
        filter_input = screen.query_one("#audit-filter", Input)
        table = screen.query_one("#audit-table", VirtualTable)
        await pilot.press("slash")
        await type_text(pilot, "accept")
        await wait_until(pilot, lambda: len(rows(table)) == 1, "the filtered log")
        await pilot.press("escape")
        await wait_until(pilot, lambda: len(rows(table)) == 4, "the whole log again")
        assert table.has_focus and filter_input.value == ""
        await pilot.press("2")  # a section key works again, it is not typed into the filter
        await settle(pilot)
        assert filter_input.value == ""
        assert pilot.app.screen.section == "registries"


# --- the members header, j/k, disabled keys, details ---------------------------------------------


async def test_members_header_counts_active_members_and_pending_invitations_apart(db_path, other):
    other.members.invite(ANN, "acme", "dan@example.com")
    other.members.accept("dan@example.com", "acme")
    other.members.remove(ANN, "acme", "dan@example.com")  # revoked: listed, not counted
    other.members.invite(ANN, "acme", "eve@example.com")
    other.members.remove(ANN, "acme", "eve@example.com")  # a revoked invitation
    async with app_for(db_path).run_test(size=SIZE) as pilot:
        await open_section(pilot, "3")
        title = str(pilot.app.screen.query_one("#members-title").render())
        assert "2 active members" in title
        assert "1 pending invitation" in title
        assert "2 revoked or expired" in title
        assert len(rows(pilot.app.screen.query_one("#members-table", VirtualTable))) == 5


@pytest.mark.parametrize(("section", "table_id"), [("3", "#members-table"), ("5", "#audit-table")])
async def test_j_and_k_move_in_the_tables(db_path, other, section, table_id):
    async with app_for(db_path).run_test(size=SIZE) as pilot:
        await open_section(pilot, section)
        table = pilot.app.screen.query_one(table_id)
        assert isinstance(table, DataTable | VirtualTable)
        assert table.has_focus and table.cursor_row == 0
        await pilot.press("j", "j")
        assert table.cursor_row == 2
        await pilot.press("k")
        assert table.cursor_row == 1


async def test_a_member_pressing_an_admin_key_is_told_why(db_path, other):
    async with app_for(db_path, user=BEA).run_test(size=SIZE) as pilot:
        await open_section(pilot, "3")
        for key in ("i", "r", "g", "x"):
            await pilot.press(key)
            await settle(pilot)
            assert not isinstance(pilot.app.screen, (FormScreen, PickScreen, ChoiceScreen))
        said = [n.message for n in pilot.app._notifications]
        assert said == [
            "Invite: admins only.",
            "Role: admins only.",
            "Grants: admins only.",
            "Remove: admins only.",
        ]


async def test_member_details_is_an_information_dialog_with_one_ok(db_path, other):
    async with app_for(db_path).run_test(size=SIZE) as pilot:
        await open_section(pilot, "3")
        await pilot.press("j", "enter")
        await settle(pilot)
        dialog = pilot.app.screen
        assert isinstance(dialog, ChoiceScreen)
        assert [b.label.plain for b in dialog.query(Button)] == ["OK"]
        assert "Role: member" in str(dialog.query_one(".dialog-message").render())
        await pilot.press("enter")
        await settle(pilot)
        assert not isinstance(pilot.app.screen, ChoiceScreen)


# --- the invite form: a role is a choice ---------------------------------------------------------


async def test_invite_role_is_a_choice_and_enter_submits_from_it(db_path, other):
    async with app_for(db_path).run_test(size=(80, 24)) as pilot:
        await open_section(pilot, "3")
        await pilot.press("i")
        await settle(pilot)
        form = pilot.app.screen
        assert isinstance(form, FormScreen)
        email = form.query_one("#field-email", Input)
        assert email.placeholder.startswith("e.g. ")  # an example, never mistaken for a value
        role = form.query_one("#field-role", Select)
        assert role.value == "member"
        assert [str(option[0]) for option in role._options] == ["admin", "member"]
        await type_text(pilot, "di@x.io")
        await pilot.press("tab")
        assert role.has_focus
        await pilot.press("space")  # open the list
        await settle(pilot)
        await pilot.press("up", "enter")  # admin, picked in the open list
        await settle(pilot)
        assert role.value == "admin" and role.has_focus
        await pilot.press("enter")  # from the drop-down: submits
        await settle(pilot)
        assert not isinstance(pilot.app.screen, FormScreen)
    di = next(m for m in other.members.list_members(ANN, "acme") if m.email == "di@x.io")
    assert (di.role, di.status) == ("admin", "invited")


# --- the audit log: loading, and an event in full ----------------------------------------------


async def test_audit_shows_a_loading_indicator_until_the_first_listing_arrives(
    db_path, other, monkeypatch
):
    from pylee_tui.services.audit import AuditService

    release = threading.Event()
    listing = AuditService.list_for_org

    def slow(self, *args, **kwargs):
        release.wait(10)
        return listing(self, *args, **kwargs)

    monkeypatch.setattr(AuditService, "list_for_org", slow)
    async with app_for(db_path).run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("5")
        for _ in range(5):
            await pilot.pause()
        table = pilot.app.screen.query_one("#audit-table", VirtualTable)
        assert table.loading and table.row_count == 0
        release.set()
        await settle(pilot)
        assert not table.loading and table.row_count == 4


def record_export(db_path, registry_name: str, metadata: dict):
    """A registry and an export event of it, as the export service records one."""
    store = Store(db_path)
    services = Services(store, clock=clock)
    registry = services.registries.create(ANN, "acme", registry_name)
    with services.store.transaction() as db:
        org = db.execute("SELECT id FROM organizations WHERE slug = 'acme'").fetchone()
        services.audit.record(
            db,
            ANN,
            {"id": org[0], "slug": "acme"},
            "registry.export",
            "registry",
            registry.slug,
            registry.slug,
            metadata,
        )
    store.close()
    return registry


def event_dialog_fields(dialog) -> dict[str, str]:
    fields = {}
    for row in dialog.query(".audit-field"):
        label, value = row.query(Static)
        fields[str(label.render())] = str(value.render())
    return fields


async def test_enter_on_an_audit_event_shows_all_of_it(db_path, other):
    registry = record_export(
        db_path,
        "Core [b]Tools[/b]",
        {
            "client": "claude-desktop",
            "path": "/home/ann/.config/Claude/claude_desktop_config.json",
            "servers": ["io.github.acme/weather", "evil\x1b[31m[red]x[/red]"],
            "keys": ["API_TOKEN", "BASE_URL"],
        },
    )
    async with app_for(db_path).run_test(size=(80, 24)) as pilot:
        await open_section(pilot, "5")
        table = pilot.app.screen.query_one("#audit-table", VirtualTable)
        assert rows(table)[0][2] == "registry.export"
        await pilot.press("enter")
        await settle(pilot)
        dialog = pilot.app.screen
        assert isinstance(dialog, AuditEventScreen)
        fields = event_dialog_fields(dialog)
        assert fields["When (UTC)"].startswith("2026-11-20 09:30:00")
        assert fields["Who"] == ANN
        assert fields["Action"] == "registry.export"
        assert fields["Target"] == f"registry {registry.slug}"
        assert fields["path"] == "/home/ann/.config/Claude/claude_desktop_config.json"
        assert fields["client"] == "claude-desktop"
        assert fields["keys"] == "API_TOKEN\nBASE_URL"  # one per line
        # stored text is shown as written, never read as markup; a control character escaped
        assert fields["servers"] == "io.github.acme/weather\nevil\\x1b[31m[red]x[/red]"
        assert [b.label.plain for b in dialog.query(Button)] == ["OK"]
        await pilot.press("enter")
        await settle(pilot)
        assert not isinstance(pilot.app.screen, AuditEventScreen)
        await pilot.press("j", "enter")  # the next event: the registry's creation
        await settle(pilot)
        assert event_dialog_fields(pilot.app.screen)["Action"] == "registry.create"
        await pilot.press("escape")
        await settle(pilot)
        assert pilot.app.screen.section == "audit"


# --- at 80x24 ------------------------------------------------------------------------------------


def test_members_snapshot_80x24(snap_compare, db_path, other):
    async def run_before(pilot) -> None:
        await open_section(pilot, "3")

    assert snap_compare(app_for(db_path), run_before=run_before, terminal_size=(80, 24))


def test_audit_snapshot_80x24(snap_compare, db_path, other):
    async def run_before(pilot) -> None:
        await open_section(pilot, "5")

    assert snap_compare(app_for(db_path), run_before=run_before, terminal_size=(80, 24))


def test_audit_event_dialog_snapshot_80x24(snap_compare, db_path, other):
    servers = [f"io.github.acme/server-with-a-long-name-{n}" for n in range(1, 9)]
    record_export(
        db_path,
        "Core Tools",
        {
            "client": "claude",
            "path": "/home/ann/.config/Claude/claude_desktop_config.json",
            "servers": servers,
            "inlined_secrets": 0,
        },
    )

    async def run_before(pilot) -> None:
        await open_section(pilot, "5")
        await pilot.press("enter")  # the newest event: the export
        await settle(pilot)

    assert snap_compare(app_for(db_path), run_before=run_before, terminal_size=(80, 24))


def test_invite_form_snapshot_80x24(snap_compare, db_path, other):
    async def run_before(pilot) -> None:
        await open_section(pilot, "3")
        await pilot.press("i")
        await settle(pilot)

    assert snap_compare(app_for(db_path), run_before=run_before, terminal_size=(80, 24))


async def test_a_long_audit_event_scrolls_with_the_ok_button_focused(db_path, other):
    record_export(db_path, "Core", {"servers": [f"io.github.acme/s{n}" for n in range(30)]})
    async with app_for(db_path).run_test(size=(80, 24)) as pilot:
        await open_section(pilot, "5")
        await pilot.press("enter")
        await settle(pilot)
        body = pilot.app.screen.query_one("#audit-event-fields")
        assert body.max_scroll_y > 0 and body.scroll_y == 0
        await pilot.press("j", "j", "pagedown")
        await settle(pilot)
        assert body.scroll_y == min(12, body.max_scroll_y)
        await pilot.press("k")
        await settle(pilot)
        assert body.scroll_y == min(12, body.max_scroll_y) - 1
