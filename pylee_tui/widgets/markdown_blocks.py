"""A Markdown document as top-level blocks (its lines, its tokens) and how tall each one shows,
so a long document can keep the blocks out of view as one blank gap of the same height."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from itertools import pairwise
from typing import Any, NamedTuple, cast

from markdown_it import MarkdownIt
from markdown_it.rules_core import StateCore
from markdown_it.token import Token
from mdit_py_plugins.tasklists import tasklists_plugin
from rich.cells import cell_len
from textual._slug import slug_for_tcss_id
from textual.content import Content
from textual.widgets.markdown import MarkdownBlock

OPEN_TASK = "☐ "
DONE_TASK = "☑ "
_CHECKBOX = "task-list-item-checkbox"


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
    """The parser of every Markdown view: GitHub's flavour with task lists."""
    parser = MarkdownIt("gfm-like").use(tasklists_plugin)
    parser.core.ruler.after("github-tasklists", "pylee-task-boxes", _task_boxes)
    return parser


class Box(NamedTuple):
    """One widget in a vertical layout: its margins and its height (borders, padding included)."""

    top: int
    height: int
    bottom: int


def stack_height(boxes: list[Box]) -> int:
    """How tall a vertical layout of `boxes` is, its outer margins excluded: neighbours'
    margins collapse to the larger of the two, as Textual's vertical layout does."""
    if not boxes:
        return 0
    inner = sum(max(above.bottom, below.top) for above, below in pairwise(boxes))
    return sum(box.height for box in boxes) + inner


class _Parser:
    """Parses one block's source again, as the whole document's parse saw it (a top-level
    block parses alone into the same tokens, given the document's link definitions)."""

    def __init__(self, factory: Callable[[], MarkdownIt], env: dict[str, Any]) -> None:
        self.factory = factory
        self.references = dict(env.get("references", {}))

    def __call__(self, source: str, start: int) -> list[Token]:
        tokens = self.factory().parse(source, {"references": dict(self.references)})
        for token in tokens:
            if token.map is not None:
                token.map = [token.map[0] + start, token.map[1] + start]
        return tokens


@dataclass(eq=False)
class Block:
    """One top-level block: the lines it spans, its source and the tokens that build it."""

    start: int
    end: int
    source: str
    # let go once the block's height is estimated: a long document's tokens are tens of
    # thousands of objects for the garbage collector to walk on every full collection
    tokens: list[Token] | None
    parser: _Parser
    heading: tuple[int, str] | None = None  # (level, plain text) of a heading
    heading_id: str = ""
    # boxes measured on screen, by the document's width; estimates otherwise
    measured: dict[int, list[Box]] = field(default_factory=dict)
    _estimates: dict[tuple[int, bool], list[Box]] = field(default_factory=dict)

    def parsed(self) -> list[Token]:
        """The tokens that build this block's widgets."""
        return self.tokens if self.tokens is not None else self.parser(self.source, self.start)

    def boxes(self, width: int, ansi: bool) -> list[Box]:
        """The widgets this block shows as, at `width` cells (none for, say, an HTML block).
        A block whose tokens were let go answers for a new width with its estimate at the
        nearest width it knows (a resize would otherwise parse the whole document again); it
        is exact again once built and measured."""
        if width in self.measured:
            return self.measured[width]
        key = (width, ansi)
        if key not in self._estimates:
            if self.tokens is None and self._estimates:
                nearest = min(self._estimates, key=lambda known: abs(known[0] - width))
                self._estimates[key] = self._estimates[nearest]
            else:
                tree = _tree(self.parsed())
                self._estimates[key] = _boxes(tree, width, ansi, in_list=False, top=True)
        return self._estimates[key]

    def take_estimates(self, other: Block) -> None:
        """Keep `other`'s estimates too (the same source, parsed again)."""
        for key, boxes in other._estimates.items():
            self._estimates.setdefault(key, boxes)

    def estimate(self, width: int | None, ansi: bool) -> None:
        """Estimate the block's height at `width` and let its tokens go."""
        if width is not None:
            self.boxes(width, ansi)
            self.tokens = None


@dataclass
class ParsedDocument:
    text: str
    blocks: list[Block]
    env: dict[str, Any]  # markdown-it's: the link reference definitions

    @property
    def references(self) -> dict[str, Any]:
        # where a definition sits does not matter to the blocks that use it, only what it says
        return {
            label: (ref.get("href"), ref.get("title"))
            for label, ref in self.env.get("references", {}).items()
        }


