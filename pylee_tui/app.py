"""PyleeApp: the Textual application."""

from __future__ import annotations

from pathlib import Path

from textual.app import App, ComposeResult
from textual.widgets import Footer, Header, Static


class PyleeApp(App):
    TITLE = "pylee-tui"

    def __init__(self, db_path: str | Path, user: str | None = None):
        super().__init__()
        self.db_path = Path(db_path)
        self.user = user

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static("pylee-tui")
        yield Footer()


def run_app(db_path: Path, user: str | None) -> int:
    PyleeApp(db_path=db_path, user=user).run()
    return 0
