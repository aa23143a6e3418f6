"""Section 3 of the org screen: members and invitations in a sortable, filterable table.

Keys: i invite, r change role, g grant or withdraw a permission, x revoke an invitation or remove
a member (after a confirmation), enter details, j/k move, / filter (escape leaves it). What a role
may not do is shown disabled, and pressing it says why; the service decides and its message is
shown when it refuses.
"""

from __future__ import annotations

from rich.text import Text
from textual import events, on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import DataTable, Input, Static

from pylee_tui.dialogs.choice import confirm, info
from pylee_tui.dialogs.form import FormField, FormScreen
from pylee_tui.dialogs.pick import PickScreen
from pylee_tui.models import GRANTS, ROLES, Member, plural
from pylee_tui.safe_text import escape
from pylee_tui.sections.base import OrgSection
from pylee_tui.services.members import MemberService
from pylee_tui.widgets.row_table import RowTable

MANAGING = ("invite", "role", "grant", "remove")
ADMINS_ONLY = "admins only"

COLUMNS = ("Email", "Name", "Role", "Status", "Grants", "Invited by", "Invited", "Joined")


def member_row(m: Member) -> tuple[str, ...]:
    return (
        m.email,
        m.display_name,
        m.role,
        m.status,
        ", ".join(sorted(m.grants)) if m.role != "admin" else "all",
        m.invited_by or "",
        f"{m.invited_at:%Y-%m-%d}",
        f"{m.joined_at:%Y-%m-%d}" if m.joined_at else "",
    )


