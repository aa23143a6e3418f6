"""A split-pane Markdown editor: source on the left, a debounced live preview on the right."""

from __future__ import annotations

from collections.abc import Callable
from time import perf_counter
from typing import Any, Literal, Self

from rich.cells import cell_len
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.document._wrapped_document import WrappedDocument
from textual.geometry import Region
from textual.message import Message
from textual.reactive import reactive
from textual.timer import Timer
from textual.widget import Widget
from textual.widgets import Static, TextArea
from textual.worker import Worker, WorkerState

from pylee_tui import heap
from pylee_tui.safe_text import escape_markdown
from pylee_tui.widgets.safe_markdown import SafeMarkdownViewer

ViewMode = Literal["split", "editor", "preview"]

_NEXT_MODE: dict[ViewMode, ViewMode] = {"split": "editor", "editor": "preview", "preview": "split"}
PREVIEW = "md-preview"  # the worker group of the preview's renders


class _CountedWrapping(WrappedDocument):
    """Wrapping whose height is counted once, not summed over every line of the document on
    every line painted (TextArea asks for it per line: 36 times 2,000 lines per frame)."""

    @property
    def height(self) -> int:
        # one entry per visual line, kept by wrap() and wrap_range() alike
        return len(self._offset_to_line_info)


class _SourceArea(TextArea):
    """The editor's text area: its editor hears of a change as it is posted, not after the
    message has travelled up the DOM (by then the frame with the text has been painted)."""

    on_posted: Callable[[Message], object] | None = None

    _document_language: str | None = None

    def _set_document(self, text: str, language: str | None) -> None:
        super()._set_document(text, language)
        self._document_language = language
        # the same object and state, a faster height (textual is pinned exactly)
        self.wrapped_document.__class__ = _CountedWrapping

    def _watch_language(self, language: str | None) -> None:
        # TextArea builds its document in __init__, then again for the language it sets
        # there: parsing and highlighting a long document twice on opening
        if language != self._document_language:
            super()._watch_language(language)

    def _rewrap_and_refresh_virtual_size(self) -> None:
        # TextArea wraps the whole document again on every resize and scroll bar change, even
        # at the width it is wrapped at already (edits keep that wrapping up to date): a long
        # document is wrapped seven times on opening, where twice is enough
        wrapped = self.wrapped_document
        if (wrapped._width, wrapped._tab_width) != (self.wrap_width, self.indent_width):
            wrapped.wrap(self.wrap_width, tab_width=self.indent_width)
        self._line_cache.clear()
        self._refresh_size()

    def post_message(self, message: Message) -> bool:
        if self.on_posted is not None and isinstance(
            message, (TextArea.Changed, TextArea.SelectionChanged)
        ):
            self.on_posted(message)
        return super().post_message(message)


class _StatusLine(Static):
    """The status line: it changes with every key, near its start. Only the cells that changed
    are repainted (a frame repaints the box around all that changed: the whole line would take
    in every block of the preview beside the editor), and never with a layout (its size is
    fixed)."""

    _text = ""
    _cells: Region | None = None

    def show(self, text: str) -> None:
        old, self._text = self._text, text
        if text == old:
            return
        start, end = _changed_span(old, text)
        if end <= self.content_size.width:  # (an ellipsis at the end would move)
            self._cells = Region(start, 0, end - start, 1)
        try:
            self.update(text, layout=False)
        finally:
            self._cells = None

    def refresh(self, *regions: Region, **kwargs: Any) -> Self:
        if self._cells is not None and not regions:
            regions = (self._cells,)
        return super().refresh(*regions, **kwargs)


