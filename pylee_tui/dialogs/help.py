"""Help: the keys of the screen you came from, generated from its live bindings.

Every binding in force is listed: the focused widget's, its containers', the screen's and the
app's, those hidden from the footer included. A key that does nothing now says why when its
widget can tell (`why_disabled`), else "(not available here)".
"""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen, Screen
from textual.widgets import DataTable, Static

from pylee_tui.widgets.typeahead import TypeAhead


def binding_rows(screen: Screen) -> list[tuple[str, str, str]]:
    """(keys, what they do, note) for every binding active on `screen`, app bindings included;
    keys doing the same thing share a row (`o, ctrl+o`)."""
    rows: dict[tuple[int, str, str], tuple[list[str], str, str]] = {}
    for active in screen.active_bindings.values():
        binding = active.binding
        description = binding.description or binding.action.replace("_", " ")
        note = active.tooltip or binding.tooltip or ""
        if not active.enabled:
            why = getattr(active.node, "why_disabled", None)
            reason = why(binding.action) if callable(why) else ""
            note = f"{note} ({reason or 'not available here'})".strip()
        key = screen.app.get_key_display(binding)
        slot = (id(active.node), binding.action, description)
        if slot in rows:
            keys, _description, _note = rows[slot]
            if key not in keys:
                keys.append(key)
        else:
            rows[slot] = ([key], description, note)
    return [(", ".join(keys), description, note) for keys, description, note in rows.values()]


class HelpScreen(TypeAhead, ModalScreen[None]):
    AUTO_FOCUS = "#help-table"
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
            table: DataTable[Text] = DataTable(
                cursor_type="row", zebra_stripes=True, id="help-table"
            )
            table.add_columns("Key", "Action", "")
            for row in self.rows:
                # Text: a key such as [ is shown, never read as markup
                table.add_row(*(Text(cell) for cell in row))
            yield table
            yield Static("Press escape to close.", classes="dialog-hint")

    def action_close(self) -> None:
        self.dismiss(None)
