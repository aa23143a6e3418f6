"""`member list|invite|role|grant|revoke|remove|accept`: who belongs to an organization, with
which role and grants."""

from __future__ import annotations

from pylee_tui.fields import GRANTS, ROLES

from .context import Context
from .output import emit_table, member_json, stream_json
from .parser import PROG, Commands, json_flag, org_option
from .prompt import unconfirmed


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
