"""Section 1 of the org screen: the org's name, description and overview (Markdown), beside the
onboarding timeline. Its keys (e edit, t contents) are the org screen's: they work from every
widget of the screen while this section is shown."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Vertical, VerticalScroll
from textual.widgets import MarkdownViewer, Static

from pylee_tui.safe_text import escape
from pylee_tui.sections.base import OrgSection
from pylee_tui.sections.org_view import OrgView
from pylee_tui.widgets.onboarding_timeline import OnboardingTimeline
from pylee_tui.widgets.safe_markdown import SafeMarkdownViewer

EMPTY_OVERVIEW = "*No overview yet.* Press **e** to write one in the split editor."


class OverviewPane(OrgSection):
    # laid out as the Horizontal it replaces: the overview fills the room, the timeline beside
    DEFAULT_CSS = """
    OverviewPane {
        width: 1fr;
        height: 1fr;
        layout: horizontal;
        overflow: hidden hidden;
    }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._markdown_of: tuple[str, int] | None = None  # (overview, org id) rendered

    def compose(self) -> ComposeResult:
        with Vertical(id="org-main"):
            yield Static("", id="org-name")
            yield Static("", id="org-description")
            yield SafeMarkdownViewer("", show_table_of_contents=False, id="org-overview")
        with VerticalScroll(id="org-side"):
            yield OnboardingTimeline(id="timeline")

    def on_mount(self) -> None:
        self.query_one("#org-overview", MarkdownViewer).can_focus = True

    def show_summary(self, view: OrgView) -> None:
        """Name, description and onboarding: quick, shown at once."""
        org = view.org
        self.query_one("#org-name", Static).update(
            f"[b]{_markup_safe(org.name)}[/b]  [dim]{org.slug}[/dim]"
        )
        self.query_one("#org-description", Static).update(
            _markup_safe(escape(org.description))
            if org.description
            else "[dim]No description yet.[/dim]"
        )
        self.query_one(OnboardingTimeline).state = view.onboarding

    async def show_overview(self, view: OrgView) -> None:
        """The Markdown: the slow part, rendered again only when its text or its org changed."""
        shown = (view.org.overview, view.org.id)
        if shown == self._markdown_of:
            return
        self._markdown_of = shown
        viewer = self.query_one("#org-overview", SafeMarkdownViewer)
        await viewer.show(view.org.overview or EMPTY_OVERVIEW)

    def toggle_toc(self) -> None:
        viewer = self.query_one("#org-overview", MarkdownViewer)
        viewer.show_table_of_contents = not viewer.show_table_of_contents


def _markup_safe(text: str) -> str:
    return text.replace("[", r"\[")
