"""Section 5 of the org screen: the append-only audit log, newest first, filterable as you type.

Keys: enter shows the whole event, j/k move, / filter (escape clears it and goes back to the
table).

An org's log runs to 100,000 events and more: the table holds the newest page, and the next one
is read (in a worker, below the last event shown) as the cursor or the scroll comes near its end.
Each keystroke in the filter asks for a new first page at once; a newer keystroke cancels the
older read, whose search in the database stops there (`stop`), so the last letter typed is the
one that answers.
"""

from __future__ import annotations

from dataclasses import dataclass

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import Input, Static
from textual.worker import get_current_worker

from pylee_tui.dialogs.audit_event import AuditEventScreen
from pylee_tui.models import AuditEvent
from pylee_tui.sections.base import OrgSection
from pylee_tui.services.audit import LIMIT_MAX, query_matches, query_narrows
from pylee_tui.widgets.row_table import TableRows, VirtualTable

PAGE = 100  # events read at a time: a few screens
MARGIN = 30  # rows before the end of what is shown at which the next page is read
COLUMNS = ("When (UTC)", "Who", "Action", "Target")


def event_row(event: AuditEvent) -> tuple[str, str, str, str]:
    target = f"{event.target_type} {event.target_label}".strip()
    return (f"{event.created_at:%Y-%m-%d %H:%M:%S}", event.actor, event.action, target)


@dataclass(frozen=True)
class Page:
    """Events read, and their rows ready to draw (escaped, measured: in the worker)."""

    events: list[AuditEvent]
    rows: TableRows

    @classmethod
    def of(cls, events: list[AuditEvent]) -> Page:
        keys = [str(event.id) for event in events]
        return cls(events, TableRows.build(COLUMNS, [event_row(e) for e in events], keys))


