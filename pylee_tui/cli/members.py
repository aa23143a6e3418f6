"""`member list|invite|role|grant|revoke|remove|accept|review`: who belongs to an organization,
with which role and grants, and the admins' regular review of them."""

from __future__ import annotations

import shlex
from typing import TYPE_CHECKING, Any

from pylee_tui.fields import GRANTS, ROLES

from .context import Context
from .output import emit_json, emit_table, member_json, stream_json
from .parser import PROG, Commands, json_flag, org_option
from .prompt import unconfirmed

if TYPE_CHECKING:
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


def cmd_member_invite(ctx: Context) -> int:
    member = ctx.services.members.invite(ctx.user, ctx.args.org, ctx.args.email, role=ctx.args.role)
    ctx.out.write(
        f"Invited {member.email} to {ctx.args.org} as {member.role}; they accept with: "
        f"{PROG} --as {member.email} member accept --org {ctx.args.org} (within 7 days)\n"
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
    ctx.out.write(f"Welcome to {ctx.args.org}: you ({member.email}) are a {member.role}.\n")
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
