"""The org screen's tab bar: every section reachable by its number and shown at any width."""

from __future__ import annotations

import pytest
from textual.app import App, ComposeResult

from pylee_tui.screens.org import SECTIONS
from pylee_tui.widgets.section_bar import SectionBar


class BarApp(App[None]):
    def compose(self) -> ComposeResult:
        yield SectionBar(SECTIONS, id="bar")


@pytest.mark.parametrize("width", [60, 80, 120])
async def test_every_section_number_shows_and_the_active_one_is_named(width: int) -> None:
    app = BarApp()
    async with app.run_test(size=(width, 3)) as pilot:
        bar = app.query_one(SectionBar)
        bar.active = SECTIONS[-1][0]
        await pilot.pause()
        line = str(bar.render())
        assert len(line) <= bar.size.width, line
        for number in range(1, len(SECTIONS) + 1):
            assert str(number) in line
        assert SECTIONS[-1][1] in line  # the section shown, by its name
        if width >= 120:  # room for every name
            assert all(label in line for _key, label in SECTIONS)
