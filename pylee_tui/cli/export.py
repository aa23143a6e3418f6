"""`export`: a registry's servers as an MCP client's config, printed or merged into a file."""

from __future__ import annotations

import argparse
import functools
from collections.abc import Callable
from pathlib import Path
from typing import Any

from pylee_tui.safe_text import escape_json
from pylee_tui.services import InvalidInput, Scope
from pylee_tui.summaries import plural

from .context import Context
from .output import one_line
from .parser import PROG, CliParser, Commands, LazyChoices, registry_options
from .prompt import PASSPHRASE_HELP
from .unlock import with_vault

# the export service words its refusals for the app and the CLI alike; here they name flags
EXPORT_FLAGS = (
    ("allow missing variables", "pass --allow-missing"),
    ("use the launcher mode", "use --secrets launcher"),
    ("or inline secrets", "or --secrets inline"),
    ("or references", "or --secrets reference"),
    ("inline secrets are for", "--secrets inline is for"),
)
SECRETS_HELP = (
    "how entries get their secrets: launcher (start through `pylee-tui run`, no value in the "
    "file; default for Claude Desktop), reference (the client asks or reads its environment; "
    "default for VS Code and Cursor), inline (values written; admins)"
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
    from pylee_tui.services.export import default_config_path
    from pylee_tui.services.export import render as render_export

    a = ctx.args
    options = {
        "actor": ctx.user,
        "scope": Scope(a.org, a.registry),
        "client": a.client,
        "servers": a.server or None,
        "secrets": a.secrets,
        "inline_secrets": a.inline_secrets,
        "allow_missing": a.allow_missing,
    }
    exports = ctx.services.export
    if not (a.install or a.out):
        plan = with_vault(ctx, naming_flags(lambda: exports.plan(**options)))
        ctx.out.write(escape_json(render_export(plan)))
        exports.record_export(ctx.user, plan)
        export_notes(ctx, plan)
        return 0
    path = Path(a.out).expanduser() if a.out else default_config_path(a.client, scope=a.scope)
    plan, result = with_vault(
        ctx,
        naming_flags(lambda: exports.install_with_names(path=path, dry_run=a.dry_run, **options)),
    )
    if a.dry_run:
        ctx.out.write(result.diff or f"No change: {path} already holds this export.\n")
    elif not result.written:
        ctx.out.write(f"No change: {path} already holds this export.\n")
    else:
        changes = install_changes(result)
        if result.kept:
            changes.append(f"kept {plural(len(result.kept), 'other server')}")
        backup = f"; the previous file is {result.backup}" if result.backup else ""
        ctx.out.write(f"Wrote {path}: {'; '.join(changes)}{backup}\n")
    export_notes(ctx, plan)
    return 0


def install_changes(result: Any) -> list[str]:
    """What writing an export did to the file's entries: `added a, b`, `replaced c`, ..."""
    return [
        f"{verb} {', '.join(names)}"
        for verb, names in (
            ("added", result.added),
            ("replaced", result.replaced),
            ("removed", result.removed),
        )
        if names
    ]


def export_notes(ctx: Context, plan) -> None:
    """Skipped drafts, warnings (inlined secrets, placeholders) and notes (what the client needs
    to start the entries) go to stderr, one per line."""
    for skipped in plan.skipped:
        ctx.err.write(f"{PROG}: skipped {one_line(skipped)}\n")
    for warning in plan.warnings:
        ctx.err.write(f"{PROG}: warning: {one_line(warning)}\n")
    for note in plan.notes:
        ctx.err.write(f"{PROG}: note: {one_line(note)}\n")


def check_export(parser: CliParser, args: argparse.Namespace) -> None:
    if args.out is not None and not args.out.strip():
        parser.error("--out needs a file name (an empty one would print the export instead)")
    if args.scope is not None and not args.install:
        parser.error("--scope needs --install (it chooses which of the client's files)")
    if args.dry_run and not (args.install or args.out):
        parser.error("--dry-run needs --install or --out (without them nothing is written)")


def clients() -> tuple[str, ...]:
    from pylee_tui.services.export import CLIENTS

    return CLIENTS


def scopes() -> tuple[str, ...]:
    from pylee_tui.services.export.clients.base import SCOPES

    return SCOPES


def client_names() -> str:
    """The clients an export writes, by name, for the help text."""
    from pylee_tui.services.export import CLIENT_NAMES

    return ", ".join(CLIENT_NAMES.values())


def secrets_modes() -> tuple[str, ...]:
    from pylee_tui.services.export import SECRETS_MODES

    return SECRETS_MODES


def register(commands: Commands) -> None:
    p = commands.command(
        "export",
        cmd_export,
        "a registry's servers as an MCP client's config, printed or merged into its file",
    )
    if isinstance(p, CliParser):  # built: naming the clients loads them
        p.description = f"a registry's servers as an MCP client's config ({client_names()})"
    registry_options(p)
    p.add_argument("--client", required=True, choices=LazyChoices(clients), help="the MCP client")
    p.add_argument(
        "--server", nargs="+", metavar="NAME", help="only these servers (default: every valid one)"
    )
    target = p.add_mutually_exclusive_group()
    target.add_argument("--out", metavar="FILE", help="merge into FILE (default: print the file)")
    target.add_argument(
        "--install", action="store_true", help="merge into the client's own config file"
    )
    p.add_argument(
        "--scope",
        choices=LazyChoices(scopes),
        metavar="SCOPE",
        help="with --install: the client's user file or this project's (default: its usual one)",
    )
    p.add_argument("--dry-run", action="store_true", help="print the diff; write nothing")
    modes = p.add_mutually_exclusive_group()
    modes.add_argument(
        "--secrets", choices=LazyChoices(secrets_modes), metavar="MODE", help=SECRETS_HELP
    )
    modes.add_argument(
        "--inline-secrets",
        action="store_true",
        help=f"the same as --secrets inline (admins; {PASSPHRASE_HELP})",
    )
    p.add_argument(
        "--allow-missing", action="store_true", help="placeholders for missing required variables"
    )
    p.set_defaults(check=functools.partial(check_export, p))