class MembersPane(OrgSection):
    BINDINGS = [
        Binding("i", "invite", "Invite", id="members.invite"),
        Binding("r", "role", "Role", id="members.role", tooltip="Change the role"),
        Binding("g", "grant", "Grants", id="members.grant", tooltip="Grant or withdraw"),
        Binding("x", "remove", "Remove", id="members.remove", tooltip="Revoke or remove"),
        Binding("slash", "filter", "Filter", id="members.filter"),
        Binding(
            "escape",
            "leave_filter",
            "Clear filter",
            show=False,
            id="members.leave_filter",
            tooltip="Clear the filter and go back to the table",
        ),
    ]
    DEFAULT_CSS = """
    MembersPane { height: 1fr; }
    MembersPane #members-title { text-style: bold; }
    MembersPane #members-filter { margin: 1 0; }
    MembersPane DataTable { height: 1fr; }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.members: list[Member] = []
        self.sort_column = 0
        self.sort_reverse = False

    def compose(self) -> ComposeResult:
        yield Static("Members", id="members-title")
        yield Input(placeholder="Filter by email, name, role or status…", id="members-filter")
        table = RowTable(id="members-table")
        # columns now: the screen may fill the table before this pane's on_mount runs
        table.add_columns(*COLUMNS)
        yield table

    def on_mount(self) -> None:
        self.query_one(DataTable).focus()
        self.show(self.members)

    # --- data ----------------------------------------------------------------------------

    @property
    def org_slug(self) -> str:
        """The org whose members are shown."""
        return self.view.org.slug if self.view else ""

    def show(self, members: list[Member]) -> None:
        self.members = list(members)
        if not self.query("#members-table"):
            return
        needle = self.query_one("#members-filter", Input).value.strip().lower()
        rows = [member_row(m) for m in self.members]
        if needle:
            rows = [r for r in rows if any(needle in cell.lower() for cell in r[:4])]
        rows.sort(key=lambda r: r[self.sort_column].lower(), reverse=self.sort_reverse)
        table = self.query_one(DataTable)
        current = self.selected.email if self.selected else None
        table.clear()
        for row in rows:
            # Text cells: a name is shown as written, never read as markup
            table.add_row(*(Text(escape(cell)) for cell in row), key=row[0])
        self.query_one("#members-title", Static).update(members_title(self.members))
        if current is not None and current in [r[0] for r in rows]:
            table.move_cursor(row=[r[0] for r in rows].index(current))

    @property
    def selected(self) -> Member | None:
        if not self.query("#members-table"):
            return None
        table = self.query_one(DataTable)
        if table.row_count == 0:
            return None
        email = table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value
        return next((m for m in self.members if m.email == email), None)

    @on(DataTable.HeaderSelected)
    def _sort(self, event: DataTable.HeaderSelected) -> None:
        if event.column_index == self.sort_column:
            self.sort_reverse = not self.sort_reverse
        else:
            self.sort_column, self.sort_reverse = event.column_index, False
        self.show(self.members)

    @on(Input.Changed, "#members-filter")
    def _filter(self) -> None:
        self.show(self.members)

    @on(Input.Submitted, "#members-filter")
    def _filter_done(self) -> None:
        self.query_one(DataTable).focus()

    def action_filter(self) -> None:
        self.query_one("#members-filter", Input).focus()

    def action_leave_filter(self) -> None:
        filter_input = self.query_one("#members-filter", Input)
        filter_input.value = ""
        self.query_one(DataTable).focus()

    # --- actions -------------------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in MANAGING:
            return None if self.why_disabled(action) else True
        if action == "leave_filter":
            filter_input = self.query_one("#members-filter", Input)
            return filter_input.has_focus or bool(filter_input.value)
        return True

    def why_disabled(self, action: str) -> str:
        """Why a key of this pane does nothing now ('' when it works)."""
        if action not in MANAGING:
            return ""
        if not self.allowed("members:manage"):
            return ADMINS_ONLY
        if action != "invite" and self.selected is None:
            return "no member selected"
        return ""

    def on_key(self, event: events.Key) -> None:
        # a key your role may not use says so instead of doing nothing. Only that reason: a
        # key typed fast after `i` passes here before the invite form is open, while the table
        # may still be empty ("no member selected"); it must go on to the form.
        if self.screen is not self.app.screen:
            return
        active = self.screen.active_bindings.get(event.key)
        if active is None or active.node is not self or active.enabled:
            return
        if self.why_disabled(active.binding.action) == ADMINS_ONLY:
            event.stop()
            event.prevent_default()
            self.notify(f"{active.binding.description}: {ADMINS_ONLY}.", severity="warning")

    def _call(self, fn, *args, message: str) -> None:
        def done(_result) -> None:
            self.notify(message, timeout=4)
            self.data_changed()

        self.pylee_app.call(fn, self.user, self.org_slug, *args, done=done)

    @property
    def service(self) -> MemberService:
        return self.services.members

    def action_invite(self) -> None:
        org, user, service = self.org_slug, self.user, self.service

        def invite(values: dict[str, str]):
            return service.invite(user, org, values["email"], role=values["role"])

        def closed(member) -> None:
            if member is not None:
                self.notify(f"Invited {member.email} as {member.role}.", timeout=4)
                self.data_changed()

        self.app.push_screen(
            FormScreen(
                "Invite a member",
                [
                    FormField("email", "Email", "email", example="bea@example.com"),
                    FormField("role", "Role", "role", value="member", choices=ROLES),
                ],
                invite,
                submit_label="Invite",
                intro="The invitation is pending until they launch pylee-tui as this email (or "
                "run `pylee-tui member accept`); it expires after 7 days.",
            ),
            callback=closed,
        )

    def action_role(self) -> None:
        member = self.selected
        if member is None:
            return
        choices = [
            (role, f"{role}{'  (current)' if role == member.role else ''}") for role in ROLES
        ]

        def picked(role: str | None) -> None:
            if role and role != member.role:
                self._call(
                    self.service.change_role,
                    member.email,
                    role,
                    message=f"{member.email} is now {role}.",
                )

        self.app.push_screen(PickScreen(f"Role of {member.email}", choices), callback=picked)

    def action_grant(self) -> None:
        member = self.selected
        if member is None:
            return
        choices = [(grant, f"{'✔' if grant in member.grants else '·'} {grant}") for grant in GRANTS]

        def picked(grant: str | None) -> None:
            if not grant:
                return
            if grant in member.grants:
                self._call(
                    self.service.revoke_grant, member.email, grant, message=f"Withdrew {grant}."
                )
            else:
                self._call(self.service.grant, member.email, grant, message=f"Granted {grant}.")

        self.app.push_screen(
            PickScreen(f"Grant or withdraw for {member.email}", choices), callback=picked
        )

    def action_remove(self) -> None:
        member = self.selected
        if member is None:
            return
        what = "Revoke the invitation of" if member.status == "invited" else "Remove"
        self.app.push_screen(
            confirm(
                f"{what} {member.email}?",
                f"{member.email} will no longer see '{self.org_slug}'.",
                yes=what.split()[0],
                variant="error",
            ),
            callback=lambda answer: (
                self._call(
                    self.service.remove, member.email, message=f"{what} {member.email}: done."
                )
                if answer == "yes"
                else None
            ),
        )

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        member = self.selected
        if member is None:
            return
        details = "\n".join(
            f"{name}: {value or '—'}"
            for name, value in zip(COLUMNS, member_row(member), strict=True)
        )
        self.app.push_screen(info(member.email, details))


def members_title(members: list[Member]) -> str:
    """Active members and pending invitations, each counted on its own; revoked people and
    expired invitations are listed in the table but are not members."""
    active = sum(1 for m in members if m.status == "active")
    pending = sum(1 for m in members if m.status == "invited")
    gone = len(members) - active - pending
    title = f"Members · {plural(active, 'active member')}"
    if pending:
        title += f", {plural(pending, 'pending invitation')}"
    if gone:
        title += f" · {gone} revoked or expired"
    return title
