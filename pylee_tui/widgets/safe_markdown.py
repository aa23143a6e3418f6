"""The app's Markdown: a viewer whose links never replace the shown text (nor crash on a missing
file), GitHub's task lists as check boxes, and table columns aligned as their `:---:` says."""

from __future__ import annotations

from markdown_it.token import Token
from textual.app import ComposeResult
from textual.await_complete import AwaitComplete
from textual.css.types import TextAlign
from textual.widgets import Markdown, MarkdownViewer
from textual.widgets._markdown import (
    MarkdownBlock,
    MarkdownTable,
    MarkdownTableContent,
    MarkdownTableOfContents,
    MarkdownTH,
    MarkdownUnorderedListItem,
)

from pylee_tui.safe_text import escape_markdown
from pylee_tui.widgets.lazy_markdown import LazyMarkdown
from pylee_tui.widgets.markdown_blocks import DONE_TASK, OPEN_TASK, markdown_parser

__all__ = ["SafeMarkdown", "SafeMarkdownViewer", "markdown_parser"]

SHORT = 10_000  # characters of a document shown in the viewer's first frame

_ALIGNS: dict[str, TextAlign] = {
    "text-align:left": "left",
    "text-align:center": "center",
    "text-align:right": "right",
}


class TaskListItem(MarkdownUnorderedListItem):
    """A list item whose bullet is its check box when it is a task (`- [ ]`, `- [x]`)."""

    def __init__(self, markdown: Markdown, token: Token, bullet: str) -> None:
        task = token.meta.get("task") if isinstance(token.meta, dict) else None
        if task:
            bullet = DONE_TASK if task == "done" else OPEN_TASK
        super().__init__(markdown, token, bullet)


class AlignedTableContent(MarkdownTableContent):
    """Table cells aligned per column (`:---` left, `:---:` centre, `---:` right)."""

    def __init__(self, headers, rows, aligns: list[TextAlign | None]) -> None:
        super().__init__(headers, rows)
        self.aligns = aligns

    def compose(self) -> ComposeResult:
        columns = max(len(self.headers), 1)
        for index, cell in enumerate(super().compose()):
            align = self.aligns[index % columns] if index % columns < len(self.aligns) else None
            if align:
                cell.styles.text_align = align
            yield cell


class AlignedMarkdownTable(MarkdownTable):
    def compose(self) -> ComposeResult:
        headers, rows = self._get_headers_and_rows()
        self._headers, self._rows = headers, rows
        aligns = [
            _ALIGNS.get(str(block._token.attrGet("style") or ""))
            for block in self._blocks_of(self)
            if isinstance(block, MarkdownTH)
        ]
        # every row has a cell per header (markdown-it pads short rows): columns repeat evenly
        yield AlignedTableContent(headers, rows, aligns)

    @classmethod
    def _blocks_of(cls, block: MarkdownBlock):
        for child in block._blocks:
            yield child
            yield from cls._blocks_of(child)


class SafeMarkdown(LazyMarkdown):
    """Markdown with task lists and aligned tables, parsed by `markdown_parser`, built as it
    comes into view; its text's control characters are shown escaped."""

    BLOCKS = {
        **Markdown.BLOCKS,
        "list_item_unordered_open": TaskListItem,
        "table_open": AlignedMarkdownTable,
    }


class SafeMarkdownViewer(MarkdownViewer):
    """`#anchor` links scroll within the document; others go to the app's URL opener, once."""

    def __init__(self, markdown: str | None = None, **kwargs) -> None:
        # the inner Markdown would open the URL itself too: this class is the one place that does
        kwargs["open_links"] = False
        kwargs.setdefault("parser_factory", markdown_parser)
        super().__init__(None, **kwargs)
        self._first_text = markdown or ""

    def on_mount(self) -> None:
        # MarkdownViewer renders its text in its mount handler, which holds the whole screen
        # back until a long document is parsed and built. Here a short text is in the first
        # frame; a long one comes just after it, its blocks measured for the width that frame
        # gave the document (estimated for another width, they would be estimated again).
        if not self._first_text:
            return
        if len(self._first_text) <= SHORT:
            self.call_later(self.document.update, self._first_text)
        else:
            self.call_after_refresh(self.document.update, self._first_text)

    def compose(self) -> ComposeResult:
        document = SafeMarkdown(parser_factory=self._parser_factory, open_links=False)
        document.can_focus = True
        yield document
        yield MarkdownTableOfContents(document)

    @property
    def document(self) -> SafeMarkdown:
        return self.query_one(SafeMarkdown)

    def show(self, markdown: str) -> AwaitComplete:
        """Show stored Markdown: its control characters as visible escapes, never raw."""
        return self.document.update(escape_markdown(markdown))

    def _on_markdown_table_of_contents_updated(
        self, message: Markdown.TableOfContentsUpdated
    ) -> None:
        # a long document's contents are a tree of hundreds of nodes: built when shown
        message.prevent_default()  # MarkdownViewer's own handler would build it at once
        message.stop()
        if self.show_table_of_contents:
            self.table_of_contents.table_of_contents = message.table_of_contents

    def watch_show_table_of_contents(self, show_table_of_contents: bool) -> None:
        super().watch_show_table_of_contents(show_table_of_contents)
        if show_table_of_contents and self.is_mounted:
            self.table_of_contents.table_of_contents = self.document.table_of_contents

    def _on_markdown_table_of_contents_selected(
        self, message: Markdown.TableOfContentsSelected
    ) -> None:
        # the heading may not be built yet (it is out of view): the document goes to it
        message.prevent_default()  # MarkdownViewer's own handler looks for the built heading
        message.stop()
        self.document.reveal_heading(message.block_id)

    async def _on_markdown_link_clicked(self, message: Markdown.LinkClicked) -> None:
        # MarkdownViewer would load the target as a local file in place of the document, and a
        # missing file takes the app (and any unsaved text) down with it.
        message.prevent_default()
        message.stop()
        if message.href.startswith("#"):
            self.document.goto_anchor(message.href[1:])
        else:
            self.app.open_url(message.href)
