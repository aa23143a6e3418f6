"""The preview's blocks: an edit parsed around itself gives the blocks a whole parse gives, and
each block's estimated height is the height Textual lays it out at."""

from __future__ import annotations

import random

import pytest
from textual.app import App, ComposeResult

from pylee_tui.widgets.markdown_blocks import Box, split_blocks, split_edited
from pylee_tui.widgets.safe_markdown import SafeMarkdownViewer

PIECES = [
    "# Title\n",
    "## Section\n",
    "Setext heading\n===\n",
    "A paragraph with **bold**, *emphasis*, `code` and a [link](https://example.com).\n",
    "A longer paragraph that goes on and on so that it has to wrap in a narrow preview,\n"
    "with a second source line joined to the first by a soft break.\n",
    "- one\n- two\n  - nested\n",
    "1. first\n2. second\n",
    "- [ ] a task\n- [x] done\n",
    "> a quote\n> - with a list\n",
    "```python\nprint('hi')\n```\n",
    "```\nan open fence with no end\n",
    "    indented code\n",
    "| A | B |\n| :- | -: |\n| 1 | 2 |\n",
    "---\n",
    "See [the guide][guide].\n",
    "[guide]: https://example.com/guide\n",
    "<div>html</div>\n",
    "- item\n\n  continued after a blank line\n",
    "lazy\ncontinuation\n",
    "",
]


def document(rng: random.Random, parts: int) -> str:
    return "\n".join(rng.choice(PIECES) for _ in range(parts))


def edit(rng: random.Random, text: str) -> str:
    lines = text.splitlines(keepends=True)
    at = rng.randrange(len(lines) + 1)
    kind = rng.randrange(4)
    if kind == 0 and lines:  # delete some lines
        del lines[at : at + rng.randint(1, 3)]
    elif kind == 1:  # insert a piece
        lines[at:at] = [rng.choice(PIECES) + "\n"]
    elif kind == 2 and lines and at < len(lines):  # type into a line
        line = lines[at]
        column = rng.randrange(len(line))
        typed = rng.choice(["x", " word", "**", "`", "\n", "|", "#"])
        lines[at] = line[:column] + typed + line[column:]
    else:  # a line of its own: blank, a fence, a list item, a heading underline
        lines[at:at] = [rng.choice(["\n", "```\n", "- \n", "===\n", "  indented\n"])]
    return "".join(lines)


def blocks_of(parsed):
    return [(b.start, b.end, b.source) for b in parsed.blocks]


@pytest.mark.parametrize("seed", range(40))
def test_an_edit_parsed_around_itself_gives_the_blocks_of_a_whole_parse(seed: int) -> None:
    rng = random.Random(seed)
    parsed = split_blocks(document(rng, 25))
    for _ in range(15):
        text = edit(rng, parsed.text)
        incremental = split_edited(parsed, text)
        whole = split_blocks(text)
        assert blocks_of(incremental) == blocks_of(whole), (seed, text)
        assert incremental.references == whole.references
        parsed = incremental


class ViewerApp(App[None]):
    def __init__(self, text: str) -> None:
        super().__init__()
        self.text = text

    def compose(self) -> ComposeResult:
        yield SafeMarkdownViewer(self.text, show_table_of_contents=False)


@pytest.mark.parametrize("width", [40, 100])
async def test_estimated_heights_are_the_laid_out_heights(width: int) -> None:
    text = "\n".join(piece for piece in PIECES if "open fence" not in piece)
    # tall enough that every block is built
    app = ViewerApp(text)
    async with app.run_test(size=(width, 200)) as pilot:
        viewer = app.query_one(SafeMarkdownViewer)
        await pilot.pause()
        await pilot.pause()
        document = viewer.document
        laid_out = [
            Box(w.styles.margin.top, w.outer_size.height, w.styles.margin.bottom)
            for w in document.children
        ]
        content_width = document.content_region.width
        estimated = [
            box for block in split_blocks(text).blocks for box in block.boxes(content_width, False)
        ]
        assert estimated == laid_out
