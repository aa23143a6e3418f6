"""Section 3 of the org screen: members and invitations in a sortable, filterable table.

The database filters and sorts (a worker, one group: a newer keystroke's list replaces an older
one still on its way) and the table draws only the rows on screen, so an org of 5,000 members
answers each key as one of five does.

Keys: i invite, r change role, g grant or withdraw a permission, x revoke an invitation or remove
a member (after a confirmation), R the member review (review.py), enter details, j/k move,
/ filter (escape leaves it). What a role
may not do is shown disabled, and pressing it says why; the service decides and its message is
shown when it refuses.
"""

from __future__ import annotations

from dataclasses import dataclass

from textual import events, on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import Input, Static

from pylee_tui.dialogs.choice import confirm, info
from pylee_tui.dialogs.form import FormField, FormScreen
from pylee_tui.dialogs.pick import PickScreen
from pylee_tui.models import GRANTS, ROLES, plural
from pylee_tui.sections.base import OrgSection
from pylee_tui.services.members import MemberLine, MemberListing, MemberService
from pylee_tui.widgets.row_table import TableRows, VirtualTable

MANAGING = ("invite", "role", "grant", "remove", "review")
NO_ROW_NEEDED = ("invite", "review")
ADMINS_ONLY = "admins only"

COLUMNS = ("Email", "Name", "Role", "Status", "Grants", "Invited by", "Invited", "Joined")
SORTS = ("email", "name", "role", "status", "grants", "invited_by", "invited", "joined")


def member_row(m: MemberLine) -> tuple[str, ...]:
    return (
        m.email,
        m.display_name,
        m.role,
        m.status,
        ", ".join(sorted(m.grants)) if m.role != "admin" else "all",
        m.invited_by or "",
        m.invited_at[:10],  # stored in UTC, as a date was always shown
        m.joined_at[:10] if m.joined_at else "",
    )


@dataclass(frozen=True)
class MembersShown:
    """What one load hands the table: the rows, ready to draw, and the members they are."""

    listing: MemberListing
    rows: TableRows  # row i is listing.lines[i]
    asked: tuple[str, int, bool]  # the filter and sort (column, descending) they answer


def load_members(
    service: MemberService, user: str, org: str, query: str, sort: int, descending: bool
) -> MembersShown:
    """The members shown (in a worker: everything here grows with the org)."""
    listing = service.member_lines(user, org, query=query, sort=SORTS[sort], descending=descending)
    rows = TableRows.build(
        COLUMNS, [member_row(m) for m in listing.lines], [m.email for m in listing.lines]
    )
    return MembersShown(listing, rows, (query, sort, descending))


