"""Section 7 of the org screen: change requests on registries that require approval, newest
first, with the diff of the one under the cursor.

Keys: a approves (a comment may be given), x rejects (a comment is asked: the requester reads
it). Both ask the service, which refuses with its own one line (not an approver, the requester
themself, a server changed since the request): shown in the comment form, which stays open.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.widgets import DataTable, Static

from pylee_tui.dialogs.form import FormField, FormScreen
from pylee_tui.safe_text import escape
from pylee_tui.sections.base import OrgSection

if TYPE_CHECKING:
    from pylee_tui.services.approvals import ChangeRequest

COLUMNS = ("#", "State", "Registry", "By", "Change")
APPROVERS = "registries:approve"


def request_row(request: ChangeRequest) -> tuple[str, str, str, str, str]:
    return (
        str(request.id),
        request.state,
        escape(request.registry),
        escape(request.requested_by),
        escape(request.summary),
    )


def request_detail(request: ChangeRequest) -> str:
    """The request as the pane shows it: who asked, who decided, the diff (all escaped)."""
    lines = [
        f"#{request.id} {request.state}: {request.summary}",
        f"requested by {request.requested_by} at {request.requested_at[:16].replace('T', ' ')}",
    ]
    if request.decided_by:
        lines.append(f"{request.state} by {request.decided_by}")
    if request.comment:
        lines.append(f"comment: {request.comment}")
    lines += ["", request.diff]
    return escape("\n".join(lines), multiline=True)


class RequestsPane(OrgSection):
    BINDINGS = [
        Binding("a", "approve", "Approve", id="requests.approve", tooltip="Approve and apply"),
        Binding("x", "reject", "Reject", id="requests.reject", tooltip="Reject, saying why"),
    ]
    DEFAULT_CSS = """
    RequestsPane { height: 1fr; }
    RequestsPane #requests-title { text-style: bold; }
    RequestsPane DataTable { height: 9; }
    RequestsPane #requests-detail-box { height: 1fr; border-top: solid $panel-lighten-2; }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.org_slug: str | None = None
        self.requests: dict[str, ChangeRequest] = {}

    def compose(self) -> ComposeResult:
        yield Static("Change requests", id="requests-title", markup=False)
        table: DataTable[str] = DataTable(
            id="requests-table", cursor_type="row", zebra_stripes=True
        )
        table.add_columns(*COLUMNS)
        yield table
        with VerticalScroll(id="requests-detail-box"):
            yield Static("", id="requests-detail", markup=False)

    def on_mount(self) -> None:
        self.query_one(DataTable).focus()

    # --- loading ---------------------------------------------------------------------------

    def show_org(self, slug: str) -> None:
        self.org_slug = slug
        self.pylee_app.call(
            self.services.approvals.list_requests,
            self.user,
            slug,
            state="all",
            done=self._show,
            group="requests",
        )

    def _show(self, requests: list[ChangeRequest]) -> None:
        table = self.query_one(DataTable)
        chosen = self.current
        table.clear()
        self.requests = {str(r.id): r for r in requests}
        for request in requests:
            table.add_row(*request_row(request), key=str(request.id))
        opened = sum(1 for r in requests if r.state == "open")
        self.query_one("#requests-title", Static).update(
            f"Change requests: {opened} open, {len(requests) - opened} decided"
            if requests
            else "No change requests. A registry that requires approval (an admin sets it: "
            "pylee-tui registry edit SLUG --require-approval on) turns a member's change "
            "into one."
        )
        if chosen is not None and chosen.id and str(chosen.id) in self.requests:
            table.move_cursor(row=table.get_row_index(str(chosen.id)))
        self._show_detail()
        self.refresh_bindings()

    @property
    def current(self) -> ChangeRequest | None:
        table = self.query_one(DataTable)
        if not self.requests or table.row_count == 0:
            return None
        key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value
        return self.requests.get(key or "")

    @on(DataTable.RowHighlighted)
    def _show_detail(self) -> None:
        request = self.current
        detail = self.query_one("#requests-detail", Static)
        detail.update(request_detail(request) if request else "")
        self.refresh_bindings()

    # --- deciding --------------------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in ("approve", "reject"):
            request = self.current
            if request is None or request.state != "open":
                return None
            own = request.requested_by == self.user
            if action == "approve":
                return True if self.allowed(APPROVERS) and not own else None
            return True if self.allowed(APPROVERS) or own else None
        return True

    def action_approve(self) -> None:
        self._decide("approve")

    def action_reject(self) -> None:
        self._decide("reject")

    def _decide(self, how: str) -> None:
        request = self.current
        if request is None:
            return
        approvals, user = self.services.approvals, self.user

        def save(values: dict[str, str]) -> ChangeRequest:
            if how == "approve":
                return approvals.approve(user, request.id, comment=values["comment"])
            return approvals.reject(user, request.id, comment=values["comment"])

        form = FormScreen(
            f"{how.capitalize()} change request #{request.id}",
            [
                FormField(
                    "comment",
                    "Comment" + (" (optional)" if how == "approve" else " (why)"),
                    None,
                    optional=how == "approve",
                )
            ],
            save,
            submit_label=how.capitalize(),
            intro=escape(request.summary),
        )
        self.app.push_screen(form, callback=self._decided)

    def _decided(self, result: ChangeRequest | None) -> None:
        if result is None:
            return
        verb = "Approved and applied" if result.state == "approved" else "Rejected"
        self.notify(f"{verb} change request #{result.id}.")
        self.data_changed()  # the org reloads: this list, the count in the tab, the registries
