"""A message line under a field of a dialog: shown when it says something, taking no room when
empty (so the dialogs fit 80x24)."""

from __future__ import annotations

from rich.text import Text
from textual.screen import ModalScreen
from textual.widgets import Static


def say(widget: Static, message: str | Text) -> None:
    """Show a message under a field; an empty one takes no room, so the dialogs fit 80x24."""
    widget.update(message)
    widget.display = bool(str(message))


def hide_empty_messages(screen: ModalScreen) -> None:
    for widget in screen.query(".field-error, .form-error, .field-hint").results(Static):
        widget.display = bool(str(widget.render()))
