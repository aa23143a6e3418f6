"""Claude Desktop: `claude_desktop_config.json` in the user's config folder; literal values only,
so its secrets come through `pylee-tui run` (the launcher mode, its default) or are inlined when
asked for; a remote through `npx -y mcp-remote`."""

from __future__ import annotations

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
        return _bridged_remote(entry) or entry


def _bridged_remote(entry: ClientEntry) -> ClientEntry | None:
    args = list(entry.args)
    if entry.command != "npx" or MCP_REMOTE not in args:
        return None
    rest = args[args.index(MCP_REMOTE) + 1 :]
    if not rest or not rest[0].startswith(("http://", "https://")):
        return None
    url, rest = rest[0], rest[1:]
    headers: dict[str, str] = {}
    env = dict(entry.env)
    transport = "streamable-http"
    while rest:
        flag, value = rest[0], rest[1] if len(rest) > 1 else None
        if flag == "--header" and value is not None and ":" in value:
            header, template = value.split(":", 1)
            var = template.strip()
            if var.startswith("${") and var.endswith("}") and var[2:-1] in env:
                headers[header.strip()] = env.pop(var[2:-1])
            else:
                headers[header.strip()] = var
            rest = rest[2:]
        elif flag == "--transport" and value is not None:
            transport = "sse" if value.startswith("sse") else transport
            rest = rest[2:]
        else:
            return None  # an option this reading does not know: the command as it is
    return ClientEntry(
        entry.name,
        url=url,
        transport=transport,
        headers=headers,
        env=env,
        problems=entry.problems,
    )


CLIENT = ClaudeDesktop()
