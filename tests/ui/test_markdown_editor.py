"""Pilot and snapshot tests for the split-pane Markdown editor widget."""

from __future__ import annotations

import pytest
from textual.app import App, ComposeResult
from textual.widget import Widget
from textual.widgets import Markdown, MarkdownViewer, Static, TextArea
from textual.widgets._markdown import (
    MarkdownBullet,
    MarkdownTableCellContents,
    MarkdownTableContent,
)

from pylee_tui.widgets.markdown_editor import MarkdownSplitEditor
from tests.ui.pilot import wait_until

HANDBOOK = """\
# Team handbook

How we run **our** MCP servers.

- Registries live in `registry/`
- Secrets never leave the vault

| Server | Port | Owner |
| ------ | ---- | ----- |
| api    | 8080 | ops   |
| search | 9200 | data  |
"""


class EditorApp(App[None]):
    """The smallest host for the widget: it records save requests instead of saving."""

    def __init__(self, text: str = "", *, debounce: float = 0.05) -> None:
        super().__init__()
        self.initial_text = text
        self.debounce = debounce
        self.save_requests: list[str] = []

    def compose(self) -> ComposeResult:
        # (the cursor does not blink: conftest's no_cursor_blink)
        yield MarkdownSplitEditor(self.initial_text, debounce=self.debounce)

    def on_markdown_split_editor_save_requested(
        self, message: MarkdownSplitEditor.SaveRequested
    ) -> None:
        self.save_requests.append(message.text)


def status(app: App) -> str:
    return str(app.query_one("#md-status", Static).content)


def preview_text(app: App) -> str:
    """Every line of text the preview shows, in order."""
    return rendered_text(app.query_one("#md-preview", MarkdownViewer).document)


def rendered_text(node: Widget) -> str:
    lines: list[str] = []
    for child in node.children:
        if child.children:
            lines.append(rendered_text(child))
        elif isinstance(child, Static):
            lines.append(str(child.render()))
    return "\n".join(line for line in lines if line)


async def test_typing_updates_counts_position_and_modified_marker() -> None:
    app = EditorApp("# Notes\n\nhello world")
    async with app.run_test(size=(100, 24)) as pilot:
        assert status(app) == "Ln 1, Col 1 · 4 words · 3 lines · split"

        await pilot.press("down", "down", "end", "space", *"again", "enter", *"bye")

        editor = app.query_one(MarkdownSplitEditor)
        assert editor.text == "# Notes\n\nhello world again\nbye"
        assert editor.modified
        assert status(app) == "Ln 4, Col 4 · 6 words · 4 lines · split · ● modified"

        # Typing the change away again is not a modification.
        await pilot.press("backspace", "backspace", "backspace", "backspace")
        await pilot.press(*["backspace"] * 6)
        assert editor.text == "# Notes\n\nhello world"
        assert not editor.modified
        assert status(app) == "Ln 3, Col 12 · 4 words · 3 lines · split"


async def test_cursor_moves_update_the_status_line() -> None:
    app = EditorApp("first line\nsecond")
    async with app.run_test(size=(100, 24)) as pilot:
        await pilot.press("down", "right", "right")
        assert status(app).startswith("Ln 2, Col 3 · ")


async def test_preview_follows_the_text_only_after_the_debounce() -> None:
    # A generous debounce, so "not yet" cannot flake on a slow machine.
    app = EditorApp("# Draft\n", debounce=0.5)
    async with app.run_test(size=(100, 24)) as pilot:
        await wait_until(pilot, lambda: preview_text(app) == "Draft", "the first render")

        await pilot.press("end", *" v2")
        assert preview_text(app) == "Draft", "the preview re-rendered on a keystroke"

        await wait_until(pilot, lambda: preview_text(app) == "Draft v2", "the debounced render")


async def test_preview_renders_the_latest_text_of_a_burst() -> None:
    app = EditorApp("# Draft\n", debounce=0.05)
    async with app.run_test(size=(100, 24)) as pilot:
        await pilot.press("end", *" one", "enter", "enter", *"- item")
        await wait_until(pilot, lambda: preview_text(app) == "Draft one\nitem", "the render")
        document = app.query_one("#md-preview", MarkdownViewer).document
        assert len(document.query("MarkdownBulletList")) == 1