Geometry = tuple[int, bool] | None  # (width, ansi) to estimate blocks at, and drop tokens


def split_blocks(
    text: str,
    parser_factory: Callable[[], MarkdownIt] = markdown_parser,
    geometry: Geometry = None,
) -> ParsedDocument:
    """Parse `text` (safe to run in a thread) into its top-level blocks, in order; with a
    `geometry`, each block's height is estimated for it and its tokens let go."""
    env: dict[str, Any] = {}
    lines = text.splitlines(keepends=True)
    tokens = parser_factory().parse(text, env)
    blocks = _blocks(tokens, lines, 0, _Parser(parser_factory, env))
    _estimate(blocks, geometry)
    return ParsedDocument(text, blocks, env)


def _estimate(blocks: list[Block], geometry: Geometry) -> None:
    if geometry is not None:
        for block in blocks:
            block.estimate(*geometry)


def _blocks(tokens: list[Token], lines: list[str], offset: int, parser: _Parser) -> list[Block]:
    """The top-level blocks of `tokens`, parsed from `lines[offset:]`, placed in `lines`."""
    blocks: list[Block] = []
    pending: list[Token] = []
    depth = 0
    for token in tokens:
        if offset and token.map is not None:
            token.map = [token.map[0] + offset, token.map[1] + offset]
        pending.append(token)
        depth += token.nesting
        if depth:
            continue
        start, end = pending[0].map or (offset, offset)
        block = Block(start, end, "".join(lines[start:end]), pending, parser)
        if pending[0].type == "heading_open" and len(pending) > 1:
            block.heading = (int(pending[0].tag[1:]), inline_content(pending[1]).plain)
            block.heading_id = f"heading-{slug_for_tcss_id(block.heading[1])}-{id(block)}"
        blocks.append(block)
        pending = []
    return blocks


_DEFINITION = re.compile(r"^ {0,3}\[")  # a line that may hold a link reference definition


def split_edited(
    before: ParsedDocument,
    text: str,
    parser_factory: Callable[[], MarkdownIt] = markdown_parser,
    geometry: Geometry = None,
) -> ParsedDocument:
    """`split_blocks(text)` for `text` made by editing `before.text`: only the blocks around the
    edit are parsed again (safe to run in a thread; `before` is only read). Falls back to the
    whole text when the edit touches a link definition or the blocks around it do not come
    back as they were."""
    old_lines = before.text.splitlines(keepends=True)
    lines = text.splitlines(keepends=True)
    same = min(len(old_lines), len(lines))
    first = 0  # lines [0, first) are unchanged
    while first < same and old_lines[first] == lines[first]:
        first += 1
    tail = 0  # and so are the last `tail` lines
    while tail < same - first and old_lines[-1 - tail] == lines[-1 - tail]:
        tail += 1
    changed = (*old_lines[first : len(old_lines) - tail], *lines[first : len(lines) - tail])
    blocks = before.blocks
    if not blocks or any(_DEFINITION.match(line) for line in changed):
        return split_blocks(text, parser_factory, geometry)
    # the blocks the edit touches (a block ending right above it may take it in), and one
    # more on each side, parsed again: they must come back as they were
    touched = [
        i for i, b in enumerate(blocks) if b.end >= first and b.start <= len(old_lines) - tail
    ]
    if not touched:
        return split_blocks(text, parser_factory, geometry)
    low, high = max(touched[0] - 1, 0), min(touched[-1] + 1, len(blocks) - 1)
    start = blocks[low].start if low < touched[0] else 0
    shift = len(lines) - len(old_lines)
    stop = blocks[high].end + shift if high > touched[-1] else len(lines)
    env = {"references": dict(before.env.get("references", {}))}
    tokens = parser_factory().parse("".join(lines[start:stop]), env)
    window = _blocks(tokens, lines, start, _Parser(parser_factory, env))
    if (
        not window
        or (low < touched[0] and window[0].source != blocks[low].source)
        or (high > touched[-1] and window[-1].source != blocks[high].source)
        or (high > touched[-1] and window[-1].end != stop)
        or env["references"].keys() != before.env.get("references", {}).keys()
    ):
        return split_blocks(text, parser_factory, geometry)
    _estimate(window, geometry)
    moved = [
        Block(b.start + shift, b.end + shift, b.source, b.tokens, b.parser, b.heading, b.heading_id)
        for b in blocks[high + 1 :]
    ]
    return ParsedDocument(text, [*blocks[:low], *window, *moved], env)