def _changed_span(old: str, new: str) -> tuple[int, int]:
    """The cells of `new` that differ from `old` (start, end), as a line shows them."""
    same = min(len(old), len(new))
    head = next((i for i in range(same) if old[i] != new[i]), same)
    end = max(len(old), len(new))
    if len(old) == len(new):
        end -= next((i for i in range(same - head) if old[-1 - i] != new[-1 - i]), same - head)
    return cell_len(new[:head]), cell_len(new[:end]) + max(0, len(old) - len(new))


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
        debounce: float = 0.15,
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
        self._frozen = False  # the heap frozen out of full collections (see _freeze_heap)
        self._typed = False  # typing has begun (what the opening built is frozen too)
        # opening builds a long document's text area and preview (100,000 objects and more):
        # full collections on the way would walk the whole app as well, once or twice
        self._freeze_heap()

    def compose(self) -> ComposeResult:
        with Horizontal(id="md-panes"):
            area = _SourceArea.code_editor(
                self._initial_text, language="markdown", soft_wrap=True, id="md-editor"
            )
            assert isinstance(area, _SourceArea)
            area.on_posted = self._source_changed
            yield area
            yield _PreviewViewer(
                self._initial_text, show_table_of_contents=False, open_links=False, id="md-preview"
            )
        yield _StatusLine(id="md-status", markup=False)

    def on_mount(self) -> None:
        self._ready = True
        self._line_count = self._editor.document.line_count
        self._apply_mode(self.mode)

    def on_unmount(self) -> None:
        self._ready = False
        if self._frozen:
            self._frozen = False
            # the app stays frozen: its own freeze is restored once the editor's garbage is
            # collected, at an idle moment
            heap.release(lambda collect: self.app.set_timer(1.0, collect))

    def _freeze_heap(self) -> None:
        """What exists now is kept out of Python's full garbage collections until the editor
        closes: when it opens (the app), and once typing has begun (the document, its
        preview). A full collection walks every object not frozen (a long document's
        preview: about 100,000) and stalls the keys, or the opening, for 100 ms and more;
        frozen, it walks what typing makes. (gc.freeze moves lists: it costs nothing.)"""
        if not self._frozen:
            self._frozen = True
            heap.hold()
        else:
            heap.freeze_now()  # typing began: what the opening built, frozen too

    @property
    def _editor(self) -> TextArea:
        return self.query_one("#md-editor", TextArea)

    @property
    def _viewer(self) -> SafeMarkdownViewer:
        return self.query_one("#md-preview", SafeMarkdownViewer)

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
    @on(TextArea.SelectionChanged, "#md-editor")
    def _handled_as_posted(self, event: Message) -> None:
        event.stop()  # `_source_changed` saw it as it was posted

    def _source_changed(self, message: Message) -> None:
        """The text area changed its text or its cursor, in the same turn as the key, so the
        status line is painted in the same frame as the text and not one frame later."""
        if not self._ready:
            return
        if isinstance(message, TextArea.Changed):
            if not self._typed:
                self._typed = True
                self._freeze_heap()
            self._refresh_counts(self._editor.text)
            self._update_status()
            if self._debounce_timer is not None:
                self._debounce_timer.stop()
            self._debounce_timer = self.set_timer(self._preview_delay(), self._debounce_elapsed)
        elif isinstance(message, TextArea.SelectionChanged):
            self._update_status()
            self._follow_cursor()

    def _follow_cursor(self) -> None:
        """Scroll the preview to the block the editor's cursor is in (split view)."""
        if not self._ready or self.mode != "split":
            return
        # called after a refresh, by whichever screen is on top by then: the editor may be
        # closing (its panes already gone), and then there is nothing to follow
        viewers = self.query("#md-preview").results(SafeMarkdownViewer)
        editors = self.query("#md-editor").results(TextArea)
        viewer, editor = next(viewers, None), next(editors, None)
        if viewer is not None and editor is not None:
            viewer.document.reveal_line(editor.cursor_location[0])

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
        # the document rebuilds only the blocks whose text changed, and only those in view
        await self._viewer.document.update(text)

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

        self.query_one("#md-status", _StatusLine).show(status)
