"""`member list|invite|role|grant|revoke|remove|accept|review`: who belongs to an organization,
with which role and grants, and the admins' regular review of them."""

from __future__ import annotations

import shlex
from typing import TYPE_CHECKING, Any, cast

from pylee_tui.fields import GRANTS, ROLES

from .context import Context
from .output import emit_json, emit_table, member_json, stream_json
from .parser import PROG, Commands, json_flag, org_option
from .prompt import unconfirmed

if TYPE_CHECKING:
    from pylee_tui.services.invitations import InvitationService
    from pylee_tui.services.member_review import MemberReview, ReviewLine, Suggestion


def cmd_member_list(ctx: Context) -> int:
    members = ctx.services.members.list_members(ctx.user, ctx.args.org)
    if ctx.args.json:
        stream_json(map(member_json, members), ctx.raw_out)
        return 0
    emit_table(
        ["EMAIL", "ROLE", "STATUS", "GRANTS", "INVITED_BY"],
        [
            (m.email, m.role, m.status, ",".join(sorted(m.grants)) or "-", m.invited_by or "-")
            for m in members
        ],
        ctx.out,
    )
    return 0


def _invitations(ctx: Context) -> InvitationService:
    """The invitations service, local or the team server's."""
    found = getattr(ctx.services, "invitations", None)
    if found is None:  # a RemoteServices that does not name it yet: the same calls, by name
        from pylee_tui.team.remote import RemoteService

        connection = ctx.services.connection  # type: ignore[attr-defined]
        return cast("InvitationService", RemoteService(connection, "invitations"))
    return cast("InvitationService", found)


def cmd_member_invite(ctx: Context) -> int:
    """Invite; on a team server (against one, or its store with --db) the person also needs
    the code that lets them join it: mailed by the server, or shown here once to pass on."""
    org = ctx.args.org
    invitation = _invitations(ctx).invite(ctx.user, org, ctx.args.email, role=ctx.args.role)
    member = invitation.member
    invited = f"Invited {member.email} to {org} as {member.role}"
    accept = f"{PROG} member accept --org {shlex.quote(org)}"
    if invitation.code is None and not invitation.mailed and not invitation.joined:
        # a local store: no server to join, they accept as themselves
        ctx.out.write(
            f"{invited}; they accept with: "
            f"{PROG} --as {member.email} member accept --org {org} (within 7 days)\n"
        )
        return 0
    if invitation.mail_error is not None:
        ctx.err.write(f"{PROG}: warning: {invitation.mail_error}\n")
    if invitation.code is None:
        if invitation.joined:
            told = " (a mail told them)" if invitation.mailed else ""
            ctx.out.write(
                f"{invited}; they have joined this server already{told} and accept with: "
                f"{accept} (within 7 days)\n"
            )
        else:
            ctx.out.write(
                f"{invited}; the code to join was emailed to {member.email}. They join with it, "
                f"then accept with: {accept} (within 7 days)\n"
            )
        return 0
    url = invitation.join_url or ctx.server_url or "<server-url>"
    renewed = " (their earlier code no longer works)" if invitation.renewed else ""
    ctx.out.write(
        f"{invited}. Their enrolment code (single use, valid 7 days; shown only now){renewed}:\n"
        f"  {invitation.code}\n"
        "Pass it on; they join from their own machine with:\n"
        f"  {PROG} join {url} {invitation.code}\n"
        f"then accept with:\n  {accept}\n"
    )
    return 0


def cmd_member_role(ctx: Context) -> int:
    member = ctx.services.members.change_role(ctx.user, ctx.args.org, ctx.args.email, ctx.args.role)
    ctx.out.write(f"{member.email} is now {member.role} of {ctx.args.org}.\n")
    return 0


def cmd_member_grant(ctx: Context) -> int:
    member = ctx.services.members.grant(ctx.user, ctx.args.org, ctx.args.email, ctx.args.permission)
    ctx.out.write(
        f"Granted {ctx.args.permission} to {member.email} in {ctx.args.org}; "
        f"grants now: {', '.join(sorted(member.grants))}.\n"
    )
    return 0


def cmd_member_revoke(ctx: Context) -> int:
    member = ctx.services.members.revoke_grant(
        ctx.user, ctx.args.org, ctx.args.email, ctx.args.permission
    )
    ctx.out.write(
        f"Withdrew {ctx.args.permission} from {member.email} in {ctx.args.org}; "
        f"grants now: {', '.join(sorted(member.grants)) or 'none'}.\n"
    )
    return 0


def cmd_member_remove(ctx: Context) -> int:
    org, email = ctx.args.org, ctx.args.email
    if not ctx.args.yes:
        unconfirmed(ctx.services.members.removal(ctx.user, org, email))
    member = ctx.services.members.remove(ctx.user, org, email)
    if member.joined_at is not None:
        ctx.out.write(f"Removed {member.email} from {org}.\n")
    else:
        ctx.out.write(f"Revoked the invitation of {member.email} to {org}.\n")
    return 0


