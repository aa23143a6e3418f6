"""A MarkdownViewer whose links never replace the shown text (nor crash on a missing file)."""

from __future__ import annotations

from textual.await_complete import AwaitComplete
from textual.widgets import Markdown, MarkdownViewer

from pylee_tui.safe_text import escape_markdown


class SafeMarkdownViewer(MarkdownViewer):
    """`#anchor` links scroll within the document; others go to the app's URL opener, once."""

    def __init__(self, *args, **kwargs) -> None:
        # the inner Markdown would open the URL itself too: this class is the one place that does
        kwargs["open_links"] = False
        super().__init__(*args, **kwargs)

    def show(self, markdown: str) -> AwaitComplete:
        """Show stored Markdown: its control characters as visible escapes, never raw."""
        return self.document.update(escape_markdown(markdown))

    def _on_markdown_link_clicked(self, message: Markdown.LinkClicked) -> None:
        # MarkdownViewer would load the target as a local file in place of the document, and a
        # missing file takes the app (and any unsaved text) down with it.
        message.prevent_default()
        message.stop()
        if message.href.startswith("#"):
            self.document.goto_anchor(message.href[1:])
        else:
            self.app.open_url(message.href)
