"""A destructive action confirmed by typing a word (the org slug) exactly."""

from __future__ import annotations

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Static

from pylee_tui.safe_text import escape
from pylee_tui.widgets.typeahead import TypeAhead


class TypeToConfirmScreen(TypeAhead, ModalScreen[bool]):
    AUTO_FOCUS = "#confirm-word"
    BINDINGS = [Binding("escape", "cancel", "Cancel", id="confirm.cancel")]

    def __init__(self, title: str, message: str, word: str, action_label: str = "Delete") -> None:
        super().__init__()
        self.title_text = title
        self.message = message
        self.word = word
        self.action_label = action_label

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog danger"):
            yield Static(escape(self.title_text), classes="dialog-title", markup=False)
            yield Static(
                escape(self.message, multiline=True), classes="dialog-message", markup=False
            )
            yield Static(
                Text.assemble("Type ", (escape(self.word), "bold"), " to confirm:"),
                classes="dialog-message",
            )
            yield Input(id="confirm-word")
            with Horizontal(classes="dialog-buttons"):
                yield Button(self.action_label, id="confirm-yes", variant="error", disabled=True)
                yield Button("Cancel", id="confirm-no")

    @on(Input.Changed, "#confirm-word")
    def _typed(self, event: Input.Changed) -> None:
        self.query_one("#confirm-yes", Button).disabled = event.value != self.word

    @on(Input.Submitted, "#confirm-word")
    def _submitted(self, event: Input.Submitted) -> None:
        if event.value == self.word:
            self.dismiss(True)

    @on(Button.Pressed, "#confirm-yes")
    def _yes(self) -> None:
        self.dismiss(True)

    @on(Button.Pressed, "#confirm-no")
    def action_cancel(self) -> None:
        self.dismiss(False)
