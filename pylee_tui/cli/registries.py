"""`registry list|create|show|edit|delete`: the registries of an organization."""

from __future__ import annotations

from typing import TYPE_CHECKING

from pylee_tui.services import PyleeError, Scope
from pylee_tui.summaries import plural

from .context import Context
from .files import read_text_file
from .output import cell, emit_json, emit_table, stream_json
from .parser import PROG, Commands, json_flag, org_option
from .prompt import unconfirmed
from .servers import server_table, with_upstream

if TYPE_CHECKING:
    from pylee_tui.models import DeletionReport


def registry_contents(report: DeletionReport) -> str:
    return (
        f"{plural(report.servers, 'server')} and {plural(report.variables, 'variable or secret')}"
    )


def cmd_registry_list(ctx: Context) -> int:
    org = ctx.args.org
    registries = ctx.services.registries.list_registries(ctx.user, org)
    if ctx.args.json:
        approvals = ctx.services.approvals
        stream_json(
            (
                {
                    "slug": r.slug,
                    "name": r.name,
                    "description": r.description,
                    "servers": r.server_count,
                    "drafts": r.draft_count,
                    "require_approval": approvals.requires_approval(ctx.user, Scope(org, r.slug)),
                }
                for r in registries
            ),
            ctx.raw_out,
        )
        return 0
    if not registries:
        ctx.out.write(
            f"No registries in '{org}' yet. Create one: {PROG} registry create NAME --org {org}\n"
        )
        return 0
    emit_table(
        ["SLUG", "NAME", "SERVERS", "DRAFTS", "DESCRIPTION"],
        [(r.slug, r.name, r.server_count, r.draft_count, cell(r.description)) for r in registries],
        ctx.out,
    )
    return 0


def cmd_registry_create(ctx: Context) -> int:
    reg = ctx.services.registries.create(
        ctx.user,
        ctx.args.org,
        ctx.args.name,
        slug=ctx.args.slug,
        description=ctx.args.description or "",
    )
    ctx.out.write(f"Created registry {reg.name} ({reg.slug}) in {ctx.args.org}.\n")
    return 0


def cmd_registry_show(ctx: Context) -> int:
    org = ctx.args.org
    reg = ctx.services.registries.get_registry(ctx.user, Scope(org, ctx.args.slug))
    servers = ctx.services.registries.list_servers(ctx.user, Scope(org, reg.slug))
    forked = ctx.services.forks.upstreams(ctx.user, Scope(org, reg.slug))
    fork_of = ctx.services.forks.fork_of(ctx.user, Scope(org, reg.slug))
    required = ctx.services.approvals.requires_approval(ctx.user, Scope(org, reg.slug))
    if ctx.args.json:
        emit_json(
            {
                "org": org,
                "slug": reg.slug,
                "name": reg.name,
                "require_approval": required,
                "fork_of": fork_of,
                "description": reg.description,
                "overview": reg.overview,
                "created_at": reg.created_at.isoformat(),
                "updated_at": reg.updated_at.isoformat(),
                "servers": [with_upstream(s, forked) for s in servers],
            },
            ctx.out,
        )
        return 0
    out = ctx.out
    drafts = sum(1 for s in servers if s.status == "draft")
    out.write(f"{reg.name} ({reg.slug}) in {org}\n")
    if reg.description:
        out.write(f"{reg.description}\n")
    out.write(f"Created: {reg.created_at:%Y-%m-%d %H:%M} UTC\n")
    out.write(
        "Approval: " + ("changes by members need an approver\n" if required else "not required\n")
    )
    if fork_of:
        behind = sum(1 for line in forked.values() if line.behind)
        gone = sum(1 for line in forked.values() if line.gone)
        out.write(
            f"Upstream: {fork_of} ({plural(len(forked), 'server')} from it"
            + (f", {behind} behind" if behind else "")
            + (f", {gone} gone upstream" if gone else "")
            + ")\n"
        )
    out.write(f"\nServers ({len(servers)}" + (f", {plural(drafts, 'draft')}" if drafts else ""))
    out.write("):\n")
    if servers:
        server_table(servers, out, forked)
    else:
        out.write(
            f"  none yet; add one: {PROG} server add FILE --org {org} --registry {reg.slug}\n"
        )
    if reg.overview:
        size = len(reg.overview.encode("utf-8"))
        lines = len(reg.overview.splitlines())
        out.write(f"\nOverview: {plural(lines, 'line')} of Markdown ({plural(size, 'byte')})\n")
    else:
        out.write("\nOverview: none\n")
    return 0


