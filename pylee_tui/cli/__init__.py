"""`pylee-tui`: launches the app, or runs a scriptable subcommand over the same services.

Errors are one line on stderr: exit 1 for a refused or invalid request, 2 for bad usage.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import os
import sys
from collections.abc import Sequence
from typing import TextIO, cast

from pylee_tui import __version__
from pylee_tui.safe_text import SafeWriter

from .context import Context
from .parser import PROG, CliParser, Commands, UsageError, common_options

__all__ = ["PROG", "CliParser", "Context", "UsageError", "build_parser", "main"]

# The command groups, in the order of `pylee-tui --help`. Each is imported when the parser is
# built, to register its commands; what a command needs to run (the store, the services,
# pydantic, ...) it imports when it runs, so `org list` loads little more than sqlite3.
GROUPS = (
    "identity",
    "orgs",
    "audit",
    "demo",
    "registries",
    "requests",
    "members",
    "servers",
    "vault",
    "agent",
    "env",
    "export",
    "clients",
    "run",
    "check",
    "call",
    "team_tokens",
    "team_serve",
    "team_push",
    "completion",
)


def build_parser(named: Sequence[str] | None = None) -> CliParser:
    """The CLI's parser. Given the words of a command line, only the commands they name are built
    in full (`Commands`); `completion` needs them all."""
    only = None if named is None or "completion" in named else frozenset(named)
    common = common_options()
    parser = CliParser(
        prog=PROG,
        parents=[common],
        description="Run MCP infrastructure from the terminal. With no command, opens the app.",
    )
    parser.add_argument("--version", action="version", version=f"{PROG} {__version__}")
    parser.add_argument(
        "--server",
        dest="team_server",
        metavar="URL",
        default=None,
        help="work against this team server, as your saved login (env PYLEE_SERVER; before the "
        "command; --db wins)",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=CliParser)
    commands = Commands(sub, common, only)
    for name in GROUPS:
        importlib.import_module(f"{__name__}.{name}").register(commands)
    return parser


def launch_app(args: argparse.Namespace) -> int:
    """Open the app. A store that cannot be opened or a bad --as is a one-line error first.
    Against a team server (`--server`, PYLEE_SERVER or the login `join` saved: remote_guard),
    the app works there, as the login's person."""
    from . import remote_guard

    saved = remote_guard.team_login(args)
    if saved is not None:
        remote_guard.check_acting_user(args, saved)
        from pylee_tui.app import run_app
        from pylee_tui.team.remote import RemoteServices

        return run_app(remote=RemoteServices.from_login(saved))
    from pylee_tui.services import Services
    from pylee_tui.store import Store, resolve_db_path

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
    # (SafeWriter is not a TextIO subclass but has every method the CLI and argparse call)
    stdout = cast(TextIO, SafeWriter(raw_out))
    stderr = cast(TextIO, SafeWriter(err or sys.stderr))
    given = list(sys.argv[1:] if argv is None else argv)
    if given == ["--version"]:
        # what argparse prints for it, without building the parser: the call a script makes
        # most often, to see that pylee-tui is there, costs little more than starting Python
        stdout.write(f"{PROG} {__version__}\n")
        return 0
    parser = build_parser(given)
    for position, arg in enumerate(given, 1):
        try:
            arg.encode("utf-8")
        except UnicodeEncodeError:  # bytes the terminal's encoding could not decode
            stderr.write(
                f"{PROG}: argument {position} is not valid text (check the terminal's "
                "character encoding: UTF-8)\n"
            )
            return 2
    try:
        with contextlib.redirect_stdout(stdout):  # --help and --version print to `stdout`
            args = parser.parse_args(argv)
            check = getattr(args, "check", None)  # rules between options, e.g. --server
            if check is not None:
                check(args)
    except UsageError as exc:
        from .output import one_line

        stderr.write(f"{PROG}: {one_line(exc)}\n")
        return 2
    except SystemExit as exc:  # --help and --version
        return int(exc.code or 0)
    import sqlite3

    from pylee_tui.services import PyleeError
    from pylee_tui.store import StoreError, describe_sqlite_error, resolve_db_path

    from .output import one_line

    args.db = getattr(args, "db", None)
    args.as_user = getattr(args, "as_user", None)
    ctx = None
    try:
        if args.command is None:
            return launch_app(args)
        if getattr(args, "without_store", False):  # e.g. `completion`: from the parser alone
            return args.func(parser, args, stdout)
        ctx = Context(args, stdout, stderr, raw_out)
        return args.func(ctx)
    except (PyleeError, StoreError) as exc:
        if type(exc).__name__ == "ChangeRequested":  # not refused: kept for approval
            stdout.write(f"{one_line(exc)}\n")
            return 0
        stderr.write(f"{PROG}: {one_line(exc)}\n")
        return 1
    except sqlite3.Error as exc:
        stderr.write(f"{PROG}: {one_line(describe_sqlite_error(exc, resolve_db_path(args.db)))}\n")
        return 1
    except KeyboardInterrupt:
        stderr.write(f"{PROG}: interrupted\n")
        return 130
    except BrokenPipeError:  # `pylee-tui server list | head`: the reader has gone; not an error
        with contextlib.suppress(Exception):  # and no second complaint when Python flushes
            os.dup2(os.open(os.devnull, os.O_WRONLY), stdout.fileno())
        return 141
    except Exception as exc:  # the promise is: never a traceback
        if os.environ.get("PYLEE_DEBUG"):
            raise
        stderr.write(
            f"{PROG}: internal error: {type(exc).__name__}: {exc} (PYLEE_DEBUG=1 shows more)\n"
        )
        return 1
    finally:
        if ctx is not None:
            ctx.close()
