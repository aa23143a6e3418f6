"""Members of an org and invitations by email.

List, invite, accept (with the 7-day expiry), role changes, grants, removal and the last-admin
rule. Every change is checked and audited inside one transaction.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, NamedTuple

from pylee_tui.models import GRANTS, Member, to_iso
from pylee_tui.services.base import Service, exactly_one, model_from_row, one, valid
from pylee_tui.services.errors import Conflict, InvalidInput, NotFound

INVITATION_TTL = timedelta(days=7)


class MemberLine(NamedTuple):
    """One member as a list shows it, read without building a model per row (an org may have
    thousands). `status` is as shown: a pending invitation past its seven days is 'expired'."""

    email: str
    display_name: str
    role: str
    status: str
    grants: tuple[str, ...]
    invited_by: str | None
    invited_at: str  # ISO 8601, UTC
    joined_at: str | None


@dataclass(frozen=True)
class MemberListing:
    """Members of an org, filtered and sorted (`lines`), with the counts of the whole org."""

    lines: list[MemberLine]
    active: int
    pending: int
    gone: int  # revoked, or an invitation that expired


# what a member list sorts by, each as its column shows it (`grants`: 'all' for an admin, else
# the stored sorted list as 'a, b'); equal values keep the order by role, then email
MEMBER_SORTS = {
    "email": "m.email",
    "name": "lower(m.display_name)",
    "role": "m.role",
    "status": "status",
    "grants": "CASE WHEN m.role = 'admin' THEN 'all' "
    "ELSE replace(replace(replace(m.grants, '\"', ''), '[', ''), ']', '') END",
    "invited_by": "coalesce(m.invited_by, '')",
    "invited": "substr(m.invited_at, 1, 10)",
    "joined": "coalesce(substr(m.joined_at, 1, 10), '')",
}
_SHOWN_STATUS = (
    "CASE WHEN m.status = 'invited' AND m.invited_at < :cutoff THEN 'expired' ELSE m.status END"
)


class MemberService(Service):
    def member_lines(
        self,
        actor: str,
        org_slug: str,
        *,
        query: str = "",
        sort: str = "email",
        descending: bool = False,
    ) -> MemberListing:
        """The members a list shows: `query` keeps those whose email, name, role or status (as
        shown) holds it, ignoring case; sorted by `sort` (a MEMBER_SORTS key). The database
        filters and sorts, through the org's index."""
        if sort not in MEMBER_SORTS:
            raise InvalidInput(
                f"cannot sort members by {sort!r}: use one of {', '.join(MEMBER_SORTS)}"
            )
        cutoff = to_iso(self.services.clock() - INVITATION_TTL)
        with self.store.reading() as db:
            org, _member = self.services.access.org_row(db, actor, org_slug)
            params: dict[str, Any] = {"org": org["id"], "cutoff": cutoff}
            where = "m.org_id = :org"
            needle = query.strip().lower()
            if needle:
                # emails, roles and statuses are stored in lower case; names are folded here
                where += (
                    " AND (instr(m.email, :q) OR instr(lower(m.display_name), :q)"
                    f" OR instr(m.role, :q) OR instr({_SHOWN_STATUS}, :q))"
                )
                params["q"] = needle
            order = f"{MEMBER_SORTS[sort]} {'DESC' if descending else 'ASC'}"
            if sort != "email":
                order += ", m.role, m.email"
            cursor = db.execute(
                f"SELECT m.email, m.display_name, m.role, {_SHOWN_STATUS} AS status, m.grants, "
                f"m.invited_by, m.invited_at, m.joined_at FROM members m WHERE {where} "
                f"ORDER BY {order}",
                params,
            )
            lines = [
                MemberLine(e, n, r, s, () if g == "[]" else tuple(json.loads(g)), by, at, joined)
                for e, n, r, s, g, by, at, joined in cursor
            ]
            counts = db.execute(
                f"SELECT count(*), coalesce(sum(status = 'active'), 0), "
                f"coalesce(sum(status = 'invited'), 0) FROM "
                f"(SELECT {_SHOWN_STATUS} AS status FROM members m WHERE m.org_id = :org)",
                {"org": org["id"], "cutoff": cutoff},
            ).fetchone()
        total, active, pending = counts
        return MemberListing(lines, active, pending, total - active - pending)

    def list_members(self, actor: str, org_slug: str) -> list[Member]:
        with self.store.reading() as db:
            org, _member = self.services.access.org_row(db, actor, org_slug)
            rows = db.query(
                "SELECT * FROM members WHERE org_id = ? ORDER BY role, email", [org["id"]]
            )
            members = []
            for row in rows:
                if self._is_expired(row):
                    row["status"] = "expired"  # shown as it is; stored on the next write
                members.append(model_from_row(Member, row, ("grants",)))
            return members

    def invite(self, actor: str, org_slug: str, email: str, *, role: str = "member") -> Member:
        email = valid("email", email)
        role = valid("role", role)
        now = self.now()
        with self.store.transaction() as db:
            org, member = self.services.access.org_row(db, actor, org_slug)
            self.services.access.require(member, "members:manage", "invite members")
            self._expire(db, org["id"])
            existing = one(
                db, "SELECT * FROM members WHERE org_id = ? AND email = ?", [org["id"], email]
            )
            if existing and existing["status"] == "active":
                raise Conflict(f"{email} is already a member of '{org_slug}'")
            if existing and existing["status"] == "invited":
                raise Conflict(f"{email} already has a pending invitation to '{org_slug}'")
            record = {
                "org_id": org["id"],
                "email": email,
                "display_name": "",
                "role": role,
                "status": "invited",
                "grants": "[]",
                "invited_by": actor,
                "invited_at": now,
                "joined_at": None,
            }
            if existing:  # a revoked or expired invitation is renewed in place
                db.table("members").update(existing["id"], record)
                member_id = existing["id"]
            else:
                member_id = db.table("members").insert(record).last_pk
            self.services.audit.record(
                db, actor, org, "member.invite", "member", member_id, email, {"role": role}
            )
            row = exactly_one(db, "SELECT * FROM members WHERE id = ?", [member_id])
            return model_from_row(Member, row, ("grants",))

    def pending_for(self, email: str) -> list[str]:
        """Slugs of orgs where `email` has a pending, unexpired invitation (a read: the app asks
        at every launch, and expiry is stored by the next write, as in `list_members`)."""
        with self.store.reading() as db:
            rows = db.query(
                "SELECT o.slug, m.status, m.invited_at FROM members m "
                "JOIN organizations o ON o.id = m.org_id "
                "WHERE m.email = ? AND m.status = 'invited' ORDER BY o.slug",
                [email],
            )
            return [r["slug"] for r in rows if not self._is_expired(r)]

    def accept(self, actor: str, org_slug: str) -> Member:
        """The invited person (the actor) accepts: the invitation becomes an active membership."""
        now = self.now()
        with self.store.transaction() as db:
            self._expire(db, None)
            row = one(
                db,
                "SELECT m.*, o.slug AS org_slug FROM members m "
                "JOIN organizations o ON o.id = m.org_id WHERE o.slug = ? AND m.email = ?",
                [org_slug, actor],
            )
            if row is None or row["status"] in ("revoked",):
                raise NotFound(f"no invitation to '{org_slug}' for {actor}")
            if row["status"] == "active":
                raise Conflict(f"{actor} is already a member of '{org_slug}'")
            if row["status"] == "expired":
                raise Conflict(
                    f"the invitation of {actor} to '{org_slug}' expired; ask an admin to invite "
                    "you again"
                )
            db.table("members").update(row["id"], {"status": "active", "joined_at": now})
            org = {"id": row["org_id"], "slug": row["org_slug"]}
            self.services.audit.record(
                db, actor, org, "member.accept", "member", row["id"], actor, {"role": row["role"]}
            )
            return model_from_row(
                Member,
                exactly_one(db, "SELECT * FROM members WHERE id = ?", [row["id"]]),
                ("grants",),
            )

    def change_role(self, actor: str, org_slug: str, email: str, role: str) -> Member:
        email = valid("email", email)
        role = valid("role", role)
        with self.store.transaction() as db:
            org, row = self._managed(db, actor, org_slug, email, "change member roles")
            if row["role"] == role:
                raise Conflict(f"{email} is already {_article(role)} {role} of '{org_slug}'")
            if row["role"] == "admin":
                self._keep_an_admin(db, org, row, "demote")
            # admins hold every permission, so grants start afresh in either direction
            self._update(db, row, {"role": role, "grants": "[]"})
            self.services.audit.record(
                db,
                actor,
                org,
                "member.role",
                "member",
                row["id"],
                row["email"],
                {"from": row["role"], "to": role, "grants_cleared": json.loads(row["grants"])},
            )
            return self._member(db, row["id"])

    def grant(self, actor: str, org_slug: str, email: str, permission: str) -> Member:
        permission = _permission(permission)
        email = valid("email", email)
        with self.store.transaction() as db:
            org, row = self._managed(db, actor, org_slug, email, "grant permissions")
            if row["role"] == "admin":
                raise Conflict(
                    f"{email} is an admin of '{org_slug}' and already has every permission; "
                    "grants are for members"
                )
            grants = set(json.loads(row["grants"]))
            if permission in grants:
                raise Conflict(f"{email} already has '{permission}' in '{org_slug}'")
            self._update(db, row, {"grants": json.dumps(sorted(grants | {permission}))})
            self.services.audit.record(
                db,
                actor,
                org,
                "member.grant",
                "member",
                row["id"],
                row["email"],
                {"permission": permission},
            )
            return self._member(db, row["id"])

    def revoke_grant(self, actor: str, org_slug: str, email: str, permission: str) -> Member:
        permission = _permission(permission)
        email = valid("email", email)
        with self.store.transaction() as db:
            org, row = self._managed(db, actor, org_slug, email, "withdraw permissions")
            grants = set(json.loads(row["grants"]))
            if permission not in grants:
                raise Conflict(f"{email} does not have '{permission}' in '{org_slug}'")
            self._update(db, row, {"grants": json.dumps(sorted(grants - {permission}))})
            self.services.audit.record(
                db,
                actor,
                org,
                "member.revoke_grant",
                "member",
                row["id"],
                row["email"],
                {"permission": permission},
            )
            return self._member(db, row["id"])

    def removal(self, actor: str, org_slug: str, email: str) -> str:
        """What `remove` would do, in words, after the same checks (for a confirmation)."""
        email = valid("email", email)
        with self.store.transaction() as db:
            org, row = self._managed(db, actor, org_slug, email, "remove members")
            if row["status"] == "active":
                self._keep_an_admin(db, org, row, "remove")
                said = f"removing {email} ({row['role']}) from '{org_slug}' ends their access to it"
            else:
                said = f"revoking the {row['status']} invitation of {email} to '{org_slug}'"
            if self.services.tokens.logins_ended_by_leaving(db, email, org["id"]):
                said += " and their login to this team server (they belong to no other org here)"
            return said

    def remove(self, actor: str, org_slug: str, email: str) -> Member:
        """An active member loses access; a pending (or expired) invitation is revoked. Their
        open change requests are closed as rejected.

        The row stays, marked 'revoked', so the members table shows who was removed and an
        invitation can be sent again later.

        On a team server, a person who now belongs nowhere (no other membership or pending
        invitation, not a server admin) has every login token revoked in the same transaction
        (counted in the audit event's `tokens_revoked`); invited again, they join with the new
        code their invitation brings.
        """
        email = valid("email", email)
        with self.store.transaction() as db:
            org, row = self._managed(db, actor, org_slug, email, "remove members")
            if row["status"] == "active":
                self._keep_an_admin(db, org, row, "remove")
                action = "member.remove"
            else:
                action = "member.revoke_invitation"
            self._update(db, row, {"status": "revoked"})
            metadata: dict[str, Any] = {"role": row["role"], "was": row["status"]}
            revoked = self.services.tokens.revoke_if_gone(db, email)
            if revoked:
                metadata["tokens_revoked"] = revoked
            self.services.audit.record(
                db, actor, org, action, "member", row["id"], row["email"], metadata
            )
            # their open change requests could never be approved now: closed, each audited
            self.services.approvals.close_open(
                db, actor, org["id"], f"{email} was removed from the org", requested_by=email
            )
            return self._member(db, row["id"])

    # --- helpers ---------------------------------------------------------------------------

    def _managed(self, db, actor: str, org_slug: str, email: str, doing: str):
        """The org and the target's row, once the actor may manage members."""
        org, member = self.services.access.org_row(db, actor, org_slug)
        self.services.access.require(member, "members:manage", doing)
        self._expire(db, org["id"])
        return org, self._target(db, org, email)

    def _target(self, db, org: dict, email: str) -> dict:
        row = one(db, "SELECT * FROM members WHERE org_id = ? AND email = ?", [org["id"], email])
        if row is None or row["status"] == "revoked":
            raise NotFound(f"{email} is not a member of '{org['slug']}' and has no invitation")
        return row

    def _keep_an_admin(self, db, org: dict, row: dict, doing: str) -> None:
        """Refuse to take away the last active admin (checked in the caller's transaction)."""
        if row["role"] != "admin" or row["status"] != "active":
            return
        admins = exactly_one(
            db,
            "SELECT count(*) AS n FROM members "
            "WHERE org_id = ? AND role = 'admin' AND status = 'active'",
            [org["id"]],
        )["n"]
        if admins <= 1:
            raise Conflict(
                f"cannot {doing} {row['email']}: they are the last active admin of "
                f"'{org['slug']}'; make another member admin first"
            )

    def _update(self, db, row: dict, changes: dict) -> None:
        db.table("members").update(row["id"], changes)

    def _member(self, db, member_id: int) -> Member:
        return model_from_row(
            Member, exactly_one(db, "SELECT * FROM members WHERE id = ?", [member_id]), ("grants",)
        )

    def _is_expired(self, row: dict) -> bool:
        """A pending invitation older than seven days by the clock."""
        return row["status"] == "invited" and (
            datetime.fromisoformat(row["invited_at"]) < self.services.clock() - INVITATION_TTL
        )

    def _expire(self, db, org_id: int | None) -> None:
        """Mark invitations older than seven days as expired (computed from the clock)."""
        rows = db.query(
            "SELECT id, status, invited_at FROM members WHERE status = 'invited'"
            + (" AND org_id = ?" if org_id is not None else ""),
            [org_id] if org_id is not None else [],
        )
        expired = [r["id"] for r in rows if self._is_expired(r)]
        if expired:
            marks = ",".join("?" * len(expired))
            db.execute(f"UPDATE members SET status = 'expired' WHERE id IN ({marks})", expired)


def _permission(permission: str) -> str:
    if permission not in GRANTS:
        raise InvalidInput(f"unknown permission {permission!r}: use one of {', '.join(GRANTS)}")
    return permission


def _article(word: str) -> str:
    return "an" if word[:1] in "aeiou" else "a"
