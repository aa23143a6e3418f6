"""`clients scan|import|status|sync|adopt`: the MCP clients' config files on this machine."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pylee_tui.services.clients.secret_names import mask_args, mask_url
from pylee_tui.services.errors import Conflict
from pylee_tui.summaries import plural

from . import client_drift
from .context import Context
from .output import cell, emit_json, emit_table, one_line
from .parser import PROG, Commands, json_flag, registry_options
from .unlock import with_vault


def cmd_scan(ctx: Context) -> int:
    files = ctx.services.clients.scan()
    if ctx.args.json:
        emit_json([_file_json(f) for f in files], ctx.out)
        return 0
    rows = []
    for f in files:
        if not f.exists and f.problem is None:
            servers = "(not found)"
        elif f.problem is not None:
            servers = f"cannot read: {f.problem}"
        else:
            servers = ", ".join(_entry_label(e) for e in f.entries) or "(none)"
        rows.append((f.client, f.scope, cell(f.path, 0), cell(servers, 0)))
    emit_table(("CLIENT", "SCOPE", "FILE", "SERVERS"), rows, ctx.out)
    return 0


def _entry_label(found: Any) -> str:
    name = found.name if not found.group else f"{found.name} ({found.group})"
    if found.launcher:
        return f"{name} [pylee-tui run]"
    if found.ours:
        return f"{name} [exported]"
    return name


def _file_json(f: Any) -> dict[str, Any]:
    return {
        "client": f.client,
        "title": f.title,
        "scope": f.scope,
        "path": str(f.path),
        "exists": f.exists,
        "problem": f.problem,
        "entries": [
            {
                "name": e.name,
                "group": e.group,
                "ours": e.ours,
                "launcher": e.launcher,
                "command": e.entry.command,
                "args": mask_args(e.entry.args),  # a secret flag's value, a URL's password…
                "url": mask_url(e.entry.url) if e.entry.url is not None else None,
                "transport": e.entry.transport,
                "env": sorted(e.entry.env),  # names only: values may be secrets
                "headers": sorted(e.entry.headers),
                "forwarded": list(e.entry.forwarded),
                "problems": list(e.entry.problems),
            }
            for e in f.entries
        ],
    }


def cmd_import(ctx: Context) -> int:
    a = ctx.args
    clients = ctx.services.clients
    plan = clients.plan_import(
        ctx.user,
        a.client,
        a.scope,
        org=a.org,
        registry=a.registry,
        file=Path(a.file) if a.file else None,
        entries=a.entry or None,
        secret_names=a.secret or (),
    )
    if a.dry_run:
        clients.check_import(ctx.user, plan)  # refused as the import itself would be
        _show_items(ctx, plan)
        ctx.out.write("Dry run: nothing imported.\n")
        return 0

    def apply() -> Any:
        try:
            return clients.apply_import(ctx.user, plan, replace=a.replace)
        except Conflict as exc:  # the service's words for the flag
            raise Conflict(str(exc).replace("(replace them", "(pass --replace")) from None

    result = with_vault(ctx, apply, create=True)
    _show_items(ctx, plan)
    done = f"Imported {plural(len(result.created), 'server')} into {a.org}/{a.registry}"
    if result.updated:
        done += f" ({len(result.updated)} replaced)"
    if result.drafts:
        done += f"; {plural(len(result.drafts), 'draft')} to fix: {', '.join(result.drafts)}"
    ctx.out.write(done + "\n")
    if a.rewrite:
        written = with_vault(ctx, lambda: clients.rewrite_file(ctx.user, plan, a.rewrite))
        backup = f" (the previous file is {written.backup})" if written.backup else ""
        ctx.out.write(f"Rewrote {plan.path} in the {a.rewrite} form{backup}\n")
        for line in clients.left_by_rewrite(ctx.user, plan):
            ctx.err.write(f"{PROG}: warning: {one_line(line)}\n")
    elif plan.secret_count:
        values = plural(plan.secret_count, "secret value")
        verb = "is" if plan.secret_count == 1 else "are"
        ctx.out.write(
            f"{values} {verb} still in plain text in {plan.path}: run the import again with "
            "--replace --rewrite launcher (or reference) to replace them (a backup is kept)\n"
        )
    return 0


def _show_items(ctx: Context, plan: Any) -> None:
    """What each entry became (after the import: a refusal is the one line said)."""
    for item in plan.items:
        if item.skipped is not None:
            ctx.out.write(f"{cell(item.entry, 0)}: skipped ({cell(item.skipped, 0)})\n")
            continue
        parts = [f"{cell(item.entry, 0)} -> {item.kind} {cell(item.server, 0)}"]
        if item.variables:
            parts.append(plural(len(item.variables), "variable"))
        if item.secrets:
            parts.append(f"{plural(len(item.secrets), 'secret')} into the vault")
        if item.references:
            parts.append("set " + ", ".join(cell(r, 0) for r in item.references))
        ctx.out.write("; ".join(parts) + "\n")
        for note in item.notes:
            ctx.err.write(f"{PROG}: note: {item.entry}: {one_line(cell(note, 0))}\n")


def register(commands: Commands) -> None:
    group = commands.group("clients", "the MCP clients' config files: scan, import, drift")
    scan = group.command("scan", cmd_scan, "list every MCP client config on this machine")
    json_flag(scan)
    p = group.command("import", cmd_import, "turn a client's servers into a registry's")
    p.add_argument("client", metavar="CLIENT", help="the client whose file is read")
    registry_options(p)
    p.add_argument("--scope", metavar="SCOPE", help="user or project (default: the client's)")
    p.add_argument("--file", metavar="FILE", help="read this file instead of the client's own")
    p.add_argument("--entry", action="append", metavar="NAME", help="only this entry (repeat)")
    p.add_argument(
        "--secret", action="append", metavar="NAME", help="treat this key as secret (repeat)"
    )
    p.add_argument("--replace", action="store_true", help="replace servers of the same name")
    p.add_argument(
        "--rewrite",
        choices=("launcher", "reference"),
        help="then rewrite the imported entries so no secret value stays in the file",
    )
    p.add_argument("--dry-run", action="store_true", help="show what would be imported")
    client_drift.register(group)
