"""What a change request records for each kind of change: a `Draft` (summary, diff, the
parameters its replay needs and the state of each server it touches, so an approval can tell a
stale request). `BUILDERS` maps an operation ("server.edit", ...) to its builder."""

from __future__ import annotations

import difflib
import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from pylee_tui.services.base import one
from pylee_tui.services.change_diff import document_diff, fingerprint, import_diff, import_plan
from pylee_tui.services.errors import Conflict, InvalidInput, NotFound
from pylee_tui.services.scope import Scope

__all__ = [
    "BUILDERS",
    "PINNED",
    "Draft",
    "pin_fingerprint",
    "registry_fingerprint",
    "registry_row",
    "server_row",
]

PINNED = "pin"  # a base entry's 4th item: its fingerprint is `pin_fingerprint`


@dataclass
class Draft:
    """A request about to be recorded: what `gate` learned about the change."""

    registry: dict[str, Any]
    target: str
    summary: str
    params: dict[str, Any]
    base: list[list[Any]]  # [registry id, server name, fingerprint or None(, PINNED)]
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
    # what the move itself refuses, refused before anyone is asked to approve it
    if target["id"] == reg["id"]:
        raise InvalidInput(f"server '{name}' is already in registry '{target['slug']}'")
    if one(db, "SELECT 1 FROM servers WHERE registry_id = ? AND name = ?", [target["id"], name]):
        raise Conflict(f"registry '{target['slug']}' already has a server named '{name}'")
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
    doing = {what.split()[0] for _name, what, _doc in plan}
    if plan and doing <= {"unchanged", "skipped"}:
        raise InvalidInput(
            f"nothing to import: every server is already in registry '{reg['slug']}'"
            + (" as given" if doing == {"unchanged"} else "")
        )
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


def registry_fingerprint(row: dict[str, Any]) -> str:
    """A registry's state as a registry edit sees it: what it may change."""
    fields = (row["name"], row["slug"], row["description"], row["overview"])
    text = "\0".join(str(f) for f in fields)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:24]


def _registry_edit(db, org: dict, reg: dict, scope: Scope, params: dict[str, Any]) -> Draft:
    changes = {k: v for k, v in params["changes"].items() if reg[k] != v}
    if not changes:
        raise InvalidInput(f"nothing to change: registry '{reg['slug']}' already reads so")
    slug = changes.get("slug")
    if slug is not None and one(
        db, "SELECT 1 FROM registries WHERE org_id = ? AND slug = ?", [org["id"], slug]
    ):
        raise Conflict(f"registry slug '{slug}' is already taken")
    summary = f"edit registry {reg['slug']}" + (f" (renamed {slug})" if slug else "")
    diff: list[str] = []
    for field in ("name", "slug", "description"):
        if field in changes:
            diff += [f"- {field}: {reg[field]}", f"+ {field}: {changes[field]}"]
    if "overview" in changes:
        diff.append("overview:")
        diff += list(
            difflib.unified_diff(
                reg["overview"].splitlines(), changes["overview"].splitlines(), lineterm="", n=1
            )
        )[2:]
    return Draft(
        reg,
        "",
        summary,
        {"changes": changes, "base": params.get("base"), "force": bool(params.get("force"))},
        [[reg["id"], None, registry_fingerprint(reg)]],
        diff,
    )


def pin_fingerprint(db, row: dict[str, Any] | None) -> str | None:
    """A server's state as a pin or an unpin sees it (None: no such server): its row, the
    version it is pinned to, a fork's link to its upstream, and the latest version of the
    server whose versions it uses (what following the latest would mean)."""
    if row is None:
        return None
    pin = one(db, "SELECT version FROM server_pins WHERE server_id = ?", [row["id"]])
    upstream = one(db, "SELECT * FROM server_upstreams WHERE server_id = ?", [row["id"]])
    source = row["id"] if upstream is None else upstream["upstream_id"]
    latest = one(
        db,
        "SELECT id, version FROM server_versions WHERE server_id = ? ORDER BY id DESC LIMIT 1",
        [source],
    )
    parts = [
        fingerprint(row),
        pin["version"] if pin else None,
        None if upstream is None else [upstream["upstream_id"], upstream["upstream_label"]],
        None if latest is None else [latest["id"], latest["version"]],
    ]
    text = json.dumps(parts, ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:24]


def _pin_source(db, row: dict[str, Any]) -> int:
    """The server whose versions a pin names: a forked server's upstream, else itself."""
    upstream = one(db, "SELECT * FROM server_upstreams WHERE server_id = ?", [row["id"]])
    if upstream is None:
        return int(row["id"])
    if upstream["upstream_id"] is None:
        raise InvalidInput(f"server '{row['name']}' is gone upstream: nothing to pin")
    return int(upstream["upstream_id"])


def _pinned_lines(db, row: dict[str, Any], source: int) -> tuple[str, str]:
    """(what the registry uses now, what following the latest means) as diff lines say it."""
    pin = one(db, "SELECT version FROM server_pins WHERE server_id = ?", [row["id"]])
    latest = one(
        db,
        "SELECT version FROM server_versions WHERE server_id = ? ORDER BY id DESC LIMIT 1",
        [source],
    )
    follows = f"uses the latest version ({latest['version'] if latest else 'none yet'})"
    return (f"pinned to {pin['version']}" if pin else follows), follows


def _pin(db, org: dict, reg: dict, scope: Scope, params: dict[str, Any]) -> Draft:
    name = scope.server or ""
    row = server_row(db, reg, name)
    source = _pin_source(db, row)
    version = params["version"]
    if not one(
        db,
        "SELECT 1 FROM server_versions WHERE server_id = ? AND version = ?",
        [source, version],
    ):
        raise NotFound(f"server '{name}' has no published version {version!r}")
    now, _follows = _pinned_lines(db, row, source)
    return Draft(
        reg,
        name,
        f"pin server {name} in registry {reg['slug']} to {version}",
        {"version": version},
        [[reg["id"], name, pin_fingerprint(db, row), PINNED]],
        [f"server {name}", f"- {now}", f"+ pinned to {version}"],
    )


def _unpin(db, org: dict, reg: dict, scope: Scope, params: dict[str, Any]) -> Draft:
    name = scope.server or ""
    row = server_row(db, reg, name)
    if not one(db, "SELECT 1 FROM server_pins WHERE server_id = ?", [row["id"]]):
        raise InvalidInput(f"server '{name}' is not pinned")
    now, follows = _pinned_lines(db, row, _pin_source(db, row))
    return Draft(
        reg,
        name,
        f"unpin server {name} in registry {reg['slug']}",
        {},
        [[reg["id"], name, pin_fingerprint(db, row), PINNED]],
        [f"server {name}", f"- {now}", f"+ {follows}"],
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
    "server.pin": _pin,
    "server.unpin": _unpin,
    "registry.edit": _registry_edit,
}