def joined(shown: TableRows, page: TableRows) -> TableRows:
    """The rows shown with a page read below them."""
    widths = tuple(max(a, b) for a, b in zip(shown.widths, page.widths, strict=True))
    return TableRows([*shown.cells, *page.cells], [*shown.keys, *page.keys], widths)


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
    AuditPane VirtualTable { height: 1fr; }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.org_slug: str | None = None
        self.events: dict[str, AuditEvent] = {}
        self.shown: tuple[str | None, str] | None = None  # the org and filter of the rows shown
        self.asked: tuple[str | None, str] | None = None  # ... of the first page asked for last
        self.more = False  # older events than those shown may match
        self.reading_more = False
        self._loaded_once = False

    def compose(self) -> ComposeResult:
        yield Static("Audit log", id="audit-title")
        yield Input(placeholder="Filter by who, action or target…", id="audit-filter")
        yield VirtualTable(COLUMNS, id="audit-table")

    @property
    def table(self) -> VirtualTable:
        return self.query_one("#audit-table", VirtualTable)

    def on_mount(self) -> None:
        self.table.focus()
        # a wheel or a scroll bar moves the view without the cursor: read on there too
        self.watch(self.table, "scroll_y", self._scrolled, init=False)
        self.refresh_data()

    def show_org(self, org_slug: str) -> None:
        if org_slug != self.org_slug:
            self._loaded_once = False
        self.org_slug = org_slug
        if self.is_mounted:
            self.refresh_data()

    @property
    def settled(self) -> bool:
        """Every read asked for has been shown (what a test or a benchmark waits for)."""
        return self.shown == self.asked and not self.reading_more

    # --- reading -----------------------------------------------------------------------------

    def _read(self, org_slug: str, query: str, before: int | None, limit: int) -> Page:
        """One page, in a worker; it stops reading when a newer read of its group replaces it."""
        worker = get_current_worker()
        events = self.services.audit.list_for_org(
            self.user,
            org_slug,
            limit=limit,
            query=query,
            before=before,
            stop=lambda: worker.is_cancelled,
        )
        return Page.of(events)

    def refresh_data(self, *, typed: bool = False) -> None:
        """The first page for the filter as typed; after a change elsewhere, as many events as
        are shown, so the cursor keeps its place. A filter typed on from one whose events were
        all read is answered from them (`_narrowed`), without searching the log again."""
        if self.org_slug is None or not self.query("#audit-filter"):
            return
        query = self.query_one("#audit-filter", Input).value.strip()
        asked = (self.org_slug, query)
        if typed and self._narrowed(asked):
            return
        limit = min(max(PAGE, len(self.events)), LIMIT_MAX) if asked == self.shown else PAGE
        if not self._loaded_once:
            # the first listing of an org can take a moment: say so rather than show nothing
            self.table.loading = True
        self.asked = asked
        self.pylee_app.cancel_calls("audit-more")  # a page below rows about to be replaced
        self.reading_more = False
        self.pylee_app.call(
            self._read,
            self.org_slug,
            query,
            None,
            limit,
            done=lambda page: self._show(asked, page, more=len(page.events) == limit),
            failed=self._failed,
            group="audit-log",
        )

    def _narrowed(self, asked: tuple[str | None, str]) -> bool:
        """Show the events of the filter `asked` by keeping those of the rows shown that match
        it, when that is the whole answer: every event of the filter before was read (no more
        below), and the filter was typed on from it. A filter of 15 letters then searches the
        log once, not 15 times (each a read of every event, for a rare word)."""
        shown = self.shown
        if (
            shown is None
            or shown != self.asked  # a read is on its way
            or self.more
            or shown[0] != asked[0]
            or not query_narrows(shown[1], asked[1])
        ):
            return False
        query = asked[1]
        kept = [event for event in self.events.values() if query_matches(event, query)]
        self.asked = asked
        self.pylee_app.cancel_calls("audit-log")
        self._show(asked, Page.of(kept), more=False)
        return True

    def _read_more(self) -> None:
        """The next page, below the last event shown, when there may be one."""
        if not self.more or self.reading_more or self.shown != self.asked or not self.events:
            return
        shown = self.shown
        assert shown is not None and shown[0] is not None
        last = int(next(reversed(self.events)))
        self.reading_more = True
        self.pylee_app.call(
            self._read,
            shown[0],
            shown[1],
            last,
            PAGE,
            done=lambda page: self._add(shown, last, page),
            failed=self._failed,
            group="audit-more",
        )

    def _near_the_end(self) -> bool:
        """The cursor, or the bottom of the view, is within MARGIN rows of the last row."""
        table = self.table
        bottom = round(table.scroll_y) + table.scrollable_content_region.height
        return table.row_count - max(table.cursor_row, bottom) <= MARGIN

    def _scrolled(self) -> None:
        if self.more and self._near_the_end():
            self._read_more()

    @on(VirtualTable.RowHighlighted, "#audit-table")
    def _moved(self) -> None:
        if self.more and self._near_the_end():
            self._read_more()

    def _failed(self, exc: Exception) -> None:
        self.reading_more = False
        self.table.loading = False
        self.screen.refresh_bindings()
        self.notify(str(exc), severity="error", title="Could not load the audit log")

    # --- showing -----------------------------------------------------------------------------

    def _show(self, asked: tuple[str | None, str], page: Page, *, more: bool) -> None:
        if asked != self.asked:
            return  # a newer filter was typed meanwhile
        table = self.table
        if table.loading:
            table.loading = False
            # a loading widget is left out of the key chain: the footer shows this pane's
            # keys again only once it is asked to
            self.screen.refresh_bindings()
        self._loaded_once = True
        keep = table.cursor_key
        self.events = {str(event.id): event for event in page.events}
        self.shown = asked
        self.more = more
        table.show_rows(page.rows, keep=keep)
        self._title()
        if self.more and self._near_the_end():
            self._read_more()  # a tall terminal shows the whole first page

    def _add(self, shown: tuple[str | None, str], last: int, page: Page) -> None:
        self.reading_more = False
        if shown != self.shown or not self.events or int(next(reversed(self.events))) != last:
            return  # the rows were replaced meanwhile
        self.more = len(page.events) == PAGE
        self.events.update((str(event.id), event) for event in page.events)
        table = self.table
        table.show_rows(joined(table.rows, page.rows))
        self._title()
        if self.more and self._near_the_end():
            self._read_more()  # the cursor went to the end again meanwhile

    def _title(self) -> None:
        count = len(self.events)
        shown = f"{count:,} event{'s' if count != 1 else ''}, newest first"
        if self.more:
            shown = f"the newest {count:,} events, more as you scroll"
        hint = " · enter shows one" if count else ""
        self.query_one("#audit-title", Static).update(f"Audit log · {shown}{hint}")

    @property
    def selected(self) -> AuditEvent | None:
        if not self.query("#audit-table"):
            return None
        key = self.table.cursor_key
        return self.events.get(key) if key is not None else None

    # --- the filter --------------------------------------------------------------------------

    @on(Input.Changed, "#audit-filter")
    def _filter_changed(self) -> None:
        self.refresh_data(typed=True)  # at once: a newer keystroke cancels the read of this one

    @on(Input.Submitted, "#audit-filter")
    def _filter_done(self) -> None:
        self.table.focus()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "leave_filter":
            filter_input = self.query_one("#audit-filter", Input)
            return filter_input.has_focus or bool(filter_input.value)
        return True

    def action_filter(self) -> None:
        self.query_one("#audit-filter", Input).focus()

    def action_leave_filter(self) -> None:
        self.query_one("#audit-filter", Input).value = ""
        self.table.focus()

    def action_details(self) -> None:
        event = self.selected
        if event is not None:
            self.app.push_screen(AuditEventScreen(event))

    @on(VirtualTable.RowSelected, "#audit-table")
    def _row_chosen(self, event: VirtualTable.RowSelected) -> None:
        # enter, or a click on the row under the cursor
        event.stop()
        self.action_details()