async def test_edits_in_a_long_document_render_like_a_fresh_preview() -> None:
    # Nine lines a part: heading, text (line 9n + 2), list (9n + 4), fenced code (9n + 6).
    parts = [
        f"## Part {n}\n\nText of part {n}.\n\n- point {n}\n\n```\ncode {n}\n```\n"
        for n in range(16)
    ]
    app = EditorApp("".join(parts))
    # tall enough that the preview builds every block (it builds only those near the view):
    # the 16 parts fit in it, and it builds half a view beyond
    async with app.run_test(size=(100, 200)) as pilot:
        area = app.query_one(TextArea)
        expected = Markdown()
        expected.display = False  # a reference render, taking no room from the editor
        await app.mount(expected)
        edits = [
            lambda: area.insert(" More", (29, 15)),  # a word at the end of part 3's text
            lambda: area.insert("# Inserted\n\n", (90, 0)),  # a heading before part 10
            lambda: area.delete((49, 0), (51, 0)),  # part 5's list
            lambda: area.insert("```\n", (126, 0)),  # a fence before part 14: all below re-pairs
        ]
        for edit in edits:
            edit()
            await expected.update(area.text)
            want = rendered_text(expected)
            # the debounce stretches with the last render's time (long on a loaded machine):
            # wait for it, within a deadline of ~20 s
            await wait_until(pilot, lambda w=want: preview_text(app) == w, "the re-render", 400)
            assert preview_text(app) == want
        shown = preview_text(app)
        assert "Text of part 3. More" in shown
        assert "Inserted" in shown
        assert "point 5" not in shown
        assert "## Part 14" in shown and "## Part 15" in shown  # now inside a code block


async def test_f2_cycles_split_editor_and_preview() -> None:
    app = EditorApp("# Title\n")
    async with app.run_test(size=(100, 24)) as pilot:
        area = app.query_one("#md-editor", TextArea)
        viewer = app.query_one("#md-preview", MarkdownViewer)
        assert area.display and viewer.display
        assert app.focused is area

        await pilot.press("f2")
        assert area.display and not viewer.display
        assert app.focused is area
        assert status(app).endswith(" · editor")

        await pilot.press("f2")
        assert viewer.display and not area.display
        assert app.focused is not None and viewer in app.focused.ancestors_with_self
        assert status(app).endswith(" · preview")

        await pilot.press("f2")
        assert area.display and viewer.display
        assert app.focused is area
        assert status(app).endswith(" · split")


async def test_editor_only_mode_defers_the_preview_until_it_is_shown() -> None:
    app = EditorApp("# Title\n")
    async with app.run_test(size=(100, 24)) as pilot:
        await pilot.press("f2", "end", *" two")
        # a "not rendered" needs time to pass: four times the debounce (0.05 s)
        await pilot.pause(0.2)
        assert preview_text(app) == "Title"

        await pilot.press("f2")
        await wait_until(pilot, lambda: preview_text(app) == "Title two", "the deferred render")


async def test_ctrl_s_asks_the_owner_to_save_the_current_text() -> None:
    app = EditorApp("# Title\n")
    async with app.run_test(size=(100, 24)) as pilot:
        await pilot.press("end", *"!", "ctrl+s")
        assert app.save_requests == ["# Title!\n"]
        editor = app.query_one(MarkdownSplitEditor)
        # Saving is the owner's job: until it confirms, the text is still modified.
        assert editor.text == "# Title!\n"
        assert editor.modified


async def test_mark_saved_clears_the_modified_marker() -> None:
    app = EditorApp("# Title\n")
    async with app.run_test(size=(100, 24)) as pilot:
        editor = app.query_one(MarkdownSplitEditor)
        await pilot.press("end", *"!")
        assert "● modified" in status(app)

        editor.mark_saved()
        assert not editor.modified
        assert "modified" not in status(app)

        await pilot.press("!")
        assert editor.modified
        assert "● modified" in status(app)

        # The store may normalise what it saved; the marker compares against that.
        editor.mark_saved("# Title!!\n")
        assert not editor.modified
        editor.mark_saved("# Something else\n")
        assert editor.modified
        assert "● modified" in status(app)


async def test_load_replaces_text_and_baseline_and_previews_at_once() -> None:
    # A long debounce proves the loaded text is rendered without waiting for it.
    app = EditorApp("# Mine\n", debounce=10)
    async with app.run_test(size=(100, 24)) as pilot:
        editor = app.query_one(MarkdownSplitEditor)
        await pilot.press("end", *" edited")
        assert editor.modified

        editor.load("# Theirs\n\nSaved elsewhere.\n")
        # well within the debounce of 10 s: rendered without waiting for it
        await wait_until(pilot, lambda: "Theirs" in preview_text(app), "the loaded text")
        assert editor.text == "# Theirs\n\nSaved elsewhere.\n"
        assert not editor.modified
        assert "modified" not in status(app)
        assert preview_text(app) == "Theirs\nSaved elsewhere."


async def test_a_link_in_the_preview_opens_elsewhere_and_keeps_the_document() -> None:
    app = EditorApp("# Title\n\nSee [the guide](guide.md).\n")
    opened: list[str] = []
    async with app.run_test(size=(100, 24)) as pilot:
        app.open_url = lambda url, **kwargs: opened.append(url)  # type: ignore[method-assign]
        document = app.query_one("#md-preview", MarkdownViewer).document
        document.post_message(Markdown.LinkClicked(document, "guide.md"))
        await wait_until(pilot, lambda: bool(opened), "the link handled")
        assert app.is_running
        assert opened == ["guide.md"]
        assert preview_text(app) == "Title\nSee the guide."


