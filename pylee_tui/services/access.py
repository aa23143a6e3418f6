"""Who may do what in an organization. Every permission check in the app comes through here.

admin: everything. member: sees the org; changes registries/servers with the grant
`registries:write` and secrets with `secrets:write`, and approves others' change requests with
`registries:approve`. Anyone else does not see the org at all.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from pylee_tui.services.base import Service, one
from pylee_tui.services.errors import NotFound, PermissionDenied

# permission -> the grant that lets a plain member do it (None: admins only)
PERMISSIONS: dict[str, str | None] = {
    "org:read": "",
    "org:manage": None,
    "org:delete": None,
    "members:manage": None,
    "registries:write": "registries:write",
    "registries:approve": "registries:approve",
    "variables:write": None,
    "secrets:write": "secrets:write",
    "secrets:reveal": None,
}

# a grant that includes another: who approves changes to registries may make them
IMPLIED: dict[str, str] = {"registries:approve": "registries:write"}


@dataclass(frozen=True)
class Membership:
    org_id: int
    org_slug: str
    email: str
    role: str
    grants: frozenset[str]

    def allows(self, permission: str) -> bool:
        if self.role == "admin":
            return True
        grant = PERMISSIONS[permission]
        if grant == "":
            return True
        return grant is not None and (
            grant in self.grants or any(IMPLIED.get(g) == grant for g in self.grants)
        )


# one query, its first row or None: `one` inside a caller's transaction, or a read of its own
Reader = Callable[[str, list[Any]], "dict[str, Any] | None"]


class AccessService(Service):
    def membership(self, db, actor: str, org_id: int) -> Membership | None:
        """The actor's active membership in the org, or None."""
        return self._membership(lambda sql, params: one(db, sql, params), actor, org_id)

    def org_row(self, db, actor: str, slug: str) -> tuple[dict, Membership]:
        """The org by slug and the actor's membership; an org the actor cannot see is NotFound."""
        return self._org_row(lambda sql, params: one(db, sql, params), actor, slug)

    def visible_org(self, actor: str, slug: str) -> tuple[dict, Membership]:
        """`org_row` as reads of their own, straight from sqlite3: for a listing read outside
        any transaction (the audit log, a page at a time)."""

        def first(sql: str, params: list[Any]) -> dict[str, Any] | None:
            rows = self.store.rows(sql, params)
            return rows[0] if rows else None

        return self._org_row(first, actor, slug)

    def _membership(self, read: Reader, actor: str, org_id: int) -> Membership | None:
        row = read(
            "SELECT m.role, m.grants, o.slug FROM members m "
            "JOIN organizations o ON o.id = m.org_id "
            "WHERE m.org_id = ? AND m.email = ? AND m.status = 'active'",
            [org_id, actor],
        )
        if row is None:
            return None
        return Membership(
            org_id, row["slug"], actor, row["role"], frozenset(json.loads(row["grants"]))
        )

    def _org_row(self, read: Reader, actor: str, slug: str) -> tuple[dict, Membership]:
        row = read("SELECT * FROM organizations WHERE slug = ?", [slug])
        member = self._membership(read, actor, row["id"]) if row else None
        if row is None or member is None:
            raise NotFound(f"no organization {slug!r} (or you are not a member of it)")
        return row, member

    def require(self, member: Membership, permission: str, doing: str) -> None:
        """Raise PermissionDenied, saying what would allow it, unless the member may do this."""
        if member.allows(permission):
            return
        grant = PERMISSIONS[permission]
        needs = "the admin role" if not grant else f"the admin role or the grant '{grant}'"
        raise PermissionDenied(
            f"you ({member.email}) cannot {doing} in '{member.org_slug}': it needs {needs}; "
            f"you are a {member.role}"
            + (f" with grants {', '.join(sorted(member.grants))}" if member.grants else "")
        )

    def check(self, actor: str, org_slug: str, permission: str, doing: str) -> None:
        """`require` by org slug: for a caller that must refuse before it asks for input (a
        secret's value, the vault passphrase), in the same words as the write would."""
        with self.store.reading() as db:
            _row, member = self.org_row(db, actor, org_slug)
        self.require(member, permission, doing)

    def allowed(self, actor: str, org_slug: str) -> frozenset[str]:
        """Every permission the actor has in the org, so a UI can disable what it cannot do."""
        with self.store.reading() as db:
            _row, member = self.org_row(db, actor, org_slug)
        return frozenset(p for p in PERMISSIONS if member.allows(p))
