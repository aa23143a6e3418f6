"""The Markdown preview of a long overview: it opens at once, shows whatever part one scrolls or
jumps to, keeps up with typing anywhere in it, and never lets stored text drive the terminal."""

from __future__ import annotations

from textual.app import App, ComposeResult
from textual.widget import Widget
from textual.widgets import Markdown, Static, TextArea

from pylee_tui.safe_text import is_safe
from pylee_tui.widgets.lazy_markdown import MarkdownGap
from pylee_tui.widgets.markdown_editor import MarkdownSplitEditor
from pylee_tui.widgets.safe_markdown import SafeMarkdownViewer
from tests.ui.pilot import wait_until


def long_overview(sections: int = 100) -> str:
    """About 20 lines a section: headings, prose, a list, code, a table, a quote."""
    out = ["# Team handbook", ""]
    for n in range(1, sections + 1):
        out += [
            f"## Section {n}",
            "",
            f"Section {n} explains how the team runs its MCP servers, long enough to wrap",
            "in a narrow preview, with **bold**, *emphasis* and `inline code`.",
            "",
            f"- first point of section {n}",
            "- second point, with a [link](https://example.com)",
            "",
            "```python",
            f"def handler_{n}(request):",
            "    return {'status': 'ok'}",
            "```",
            "",
            "| Server | Port |",
            "| ------ | ---- |",
            f"| api-{n} | {8000 + n} |",
            "",
            f"> The end of section {n}.",
            "",
        ]
    return "\n".join(out)


class ViewerApp(App[None]):
    def __init__(self, text: str, *, contents: bool = False) -> None:
        super().__init__()
        self.text = text
        self.contents = contents

    def compose(self) -> ComposeResult:
        yield SafeMarkdownViewer(self.text, show_table_of_contents=self.contents, id="viewer")


class EditorApp(App[None]):
    def __init__(self, text: str) -> None:
        super().__init__()
        self.text = text

    def compose(self) -> ComposeResult:
        yield MarkdownSplitEditor(self.text, debounce=0.05)


def shown_lines(viewer: SafeMarkdownViewer) -> list[str]:
    """The text of every line of the document as it is on screen, top to bottom (its scroll
    bar and contents list left out)."""
    rows, columns = viewer.content_region, viewer.document.region
    strips = viewer.app.screen._compositor.render_strips()
    return [strips[y].crop(columns.x, columns.right).text for y in range(rows.y, rows.bottom)]


def unsafe(text: str) -> list[str]:
    """Characters that would drive a terminal (a line break aside)."""
    return [c for line in text.splitlines() for c in line if not is_safe(c)]


def on_screen(viewer: SafeMarkdownViewer) -> list[Widget]:
    """The document's children that show within the viewer."""
    return [
        child
        for child in viewer.document.children
        if child.region.overlaps(viewer.content_region) and child.display
    ]


def ready(viewer: SafeMarkdownViewer) -> bool:
    document = viewer.document
    return bool(document.source) and document.settled


def view_built(viewer: SafeMarkdownViewer) -> bool:
    return ready(viewer) and not any(isinstance(w, MarkdownGap) for w in on_screen(viewer))


async def test_a_long_overview_opens_and_shows_its_end_when_scrolled() -> None:
    app = ViewerApp(long_overview())
    async with app.run_test(size=(100, 30)) as pilot:
        viewer = app.query_one(SafeMarkdownViewer)
        await wait_until(pilot, lambda: ready(viewer), "the first render")
        assert "Team handbook" in "\n".join(shown_lines(viewer))
        # what is far from the view waits unbuilt: the document stays light
        assert len(viewer.document.children) < 60

        viewer.scroll_end(animate=False, immediate=True)
        await wait_until(pilot, lambda: view_built(viewer), "the end built")
        await pilot.pause()
        shown = "\n".join(shown_lines(viewer))
        assert "The end of section 100." in shown
        assert "api-100" in shown


def gap_in_view_at(viewer: SafeMarkdownViewer, y: int) -> bool:
    """Whether the view, scrolled to `y`, would show part of a gap (blocks not built)."""
    top, height = viewer.document.virtual_region.y, viewer.scrollable_content_region.height
    return any(
        isinstance(child, MarkdownGap)
        and child.display
        and top + child.virtual_region.y < y + height
        and top + child.virtual_region.bottom > y
        for child in viewer.document.children
    )


