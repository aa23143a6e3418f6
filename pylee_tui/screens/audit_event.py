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
from pylee_tui.screens.typeahead import TypeAhead


def metadata_value(value: Any) -> str:
    """A metadata value as one readable string: lists joined, nested values as JSON."""
    if isinstance(value, str):
        return value
    if isinstance(value, list) and all(isinstance(item, str) for item in value):
        return ", ".join(value) if value else "(none)"
    return json.dumps(value, sort_keys=True, ensure_ascii=False)


def event_fields(event: AuditEvent) -> list[tuple[str, str]]:
    """(label, value) of what every event has: when, who, what, where, on what."""
    fields = [
        ("When (UTC)", f"{event.created_at:%Y-%m-%d %H:%M:%S.%f}"),
        ("Who", event.actor),
        ("Action", event.action),
        ("Organization", event.org_slug or "—"),
        ("Target", f"{event.target_type} {event.target_label}".strip() or "—"),
    ]
    if event.target_id is not None and event.target_id != event.target_label:
        fields.append(("Target id", event.target_id))
    return fields


def metadata_fields(event: AuditEvent) -> list[tuple[str, str]]:
    """(key, value) of the event's metadata, sorted by key."""
    return [(str(key), metadata_value(event.metadata[key])) for key in sorted(event.metadata)]


def event_text(event: AuditEvent) -> Text:
    groups = [event_fields(event), metadata_fields(event)]
    width = max(len(escape(label)) for group in groups for label, _ in group)
    lines: list[Text] = []
    for group in groups:
        if group and lines:
            lines.append(Text())  # the metadata, apart from what every event has
        for label, value in group:
            # stored text shown escaped (a line break as \\n): one value, one line
            lines.append(Text.assemble((f"{escape(label):<{width}}  ", "bold"), escape(value)))
    return Text("\n").join(lines)


class AuditEventScreen(TypeAhead, ModalScreen[None]):
    AUTO_FOCUS = "#audit-event-ok"
    BINDINGS = [Binding("escape", "close", "Close", id="audit_event.close")]

    def __init__(self, event: AuditEvent) -> None:
        super().__init__()
        self.event = event

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Static(
                Text(f"Audit event #{self.event.id}"), classes="dialog-title", markup=False
            )
            with VerticalScroll(classes="dialog-body"):
                yield Static(event_text(self.event), id="audit-event-text", markup=False)
            with Horizontal(classes="dialog-buttons"):
                yield Button("OK", id="audit-event-ok", variant="primary")

    @on(Button.Pressed, "#audit-event-ok")
    def action_close(self) -> None:
        self.dismiss(None)
