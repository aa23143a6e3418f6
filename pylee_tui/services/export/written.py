"""What an export wrote, entry by entry (the `export_entries` table): each entry as written with
every inlined secret value masked, a hash of it, its owner, its client and secrets mode. Drift
compares the client's file with these records; no secret value is ever stored here."""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pylee_tui.services.export.clients import FORMATS
from pylee_tui.services.export.configfile import SecretMatcher
from pylee_tui.services.export.owners import key_of
from pylee_tui.services.resolver import MASK

# the keys any client's export writes in an entry: a key outside them is the user's own
ALL_MANAGED_KEYS: frozenset[str] = frozenset().union(*(f.managed_keys for f in FORMATS.values()))


@dataclass(frozen=True)
class Written:
    """One entry of a file as an export wrote it (its secret values masked)."""

    path: str  # the file's key (absolute, links resolved)
    name: str
    client: str
    secrets: str  # the secrets mode
    entry: Any  # the entry, masked
    hash: str
    org: str
    registry: str
    registry_id: int | None
    server: str
    scope: str | None  # user or project: the client's own file there; None: an --out file
    written_at: str
    written_by: str


def mask_entry(entry: Any, matcher: SecretMatcher) -> Any:
    """The entry with every string holding a secret of `matcher` masked (keys too)."""
    if not matcher:
        return entry
    if isinstance(entry, dict):
        return {matcher.mask(k): mask_entry(v, matcher) for k, v in entry.items()}
    if isinstance(entry, list):
        return [mask_entry(v, matcher) for v in entry]
    if isinstance(entry, str):
        return matcher.mask(entry)
    return entry


def entry_hash(entry: Any, managed: Collection[str] | None = None) -> str:
    """A hash of a (masked) entry's keys an export writes (see `managed_only`): the same for
    the same entry whatever its keys' order, or the user's own settings on it."""
    text = json.dumps(
        managed_only(entry, managed), sort_keys=True, ensure_ascii=False, separators=(",", ":")
    )
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def managed_only(entry: Any, managed: Collection[str] | None = None) -> Any:
    """The entry without the keys no export writes (the user's own, which a re-export keeps:
    `disabled`, timeouts, tool lists): those of `managed` (a client's `managed_keys`; None:
    those of every client)."""
    keys = ALL_MANAGED_KEYS if managed is None else managed
    if not isinstance(entry, dict):
        return entry
    return {k: v for k, v in entry.items() if k in keys}


def mask_like(current: Any, recorded: Any, managed: Collection[str] | None = None) -> Any:
    """The file's entry `current` masked at the places where the `recorded` (masked) entry has
    the mask: a string there that still fits the recorded one around its masked parts becomes
    the recorded string (so an entry as written compares equal, whatever the secret's value);
    one that does not fit becomes the mask whole (it changed, and may hold a secret).

    The keys of `current` no export writes (see `managed_only`) are left out, unless the
    recorded entry has them: the user's own settings on an entry are no hand change to it."""
    if isinstance(recorded, dict) and isinstance(current, dict):
        keys = ALL_MANAGED_KEYS if managed is None else managed
        current = {k: v for k, v in current.items() if k in keys or k in recorded}
    return _mask_like(current, recorded)


def _mask_like(current: Any, recorded: Any) -> Any:
    if isinstance(recorded, dict) and isinstance(current, dict):
        return {k: _mask_like(v, recorded[k]) if k in recorded else v for k, v in current.items()}
    if isinstance(recorded, list) and isinstance(current, list):
        return [
            _mask_like(v, recorded[i]) if i < len(recorded) else v for i, v in enumerate(current)
        ]
    if isinstance(recorded, str) and MASK in recorded:
        if isinstance(current, str) and _fits(current, recorded):
            return recorded
        return MASK
    return current


def _managed(client: str) -> Collection[str] | None:
    found = FORMATS.get(client)
    return found.managed_keys if found is not None else None


def _fits(value: str, masked: str) -> bool:
    pattern = ".+".join(re.escape(part) for part in masked.split(MASK))
    return re.fullmatch(pattern, value, re.DOTALL) is not None


def record_entries(
    db: Any,
    path: Path,
    *,
    client: str,
    secrets: str,
    entries: Mapping[str, Any],
    owners: Mapping[str, Mapping[str, Any]],
    keep: Collection[str],
    scope: str | None,
    now: str,
    actor: str,
) -> None:
    """The file is in place: record each of `entries` (already masked) as written, with its
    owner; drop the records of entries no longer ours (not in `keep`)."""
    key = key_of(path)
    for name in [r["name"] for r in db.query(_SELECT_NAMES, [key])]:
        if name not in keep:
            db.execute("DELETE FROM export_entries WHERE path = ? AND name = ?", [key, name])
    for name, entry in entries.items():
        owner = owners[name]
        db.execute(
            "INSERT OR REPLACE INTO export_entries (path, name, client, secrets, entry, hash, "
            "org_slug, registry_slug, registry_id, server, scope, written_at, written_by) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                key,
                name,
                client,
                secrets,
                json.dumps(entry, ensure_ascii=False),
                entry_hash(entry, _managed(client)),
                owner.get("org") or "",
                owner.get("registry") or "",
                owner.get("registry_id"),
                owner.get("server") or "",
                scope,
                now,
                actor,
            ],
        )


def rerecord(db: Any, record: Written, entry: Any, now: str, actor: str) -> None:
    """One entry recorded again as written (`clients adopt`: the file's entry is the export's)."""
    db.execute(
        "UPDATE export_entries SET entry = ?, hash = ?, written_at = ?, written_by = ? "
        "WHERE path = ? AND name = ?",
        [
            json.dumps(entry, ensure_ascii=False),
            entry_hash(entry, _managed(record.client)),
            now,
            actor,
            record.path,
            record.name,
        ],
    )


_SELECT_NAMES = "SELECT name FROM export_entries WHERE path = ?"
_COLUMNS = (
    "path, name, client, secrets, entry, hash, org_slug, registry_slug, registry_id, server, "
    "scope, written_at, written_by"
)


def read_written(db: Any, paths: Collection[Path] | None = None) -> dict[str, list[Written]]:
    """The records, by file key (every file, or those of `paths`), entries in name order."""
    if paths is None:
        rows = list(db.query(f"SELECT {_COLUMNS} FROM export_entries ORDER BY path, name"))
    else:
        rows = []
        for path in paths:
            rows += db.query(
                f"SELECT {_COLUMNS} FROM export_entries WHERE path = ? ORDER BY name",
                [key_of(path)],
            )
    found: dict[str, list[Written]] = {}
    for row in rows:
        found.setdefault(row["path"], []).append(_written(row))
    return found


def pending_paths(db: Any) -> set[str]:
    """Files an export was writing when it stopped (its records may be the old file's)."""
    return {r["path"] for r in db.query(_PENDING)}


_PENDING = "SELECT path FROM export_files WHERE pending_file IS NOT NULL"


def _written(row: Mapping[str, Any]) -> Written:
    loads: Callable[[str], Any] = json.loads
    return Written(
        path=row["path"],
        name=row["name"],
        client=row["client"],
        secrets=row["secrets"],
        entry=loads(row["entry"]),
        hash=row["hash"],
        org=row["org_slug"],
        registry=row["registry_slug"],
        registry_id=row["registry_id"],
        server=row["server"],
        scope=row["scope"],
        written_at=row["written_at"],
        written_by=row["written_by"],
    )
