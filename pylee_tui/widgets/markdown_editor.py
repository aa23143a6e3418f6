"""A split-pane Markdown editor: source on the left, a debounced live preview on the right."""

from __future__ import annotations

from time import perf_counter
from typing import Literal

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.message import Message
from textual.reactive import reactive
from textual.timer import Timer
from textual.widget import Widget
from textual.widgets import MarkdownViewer, Static, TextArea

ViewMode = Literal["split", "editor", "preview"]

_NEXT_MODE: dict[ViewMode, ViewMode] = {"split": "editor", "editor": "preview", "preview": "split"}


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
        # Priority, or TextArea would swallow ctrl+s before it bubbles up to us.
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

    def compose(self) -> ComposeResult:
        with Horizontal(id="md-panes"):
            yield TextArea.code_editor(
                self._initial_text, language="markdown", soft_wrap=True, id="md-editor"
            )
            yield MarkdownViewer(self._initial_text, show_table_of_contents=False, id="md-preview")
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

    def action_request_save(self) -> None:
        self.post_message(self.SaveRequested(self, self.text))

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

    def _preview_delay(self) -> float:
        # A long document takes a while to render and blocks the event loop while its blocks mount,
        # so wait at least as long as the last render took: a slow preview then refreshes during
        # real pauses in typing rather than between keystrokes.
        return max(self.debounce, self._last_render_seconds)

    def _debounce_elapsed(self) -> None:
        self._debounce_timer = None
        self._request_preview()

    def _request_preview(self) -> None:
        self._preview_due = True
        if not self._rendering:
            self._rendering = True
            # A failed preview must not take the unsaved text down with the app; the failure
            # still reaches the app's Worker.StateChanged handler.
            self.run_worker(self._render_preview(), group="md-preview", exit_on_error=False)

    async def _render_preview(self) -> None:
        # Runs as a worker so our message queue (status line, timers) keeps moving while the
        # preview mounts; the loop folds every request made meanwhile into one render of the
        # latest text, and never runs two renders at once.
        try:
            while self._preview_due and self.mode != "editor":
                self._preview_due = False
                text = self.text
                if text == self._rendered_text:
                    continue
                started = perf_counter()
                await self._viewer.document.update(text)
                self._last_render_seconds = perf_counter() - started
                self._rendered_text = text
        finally:
            self._rendering = False

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
        self.query_one("#md-status", Static).update(status, layout=False)
