"""The org overview in the split-pane Markdown editor: save, unsaved-changes guard, conflicts."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import Footer

from pylee_tui.models import Organization
from pylee_tui.screens.choice import ChoiceScreen
from pylee_tui.services import Conflict
from pylee_tui.widgets.markdown_editor import MarkdownSplitEditor
from pylee_tui.widgets.org_bar import OrgBar


class OverviewEditorScreen(Screen[bool]):
    """Dismisses with True when something was saved."""

    HELP_TITLE = "overview editor"
    # priority: the code editor uses escape to leave the text area, and here it must close
    BINDINGS = [Binding("escape", "close", "Close", id="overview_editor.close", priority=True)]

    def __init__(self, org: Organization, user: str, role: str) -> None:
        super().__init__()
        self.org = org
        self.user = user
        self.role = role
        self.base = org.overview_updated_at
        self.saved_any = False
        self._close_after_save = False

    def compose(self) -> ComposeResult:
        bar = OrgBar()
        bar.org_name = f"{self.org.name} · overview"
        bar.org_slug = self.org.slug
        bar.user = self.user
        bar.role = self.role
        yield bar
        yield MarkdownSplitEditor(self.org.overview, id="overview-editor")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#md-editor").focus()

    @property
    def editor(self) -> MarkdownSplitEditor:
        return self.query_one(MarkdownSplitEditor)

    @on(MarkdownSplitEditor.SaveRequested)
    def _save_requested(self, event: MarkdownSplitEditor.SaveRequested) -> None:
        self.save(event.text)

    def save(self, text: str, *, force: bool = False) -> None:
        services = self.app.services  # type: ignore[attr-defined]
        self.app.call(  # type: ignore[attr-defined]
            services.orgs.set_overview,
            self.user,
            self.org.slug,
            text,
            base=self.base,
            force=force,
            done=lambda org: self._saved(org, text),
            failed=self._save_failed,
        )

    def _saved(self, org: Organization, text: str) -> None:
        self.org = org
        self.base = org.overview_updated_at
        self.saved_any = True
        self.editor.mark_saved(text)
        self.notify("Overview saved.", timeout=3)
        if self._close_after_save:
            self.dismiss(True)

    def _save_failed(self, exc: Exception) -> None:
        self._close_after_save = False
        if isinstance(exc, Conflict):
            self.app.push_screen(
                ChoiceScreen(
                    "The overview changed elsewhere",
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
            services = self.app.services  # type: ignore[attr-defined]
            self.app.call(  # type: ignore[attr-defined]
                services.orgs.get, self.user, self.org.slug, done=self._reloaded
            )

    def _reloaded(self, org: Organization) -> None:
        self.org = org
        self.base = org.overview_updated_at
        self.editor.load(org.overview)
        self.notify("Reloaded the saved overview.", timeout=3)

    def action_close(self) -> None:
        if not self.editor.modified:
            self.dismiss(self.saved_any)
            return
        self.app.push_screen(
            ChoiceScreen(
                "Unsaved changes",
                "The overview has changes that are not saved.",
                [
                    ("save", "Save", "primary"),
                    ("discard", "Discard", "error"),
                    ("cancel", "Cancel", "default"),
                ],
                default="save",
            ),
            callback=self._close_answer,
        )

    def _close_answer(self, answer: str | None) -> None:
        if answer == "save":
            self._close_after_save = True
            self.save(self.editor.text)
        elif answer == "discard":
            self.dismiss(self.saved_any)
