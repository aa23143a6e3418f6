"""Editing what an org and a registry both have: a name, a slug, a description and a Markdown
overview. One code path for both: the changes in one transaction, one audit event per field,
and the overview guarded against lost updates by when it was last saved."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

import sqlite_utils

from pylee_tui.services.base import exactly_one, one
from pylee_tui.services.errors import Conflict

if TYPE_CHECKING:
    from pylee_tui.services import Services


def _bytes(text: str) -> int:
    return len(text.encode("utf-8"))


@dataclass(frozen=True)
class Named:
    """What differs between editing an org and a registry."""

    kind: str  # the audit actions' prefix: org.rename, registry.slug, ...
    target_type: str  # the audit events' target type
    table: str
    row_sql: str  # selects a row by `id`
    slug_word: str  # how a taken slug is named in the refusal
    slugs_per_org: bool  # a registry's slug is unique in its org; an org's everywhere
    # what an overview change says in the log (its size, never its text)
    overview_metadata: Callable[[str, str], dict[str, Any]]


ORG = Named(
    kind="org",
    target_type="organization",
    table="organizations",
    row_sql="SELECT * FROM organizations WHERE id = ?",
    slug_word="slug",
    slugs_per_org=False,
    overview_metadata=lambda before, after: {
        "bytes_before": _bytes(before),
        "bytes_after": _bytes(after),
    },
)
REGISTRY = Named(
    kind="registry",
    target_type="registry",
    table="registries",
    row_sql="SELECT * FROM registries WHERE id = ?",
    slug_word="registry slug",
    slugs_per_org=True,
    overview_metadata=lambda _before, after: {"bytes": _bytes(after)},
)
_ACTIONS = {"name": "rename", "slug": "slug", "description": "description", "overview": "overview"}


def apply_edit(
    services: Services,
    db: sqlite_utils.Database,
    actor: str,
    named: Named,
    org: Mapping[str, Any],
    row: Mapping[str, Any],
    changes: dict[str, str],
    *,
    overview_base: datetime | None,
    force: bool,
) -> dict[str, Any]:
    """Apply `changes` (fields already cleaned by their rules) to `row` of `org`, inside the
    caller's transaction and after its permission check; returns the row as it is now.

    `overview_base` is when the overview the editor started from was saved (`overview_base`
    of the model): if it was saved since, an overview change is refused with Conflict unless
    `force`. Only the overview's own time counts, so a rename made meanwhile is no conflict."""
    if "overview" in changes and not force:
        _check_overview_base(db, named, org, row, overview_base)
    changed = {k: v for k, v in changes.items() if row[k] != v}
    if not changed:
        return dict(row)
    if "slug" in changed and _slug_taken(db, named, org, changed["slug"]):
        raise Conflict(f"{named.slug_word} '{changed['slug']}' is already taken")
    now = services.now()
    update = dict(changed, updated_at=now)
    if "overview" in changed:
        update["overview_updated_at"] = now
    try:
        db.table(named.table).update(row["id"], update)
    except sqlite3.IntegrityError:  # taken between the check and the write
        raise Conflict(f"{named.slug_word} '{changed.get('slug')}' is already taken") from None
    label = changed.get("name", row["name"])
    # an org's events carry its slug after the change, so its log follows the new slug
    in_org = {"id": org["id"], "slug": changed.get("slug", org["slug"])} if named is ORG else org
    for field, value in changed.items():
        if field == "overview":
            metadata = named.overview_metadata(row["overview"], value)
        else:
            metadata = {"from": row[field], "to": value}
        action = f"{named.kind}.{_ACTIONS[field]}"
        services.audit.record(
            db, actor, in_org, action, named.target_type, row["id"], label, metadata
        )
    return exactly_one(db, named.row_sql, [row["id"]])


def _slug_taken(db: sqlite_utils.Database, named: Named, org: Mapping[str, Any], slug: str) -> bool:
    if named.slugs_per_org:
        sql, params = (
            f"SELECT 1 FROM {named.table} WHERE org_id = ? AND slug = ?",
            [org["id"], slug],
        )
    else:
        sql, params = f"SELECT 1 FROM {named.table} WHERE slug = ?", [slug]
    return one(db, sql, params) is not None


def _check_overview_base(
    db: sqlite_utils.Database,
    named: Named,
    org: Mapping[str, Any],
    row: Mapping[str, Any],
    base: datetime | None,
) -> None:
    """Conflict when the overview was saved since `base` (None: no check asked for). An
    overview never saved counts as saved when its org or registry was created."""
    if base is None:
        return
    stored = row["overview_updated_at"] or row["created_at"]
    if datetime.fromisoformat(stored) == base:
        return
    who = one(
        db,
        "SELECT actor FROM audit_events WHERE org_id = ? AND action = ? AND target_type = ? "
        "AND target_id = ? ORDER BY id DESC LIMIT 1",
        [org["id"], f"{named.kind}.overview", named.target_type, str(row["id"])],
    )
    by = f" by {who['actor']}" if who else ""
    raise Conflict(
        f"the overview of {named.kind} '{row['slug']}' was changed since you opened it "
        f"(saved{by} at {stored[:19].replace('T', ' ')} UTC); overwrite it or reload"
    )