async def test_every_part_of_a_long_overview_shows_when_scrolled_to() -> None:
    # long enough that blocks far behind are let go on the way down (they are once 80 are
    # built), so the jumps back up land on gaps to build again
    sections = 25
    app = ViewerApp(long_overview(sections))
    async with app.run_test(size=(100, 30)) as pilot:
        viewer = app.query_one(SafeMarkdownViewer)
        await wait_until(pilot, lambda: ready(viewer), "the first render")
        page = viewer.scrollable_content_region.height
        seen: set[str] = set()

        async def scroll_to(y: int) -> None:
            viewer.scroll_to(y=y, animate=False, immediate=True)
            await wait_until(pilot, lambda: ready(viewer), f"the view at {y}")
            await pilot.pause()
            assert not any(isinstance(w, MarkdownGap) for w in on_screen(viewer)), y
            seen.update(line.strip() for line in shown_lines(viewer))

        # down a page at a time: every line passes through the view, never a gap
        for y in range(0, viewer.max_scroll_y + page, page):
            await scroll_to(min(y, viewer.max_scroll_y))
        assert {f"Section {n}" for n in range(1, sections + 1)} <= seen
        # then back up, to the middle and to the top: let go of on the way down, built again
        for y in (viewer.max_scroll_y // 2, 10):
            assert gap_in_view_at(viewer, y), y
            await scroll_to(y)


async def test_the_contents_list_every_heading_and_go_to_one_not_built_yet() -> None:
    app = ViewerApp(long_overview(), contents=True)
    async with app.run_test(size=(120, 30)) as pilot:
        viewer = app.query_one(SafeMarkdownViewer)
        await wait_until(pilot, lambda: ready(viewer), "the first render")
        contents = viewer.document.table_of_contents
        assert [title for _, title, _ in contents][-1] == "Section 100"
        assert len(contents) == 101
        # the contents beside the document list them all too
        assert viewer.table_of_contents.table_of_contents == contents
        _, title, heading = contents[90]
        assert title == "Section 90"
        viewer.post_message(Markdown.TableOfContentsSelected(viewer.document, heading))
        await wait_until(pilot, lambda: ready(viewer) and viewer.scroll_y > 0, "the heading")
        await pilot.pause()
        # at the top of the view, below the heading's own margin
        first = next(line.strip() for line in shown_lines(viewer) if line.strip())
        assert first == "Section 90"


async def test_typing_at_the_end_of_a_long_overview_shows_in_the_preview() -> None:
    app = EditorApp(long_overview())
    async with app.run_test(size=(120, 36)) as pilot:
        editor = app.query_one(MarkdownSplitEditor)
        viewer = editor.query_one(SafeMarkdownViewer)
        await wait_until(pilot, lambda: ready(viewer), "the first render")
        await pilot.press("ctrl+end", "enter", *"Added at the very end.")
        await wait_until(
            pilot,
            lambda: "Added at the very end." in "\n".join(shown_lines(viewer)),
            "the typed text in the preview",
        )
        # and the editor itself kept every key
        assert app.query_one(TextArea).text.endswith("\nAdded at the very end.")


HOSTILE = (
    "# Title \x1b[31mred\x1b[0m\n\n"
    "Copy \x1b]52;c;aGk=\x07 this, and \u202eevil\u202c text.\n\n"
    "- item \x9b2J\n"
)


async def test_stored_control_characters_show_as_escapes_in_the_preview() -> None:
    app = ViewerApp(HOSTILE)
    async with app.run_test(size=(100, 24)) as pilot:
        viewer = app.query_one(SafeMarkdownViewer)
        await wait_until(pilot, lambda: ready(viewer), "the first render")
        await pilot.pause()
        shown = "\n".join(shown_lines(viewer))
        assert "Title \\x1b[31mred\\x1b[0m" in shown
        assert "\\x1b]52;c;aGk=\\x07" in shown
        assert "⟨U+202E⟩evil⟨U+202C⟩" in shown
        assert "\\x9b2J" in shown
        assert unsafe(shown) == []


async def test_control_characters_typed_or_pasted_show_as_escapes_in_the_preview() -> None:
    app = EditorApp("# Notes\n\n")
    async with app.run_test(size=(100, 24)) as pilot:
        viewer = app.query_one(SafeMarkdownViewer)
        await wait_until(pilot, lambda: ready(viewer), "the first render")
        area = app.query_one(TextArea)
        area.insert("Pasted \x1b[2J\x1b]0;title\x07 and \u202eflipped\n", area.document.end)
        await wait_until(pilot, lambda: "Pasted" in "\n".join(shown_lines(viewer)), "the paste")
        await pilot.pause()
        shown = " ".join(line.strip() for line in shown_lines(viewer))
        assert "Pasted \\x1b[2J\\x1b]0;title\\x07 and ⟨U+202E⟩flipped" in shown
        assert unsafe(shown) == []
        status = str(app.query_one("#md-status", Static).content)
        assert "\x1b" not in status
