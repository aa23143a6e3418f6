"""A unified diff as a screen shows it: each line escaped (a diff quotes stored and file text)
and coloured as a diff is."""

from __future__ import annotations

from rich.text import Text

from pylee_tui.safe_text import escape


def diff_text(diff: str) -> Text:
    """`diff` (secrets already masked by the service that made it), a line at a time."""
    text = Text()
    for line in diff.splitlines():
        style = ""
        if line.startswith(("+++", "---")):
            style = "bold"
        elif line.startswith("@@"):
            style = "cyan"
        elif line.startswith("+"):
            style = "green"
        elif line.startswith("-"):
            style = "red"
        text.append(escape(line) + "\n", style=style)
    return text
