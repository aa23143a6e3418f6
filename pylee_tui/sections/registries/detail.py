"""The detail pane of the registries section: what the item under the cursor is. The section
tells it which item; it never keeps describing another one (an unknown item says "loading…")."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical, VerticalScroll
from textual.widgets import Static

from pylee_tui.models import RegistrySummary, plural
from pylee_tui.safe_text import escape
from pylee_tui.services.registries import ServerLine
from pylee_tui.widgets.safe_markdown import SafeMarkdownViewer

EMPTY_REGISTRY_OVERVIEW = "*No overview yet.* Press **e** to write one."


class RegistryDetail(Vertical):
    DEFAULT_CSS = """
    RegistryDetail { width: 1fr; padding: 0 1; border-left: vkey $primary 40%; }
    RegistryDetail #detail-title { text-style: bold; }
    RegistryDetail #detail-body { color: $text-muted; padding-bottom: 1; }
    RegistryDetail #registry-overview { height: 1fr; }
    """

    _overview: str | None = None  # the Markdown the viewer shows

    def compose(self) -> ComposeResult:
        yield Static("", id="detail-title")
        yield Static("", id="detail-body")
        with VerticalScroll(id="detail-scroll"):
            yield SafeMarkdownViewer("", show_table_of_contents=False, id="registry-overview")

    def _say(self, title: str | Text, body: str | Text, *, overview: bool = False) -> None:
        self.query_one("#detail-title", Static).update(title)
        self.query_one("#detail-body", Static).update(body)
        self.query_one("#registry-overview", SafeMarkdownViewer).display = overview

    def show_root(self, count: int, *, drafts_only: bool) -> None:
        self._say(
            plural(count, "registry") + (" · drafts only" if drafts_only else ""),
            "A registry is a curated collection of MCP servers. n creates one."
            if not count
            else "n new registry · enter or → open · / filter · D drafts only · > next draft"
            " · i import into a registry",
        )

    def show_registry(self, summary: RegistrySummary) -> None:
        """Its summary now; its overview follows with `show_overview`."""
        self._say(
            Text(escape(summary.name)),
            Text(
                f"{summary.slug} · {plural(summary.server_count, 'server')}"
                + (f" · {summary.draft_count} draft" if summary.draft_count else "")
                + (f"\n{escape(summary.description)}" if summary.description else "")
            ),
            overview=True,
        )

    async def show_overview(self, overview: str) -> None:
        text = overview or EMPTY_REGISTRY_OVERVIEW
        if text == self._overview:  # shown already: the same registry, read again
            return
        self._overview = text
        await self.query_one("#registry-overview", SafeMarkdownViewer).show(text)

    def show_server(self, registry: str, server: ServerLine) -> None:
        lines = [
            f"in {escape(registry)} · version {escape(server.version) or '—'} · {server.status}",
            escape(server.description or ""),
        ]
        if server.problems:
            lines.append(f"{plural(len(server.problems), 'problem')}:")
            lines += [f"  {escape(p['path'])}: {escape(p['reason'])}" for p in server.problems[:6]]
        lines.append("enter opens it")
        self._say(Text(escape(server.name)), Text("\n".join(line for line in lines if line)))

    def show_loading(self, name: str) -> None:
        self._say(Text(escape(name)), "loading…")
