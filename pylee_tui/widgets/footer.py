"""The app's footer: Textual's, with what matters first, so a narrow terminal never hides it.

Textual orders footer keys from the focused widget up to the app, so at 80 columns the app's own
`? Help` and `^q Quit` fall off the end. Here they come first; the screen's keys follow as far as
they fit, and `?` lists every key anyway. Its compact form also leaves no unpainted cell beside the
palette key (Textual's margin there let an overflowing key's letter show in the last column).

Textual's footer rebuilds its keys each time the bindings may have changed (a focus move, a
section shown, an org loaded: six times before the org home's first frame). This one rebuilds
once per frame at most, and only when the keys it shows did change.
"""

from __future__ import annotations

from typing import Any

from textual.app import ComposeResult
from textual.screen import Screen
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
        self._shown: tuple[Any, ...] | None = None  # the keys the last build showed
        self._rebuild_asked = False

    def compose(self) -> ComposeResult:
        keys = list(super().compose())

        def rank(widget) -> int:
            if isinstance(widget, FooterKey) and widget.action in FIRST:
                return FIRST.index(widget.action) // 2
            return len(FIRST)

        # a stable sort: everything else keeps Textual's order (the palette key docks right)
        yield from sorted(keys, key=rank)

    def bindings_changed(self, screen: Screen) -> None:
        self._bindings_ready = True
        if not screen.app.app_focus:
            return
        if self.is_attached and screen is self.screen and not self._rebuild_asked:
            self._rebuild_asked = True
            self.call_after_refresh(self._rebuild)

    async def _rebuild(self) -> None:
        self._rebuild_asked = False
        if not self.is_attached:
            return
        shown = self._keys_shown()
        if shown == self._shown:
            return
        first_build = self._shown is None
        self._shown = shown
        wanted = list(self.compose())  # widgets not mounted yet: cheap to make
        have = list(self.query_children(FooterKey))
        if first_build or not _plain_keys(wanted) or len(have) != len(self.children):
            await self.recompose()
            return
        # the keys already mounted take the new ones' text (mounting and styling a key is what
        # costs: a section switch changes most keys, rarely their number)
        mine, palette = _split(have)
        theirs, new_palette = _split([key for key in wanted if isinstance(key, FooterKey)])
        for old, new in zip(mine, theirs, strict=False):
            _take(old, new)
        if mine[len(theirs) :]:
            await self.remove_children(mine[len(theirs) :])
        if theirs[len(mine) :]:
            extra = theirs[len(mine) :]
            await self.mount_all(extra, before=palette[0] if palette else None)
        if palette and new_palette:
            _take(palette[0], new_palette[0])
        elif palette or new_palette:
            await self.recompose()

    def _keys_shown(self) -> tuple[Any, ...]:
        """What `compose` draws from: the bindings shown, whether each is enabled, its text."""
        return tuple(
            (binding.key, binding.action, binding.description, enabled, tooltip)
            for (_, binding, enabled, tooltip) in self.screen.active_bindings.values()
            if binding.show or binding.key == self.app.COMMAND_PALETTE_BINDING
        )


def _plain_keys(widgets: list[Any]) -> bool:
    """Only keys (no group of keys, no label): what an in-place update handles."""
    return all(isinstance(widget, FooterKey) for widget in widgets)


def _split(keys: list[FooterKey]) -> tuple[list[FooterKey], list[FooterKey]]:
    """The keys, and the palette's key (docked right) apart."""
    palette = [key for key in keys if key.has_class("-command-palette")]
    return [key for key in keys if key not in palette], palette


def _take(old: FooterKey, new: FooterKey) -> None:
    """`old` shows what `new` would have."""
    if (old.key, old.key_display, old.description, old.action, old._disabled, old.tooltip) == (
        new.key,
        new.key_display,
        new.description,
        new.action,
        new._disabled,
        new.tooltip,
    ):
        return
    old.key, old.key_display = new.key, new.key_display
    old.description, old.action = new.description, new.action
    old._disabled = new._disabled
    old.set_class(new._disabled, "-disabled")
    old.tooltip = new.tooltip
    old.refresh(layout=True)
