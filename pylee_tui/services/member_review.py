"""The regular review of an org's members and their permissions (admins only): each member's role,
grants and last activity in the audit log, what needs a look (an invitation past its seven days, a
member inactive for 90 days, a single admin) and the changes that would answer it."""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta

from pylee_tui.models import to_iso
from pylee_tui.services.base import Service
from pylee_tui.services.members import INVITATION_TTL

INACTIVE_AFTER = timedelta(days=90)

# the flags a review line may carry, as a screen and the CLI name them
EXPIRED = "invitation expired"
INACTIVE = "inactive 90+ days"
LAST_ADMIN = "only admin"


@dataclass(frozen=True)
class Suggestion:
    """A change that answers a flag, made by an existing member command: `kind` is 'remove'
    (remove the member or revoke the invitation), 'downgrade' (admin to member, which also
    clears grants) or 'withdraw' (take back the grant `permission`)."""

    kind: str
    email: str
    permission: str = ""


@dataclass(frozen=True)
class ReviewLine:
    """One member or invitation under review. Times are ISO 8601, UTC. `last_activity` is their
    most recent event in the org's audit log (None: none recorded); `overrides` is how many
    personal (user-scope) overrides they keep in the org, None while the store cannot say."""

    email: str
    display_name: str
    role: str
    status: str  # active, invited or expired (revoked people are not reviewed)
    grants: tuple[str, ...]
    invited_by: str | None
    invited_at: str
    joined_at: str | None
    last_activity: str | None
    overrides: int | None
    flags: tuple[str, ...]
    suggestions: tuple[Suggestion, ...]


@dataclass(frozen=True)
class MemberReview:
    org: str
    checked_at: str  # the clock's time the review was read at
    lines: list[ReviewLine]
    admins: int  # active admins
    overrides_known: bool  # False until the store keeps user-scope overrides

    @property
    def warnings(self) -> list[str]:
        """What the whole org should hear, one line each."""
        said = []
        if self.admins == 1:
            admin = next(line.email for line in self.lines if LAST_ADMIN in line.flags)
            said.append(
                f"only one admin ({admin}): if they leave or lose access nobody can manage "
                f"'{self.org}'; make a second member admin"
            )
        expired = sum(EXPIRED in line.flags for line in self.lines)
        if expired:
            said.append(f"{expired} invitation{'s' if expired > 1 else ''} past expiry")
        inactive = sum(INACTIVE in line.flags for line in self.lines)
        if inactive:
            said.append(
                f"{inactive} member{'s' if inactive > 1 else ''} with no activity for "
                f"{INACTIVE_AFTER.days} days"
            )
        return said

    def line(self, email: str) -> ReviewLine | None:
        return next((line for line in self.lines if line.email == email), None)


class MemberReviewService(Service):
    def review(self, actor: str, org_slug: str) -> MemberReview:
        """The review of `org_slug`, for an admin (anyone else: PermissionDenied, in the words
        every members:manage refusal uses)."""
        now = self.services.clock()
        with self.store.reading() as db:
            org, member = self.services.access.org_row(db, actor, org_slug)
            self.services.access.require(member, "members:manage", "review members")
            rows = db.query(
                "SELECT email, display_name, role, status, grants, invited_by, invited_at, "
                "joined_at FROM members WHERE org_id = ? AND status != 'revoked' "
                "ORDER BY role, email",
                [org["id"]],
            )
            members = list(rows)
            # one pass over the org's events (through its index), not one per member
            last = {
                r["actor"]: r["at"]
                for r in db.query(
                    "SELECT actor, max(created_at) AS at FROM audit_events "
                    "WHERE org_id = ? GROUP BY actor",
                    [org["id"]],
                )
            }
        overrides = self._overrides(actor, org_slug)
        admins = sum(1 for r in members if r["role"] == "admin" and r["status"] == "active")
        lines = [self._line(r, last.get(r["email"]), overrides, admins, now) for r in members]
        return MemberReview(org_slug, to_iso(now), lines, admins, overrides is not None)

    def _overrides(self, actor: str, org_slug: str) -> Counter[str] | None:
        """Personal overrides per member, counted from the user scope's own listing (keys only,
        never values); None while the variables service has no user scope."""
        # the user-scope helper may not be there yet: asked for by name until it lands
        user_overrides = getattr(self.services.variables, "user_overrides", None)
        if user_overrides is None:
            return None
        return Counter(email for email, _key in user_overrides(actor, org_slug))

    def _line(
        self,
        row: dict,
        last_activity: str | None,
        overrides: Counter[str] | None,
        admins: int,
        now: datetime,
    ) -> ReviewLine:
        email, role, status = row["email"], row["role"], row["status"]
        grants = tuple(json.loads(row["grants"]))
        flags: list[str] = []
        suggestions: list[Suggestion] = []
        if status == "invited" and datetime.fromisoformat(row["invited_at"]) < now - INVITATION_TTL:
            status = "expired"  # shown as it is; stored by the next write, as members does
        if status == "expired":
            flags.append(EXPIRED)
            suggestions.append(Suggestion("remove", email))
        if status == "active":
            # a member who never acted since joining counts from the day they joined
            since = last_activity or row["joined_at"] or row["invited_at"]
            if datetime.fromisoformat(since) < now - INACTIVE_AFTER:
                flags.append(INACTIVE)
            if role == "admin" and admins == 1:
                flags.append(LAST_ADMIN)
            elif INACTIVE in flags:
                if role == "admin":
                    suggestions.append(Suggestion("downgrade", email))
                suggestions.extend(Suggestion("withdraw", email, grant) for grant in grants)
                suggestions.append(Suggestion("remove", email))
        return ReviewLine(
            email=email,
            display_name=row["display_name"],
            role=role,
            status=status,
            grants=grants,
            invited_by=row["invited_by"],
            invited_at=row["invited_at"],
            joined_at=row["joined_at"],
            last_activity=last_activity,
            overrides=None if overrides is None else overrides.get(email, 0),
            flags=tuple(flags),
            suggestions=tuple(suggestions),
        )
