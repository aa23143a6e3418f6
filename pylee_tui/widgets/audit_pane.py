"""Section 5 of the org screen: the append-only audit log, newest first, filterable as you type."""

from __future__ import annotations

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.timer import Timer
from textual.widget import Widget
from textual.widgets import DataTable, Input, Static

from pylee_tui.models import AuditEvent
from pylee_tui.safe_text import escape

LIMIT = 500


def event_row(event: AuditEvent) -> tuple[str, str, str, str]:
    target = f"{event.target_type} {event.target_label}".strip()
    return (f"{event.created_at:%Y-%m-%d %H:%M:%S}", event.actor, event.action, target)


class AuditPane(Widget):
    BINDINGS = [Binding("slash", "filter", "Filter", id="audit.filter")]
    DEFAULT_CSS = """
    AuditPane { height: 1fr; }
    AuditPane #audit-title { text-style: bold; }
    AuditPane #audit-filter { margin: 1 0; }
    AuditPane DataTable { height: 1fr; }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.org_slug: str | None = None
        self._timer: Timer | None = None

    def compose(self) -> ComposeResult:
        yield Static("Audit log", id="audit-title")
        yield Input(placeholder="Filter by who, action or target…", id="audit-filter")
        yield DataTable(cursor_type="row", zebra_stripes=True, id="audit-table")

    def on_mount(self) -> None:
        self.query_one(DataTable).add_columns("When (UTC)", "Who", "Action", "Target")
        self.query_one(DataTable).focus()
        self.refresh_data()

    def show_org(self, org_slug: str) -> None:
        self.org_slug = org_slug
        if self.is_mounted:
            self.refresh_data()

    def refresh_data(self) -> None:
        if self.org_slug is None or not self.query("#audit-filter"):
            return
        query = self.query_one("#audit-filter", Input).value.strip()
        app = self.app
        app.call(  # type: ignore[attr-defined]
            app.services.audit.list_for_org,  # type: ignore[attr-defined]
            app.user,  # type: ignore[attr-defined]
            self.org_slug,
            limit=LIMIT,
            query=query,
            done=self._show,
        )

    def _show(self, events: list[AuditEvent]) -> None:
        table = self.query_one(DataTable)
        table.clear()
        for event in events:
            # Text cells: a label is shown as written, never read as markup
            table.add_row(*(Text(escape(cell)) for cell in event_row(event)), key=str(event.id))
        shown = f"{len(events)} event{'s' if len(events) != 1 else ''}"
        if len(events) == LIMIT:
            shown = f"the newest {LIMIT} events (filter to narrow)"
        self.query_one("#audit-title", Static).update(f"Audit log · {shown}, newest first")

    @on(Input.Changed, "#audit-filter")
    def _filter_changed(self) -> None:
        if self._timer is not None:
            self._timer.stop()
        self._timer = self.set_timer(0.15, self.refresh_data)

    def action_filter(self) -> None:
        self.query_one("#audit-filter", Input).focus()
