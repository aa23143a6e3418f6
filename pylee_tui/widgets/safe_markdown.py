"""The app's Markdown: a viewer whose links never replace the shown text (nor crash on a missing
file), GitHub's task lists as check boxes, and table columns aligned as their `:---:` says."""

from __future__ import annotations

from markdown_it import MarkdownIt
from markdown_it.rules_core import StateCore
from markdown_it.token import Token
from mdit_py_plugins.tasklists import tasklists_plugin
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

OPEN_TASK = "☐ "
DONE_TASK = "☑ "
_CHECKBOX = "task-list-item-checkbox"
_ALIGNS: dict[str, TextAlign] = {
    "text-align:left": "left",
    "text-align:center": "center",
    "text-align:right": "right",
}


def _task_boxes(state: StateCore) -> None:
    """After the tasklists plugin: its HTML check box becomes the item's bullet (unordered
    lists) or a ☐/☑ before the text (ordered ones), as the terminal shows no HTML."""
    tokens = state.tokens
    for i in range(2, len(tokens)):
        inline = tokens[i]
        children = inline.children or []
        if inline.type != "inline" or not children or children[0].type != "html_inline":
            continue
        if _CHECKBOX not in children[0].content or tokens[i - 2].type != "list_item_open":
            continue
        item = tokens[i - 2]
        done = 'checked="checked"' in children[0].content
        if item.info:  # an ordered item keeps its number
            box = Token("text", "", 0)
            box.content = (DONE_TASK if done else OPEN_TASK).rstrip()
            children[0] = box
        else:
            del children[0]
            if children and children[0].type == "text":
                children[0].content = children[0].content.lstrip()
            item.meta["task"] = "done" if done else "open"


def markdown_parser() -> MarkdownIt:
    """The parser of every Markdown view and of the split editor's block map: the same
    tokens, so the editor's blocks line up with the widgets the viewer builds."""
    parser = MarkdownIt("gfm-like").use(tasklists_plugin)
    parser.core.ruler.after("github-tasklists", "pylee-task-boxes", _task_boxes)
    return parser


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


class SafeMarkdown(Markdown):
    """Markdown with task lists and aligned tables; parsed by `markdown_parser`."""

    BLOCKS = {
        **Markdown.BLOCKS,
        "list_item_unordered_open": TaskListItem,
        "table_open": AlignedMarkdownTable,
    }


class SafeMarkdownViewer(MarkdownViewer):
    """`#anchor` links scroll within the document; others go to the app's URL opener, once."""

    def __init__(self, *args, **kwargs) -> None:
        # the inner Markdown would open the URL itself too: this class is the one place that does
        kwargs["open_links"] = False
        kwargs.setdefault("parser_factory", markdown_parser)
        super().__init__(*args, **kwargs)

    def compose(self) -> ComposeResult:
        document = SafeMarkdown(parser_factory=self._parser_factory, open_links=False)
        document.can_focus = True
        yield document
        yield MarkdownTableOfContents(document)

    def show(self, markdown: str) -> AwaitComplete:
        """Show stored Markdown: its control characters as visible escapes, never raw."""
        return self.document.update(escape_markdown(markdown))

    async def _on_markdown_link_clicked(self, message: Markdown.LinkClicked) -> None:
        # MarkdownViewer would load the target as a local file in place of the document, and a
        # missing file takes the app (and any unsaved text) down with it.
        message.prevent_default()
        message.stop()
        if message.href.startswith("#"):
            self.document.goto_anchor(message.href[1:])
        else:
            self.app.open_url(message.href)
