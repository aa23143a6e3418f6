"""`org list|create|show|edit|delete`: organizations."""

from __future__ import annotations

from pylee_tui.summaries import plural

from .context import Context
from .files import read_text_file
from .output import emit_json, emit_table, stream_json
from .parser import PROG, Commands, json_flag
from .prompt import unconfirmed


def cmd_org_list(ctx: Context) -> int:
    orgs = ctx.services.orgs.list_orgs(ctx.user)
    if ctx.args.json:
        stream_json(
            (
                {
                    "slug": o.slug,
                    "name": o.name,
                    "description": o.description,
                    "role": o.role,
                    "admins": list(o.admins),
                    "registries": o.registry_count,
                    "members": o.member_count,
                    "created_at": o.created_at.isoformat(),
                }
                for o in orgs
            ),
            ctx.raw_out,
        )
        return 0
    if not orgs:
        ctx.out.write(f"No organizations yet. Create one: {PROG} org create NAME\n")
        return 0
    emit_table(
        ["SLUG", "NAME", "ROLE", "REGISTRIES", "MEMBERS"],
        [(o.slug, o.name, o.role, o.registry_count, o.member_count) for o in orgs],
        ctx.out,
    )
    return 0


def cmd_org_create(ctx: Context) -> int:
    org = ctx.services.orgs.create(
        ctx.user, ctx.args.name, slug=ctx.args.slug, description=ctx.args.description or ""
    )
    ctx.out.write(f"Created {org.name} ({org.slug}); you are its admin.\n")
    return 0


def cmd_org_show(ctx: Context) -> int:
    org = ctx.services.orgs.get_org(ctx.user, ctx.args.slug)
    registries = ctx.services.registries.list_registries(ctx.user, org.slug)
    members = ctx.services.members.list_members(ctx.user, org.slug)
    role = ctx.services.orgs.role(ctx.user, org.slug)
    if ctx.args.json:
        emit_json(
            {
                "slug": org.slug,
                "name": org.name,
                "description": org.description,
                "overview": org.overview,
                "created_at": org.created_at.isoformat(),
                "updated_at": org.updated_at.isoformat(),
                "role": role,
                "registries": [
                    {"slug": r.slug, "name": r.name, "servers": r.server_count} for r in registries
                ],
                "members": [
                    {"email": m.email, "role": m.role, "status": m.status} for m in members
                ],
            },
            ctx.out,
        )
        return 0
    out = ctx.out
    out.write(f"{org.name} ({org.slug})\n")
    if org.description:
        out.write(f"{org.description}\n")
    out.write(f"You are: {role}\n")
    out.write(f"Created: {org.created_at:%Y-%m-%d %H:%M} UTC\n")
    out.write(f"\nRegistries ({len(registries)}):\n")
    for r in registries:
        out.write(f"  {r.slug:<24} {r.name} ({plural(r.server_count, 'server')})\n")
    out.write(f"\nMembers ({len(members)}):\n")
    for m in members:
        out.write(f"  {m.email:<32} {m.role:<7} {m.status}\n")
    if org.overview:
        out.write(f"\nOverview: {len(org.overview.splitlines())} lines of Markdown\n")
    return 0


def cmd_org_edit(ctx: Context) -> int:
    overview = None
    if ctx.args.overview_file:
        overview = read_text_file(ctx.args.overview_file)
    org = ctx.services.orgs.edit(
        ctx.user,
        ctx.args.slug,
        name=ctx.args.name,
        new_slug=ctx.args.new_slug,
        description=ctx.args.description,
        overview=overview,
    )
    ctx.out.write(f"Updated {org.name} ({org.slug}).\n")
    return 0


def cmd_org_delete(ctx: Context) -> int:
    if not ctx.args.yes:
        contents = ctx.services.orgs.contents(ctx.user, ctx.args.slug)
        unconfirmed(f"deleting '{ctx.args.slug}' removes {contents.describe()}")
    report = ctx.services.orgs.delete(ctx.user, ctx.args.slug)
    ctx.out.write(f"Deleted {ctx.args.slug} and {report.describe()}.\n")
    return 0


def register(commands: Commands) -> None:
    org = commands.group("org", "organizations")
    p = org.command("list", cmd_org_list, "list the organizations you belong to")
    json_flag(p)
    p = org.command("create", cmd_org_create, "create an organization; you become its admin")
    p.add_argument("name", metavar="NAME")
    p.add_argument("--slug", metavar="S", help="URL-safe id (derived from NAME when omitted)")
    p.add_argument("--description", metavar="D", help="one line, up to 280 characters")
    p = org.command("show", cmd_org_show, "show one organization")
    p.add_argument("slug", metavar="SLUG")
    json_flag(p)
    p = org.command("edit", cmd_org_edit, "change an organization (admins)")
    p.add_argument("slug", metavar="SLUG")
    p.add_argument("--name", metavar="N")
    p.add_argument("--slug", dest="new_slug", metavar="S", help="a new slug")
    p.add_argument("--description", metavar="D")
    p.add_argument("--overview-file", metavar="F", help="Markdown overview from a file (- = stdin)")
    p = org.command("delete", cmd_org_delete, "delete an organization and all it holds (admins)")
    p.add_argument("slug", metavar="SLUG")
    p.add_argument("--yes", action="store_true", help="confirm the deletion")
