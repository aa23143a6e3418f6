"""The footer at 80 columns: Help and Quit first, and nothing stray in the last column."""

from __future__ import annotations

from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.widgets import Static

from pylee_tui.widgets.footer import PyleeFooter


class Busy(App[None]):
    """More keys than 80 columns hold, like a section of the org screen."""

    BINDINGS = [
        Binding("question_mark", "help", "Help"),
        Binding("ctrl+q", "quit", "Quit"),
    ]

    def compose(self) -> ComposeResult:
        yield Keys()
        yield PyleeFooter()

    def action_help(self) -> None:
        pass


class Keys(Static, can_focus=True):
    BINDINGS = [
        Binding(key, f"noop('{key}')", name)
        for key, name in [
            ("n", "New"),
            ("r", "Rename"),
            ("d", "Delete"),
            ("m", "Move"),
            ("slash", "Filter"),
            ("i", "Import"),
            ("e", "Edit"),
            ("x", "Export"),
            ("o", "Orgs"),
            ("s", "Settings"),
        ]
    ]

    def action_noop(self, key: str) -> None:
        pass


def footer_line(app: App) -> str:
    update = app.screen._compositor.render_full_update()
    return "".join(s.text for strip in list(update.strips)[-1] for s in strip)


async def test_help_and_quit_come_first_and_the_last_column_is_clean() -> None:
    app = Busy()
    async with app.run_test(size=(80, 5)) as pilot:
        app.query_one(Keys).focus()
        await pilot.pause()
        line = footer_line(app)
        assert line.startswith("? Help ^q Quit n New"), line
        assert line.rstrip().endswith("^p palette"), line
        assert line[-1] == " ", line  # the cell beside the palette key is painted
