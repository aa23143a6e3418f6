"""What a change request shows and checks: the diff of the server.json (or the list of servers an
import touches) and the fingerprint of a server as it was, so an approval can tell that the
registry moved on since the request was made."""

from __future__ import annotations

import difflib
import hashlib
import json
from typing import Any

from pylee_tui.server_json import to_current, validate

# at most this many lines of a diff are kept: a request for a 10,000-server import lists the
# first ones and says how many more there are
MAX_DIFF_LINES = 2000


def fingerprint(row: dict[str, Any] | None) -> str | None:
    """A server row's state (None: no such server): its document, status and last change."""
    if row is None:
        return None
    text = f"{row['updated_at']}\0{row['status']}\0{row['document']}"
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:24]


def document_lines(document: Any) -> list[str]:
    """A document as diff lines: keys sorted, so two documents differ only where their values do
    (the order an editor or a client wrote them in is no change)."""
    return json.dumps(document, indent=2, ensure_ascii=False, sort_keys=True).splitlines()


def document_diff(before: Any | None, after: Any | None, name: str) -> list[str]:
    """A unified diff of a server.json, before (None: no server yet) and after (None: removed)."""
    old = [] if before is None else document_lines(before)
    new = [] if after is None else document_lines(after)
    return list(
        difflib.unified_diff(
            old,
            new,
            fromfile=f"{name} (now)" if before is not None else "(no server)",
            tofile=f"{name} (requested)" if after is not None else "(removed)",
            lineterm="",
        )
    )


def import_plan(
    entries: list[Any], existing: dict[str, dict[str, Any]], *, strict: bool, replace: bool
) -> list[tuple[str, str, Any]]:
    """(name or #position, what the import would do, the document in current shape or None) of
    each entry, as `RegistryService.import_servers` decides it: new, draft, replaced, skipped or
    rejected; or unchanged (replaced by the document it has). `existing`: the registry's rows by
    name, for the entries' names."""
    plan: list[tuple[str, str, Any]] = []
    for position, entry in enumerate(entries, 1):
        name = entry.get("name") if isinstance(entry, dict) else None
        name = name.strip() if isinstance(name, str) else ""
        if not name:
            plan.append((f"#{position}", "rejected (no usable name)", None))
            continue
        document, _notes = to_current(entry)
        problems = validate(document)
        if problems and strict:
            plan.append((name, "rejected (not valid)", None))
        elif name in existing and not replace:
            plan.append((name, "skipped (already in the registry)", None))
        elif name in existing and json.loads(existing[name]["document"]) == document:
            plan.append((name, "unchanged (as in the registry)", None))
        elif name in existing:
            plan.append((name, "replaced" + (" (as a draft)" if problems else ""), document))
        else:
            plan.append((name, "new" + (" (a draft)" if problems else ""), document))
    return plan


def import_diff(plan: list[tuple[str, str, Any]], existing: dict[str, dict[str, Any]]) -> list[str]:
    """The servers an import affects, one a line, then the diff of each it would replace."""
    marks = {"new": "+", "replaced": "~", "unchanged": "=", "skipped": "=", "rejected": "!"}
    lines = [f"{marks[what.split()[0]]} {name}  {what}" for name, what, _doc in plan]
    for name, what, document in plan:
        if what.startswith("replaced"):
            lines.append("")
            lines += document_diff(json.loads(existing[name]["document"]), document, name)
    return lines


def capped(lines: list[str]) -> str:
    if len(lines) > MAX_DIFF_LINES:
        more = len(lines) - MAX_DIFF_LINES
        lines = [*lines[:MAX_DIFF_LINES], f"… and {more} more line{'s' if more != 1 else ''}"]
    return "\n".join(lines)
