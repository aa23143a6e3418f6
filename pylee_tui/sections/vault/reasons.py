"""Why a key of the vault section does nothing on what it shows: the line said when it is pressed
(the footer shows it disabled). The rules are the services' (`access.PERMISSIONS`); this only
words them in the app's language."""

from __future__ import annotations

from typing import Any

from pylee_tui.sections.vault.rows import DELETED, Row
from pylee_tui.widgets.disabled_keys import WRITE, needs


def why_not(
    action: str,
    *,
    row: Row | None,
    mode: str,
    level: str,
    label: str,
    permissions: frozenset[str],
    undo: Any | None,
) -> str | None:
    """None when `action` can be done on `row` (the selected row) at the scope shown."""

    def may_write(kind: str) -> bool:
        return WRITE[kind] in permissions

    if action in ("toggle_mode", "deleted", "pick_scope"):
        return None
    if action == "undo":
        return None if undo is not None else "Nothing to undo: u takes back a delete made here."
    if action == "new":
        if may_write("variable") or may_write("secret"):
            return None
        return f"Adding a variable: {needs('variables:write')}; a secret: {needs('secrets:write')}."
    if row is None:
        return "No key is selected." if mode != DELETED else "No deleted key is selected."
    if row.deleted is not None:
        if action == "history":
            return None
        return f"{row.key} is deleted at {label}: h shows its versions, to roll one back."
    if action == "history":
        if row.unset:
            return f"{row.key} is defined nowhere yet, so it has no history."
        return None
    if action == "edit":
        return None if may_write(row.kind) else f"Changing a {row.kind}: {needs(WRITE[row.kind])}."
    if action == "delete":
        if row.unset:
            return f"{row.key} is defined nowhere: there is nothing to delete."
        if row.level != level:
            return (
                f"{row.key} comes from {row.source}, not {label}: delete it there "
                "(p picks the scope)."
            )
        if not may_write(row.kind):
            return f"Deleting a {row.kind}: {needs(WRITE[row.kind])}."
        return None
    if action in ("reveal", "copy"):
        if row.unset:
            return f"{row.key} is defined nowhere: there is no value to {action}."
        if not row.secretive:
            if action == "copy":
                return None
            return f"{row.key} is a plain variable: its value is shown as it is."
        if "secrets:reveal" not in permissions:
            verb = "Revealing" if action == "reveal" else "Copying"
            return f"{verb} secrets: {needs('secrets:reveal')}."
        return None
    return None
