"""`pylee-tui`: launches the app, or runs a scriptable subcommand over the same services.

Errors are one line on stderr: exit 1 for a refused or invalid request, 2 for bad usage.
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import getpass
import json
import os
import shlex
import sqlite3
import sys
from collections.abc import Callable, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any, NoReturn, TextIO

from pylee_tui import __version__
from pylee_tui.models import (
    GRANTS,
    ROLES,
    VARIABLE_VALUE_MAX_BYTES,
    AuditEvent,
    DeletionReport,
    Member,
    Server,
    Variable,
    VariableVersion,
    clean,
    plural,
)
from pylee_tui.safe_text import SafeWriter, escape, escape_json
from pylee_tui.server_json import declared_inputs, dicts, launch_command, loads_strict, read_text
from pylee_tui.services import (
    Conflict,
    InvalidInput,
    NotFound,
    PermissionDenied,
    PyleeError,
    Services,
    VaultLocked,
)
from pylee_tui.services.config_files import write_atomic
from pylee_tui.services.demo import load_demo
from pylee_tui.services.export import CLIENTS, default_config_path
from pylee_tui.services.export import render as render_export
from pylee_tui.services.resolver import MASK, EffectiveConfig, Entry
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
    """Control and bidi characters in values come out as \\uXXXX: the same JSON, safe to show."""
    out.write(escape_json(json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False)) + "\n")


def emit_table(headers: Sequence[str], rows: Sequence[Sequence[Any]], out: TextIO) -> None:
    cells = [[escape(str(c)) for c in row] for row in rows]
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

    def __init__(
        self, args: argparse.Namespace, out: TextIO, err: TextIO, raw_out: TextIO | None = None
    ):
        self.args = args
        self.out = out  # escapes what stored text could do to a terminal (safe_text.SafeWriter)
        self.err = err
        self.raw_out = raw_out or out  # byte-exact values: see `value_out`
        self.store = Store(resolve_db_path(args.db))
        self.services = Services(self.store)
        self._user: str | None = None

    @property
    def value_out(self) -> TextIO:
        """Where a plain value (`var get`, `secret get --reveal`, dotenv) goes: byte-exact when
        stdout is not a terminal (a pipe, a file, `$(…)`) or with --raw; escaped on a terminal."""
        if getattr(self.args, "raw", False) or not self.raw_out.isatty():
            return self.raw_out
        return self.out

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
    from pylee_tui.services.audit import AuditFilter

    args = ctx.args
    where = AuditFilter(action=args.action, by=args.actor, since=args.since, until=args.until)
    if args.org:
        events = ctx.services.audit.list_for_org(ctx.user, args.org, limit=args.limit, where=where)
    else:
        events = ctx.services.audit.list_by_actor(ctx.user, limit=args.limit, where=where)
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
        contents = ctx.services.registries.contents(ctx.user, org, slug, check=True)
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
        report = ctx.services.registries.server_contents(ctx.user, org, registry, name, check=True)
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
        ctx.args.org,
        ctx.args.registry,
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
        ctx.user, ctx.args.org, ctx.args.registry, ctx.args.name
    )
    text = json.dumps(data, indent=2, ensure_ascii=False) + "\n"
    if not ctx.args.out or ctx.args.out == "-":
        ctx.out.write(escape_json(text))
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


# --- variables, secrets and the vault --------------------------------------------------------

PASSPHRASE_ENV = "PYLEE_PASSPHRASE"
NEW_PASSPHRASE_ENV = "PYLEE_NEW_PASSPHRASE"
NO_VAULT = f"the vault has no passphrase yet: the first `{PROG} secret set` creates it"


def stdin_is_tty() -> bool:
    try:
        return sys.stdin is not None and sys.stdin.isatty()
    except (AttributeError, ValueError, OSError):  # closed or replaced stdin
        return False


def ask_hidden(prompt: str) -> str:
    """One line typed at the terminal without echo (tests replace `getpass.getpass`)."""
    try:
        return getpass.getpass(prompt)
    except EOFError:
        raise PyleeError("nothing was typed; nothing was changed") from None


def ask_twice(prompt: str, what: str, check: Callable[[str], Any] | None = None) -> str:
    """Typed twice, hidden; the two must match (`check` runs on the first, before the second)."""
    first = ask_hidden(prompt)
    if check is not None:
        check(first)
    if ask_hidden("Type it again: ") != first:
        raise PyleeError(f"the two {what} typed do not match; nothing was changed")
    return first


def check_passphrase(value: str) -> str:
    try:
        return clean("passphrase", value)
    except ValueError as exc:
        raise InvalidInput(str(exc)) from None


def read_passphrase(env: str, prompt: str, new: bool = False) -> str:
    """A passphrase from the environment variable `env`, else typed at the terminal (twice, and
    checked against the passphrase rule, when it is a `new` one). An empty variable is unset."""
    value = os.environ.get(env)
    if value:
        return check_passphrase(value) if new else value
    if not stdin_is_tty():
        which = "the new vault passphrase" if env == NEW_PASSPHRASE_ENV else "the vault passphrase"
        raise PyleeError(f"{which} is needed: set {env} (there is no terminal to ask on)")
    if new:
        return ask_twice(prompt, "passphrases", check_passphrase)
    return ask_hidden(prompt)


def open_vault(ctx: Context, create: bool = False) -> None:
    """Unlock the vault with its passphrase; with `create`, make it first when it has none."""
    vault = ctx.services.vault
    if vault.initialized():
        vault.unlock(read_passphrase(PASSPHRASE_ENV, "Vault passphrase: "))
        return
    if not create:
        raise VaultLocked(NO_VAULT)
    passphrase = read_passphrase(
        PASSPHRASE_ENV, "The vault has no passphrase yet; choose one: ", new=True
    )
    if vault.unlock_or_initialize(ctx.user, passphrase):
        ctx.err.write(
            f"{PROG}: created the vault with this passphrase; keep it safe: it cannot be "
            "recovered\n"
        )


def with_vault(ctx: Context, action: Callable[[], Any], create: bool = False) -> Any:
    """Run `action`; only if it needs the vault's key, ask for the passphrase and run it again.
    So every other check (scope, key, permission) is made before anyone is asked anything, and
    a refused attempt changes nothing (the service's transaction rolls back)."""
    try:
        return action()
    except VaultLocked:
        pass
    open_vault(ctx, create)
    return action()


def check_scope(parser: CliParser, args: argparse.Namespace) -> None:
    for flag, value in (("--registry", args.registry), ("--server", args.server)):
        if value is not None and not value.strip():
            parser.error(f"{flag} cannot be empty")
    if args.server and not args.registry:
        parser.error("--server needs --registry: a server is named within its registry")


def scope_args(ctx: Context) -> tuple[str, str | None, str | None]:
    return ctx.args.org, ctx.args.registry, ctx.args.server


def where(args: argparse.Namespace) -> str:
    if args.server:
        return f"server {cell(args.server, 0)} in registry {args.registry} of {args.org}"
    if args.registry:
        return f"registry {args.registry} of {args.org}"
    return f"org {args.org}"


def scope_flags(args: argparse.Namespace) -> str:
    """The scope options again, for a command line the user can copy."""
    flags = ["--org", args.org]
    if args.registry:
        flags += ["--registry", args.registry]
    if args.server:
        flags += ["--server", args.server]
    return shlex.join(flags)


def valid_key(key: str) -> str:
    try:
        return clean("variable_key", key)
    except ValueError as exc:
        raise InvalidInput(str(exc)) from None


def when(moment: datetime) -> str:
    return f"{moment:%Y-%m-%d %H:%M}"


def variable_json(v: Variable) -> dict[str, Any]:
    data: dict[str, Any] = {
        "key": v.key,
        "scope": v.scope,
        "created_at": v.created_at.isoformat(),
        "updated_at": v.updated_at.isoformat(),
        "updated_by": v.updated_by,
    }
    if v.kind == "variable":
        data["value"] = v.value
    return data


def overrides_note(ctx: Context, key: str) -> str:
    """'; it overrides org acme' when the key just set hides a less specific definition."""
    if not ctx.args.registry:
        return ""
    org, registry, server = scope_args(ctx)
    entry = ctx.services.variables.effective(ctx.user, org, registry, server).get(key)
    if entry is None or not entry.overrides:
        return ""
    return f"; it overrides {', '.join(cell(s, 0) for s in entry.overrides)}"


def inherited_note(ctx: Context, key: str) -> str:
    """'; KEY now comes from org acme' when removing a key uncovers a less specific one."""
    if not ctx.args.registry:
        return ""
    org, registry, server = scope_args(ctx)
    entry = ctx.services.variables.effective(ctx.user, org, registry, server).get(key)
    return f"; {key} now comes from {cell(entry.source, 0)}" if entry is not None else ""


def defined(ctx: Context, key: str, kind: str) -> Variable:
    """The key at exactly this scope, which must be of `kind` (else: which command to use)."""
    org, registry, server = scope_args(ctx)
    found = ctx.services.variables.get(ctx.user, org, key, registry, server)
    if found.kind != kind:
        action = ctx.args.secret_command if kind == "secret" else ctx.args.var_command
        group = "var" if found.kind == "variable" else "secret"
        raise PyleeError(
            f"{key} at {where(ctx.args)} is a {found.kind}, not a {kind}: use "
            f"{PROG} {group} {action} {key} {scope_flags(ctx.args)}"
        )
    return found


def deleted_keys_out(ctx: Context, kind: str) -> int:
    """`var list --deleted` / `secret list --deleted`: keys deleted at exactly this scope, with
    the version that brings each back."""
    org, registry, server = scope_args(ctx)
    found = ctx.services.variables.deleted(ctx.user, org, registry, server, kind=kind)
    group = "var" if kind == "variable" else "secret"
    scope = "server" if server else "registry" if registry else "org"
    if ctx.args.json:
        items = []
        for d in found:
            item: dict[str, Any] = {
                "key": d.key,
                "scope": scope,
                "deleted_at": d.deleted_at.isoformat(),
                "deleted_by": d.deleted_by,
                "deleted_version": d.version,
                "restore_version": d.restores,
            }
            if kind == "variable":
                item["value"] = d.value
            items.append(item)
        emit_json(items, ctx.out)
        return 0
    if not found:
        ctx.out.write(f"No deleted {kind}s at {where(ctx.args)}.\n")
        return 0
    headers = ["KEY", "DELETED", "BY", "ROLL BACK TO"]
    rows = [[d.key, when(d.deleted_at), d.deleted_by, d.restores or ""] for d in found]
    if kind == "variable":
        headers.insert(1, "LAST VALUE")
        for row, d in zip(rows, found, strict=True):
            row.insert(1, cell(d.value, 40))
    emit_table(headers, rows, ctx.out)
    ctx.out.write(
        f"\nBring one back: {PROG} {group} rollback KEY VERSION {scope_flags(ctx.args)}\n"
    )
    return 0


def cmd_var_list(ctx: Context) -> int:
    if ctx.args.deleted:
        return deleted_keys_out(ctx, "variable")
    org, registry, server = scope_args(ctx)
    variables = ctx.services.variables.list(ctx.user, org, registry, server, kind="variable")
    if ctx.args.json:
        emit_json([variable_json(v) for v in variables], ctx.out)
        return 0
    if not variables:
        ctx.out.write(
            f"No variables at {where(ctx.args)}. Set one: {PROG} var set KEY VALUE "
            f"{scope_flags(ctx.args)}\n"
        )
        return 0
    emit_table(
        ["KEY", "VALUE", "UPDATED", "BY"],
        [(v.key, cell(v.value, 60), when(v.updated_at), v.updated_by) for v in variables],
        ctx.out,
    )
    return 0


def cmd_var_set(ctx: Context) -> int:
    org, registry, server = scope_args(ctx)
    key = ctx.args.key
    ctx.services.variables.set_variable(ctx.user, org, key, ctx.args.value, registry, server)
    ctx.out.write(f"Set {key} at {where(ctx.args)}{overrides_note(ctx, key)}.\n")
    return 0


def cmd_var_get(ctx: Context) -> int:
    found = defined(ctx, ctx.args.key, "variable")
    ctx.value_out.write(f"{found.value}\n")
    return 0


def cmd_var_unset(ctx: Context) -> int:
    org, registry, server = scope_args(ctx)
    key = defined(ctx, ctx.args.key, "variable").key
    ctx.services.variables.unset(ctx.user, org, key, registry, server, kind="variable")
    ctx.out.write(
        f"Unset {key} at {where(ctx.args)}{inherited_note(ctx, key)}. Its history is kept: "
        f"{PROG} var history {key} {scope_flags(ctx.args)}\n"
    )
    return 0


def versions_of(ctx: Context, key: str, kind: str) -> list[VariableVersion]:
    """The kept versions of `key` at the scope, refused when it was never of this kind (the
    other command is named)."""
    org, registry, server = scope_args(ctx)
    versions = ctx.services.variables.history(ctx.user, org, key, registry, server)
    if not any(v.kind == kind for v in versions):
        never, other = (
            ("has only ever been a secret", "secret")
            if kind == "variable"
            else ("has never been a secret", "var")
        )
        raise PyleeError(
            f"{key} at {where(ctx.args)} {never}; see {PROG} {other} history "
            f"{key} {scope_flags(ctx.args)}"
        )
    return versions


def cmd_var_history(ctx: Context) -> int:
    key = valid_key(ctx.args.key)
    versions = versions_of(ctx, key, "variable")
    if ctx.args.json:
        items = []
        for v in versions:
            item: dict[str, Any] = {
                "version": v.version,
                "action": v.action,
                "kind": v.kind,
                "created_at": v.created_at.isoformat(),
                "created_by": v.created_by,
                "current": v.current,
            }
            if v.kind == "variable":  # a secret's value is never listed
                item["value"] = v.value
            items.append(item)
        emit_json(items, ctx.out)
        return 0
    emit_table(
        ["VERSION", "ACTION", "WHEN", "WHO", "VALUE", "CURRENT"],
        [
            (
                v.version,
                v.action if v.kind == "variable" else f"{v.action} (as a secret)",
                when(v.created_at),
                v.created_by,
                cell(v.value, 40) if v.kind == "variable" else "",
                "current" if v.current else "",
            )
            for v in versions
        ],
        ctx.out,
    )
    ctx.out.write(f"\nRoll back: {PROG} var rollback {key} VERSION {scope_flags(ctx.args)}\n")
    return 0


def check_rollback(ctx: Context, key: str, version: int, kind: str) -> None:
    """Refuse a rollback to a version that is not kept, or that is of the other kind."""
    command = "var" if kind == "variable" else "secret"
    target = next((v for v in versions_of(ctx, key, kind) if v.version == version), None)
    if target is None:
        raise NotFound(
            f"{key} at {where(ctx.args)} has no version {version}; see {PROG} {command} history "
            f"{key} {scope_flags(ctx.args)}"
        )
    if target.kind == kind:
        return
    if kind == "variable":
        raise PyleeError(
            f"version {version} of {key} is a secret: use {PROG} secret rollback {key} "
            f"{version} {scope_flags(ctx.args)}"
        )
    raise PyleeError(f"version {version} of {key} is a variable, not a secret")


def cmd_var_rollback(ctx: Context) -> int:
    org, registry, server = scope_args(ctx)
    key, version = valid_key(ctx.args.key), ctx.args.version
    check_rollback(ctx, key, version, "variable")
    ctx.services.variables.rollback(ctx.user, org, key, version, registry, server)
    now = ctx.services.variables.history(ctx.user, org, key, registry, server)[0].version
    ctx.out.write(
        f"Rolled {key} at {where(ctx.args)} back to version {version}; "
        f"its value is now version {now}.\n"
    )
    return 0


def read_stdin_value() -> str:
    """All of stdin as UTF-8, less exactly one trailing newline (bytes, so CRLF stays CRLF)."""
    stream = sys.stdin
    if stream is None:
        return ""
    limit = VARIABLE_VALUE_MAX_BYTES + 1  # the largest value and its newline
    buffer = getattr(stream, "buffer", None)
    if buffer is not None:
        data = buffer.read(limit + 1)
        if len(data) > limit:
            raise InvalidInput("the value on stdin is larger than 64 KiB; nothing was stored")
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            raise InvalidInput("the value on stdin is not UTF-8 text; nothing was stored") from None
    else:  # a text stream without bytes underneath (tests)
        text = stream.read(limit + 1)
    return text[:-1] if text.endswith("\n") else text


def secret_value(ctx: Context, key: str) -> str:
    """From --value, else stdin when it is not a terminal, else typed twice without echo."""
    if ctx.args.value is not None:
        value = ctx.args.value
    elif stdin_is_tty():
        value = ask_twice(f"Value of {key} (hidden): ", "values")
    else:
        value = read_stdin_value()
    if value == "":
        raise InvalidInput("empty value: a secret cannot be empty; nothing was stored")
    return value


def cmd_secret_set(ctx: Context) -> int:
    org, registry, server = scope_args(ctx)
    key = valid_key(ctx.args.key)
    # everything that can be checked before a value or passphrase is asked for
    existing = ctx.services.variables.list(ctx.user, org, registry, server)
    if any(v.key == key and v.kind == "variable" for v in existing):
        raise Conflict(
            f"{key} is a variable at {where(ctx.args)}; unset it before making it a secret: "
            f"{PROG} var unset {key} {scope_flags(ctx.args)}"
        )
    if "secrets:write" not in ctx.services.access.allowed(ctx.user, org):
        raise PermissionDenied(
            f"you ({ctx.user}) cannot change secrets in '{org}': it needs the admin role or the "
            "grant 'secrets:write'"
        )
    value = secret_value(ctx, key)
    with_vault(
        ctx,
        lambda: ctx.services.variables.set_secret(ctx.user, org, key, value, registry, server),
        create=True,
    )
    ctx.out.write(f"Set secret {key} at {where(ctx.args)}{overrides_note(ctx, key)}.\n")
    if ctx.args.value is not None:  # after the outcome: a failure stays one line
        ctx.err.write(
            f"{PROG}: warning: --value leaves the secret in your shell history and the process "
            "list; pipe it on stdin or type it at the prompt instead\n"
        )
    return 0


def cmd_secret_get(ctx: Context) -> int:
    org, registry, server = scope_args(ctx)
    key = defined(ctx, ctx.args.key, "secret").key
    if not ctx.args.reveal:
        ctx.out.write(
            f"{MASK}\n({key} is a secret at {where(ctx.args)}; print it with: "
            f"{PROG} secret get {key} {scope_flags(ctx.args)} --reveal)\n"
        )
        return 0
    value = with_vault(
        ctx, lambda: ctx.services.variables.reveal(ctx.user, org, key, registry, server)
    )
    ctx.value_out.write(f"{value}\n")
    return 0


def cmd_secret_list(ctx: Context) -> int:
    if ctx.args.deleted:
        return deleted_keys_out(ctx, "secret")
    org, registry, server = scope_args(ctx)
    secrets = ctx.services.variables.list(ctx.user, org, registry, server, kind="secret")
    if ctx.args.json:
        emit_json([variable_json(v) for v in secrets], ctx.out)
        return 0
    if not secrets:
        ctx.out.write(
            f"No secrets at {where(ctx.args)}. Set one: {PROG} secret set KEY "
            f"{scope_flags(ctx.args)} (the value from stdin or a prompt)\n"
        )
        return 0
    emit_table(
        ["KEY", "UPDATED", "BY"],
        [(v.key, when(v.updated_at), v.updated_by) for v in secrets],
        ctx.out,
    )
    return 0


def cmd_secret_unset(ctx: Context) -> int:
    org, registry, server = scope_args(ctx)
    key = defined(ctx, ctx.args.key, "secret").key
    ctx.services.variables.unset(ctx.user, org, key, registry, server, kind="secret")
    ctx.out.write(
        f"Unset secret {key} at {where(ctx.args)}{inherited_note(ctx, key)}. Its history is "
        f"kept: {PROG} secret history {key} {scope_flags(ctx.args)}\n"
    )
    return 0


def cmd_secret_history(ctx: Context) -> int:
    key = valid_key(ctx.args.key)
    versions = versions_of(ctx, key, "secret")
    if ctx.args.json:
        emit_json(
            [
                {
                    "version": v.version,
                    "action": v.action,
                    "kind": v.kind,
                    "created_at": v.created_at.isoformat(),
                    "created_by": v.created_by,
                    "current": v.current,
                }
                for v in versions
            ],
            ctx.out,
        )
        return 0
    emit_table(
        ["VERSION", "ACTION", "WHEN", "WHO", "CURRENT"],
        [
            (
                v.version,
                v.action if v.kind == "secret" else f"{v.action} (as a variable)",
                when(v.created_at),
                v.created_by,
                "current" if v.current else "",
            )
            for v in versions
        ],
        ctx.out,
    )
    ctx.out.write(f"\nRoll back: {PROG} secret rollback {key} VERSION {scope_flags(ctx.args)}\n")
    return 0


def cmd_secret_rollback(ctx: Context) -> int:
    org, registry, server = scope_args(ctx)
    key, version = valid_key(ctx.args.key), ctx.args.version
    check_rollback(ctx, key, version, "secret")
    with_vault(
        ctx,
        lambda: ctx.services.variables.rollback(ctx.user, org, key, version, registry, server),
    )
    now = ctx.services.variables.history(ctx.user, org, key, registry, server)[0].version
    ctx.out.write(
        f"Rolled secret {key} at {where(ctx.args)} back to version {version}; "
        f"its value is now version {now}.\n"
    )
    return 0


def cmd_vault_status(ctx: Context) -> int:
    initialized = ctx.services.vault.initialized()
    if ctx.args.json:
        emit_json({"initialized": initialized}, ctx.out)
    elif initialized:
        ctx.out.write(
            f"The vault has a passphrase. Secret values are read and written with it "
            f"({PASSPHRASE_ENV}, or a prompt in a terminal); change it: {PROG} vault passwd\n"
        )
    else:
        ctx.out.write(
            f"The vault has no passphrase yet; the first `{PROG} secret set` creates it.\n"
        )
    return 0


def cmd_vault_passwd(ctx: Context) -> int:
    vault = ctx.services.vault
    user = ctx.user
    if not vault.initialized():
        raise VaultLocked(f"{NO_VAULT}; there is no passphrase to change")
    vault.check_change_passphrase(user)  # refused before any passphrase is asked for
    old = read_passphrase(PASSPHRASE_ENV, "Current vault passphrase: ")
    vault.unlock(old)  # a wrong one fails here, before the new one is asked for
    new = read_passphrase(NEW_PASSPHRASE_ENV, "New vault passphrase: ", new=True)
    if new == old:
        raise InvalidInput("the new passphrase is the same as the current one; nothing was changed")
    vault.change_passphrase(user, old, new)
    ctx.out.write(
        "Changed the vault passphrase; every secret is kept, and the old passphrase no longer "
        "opens the vault.\n"
    )
    return 0


def sh_quote(value: str) -> str:
    """POSIX single quotes: everything literal, `'` written as `'\\''`."""
    return "'" + value.replace("'", "'\\''") + "'"


def entry_json(entry: Entry, reveal: bool) -> dict[str, Any]:
    value = entry.value if reveal else entry.display
    if entry.problems:  # unusable: a cycle, too deep, cannot be decrypted
        value = None
    return {
        "key": entry.key,
        "kind": entry.kind,
        "value": value,
        "raw": entry.raw,
        "source": entry.source,
        "scope": entry.scope,
        "overrides": list(entry.overrides),
        "references": list(entry.references),
        "embeds_secret": entry.embeds_secret,
        "warnings": list(entry.warnings),
        "problems": list(entry.problems),
    }


def env_json(ctx: Context, config: EffectiveConfig) -> dict[str, Any]:
    org, registry, server = scope_args(ctx)
    return {
        "scope": {"org": org, "registry": registry, "server": server},
        "revealed": ctx.args.reveal,
        "entries": [entry_json(e, ctx.args.reveal) for e in config.entries],
        "missing": [
            {"name": d.name, "description": d.description, "secret": d.secret}
            for d in config.missing
        ],
        "warnings": config.warnings,
        "problems": config.problems,
    }


def env_dotenv(ctx: Context, config: EffectiveConfig) -> str:
    """`KEY='value'` lines that `set -a; . FILE` in sh reads back exactly; what cannot be
    written (an unrevealed secret, an unusable value) is a comment saying why."""
    lines = [f"# {PROG} env: the effective configuration of {where(ctx.args)}"]
    for e in config.entries:
        for warning in e.warnings:
            lines.append(f"# {e.key}: {cell(warning, 0)}")
        if e.problems:
            lines.append(f"# {e.key} is left out: {cell('; '.join(e.problems), 0)}")
        elif e.value is None:
            what = "is a secret" if e.kind == "secret" else "embeds a secret"
            lines.append(f"# {e.key} {what}: pass --reveal")
        else:
            lines.append(f"{e.key}={sh_quote(e.value)}")
    for d in config.missing:
        lines.append(f"# missing: {cell(d.name, 0)} is required by the server and not set")
    return "\n".join(lines) + "\n"


def env_table(ctx: Context, config: EffectiveConfig) -> None:
    out, reveal = ctx.out, ctx.args.reveal
    if config.entries:
        emit_table(
            ["KEY", "KIND", "VALUE", "SOURCE", "OVERRIDES"],
            [
                (
                    e.key,
                    e.kind,
                    cell(e.value if reveal and e.value is not None else e.display, 60),
                    cell(e.source, 0),
                    ", ".join(cell(s, 0) for s in e.overrides) or "-",
                )
                for e in config.entries
            ],
            out,
        )
    else:
        out.write(
            f"Nothing is set for {where(ctx.args)}. Set a variable: {PROG} var set KEY VALUE "
            f"{scope_flags(ctx.args)}\n"
        )
    if not reveal and any(e.embeds_secret or e.kind == "secret" for e in config.entries):
        out.write(
            "\nSecrets are masked; --reveal prints them (admins, with the vault passphrase).\n"
        )
    for title, items in (("Warnings", config.warnings), ("Problems", config.problems)):
        if items:
            out.write(f"\n{title} ({len(items)}):\n")
            for item in items:
                out.write(f"  {cell(item, 0)}\n")
    if config.missing:
        out.write(
            f"\nMissing ({len(config.missing)}): required by server {cell(ctx.args.server, 0)}, "
            "not set and without a default:\n"
        )
        for d in config.missing:
            text = cell(d.name, 0) + (" (secret)" if d.secret else "")
            out.write(
                f"  {text}" + (f": {cell(d.description, 60)}" if d.description else "") + "\n"
            )


def cmd_env(ctx: Context) -> int:
    org, registry, server = scope_args(ctx)
    reveal = ctx.args.reveal

    def effective() -> EffectiveConfig:
        return ctx.services.variables.effective(ctx.user, org, registry, server, reveal=reveal)

    config = with_vault(ctx, effective) if reveal else effective()
    output = ctx.args.format or "table"
    if output == "json":
        emit_json(env_json(ctx, config), ctx.out)
    elif output == "dotenv":
        ctx.value_out.write(env_dotenv(ctx, config))
    else:
        env_table(ctx, config)
    return 0


def cmd_demo(ctx: Context) -> int:
    # with a passphrase, the vault is opened (or created) and the demo's fake secrets added
    had_vault = ctx.services.vault.initialized()
    slugs = load_demo(ctx.services, ctx.user, os.environ.get(PASSPHRASE_ENV) or None)
    if ctx.services.vault.unlocked and not had_vault:
        ctx.err.write(
            f"{PROG}: created the vault with this passphrase; keep it safe: it cannot be "
            "recovered\n"
        )
    ctx.out.write(
        f"Loaded the demo: {', '.join(slugs)}; you ({ctx.user}) are admin of each.\n"
        f"Open it with: {PROG}" + (f" --db {ctx.args.db}" if ctx.args.db else "") + "\n"
    )
    if not ctx.services.vault.unlocked:
        ctx.out.write(
            f"Its secrets were left out (the vault was not opened): set them with "
            f"`{PROG} secret set`, or load the demo with {PASSPHRASE_ENV} set for fake ones.\n"
        )
    return 0


# the export service words its refusals for the app and the CLI alike; here they name flags
EXPORT_FLAGS = (
    ("allow missing variables", "pass --allow-missing"),
    ("allow inline secrets", "pass --inline-secrets"),
    ("inline secrets are for", "--inline-secrets is for"),
)


def naming_flags(action: Callable[[], Any]) -> Callable[[], Any]:
    def run() -> Any:
        try:
            return action()
        except InvalidInput as exc:
            text = str(exc)
            for words, flag in EXPORT_FLAGS:
                text = text.replace(words, flag)
            raise InvalidInput(text) from None

    return run


def cmd_export(ctx: Context) -> int:
    a = ctx.args
    options = {
        "actor": ctx.user,
        "org_slug": a.org,
        "registry_slug": a.registry,
        "client": a.client,
        "servers": a.server or None,
        "inline_secrets": a.inline_secrets,
        "allow_missing": a.allow_missing,
    }
    exports = ctx.services.export
    if not (a.install or a.out):
        plan = with_vault(ctx, naming_flags(lambda: exports.plan(**options)))
        ctx.out.write(escape_json(render_export(plan)))
        exports.record_print(ctx.user, plan)
        export_notes(ctx, plan)
        return 0
    path = Path(a.out).expanduser() if a.out else default_config_path(a.client)
    plan, result = with_vault(
        ctx, naming_flags(lambda: exports.install_with_names(path, dry_run=a.dry_run, **options))
    )
    if a.dry_run:
        ctx.out.write(result.diff or f"No change: {path} already holds this export.\n")
    elif not result.written:
        ctx.out.write(f"No change: {path} already holds this export.\n")
    else:
        changes = [
            f"{verb} {', '.join(names)}"
            for verb, names in (
                ("added", result.added),
                ("replaced", result.replaced),
                ("removed", result.removed),
            )
            if names
        ]
        if result.kept:
            changes.append(f"kept {plural(len(result.kept), 'other server')}")
        backup = f"; the previous file is {result.backup}" if result.backup else ""
        ctx.out.write(f"Wrote {path}: {'; '.join(changes)}{backup}\n")
    export_notes(ctx, plan)
    return 0


def export_notes(ctx: Context, plan) -> None:
    """Skipped drafts and warnings (inlined secrets, placeholders) go to stderr, one per line."""
    for skipped in plan.skipped:
        ctx.err.write(f"{PROG}: skipped {one_line(skipped)}\n")
    for warning in plan.warnings:
        ctx.err.write(f"{PROG}: warning: {one_line(warning)}\n")


def positive_int(text: str, maximum: int | None = None) -> int:
    """A whole number from 1 (to `maximum`, when given) for argparse."""
    shown = text.strip() if len(text.strip()) <= 24 else text.strip()[:20] + "…"
    try:
        value = int(text)
    except ValueError:  # also more digits than Python converts
        raise argparse.ArgumentTypeError(f"{shown!r} is not a whole number") from None
    if value < 1 or (maximum is not None and value > maximum):
        allowed = "1 or more" if maximum is None else f"from 1 to {maximum:,}"
        raise argparse.ArgumentTypeError(f"must be {allowed} (got {shown})")
    return value


def one_line(message: object) -> str:
    """Errors are one line, even when they quote input that holds line breaks."""
    return " ".join(str(message).split())


def read_text_file(path: str, limit: int | None = None) -> str:
    """A UTF-8 text file (`-` = stdin) of at most `limit` bytes, by default an overview's 1 MiB
    (the overview options are the callers), or one line naming the file."""
    from pylee_tui.models import OVERVIEW_MAX_BYTES

    try:
        return read_text(path, OVERVIEW_MAX_BYTES if limit is None else limit, stdin=sys.stdin)
    except ValueError as exc:
        raise PyleeError(str(exc)) from None


def file_label(path: str) -> str:
    return "stdin" if path == "-" else repr(path)


def read_json_file(path: str, nothing_done: str = "") -> Any:
    """A JSON file (`-` = stdin) of at most 16 MiB, or one line naming the file and, for bad
    JSON, where."""
    try:
        return loads_strict(read_text(path, stdin=sys.stdin), file_label(path))
    except ValueError as exc:
        raise PyleeError(f"{exc}{nothing_done}") from None


def write_text_file(path: str, text: str) -> None:
    """Write all or nothing (the export's atomic write: temp file, fsync, rename)."""
    try:
        write_atomic(Path(path), text)
    except OSError as exc:
        raise PyleeError(f"cannot write {path!r}: {exc.strerror or exc}") from None


def cell(value: Any, width: int = 40) -> str:
    """Text from a document, safe for one terminal line: whitespace runs folded to one space,
    control and bidi characters shown escaped (imported data never reaches the terminal as an
    escape sequence), cut to `width` characters (0: no limit)."""
    if value is None:
        return ""
    text = " ".join(str(value).split())
    text = escape(text)
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
    from pylee_tui.services.audit import LIMIT_MAX as AUDIT_LIMIT_MAX

    p.add_argument(
        "--limit",
        type=functools.partial(positive_int, maximum=AUDIT_LIMIT_MAX),
        metavar="N",
        help=f"at most N events, newest first (up to {AUDIT_LIMIT_MAX:,})",
    )
    p.add_argument(
        "--action", metavar="A", help="only this action, or actions starting so (secret.)"
    )
    p.add_argument("--actor", metavar="EMAIL", help="only what EMAIL did")
    p.add_argument("--since", metavar="WHEN", help="from this ISO date or datetime (UTC)")
    p.add_argument(
        "--until", metavar="WHEN", help="up to this ISO date (the whole day) or datetime (UTC)"
    )

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
    p.add_argument("--json", action="store_true", help="machine-readable report, entry by entry")
    p = add(srv_sub, "export", cmd_server_export, "write current-shape server.json")
    p.add_argument("name", metavar="NAME", nargs="?", help="one server (default: all of them)")
    registry_options(p)
    p.add_argument("--out", metavar="FILE", help="write to FILE instead of stdout")

    def scope_options(p) -> None:
        org_option(p)
        p.add_argument(
            "--registry", metavar="SLUG", help="a registry of the org (default: the org)"
        )
        p.add_argument("--server", metavar="NAME", help="a server of that registry")
        p.set_defaults(check=functools.partial(check_scope, p))

    def key_argument(p) -> None:
        p.add_argument("key", metavar="KEY", help="capital letters, digits and _, e.g. LOG_LEVEL")

    var = sub.add_parser(
        "var", help="plain variables of an org, registry or server", parents=[common]
    )
    var_sub = var.add_subparsers(dest="var_command", metavar="ACTION", parser_class=CliParser)
    var_sub.required = True
    p = add(var_sub, "list", cmd_var_list, "list the variables set at exactly this scope")
    scope_options(p)
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.add_argument(
        "--deleted", action="store_true", help="list the variables deleted here (to roll back)"
    )
    p = add(var_sub, "set", cmd_var_set, "set a variable (admins); a new version each time")
    key_argument(p)
    p.add_argument("value", metavar="VALUE", help="the value (one starting with - goes after --)")
    scope_options(p)
    p = add(var_sub, "get", cmd_var_get, "print a variable's value as written at this scope")
    key_argument(p)
    scope_options(p)
    p.add_argument(
        "--raw",
        action="store_true",
        help="write the value byte for byte even to a terminal (default: only to a pipe or file)",
    )
    p = add(var_sub, "unset", cmd_var_unset, "remove a variable from this scope (admins)")
    key_argument(p)
    scope_options(p)
    p = add(var_sub, "history", cmd_var_history, "the kept versions of a variable, newest first")
    key_argument(p)
    scope_options(p)
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p = add(var_sub, "rollback", cmd_var_rollback, "set an earlier version again (admins)")
    key_argument(p)
    p.add_argument("version", metavar="VERSION", type=positive_int, help="see `var history`")
    scope_options(p)

    passphrase = f"the vault passphrase comes from {PASSPHRASE_ENV} or a prompt"
    secret = sub.add_parser("secret", help="encrypted secrets (the vault)", parents=[common])
    sec_sub = secret.add_subparsers(dest="secret_command", metavar="ACTION", parser_class=CliParser)
    sec_sub.required = True
    p = add(sec_sub, "list", cmd_secret_list, "list the secrets at this scope (never their values)")
    scope_options(p)
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.add_argument(
        "--deleted", action="store_true", help="list the secrets deleted here (to roll back)"
    )
    p = add(
        sec_sub,
        "set",
        cmd_secret_set,
        f"set a secret from stdin or a hidden prompt; {passphrase} (the first creates the vault)",
    )
    key_argument(p)
    scope_options(p)
    p.add_argument("--value", metavar="V", help="the value (lands in shell history: avoid)")
    p = add(sec_sub, "get", cmd_secret_get, "show a secret masked, or its value with --reveal")
    key_argument(p)
    scope_options(p)
    p.add_argument("--reveal", action="store_true", help=f"print the value (admins); {passphrase}")
    p.add_argument(
        "--raw",
        action="store_true",
        help="write the value byte for byte even to a terminal (default: only to a pipe or file)",
    )
    p = add(sec_sub, "unset", cmd_secret_unset, "remove a secret from this scope")
    key_argument(p)
    scope_options(p)
    p = add(sec_sub, "history", cmd_secret_history, "the kept versions of a secret, newest first")
    key_argument(p)
    scope_options(p)
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p = add(sec_sub, "rollback", cmd_secret_rollback, f"set an earlier version again; {passphrase}")
    key_argument(p)
    p.add_argument("version", metavar="VERSION", type=positive_int, help="see `secret history`")
    scope_options(p)

    vault = sub.add_parser("vault", help="the vault's passphrase", parents=[common])
    vault_sub = vault.add_subparsers(dest="vault_command", metavar="ACTION", parser_class=CliParser)
    vault_sub.required = True
    p = add(vault_sub, "status", cmd_vault_status, "whether the vault has a passphrase yet")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    add(
        vault_sub,
        "passwd",
        cmd_vault_passwd,
        f"change the vault passphrase: the current from {PASSPHRASE_ENV}, the new from "
        f"{NEW_PASSPHRASE_ENV}, else prompts",
    )

    p = add(
        sub,
        "env",
        cmd_env,
        "the effective configuration of a scope, with where each key comes from",
    )
    scope_options(p)
    p.add_argument(
        "--reveal", action="store_true", help=f"secrets in plaintext (admins); {passphrase}"
    )
    output = p.add_mutually_exclusive_group()
    output.add_argument(
        "--format", choices=("table", "json", "dotenv"), default=None, help="default: table"
    )
    output.add_argument(
        "--json", dest="format", action="store_const", const="json", help="= --format json"
    )
    p.add_argument(
        "--raw",
        action="store_true",
        help="dotenv values byte for byte even to a terminal (default: only to a pipe or file)",
    )

    p = add(
        sub,
        "export",
        cmd_export,
        "a registry's servers as an MCP client config (Claude Desktop, VS Code, Cursor)",
    )
    registry_options(p)
    p.add_argument("--client", required=True, choices=CLIENTS, help="the MCP client")
    p.add_argument(
        "--server", nargs="+", metavar="NAME", help="only these servers (default: every valid one)"
    )
    target = p.add_mutually_exclusive_group()
    target.add_argument("--out", metavar="FILE", help="merge into FILE (default: print the file)")
    target.add_argument(
        "--install", action="store_true", help="merge into the client's own config file"
    )
    p.add_argument("--dry-run", action="store_true", help="print the diff; write nothing")
    p.add_argument(
        "--inline-secrets",
        action="store_true",
        help=f"write secret values (Claude Desktop needs it; admins; {passphrase})",
    )
    p.add_argument(
        "--allow-missing", action="store_true", help="placeholders for missing required variables"
    )
    p.set_defaults(check=functools.partial(check_export, p))
    return parser


def check_export(parser: CliParser, args: argparse.Namespace) -> None:
    if args.out is not None and not args.out.strip():
        parser.error("--out needs a file name (an empty one would print the export instead)")
    if args.dry_run and not (args.install or args.out):
        parser.error("--dry-run needs --install or --out (without them nothing is written)")


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
    raw_out = out or sys.stdout
    # every line the CLI prints shows stored control characters escaped, whichever command
    # wrote it; only `Context.value_out` may bypass this, for values written to a pipe or file
    out: TextIO = SafeWriter(raw_out)  # type: ignore[assignment]
    err: TextIO = SafeWriter(err or sys.stderr)  # type: ignore[assignment]
    parser = build_parser()
    given = list(sys.argv[1:] if argv is None else argv)
    for position, arg in enumerate(given, 1):
        try:
            arg.encode("utf-8")
        except UnicodeEncodeError:  # bytes the terminal's encoding could not decode
            err.write(
                f"{PROG}: argument {position} is not valid text (check the terminal's "
                "character encoding: UTF-8)\n"
            )
            return 2
    try:
        with contextlib.redirect_stdout(out):  # --help and --version print to `out`
            args = parser.parse_args(argv)
            check = getattr(args, "check", None)  # rules between options, e.g. --server
            if check is not None:
                check(args)
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
        ctx = Context(args, out, err, raw_out)
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
