"""`agent`: the unlock agent, which holds the vault's data key in memory so that commands run
without a terminal (a client launching `pylee-tui run`) need no passphrase in their environment.
Against a team server it holds the member's team key instead (the private key `join` saved),
found by server, email and the key's fingerprint.

`agent status` with no agent running is a plain answer (exit 0); `agent lock` and `agent stop`
with none are an error (exit 1), as `ssh-add -x` and `ssh-agent -k` are."""

from __future__ import annotations

import argparse
import os
import re
import selectors
import subprocess
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from .output import emit_json
from .parser import PROG, Commands, json_flag
from .prompt import NEW_PASSPHRASE_ENV, PASSPHRASE_ENV, read_passphrase

if TYPE_CHECKING:
    from .context import Context

DEFAULT_IDLE = 8 * 3600
NO_TEAM_KEY = f"there is no team key on this machine: `{PROG} join` the server again"
TEAM_LABEL = "team key of "  # how RemoteVault.agent_label names a member's key
START_TIMEOUT = 10.0  # for the spawned agent to say `ready`
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
_DURATION = re.compile(r"(\d+)([smhd])")


def duration(text: str) -> int:
    """`90s`, `30m`, `8h`, `1h30m`, `2d`, or a number of seconds, for argparse."""
    spec = text.strip().lower()
    if spec.isdigit():
        seconds = int(spec)
    elif spec and _DURATION.sub("", spec) == "" and len(spec) <= 32:
        seconds = sum(int(n) * _UNITS[unit] for n, unit in _DURATION.findall(spec))
    else:
        raise argparse.ArgumentTypeError(
            f"{text[:24]!r} is not a duration (e.g. 90s, 30m, 8h, 1h30m)"
        )
    if not 1 <= seconds <= 365 * 86400:
        raise argparse.ArgumentTypeError("must be from 1s to 365d")
    return seconds


def shown_duration(seconds: float) -> str:
    whole = int(round(seconds))
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    parts = [f"{hours}h" if hours else "", f"{minutes}m" if minutes else ""]
    parts.append(f"{secs}s" if secs or not (hours or minutes) else "")
    return "".join(parts)


def the_socket() -> Path:
    from pylee_tui.agent.paths import AgentPathError, socket_path
    from pylee_tui.services import PyleeError

    try:
        return socket_path()
    except AgentPathError as exc:
        raise PyleeError(str(exc)) from None


# --- start -----------------------------------------------------------------------------------


def cmd_agent_start(ctx: Context) -> int:
    from pylee_tui.agent import client
    from pylee_tui.services import PyleeError

    vault = ctx.services.vault
    if not vault.initialized():
        raise PyleeError(
            NO_TEAM_KEY
            if ctx.remote
            else f"the vault has no passphrase yet, so there is no key for the agent to hold; "
            f"the first `{PROG} secret set` creates it"
        )
    path = the_socket()
    if ctx.remote:  # the member's team key: found by server, email and the key's fingerprint
        return start_with_team_key(ctx, path)
    fingerprint = vault.fingerprint()
    store = str(ctx.store.path.resolve())
    running = client.status()
    if running is not None and client.fetch_key(fingerprint) is not None:
        ctx.out.write(
            f"An agent is already running (pid {running.get('pid')}) and holds this store's "
            f"key; socket: {path}\n"
        )
        return 0
    vault.unlock(read_passphrase(PASSPHRASE_ENV, "Vault passphrase: "))  # a wrong one: here
    key = vault.data_key()
    return hand_over(
        ctx, path, running, (fingerprint, store, key), "this store's key", "this store's vault key"
    )


def hand_over(
    ctx: Context,
    path: Path,
    running: dict[str, Any] | None,
    held: tuple[str, str, bytes],
    gave: str,
    holds: str,
) -> int:
    """Give the key `held` (fingerprint, label, key) to the running agent, or start one with
    it (in the foreground with --foreground), saying so with `gave` / `holds`."""
    from pylee_tui.agent import client
    from pylee_tui.services import PyleeError

    idle = ctx.args.idle_timeout
    if running is not None:
        if not client.add_key(*held):
            raise PyleeError("the running agent did not take the key; see `agent status`")
        ctx.out.write(f"Gave the running agent (pid {running.get('pid')}) {gave}; socket: {path}\n")
        return 0
    if ctx.args.foreground:
        return run_in_foreground(ctx, path, idle, *held)
    pid = spawn(path, idle, *held)
    ctx.out.write(
        f"Agent started (pid {pid}): it holds {holds} in memory and forgets it after "
        f"{shown_duration(idle)} without use; socket: {path}\n"
    )
    return 0


def start_with_team_key(ctx: Context, path: Path) -> int:
    """`agent start` against a team server: the passphrase opens the member's private key once
    and the agent keeps it in memory, as it keeps a local vault's key."""
    from pylee_tui.agent import client
    from pylee_tui.team.vault_client import RemoteVault

    vault = ctx.services.vault
    assert isinstance(vault, RemoteVault)
    running = client.status()
    if running is not None and client.unlock_from_agent(vault):
        ctx.out.write(
            f"An agent is already running (pid {running.get('pid')}) and holds your team key "
            f"for {vault.server_url}; socket: {path}\n"
        )
        return 0
    vault.unlock(read_passphrase(PASSPHRASE_ENV, "Team key passphrase: "))  # a wrong one: here
    label = vault.agent_label()
    held = (vault.fingerprint(), label, vault.data_key())
    return hand_over(ctx, path, running, held, f"your {label}", f"your {label}")


