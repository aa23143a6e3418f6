"""Claude Desktop: `claude_desktop_config.json` in the user's config folder; literal values only,
so its secrets come through `pylee-tui run` (the launcher mode, its default) or are inlined when
asked for; a remote through `npx -y mcp-remote`."""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pylee_tui.services.errors import InvalidInput
from pylee_tui.services.export.clients.base import (
    ClientEntry,
    JsonClient,
    read_common_entry,
    user_config_dir,
)
from pylee_tui.services.export.names import env_key_for

if TYPE_CHECKING:
    from pylee_tui.services.export.entry import EntryBuilder

MCP_REMOTE = "mcp-remote"


class ClaudeDesktop(JsonClient):
    key = "claude"
    title = "Claude Desktop"
    order = 10
    takes_references = False
    default_secrets = "launcher"
    docs = "https://modelcontextprotocol.io/docs/develop/connect-local-servers"

    def config_path(
        self, home: Path | None, cwd: Path | None, platform: str | None, scope: str | None = None
    ) -> Path:
        self.check_scope(scope)
        return user_config_dir(platform, home) / "Claude" / "claude_desktop_config.json"

    def secret_reference(self, entry: EntryBuilder, key: str, source: str) -> str:
        raise InvalidInput(f"{entry.server_name}: {key} is a secret")  # refused in the plan

    def placeholder(self, entry: EntryBuilder, key: str, secret: bool) -> str:
        return f"<set {key}>"

    def remote_entry(self, url: str, kind: Any, headers: dict[str, str]) -> dict[str, Any]:
        # the header's value goes in env, not in args, where every process listing shows it
        args = ["-y", MCP_REMOTE, url]
        env: dict[str, str] = {}
        for name, value in headers.items():
            var = f"HEADER_{env_key_for(name)}"
            args += ["--header", f"{name}:${{{var}}}"]
            env[var] = value
        entry: dict[str, Any] = {"command": "npx", "args": args}
        if env:
            entry["env"] = env
        return entry

    def read_entry(self, name: str, raw: Any) -> ClientEntry:
        """A command; `npx -y mcp-remote URL [--header "Name:${VAR}"]...` (what remote_entry
        writes) reads back as the remote it bridges to, each header's value taken from env."""
        entry = read_common_entry(name, raw, url_keys=("url",))
        return bridged_remote(entry) or entry


def bridged_remote(entry: ClientEntry) -> ClientEntry | None:
    """`npx [-y] mcp-remote[@VERSION] URL [--header "Name:Value"]… [--transport …]` (also
    `npx.cmd`, npx by its full path, under Windows' `cmd /c`) as the remote it bridges to, each
    header's `${VAR}` taken from env; None for any other command."""
    command, args = unwrap_shell(entry.command, list(entry.args))
    if _program(command) != "npx":
        return None
    at = next(
        (i for i, a in enumerate(args) if a == MCP_REMOTE or a.startswith(MCP_REMOTE + "@")), None
    )
    if at is None or any(a not in ("-y", "--yes") for a in args[:at]):
        return None
    rest = args[at + 1 :]
    if not rest or not rest[0].lower().startswith(("http://", "https://")):
        return None
    url, rest = rest[0], rest[1:]
    headers: dict[str, str] = {}
    env = dict(entry.env)
    used: set[str] = set()
    transport = "streamable-http"
    while rest:
        flag, value = rest[0], rest[1] if len(rest) > 1 else None
        if flag == "--header" and value is not None and ":" in value:
            header, template = value.split(":", 1)
            headers[header.strip()] = _expand(template.strip(), env, used)
            rest = rest[2:]
        elif flag == "--transport" and value is not None:
            transport = "sse" if value.startswith("sse") else transport
            rest = rest[2:]
        else:
            return None  # an option this reading does not know: the command as it is
    for name in used:
        env.pop(name, None)
    return ClientEntry(
        entry.name,
        url=url,
        transport=transport,
        headers=headers,
        env=env,
        problems=entry.problems,
    )


def unwrap_shell(command: str | None, args: list[str]) -> tuple[str | None, list[str]]:
    """Windows' `cmd /c PROGRAM ARGS…` (`cmd.exe`, any case, by its full path) as `PROGRAM
    ARGS…`; any other command as it is."""
    if _program(command) == "cmd" and len(args) > 1 and args[0].lower() == "/c":
        return args[1], args[2:]
    return command, args


def _program(command: str | None) -> str:
    """`C:\\Program Files\\nodejs\\npx.cmd` → `npx`."""
    name = (command or "").replace("\\", "/").rsplit("/", 1)[-1].lower()
    return re.sub(r"\.(exe|cmd|bat)$", "", name)


def _expand(template: str, env: dict[str, str], used: set[str]) -> str:
    """`Bearer ${TOKEN}` with TOKEN's value from env (noted in `used`: it was the header's)."""

    def sub(match: re.Match[str]) -> str:
        name = match.group(1)
        if name not in env:
            return match.group(0)
        used.add(name)
        return env[name]

    return re.sub(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}", sub, template)


CLIENT = ClaudeDesktop()
