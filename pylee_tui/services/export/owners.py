"""Which entries and inputs of a config file pylee-tui wrote, and for whom: the `export_files`
and `export_owners` tables, kept so that a killed export never leaves an entry of ours unowned."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from pylee_tui.services.export.configfile import file_identity
from pylee_tui.services.export.merge import Owners

_KINDS = (("servers", "server"), ("inputs", "input"))


def key_of(path: Path) -> str:
    return str(path.resolve())


def read_owners(db: Any, path: Path) -> dict[str, Owners]:
    """Who owns each entry (`servers`) and input (`inputs`) pylee-tui wrote to the file. A
    record from before owners were kept gives no owner (None: counted as the exporter's).

    An export killed between renaming the new file into place and recording its owners left
    its intent: if the file is the one it wrote, the intent's owners are the file's; if not
    (killed before the rename, or the file replaced since), the owners before it and the ones
    it meant, together (so none of ours is ever taken for the user's: the names it meant are
    not in the old file, or were ours already)."""
    key = key_of(path)
    row = next(iter(db.query("SELECT pending_file FROM export_files WHERE path = ?", [key])), None)
    current = _rows(db, key, "current")
    if row is None or row["pending_file"] is None:
        return current
    pending = _rows(db, key, "pending")
    if _identity(row["pending_file"]) == file_identity(path):
        return pending
    return {what: {**pending[what], **current[what]} for what, _ in _KINDS}


def record_intent(
    db: Any,
    path: Path,
    new_file: list[int] | None,
    before: dict[str, Owners],
    after: dict[str, Owners],
) -> None:
    """The new file (its identity) is whole and not yet in place: record whose its entries
    will be, and whose the old file's are. A run killed before `record_owners` leaves the next
    one enough to know whose each entry is (see `read_owners`)."""
    key = key_of(path)
    _file(db, key, json.dumps(new_file))
    db.execute("DELETE FROM export_owners WHERE path = ?", [key])
    for state, owners in (("current", before), ("pending", after)):
        for what, kind in _KINDS:
            _insert(db, key, state, kind, owners.get(what, {}))


def record_owners(db: Any, path: Path, servers: Owners, inputs: Owners | None) -> None:
    """The file is in place: its entries' owners (and its inputs', unless None: kept)."""
    key = key_of(path)
    _file(db, key, None)
    db.execute("DELETE FROM export_owners WHERE path = ? AND state = 'pending'", [key])
    for kind, owners in (("server", servers), ("input", inputs)):
        if owners is None:
            continue
        db.execute(
            "DELETE FROM export_owners WHERE path = ? AND state = 'current' AND kind = ?",
            [key, kind],
        )
        _insert(db, key, "current", kind, owners)


def _file(db: Any, key: str, pending: str | None) -> None:
    db.execute(
        "INSERT INTO export_files (path, pending_file) VALUES (?, ?) "
        "ON CONFLICT(path) DO UPDATE SET pending_file = excluded.pending_file",
        [key, pending],
    )


def _insert(db: Any, key: str, state: str, kind: str, owners: Owners) -> None:
    for name, owner in owners.items():
        columns: list[Any] = [None, None, None, None]
        if owner is not None:
            columns = [
                owner.get("org") or "",  # never NULL: NULL marks a record without an owner
                owner.get("registry"),
                owner.get("registry_id"),
                owner.get("server"),
            ]
        db.execute(
            "INSERT INTO export_owners (path, state, kind, name, org_slug, registry_slug, "
            "registry_id, server) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            [key, state, kind, name, *columns],
        )


def _rows(db: Any, key: str, state: str) -> dict[str, Owners]:
    found: dict[str, Owners] = {what: {} for what, _ in _KINDS}
    rows = db.query(
        "SELECT kind, name, org_slug, registry_slug, registry_id, server FROM export_owners "
        "WHERE path = ? AND state = ? ORDER BY rowid",
        [key, state],
    )
    for row in rows:
        what = "servers" if row["kind"] == "server" else "inputs"
        owner: dict[str, Any] | None = None
        if row["org_slug"] is not None:
            owner = {
                "org": row["org_slug"],
                "registry": row["registry_slug"],
                "registry_id": row["registry_id"],
            }
            if row["server"] is not None:
                owner["server"] = row["server"]
        found[what][row["name"]] = owner
    return found


def _identity(text: str) -> Any:
    try:
        return json.loads(text)
    except ValueError:
        return None
