"""What a server offered at its last check, for the server screen's Tools / Resources / Prompts
tabs: table rows, the context estimate and the check's line. Every text came from a server:
each is escaped before it is shown."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from rich.text import Text

from pylee_tui.models import plural
from pylee_tui.safe_text import escape

if TYPE_CHECKING:
    from pylee_tui.services.checks import CheckResult

NEVER_CHECKED = "Never checked: press k to check this server."
DESCRIPTION_WIDTH = 50  # a table cell (80 columns wide in all); the whole text is in the call form


def _one_line(value: Any, width: int = DESCRIPTION_WIDTH) -> str:
    text = " ".join(str(value or "").split())
    return text if len(text) <= width else text[: width - 1] + "…"


def check_line(result: CheckResult | None) -> Text:
    """ "≈ N tokens for M tools · ok, 2026-12-01 05:00 by ann" (or never checked)."""
    if result is None:
        return Text(NEVER_CHECKED, style="dim")
    text = Text()
    text.append(f"≈ {result.tokens:,} tokens for {plural(len(result.tools), 'tool')}", style="bold")
    style = "green" if result.ok else "yellow"
    text.append(" · ")
    text.append(result.state, style=style)
    when = result.checked_at[:16].replace("T", " ")
    text.append(escape(f", {when} by {result.checked_by}"), style="dim")
    if not result.ok and result.detail:
        text.append("\n")
        text.append(escape(_one_line(result.detail, 300)), style=style)
    return text


def tool_rows(result: CheckResult | None) -> list[tuple[str, tuple[Text, Text, Text]]]:
    """(key, (name, ≈ tokens, description)) per tool, in the server's order."""
    from pylee_tui.services.checks import tool_tokens

    rows = []
    for i, tool in enumerate(result.tools if result else ()):
        rows.append(
            (
                str(i),
                (
                    Text(escape(str(tool.get("name") or ""))),
                    Text(f"≈ {tool_tokens(tool):,}", justify="right"),
                    Text(escape(_one_line(tool.get("description")))),
                ),
            )
        )
    return rows


def resource_rows(result: CheckResult | None) -> list[tuple[Text, ...]]:
    return [
        (
            Text(escape(str(r.get("name") or ""))),
            Text(escape(str(r.get("uri") or ""))),
            Text(escape(str(r.get("mime_type") or ""))),
            Text(escape(_one_line(r.get("description")))),
        )
        for r in (result.resources if result else ())
    ]


def prompt_rows(result: CheckResult | None) -> list[tuple[Text, ...]]:
    rows: list[tuple[Text, ...]] = []
    for p in result.prompts if result else ():
        arguments = p.get("arguments") or []
        names = ", ".join(
            str(a.get("name", "")) + ("*" if a.get("required") else "")
            for a in arguments
            if isinstance(a, dict)
        )
        rows.append(
            (
                Text(escape(str(p.get("name") or ""))),
                Text(escape(names)),
                Text(escape(_one_line(p.get("description")))),
            )
        )
    return rows
