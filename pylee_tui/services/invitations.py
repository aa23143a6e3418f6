"""Invitations that reach people: on a team server, inviting someone also gives them the code
that lets them join it.

On a team server (a store where `serve init` made a server admin), `invite` makes the
membership invitation and the person's one-time enrolment code in one transaction. With a
mailer (`Services.mailer`, set by `serve run --smtp-url`), the code is mailed to the person with
the exact `pylee-tui join URL CODE` line and is NOT given back to the inviter; without one (or
when the mail fails) the code is given back once, for the inviter to pass on. Inviting someone
whose invitation is still pending renews it (seven more days) with a fresh code: the old code
stops working. The code's text lives only in the return value and the mail: the store keeps its
hash, and no message or log holds it.

Someone who has joined the server already (a live token: a member of another org, say) gets no
code: they accept with the login they have. A code for them would only be a second way in as
them, to every org they belong to, for whoever reads the mail on its way.

On a plain local store there are no codes: `invite` is `members.invite`.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING

from pylee_tui.models import Member
from pylee_tui.services.base import Service, exactly_one, model_from_row, one, valid
from pylee_tui.services.errors import PyleeError
from pylee_tui.services.members import INVITATION_TTL

if TYPE_CHECKING:
    import sqlite_utils

log = logging.getLogger("pylee_tui.invitations")

# what sends a mail: (to, subject, body); raises MailFailed (or anything) when it cannot
Mailer = Callable[[str, str, str], None]

PROG = "pylee-tui"
UNKNOWN_URL = "<server-url>"
# the longest mail failure kept in a result (a server's answer can be long)
MAIL_ERROR_MAX = 300


class MailFailed(PyleeError):
    """A mail was not sent; the message says where to and why in one line (never a password,
    never the mail's text)."""


@dataclass(frozen=True)
class Invitation:
    """What inviting someone did.

    `code` is the enrolment code when the inviter must pass it on: on a team server without a
    mailer, or when mailing it failed (`mail_error` says why). It is None when it was mailed
    (`mailed`) and on a store that is not a team server (no codes there). `join_url` is the
    server's public URL when it knows it."""

    member: Member
    code: str | None = field(default=None, repr=False)
    mailed: bool = False
    mail_error: str | None = None
    join_url: str | None = None
    renewed: bool = False  # a pending invitation was renewed (with a fresh code if one is due)
    joined: bool = False  # they have joined this server already: no code, they just accept


def join_line(url: str | None, code: str) -> str:
    return f"{PROG} join {url or UNKNOWN_URL} {code}"


def invitation_mail(
    *, org: str, role: str, inviter: str, url: str | None, code: str | None, expires: datetime
) -> tuple[str, str]:
    """The subject and body of the invitation's mail: with the code and the join line, or
    (`code` None: they have joined already) how to accept."""
    subject = f"You are invited to {org} on pylee-tui"
    where = f"the pylee-tui team server at {url}" if url else "a pylee-tui team server"
    invited = f"{inviter} invited you to the organization {org} on {where}, as {role}.\n\n"
    if code is None:
        return subject, (
            invited + "You have joined this server already: accept the invitation with\n"
            "\n"
            f"    {PROG} member accept --org {org}\n"
            "\n"
            f"within seven days (until {expires:%Y-%m-%d %H:%M} UTC).\n"
        )
    body = (
        invited
        + "1. Join the server from your own machine with this one-time code (it makes your key\n"
        "   and asks for a passphrase to protect it):\n"
        "\n"
        f"    {join_line(url, code)}\n"
        "\n"
        "2. Accept the invitation:\n"
        "\n"
        f"    {PROG} member accept --org {org}\n"
        "\n"
        f"The code works once, until {expires:%Y-%m-%d %H:%M} UTC. If you did not expect this\n"
        "invitation, ignore this mail: nothing happens without the code.\n"
    )
    return subject, body


class InvitationService(Service):
    def is_team_server(self) -> bool:
        """Whether this store is a team server's (`serve init` made its first admin)."""
        with self.store.reading() as db:
            return _is_team_server(db)

    def invite(self, actor: str, org_slug: str, email: str, *, role: str = "member") -> Invitation:
        """Invite `email` to the org (members.invite's rules); on a team server also issue their
        enrolment code and mail it when a mailer is set (after the invitation is stored: a mail
        that fails keeps the invitation and gives the code back with `mail_error`)."""
        email = valid("email", email)
        role = valid("role", role)
        with self.store.transaction() as db:
            if not _is_team_server(db):
                member = self.services.members.invite(actor, org_slug, email, role=role)
                return Invitation(member)
            pending = self._pending(db, org_slug, email)
            if pending is None:
                member = self.services.members.invite(actor, org_slug, email, role=role)
            else:
                member = self._renew(db, actor, org_slug, pending, role)
            joined = self._has_live_login(db, email)
            code = None if joined else self.services.tokens.issue_code(db, email, actor)
        url = self.services.public_url
        result = Invitation(member, code, join_url=url, renewed=pending is not None, joined=joined)
        mailer = self.services.mailer
        if mailer is None:
            return result
        subject, body = invitation_mail(
            org=org_slug,
            role=member.role,
            inviter=actor,
            url=url,
            code=code,
            expires=self.services.clock() + INVITATION_TTL,
        )
        try:
            mailer(email, subject, body)
        except MailFailed as exc:
            return _unmailed(result, str(exc))
        except Exception as exc:  # a mailer's bug: the invitation stands, the code is shown
            log.error("mailing the invitation of %s failed: %s", email, type(exc).__name__)
            return _unmailed(result, f"the mail to {email} was not sent ({type(exc).__name__})")
        return Invitation(
            member, None, mailed=True, join_url=url, renewed=result.renewed, joined=joined
        )

    # --- helpers ------------------------------------------------------------------------------

    def _has_live_login(self, db: sqlite_utils.Database, email: str) -> bool:
        """Whether `email` holds a token that is neither revoked nor expired (once they are
        invited, it works: they need no code)."""
        return (
            one(
                db,
                "SELECT 1 FROM api_tokens WHERE email = ? AND revoked_at IS NULL "
                "AND expires_at > ? LIMIT 1",
                [email, self.now()],
            )
            is not None
        )

    def _pending(self, db: sqlite_utils.Database, org_slug: str, email: str) -> dict | None:
        """The member row of a pending (unexpired) invitation of `email` to the org, if any."""
        row = one(
            db,
            "SELECT m.* FROM members m JOIN organizations o ON o.id = m.org_id "
            "WHERE o.slug = ? AND m.email = ? AND m.status = 'invited'",
            [org_slug, email],
        )
        if row is None:
            return None
        invited = datetime.fromisoformat(row["invited_at"])
        return row if invited >= self.services.clock() - INVITATION_TTL else None

    def _renew(
        self, db: sqlite_utils.Database, actor: str, org_slug: str, row: dict, role: str
    ) -> Member:
        """A pending invitation invited again: seven more days, the role asked, audited as an
        invitation (the fresh code is the caller's)."""
        org, member = self.services.access.org_row(db, actor, org_slug)
        self.services.access.require(member, "members:manage", "invite members")
        db.execute(
            "UPDATE members SET role = ?, invited_by = ?, invited_at = ? WHERE id = ?",
            [role, actor, self.now(), row["id"]],
        )
        self.services.audit.record(
            db,
            actor,
            org,
            "member.invite",
            "member",
            row["id"],
            row["email"],
            {"role": role, "renewed": True},
        )
        updated = exactly_one(db, "SELECT * FROM members WHERE id = ?", [row["id"]])
        return model_from_row(Member, updated, ("grants",))


def _is_team_server(db: sqlite_utils.Database) -> bool:
    return one(db, "SELECT 1 FROM people WHERE server_admin = 1 LIMIT 1") is not None


def _unmailed(result: Invitation, reason: str) -> Invitation:
    reason = " ".join(reason.split())
    if len(reason) > MAIL_ERROR_MAX:
        reason = reason[: MAIL_ERROR_MAX - 1] + "…"
    return Invitation(
        result.member,
        result.code,
        mailed=False,
        mail_error=reason,
        join_url=result.join_url,
        renewed=result.renewed,
        joined=result.joined,
    )
