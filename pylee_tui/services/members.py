"""Members of an org and invitations by email.

The foundation's part: list, invite, accept (with the 7-day expiry). The members issue adds role
changes, grants, removal and the last-admin rule.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from pylee_tui.models import Member
from pylee_tui.services.base import Service, model_from_row, one, valid
from pylee_tui.services.errors import Conflict, NotFound

INVITATION_TTL = timedelta(days=7)


class MemberService(Service):
    def list(self, actor: str, org_slug: str) -> list[Member]:
        with self.store.reading() as db:
            org, _member = self.services.access.org_row(db, org_slug, actor)
            rows = db.query(
                "SELECT * FROM members WHERE org_id = ? ORDER BY role, email", [org["id"]]
            )
            cutoff = self.services.clock() - INVITATION_TTL
            members = []
            for row in rows:
                if (
                    row["status"] == "invited"
                    and datetime.fromisoformat(row["invited_at"]) < cutoff
                ):
                    row["status"] = "expired"  # shown as it is; stored on the next write
                members.append(model_from_row(Member, row, ("grants",)))
            return members

    def invite(self, actor: str, org_slug: str, email: str, role: str = "member") -> Member:
        email = valid("email", email)
        role = valid("role", role)
        now = self.now()
        with self.store.transaction() as db:
            org, member = self.services.access.org_row(db, org_slug, actor)
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
                db["members"].update(existing["id"], record)
                member_id = existing["id"]
            else:
                member_id = db["members"].insert(record).last_pk
            self.services.audit.record(
                db,
                actor=actor,
                action="member.invite",
                org_id=org["id"],
                org_slug=org["slug"],
                target_type="member",
                target_id=member_id,
                target_label=email,
                metadata={"role": role},
            )
            row = one(db, "SELECT * FROM members WHERE id = ?", [member_id])
            return model_from_row(Member, row, ("grants",))

    def pending_for(self, email: str) -> list[str]:
        """Slugs of orgs where `email` has a pending, unexpired invitation."""
        with self.store.transaction() as db:
            self._expire(db, None)
            rows = db.query(
                "SELECT o.slug FROM members m JOIN organizations o ON o.id = m.org_id "
                "WHERE m.email = ? AND m.status = 'invited' ORDER BY o.slug",
                [email],
            )
            return [r["slug"] for r in rows]

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
            db["members"].update(row["id"], {"status": "active", "joined_at": now})
            self.services.audit.record(
                db,
                actor=actor,
                action="member.accept",
                org_id=row["org_id"],
                org_slug=org_slug,
                target_type="member",
                target_id=row["id"],
                target_label=actor,
                metadata={"role": row["role"]},
            )
            return model_from_row(
                Member, one(db, "SELECT * FROM members WHERE id = ?", [row["id"]]), ("grants",)
            )

    def _expire(self, db, org_id: int | None) -> None:
        """Mark invitations older than seven days as expired (computed from the clock)."""
        cutoff = self.services.clock() - INVITATION_TTL
        rows = list(
            db.query(
                "SELECT id, invited_at FROM members WHERE status = 'invited'"
                + (" AND org_id = ?" if org_id is not None else ""),
                [org_id] if org_id is not None else [],
            )
        )
        expired = [r["id"] for r in rows if datetime.fromisoformat(r["invited_at"]) < cutoff]
        if expired:
            marks = ",".join("?" * len(expired))
            db.execute(f"UPDATE members SET status = 'expired' WHERE id IN ({marks})", expired)
