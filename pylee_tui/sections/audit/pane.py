"""Section 5 of the org screen: the append-only audit log, newest first, filterable as you type.

Keys: enter shows the whole event, j/k move, / filter (escape clears it and goes back to the
table).
"""

from __future__ import annotations

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.timer import Timer
from textual.widgets import DataTable, Input, Static

from pylee_tui.dialogs.audit_event import AuditEventScreen
from pylee_tui.models import AuditEvent
from pylee_tui.safe_text import escape
from pylee_tui.sections.base import OrgSection
from pylee_tui.widgets.row_table import RowTable

LIMIT = 500


def event_row(event: AuditEvent) -> tuple[str, str, str, str]:
    target = f"{event.target_type} {event.target_label}".strip()
    return (f"{event.created_at:%Y-%m-%d %H:%M:%S}", event.actor, event.action, target)


class AuditPane(OrgSection):
    BINDINGS = [
        Binding("slash", "filter", "Filter", id="audit.filter"),
        Binding(
            "escape",
            "leave_filter",
            "Clear filter",
            show=False,
            id="audit.leave_filter",
            tooltip="Clear the filter and go back to the table",
        ),
    ]
    DEFAULT_CSS = """
    AuditPane { height: 1fr; }
    AuditPane #audit-title { text-style: bold; }
    AuditPane #audit-filter { margin: 1 0; }
    AuditPane DataTable { height: 1fr; }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.org_slug: str | None = None
        self.events: dict[str, AuditEvent] = {}
        self._timer: Timer | None = None
        self._loaded_once = False

    def compose(self) -> ComposeResult:
        yield Static("Audit log", id="audit-title")
        yield Input(placeholder="Filter by who, action or target…", id="audit-filter")
        table = RowTable(id="audit-table")
        table.add_columns("When (UTC)", "Who", "Action", "Target")
        yield table

    def on_mount(self) -> None:
        self.query_one(DataTable).focus()
        self.refresh_data()

    def show_org(self, org_slug: str) -> None:
        if org_slug != self.org_slug:
            self._loaded_once = False
        self.org_slug = org_slug
        if self.is_mounted:
            self.refresh_data()

    def refresh_data(self) -> None:
        if self.org_slug is None or not self.query("#audit-filter"):
            return
        query = self.query_one("#audit-filter", Input).value.strip()
        if not self._loaded_once:
            # the first listing of an org can take a moment: say so rather than show nothing
            self.query_one(DataTable).loading = True
        # the newest listing asked for (the filter as typed last) is the one shown
        self.pylee_app.call(
            self.services.audit.list_for_org,
            self.user,
            self.org_slug,
            limit=LIMIT,
            query=query,
            done=self._show,
            failed=self._failed,
            group="audit-log",
        )

    def _failed(self, exc: Exception) -> None:
        self.query_one(DataTable).loading = False
        self.screen.refresh_bindings()
        self.notify(str(exc), severity="error", title="Could not load the audit log")

    def _show(self, events: list[AuditEvent]) -> None:
        table = self.query_one(DataTable)
        if table.loading:
            table.loading = False
            # a loading widget is left out of the key chain: the footer shows this pane's
            # keys again only once it is asked to
            self.screen.refresh_bindings()
        self._loaded_once = True
        current = self._current_key()
        table.clear()
        self.events = {str(event.id): event for event in events}
        for event in events:
            # Text cells: a label is shown as written, never read as markup
            table.add_row(*(Text(escape(cell)) for cell in event_row(event)), key=str(event.id))
        if current in self.events:
            table.move_cursor(row=table.get_row_index(current))
        shown = f"{len(events)} event{'s' if len(events) != 1 else ''}"
        if len(events) == LIMIT:
            shown = f"the newest {LIMIT} events (filter to narrow)"
        hint = " · enter shows one" if events else ""
        self.query_one("#audit-title", Static).update(f"Audit log · {shown}, newest first{hint}")

    def _current_key(self) -> str | None:
        table = self.query_one(DataTable)
        if table.row_count == 0:
            return None
        return table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value

    @property
    def selected(self) -> AuditEvent | None:
        key = self._current_key()
        return self.events.get(key) if key is not None else None

    @on(Input.Changed, "#audit-filter")
    def _filter_changed(self) -> None:
        if self._timer is not None:
            self._timer.stop()
        self._timer = self.set_timer(0.15, self.refresh_data)

    @on(Input.Submitted, "#audit-filter")
    def _filter_done(self) -> None:
        self.query_one(DataTable).focus()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "leave_filter":
            filter_input = self.query_one("#audit-filter", Input)
            return filter_input.has_focus or bool(filter_input.value)
        return True

    def action_filter(self) -> None:
        self.query_one("#audit-filter", Input).focus()

    def action_leave_filter(self) -> None:
        self.query_one("#audit-filter", Input).value = ""
        self.query_one(DataTable).focus()

    def action_details(self) -> None:
        event = self.selected
        if event is not None:
            self.app.push_screen(AuditEventScreen(event))

    @on(DataTable.RowSelected, "#audit-table")
    def _row_chosen(self, event: DataTable.RowSelected) -> None:
        # enter, or a click on the row under the cursor
        event.stop()
        self.action_details()
