"""The app's footer: Textual's, with what matters first, so a narrow terminal never hides it.

Textual orders footer keys from the focused widget up to the app, so at 80 columns the app's own
`? Help` and `^q Quit` fall off the end. Here they come first; the screen's keys follow as far as
they fit, and `?` lists every key anyway. Its compact form also leaves no unpainted cell beside the
palette key (Textual's margin there let an overflowing key's letter show in the last column).
"""

from __future__ import annotations

from textual.app import ComposeResult
from textual.widgets import Footer
from textual.widgets._footer import FooterKey

FIRST = ("help", "app.help", "quit", "app.quit")


class PyleeFooter(Footer):
    DEFAULT_CSS = """
    PyleeFooter.-compact FooterKey.-command-palette {
        margin-right: 0;
        padding-right: 1;
    }
    """

    def __init__(self, *, compact: bool = True, **kwargs) -> None:
        super().__init__(compact=compact, **kwargs)

    def compose(self) -> ComposeResult:
        keys = list(super().compose())

        def rank(widget) -> int:
            if isinstance(widget, FooterKey) and widget.action in FIRST:
                return FIRST.index(widget.action) // 2
            return len(FIRST)

        # a stable sort: everything else keeps Textual's order (the palette key docks right)
        yield from sorted(keys, key=rank)
