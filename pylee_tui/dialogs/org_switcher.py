"""The org switcher: every org you belong to, fuzzy filter as you type, enter to switch.

The filter has focus from the first key: anything typed right after `o` goes into it, so no key
is bound to a printable character here (ctrl+n makes a new org).
"""

from __future__ import annotations

from collections.abc import Callable

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.fuzzy import FuzzySearch
from textual.screen import ModalScreen
from textual.widgets import Input, OptionList, Static
from textual.widgets.option_list import Option

from pylee_tui.models import OrgSummary, plural
from pylee_tui.widgets.pylee_app import pylee_app
from pylee_tui.widgets.typeahead import TypeAhead

NEW_ORG = "__new__"


def org_label(org: OrgSummary) -> str:
    """The text an org is matched against and shown as: name, two spaces, slug."""
    return f"{org.name}  {org.slug}"


def rank_orgs(orgs: list[OrgSummary], query: str) -> list[tuple[OrgSummary, tuple[int, ...]]]:
    """Orgs matching `query` (fuzzy, case-insensitive), best first, with the matched offsets."""
    if not query.strip():
        return [(org, ()) for org in orgs]
    search = FuzzySearch(case_sensitive=False)
    scored = []
    for position, org in enumerate(orgs):
        score, offsets = search.match(query, org_label(org))
        if score > 0:
            scored.append((-score, position, org, tuple(offsets)))
    scored.sort(key=lambda item: (item[0], item[1]))
    return [(org, offsets) for _score, _pos, org, offsets in scored]


def org_prompt(org: OrgSummary, offsets: tuple[int, ...], current: bool) -> Text:
    label = org_label(org)
    text = Text()
    text.append("● " if current else "  ", style="bold green")
    text.append(org.name, style="bold")
    text.append(label[len(org.name) :], style="dim")
    for offset in offsets:
        if not label[offset].isspace():
            text.stylize("reverse bold", offset + 2, offset + 3)
    text.append(
        f"   {plural(org.registry_count, 'registry')} · {plural(org.member_count, 'member')}",
        style="dim italic",
    )
    return text


class OrgSwitcherScreen(TypeAhead, ModalScreen[str | None]):
    """Dismisses with the chosen org's slug, NEW_ORG to create one, or None.

    It opens at once with the orgs the caller already knows; `load`, when given, fetches them
    again (in a worker) and the list follows, keeping what was typed.
    """

    HELP_TITLE = "organization switcher"
    AUTO_FOCUS = "#switcher-filter"
    BINDINGS = [
        Binding("escape", "close", "Close", id="switcher.close"),
        Binding("down", "move(1)", "Down", show=False, id="switcher.down"),
        Binding("up", "move(-1)", "Up", show=False, id="switcher.up"),
        Binding("ctrl+n", "new", "New org", id="switcher.new"),
    ]

    def __init__(
        self,
        orgs: list[OrgSummary],
        current: str | None,
        *,
        load: Callable[[], list[OrgSummary]] | None = None,
    ) -> None:
        super().__init__()
        self.orgs = orgs
        self.current = current
        self.load = load
        self.shown: list[OrgSummary] = []

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog switcher"):
            yield Static("Switch organization", classes="dialog-title")
            yield Input(placeholder="Type to filter…", id="switcher-filter", select_on_focus=False)
            # never focused: typing stays in the filter, ↑↓ move here, a click chooses
            options = OptionList(id="switcher-list")
            options.can_focus = False
            yield options
            yield Static(
                "type to filter · ↑↓ move · enter switch · ctrl+n new org · esc close",
                classes="dialog-hint",
            )

    def on_mount(self) -> None:
        self._refill("")
        if self.load is not None:
            pylee_app(self).call(self.load, done=self._loaded)

    def _loaded(self, orgs: list[OrgSummary]) -> None:
        if not self.is_attached or orgs == self.orgs:  # the list shown is up to date
            return
        self.orgs = orgs
        self._refill(self.query_one("#switcher-filter", Input).value)

    def _refill(self, query: str) -> None:
        option_list = self.query_one(OptionList)
        option_list.clear_options()
        ranked = rank_orgs(self.orgs, query)
        self.shown = [org for org, _ in ranked]
        option_list.add_options(  # at once: each option added alone lays the list out again
            Option(org_prompt(org, offsets, org.slug == self.current), id=org.slug)
            for org, offsets in ranked
        )
        if not ranked:
            option_list.add_option(
                Option(Text(f"No organization matches “{query}”.", style="dim"), disabled=True)
            )
            return
        if query:
            option_list.highlighted = 0
        else:
            slugs = [org.slug for org in self.shown]
            option_list.highlighted = slugs.index(self.current) if self.current in slugs else 0
        option_list.scroll_to_highlight()

    @on(Input.Changed, "#switcher-filter")
    def _filter(self, event: Input.Changed) -> None:
        self._refill(event.value)

    @on(Input.Submitted, "#switcher-filter")
    def _enter_in_filter(self) -> None:
        self._choose_highlighted()

    @on(OptionList.OptionSelected, "#switcher-list")
    def _selected(self, event: OptionList.OptionSelected) -> None:
        if event.option.id:
            self.dismiss(event.option.id)

    def _choose_highlighted(self) -> None:
        option_list = self.query_one(OptionList)
        if option_list.highlighted is None or not self.shown:
            return
        option = option_list.get_option_at_index(option_list.highlighted)
        if option.id:
            self.dismiss(option.id)

    def action_move(self, delta: int) -> None:
        option_list = self.query_one(OptionList)
        if delta > 0:
            option_list.action_cursor_down()
        else:
            option_list.action_cursor_up()

    def action_new(self) -> None:
        self.dismiss(NEW_ORG)

    def action_close(self) -> None:
        self.dismiss(None)