def start_line(path: Path, idle: int, fingerprint: str, store: str, key: bytes) -> bytes:
    import base64
    import json

    return (
        json.dumps(
            {
                "socket": str(path),
                "idle_timeout": idle,
                "fingerprint": fingerprint,
                "store": store,
                "key": base64.b64encode(key).decode("ascii"),
            }
        ).encode("ascii")
        + b"\n"
    )


def spawn(path: Path, idle: int, fingerprint: str, store: str, key: bytes) -> int:
    """Start the agent in its own session; the key goes down its stdin, and its environment
    holds no passphrase (a process's initial environment stays readable in /proc)."""
    from pylee_tui.services import PyleeError

    env = {k: v for k, v in os.environ.items() if k not in (PASSPHRASE_ENV, NEW_PASSPHRASE_ENV)}
    proc = subprocess.Popen(
        [sys.executable, "-m", "pylee_tui.agent.daemon"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        env=env,
        cwd="/",
        start_new_session=True,
        close_fds=True,
    )
    assert proc.stdin is not None and proc.stdout is not None
    try:
        proc.stdin.write(start_line(path, idle, fingerprint, store, key))
        proc.stdin.close()
        with selectors.DefaultSelector() as sel:
            sel.register(proc.stdout, selectors.EVENT_READ)
            answered = sel.select(START_TIMEOUT)
        line = proc.stdout.readline(512).decode("utf-8", "replace").strip() if answered else ""
    except OSError:
        line = ""
    finally:
        proc.stdout.close()
    if line.startswith("ready ") and line[6:].isdigit():
        proc.wait()  # it forked the agent and left
        return int(line[6:])
    if proc.poll() is None:
        proc.kill()
    proc.wait()
    reason = line.removeprefix("error: ") if line else "it did not answer"
    raise PyleeError(f"the agent did not start: {reason}")


def run_in_foreground(
    ctx: Context, path: Path, idle: int, fingerprint: str, store: str, key: bytes
) -> int:
    from pylee_tui.agent import daemon

    keys = daemon.Keys(idle_timeout=idle)
    keys.add(fingerprint, store, key)
    if not ctx.remote:
        ctx.store.close()  # the agent needs no store

    def ready() -> None:
        ctx.out.write(f"Agent running in the foreground (pid {os.getpid()}); socket: {path}\n")
        ctx.out.flush()

    try:
        daemon.run(path, keys, ready)
    except RuntimeError as exc:
        from pylee_tui.services import PyleeError

        raise PyleeError(f"the agent did not start: {exc}") from None
    return 0


# --- status, lock, stop ----------------------------------------------------------------------


def cmd_agent_status(parser: Any, args: argparse.Namespace, out: TextIO) -> int:
    from pylee_tui.agent import client

    path = the_socket()
    found = client.status()
    if args.json:
        emit_json({"running": found is not None, "socket": str(path), **(found or {})}, out)
        return 0
    if found is None:
        out.write(f"No agent running (socket: {path}); start one: {PROG} agent start\n")
        return 0
    pid = found.get("pid")
    stores = found.get("stores") or []
    if found.get("locked", True):
        out.write(
            f"Agent running (pid {pid}), locked: it holds no key (`{PROG} agent start` gives it "
            f"one); socket: {path}\n"
        )
        return 0
    if len(stores) == 1:
        which = stores[0] if stores[0].startswith(TEAM_LABEL) else f"the vault key of {stores[0]}"
    else:
        which = f"the keys of {len(stores)} stores"
    left = found.get("idle_left")
    out.write(
        f"Agent running (pid {pid}), unlocked: holds {which}; locks after "
        f"{shown_duration(float(left or 0))} without use; socket: {path}\n"
    )
    return 0


def _tell(op: str, done: str, out: TextIO) -> int:
    from pylee_tui.agent import client
    from pylee_tui.services import PyleeError

    path = the_socket()
    if not client.send(op):
        raise PyleeError(f"no agent running (socket: {path})")
    out.write(done)
    return 0


def cmd_agent_lock(parser: Any, args: argparse.Namespace, out: TextIO) -> int:
    return _tell(
        "lock",
        f"Agent locked: it forgot every key and keeps running; `{PROG} agent start` unlocks it.\n",
        out,
    )


def cmd_agent_stop(parser: Any, args: argparse.Namespace, out: TextIO) -> int:
    return _tell("stop", "Agent stopped: it forgot every key and removed its socket.\n", out)


# --- the parser ------------------------------------------------------------------------------


def register(commands: Commands) -> None:
    agent = commands.group("agent", "the unlock agent: the vault key in memory, for commands")
    p = agent.command(
        "start",
        cmd_agent_start,
        f"ask for the vault passphrase (against a team server: your team key's) once "
        f"({PASSPHRASE_ENV} or a prompt) and keep the key in an agent",
    )
    p.add_argument(
        "--idle-timeout",
        metavar="DURATION",
        type=duration,
        default=DEFAULT_IDLE,
        help="forget the key after this long without use (default 8h; e.g. 30m, 90s, 1h30m)",
    )
    p.add_argument(
        "--foreground", action="store_true", help="run the agent in this process until stopped"
    )
    p = agent.command("status", cmd_agent_status, "whether an agent runs and holds a key")
    json_flag(p)
    p.set_defaults(without_store=True)
    p = agent.command("lock", cmd_agent_lock, "make the agent forget every key (it keeps running)")
    p.set_defaults(without_store=True)
    p = agent.command("stop", cmd_agent_stop, "make the agent forget every key and exit")
    p.set_defaults(without_store=True)
