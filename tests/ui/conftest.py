"""The app's tests: text cursors never blink, so a frame never depends on a timer's phase."""

from __future__ import annotations

import pytest
from textual.widgets import Input, TextArea


@pytest.fixture(autouse=True)
def no_cursor_blink(monkeypatch: pytest.MonkeyPatch) -> None:
    """Text cursors never blink in tests: a blink is a timer that repaints twice a second, so a
    snapshot (or a wait for the screen to settle) would depend on its phase."""
    for widget in (Input, TextArea):

        def created_still(self, *args, _create=widget.__init__, **kwargs) -> None:
            _create(self, *args, **kwargs)
            self.cursor_blink = False

        monkeypatch.setattr(widget, "__init__", created_still)
