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
        text = Text()
        self._spans = []
        for number, (key, label) in enumerate(self.sections, 1):
            start = text.cell_len
            piece = f" {number} {label} "
            if key == self.active:
                text.append(piece, style="bold reverse")
            else:
                text.append(piece, style="dim")
            self._spans.append((start, text.cell_len, key))
            text.append(" ")
        return text

    def on_click(self, event: Click) -> None:
        x = event.x - self.styles.padding.left
        for start, end, key in self._spans:
            if start <= x < end:
                self.post_message(self.Chosen(key))
                return