def cmd_member_accept(ctx: Context) -> int:
    member = ctx.services.members.accept(ctx.user, ctx.args.org)
    article = "an" if member.role[:1] in "aeiou" else "a"
    ctx.out.write(f"Welcome to {ctx.args.org}: you ({member.email}) are {article} {member.role}.\n")
    return 0


def review_command(suggestion: Suggestion, org: str) -> str:
    """The member command that makes a review's suggested change, ready to paste."""
    email, where = shlex.quote(suggestion.email), f"--org {shlex.quote(org)}"
    if suggestion.kind == "downgrade":
        return f"{PROG} member role {email} member {where}"
    if suggestion.kind == "withdraw":
        return f"{PROG} member revoke {email} {suggestion.permission} {where}"
    return f"{PROG} member remove {email} {where} --yes"


def _review_json(review: MemberReview) -> dict[str, Any]:
    def line(m: ReviewLine) -> dict[str, Any]:
        return {
            "email": m.email,
            "display_name": m.display_name,
            "role": m.role,
            "status": m.status,
            "grants": sorted(m.grants),
            "invited_by": m.invited_by,
            "invited_at": m.invited_at,
            "joined_at": m.joined_at,
            "last_activity": m.last_activity,
            "personal_overrides": m.overrides,
            "flags": list(m.flags),
            "commands": [review_command(s, review.org) for s in m.suggestions],
        }

    return {
        "org": review.org,
        "checked_at": review.checked_at,
        "admins": review.admins,
        "warnings": review.warnings,
        "members": [line(m) for m in review.lines],
    }


def cmd_member_review(ctx: Context) -> int:
    org = ctx.args.org
    review = ctx.services.member_review.review(ctx.user, org)
    if ctx.args.json:
        emit_json(_review_json(review), ctx.out)
        return 0
    active = sum(m.status == "active" for m in review.lines)
    ctx.out.write(
        f"Review of {org} at {review.checked_at[:16].replace('T', ' ')} UTC: "
        f"{active} active member{'s' if active != 1 else ''}, "
        f"{review.admins} admin{'s' if review.admins != 1 else ''}\n"
    )
    for warning in review.warnings:
        ctx.out.write(f"! {warning}\n")
    headers = ["EMAIL", "ROLE", "STATUS", "GRANTS", "LAST_ACTIVITY"]
    if review.overrides_known:
        headers.append("OVERRIDES")
    rows = []
    for m in review.lines:
        row = [
            m.email,
            m.role,
            m.status,
            "all" if m.role == "admin" else ",".join(sorted(m.grants)) or "-",
            m.last_activity[:16].replace("T", " ") if m.last_activity else "never",
        ]
        if review.overrides_known:
            row.append(str(m.overrides))
        rows.append([*row, ", ".join(m.flags) or "-"])
    ctx.out.write("\n")
    emit_table([*headers, "FLAGS"], rows, ctx.out)
    commands = [review_command(s, org) for m in review.lines for s in m.suggestions]
    if review.admins == 1:
        commands.append(f"{PROG} member role EMAIL admin --org {shlex.quote(org)}")
    if commands:
        ctx.out.write("\nTo act on what is flagged (pick what you mean):\n")
        ctx.out.writelines(f"  {command}\n" for command in commands)
    return 0


def register(commands: Commands) -> None:
    member = commands.group("member", "members, invitations and grants")
    p = member.command("list", cmd_member_list, "list members and invitations of an organization")
    org_option(p)
    json_flag(p)
    p = member.command("invite", cmd_member_invite, "invite someone by email (admins)")
    p.add_argument("email", metavar="EMAIL")
    org_option(p)
    p.add_argument("--role", metavar="R", default="member", help=f"one of {', '.join(ROLES)}")
    p = member.command("role", cmd_member_role, "change a member's role (admins)")
    p.add_argument("email", metavar="EMAIL")
    p.add_argument("role", metavar="ROLE", help=f"one of {', '.join(ROLES)}")
    org_option(p)
    p = member.command("grant", cmd_member_grant, "grant a member a permission (admins)")
    p.add_argument("email", metavar="EMAIL")
    p.add_argument("permission", metavar="PERM", help=f"one of {', '.join(GRANTS)}")
    org_option(p)
    p = member.command("revoke", cmd_member_revoke, "withdraw a permission from a member (admins)")
    p.add_argument("email", metavar="EMAIL")
    p.add_argument("permission", metavar="PERM", help=f"one of {', '.join(GRANTS)}")
    org_option(p)
    p = member.command(
        "remove", cmd_member_remove, "remove a member or revoke an invitation (admins)"
    )
    p.add_argument("email", metavar="EMAIL")
    org_option(p)
    p.add_argument("--yes", action="store_true", help="confirm the removal")
    p = member.command("accept", cmd_member_accept, "accept your invitation to an organization")
    org_option(p)
    p = member.command(
        "review",
        cmd_member_review,
        "review members: activity, expired invitations, admins (admins)",
    )
    org_option(p)
    json_flag(p)
