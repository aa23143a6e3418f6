"""A split-pane Markdown editor: source on the left, a debounced live preview on the right."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from time import perf_counter
from typing import Any, Literal

from markdown_it.token import Token
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.message import Message
from textual.reactive import reactive
from textual.timer import Timer
from textual.widget import Widget
from textual.widgets import Markdown, MarkdownViewer, Static, TextArea
from textual.widgets.markdown import MarkdownBlock
from textual.worker import Worker, WorkerState

from pylee_tui.safe_text import escape_markdown
from pylee_tui.widgets.safe_markdown import SafeMarkdownViewer, markdown_parser

ViewMode = Literal["split", "editor", "preview"]

_NEXT_MODE: dict[ViewMode, ViewMode] = {"split": "editor", "editor": "preview", "preview": "split"}
PREVIEW = "md-preview"  # the worker group of the preview's renders


@dataclass
class _TopBlock:
    """One top-level Markdown block: its lines in the source and the tokens that build it."""

    start: int
    end: int
    source: str
    tokens: list[Token]


@dataclass
class _ParsedDocument:
    blocks: list[_TopBlock]
    references: dict[str, Any]


def _parse_document(text: str) -> _ParsedDocument | None:
    """Split `text` into top-level blocks, or None when a block has no source position."""
    env: dict[str, Any] = {}
    # The parser the preview itself uses, so our blocks line up with the widgets it builds.
    tokens = markdown_parser().parse(text, env)
    lines = text.splitlines(keepends=True)
    blocks: list[_TopBlock] = []
    pending: list[Token] = []
    depth = 0
    for token in tokens:
        pending.append(token)
        depth += token.nesting
        if depth:
            continue
        if pending[0].map is None:
            return None
        start, end = pending[0].map
        blocks.append(_TopBlock(start, end, "".join(lines[start:end]), pending))
        pending = []
    # Where a definition sits does not matter to the blocks that use it, only what it says.
    references = {
        label: (ref.get("href"), ref.get("title"))
        for label, ref in env.get("references", {}).items()
    }
    return _ParsedDocument(blocks, references)


class _PreviewViewer(SafeMarkdownViewer):
    """The preview: a viewer whose links never replace the previewed text."""


class MarkdownSplitEditor(Widget):
    """Edit Markdown with a live preview; posts `SaveRequested` and leaves saving to its owner."""

    DEFAULT_CSS = """
    MarkdownSplitEditor {
        height: 1fr;
        & > #md-panes {
            height: 1fr;
        }
        & #md-editor, & #md-preview {
            width: 1fr;
            height: 1fr;
        }
        & #md-preview {
            border: round $panel;
            padding: 0 1;
            &:focus-within {
                border: round $border;
            }
        }
        & > #md-status {
            dock: bottom;
            width: 1fr;
            height: 1;
            padding: 0 1;
            background: $panel;
            color: $text-muted;
            text-wrap: nowrap;
            text-overflow: ellipsis;
        }
    }
    """

    BINDINGS = [
        Binding(
            "f2",
            "cycle_view",
            "Cycle view",
            id="editor.cycle_view",
            tooltip="Switch between split, editor only and preview only",
        ),
        # Priority: checked before the focused TextArea sees the key, so no editing binding,
        # present or future, can claim ctrl+s first.
        # the text area binds neither: the start and end of the whole document, as editors do
        Binding("ctrl+home", "document_edge('start')", "Start", show=False, id="editor.start"),
        Binding("ctrl+end", "document_edge('end')", "End", show=False, id="editor.end"),
        Binding(
            "ctrl+shift+home",
            "document_edge('start', True)",
            "Select to start",
            show=False,
            id="editor.select_to_start",
        ),
        Binding(
            "ctrl+shift+end",
            "document_edge('end', True)",
            "Select to end",
            show=False,
            id="editor.select_to_end",
        ),
        Binding(
            "ctrl+s",
            "request_save",
            "Save",
            priority=True,
            id="editor.save",
            tooltip="Save the document",
        ),
    ]

    # No init watcher: it would run before our panes exist; on_mount applies the starting mode.
    mode: reactive[ViewMode] = reactive("split", init=False)
    """Which panes are visible: both, the editor only or the preview only."""

    class SaveRequested(Message):
        """The user asked to save; the owner decides how (and whether) to store the text."""

        def __init__(self, editor: MarkdownSplitEditor, text: str) -> None:
            super().__init__()
            self.editor = editor
            self.text = text

        @property
        def control(self) -> MarkdownSplitEditor:
            return self.editor

    def __init__(
        self,
        text: str = "",
        *,
        debounce: float = 0.3,
        name: str | None = None,
        id: str | None = None,
        classes: str | None = None,
    ) -> None:
        super().__init__(name=name, id=id, classes=classes)
        # stored text may hold control characters: the editor shows (and saves) them as
        # visible escapes, so neither pane nor the saved text can drive a terminal
        text = escape_markdown(text)
        self.debounce = debounce
        self._initial_text = text
        self._baseline = text
        # MarkdownViewer renders its initial text on mount, so that text is already on screen.
        self._rendered_text = text
        self._rendered_blocks: _ParsedDocument | None = None
        self._debounce_timer: Timer | None = None
        self._preview_due = False
        self._rendering = False
        self._last_render_seconds = 0.0
        # Counts are cached per edit so a cursor move does not rescan the whole document.
        self._word_count = len(text.split())
        self._line_count = 0
        self._is_modified = False
        self._ready = False
        self._preview_failure: str | None = None  # why the last render failed (its type)

    def compose(self) -> ComposeResult:
        with Horizontal(id="md-panes"):
            yield TextArea.code_editor(
                self._initial_text, language="markdown", soft_wrap=True, id="md-editor"
            )
            yield _PreviewViewer(
                self._initial_text, show_table_of_contents=False, open_links=False, id="md-preview"
            )
        yield Static(id="md-status", markup=False)

    def on_mount(self) -> None:
        self._ready = True
        self._line_count = self._editor.document.line_count
        self._apply_mode(self.mode)

    @property
    def _editor(self) -> TextArea:
        return self.query_one("#md-editor", TextArea)

    @property
    def _viewer(self) -> MarkdownViewer:
        return self.query_one("#md-preview", MarkdownViewer)

    @property
    def text(self) -> str:
        """The text currently in the editor."""
        return self._editor.text if self._ready else self._initial_text

    @property
    def modified(self) -> bool:
        """True when the text differs from the last saved (or loaded) text."""
        return self.text != self._baseline

    def mark_saved(self, text: str | None = None) -> None:
        """Record `text` (default: the current text) as saved, clearing the modified marker."""
        self._baseline = self.text if text is None else text
        self._is_modified = self.modified
        self._update_status()

    def load(self, text: str) -> None:
        """Replace the document and its saved baseline, e.g. to reload after a conflict."""
        text = escape_markdown(text)
        self._baseline = text
        if not self._ready:
            self._initial_text = self._rendered_text = text
            self._word_count = len(text.split())
            return
        self._editor.load_text(text)
        self._refresh_counts(text)
        self._update_status()
        if self._debounce_timer is not None:
            self._debounce_timer.stop()
            self._debounce_timer = None
        # A reload is a deliberate jump to other text, so there is nothing to debounce.
        self._request_preview()

    def action_cycle_view(self) -> None:
        self.mode = _NEXT_MODE[self.mode]

    def action_document_edge(self, edge: str, select: bool = False) -> None:
        """ctrl+home / ctrl+end: the editor's cursor, or (preview only) the preview's scroll."""
        editor = self._editor
        if not editor.display:
            viewer = self._viewer
            (viewer.scroll_home if edge == "start" else viewer.scroll_end)(animate=False)
            return
        where = (0, 0) if edge == "start" else editor.document.end
        editor.move_cursor(where, select=select)

    def action_request_save(self) -> None:
        self.post_message(self.SaveRequested(self, self.text))

    def validate_mode(self, mode: str) -> ViewMode:
        for known in _NEXT_MODE:
            if mode == known:
                return known
        raise ValueError(f"mode must be one of {', '.join(_NEXT_MODE)}, not {mode!r}")

    def watch_mode(self, mode: ViewMode) -> None:
        if self._ready:
            self._apply_mode(mode)

    def _apply_mode(self, mode: ViewMode) -> None:
        editor = self._editor
        viewer = self._viewer
        editor.display = mode != "preview"
        viewer.display = mode != "editor"
        if editor.display:
            editor.focus()
        else:
            # Keeps focus (and so our bindings) inside the widget, and lets the keys scroll.
            viewer.document.focus()
        if mode != "editor" and self._rendered_text != self.text:
            self._request_preview()
        self._update_status()

    @on(TextArea.Changed, "#md-editor")
    def _text_changed(self, event: TextArea.Changed) -> None:
        event.stop()
        self._refresh_counts(event.text_area.text)
        self._update_status()
        if self._debounce_timer is not None:
            self._debounce_timer.stop()
        self._debounce_timer = self.set_timer(self._preview_delay(), self._debounce_elapsed)

    @on(TextArea.SelectionChanged, "#md-editor")
    def _cursor_moved(self, event: TextArea.SelectionChanged) -> None:
        event.stop()
        self._update_status()
        self._follow_cursor()

    def _follow_cursor(self) -> None:
        """Scroll the preview to the block the editor's cursor is in (split view)."""
        if not self._ready or self.mode != "split":
            return
        row = self._editor.cursor_location[0]
        document = self._viewer.document
        block = None
        for child in document.children:
            if not isinstance(child, MarkdownBlock):
                continue
            start, end = child.source_range
            if start > row:
                break
            block = child  # the last block starting at or above the cursor's line
            if row < end:
                break
        if block is None:
            self._viewer.scroll_home(animate=False, immediate=True)
        else:
            self._viewer.scroll_to_widget(block, animate=False, immediate=True)

    def _preview_delay(self) -> float:
        # Never let renders queue up behind each other: after a slow render (a large paste into a
        # long document), wait at least as long as it took before starting the next one.
        return max(self.debounce, self._last_render_seconds)

    def _debounce_elapsed(self) -> None:
        self._debounce_timer = None
        self._request_preview()

    def _request_preview(self) -> None:
        self._preview_due = True
        if not self._rendering:
            self._rendering = True
            # A failed preview must not take the unsaved text down with the app: the failure
            # reaches `_preview_worker_changed`, which says so in the status line.
            self.run_worker(self._render_preview(), group=PREVIEW, exit_on_error=False)

    @on(Worker.StateChanged)
    def _preview_worker_changed(self, event: Worker.StateChanged) -> None:
        """A failed render is said (the preview keeps the last text it showed, the editor keeps
        the text); the next render that succeeds takes the message away."""
        if event.worker.group != PREVIEW:
            return
        if event.state == WorkerState.ERROR:
            error = event.worker.error
            # the type only: the message might quote the text being edited
            self._preview_failure = type(error).__name__
            self.log.error(f"the Markdown preview failed: {self._preview_failure}")
        elif event.state == WorkerState.SUCCESS:
            self._preview_failure = None
        else:
            return
        self._update_status()

    async def _render_preview(self) -> None:
        # A worker, so our message queue (status line, timers) keeps moving while the preview
        # mounts; the loop folds every request made meanwhile into one render of the latest text
        # and never runs two renders at once.
        try:
            while self._preview_due and self.mode != "editor":
                self._preview_due = False
                text = self.text
                if text == self._rendered_text:
                    continue
                started = perf_counter()
                await self._update_preview(text)
                self._last_render_seconds = perf_counter() - started
                self._rendered_text = text
                self.call_after_refresh(self._follow_cursor)
        finally:
            self._rendering = False

    async def _update_preview(self, text: str) -> None:
        # Rebuilding every block of a 2,000-line document takes seconds and stalls typing
        # throughout, so only the blocks that changed since the last render are rebuilt.
        loop = asyncio.get_running_loop()
        old = self._rendered_blocks
        if old is None:
            old = await loop.run_in_executor(None, _parse_document, self._rendered_text)
        new = await loop.run_in_executor(None, _parse_document, text)
        document = self._viewer.document
        patched = (
            old is not None
            and new is not None
            # Reference-style links resolve across blocks; a changed definition changes them all.
            and old.references == new.references
            and await self._patch_preview(document, old, new, text)
        )
        if not patched:
            await document.update(text)
        self._rendered_blocks = new

    async def _patch_preview(
        self, document: Markdown, old: _ParsedDocument, new: _ParsedDocument, text: str
    ) -> bool:
        """Swap the changed top-level blocks in place; False if the document is not as expected.

        Builds blocks with Markdown's private `_parse_markdown`, which is why textual is pinned
        exactly; any surprise in the document's children falls back to a full update.
        """
        async with document.lock:
            children = [child for child in document.children if isinstance(child, MarkdownBlock)]
            by_start = {child.source_range[0]: child for child in children}
            if len(by_start) != len(document.children) or not by_start.keys() <= {
                block.start for block in old.blocks
            }:
                return False

            same = min(len(old.blocks), len(new.blocks))
            prefix = 0
            while prefix < same and old.blocks[prefix].source == new.blocks[prefix].source:
                prefix += 1
            suffix = 0
            while (
                suffix < same - prefix
                and old.blocks[-1 - suffix].source == new.blocks[-1 - suffix].source
            ):
                suffix += 1
            removed = old.blocks[prefix : len(old.blocks) - suffix]
            added = new.blocks[prefix : len(new.blocks) - suffix]
            kept = [
                (by_start[before.start], after)
                for before, after in (
                    *zip(old.blocks[:prefix], new.blocks[:prefix], strict=True),
                    *zip(
                        old.blocks[len(old.blocks) - suffix :],
                        new.blocks[len(new.blocks) - suffix :],
                        strict=True,
                    ),
                )
                if before.start in by_start
            ]
            anchor = next(
                (
                    by_start[b.start]
                    for b in old.blocks[len(old.blocks) - suffix :]
                    if b.start in by_start
                ),
                None,
            )
            stale = [by_start[block.start] for block in removed if block.start in by_start]
            fresh = list(document._parse_markdown(token for b in added for token in b.tokens))

            # Blocks read their source lines from the document, so it must hold the new text;
            # unchanged blocks may still have moved (a line added above them).
            document._markdown = text
            for widget, block in kept:
                widget.source_range = (block.start, block.end)
            if not stale and not fresh:
                return True
            # One repaint for the swap, so the preview never shows the gap between the two.
            with self.app.batch_update():
                if fresh:
                    await document.mount_all(fresh, before=anchor)
                if stale:
                    await document.remove_children(stale)

            if any(block.tokens[0].type == "heading_open" for block in (*removed, *added)):
                document._table_of_contents = None
                document.post_message(
                    Markdown.TableOfContentsUpdated(
                        document, document.table_of_contents
                    ).set_sender(document)
                )
        return True

    def _refresh_counts(self, text: str) -> None:
        self._word_count = len(text.split())
        self._line_count = self._editor.document.line_count
        self._is_modified = text != self._baseline

    def _update_status(self) -> None:
        if not self._ready:
            return
        row, column = self._editor.cursor_location
        status = (
            f"Ln {row + 1}, Col {column + 1} · {self._word_count} words"
            f" · {self._line_count} lines · {self.mode}"
        )
        if self._is_modified:
            status += " · ● modified"
        if self._preview_failure is not None:
            status = f"⚠ preview failed ({self._preview_failure}); the text is kept · {status}"

        # The bar's size is fixed, and a layout pass would reflow every preview block.
        self.query_one("#md-status", Static).update(status, layout=False)
