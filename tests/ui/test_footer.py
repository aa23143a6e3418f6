"""The footer at 80 columns: Help and Quit first, and nothing stray in the last column."""

from __future__ import annotations

import pytest
from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.widgets import Static

from pylee_tui.app import PyleeApp
from pylee_tui.widgets.footer import PyleeFooter
from tests.support import ANN, with_services
from tests.ui.pilot import settle


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


@pytest.mark.parametrize("size", [(120, 36), (80, 24)])
async def test_each_section_shows_its_own_keys_after_switching(db_path, size) -> None:
    """The footer changes its keys in place on a section switch: what it shows is what a footer
    built afresh for that section shows."""
    with_services(db_path, lambda s: s.orgs.create(ANN, "Acme"))
    app = PyleeApp(db_path=db_path, user=ANN, watch_interval=3600)
    async with app.run_test(size=size) as pilot:
        await settle(pilot)
        seen = {}
        for key in ("2", "3", "4", "5", "1", "2", "1"):
            await pilot.press(key)
            await settle(pilot)
            line = footer_line(app)
            footer = app.screen.query_one(PyleeFooter)
            footer.call_later(footer.recompose)  # built afresh, in its own context
            await settle(pilot)
            assert footer_line(app) == line, key
            seen[key] = line
        assert all(line.startswith("? Help ^q Quit") for line in seen.values())
        assert len({seen["1"], seen["2"], seen["3"]}) == 3  # each section its own keys