def cmd_registry_edit(ctx: Context) -> int:
    """The fields and whether changes need approval, in one change: all of it or none."""
    args, scope = ctx.args, Scope(ctx.args.org, ctx.args.slug)
    overview = read_text_file(args.overview_file) if args.overview_file else None
    required = None if args.require_approval is None else args.require_approval == "on"
    fields = (args.name, args.new_slug, args.description, overview)
    edited = None
    if required is not None and all(v is None for v in fields):
        ctx.services.approvals.set_required(ctx.user, scope, required)  # the setting alone
    else:
        edited = ctx.services.registries.edit(
            ctx.user,
            scope,
            name=args.name,
            new_slug=args.new_slug,
            description=args.description,
            overview=overview,
            require_approval=required,
        )
    if required is not None:
        ctx.out.write(
            f"Registry {args.slug} in {args.org} "
            + ("requires approval of changes.\n" if required else "no longer requires approval.\n")
        )
    if edited is not None:
        ctx.out.write(f"Updated registry {edited.name} ({edited.slug}) in {args.org}.\n")
    return 0


def cmd_registry_delete(ctx: Context) -> int:
    org, slug = ctx.args.org, ctx.args.slug
    if not ctx.args.yes:
        contents = ctx.services.registries.contents(ctx.user, Scope(org, slug), check=True)
        closes = (
            f" and closes {plural(contents.requests, 'open change request')} (as rejected)"
            if contents.requests
            else ""
        )
        unconfirmed(f"deleting registry '{slug}' removes {registry_contents(contents)}{closes}")
    report = ctx.services.registries.delete(ctx.user, Scope(org, slug))
    closed = (
        f"; closed {plural(report.requests, 'open change request')} as rejected"
        if report.requests
        else ""
    )
    ctx.out.write(f"Deleted registry {slug} with {registry_contents(report)}{closed}.\n")
    return 0


def cmd_registry_fork(ctx: Context) -> int:
    org, _, slug = ctx.args.source.partition("/")
    if not org or not slug or "/" in slug:
        raise PyleeError(f"name the registry to fork as ORG/REGISTRY, not {ctx.args.source!r}")
    report = ctx.services.forks.fork(
        ctx.user,
        Scope(org, slug),
        ctx.args.into,
        name=ctx.args.name,
        slug=ctx.args.slug,
        pinned=ctx.args.pinned,
    )
    reg = report.registry
    how = "pinned at their current versions" if report.pinned else "following their upstream"
    ctx.out.write(
        f"Forked {org}/{slug} into {ctx.args.into} as {reg.name} ({reg.slug}): "
        f"{plural(report.servers, 'server')} {how}.\n"
    )
    if report.left_out:
        names = ", ".join(cell(n, 0) for n in report.left_out[:5])
        more = " …" if len(report.left_out) > 5 else ""
        ctx.out.write(
            f"Left out (nothing published upstream): {plural(len(report.left_out), 'server')}: "
            f"{names}{more}\n"
        )
    return 0


def register(commands: Commands) -> None:
    registry = commands.group("registry", "registries of MCP servers")
    p = registry.command("list", cmd_registry_list, "list the registries of an organization")
    org_option(p)
    json_flag(p)
    p = registry.command("create", cmd_registry_create, "create a registry (admins)")
    p.add_argument("name", metavar="NAME")
    org_option(p)
    p.add_argument("--slug", metavar="S", help="URL-safe id (derived from NAME when omitted)")
    p.add_argument("--description", metavar="D", help="one line, up to 280 characters")
    p = registry.command("show", cmd_registry_show, "show one registry with its servers")
    p.add_argument("slug", metavar="SLUG")
    org_option(p)
    json_flag(p)
    p = registry.command("edit", cmd_registry_edit, "change a registry (admins)")
    p.add_argument("slug", metavar="SLUG")
    org_option(p)
    p.add_argument("--name", metavar="N")
    p.add_argument("--slug", dest="new_slug", metavar="S", help="a new slug")
    p.add_argument("--description", metavar="D")
    p.add_argument("--overview-file", metavar="F", help="Markdown overview from a file (- = stdin)")
    p.add_argument(
        "--require-approval",
        choices=("on", "off"),
        help="changes by members need an approver (admins set it)",
    )
    p = registry.command(
        "delete", cmd_registry_delete, "delete a registry and its servers (admins)"
    )
    p.add_argument("slug", metavar="SLUG")
    org_option(p)
    p.add_argument("--yes", action="store_true", help="confirm the deletion")
    p = registry.command(
        "fork", cmd_registry_fork, "a registry whose servers refer to another's (registries:write)"
    )
    p.add_argument("source", metavar="ORG/REGISTRY", help="the registry to fork")
    p.add_argument("--into", metavar="ORG", required=True, help="the org the fork goes in")
    p.add_argument("--name", metavar="N", help="the fork's name (default: the original's)")
    p.add_argument("--slug", metavar="S", help="the fork's slug (derived from the name)")
    p.add_argument("--pinned", action="store_true", help="pin each server at its version now")