def inline_content(token: Token) -> Content:
    """The text an inline token shows as, exactly as a Markdown block builds it (the method
    reads nothing of its block; textual is pinned exactly)."""
    return MarkdownBlock._token_to_content(cast(MarkdownBlock, None), token)


@dataclass
class _Node:
    token: Token
    children: list[_Node] = field(default_factory=list)
    inline: Token | None = None


def _tree(tokens: list[Token]) -> list[_Node]:
    root: list[_Node] = []
    stack: list[_Node] = []
    for token in tokens:
        if token.nesting == -1:
            if stack:
                stack.pop()
            continue
        if token.type == "inline":
            if stack:
                stack[-1].inline = token
            continue
        node = _Node(token)
        (stack[-1].children if stack else root).append(node)
        if token.nesting == 1:
            stack.append(node)
    return root


def _text_height(token: Token | None, width: int) -> int:
    if token is None:
        return 1
    source = token.content
    # Shown text is never wider than its one-line source (markup goes, whitespace collapses),
    # images aside: most blocks fit on a line, and building their text would be wasted.
    if "\n" not in source and "![" not in source and cell_len(source) < width:
        return 1
    return max(1, int(inline_content(token).get_height({}, max(width, 1))))


# Margins (top, bottom) of the blocks, as Textual's Markdown stylesheet sets them.
_HEADING_MARGINS = {"h1": (2, 1), "h2": (2, 1)}


def _boxes(nodes: list[_Node], width: int, ansi: bool, *, in_list: bool, top: bool) -> list[Box]:
    """The boxes of the widgets `nodes` show as, at `width` cells of content; `top`: directly
    in the document (a paragraph's margin), `in_list`: inside a list (a nested list's)."""
    boxes = (_box(node, width, ansi, in_list=in_list, top=top) for node in nodes)
    return [box for box in boxes if box is not None]


def _box(node: _Node, width: int, ansi: bool, *, in_list: bool, top: bool) -> Box | None:
    kind = node.token.type
    if kind == "heading_open":
        above, below = _HEADING_MARGINS.get(node.token.tag, (1, 1))
        return Box(above, _text_height(node.inline, width), below)
    if kind == "paragraph_open":
        return Box(0, _text_height(node.inline, width), 1 if top else 0)
    if kind in ("fence", "code_block"):
        lines = node.token.content.rstrip().count("\n") + 1
        return Box(0, lines + 2, 0) if ansi else Box(1, lines + 2, 1)
    if kind == "hr":
        return Box(0, 2, 1)
    if kind == "blockquote_open":
        # padding 0 1 and an outer border on the left
        inner = _boxes(node.children, width - 3, ansi, in_list=in_list, top=False)
        return Box(1, _with_margins(inner), 1)
    if kind in ("bullet_list_open", "ordered_list_open"):
        return Box(0, _list_height(node, width, ansi), 0 if in_list else 1)
    if kind == "table_open":
        return Box(0, _table_height(node), 1)
    return None  # a block the document shows no widget for (an HTML block)


def _with_margins(boxes: list[Box]) -> int:
    """A container's height: its children stacked, the outer margins of the first and the
    last child included."""
    if not boxes:
        return 0
    return boxes[0].top + stack_height(boxes) + boxes[-1].bottom


def _list_height(node: _Node, width: int, ansi: bool) -> int:
    items = [child for child in node.children if child.token.type == "list_item_open"]
    if not items:
        return 0
    if node.token.type == "ordered_list_open":
        try:
            first = int(items[0].token.info)
        except ValueError:
            first = 1
        bullet = max(len(f"{n}. ") for n in range(first, first + len(items))) + 1
    else:
        bullet = 2
    height = 0
    for item in items:
        inner = _boxes(item.children, width - bullet, ansi, in_list=True, top=False)
        height += max(1, _with_margins(inner))
    return height


def _table_height(node: _Node) -> int:
    rows = sum(1 for token in _walk(node) if token.type == "tr_open")
    # a line per row (the header's included) and key lines around and between the rows
    return 2 * rows + 1


def _walk(node: _Node) -> list[Token]:
    out = [node.token]
    for child in node.children:
        out += _walk(child)
    return out
