"""`clients status|sync|adopt`: what each export wrote against what the client's file holds."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pylee_tui.safe_text import escape

from .context import Context
from .export import install_changes
from .output import emit_json, one_line
from .parser import PROG, Commands, LazyChoices, json_flag
from .unlock import with_vault

STATE_WIDTH = 16  # the longest state, "changed by hand", and a space


def _clients() -> tuple[str, ...]:
    from pylee_tui.services.export import CLIENTS

    return CLIENTS


def _scopes() -> tuple[str, ...]:
    from pylee_tui.services.export.clients.base import SCOPES

    return SCOPES


def _path(ctx: Context) -> Path:
    from pylee_tui.services.export import default_config_path

    a = ctx.args
    if a.file is not None:
        return Path(a.file).expanduser()
    return default_config_path(a.client, scope=a.scope)


def cmd_status(ctx: Context) -> int:
    files = ctx.services.drift.status(ctx.user)
    if ctx.args.client:
        files = [f for f in files if f.client == ctx.args.client]
    if ctx.args.json:
        emit_json([_file_json(f) for f in files], ctx.out)
        return 0
    if not files:
        which = f"a {ctx.args.client}" if ctx.args.client else "a client"
        ctx.out.write(f"No export to {which} file is recorded.\n")
    for f in files:
        ctx.out.write(f"{one_line(f.path)} ({f.client})\n")
        if f.problem is not None:
            ctx.out.write(f"  cannot read it: {one_line(f.problem)}\n")
        for e in f.entries:
            owner = f" ({one_line(f'{e.org}/{e.registry} {e.server}')})" if e.server else ""
            ctx.out.write(f"  {e.state:<{STATE_WIDTH}} {one_line(e.name)}{owner}\n")
            for line in e.diff.splitlines():
                ctx.out.write(f"      {escape(line)}\n")
    return 0


def _file_json(f: Any) -> dict[str, Any]:
    return {
        "client": f.client,
        "path": str(f.path),
        "problem": f.problem,
        "entries": [
            {
                "name": e.name,
                "state": e.state,
                "org": e.org,
                "registry": e.registry,
                "server": e.server,
                "diff": e.diff,
            }
            for e in f.entries
        ],
    }


def cmd_sync(ctx: Context) -> int:
    a = ctx.args
    path = _path(ctx)
    done = with_vault(
        ctx,
        lambda: ctx.services.drift.sync(
            ctx.user, path, entries=a.entry, dry_run=a.dry_run, client=a.client
        ),
    )
    for plan, result in done:
        where = f"{plan.org}/{plan.registry}"
        if a.dry_run:
            ctx.out.write(escape(result.diff, multiline=True) or f"No change for {where}.\n")
        elif not result.written:
            ctx.out.write(f"{one_line(path)} already holds {one_line(where)}'s export.\n")
        else:
            changes = install_changes(result)
            ctx.out.write(f"Synced {one_line(path)} with {one_line(where)}: {'; '.join(changes)}\n")
    backups = {r.backup for _p, r in done if r.backup is not None}
    for backup in backups:
        ctx.out.write(f"The file before the sync is {one_line(backup)}\n")
    for plan, _result in done:
        for warning in plan.warnings:
            ctx.err.write(f"{PROG}: warning: {one_line(warning)}\n")
    return 0


def cmd_adopt(ctx: Context) -> int:
    a = ctx.args
    path = _path(ctx)
    # a new secret goes to the vault: asked for only then, and before anything is written
    result = with_vault(
        ctx, lambda: ctx.services.drift.adopt(ctx.user, path, a.entry_name, client=a.client)
    )
    ctx.out.write(
        f"Adopted {one_line(a.entry_name)} into {one_line(result.org)}/"
        f"{one_line(result.registry)} {one_line(result.server)}:\n"
    )
    for change in result.changes:
        ctx.out.write(f"  {one_line(change)}\n")
    return 0


def _where(p: Any) -> None:
    p.add_argument("client", choices=LazyChoices(_clients), metavar="CLIENT", help="the MCP client")
    p.add_argument(
        "--scope",
        choices=LazyChoices(_scopes),
        metavar="SCOPE",
        help="user or project: which of the client's files (default: its usual one)",
    )
    p.add_argument("--file", metavar="FILE", help="this file instead of the client's own")


def register(group: Commands) -> None:
    p = group.command(
        "status",
        cmd_status,
        "each exported entry of each client file: in sync, changed by hand, missing, stale, "
        "or foreign (diffs masked)",
    )
    json_flag(p)
    p.add_argument(
        "--client", choices=LazyChoices(_clients), metavar="CLIENT", help="only this client's"
    )
    p = group.command(
        "sync", cmd_sync, "export again what a client file was exported (hand edits overwritten)"
    )
    _where(p)
    p.add_argument("--entry", nargs="+", metavar="NAME", help="only these entries")
    p.add_argument("--dry-run", action="store_true", help="print the diff; write nothing")
    p = group.command(
        "adopt", cmd_adopt, "take a hand change of an exported entry back into its server"
    )
    _where(p)
    p.add_argument("entry_name", metavar="ENTRY", help="the entry's name in the file")
