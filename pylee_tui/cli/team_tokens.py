"""`serve init|run` and `token list|revoke`: a team server's first admin, and the API tokens
people log in with.

`serve` is one parser with two actions: `init` (here) makes the first server admin and prints
their enrolment code; `run` (pylee_tui.cli.team_serve, loaded only when `serve` is built) runs
the server. Plain `pylee-tui serve ...` means `serve run`. `token` works against the team server
of the saved login (as its person), or on a server's own database with --db (as the acting user).
"""

from __future__ import annotations

import argparse
import importlib
from types import ModuleType
from typing import TYPE_CHECKING, Any, TextIO

from .context import Context
from .output import emit_json, emit_table
from .parser import PROG, CliParser, Commands, json_flag, positive_int

if TYPE_CHECKING:
    from pylee_tui.services.tokens import TokenInfo

SERVE_HELP = "run a team server (`serve init` first makes its first admin)"
RUN_HELP = "run the team server on the database --db names (the default action of `serve`)"
INIT_HELP = "make EMAIL this team server's first admin and print their enrolment code"
TEAM_SERVE = "pylee_tui.cli.team_serve"


def cmd_serve_init(ctx: Context) -> int:
    email = ctx.args.email
    code = ctx.services.tokens.init_server(email)
    from pylee_tui.fields import clean

    email = clean("email", email)
    ctx.out.write(
        f"{email} is this server's first admin. Their enrolment code (single use, valid 7 days; "
        "shown only now):\n"
        f"  {code}\n"
        "They join from their own machine with:\n"
        f"  {PROG} join <server-url> {code}\n"
    )
    return 0


def cmd_token_list(ctx: Context) -> int:
    tokens = ctx.services.tokens.list_tokens(ctx.user, everyone=ctx.args.all)
    if ctx.args.json:
        emit_json([token_json(t) for t in tokens], ctx.raw_out)
        return 0
    emit_table(
        ["ID", "EMAIL", "LABEL", "CREATED", "EXPIRES", "LAST_USED", "STATE"],
        [
            (
                t.id,
                t.email,
                t.label or "-",
                t.created_at[:10],
                t.expires_at[:10],
                (t.last_used_at or "-")[:16].replace("T", " "),
                t.state,
            )
            for t in tokens
        ],
        ctx.out,
    )
    return 0


def cmd_token_revoke(ctx: Context) -> int:
    info = ctx.services.tokens.revoke(ctx.user, ctx.args.id)
    label = f" ({info.label})" if info.label else ""
    ctx.out.write(
        f"Revoked token #{info.id}{label} of {info.email}: it no longer logs in anywhere.\n"
    )
    return 0


def token_json(t: TokenInfo) -> dict[str, Any]:
    return {
        "id": t.id,
        "email": t.email,
        "label": t.label,
        "created_at": t.created_at,
        "expires_at": t.expires_at,
        "last_used_at": t.last_used_at,
        "revoked_at": t.revoked_at,
        "alive": t.alive,
        "state": t.state,
    }


# --- `serve run`: T3's module, loaded only when `serve` is built ----------------------------


def _team_serve() -> ModuleType | None:
    try:
        return importlib.import_module(TEAM_SERVE)
    except ModuleNotFoundError as exc:
        if exc.name != TEAM_SERVE:  # something it needs is missing: a real error
            raise
        return None


def _run(parser: CliParser, args: argparse.Namespace, out: TextIO) -> int:
    """`serve run` (and plain `serve`): the server opens the store itself, so the CLI does not."""
    module = _team_serve()
    if module is None:
        from pylee_tui.services.errors import InvalidInput

        raise InvalidInput("this pylee-tui cannot run a team server yet (no team_serve module)")
    return int(module.run_server(args))


def _run_arguments(parser: CliParser) -> None:
    module = _team_serve()
    if module is not None:
        module.add_run_arguments(parser)
    parser.set_defaults(func=_run, without_store=True)


def register(commands: Commands) -> None:
    # not `commands.group`: an ACTION is optional here (plain `serve` runs the server)
    if commands._builds("serve", SERVE_HELP):
        serve = commands.subparsers.add_parser(
            "serve", help=SERVE_HELP, description=SERVE_HELP, parents=[commands.common]
        )
        _run_arguments(serve)
        sub = serve.add_subparsers(dest="serve_command", metavar="ACTION", parser_class=CliParser)
        actions = Commands(sub, commands.common)
        p = actions.command("init", cmd_serve_init, INIT_HELP)
        p.add_argument("--email", metavar="EMAIL", required=True, help="the first server admin")
        p.set_defaults(without_store=False)
        _run_arguments(actions.command("run", _run, RUN_HELP))

    token = commands.group("token", "the API tokens that log people in to a team server")
    p = token.command("list", cmd_token_list, "list your API tokens")
    p.add_argument("--all", action="store_true", help="everyone's tokens (server admins)")
    json_flag(p)
    p = token.command("revoke", cmd_token_revoke, "revoke an API token (yours; any: admins)")
    p.add_argument("id", metavar="ID", type=positive_int, help="the token's number (token list)")
