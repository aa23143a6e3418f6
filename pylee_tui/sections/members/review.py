"""The member review (R in the members section, admins only): each member's role, grants and last
activity, what is flagged (an expired invitation, 90 days inactive, a single admin), and two
quick actions on the row under the cursor: d downgrades an admin to member, x removes a member
or revokes an invitation, each after a confirmation and through the members service."""

from __future__ import annotations

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import Static

from pylee_tui.dialogs.choice import confirm
from pylee_tui.safe_text import escape
from pylee_tui.services import Services
from pylee_tui.services.member_review import (
    EXPIRED,
    INACTIVE,
    LAST_ADMIN,
    MemberReview,
    ReviewLine,
)
from pylee_tui.widgets.footer import PyleeFooter
from pylee_tui.widgets.pylee_app import pylee_app
from pylee_tui.widgets.row_table import TableRows, VirtualTable

# at 80 columns every column fits (a long email or many grants scroll sideways): the status
# column says a flag in a word, or the status when nothing is flagged
COLUMNS = ("Email", "Status", "Role", "Last event", "Grants", "Overrides")
SHORT_FLAGS = {EXPIRED: "expired", INACTIVE: "inactive", LAST_ADMIN: "only admin"}


def review_row(line: ReviewLine) -> tuple[str, ...]:
    return (
        line.email,
        ", ".join(SHORT_FLAGS.get(flag, flag) for flag in line.flags) or line.status,
        line.role,
        line.last_activity[:10] if line.last_activity else "never",
        "all" if line.role == "admin" else ", ".join(sorted(line.grants)) or "—",
        "?" if line.overrides is None else str(line.overrides),
    )


def review_rows(review: MemberReview) -> TableRows:
    """The table's rows (in a worker, with the read)."""
    return TableRows.build(
        COLUMNS, [review_row(line) for line in review.lines], [line.email for line in review.lines]
    )


def load_review(services: Services, user: str, org: str) -> tuple[MemberReview, TableRows]:
    review = services.member_review.review(user, org)
    return review, review_rows(review)


def warnings_text(review: MemberReview) -> Text:
    if not review.warnings:
        return Text("Nothing flagged: every member acted within 90 days, no invitation expired.")
    text = Text()
    for i, warning in enumerate(review.warnings):
        if i:
            text.append("\n")
        text.append("! ", style="bold yellow")
        text.append(escape(warning))
    return text


def row_text(line: ReviewLine | None) -> Text:
    """What the row under the cursor is, and which quick action applies to it."""
    if line is None:
        return Text("No member selected.", style="dim")
    text = Text(escape(line.email), style="bold")
    if line.flags:
        text.append(f" · {', '.join(line.flags)}", style="yellow")
    keys = []
    if line.role == "admin" and line.status == "active":
        keys.append("d downgrade to member")
    keys.append("x remove" if line.status == "active" else "x revoke the invitation")
    text.append("\n" + " · ".join(keys), style="dim")
    return text


class MemberReviewScreen(Screen[bool]):
    """Dismisses with True when a quick action changed a member (the members list reloads)."""

    HELP_TITLE = "member review"
    BINDINGS = [
        Binding("escape", "close", "Back", id="review.close"),
        Binding("d", "downgrade", "Downgrade", id="review.downgrade", tooltip="Admin to member"),
        Binding("x", "remove", "Remove", id="review.remove", tooltip="Remove or revoke"),
    ]
    DEFAULT_CSS = """
    MemberReviewScreen #review-title { text-style: bold; padding: 0 1; }
    MemberReviewScreen #review-warnings { padding: 0 1; margin-bottom: 1; }
    MemberReviewScreen VirtualTable { height: 1fr; }
    MemberReviewScreen #review-row { height: 2; padding: 0 1; }
    """

    def __init__(self, services: Services, user: str, org: str) -> None:
        super().__init__()
        self.services = services
        self.user = user
        self.org = org
        self.review: MemberReview | None = None
        self.changed = False

    def compose(self) -> ComposeResult:
        yield Static(f"Member review · {escape(self.org)}", id="review-title", markup=False)
        yield Static("Reading the members and the audit log…", id="review-warnings")
        yield VirtualTable(COLUMNS, id="review-table")
        yield Static("", id="review-row")
        yield PyleeFooter()

    def on_mount(self) -> None:
        self.table.focus()
        self.reload()

    @property
    def table(self) -> VirtualTable:
        return self.query_one("#review-table", VirtualTable)

    def reload(self) -> None:
        if self.review is None:
            self.table.loading = True
        pylee_app(self).call(
            load_review, self.services, self.user, self.org, done=self._loaded, group="review"
        )

    def _loaded(self, loaded: tuple[MemberReview, TableRows]) -> None:
        review, rows = loaded
        self.review = review
        table = self.table
        table.loading = False
        table.show_rows(rows, keep=table.cursor_key)
        title = f"Member review · {self.org} · {review.admins} admin{'s' * (review.admins != 1)}"
        self.query_one("#review-title", Static).update(escape(title))
        self.query_one("#review-warnings", Static).update(warnings_text(review))
        self._show_row()

    @property
    def selected(self) -> ReviewLine | None:
        if self.review is None or self.table.cursor_key is None:
            return None
        return self.review.line(self.table.cursor_key)

    @on(VirtualTable.RowHighlighted)
    def _show_row(self) -> None:
        self.query_one("#review-row", Static).update(row_text(self.selected))
        self.refresh_bindings()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        line = self.selected
        if action == "downgrade":
            return None if line is None or line.role != "admin" or line.status != "active" else True
        if action == "remove":
            return None if line is None else True
        return True

    def _act(self, fn, *args: str, message: str) -> None:
        def done(_result: object) -> None:
            self.changed = True
            self.notify(message, timeout=4)
            self.reload()

        pylee_app(self).call(fn, self.user, self.org, *args, done=done)

    def action_downgrade(self) -> None:
        line = self.selected
        if line is None or line.role != "admin":
            return
        email = line.email  # the row shown when the key was pressed, whatever moves after

        def answered(answer: str | None) -> None:
            if answer == "yes":
                members = self.services.members
                self._act(members.change_role, email, "member", message=f"{email} is now member.")

        self.app.push_screen(
            confirm(
                f"Downgrade {email} to member?",
                f"{email} will no longer manage '{self.org}' (members, variables, settings); "
                "a member starts with no grants.",
                yes="Downgrade",
                variant="warning",
            ),
            callback=answered,
        )

    def action_remove(self) -> None:
        line = self.selected
        if line is None:
            return
        email = line.email
        what = "Remove" if line.status == "active" else "Revoke the invitation of"

        def answered(answer: str | None) -> None:
            if answer == "yes":
                self._act(self.services.members.remove, email, message=f"{what} {email}: done.")

        self.app.push_screen(
            confirm(
                f"{what} {email}?",
                f"{email} will no longer see '{self.org}'.",
                yes=what.split()[0],
                variant="error",
            ),
            callback=answered,
        )

    def action_close(self) -> None:
        self.dismiss(self.changed)
