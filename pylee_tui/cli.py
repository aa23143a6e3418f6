"""`pylee-tui`: launches the app, or runs a scriptable subcommand over the same services.

Errors are one line on stderr: exit 1 for a refused or invalid request, 2 for bad usage.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import sqlite3
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, NoReturn, TextIO

from pylee_tui import __version__
from pylee_tui.models import (
    GRANTS,
    ROLES,
    AuditEvent,
    DeletionReport,
    Member,
    Server,
    is_unsafe_char,
    plural,
)
from pylee_tui.server_json import declared_inputs, dicts, launch_command, loads_strict, read_text
from pylee_tui.services import PyleeError, Services
from pylee_tui.services.demo import load_demo
from pylee_tui.store import Store, StoreError, describe_sqlite_error, resolve_db_path

PROG = "pylee-tui"


class UsageError(Exception):
    """Bad usage: exit 2."""


class CliParser(argparse.ArgumentParser):
    """argparse, but a usage error is one line (the caller prints it and exits 2)."""

    def error(self, message: str) -> NoReturn:
        raise UsageError(f"{message} (see `{self.prog} --help`)")


# --- output helpers --------------------------------------------------------------------------


def emit_json(data: Any, out: TextIO) -> None:
    out.write(json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False) + "\n")


def emit_table(headers: Sequence[str], rows: Sequence[Sequence[Any]], out: TextIO) -> None:
    cells = [[str(c) for c in row] for row in rows]
    widths = [max([len(h)] + [len(r[i]) for r in cells]) for i, h in enumerate(headers)]
    for row in [list(headers), *cells]:
        out.write("  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip() + "\n")


def audit_json(event: AuditEvent) -> dict[str, Any]:
    return {
        "id": event.id,
        "time": event.created_at.isoformat(),
        "actor": event.actor,
        "action": event.action,
        "org": event.org_slug,
        "target_type": event.target_type,
        "target_id": event.target_id,
        "target_label": event.target_label,
        "metadata": event.metadata,
    }


# --- commands --------------------------------------------------------------------------------


class Context:
    """What a command needs: the services, the acting user (resolved lazily), the streams."""

    def __init__(self, args: argparse.Namespace, out: TextIO, err: TextIO):
        self.args = args
        self.out = out
        self.err = err
        self.store = Store(resolve_db_path(args.db))
        self.services = Services(self.store)
        self._user: str | None = None

    @property
    def user(self) -> str:
        if self._user is None:
            self._user = self.services.identity.require(
                self.args.as_user, os.environ.get("PYLEE_USER")
            )
        return self._user


def cmd_login(ctx: Context) -> int:
    email = ctx.services.identity.save(ctx.args.email)
    ctx.out.write(f"Saved {email} as the acting user for {ctx.store.path}\n")
    return 0


def cmd_whoami(ctx: Context) -> int:
    ctx.out.write(ctx.user + "\n")
    return 0


def cmd_org_list(ctx: Context) -> int:
    orgs = ctx.services.orgs.list(ctx.user)
    if ctx.args.json:
        emit_json(
            [
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
            ],
            ctx.out,
        )
        return 0
    if not orgs:
        ctx.out.write("No organizations yet. Create one: pylee-tui org create NAME\n")
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
    org = ctx.services.orgs.get(ctx.user, ctx.args.slug)
    registries = ctx.services.registries.list(ctx.user, org.slug)
    members = ctx.services.members.list(ctx.user, org.slug)
    role = next((m.role for m in members if m.email == ctx.user), None)
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
        raise PyleeError(
            f"deleting '{ctx.args.slug}' removes {contents.describe()}; pass --yes to confirm"
        )
    report = ctx.services.orgs.delete(ctx.user, ctx.args.slug)
    ctx.out.write(f"Deleted {ctx.args.slug} and {report.describe()}.\n")
    return 0


def cmd_audit(ctx: Context) -> int:
    if ctx.args.org:
        events = ctx.services.audit.list_for_org(ctx.user, ctx.args.org, limit=ctx.args.limit)
    else:
        events = ctx.services.audit.list_by_actor(ctx.user, limit=ctx.args.limit)
    if ctx.args.json:
        emit_json([audit_json(e) for e in events], ctx.out)
        return 0
    if not events:
        ctx.out.write("No audit events.\n")
        return 0
    emit_table(
        ["TIME (UTC)", "ACTOR", "ACTION", "ORG", "TARGET"],
        [
            (
                f"{e.created_at:%Y-%m-%d %H:%M:%S}",
                e.actor,
                e.action,
                e.org_slug or "",
                f"{e.target_type} {e.target_label}".strip(),
            )
            for e in events
        ],
        ctx.out,
    )
    return 0


# --- registries ------------------------------------------------------------------------------


def cmd_registry_list(ctx: Context) -> int:
    org = ctx.args.org
    registries = ctx.services.registries.list(ctx.user, org)
    if ctx.args.json:
        emit_json(
            [
                {
                    "slug": r.slug,
                    "name": r.name,
                    "description": r.description,
                    "servers": r.server_count,
                    "drafts": r.draft_count,
                }
                for r in registries
            ],
            ctx.out,
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
    reg = ctx.services.registries.get(ctx.user, org, ctx.args.slug)
    servers = ctx.services.registries.list_servers(ctx.user, org, reg.slug)
    if ctx.args.json:
        emit_json(
            {
                "org": org,
                "slug": reg.slug,
                "name": reg.name,
                "description": reg.description,
                "overview": reg.overview,
                "created_at": reg.created_at.isoformat(),
                "updated_at": reg.updated_at.isoformat(),
                "servers": [server_summary_json(s) for s in servers],
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
    out.write(f"\nServers ({len(servers)}" + (f", {plural(drafts, 'draft')}" if drafts else ""))
    out.write("):\n")
    if servers:
        server_table(servers, out)
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
    overview = None
    if ctx.args.overview_file:
        overview = read_text_file(ctx.args.overview_file)
    reg = ctx.services.registries.edit(
        ctx.user,
        ctx.args.org,
        ctx.args.slug,
        name=ctx.args.name,
        new_slug=ctx.args.new_slug,
        description=ctx.args.description,
        overview=overview,
    )
    ctx.out.write(f"Updated registry {reg.name} ({reg.slug}) in {ctx.args.org}.\n")
    return 0


def cmd_registry_delete(ctx: Context) -> int:
    org, slug = ctx.args.org, ctx.args.slug
    if not ctx.args.yes:
        contents = ctx.services.registries.contents(ctx.user, org, slug)
        raise PyleeError(
            f"deleting registry '{slug}' removes {registry_contents(contents)}; "
            "pass --yes to confirm"
        )
    report = ctx.services.registries.delete(ctx.user, org, slug)
    ctx.out.write(f"Deleted registry {slug} with {registry_contents(report)}.\n")
    return 0


def registry_contents(report: DeletionReport) -> str:
    return (
        f"{plural(report.servers, 'server')} and {plural(report.variables, 'variable or secret')}"
    )


# --- servers ---------------------------------------------------------------------------------


def server_summary_json(server: Server) -> dict[str, Any]:
    return {
        "name": server.name,
        "version": server.version,
        "description": server.description,
        "status": server.status,
        "problems": [{"path": p.get("path"), "reason": p.get("reason")} for p in server.problems],
    }


def server_status(server: Server) -> str:
    if server.status == "draft":
        return f"DRAFT ({plural(len(server.problems), 'problem')})"
    return "valid"


def server_table(servers: Sequence[Server], out: TextIO) -> None:
    emit_table(
        ["NAME", "VERSION", "STATUS", "DESCRIPTION"],
        [
            (cell(s.name, 0), cell(s.version, 20), server_status(s), cell(s.description, 60))
            for s in servers
        ],
        out,
    )


def cmd_server_list(ctx: Context) -> int:
    org, registry, query = ctx.args.org, ctx.args.registry, ctx.args.filter or ""
    servers = ctx.services.registries.list_servers(ctx.user, org, registry, query)
    if ctx.args.json:
        emit_json([server_summary_json(s) for s in servers], ctx.out)
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
    server_table(servers, ctx.out)
    drafts = sum(1 for s in servers if s.status == "draft")
    ctx.out.write(
        f"\n{plural(len(servers), 'server')}"
        + (f", {plural(drafts, 'draft')} (exported only once fixed)" if drafts else "")
        + "\n"
    )
    return 0


def cmd_server_show(ctx: Context) -> int:
    org, registry = ctx.args.org, ctx.args.registry
    server = ctx.services.registries.get_server(ctx.user, org, registry, ctx.args.name)
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
            transport = p.get("transport") if isinstance(p.get("transport"), dict) else {}
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
        ctx.user, ctx.args.org, ctx.args.registry, document, allow_draft=ctx.args.draft
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
    before = ctx.services.registries.get_server(ctx.user, org, registry, name)
    server = ctx.services.registries.update_server(ctx.user, org, registry, name, document)
    renamed = f" (renamed from {name})" if server.name != name else ""
    fixed = "; it is no longer a draft" if before.status == "draft" else ""
    ctx.out.write(f"Updated {cell(server.name, 0)} {server.version}{renamed}{fixed}.\n")
    return 0


def cmd_server_remove(ctx: Context) -> int:
    org, registry, name = ctx.args.org, ctx.args.registry, ctx.args.name
    if not ctx.args.yes:
        report = ctx.services.registries.server_contents(ctx.user, org, registry, name)
        raise PyleeError(
            f"removing server '{name}' from registry '{registry}' removes it and "
            f"{plural(report.variables, 'variable or secret')}; pass --yes to confirm"
        )
    report = ctx.services.registries.remove_server(ctx.user, org, registry, name)
    ctx.out.write(
        f"Removed {name} from registry {registry}"
        + (f" with {plural(report.variables, 'variable or secret')}" if report.variables else "")
        + ".\n"
    )
    return 0


def cmd_server_move(ctx: Context) -> int:
    org, registry, name, target = ctx.args.org, ctx.args.registry, ctx.args.name, ctx.args.to
    ctx.services.registries.move_server(ctx.user, org, registry, name, target)
    ctx.out.write(f"Moved {name} from registry {registry} to {target}.\n")
    return 0


def cmd_server_import(ctx: Context) -> int:
    entries: list[Any] = []
    for path in ctx.args.files:  # read every file first: a bad one means nothing is imported
        data = read_json_file(path, nothing_done="; nothing was imported")
        entries.extend(data if isinstance(data, list) else [data])
    files = ", ".join(file_label(p) for p in ctx.args.files)
    if not entries:
        raise PyleeError(f"{files} holds no server entries; nothing was imported")
    report = ctx.services.registries.import_servers(
        ctx.user,
        ctx.args.org,
        ctx.args.registry,
        entries,
        strict=ctx.args.strict,
        replace=ctx.args.replace,
        source=", ".join("stdin" if p == "-" else p for p in ctx.args.files),
    )
    ctx.out.write(report.summary() + "\n")
    return 0


def cmd_server_export(ctx: Context) -> int:
    data = ctx.services.registries.export_servers(
        ctx.user, ctx.args.org, ctx.args.registry, ctx.args.name
    )
    text = json.dumps(data, indent=2, ensure_ascii=False) + "\n"
    if not ctx.args.out or ctx.args.out == "-":
        ctx.out.write(text)
        return 0
    write_text_file(ctx.args.out, text)
    count = 1 if isinstance(data, dict) else len(data)
    ctx.out.write(f"Exported {plural(count, 'server')} to {ctx.args.out}\n")
    return 0


# --- members ---------------------------------------------------------------------------------


def member_json(member: Member) -> dict[str, Any]:
    return {
        "email": member.email,
        "display_name": member.display_name,
        "role": member.role,
        "status": member.status,
        "grants": sorted(member.grants),
        "invited_by": member.invited_by,
        "invited_at": member.invited_at.isoformat(),
        "joined_at": member.joined_at.isoformat() if member.joined_at else None,
    }


def cmd_member_list(ctx: Context) -> int:
    members = ctx.services.members.list(ctx.user, ctx.args.org)
    if ctx.args.json:
        emit_json([member_json(m) for m in members], ctx.out)
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
    member = ctx.services.members.invite(ctx.user, ctx.args.org, ctx.args.email, ctx.args.role)
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
        plan = ctx.services.members.removal(ctx.user, org, email)
        raise PyleeError(f"{plan}; pass --yes to confirm")
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


def cmd_demo(ctx: Context) -> int:
    slugs = load_demo(ctx.services, ctx.user)
    ctx.out.write(
        f"Loaded the demo: {', '.join(slugs)}; you ({ctx.user}) are admin of each.\n"
        f"Open it with: {PROG}" + (f" --db {ctx.args.db}" if ctx.args.db else "") + "\n"
    )
    return 0


def positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be 1 or more (got {value})")
    return value


def one_line(message: object) -> str:
    """Errors are one line, even when they quote input that holds line breaks."""
    return " ".join(str(message).split())


def read_text_file(path: str) -> str:
    if path == "-":
        return sys.stdin.read()
    try:
        return read_text(path)
    except ValueError as exc:
        raise PyleeError(str(exc)) from None


def file_label(path: str) -> str:
    return "stdin" if path == "-" else repr(path)


def read_json_file(path: str, nothing_done: str = "") -> Any:
    """A JSON file (`-` = stdin), or one line naming the file and, for bad JSON, where."""
    text = read_text_file(path)
    try:
        return loads_strict(text, file_label(path))
    except ValueError as exc:
        raise PyleeError(f"{exc}{nothing_done}") from None


def write_text_file(path: str, text: str) -> None:
    """Write all or nothing: a temporary file beside the target, then an atomic rename."""
    target = Path(path)
    tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    try:
        tmp.write_text(text, encoding="utf-8")
        os.replace(tmp, target)
    except OSError as exc:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise PyleeError(f"cannot write {path!r}: {exc.strerror or exc}") from None


def cell(value: Any, width: int = 40) -> str:
    """Text from a document, safe for one terminal line: whitespace runs folded to one space,
    control and bidi characters shown escaped (imported data never reaches the terminal as an
    escape sequence), cut to `width` characters (0: no limit)."""
    if value is None:
        return ""
    text = " ".join(str(value).split())
    text = "".join(ascii(ch)[1:-1] if is_unsafe_char(ch) else ch for ch in text)
    if width and len(text) > width:
        text = text[: width - 1] + "…"
    return text


# --- parser ----------------------------------------------------------------------------------


def build_parser() -> CliParser:
    common = CliParser(add_help=False)
    common.add_argument(
        "--db", metavar="PATH", default=argparse.SUPPRESS, help="database file (env PYLEE_DB)"
    )
    common.add_argument(
        "--as",
        dest="as_user",
        metavar="EMAIL",
        default=argparse.SUPPRESS,
        help="act as this user (env PYLEE_USER)",
    )

    parser = CliParser(
        prog=PROG,
        parents=[common],
        description="Run MCP infrastructure from the terminal. With no command, opens the app.",
    )
    parser.add_argument("--version", action="version", version=f"{PROG} {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=CliParser)

    def add(parent, name: str, func: Callable[[Context], int], help_text: str, **kw):
        p = parent.add_parser(name, parents=[common], help=help_text, description=help_text, **kw)
        p.set_defaults(func=func)
        return p

    p = add(sub, "login", cmd_login, "save EMAIL as the acting user of this database")
    p.add_argument("email", metavar="EMAIL")
    add(sub, "whoami", cmd_whoami, "print the acting user")

    org = sub.add_parser("org", help="organizations", parents=[common])
    org_sub = org.add_subparsers(dest="org_command", metavar="ACTION", parser_class=CliParser)
    org_sub.required = True
    p = add(org_sub, "list", cmd_org_list, "list the organizations you belong to")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p = add(org_sub, "create", cmd_org_create, "create an organization; you become its admin")
    p.add_argument("name", metavar="NAME")
    p.add_argument("--slug", metavar="S", help="URL-safe id (derived from NAME when omitted)")
    p.add_argument("--description", metavar="D", help="one line, up to 280 characters")
    p = add(org_sub, "show", cmd_org_show, "show one organization")
    p.add_argument("slug", metavar="SLUG")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p = add(org_sub, "edit", cmd_org_edit, "change an organization (admins)")
    p.add_argument("slug", metavar="SLUG")
    p.add_argument("--name", metavar="N")
    p.add_argument("--slug", dest="new_slug", metavar="S", help="a new slug")
    p.add_argument("--description", metavar="D")
    p.add_argument("--overview-file", metavar="F", help="Markdown overview from a file (- = stdin)")
    p = add(org_sub, "delete", cmd_org_delete, "delete an organization and all it holds (admins)")
    p.add_argument("slug", metavar="SLUG")
    p.add_argument("--yes", action="store_true", help="confirm the deletion")

    p = add(sub, "audit", cmd_audit, "the audit log of an org (or your own events without --org)")
    p.add_argument("--org", metavar="SLUG")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.add_argument("--limit", type=positive_int, metavar="N", help="at most N events, newest first")

    add(sub, "demo", cmd_demo, "fill the store with sample orgs, registries, servers and members")

    def org_option(p) -> None:
        p.add_argument("--org", metavar="SLUG", required=True, help="the organization")

    def registry_options(p) -> None:
        org_option(p)
        p.add_argument("--registry", metavar="SLUG", required=True, help="the registry")

    registry = sub.add_parser("registry", help="registries of MCP servers", parents=[common])
    reg_sub = registry.add_subparsers(
        dest="registry_command", metavar="ACTION", parser_class=CliParser
    )
    reg_sub.required = True
    p = add(reg_sub, "list", cmd_registry_list, "list the registries of an organization")
    org_option(p)
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p = add(reg_sub, "create", cmd_registry_create, "create a registry (admins)")
    p.add_argument("name", metavar="NAME")
    org_option(p)
    p.add_argument("--slug", metavar="S", help="URL-safe id (derived from NAME when omitted)")
    p.add_argument("--description", metavar="D", help="one line, up to 280 characters")
    p = add(reg_sub, "show", cmd_registry_show, "show one registry with its servers")
    p.add_argument("slug", metavar="SLUG")
    org_option(p)
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p = add(reg_sub, "edit", cmd_registry_edit, "change a registry (admins)")
    p.add_argument("slug", metavar="SLUG")
    org_option(p)
    p.add_argument("--name", metavar="N")
    p.add_argument("--slug", dest="new_slug", metavar="S", help="a new slug")
    p.add_argument("--description", metavar="D")
    p.add_argument("--overview-file", metavar="F", help="Markdown overview from a file (- = stdin)")
    p = add(reg_sub, "delete", cmd_registry_delete, "delete a registry and its servers (admins)")
    p.add_argument("slug", metavar="SLUG")
    org_option(p)
    p.add_argument("--yes", action="store_true", help="confirm the deletion")

    member = sub.add_parser("member", help="members, invitations and grants", parents=[common])
    mem_sub = member.add_subparsers(dest="member_command", metavar="ACTION", parser_class=CliParser)
    mem_sub.required = True
    p = add(mem_sub, "list", cmd_member_list, "list members and invitations of an organization")
    org_option(p)
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p = add(mem_sub, "invite", cmd_member_invite, "invite someone by email (admins)")
    p.add_argument("email", metavar="EMAIL")
    org_option(p)
    p.add_argument("--role", metavar="R", default="member", help=f"one of {', '.join(ROLES)}")
    p = add(mem_sub, "role", cmd_member_role, "change a member's role (admins)")
    p.add_argument("email", metavar="EMAIL")
    p.add_argument("role", metavar="ROLE", help=f"one of {', '.join(ROLES)}")
    org_option(p)
    p = add(mem_sub, "grant", cmd_member_grant, "grant a member a permission (admins)")
    p.add_argument("email", metavar="EMAIL")
    p.add_argument("permission", metavar="PERM", help=f"one of {', '.join(GRANTS)}")
    org_option(p)
    p = add(mem_sub, "revoke", cmd_member_revoke, "withdraw a permission from a member (admins)")
    p.add_argument("email", metavar="EMAIL")
    p.add_argument("permission", metavar="PERM", help=f"one of {', '.join(GRANTS)}")
    org_option(p)
    p = add(
        mem_sub, "remove", cmd_member_remove, "remove a member or revoke an invitation (admins)"
    )
    p.add_argument("email", metavar="EMAIL")
    org_option(p)
    p.add_argument("--yes", action="store_true", help="confirm the removal")
    p = add(mem_sub, "accept", cmd_member_accept, "accept your invitation to an organization")
    org_option(p)

    server = sub.add_parser("server", help="MCP servers in a registry", parents=[common])
    srv_sub = server.add_subparsers(dest="server_command", metavar="ACTION", parser_class=CliParser)
    srv_sub.required = True
    p = add(srv_sub, "list", cmd_server_list, "list the servers of a registry")
    registry_options(p)
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.add_argument("--filter", metavar="TEXT", help="only names containing TEXT (any case)")
    p = add(srv_sub, "show", cmd_server_show, "show one server: summary, launch command, inputs")
    p.add_argument("name", metavar="NAME", help="the server's name, e.g. io.github.user/weather")
    registry_options(p)
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p = add(srv_sub, "add", cmd_server_add, "add one server from a server.json file (admins)")
    p.add_argument("file", metavar="FILE", help="one server.json object, either shape (- = stdin)")
    registry_options(p)
    p.add_argument("--draft", action="store_true", help="keep an invalid server as a draft")
    p = add(srv_sub, "edit", cmd_server_edit, "replace a server's document (admins)")
    p.add_argument("name", metavar="NAME")
    registry_options(p)
    p.add_argument("--file", metavar="F", required=True, help="the new server.json (- = stdin)")
    p = add(srv_sub, "remove", cmd_server_remove, "remove a server (admins)")
    p.add_argument("name", metavar="NAME")
    registry_options(p)
    p.add_argument("--yes", action="store_true", help="confirm the removal")
    p = add(srv_sub, "move", cmd_server_move, "move a server to another registry (admins)")
    p.add_argument("name", metavar="NAME")
    registry_options(p)
    p.add_argument("--to", metavar="SLUG", required=True, help="the registry to move it to")
    p = add(srv_sub, "import", cmd_server_import, "import server.json files in one go (admins)")
    p.add_argument("files", metavar="FILE", nargs="+", help="one server or a list (- = stdin)")
    registry_options(p)
    p.add_argument("--strict", action="store_true", help="reject invalid entries, no drafts")
    p.add_argument("--replace", action="store_true", help="replace servers already there")
    p = add(srv_sub, "export", cmd_server_export, "write current-shape server.json")
    p.add_argument("name", metavar="NAME", nargs="?", help="one server (default: all of them)")
    registry_options(p)
    p.add_argument("--out", metavar="FILE", help="write to FILE instead of stdout")
    return parser


def launch_app(args: argparse.Namespace) -> int:
    """Open the app. A store that cannot be opened or a bad --as is a one-line error first."""
    path = resolve_db_path(args.db)
    store = Store(path)
    try:
        Services(store).identity.resolve(args.as_user, os.environ.get("PYLEE_USER"))
    finally:
        store.close()
    from pylee_tui.app import run_app

    return run_app(db_path=path, user=args.as_user)


def main(
    argv: Sequence[str] | None = None, out: TextIO | None = None, err: TextIO | None = None
) -> int:
    out = out or sys.stdout
    err = err or sys.stderr
    parser = build_parser()
    try:
        with contextlib.redirect_stdout(out):  # --help and --version print to `out`
            args = parser.parse_args(argv)
    except UsageError as exc:
        err.write(f"{PROG}: {one_line(exc)}\n")
        return 2
    except SystemExit as exc:  # --help and --version
        return int(exc.code or 0)
    args.db = getattr(args, "db", None)
    args.as_user = getattr(args, "as_user", None)
    ctx = None
    try:
        if args.command is None:
            return launch_app(args)
        ctx = Context(args, out, err)
        return args.func(ctx)
    except (PyleeError, StoreError) as exc:
        err.write(f"{PROG}: {one_line(exc)}\n")
        return 1
    except sqlite3.Error as exc:
        err.write(f"{PROG}: {one_line(describe_sqlite_error(exc, resolve_db_path(args.db)))}\n")
        return 1
    except KeyboardInterrupt:
        err.write(f"{PROG}: interrupted\n")
        return 130
    except BrokenPipeError:  # `pylee-tui server list | head`: the reader has gone; not an error
        with contextlib.suppress(Exception):  # and no second complaint when Python flushes
            os.dup2(os.open(os.devnull, os.O_WRONLY), out.fileno())
        return 141
    except Exception as exc:  # the promise is: never a traceback
        if os.environ.get("PYLEE_DEBUG"):
            raise
        err.write(
            f"{PROG}: internal error: {type(exc).__name__}: {exc} (PYLEE_DEBUG=1 shows more)\n"
        )
        return 1
    finally:
        if ctx is not None:
            ctx.store.close()


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
