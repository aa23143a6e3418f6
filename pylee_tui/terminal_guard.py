"""The app's last line of defence: no line of the screen reaches the terminal holding a raw
control, C1 or bidi character, whichever widget drew it.

Widgets show stored text through `safe_text.escape` (visibly, `\\x1b`). This guard is for the one
that forgot, or for text Textual builds itself: just before a line of segments becomes terminal
output (`Strip.render`, which Textual's compositor calls for every line it writes), each unsafe
character left in a segment's text becomes U+FFFD. Textual's own styling is not in the segments'
text (it is rendered from their styles), so nothing of Textual's is touched.
"""

from __future__ import annotations

from typing import Any

from rich.segment import Segment
from textual.strip import Strip

from pylee_tui.safe_text import REPLACEMENT, UNSAFE

_original_render = Strip.render


def _guarded_render(self: Strip, console: Any) -> str:
    if self._render_cache is None and any(UNSAFE.search(s.text) for s in self._segments):
        cleaned = Strip(
            [Segment(UNSAFE.sub(REPLACEMENT, s.text), s.style, s.control) for s in self._segments],
            self.cell_length,
        )
        self._render_cache = _original_render(cleaned, console)
    return _original_render(self, console)


def install_terminal_guard() -> None:
    """Idempotent; the app calls it before it draws anything."""
    if Strip.render is not _guarded_render:
        # patching the one method every frame goes through is the guard itself
        Strip.render = _guarded_render  # type: ignore[method-assign]
