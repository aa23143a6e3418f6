"""What a change request records for each kind of change: a `Draft` (summary, diff, the
parameters its replay needs and the state of each server it touches, so an approval can tell a
stale request). `BUILDERS` maps an operation ("server.edit", ...) to its builder."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from pylee_tui.services.base import one
from pylee_tui.services.change_diff import document_diff, fingerprint, import_diff, import_plan
from pylee_tui.services.errors import Conflict, NotFound
from pylee_tui.services.scope import Scope

__all__ = ["BUILDERS", "Draft", "registry_row", "server_row"]


@dataclass
class Draft:
    """A request about to be recorded: what `gate` learned about the change."""

    registry: dict[str, Any]
    target: str
    summary: str
    params: dict[str, Any]
    base: list[list[Any]]  # [registry id, server name, fingerprint or None]
    diff: list[str]


def registry_row(db, org: dict, slug: str) -> dict[str, Any]:
    row = one(db, "SELECT * FROM registries WHERE org_id = ? AND slug = ?", [org["id"], slug])
    if row is None:
        raise NotFound(f"no registry {slug!r} in '{org['slug']}'")
    return row


def server_row(db, reg: dict, name: str) -> dict[str, Any]:
    row = one(db, "SELECT * FROM servers WHERE registry_id = ? AND name = ?", [reg["id"], name])
    if row is None:
        raise NotFound(f"no server {name!r} in registry '{reg['slug']}'")
    return row


def _add(db, org: dict, reg: dict, scope: Scope, params: dict[str, Any]) -> Draft:
    document = params["document"]
    name = str(document["name"])
    if one(db, "SELECT 1 FROM servers WHERE registry_id = ? AND name = ?", [reg["id"], name]):
        raise Conflict(f"server '{name}' is already in registry '{reg['slug']}'")
    return Draft(
        reg,
        name,
        f"add server {name} to registry {reg['slug']}",
        {"document": document, "allow_draft": bool(params.get("allow_draft"))},
        [[reg["id"], name, None]],
        document_diff(None, document, name),
    )


def _edit(db, org: dict, reg: dict, scope: Scope, params: dict[str, Any]) -> Draft:
    name = scope.server or ""
    row = server_row(db, reg, name)
    document = params["document"]
    new_name = str(document.get("name") or name)
    base = [[reg["id"], name, fingerprint(row)]]
    summary = f"edit server {name} in registry {reg['slug']}"
    if new_name != name:
        summary += f" (renamed {new_name})"
        taken = one(
            db,
            "SELECT * FROM servers WHERE registry_id = ? AND name = ?",
            [reg["id"], new_name],
        )
        if taken is not None:
            raise Conflict(f"server '{new_name}' is already in registry '{reg['slug']}'")
        base.append([reg["id"], new_name, None])
    before = json.loads(row["document"])
    return Draft(
        reg,
        name,
        summary,
        {"document": document},
        base,
        document_diff(before, document, name),
    )


def _remove(db, org: dict, reg: dict, scope: Scope, params: dict[str, Any]) -> Draft:
    name = scope.server or ""
    row = server_row(db, reg, name)
    return Draft(
        reg,
        name,
        f"remove server {name} from registry {reg['slug']}",
        {},
        [[reg["id"], name, fingerprint(row)]],
        document_diff(json.loads(row["document"]), None, name),
    )


def _move(db, org: dict, reg: dict, scope: Scope, params: dict[str, Any]) -> Draft:
    name = scope.server or ""
    row = server_row(db, reg, name)
    target = registry_row(db, org, params["to"])
    return Draft(
        reg,
        name,
        f"move server {name} from registry {reg['slug']} to {target['slug']}",
        {"to_id": target["id"]},
        [[reg["id"], name, fingerprint(row)], [target["id"], name, None]],
        [f"server {name}", f"- registry {reg['slug']}", f"+ registry {target['slug']}"],
    )


def _import(db, org: dict, reg: dict, scope: Scope, params: dict[str, Any]) -> Draft:
    entries = params["entries"]
    names = {
        d["name"].strip()
        for d in entries
        if isinstance(d, dict) and isinstance(d.get("name"), str) and d["name"].strip()
    }
    existing = {
        n: r
        for n in names
        if (
            r := one(db, "SELECT * FROM servers WHERE registry_id = ? AND name = ?", [reg["id"], n])
        )
        is not None
    }
    plan = import_plan(entries, existing, strict=params["strict"], replace=params["replace"])
    base = [[reg["id"], n, fingerprint(existing.get(n))] for n in sorted(names)]
    source = f" from {params['source']}" if params.get("source") else ""
    count = len(entries)
    return Draft(
        reg,
        "",
        f"import {count} server{'s' if count != 1 else ''}{source} into registry {reg['slug']}",
        {
            "entries": entries,
            "strict": params["strict"],
            "replace": params["replace"],
            "source": params.get("source", ""),
            "origins": params["origins"],
        },
        base,
        import_diff(plan, existing),
    )


def _publish(db, org: dict, reg: dict, scope: Scope, params: dict[str, Any]) -> Draft:
    name = scope.server or ""
    row = server_row(db, reg, name)
    latest = one(
        db,
        "SELECT version, document FROM server_versions WHERE server_id = ? "
        "ORDER BY id DESC LIMIT 1",
        [row["id"]],
    )
    how = params.get("version") or params.get("bump") or "the suggested bump"
    since = f"since {latest['version']}" if latest else "(its first version)"
    before = json.loads(latest["document"]) if latest else None
    return Draft(
        reg,
        name,
        f"publish server {name} in registry {reg['slug']} ({how})",
        {"bump": params.get("bump"), "version": params.get("version")},
        [[reg["id"], name, fingerprint(row)]],
        [
            f"what is published {since}:",
            *document_diff(before, json.loads(row["document"]), name),
        ],
    )


def _rollback(db, org: dict, reg: dict, scope: Scope, params: dict[str, Any]) -> Draft:
    """A rollback publishes an old version's content as a new version: a publication."""
    name = scope.server or ""
    row = server_row(db, reg, name)
    to = one(
        db,
        "SELECT document FROM server_versions WHERE server_id = ? AND version = ?",
        [row["id"], params["to"]],
    )
    if to is None:
        raise NotFound(f"server '{name}' has no published version {params['to']}")
    latest = one(
        db,
        "SELECT version, document FROM server_versions WHERE server_id = ? "
        "ORDER BY id DESC LIMIT 1",
        [row["id"]],
    )
    before = json.loads(latest["document"]) if latest else None
    since = f"since {latest['version']}" if latest else ""
    return Draft(
        reg,
        name,
        f"roll back server {name} in registry {reg['slug']} to {params['to']}'s content",
        {
            "to": params["to"],
            "bump": params.get("bump"),
            "version": params.get("version"),
            "discard": bool(params.get("discard")),
        },
        [[reg["id"], name, fingerprint(row)]],
        [
            f"what is published {since}:",
            *document_diff(before, json.loads(to["document"]), name),
        ],
    )


Builder = Callable[[Any, dict, dict, Scope, dict[str, Any]], Draft]
BUILDERS: dict[str, Builder] = {
    "server.add": _add,
    "server.edit": _edit,
    "server.remove": _remove,
    "server.move": _move,
    "server.import": _import,
    "server.publish": _publish,
    "server.rollback": _rollback,
}
