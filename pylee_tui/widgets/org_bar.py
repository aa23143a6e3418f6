"""The bar at the top of every org screen: the current org (name, slug) and who you are; a team
server that does not answer, while it does not."""

from __future__ import annotations

from rich.text import Text
from textual.reactive import reactive
from textual.widget import Widget

from pylee_tui.safe_text import escape


class OrgBar(Widget):
    DEFAULT_CSS = """
    OrgBar {
        dock: top;
        height: 1;
        background: $primary-background;
        color: $text;
        padding: 0 1;
    }
    """

    org_name: reactive[str] = reactive("")
    org_slug: reactive[str] = reactive("")
    user: reactive[str] = reactive("")
    role: reactive[str] = reactive("")
    position: reactive[str] = reactive("")
    server: reactive[str] = reactive("")  # a team server's trouble ("" while it answers)

    def render(self) -> Text:
        left = Text()
        left.append(" pylee ", style="bold reverse")
        left.append("  ")
        if self.org_name:
            left.append(escape(self.org_name), style="bold")
            left.append(f"  {escape(self.org_slug)}", style="dim")
            if self.position:
                left.append(f"  ({self.position})", style="dim")
        else:
            left.append("no organization", style="dim italic")
        right = Text()
        warning = self.app.current_theme.warning or "yellow"
        trouble = Text(escape(self.server), style=f"bold {warning}")
        if self.server:
            right.append_text(trouble)
            right.append("  ")
        if self.user:
            right.append(self.user)
            if self.role:
                right.append(f" · {self.role}", style="bold" if self.role == "admin" else "")
        width = self.size.width - 2
        if self.server and left.cell_len + right.cell_len >= width:
            # narrow: the server's trouble wins over who you are
            right = trouble
        gap = max(1, width - left.cell_len - right.cell_len)
        return Text.assemble(left, " " * gap, right)
