"""`server list|show|add|edit|remove|move|import|export`: the MCP servers of a registry
(`publish|versions|diff|rollback|pin|unpin`: cli/server_versions.py)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, TextIO

from pylee_tui.safe_text import escape, escape_json
from pylee_tui.services import PyleeError, Scope
from pylee_tui.summaries import plural

from .context import Context
from .files import file_label, read_json_file, write_text_file
from .output import cell, emit_json, emit_table, server_summary_json, stream_json
from .parser import PROG, Commands, json_flag, registry_options
from .prompt import unconfirmed
from .requests import json_when_requested
from .server_versions import register as register_versions

if TYPE_CHECKING:
    from pylee_tui.models import Server
    from pylee_tui.services.forks import UpstreamLine


def server_status(server: Server) -> str:
    if server.status == "draft":
        return f"DRAFT ({plural(len(server.problems), 'problem')})"
    return "valid"


def fork_status(line: UpstreamLine) -> str:
    """A forked server's status: gone upstream, or behind its upstream's latest version."""
    if line.gone:
        return "GONE UPSTREAM (not exported)"
    if line.behind:
        return f"behind (upstream: {line.latest})"
    return "pinned" if line.pinned else "follows upstream"


def server_table(
    servers: Sequence[Server], out: TextIO, forked: dict[str, UpstreamLine] | None = None
) -> None:
    """`forked`: the registry's forked servers by name (their status says how they follow)."""
    forked = forked or {}

    def status(s: Server) -> str:
        line = forked.get(s.name)
        return server_status(s) if line is None else fork_status(line)

    emit_table(
        ["NAME", "VERSION", "STATUS", "DESCRIPTION"],
        [
            (cell(s.name, 0), cell(s.version, 20), status(s), cell(s.description, 60))
            for s in servers
        ],
        out,
    )


def with_upstream(server: Server, forked: dict[str, UpstreamLine]) -> dict[str, Any]:
    """A server's summary, and for a forked server its upstream and how it follows it."""
    found = server_summary_json(server)
    line = forked.get(server.name)
    if line is not None:
        found["upstream"] = {
            "server": line.upstream,
            "gone": line.gone,
            "pinned": line.pinned,
            "latest": line.latest,
            "behind": line.behind,
        }
    return found


def cmd_server_list(ctx: Context) -> int:
    org, registry, query = ctx.args.org, ctx.args.registry, ctx.args.filter or ""
    servers = ctx.services.registries.list_servers(ctx.user, Scope(org, registry), query=query)
    if ctx.args.json:
        forked = ctx.services.forks.upstreams(ctx.user, Scope(org, registry))
        stream_json((with_upstream(s, forked) for s in servers), ctx.raw_out)
        return 0
    if not servers:
        if query:
            ctx.out.write(f"No server in registry '{registry}' matches {query!r}.\n")
        else:
            ctx.out.write(
                f"No servers in registry '{registry}' yet. Add one: {PROG} server add FILE "
                f"--org {org} --registry {registry}\n"
            )
        return 0
    forked = ctx.services.forks.upstreams(ctx.user, Scope(org, registry))
    server_table(servers, ctx.out, forked)
    drafts = sum(1 for s in servers if s.status == "draft")
    ctx.out.write(
        f"\n{plural(len(servers), 'server')}"
        + (f", {plural(drafts, 'draft')} (exported only once fixed)" if drafts else "")
        + "\n"
    )
    return 0


