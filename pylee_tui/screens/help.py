"""Help: the keys of the screen you came from, generated from its live bindings."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen, Screen
from textual.widgets import DataTable, Static


def binding_rows(screen: Screen) -> list[tuple[str, str, str]]:
    """(key, what it does, note) for every binding active on `screen`, app bindings included."""
    rows: list[tuple[str, str, str]] = []
    seen: set[tuple[str, str]] = set()
    for active in screen.active_bindings.values():
        binding = active.binding
        description = binding.description or binding.action
        if (binding.action, description) in seen and not binding.description:
            continue
        seen.add((binding.action, description))
        note = active.tooltip or binding.tooltip or ""
        if not active.enabled:
            note = f"{note} (not available to you here)".strip()
        rows.append((screen.app.get_key_display(binding), description, note))
    return rows


class HelpScreen(ModalScreen[None]):
    BINDINGS = [
        Binding("escape,q,question_mark", "close", "Close", id="help.close"),
    ]

    def __init__(self, for_screen: Screen) -> None:
        super().__init__()
        self.rows = binding_rows(for_screen)
        self.for_title = getattr(for_screen, "HELP_TITLE", "")

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog help"):
            yield Static(
                f"Keys{': ' + self.for_title if self.for_title else ''}", classes="dialog-title"
            )
            yield DataTable(cursor_type="row", zebra_stripes=True, id="help-table")
            yield Static("Press escape to close.", classes="dialog-hint")

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        table.add_columns("Key", "Action", "")
        for row in self.rows:
            table.add_row(*row)
        table.focus()

    def action_close(self) -> None:
        self.dismiss(None)
