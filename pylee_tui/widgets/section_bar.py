"""A one-line tab bar for the org sections: one widget, no animation, clickable labels."""

from __future__ import annotations

from rich.text import Text
from textual.events import Click
from textual.message import Message
from textual.reactive import reactive
from textual.widget import Widget


class SectionBar(Widget):
    """Shows `1 Overview  2 Registries ...` with the active section highlighted."""

    DEFAULT_CSS = """
    SectionBar {
        height: 1;
        background: $panel;
        padding: 0 1;
    }
    """

    active: reactive[str] = reactive("")

    class Chosen(Message):
        def __init__(self, key: str) -> None:
            super().__init__()
            self.key = key

    def __init__(self, sections: tuple[tuple[str, str], ...], *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.sections = sections
        self.active = sections[0][0]
        self._spans: list[tuple[int, int, str]] = []

    def render(self) -> Text:
        # as roomy as the width allows: every label padded, then only the active one, then
        # the inactive ones as their number alone (seven sections need 90 columns padded)
        width = self.size.width
        for padded_all, numbers_only in ((True, False), (False, False), (False, True)):
            text = self._labels(padded_all, numbers_only)
            if width <= 0 or text.cell_len <= width:
                return text
        return text

    def _labels(self, padded_all: bool, numbers_only: bool) -> Text:
        text = Text()
        self._spans = []
        for number, (key, label) in enumerate(self.sections, 1):
            start = text.cell_len
            active = key == self.active
            shown = f"{number}" if numbers_only and not active else f"{number} {label}"
            piece = f" {shown} " if padded_all or active else shown
            text.append(piece, style="bold reverse" if active else "dim")
            self._spans.append((start, text.cell_len, key))
            text.append(" ")
        text.rstrip()
        return text

    def on_click(self, event: Click) -> None:
        x = event.x - self.styles.padding.left
        for start, end, key in self._spans:
            if start <= x < end:
                self.post_message(self.Chosen(key))
                return