def cmd_server_show(ctx: Context) -> int:
    from pylee_tui.server_json import declared_inputs, dicts, launch_command

    org, registry = ctx.args.org, ctx.args.registry
    server = ctx.services.registries.get_server(ctx.user, Scope(org, registry, ctx.args.name))
    doc = server.document
    env, headers = declared_inputs(doc)
    launch = launch_command(doc)
    repository = doc.get("repository") if isinstance(doc.get("repository"), dict) else None
    website = doc.get("websiteUrl") if isinstance(doc.get("websiteUrl"), str) else None
    if ctx.args.json:
        emit_json(
            {
                **server_summary_json(server),
                "org": org,
                "registry": registry,
                "website": website,
                "repository": repository,
                "launch": launch,
                "environment_variables": env,
                "headers": headers,
                "document": doc,
                "created_at": server.created_at.isoformat(),
                "updated_at": server.updated_at.isoformat(),
            },
            ctx.out,
        )
        return 0
    out = ctx.out
    fields = [
        ("Version", server.version or "(none)"),
        ("Status", server_status(server)),
        ("Description", server.description or "(none)"),
    ]
    if repository:
        url, source = repository.get("url"), repository.get("source")
        fields.append(("Repository", f"{url}" + (f" ({source})" if source else "")))
    if website:
        fields.append(("Website", website))
    fields.append(("Registry", f"{registry} in {org}"))
    fields.append(("Launch", launch or "(no package or remote a client could launch)"))
    out.write(cell(server.name, 0) + "\n")
    for label, value in fields:
        out.write(f"  {label + ':':<13}{cell(value, 0)}\n")
    packages = dicts(doc.get("packages"))
    remotes = dicts(doc.get("remotes"))
    if packages:
        out.write(f"\nPackages ({len(packages)}):\n")
        for p in packages:
            transport = p.get("transport")
            if not isinstance(transport, dict):
                transport = {}
            parts = [p.get("registryType"), p.get("identifier"), p.get("version")]
            text = " ".join(str(x) for x in parts if x not in (None, ""))
            out.write(f"  {cell(text, 0)} ({cell(transport.get('type') or '?', 0)})\n")
    if remotes:
        out.write(f"\nRemotes ({len(remotes)}):\n")
        for r in remotes:
            out.write(f"  {cell(r.get('type') or '?', 0)} {cell(r.get('url') or '?', 0)}\n")
    for title, rows in (("Environment variables", env), ("Headers", headers)):
        out.write(f"\n{title}: none\n" if not rows else f"\n{title} ({len(rows)}):\n")
        if rows:
            emit_table(
                ["NAME", "REQUIRED", "SECRET", "DEFAULT", "FROM", "DESCRIPTION"],
                [
                    (
                        cell(r["name"]),
                        "yes" if r["required"] else "no",
                        "yes" if r["secret"] else "no",
                        cell(r["default"], 30),
                        cell(r["source"], 40),
                        cell(r["description"], 50),
                    )
                    for r in rows
                ],
                out,
            )
    if server.problems:
        out.write(
            f"\nProblems ({len(server.problems)}); fix them with: {PROG} server edit "
            f"{cell(server.name, 0)} --org {org} --registry {registry} --file FILE\n"
        )
        for p in server.problems:
            out.write(f"  {cell(p.get('path'), 0)}: {cell(p.get('reason'), 0)}\n")
    return 0


def cmd_server_add(ctx: Context) -> int:
    document = read_json_file(ctx.args.file)
    if isinstance(document, list):
        raise PyleeError(
            f"{file_label(ctx.args.file)} holds a list of {plural(len(document), 'entry')}; "
            f"`server add` takes one server object (use `server import` for a list)"
        )
    server = ctx.services.registries.add_server(
        ctx.user, Scope(ctx.args.org, ctx.args.registry), document, allow_draft=ctx.args.draft
    )
    name, where = cell(server.name, 0), f"registry {ctx.args.registry}"
    if server.status == "draft":
        ctx.out.write(
            f"Added {name} to {where} as a draft with {plural(len(server.problems), 'problem')}; "
            f"see: {PROG} server show {name} --org {ctx.args.org} --registry {ctx.args.registry}\n"
        )
    else:
        ctx.out.write(f"Added {name} {cell(server.version, 0)} to {where}.\n")
    return 0


def cmd_server_edit(ctx: Context) -> int:
    document = read_json_file(ctx.args.file)
    if not isinstance(document, dict):
        raise PyleeError(f"{file_label(ctx.args.file)} must hold one server object")
    org, registry, name = ctx.args.org, ctx.args.registry, ctx.args.name
    edit = ctx.services.registries.edit_server(ctx.user, Scope(org, registry, name), document)
    server = edit.server
    renamed = f" (renamed from {edit.renamed_from})" if edit.renamed_from else ""
    fixed = "; it is no longer a draft" if edit.was_draft else ""
    shown = cell(server.name, 0)
    state = ctx.services.server_versions.state(ctx.user, Scope(org, registry, server.name))
    if state.latest is None:  # never published: the document's own version is all there is
        ctx.out.write(f"Updated {shown} {cell(server.version, 0)}{renamed}{fixed}.\n")
    elif state.changed:
        ctx.out.write(
            f"Updated {shown}{renamed}{fixed}: unpublished changes since {state.latest}; "
            f"publish them with `{PROG} server publish {shown} --org {org} --registry "
            f"{registry}`.\n"
        )
    else:
        ctx.out.write(f"Updated {shown}{renamed}{fixed}: as its latest version {state.latest}.\n")
    return 0


def cmd_server_remove(ctx: Context) -> int:
    org, registry, name = ctx.args.org, ctx.args.registry, ctx.args.name
    if not ctx.args.yes:
        report = ctx.services.registries.server_contents(
            ctx.user, Scope(org, registry, name), check=True
        )
        unconfirmed(
            f"removing server '{name}' from registry '{registry}' removes it and "
            f"{plural(report.variables, 'variable or secret')}"
        )
    report = ctx.services.registries.remove_server(ctx.user, Scope(org, registry, name))
    ctx.out.write(
        f"Removed {name} from registry {registry}"
        + (f" with {plural(report.variables, 'variable or secret')}" if report.variables else "")
        + ".\n"
    )
    return 0


