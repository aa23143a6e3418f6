"""Members of an org and invitations by email.

List, invite, accept (with the 7-day expiry), role changes, grants, removal and the last-admin
rule. Every change is checked and audited inside one transaction.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta

from pylee_tui.models import GRANTS, Member
from pylee_tui.services.base import Service, exactly_one, model_from_row, one, valid
from pylee_tui.services.errors import Conflict, InvalidInput, NotFound

INVITATION_TTL = timedelta(days=7)


class MemberService(Service):
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
                return f"removing {email} ({row['role']}) from '{org_slug}' ends their access to it"
            return f"revoking the {row['status']} invitation of {email} to '{org_slug}'"

    def remove(self, actor: str, org_slug: str, email: str) -> Member:
        """An active member loses access; a pending (or expired) invitation is revoked.

        The row stays, marked 'revoked', so the members table shows who was removed and an
        invitation can be sent again later.
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
            self.services.audit.record(
                db,
                actor,
                org,
                action,
                "member",
                row["id"],
                row["email"],
                {"role": row["role"], "was": row["status"]},
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
