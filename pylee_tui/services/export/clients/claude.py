"""Claude Desktop: `claude_desktop_config.json` in the user's config folder; literal values only,
so its secrets come through `pylee-tui run` (the launcher mode, its default) or are inlined when
asked for; a remote through `npx -y mcp-remote`."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from pylee_tui.services.errors import InvalidInput
from pylee_tui.services.export.clients.base import JsonClient, user_config_dir
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


CLIENT = ClaudeDesktop()