def cmd_server_move(ctx: Context) -> int:
    org, registry, name, target = ctx.args.org, ctx.args.registry, ctx.args.name, ctx.args.to
    ctx.services.registries.move_server(ctx.user, Scope(org, registry, name), target)
    ctx.out.write(f"Moved {name} from registry {registry} to {target}.\n")
    return 0


@json_when_requested
def cmd_server_import(ctx: Context) -> int:
    entries: list[Any] = []
    origins: list[tuple[str, int]] = []  # (file, position in it) of each entry, for the report
    for path in ctx.args.files:  # read every file first: a bad one means nothing is imported
        data = read_json_file(path, nothing_done="; nothing was imported")
        found = data if isinstance(data, list) else [data]
        entries.extend(found)
        origins += [("stdin" if path == "-" else path, i + 1) for i in range(len(found))]
    files = ", ".join(file_label(p) for p in ctx.args.files)
    if not entries:
        raise PyleeError(f"{files} holds no server entries; nothing was imported")
    report = ctx.services.registries.import_servers(
        ctx.user,
        Scope(ctx.args.org, ctx.args.registry),
        entries,
        strict=ctx.args.strict,
        replace=ctx.args.replace,
        source=", ".join("stdin" if p == "-" else p for p in ctx.args.files),
        origins=origins,
    )
    if ctx.args.json:
        emit_json(report.as_json(), ctx.out)
        return 0
    ctx.out.write(report.summary() + "\n")
    if report.skipped and not ctx.args.replace:
        ctx.out.write(
            f"(--replace replaces the {plural(report.skipped, 'server')} already there)\n"
        )
    lines = report.entry_lines()  # each rejected or drafted entry, by name or #position
    if lines:
        ctx.out.write("\n" + "\n".join(escape(line) for line in lines) + "\n")
    return 0


def cmd_server_export(ctx: Context) -> int:
    data = ctx.services.registries.export_servers(
        ctx.user, Scope(ctx.args.org, ctx.args.registry, ctx.args.name)
    )
    text = json.dumps(data, indent=2, ensure_ascii=False) + "\n"
    if not ctx.args.out or ctx.args.out == "-":
        ctx.out.write(escape_json(text))
        return 0
    write_text_file(ctx.args.out, text)
    count = 1 if isinstance(data, dict) else len(data)
    ctx.out.write(f"Exported {plural(count, 'server')} to {ctx.args.out}\n")
    return 0


def register(commands: Commands) -> None:
    server = commands.group("server", "MCP servers in a registry")
    p = server.command("list", cmd_server_list, "list the servers of a registry")
    registry_options(p)
    json_flag(p)
    p.add_argument("--filter", metavar="TEXT", help="only names containing TEXT (any case)")
    p = server.command("show", cmd_server_show, "show one server: summary, launch command, inputs")
    p.add_argument("name", metavar="NAME", help="the server's name, e.g. io.github.user/weather")
    registry_options(p)
    json_flag(p)
    p = server.command("add", cmd_server_add, "add one server from a server.json file (admins)")
    p.add_argument("file", metavar="FILE", help="one server.json object, either shape (- = stdin)")
    registry_options(p)
    p.add_argument("--draft", action="store_true", help="keep an invalid server as a draft")
    p = server.command("edit", cmd_server_edit, "replace a server's document (admins)")
    p.add_argument("name", metavar="NAME")
    registry_options(p)
    p.add_argument("--file", metavar="F", required=True, help="the new server.json (- = stdin)")
    p = server.command("remove", cmd_server_remove, "remove a server (admins)")
    p.add_argument("name", metavar="NAME")
    registry_options(p)
    p.add_argument("--yes", action="store_true", help="confirm the removal")
    p = server.command("move", cmd_server_move, "move a server to another registry (admins)")
    p.add_argument("name", metavar="NAME")
    registry_options(p)
    p.add_argument("--to", metavar="SLUG", required=True, help="the registry to move it to")
    p = server.command("import", cmd_server_import, "import server.json files in one go (admins)")
    p.add_argument("files", metavar="FILE", nargs="+", help="one server or a list (- = stdin)")
    registry_options(p)
    p.add_argument("--strict", action="store_true", help="reject invalid entries, no drafts")
    p.add_argument("--replace", action="store_true", help="replace servers already there")
    p.add_argument("--json", action="store_true", help="machine-readable report, entry by entry")
    p = server.command("export", cmd_server_export, "write current-shape server.json")
    p.add_argument("name", metavar="NAME", nargs="?", help="one server (default: all of them)")
    registry_options(p)
    p.add_argument("--out", metavar="FILE", help="write to FILE instead of stdout")
    register_versions(server)
