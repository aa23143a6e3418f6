"""One audit event in full: who, what, when, its target and every metadata entry (an export's
path and servers, the keys a change touched). Everything stored is shown escaped, never as
markup; one OK button closes it."""

from __future__ import annotations

import json
from typing import Any

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Button, Static

from pylee_tui.models import AuditEvent
from pylee_tui.safe_text import escape
from pylee_tui.widgets.typeahead import TypeAhead


def metadata_value(value: Any) -> list[str]:
    """A metadata value as lines to show: a list of names one per line, nested values as JSON."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, list) and all(isinstance(item, str) for item in value):
        return list(value) if value else ["(none)"]
    return [json.dumps(value, sort_keys=True, ensure_ascii=False)]


def event_fields(event: AuditEvent) -> list[tuple[str, list[str]]]:
    """(label, lines) of what every event has: when, who, what, where, on what."""
    fields = [
        ("When (UTC)", f"{event.created_at:%Y-%m-%d %H:%M:%S.%f}"),
        ("Who", event.actor),
        ("Action", event.action),
        ("Organization", event.org_slug or "—"),
        ("Target", f"{event.target_type} {event.target_label}".strip() or "—"),
    ]
    if event.target_id is not None and event.target_id != event.target_label:
        fields.append(("Target id", event.target_id))
    return [(label, [value]) for label, value in fields]


def metadata_fields(event: AuditEvent) -> list[tuple[str, list[str]]]:
    """(key, lines) of the event's metadata, sorted by key."""
    return [(str(key), metadata_value(event.metadata[key])) for key in sorted(event.metadata)]


def value_text(lines: list[str]) -> Text:
    # each stored string escaped on its own (a line break in it shows as \\n): one per line
    return Text("\n".join(escape(line) for line in lines))


class AuditEventScreen(TypeAhead, ModalScreen[None]):
    AUTO_FOCUS = "#audit-event-ok"
    BINDINGS = [
        Binding("escape", "close", "Close", id="audit_event.close"),
        # the OK button has focus: these scroll a long event without leaving it
        Binding("down,j", "scroll(1)", "Scroll down", show=False, id="audit_event.down"),
        Binding("up,k", "scroll(-1)", "Scroll up", show=False, id="audit_event.up"),
        Binding("pagedown", "scroll(10)", "Page down", show=False, id="audit_event.page_down"),
        Binding("pageup", "scroll(-10)", "Page up", show=False, id="audit_event.page_up"),
    ]
    CSS_PATH = "audit_event.tcss"

    def __init__(self, event: AuditEvent) -> None:
        super().__init__()
        self.event = event

    def compose(self) -> ComposeResult:
        groups = [event_fields(self.event), metadata_fields(self.event)]
        width = max(len(escape(label)) for group in groups for label, _ in group) + 2
        with Vertical(classes="dialog"):
            yield Static(
                Text(f"Audit event #{self.event.id}"), classes="dialog-title", markup=False
            )
            with VerticalScroll(classes="dialog-body", id="audit-event-fields"):
                for index, group in enumerate(groups):
                    if index and group:
                        yield Static("", classes="audit-gap")  # the metadata, apart
                    for label, lines in group:
                        # label and value side by side: a long value wraps in its own column
                        with Horizontal(classes="audit-field"):
                            name = Static(Text(escape(label)), classes="audit-label", markup=False)
                            name.styles.width = width
                            yield name
                            yield Static(value_text(lines), classes="audit-value", markup=False)
            with Horizontal(classes="dialog-buttons"):
                yield Button("OK", id="audit-event-ok", variant="primary")

    def action_scroll(self, lines: int) -> None:
        body = self.query_one("#audit-event-fields", VerticalScroll)
        body.scroll_relative(y=lines, animate=False)

    @on(Button.Pressed, "#audit-event-ok")
    def action_close(self) -> None:
        self.dismiss(None)
