"""A command against a team server: which store a command uses, and which commands work there.

Where a command runs, first rule that applies:
1. `--db PATH` or `PYLEE_DB`: that local store, always.
2. `--server URL` (before the command: `pylee-tui --server URL org list`) or `PYLEE_SERVER`:
   that team server, as the login `join` saved for it (none for that URL: one line).
3. A saved team login (`pylee-tui join`): its server.
4. The default local store.

Against a server a command goes through `RemoteServices`; the commands that need what only a
local store has (its vault, its files, MCP clients on this machine) are refused in one line
before anything is done: `ROUTED` lists the commands that work there, `LOCAL_ONLY` those that do
not yet (and why), `NO_STORE` those that open no store at all (the same wherever they run).
"""

from __future__ import annotations

import argparse
import os
from typing import TYPE_CHECKING

from pylee_tui.services.errors import InvalidInput, PyleeError

from .parser import PROG

if TYPE_CHECKING:
    from pylee_tui.team.login import SavedLogin

SERVER_ENV = "PYLEE_SERVER"
# the commands that work against a team server, through RemoteServices
ROUTED = frozenset(
    {
        "whoami",
        # the unlock agent holds the member's team key (cli.agent, team.vault_client)
        "agent start",
        "audit",
        *(f"org {a}" for a in ("list", "create", "show", "edit", "delete", "clone", "diff")),
        *(f"registry {a}" for a in ("list", "create", "show", "edit", "delete", "fork")),
        *(f"request {a}" for a in ("list", "show", "approve", "reject")),
        *(
            f"member {a}"
            for a in ("list", "invite", "accept", "role", "grant", "revoke", "remove", "review")
        ),
        *(
            f"server {a}"
            for a in (
                "list",
                "show",
                "add",
                "edit",
                "remove",
                "move",
                "import",
                "export",
                "publish",
                "versions",
                "diff",
                "rollback",
                "pin",
                "unpin",
            )
        ),
        *(f"var {a}" for a in ("list", "set", "get", "unset", "history", "rollback")),
        # secrets reach a team server sealed by the member's machine (the end-to-end vault:
        # RemoteServices.variables seals and opens them; until it does, it refuses in one line)
        *(f"secret {a}" for a in ("list", "set", "get", "unset", "history", "rollback")),
        "token list",
        "token revoke",
        # an effective configuration travels masked (team.wire); --reveal opens secrets here
        "env",
        # an org's secrets key in the end-to-end vault (cli.team_vault)
        *(f"vault {a}" for a in ("status", "share", "rotate")),
        # the passphrase of the member's team key in the saved login (nothing goes to the server)
        "vault passwd",
        # made in a throwaway local store, each org copied up as push does (secrets sealed here)
        "demo",
        # servers started on this machine, secrets opened here with the member's key
        # (team.remote_launch); a check's results (masked) are kept on the server
        "run",
        "check",
        "call",
        # client configs written here (team.remote_export); a launcher entry runs
        # `pylee-tui --server URL run`, inline values are opened here
        "export",
        # this machine's client files, by its record of the exports from the server; an
        # import or an adopt is one transaction on the server, its secrets sealed here
        *(f"clients {a}" for a in ("scan", "status", "sync", "import", "adopt")),
    }
)

# the commands a team server cannot run yet, and why (said in the README; the line is one)
LOCAL_ONLY: dict[str, str] = {
    "login": "saves the acting user of a local database; against a server you act as your login",
    "serve init": "makes a local database a team server (run it where the server runs)",
}

# the commands that open no store: the same with or without a team server
# (push and pull open a local store and the saved login's server themselves: cli.team_push)
NO_STORE = frozenset(
    {
        "join",
        "logout",
        "serve run",
        "completion",
        "agent status",
        "agent lock",
        "agent stop",
        "push",
        "pull",
    }
)


def command_name(args: argparse.Namespace) -> str:
    """The command the arguments run, as typed: `org list`, `audit`."""
    name = str(args.command)
    action = getattr(args, f"{name}_command", None)
    return f"{name} {action}" if action else name


def not_yet(command: str) -> str:
    return (
        f"`{PROG} {command}` does not work against a team server yet (use --db for a local store)"
    )


def refuse_unless_routed(args: argparse.Namespace) -> None:
    """One line (exit 1) for a command that does not work against a team server; a command
    nobody has sorted into the tables above is refused too (a test keeps them complete)."""
    command = command_name(args)
    if command not in ROUTED:
        raise PyleeError(not_yet(command))


def team_login(args: argparse.Namespace) -> SavedLogin | None:
    """The saved login the command runs as, against its server; None for a local store."""
    if getattr(args, "db", None) is not None or os.environ.get("PYLEE_DB"):
        return None
    url = getattr(args, "team_server", None) or os.environ.get(SERVER_ENV) or None
    from pylee_tui.team import login

    if url is None:
        return login.load()
    from pylee_tui.team.remote import server_url

    wanted = server_url(url)
    saved = login.load()
    if saved is None or saved.url != wanted:
        raise InvalidInput(f"no login for {wanted}: run `{PROG} join {wanted} CODE` first")
    return saved


def check_acting_user(args: argparse.Namespace, saved: SavedLogin) -> None:
    """--as against a team server: only the login's own person (the server acts as it)."""
    explicit = getattr(args, "as_user", None)
    if not explicit:
        return
    from pylee_tui.services.base import valid

    if valid("email", explicit) != saved.email:
        raise InvalidInput(
            f"against a team server you act as {saved.email} (your login); --as cannot change that"
        )
