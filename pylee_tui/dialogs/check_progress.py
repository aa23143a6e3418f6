"""The wait for a registry's check: a progress bar, the last server that answered, and the
summary at the end. Escape stops waiting, not the check: its results are still kept."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import ProgressBar, Static

from pylee_tui.safe_text import escape


class CheckProgressScreen(ModalScreen[None]):
    BINDINGS = [
        Binding("escape", "close", "Close", id="check_progress.close"),
        Binding("enter", "close", "Close", show=False, id="check_progress.done"),
    ]
    DEFAULT_CSS = """
    CheckProgressScreen #check-progress-bar { margin-bottom: 1; }
    CheckProgressScreen #check-summary { text-style: bold; }
    """

    def __init__(self, title: str, total: int) -> None:
        super().__init__()
        self.title_text, self.total = title, total
        self.finished = False
        self.summary = ""

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog", id="check-progress"):
            yield Static(escape(self.title_text), classes="dialog-title", markup=False)
            yield ProgressBar(total=self.total or None, id="check-progress-bar")
            yield Static("Starting…", id="check-last", markup=False)
            yield Static("", id="check-summary", markup=False)
            yield Static(
                "escape: stop waiting (the check goes on; its results are kept)",
                id="check-hint",
                classes="dialog-hint",
                markup=False,
            )

    def advance(self, done: int, total: int, server: str, state: str) -> None:
        """One more server answered (called on the UI thread)."""
        if not self.is_attached:
            return
        self.query_one(ProgressBar).update(total=total, progress=done)
        self.query_one("#check-last", Static).update(
            Text(escape(f"{done}/{total}  {server}: {state}"))
        )

    def finish(self, summary: str) -> None:
        self.finished, self.summary = True, summary
        self.query_one(ProgressBar).update(total=self.total or 1, progress=self.total or 1)
        self.query_one("#check-summary", Static).update(Text(escape(summary)))
        self.query_one("#check-hint", Static).update("enter or escape: close")

    def action_close(self) -> None:
        self.dismiss()