class MembersPane(OrgSection):
    BINDINGS = [
        Binding("i", "invite", "Invite", id="members.invite"),
        Binding("r", "role", "Role", id="members.role", tooltip="Change the role"),
        Binding("g", "grant", "Grants", id="members.grant", tooltip="Grant or withdraw"),
        Binding("x", "remove", "Remove", id="members.remove", tooltip="Revoke or remove"),
        Binding("R", "review", "Review", id="members.review", tooltip="Review members (admins)"),
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
    MembersPane VirtualTable { height: 1fr; }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.shown: MembersShown | None = None
        self.org_shown: str | None = None
        self.sort_column = 0
        self.sort_reverse = False
        self._select: str | None = None  # a member to put the cursor on once loaded
        self._prefetched = False  # reading since `prefetch`, before the screen asked
        self._early: MembersShown | None = None  # what `prefetch` read before the mount
        self._mounted = False

    def compose(self) -> ComposeResult:
        yield Static("Members", id="members-title")
        yield Input(placeholder="Filter by email, name, role or status…", id="members-filter")
        yield VirtualTable(COLUMNS, id="members-table")

    def on_mount(self) -> None:
        self._mounted = True
        self.table.focus()
        early, self._early = self._early, None
        if early is not None:
            self._loaded(early)  # read while the pane was built: its first frame shows it
        elif self.org_shown is not None and not self._prefetched:
            self.reload()

    @property
    def table(self) -> VirtualTable:
        return self.query_one("#members-table", VirtualTable)

    # --- data ----------------------------------------------------------------------------

    @property
    def org_slug(self) -> str:
        """The org whose members are shown."""
        return self.org_shown or (self.view.org.slug if self.view else "")

    def prefetch(self, slug: str) -> None:
        """Start reading the members of `slug` now, before the pane is mounted (a first
        visit): the rows wait for the mount and the table never shows "loading"."""
        self.org_shown = slug
        self._prefetched = True
        self.pylee_app.call(
            load_members,
            self.service,
            self.user,
            slug,
            *self.wanted,
            done=self._prefetch_landed,
            group="members-rows",
        )

    def _prefetch_landed(self, shown: MembersShown) -> None:
        if self._mounted:
            self._loaded(shown)
        else:
            self._early = shown  # on_mount shows it

    def show_org(self, slug: str) -> None:
        """Load the members of org `slug` (again: after a change, or another org)."""
        if self._prefetched and slug == self.org_shown:
            self._prefetched = False  # the screen's first call: read since `prefetch`
            return
        self._prefetched = False
        if slug != self.org_shown:
            self.shown = None
        self.org_shown = slug
        if self.is_mounted:
            self.reload()

    def show(self, _members: object = None) -> None:
        """The org screen handing over a list of members: this pane loads its own rows."""
        if self.view is not None:
            self.show_org(self.view.org.slug)

    @property
    def wanted(self) -> tuple[str, int, bool]:
        """The filter and sort asked for: (text, column, descending); no filter before the pane
        has composed its input."""
        found = self.query("#members-filter")
        text = found.first(Input).value if found else ""
        return text, self.sort_column, self.sort_reverse

    @property
    def settled(self) -> bool:
        """The rows shown answer the filter and sort asked for last."""
        return self.shown is not None and self.shown.asked == self.wanted

    def reload(self) -> None:
        """Ask for the rows the filter and sort want; only the newest answer is shown."""
        if not self.org_shown:
            return
        if self.shown is None:
            self.table.loading = True
        self.pylee_app.call(
            load_members,
            self.service,
            self.user,
            self.org_shown,
            *self.wanted,
            done=self._loaded,
            group="members-rows",
        )

    def select_member(self, email: str) -> None:
        """Put the cursor on a member's row (the palette's search): at once when it is shown,
        else once the list without a filter has loaded."""
        table = self.table
        if self.shown is not None and self.settled and email in table.rows.keys:
            table.move_cursor(row=table.rows.keys.index(email))
            table.focus()
            return
        self._select = email
        filter_input = self.query_one("#members-filter", Input)
        if filter_input.value:
            filter_input.value = ""  # Input.Changed reloads
        elif self.shown is not None and self.settled:
            self.reload()

    def _loaded(self, shown: MembersShown) -> None:
        table = self.table
        chosen, self._select = self._select, None
        keep = chosen or table.cursor_key
        self.shown = shown
        table.loading = False
        table.show_rows(shown.rows, keep=keep)
        self.query_one("#members-title", Static).update(members_title(shown.listing))
        self.refresh_bindings()
        if chosen is not None:
            table.focus()

    @property
    def selected(self) -> MemberLine | None:
        if self.shown is None or not self.query("#members-table"):
            return None
        table = self.table
        if table.cursor_key is None:
            return None
        return self.shown.listing.lines[table.cursor_row]

    @on(VirtualTable.HeaderSelected)
    def _sort(self, event: VirtualTable.HeaderSelected) -> None:
        if event.column_index == self.sort_column:
            self.sort_reverse = not self.sort_reverse
        else:
            self.sort_column, self.sort_reverse = event.column_index, False
        self.reload()

    @on(VirtualTable.RowHighlighted)
    def _highlighted(self) -> None:
        self.refresh_bindings()  # which keys apply depends on the row (none: no member)

    @on(Input.Changed, "#members-filter")
    def _filter(self) -> None:
        self.reload()

    @on(Input.Submitted, "#members-filter")
    def _filter_done(self) -> None:
        self.table.focus()

    def action_filter(self) -> None:
        self.query_one("#members-filter", Input).focus()

    def action_leave_filter(self) -> None:
        filter_input = self.query_one("#members-filter", Input)
        filter_input.value = ""
        self.table.focus()

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
        if action not in NO_ROW_NEEDED and self.selected is None:
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

    def action_review(self) -> None:
        from pylee_tui.sections.members.review import MemberReviewScreen

        def closed(changed: bool | None) -> None:
            if changed:
                self.data_changed()

        self.app.push_screen(
            MemberReviewScreen(self.services, self.user, self.org_slug), callback=closed
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

    @on(VirtualTable.RowSelected)
    def _details(self) -> None:
        member = self.selected
        if member is None:
            return
        details = "\n".join(
            f"{name}: {value or '—'}"
            for name, value in zip(COLUMNS, member_row(member), strict=True)
        )
        self.app.push_screen(info(member.email, details))


def members_title(listing: MemberListing) -> str:
    """Active members and pending invitations, each counted on its own; revoked people and
    expired invitations are listed in the table but are not members."""
    title = f"Members · {plural(listing.active, 'active member')}"
    if listing.pending:
        title += f", {plural(listing.pending, 'pending invitation')}"
    if listing.gone:
        title += f" · {listing.gone} revoked or expired"
    return title
