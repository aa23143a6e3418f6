"""`org list|create|show|edit|delete|clone|diff`: organizations."""

from __future__ import annotations

from pylee_tui.summaries import plural

from .context import Context
from .files import read_text_file
from .output import cell, emit_json, emit_table, stream_json
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


def cmd_org_clone(ctx: Context) -> int:
    report = ctx.services.environments.clone(
        ctx.user,
        ctx.args.source,
        ctx.args.name,
        slug=ctx.args.slug,
        with_members=ctx.args.with_members,
    )
    if ctx.args.json:
        emit_json(report.to_json(), ctx.out)
        return 0
    out = ctx.out
    out.write(
        f"Cloned {cell(report.source, 0)} into {cell(report.name, 0)} ({report.slug}); "
        f"you are its admin: {plural(report.registries, 'registry')}, "
        f"{plural(report.servers, 'server')}, {plural(report.variables, 'variable')}"
        + (f", {plural(report.members, 'member')}" if ctx.args.with_members else "")
        + ".\n"
    )
    if report.missing:
        out.write(
            f"\nSecrets are not copied: {len(report.missing)} missing until set "
            f"({PROG} secret set KEY --org {report.slug} [--registry R [--server S]]):\n"
        )
        for m in report.missing:
            out.write(f"  {cell(m.key, 0)}  at {cell(m.where, 0)}\n")
    if report.unfollowed:
        count = len(report.unfollowed)
        are = "is a plain copy" if count == 1 else "are plain copies"
        out.write(
            f"\n{plural(count, 'forked server')} {are} "
            "at the version in use, not following their upstream (you are not a member of its "
            "org):\n"
        )
        for u in report.unfollowed:
            out.write(
                f"  {cell(u.registry, 0)}/{cell(u.server, 0)}  {cell(u.version, 0)}  "
                f"(was following {cell(u.upstream, 0)})\n"
            )
    return 0


def cmd_org_diff(ctx: Context) -> int:
    from pylee_tui.services.environment_diff import outline

    services, a, b = ctx.services, ctx.args.a, ctx.args.b
    services.orgs.get_org(ctx.user, a)  # a member of both, before anything is unlocked
    services.orgs.get_org(ctx.user, b)
    _unlock_quietly(ctx)
    diff = services.environments.diff(ctx.user, a, b)
    if ctx.args.json:
        emit_json(diff.to_json(), ctx.out)
        return 0
    out = ctx.out
    out.write(f"A: {cell(diff.a, 0)}  B: {cell(diff.b, 0)}\n")
    if diff.empty:
        why = "" if diff.secrets_note is None else " (secrets' values not compared)"
        out.write(f"No differences{why}.\n")
    for depth, text in outline(diff):
        out.write("  " * depth + cell(text, 0) + "\n")
    if diff.same_secrets:
        out.write(
            f"\n{plural(diff.same_secrets, 'secret')} the same in both (compared in memory).\n"
        )
    if diff.secrets_note is not None:
        out.write(f"\n{diff.secrets_note}")
        if diff.may_reveal:  # only the vault stands in the way
            out.write(f" Start the agent ({PROG} agent start) or set PYLEE_PASSPHRASE.")
        out.write("\n")
    return 0


def _unlock_quietly(ctx: Context) -> None:
    """Open the vault from the agent or PYLEE_PASSPHRASE when either has it; never prompt: a
    diff with the vault locked says "unknown" of secrets instead."""
    import os

    from .prompt import PASSPHRASE_ENV

    vault = ctx.services.vault
    if vault.unlocked or not vault.initialized():
        return
    from pylee_tui.agent.client import unlock_from_agent

    if not unlock_from_agent(vault) and os.environ.get(PASSPHRASE_ENV):
        vault.unlock(os.environ[PASSPHRASE_ENV])


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
    p = org.command(
        "clone",
        cmd_org_clone,
        "copy an organization into a new one (secrets become missing keys); you are its admin",
    )
    p.add_argument("source", metavar="SOURCE", help="the slug of the organization to copy")
    p.add_argument("name", metavar="NEW-NAME")
    p.add_argument("--slug", metavar="S", help="URL-safe id (derived from NEW-NAME when omitted)")
    p.add_argument(
        "--with-members",
        action="store_true",
        help="copy the active members and open invitations with their roles (admins)",
    )
    json_flag(p)
    p = org.command(
        "diff",
        cmd_org_diff,
        "how organization B differs from A, registry by registry (secrets: same/differs/missing)",
    )
    p.add_argument("a", metavar="A")
    p.add_argument("b", metavar="B")
    json_flag(p)
