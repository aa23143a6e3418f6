"""Pick one item from a list: a registry to move a server to, a role, a vault scope.

A list longer than a screenful's glance gets a filter: type to narrow it (fuzzy, the matched
letters highlighted), up/down (or j/k in the list) move, enter picks the highlighted item,
escape cancels. Tab moves between the filter and the list; a letter typed in the list goes to
the filter.
"""

from __future__ import annotations

import re

from rich.text import Text
from textual import events, on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.fuzzy import FuzzySearch
from textual.screen import ModalScreen
from textual.widgets import Input, OptionList, Static
from textual.widgets.option_list import Option

from pylee_tui.safe_text import escape
from pylee_tui.widgets.typeahead import TypeAhead

FILTER_FROM = 9  # lists at least this long get a filter; shorter ones are read at a glance


def rank(items: list[tuple[str, str]], query: str) -> list[tuple[str, str, tuple[int, ...]]]:
    """(id, label, matched offsets) of the items whose label matches `query`, any case: first
    those holding it as a whole word, then as a part of a word, then fuzzy matches (letters in
    order), best first within each, ties in their own order. Every item for an empty query."""
    query = query.strip()
    if not query:
        return [(key, label, ()) for key, label in items]
    search = FuzzySearch(case_sensitive=False)
    wanted = query.lower()
    scored = []
    for position, (key, label) in enumerate(items):
        at = label.lower().find(wanted)
        if at >= 0:
            words = re.finditer(rf"(?<![A-Za-z0-9]){re.escape(wanted)}(?![A-Za-z0-9])", label, re.I)
            first_word = next(words, None)
            if first_word is not None:
                at = first_word.start()
            offsets = tuple(range(at, at + len(wanted)))
            scored.append((0 if first_word else 1, 0.0, position, key, label, offsets))
            continue
        score, fuzzy = search.match(query, label)
        if score > 0:
            scored.append((2, -score, position, key, label, tuple(fuzzy)))
    scored.sort(key=lambda item: item[:3])
    return [(key, label, offsets) for *_order, key, label, offsets in scored]


def prompt(label: str, offsets: tuple[int, ...]) -> Text:
    text = Text(label)
    for offset in offsets:
        if not label[offset].isspace():
            text.stylize("reverse bold", offset, offset + 1)
    return text


class PickScreen(TypeAhead, ModalScreen[str | None]):
    """Dismisses with the id of the chosen item, or None."""

    CSS_PATH = "pick.tcss"
    BINDINGS = [
        Binding("escape", "cancel", "Cancel", id="pick.cancel"),
        Binding("down", "move(1)", "Down", show=False, id="pick.down"),
        Binding("up", "move(-1)", "Up", show=False, id="pick.up"),
        Binding("pagedown", "move(10)", "Page down", show=False, id="pick.page_down"),
        Binding("pageup", "move(-10)", "Page up", show=False, id="pick.page_up"),
        Binding("j", "move(1)", "Down", show=False, id="pick.j"),
        Binding("k", "move(-1)", "Up", show=False, id="pick.k"),
    ]

    def __init__(
        self,
        title: str,
        items: list[tuple[str, str]],
        *,
        highlight: str | None = None,
        offer_filter: bool | None = None,
    ) -> None:
        """`items`: (id, label); `highlight`: the id the cursor starts on; `offer_filter`:
        whether to offer a filter (by default for lists of FILTER_FROM items or more)."""
        super().__init__()
        self.title_text = title
        self.items = [(key, escape(label)) for key, label in items]
        self.start = highlight
        self.filtered = len(items) >= FILTER_FROM if offer_filter is None else offer_filter
        self.shown: list[str] = []
        # focused as it opens: keys typed at once (a filter, j/k, enter) reach it in order
        # a class variable to the type checker; Textual reads it from the instance
        self.AUTO_FOCUS = "#pick-filter" if self.filtered else "#pick-list"  # type: ignore[misc]

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog pick"):
            yield Static(escape(self.title_text), classes="dialog-title", markup=False)
            if self.filtered:
                yield Input(placeholder="type to filter", id="pick-filter", select_on_focus=False)
            yield OptionList(id="pick-list")
            yield Static(
                "↑↓ move · enter choose · esc cancel · tab: to the list (j/k)"
                if self.filtered
                else "↑↓ or j/k move · enter choose · esc cancel",
                classes="dialog-hint",
            )

    def on_mount(self) -> None:
        self._refill("")

    def _refill(self, query: str) -> None:
        options = self.query_one(OptionList)
        options.clear_options()
        ranked = rank(self.items, query)
        self.shown = [key for key, _label, _offsets in ranked]
        options.add_options(
            [Option(prompt(label, offsets), id=key) for key, label, offsets in ranked]
        )
        if not ranked:
            options.add_option(
                Option(Text(f"Nothing matches “{query}”.", style="dim"), disabled=True)
            )
            return
        start = self.start if not query and self.start in self.shown else None
        options.highlighted = self.shown.index(start) if start is not None else 0

    @on(Input.Changed, "#pick-filter")
    def _filter(self, event: Input.Changed) -> None:
        self._refill(event.value)

    @on(Input.Submitted, "#pick-filter")
    def _enter_in_filter(self) -> None:
        options = self.query_one(OptionList)
        if options.highlighted is not None and self.shown:
            self.dismiss(self.shown[options.highlighted])

    @on(OptionList.OptionSelected, "#pick-list")
    def _chosen(self, event: OptionList.OptionSelected) -> None:
        if event.option.id:
            self.dismiss(event.option.id)

    def on_key(self, event: events.Key) -> None:
        # type-to-filter from the list: a printable key but j/k goes to the filter
        if not self.filtered or not isinstance(self.focused, OptionList):
            return
        if not event.is_printable or event.character in (None, "j", "k"):
            return
        event.stop()
        event.prevent_default()
        field = self.query_one("#pick-filter", Input)
        field.focus()
        field.insert_text_at_cursor(event.character)

    def action_move(self, delta: int) -> None:
        options = self.query_one(OptionList)
        if not self.shown:
            return
        current = options.highlighted if options.highlighted is not None else 0
        options.highlighted = max(0, min(len(self.shown) - 1, current + delta))

    def action_cancel(self) -> None:
        self.dismiss(None)
