"""Shown when the app cannot start: a store that cannot be opened, a bad --as address."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import Screen
from textual.widgets import Static

from pylee_tui.widgets.footer import PyleeFooter


class StartupErrorScreen(Screen[None]):
    BINDINGS = [Binding("q,escape", "app.quit", "Quit", id="error.quit")]
    SHOWS_NO_ORG = True  # the store did not open: no org screen below (the app imports it lazily)

    def __init__(self, message: str) -> None:
        super().__init__()
        self.message = message

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog danger"):
            yield Static("pylee-tui cannot start", classes="dialog-title")
            yield Static(self.message, classes="dialog-message", markup=False)
            yield Static("Nothing was changed. Press q to quit.", classes="dialog-hint")
        yield PyleeFooter()
