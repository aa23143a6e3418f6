"""`run`: start a server with its effective configuration, as an MCP client's command.

A client starts `pylee-tui run …` with no terminal: stdout and stdin are the MCP wire, so this
command never writes to stdout and never reads stdin itself; every message is one line on
stderr (`pylee-tui run: …`) and the exit status says what kind of failure it was, for the
client to surface. A stdio server replaces this process (`exec`): its stdio, exit status and
process title are its own. A remote server is bridged (pylee_tui/runtime/bridge.py)."""

from __future__ import annotations

import argparse
import os
import sys
from typing import NoReturn

from pylee_tui.services import PyleeError, Scope

from .context import Context
from .output import one_line
from .parser import PROG, Commands, registry_options
from .unlock import with_vault

PREFIX = f"{PROG} run"
# the exit statuses a client shows (sysexits.h where one fits; 127 as a shell says it)
EXIT_FAILED = 1
EXIT_USAGE = 2
EXIT_NOPERM = 77  # the vault is locked, the user may not reveal the secrets, or needs-auth
EXIT_CONFIG = 78  # required configuration is missing
EXIT_CANNOT_EXECUTE = 126
EXIT_NO_RUNTIME = 127


class RunFailed(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


def status_of(exc: PyleeError) -> int:
    from pylee_tui.services import PermissionDenied, VaultLocked
    from pylee_tui.services.errors import WrongPassphrase
    from pylee_tui.services.launch import MissingConfiguration, MissingRuntime

    if isinstance(exc, MissingConfiguration):
        return EXIT_CONFIG
    if isinstance(exc, MissingRuntime):
        return EXIT_NO_RUNTIME
    if isinstance(exc, VaultLocked | WrongPassphrase | PermissionDenied):
        return EXIT_NOPERM
    return EXIT_FAILED


def cmd_run(ctx: Context) -> int:
    try:
        return start(ctx)
    except RunFailed as exc:
        return say(ctx, exc.status, str(exc))
    except PyleeError as exc:
        return say(ctx, status_of(exc), str(exc))


def say(ctx: Context, status: int, message: str) -> int:
    ctx.err.write(f"{PREFIX}: {one_line(message)}\n")
    ctx.err.flush()
    return status


def start(ctx: Context) -> int:
    from pylee_tui.services.launch import MissingRuntime

    a = ctx.args
    scope = Scope(a.org, a.registry, a.server)
    launch = with_vault(ctx, lambda: ctx.services.launch.launch(ctx.user, scope, purpose="run"))
    for warning in launch.warnings:
        say(ctx, 0, f"note: {launch.mask(warning)}")
    if launch.kind == "remote":
        if a.extra:
            raise RunFailed(
                EXIT_USAGE, f"{launch.server} is a remote server: it takes no arguments"
            )
        ctx.close()  # the session may last hours: hold no database (nor team key) meanwhile
        from pylee_tui.runtime.bridge import run_bridge

        return run_bridge(launch, ctx.err)
    env = launch.environment()
    missing = launch.runtime_missing(env.get("PATH", os.defpath))
    if missing is not None:
        raise MissingRuntime(launch.server, missing)
    # the launch rule passes values by name (docker gets `-e NAME`): a value in argv would be
    # in every `ps` listing, so a server.json that puts one there is not started
    if any(value in arg for value in launch.secret_values if value for arg in launch.argv):
        raise RunFailed(
            EXIT_FAILED,
            f"{launch.server}: its command line would hold a secret value; "
            "pass secrets through environment variables",
        )
    exec_server(ctx, [*launch.argv, *a.extra], env)


def exec_server(ctx: Context, argv: list[str], env: dict[str, str]) -> NoReturn:
    """Become the server: its stdio is the client's, its exit status is ours."""
    ctx.close()
    for stream in (sys.stdout, sys.stderr):
        stream.flush()
    try:
        os.execvpe(argv[0], argv, env)
    except FileNotFoundError:
        raise RunFailed(EXIT_NO_RUNTIME, f"{argv[0]} is not on PATH") from None
    except OSError as exc:
        raise RunFailed(
            EXIT_CANNOT_EXECUTE, f"cannot start {argv[0]}: {exc.strerror or exc}"
        ) from None


def register(commands: Commands) -> None:
    p = commands.command(
        "run",
        cmd_run,
        "start a server with its configuration and secrets, stdio passed through "
        "(an MCP client's command; a remote server is bridged to stdio)",
        epilog=(
            "exit status: the server's own; 78 missing configuration, 127 missing runtime, "
            "77 vault locked or permission (or a remote's 401), 2 usage, 1 other"
        ),
    )
    registry_options(p)
    p.add_argument("server", metavar="SERVER", help="the server's name in the registry")
    p.add_argument(
        "extra",
        nargs=argparse.REMAINDER,
        metavar="EXTRA",
        help="after --: arguments appended to the server's command",
    )
