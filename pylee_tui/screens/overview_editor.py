"""A Markdown overview (an org's or a registry's) in the split-pane editor: save, the
unsaved-changes guard, and conflicts with a save made elsewhere."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen

from pylee_tui.dialogs.choice import ChoiceScreen, save_discard_cancel
from pylee_tui.services import Conflict
from pylee_tui.widgets.footer import PyleeFooter
from pylee_tui.widgets.markdown_document import MarkdownDocument
from pylee_tui.widgets.markdown_editor import MarkdownSplitEditor
from pylee_tui.widgets.org_bar import OrgBar
from pylee_tui.widgets.pylee_app import pylee_app


class OverviewEditorScreen(Screen[bool]):
    """Dismisses with True when something was saved."""

    HELP_TITLE = "overview editor"
    # priority: the code editor uses escape to leave the text area, and here it must close
    BINDINGS = [Binding("escape", "close", "Close", id="overview_editor.close", priority=True)]

    def __init__(self, document: MarkdownDocument, user: str, role: str) -> None:
        super().__init__()
        self.document = document
        self.user = user
        self.role = role
        self.base = document.base
        self.saved_any = False
        # set while a Save chosen on the way out is running: what to do once it is stored
        self._after_save: Callable[[], object] | None = None

    def compose(self) -> ComposeResult:
        bar = OrgBar()
        bar.org_name = self.document.title
        bar.org_slug = self.document.slug
        bar.user = self.user
        bar.role = self.role
        yield bar
        yield MarkdownSplitEditor(self.document.text, id="overview-editor")
        yield PyleeFooter()

    def on_mount(self) -> None:
        self.query_one("#md-editor").focus()

    @property
    def editor(self) -> MarkdownSplitEditor:
        return self.query_one(MarkdownSplitEditor)

    @on(MarkdownSplitEditor.SaveRequested)
    def _save_requested(self, event: MarkdownSplitEditor.SaveRequested) -> None:
        self.save(event.text)

    def save(self, text: str, *, force: bool = False) -> None:
        pylee_app(self).call(
            self.document.save,
            text,
            self.base,
            force,
            done=lambda base: self._saved(base, text),
            failed=self._save_failed,
        )

    def _saved(self, base: datetime | None, text: str) -> None:
        self.base = base
        self.saved_any = True
        self.editor.mark_saved(text)
        self.notify("Saved.", timeout=3)
        then, self._after_save = self._after_save, None
        if then is not None:
            self.dismiss(True)
            then()

    def _save_failed(self, exc: Exception) -> None:
        self._after_save = None  # not stored: stay, whatever was on the way
        if isinstance(exc, Conflict):
            self.app.push_screen(
                ChoiceScreen(
                    "Changed elsewhere",
                    f"{exc}.\nOverwrite replaces their text with yours; Reload replaces yours "
                    "with theirs.",
                    [
                        ("overwrite", "Overwrite", "warning"),
                        ("reload", "Reload", "primary"),
                        ("cancel", "Cancel", "default"),
                    ],
                    default="cancel",
                ),
                callback=self._conflict_answer,
            )
        else:
            self.notify(str(exc), severity="error", title="Not saved")

    def _conflict_answer(self, answer: str | None) -> None:
        if answer == "overwrite":
            self.save(self.editor.text, force=True)
        elif answer == "reload":
            pylee_app(self).call(self.document.load, done=self._reloaded)

    def _reloaded(self, loaded: tuple[str, datetime | None]) -> None:
        text, self.base = loaded
        self.editor.load(text)
        self.notify("Reloaded the saved text.", timeout=3)

    # --- the unsaved-changes guard (the app's UnsavedWork protocol) ---------------------------

    @property
    def has_unsaved_changes(self) -> bool:
        return self.is_mounted and bool(self.query(MarkdownSplitEditor)) and self.editor.modified

    def ask_before_leaving(self, then: Callable[[], object]) -> None:
        """Save / Discard / Cancel; `then` runs once this screen has closed (saved or not)."""
        self.app.push_screen(
            save_discard_cancel("The overview has changes that are not saved."),
            callback=lambda answer: self._leave_answer(answer, then),
        )

    def _leave_answer(self, answer: str | None, then: Callable[[], object]) -> None:
        if answer == "save":
            self._after_save = then
            self.save(self.editor.text)
        elif answer == "discard":
            self.dismiss(self.saved_any)
            then()

    def action_close(self) -> None:
        if not self.has_unsaved_changes:
            self.dismiss(self.saved_any)
            return
        self.ask_before_leaving(lambda: None)