async def test_a_failed_preview_is_said_and_the_next_render_takes_it_back(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    render = MarkdownSplitEditor._update_preview
    broken = [True]

    async def update_preview(self, text: str) -> None:
        if broken[0]:
            raise ValueError("a renderer bug quoting the secret text")
        await render(self, text)

    monkeypatch.setattr(MarkdownSplitEditor, "_update_preview", update_preview)
    app = EditorApp("# Draft\n", debounce=0.05)
    async with app.run_test(size=(100, 24)) as pilot:
        await pilot.press("end", *" v2")
        await wait_until(pilot, lambda: "preview failed" in status(app), "the failure said")
        assert status(app).startswith("⚠ preview failed (ValueError); the text is kept · Ln 1")
        assert "secret" not in status(app)  # the type only: the message might quote the text
        assert app.query_one(MarkdownSplitEditor).text == "# Draft v2\n"
        assert preview_text(app) == "Draft"  # the last preview that worked stays
        broken[0] = False
        await pilot.press("!")
        await wait_until(pilot, lambda: preview_text(app) == "Draft v2!", "the next render")
        assert "preview failed" not in status(app)


def test_split_editor_snapshot(snap_compare) -> None:
    assert snap_compare(EditorApp(HANDBOOK), terminal_size=(120, 36))


TASKS_AND_TABLE = """\
# Launch

- [ ] write the runbook
- [x] rotate the keys
- plain item

1. [x] numbered and done

| Left | Centre | Right |
| :--- | :----: | ----: |
| a | b | c |
| longer left | mid | 1 |
"""


async def test_task_lists_render_as_check_boxes() -> None:
    app = EditorApp(TASKS_AND_TABLE)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        document = app.query_one("#md-preview", MarkdownViewer).document
        bullets = [bullet.symbol for bullet in document.query(MarkdownBullet)]
        assert bullets[:3] == ["☐ ", "☑ ", "• "]
        shown = preview_text(app)
        assert "write the runbook" in shown and "[ ]" not in shown and "[x]" not in shown
        assert "☑ numbered and done" in shown  # an ordered item keeps its number


async def test_table_columns_follow_their_alignment_row() -> None:
    app = EditorApp(TASKS_AND_TABLE)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        content = app.query_one("#md-preview", MarkdownViewer).query_one(MarkdownTableContent)
        cells = list(content.query(MarkdownTableCellContents))
        aligns = [cell.styles.text_align for cell in cells]
        # headers, then two rows: left, centre, right in every one
        assert aligns == ["left", "center", "right"] * 3
        one = next(cell for cell in cells if str(cell.render()) == "1")
        c_cell = next(cell for cell in cells if str(cell.render()) == "c")
        # right-aligned: the text ends where the column ends, whatever its width
        assert one.content_region.right == c_cell.content_region.right
        assert one.region.width == c_cell.region.width


async def test_ctrl_home_and_ctrl_end_go_to_the_documents_start_and_end() -> None:
    app = EditorApp("# Title\n\nfirst\n\nsecond\n\nlast line")
    async with app.run_test(size=(100, 24)) as pilot:
        area = app.query_one(TextArea)
        await pilot.press("down", "down")
        await pilot.press("ctrl+end")
        assert area.cursor_location == (6, 9)
        await pilot.press("ctrl+home")
        assert area.cursor_location == (0, 0)
        await pilot.press("ctrl+shift+end")
        assert area.selected_text == area.text


async def test_the_preview_follows_the_editors_cursor() -> None:
    parts = [f"## Part {n}\n\nText of part {n}.\n\n" for n in range(60)]
    app = EditorApp("".join(parts))
    async with app.run_test(size=(100, 24)) as pilot:
        await pilot.pause()
        viewer = app.query_one("#md-preview", MarkdownViewer)
        area = app.query_one(TextArea)
        assert viewer.scroll_y == 0
        await pilot.press("ctrl+end")
        await pilot.pause()
        assert viewer.scroll_y > 0
        last = viewer.document.children[-1]
        assert "Text of part 59" in str(last.render())
        assert viewer.region.contains_region(last.region), "the cursor's block is out of view"
        area.move_cursor((30 * 4 + 2, 0))  # part 30's text
        await pilot.pause()
        block = next(c for c in viewer.document.children if "Text of part 30" in str(c.render()))
        assert viewer.region.contains_region(block.region)
        await pilot.press("ctrl+home")
        await pilot.pause()
        assert viewer.scroll_y == 0


async def test_closing_the_editor_as_the_preview_catches_up_is_not_a_crash() -> None:
    # A finished render asks to follow the cursor after the next refresh; by then the user may
    # have closed the editor (escape right after ctrl+s), its panes removed before the editor
    # itself. The follow finds nothing to follow, and the app carries on.
    app = EditorApp("# Notes\n\nhello")
    async with app.run_test(size=(100, 24)) as pilot:
        editor = app.query_one(MarkdownSplitEditor)
        await editor.query_one("#md-panes").remove()
        editor.call_after_refresh(editor._follow_cursor)
        await pilot.pause()
        assert app.is_running
        assert app.return_code is None


def test_tasks_and_aligned_table_snapshot(snap_compare) -> None:
    assert snap_compare(EditorApp(TASKS_AND_TABLE), terminal_size=(80, 24))
