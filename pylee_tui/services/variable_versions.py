"""The kept versions of a key at one scope: every write (set, rollback, unset) appends one; the
current value and the 10 before it are kept. A deleted key is one whose newest version is its
deletion: its history stays, so it can be rolled back."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlite_utils

from pylee_tui.models import VariableKind, VariableVersion
from pylee_tui.services.base import exactly_one, model_from_row, one
from pylee_tui.services.errors import NotFound
from pylee_tui.services.variable_scope import ScopeRef, stored_columns

KEEP_PREVIOUS = 10
Kind = VariableKind  # the name the variable services import


@dataclass(frozen=True)
class DeletedKey:
    """A key deleted at a scope whose history is kept, so it can be brought back."""

    key: str
    kind: Kind  # what it was when deleted
    version: int  # the deletion itself (an `unset` version, the key's newest)
    deleted_at: datetime
    deleted_by: str
    restores: int | None  # the newest kept version with a value: what `restore` brings back
    value: str | None = None  # that version's value, for a variable (never a secret's)


def next_version(db: sqlite_utils.Database, ref: ScopeRef, key: str) -> int:
    """The number the key's next write at this scope gets (numbers are never reused)."""
    where, params = ref.where_sql()
    row = exactly_one(
        db,
        f"SELECT max(version) AS v FROM {ref.versions_table} WHERE {where} AND key = ?",
        [*params, key],
    )
    return (row["v"] or 0) + 1


def add_version(
    db: sqlite_utils.Database,
    ref: ScopeRef,
    key: str,
    version: int,
    action: str,
    kind: str,
    value: str | None,
    encrypted: bytes | None,
    *,
    actor: str,
    now: str,
) -> None:
    """Append a version (`now`: the services' ISO time) and forget those older than the
    current value and the 10 before it."""
    db.table(ref.versions_table).insert(
        {
            **ref.placement(),
            "key": key,
            "version": version,
            "action": action,
            "kind": kind,
            "value": value,
            "encrypted_value": encrypted,
            "created_at": now,
            "created_by": actor,
        }
    )
    where, params = ref.where_sql()
    db.execute(
        f"DELETE FROM {ref.versions_table} WHERE {where} AND key = ? AND version <= ?",
        [*params, key, version - KEEP_PREVIOUS - 1],
    )


def first_version(db: sqlite_utils.Database, ref: ScopeRef, key: str) -> dict[str, Any] | None:
    """A key written before history existed (a store from before migration 0002) has a
    current value and no version: that value is its version 1."""
    where, params = ref.where_sql()
    if one(
        db, f"SELECT 1 AS x FROM {ref.versions_table} WHERE {where} AND key = ?", [*params, key]
    ):
        return None
    row = one(
        db,
        f"SELECT {stored_columns(ref.table)} FROM {ref.table} WHERE {where} AND key = ?",
        [*params, key],
    )
    if row is None:
        return None
    return {
        **ref.placement(),
        "key": key,
        "version": 1,
        "action": "set",
        "kind": row["kind"],
        "value": row["value"],
        "encrypted_value": row["encrypted_value"],
        "created_at": row["updated_at"],
        "created_by": row["updated_by"],
    }


def backfill(db: sqlite_utils.Database, ref: ScopeRef, key: str) -> None:
    """Record a pre-history key's current value as version 1 before it changes."""
    first = first_version(db, ref, key)
    if first is not None:
        db.table(ref.versions_table).insert(first)


def versions(db: sqlite_utils.Database, ref: ScopeRef, key: str) -> list[VariableVersion]:
    """Every kept version, newest first; the newest is marked current unless it is deleted."""
    where, params = ref.where_sql()
    rows = list(
        db.query(
            "SELECT version, key, kind, action, "
            "CASE kind WHEN 'variable' THEN value END AS value, created_at, created_by "
            f"FROM {ref.versions_table} WHERE {where} AND key = ? ORDER BY version DESC",
            [*params, key],
        )
    )
    first = first_version(db, ref, key) if not rows else None
    if first is not None:
        rows = [{**first, "value": first["value"] if first["kind"] == "variable" else None}]
    if not rows:
        raise NotFound(f"no {key} at {ref.label}, and no history of one")
    current = one(db, f"SELECT 1 AS x FROM {ref.table} WHERE {where} AND key = ?", [*params, key])
    versions = [model_from_row(VariableVersion, r) for r in rows]
    if current is not None:
        versions[0] = versions[0].model_copy(update={"current": True})
    return versions


def deleted_keys(
    db: sqlite_utils.Database, ref: ScopeRef, kind: str | None = None
) -> list[DeletedKey]:
    """Keys whose newest version at this scope is their deletion, and not set again."""
    where_v, params = ref.where_sql("v")
    where_w, _ = ref.where_sql("w")
    where_x, _ = ref.where_sql("x")
    sql = (
        "SELECT v.key, v.kind, v.action, v.version, v.created_at, v.created_by "
        f"FROM {ref.versions_table} v WHERE {where_v} AND v.action = 'unset' "
        f"AND v.version = (SELECT max(w.version) FROM {ref.versions_table} w "
        f"WHERE {where_w} AND w.key = v.key) "
        f"AND NOT EXISTS (SELECT 1 FROM {ref.table} x WHERE {where_x} AND x.key = v.key)"
    )
    args = [*params, *params, *params]
    if kind:
        sql += " AND v.kind = ?"
        args.append(kind)
    found = []
    for row in db.query(sql + " ORDER BY v.key", args):
        deletion = model_from_row(VariableVersion, row)
        last = one(
            db,
            "SELECT version, CASE kind WHEN 'variable' THEN value END AS value "
            f"FROM {ref.versions_table} WHERE {ref.where_sql()[0]} AND key = ? "
            "AND action != 'unset' ORDER BY version DESC LIMIT 1",
            [*params, deletion.key],
        )
        found.append(
            DeletedKey(
                key=deletion.key,
                kind=deletion.kind,
                version=deletion.version,
                deleted_at=deletion.created_at,
                deleted_by=deletion.created_by,
                restores=last["version"] if last else None,
                value=last["value"] if last else None,
            )
        )
    return found


def has_history(db: sqlite_utils.Database, ref: ScopeRef, key: str) -> bool:
    """Whether the key is set, or has any kept version, at this scope."""
    where, params = ref.where_sql()
    return bool(
        one(
            db,
            f"SELECT 1 AS x FROM {ref.versions_table} WHERE {where} AND key = ? "
            f"UNION ALL SELECT 1 AS x FROM {ref.table} WHERE "
            f"{where} AND key = ?",
            [*params, key, *params, key],
        )
    )
