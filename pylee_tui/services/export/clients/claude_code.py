"""Claude Code: the project's `.mcp.json` (shared through the repository, the default here) or
the user's `~/.claude.json`, whose top-level `mcpServers` are the user's and whose
`projects[<absolute path>].mcpServers` are each project's private ("local") servers. Entries
have a `type` (stdio, http, sse); Claude Code expands `${KEY}` and `${KEY:-default}` in
command, args, env, url and headers, so a secret is a `${KEY}` reference by default."""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pylee_tui.services.export.clients.base import ClientEntry, JsonClient, read_common_entry

if TYPE_CHECKING:
    from pylee_tui.services.export.entry import EntryBuilder

# `${KEY}` and `${KEY:-default}`; a bare `$KEY` is not expanded by Claude Code
_EXPANSION = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-[^}]*)?\}")


class ClaudeCode(JsonClient):
    key = "claude-code"
    title = "Claude Code"
    order = 15
    scopes = ("project", "user")
    docs = "https://code.claude.com/docs/en/mcp"

    def config_path(
        self, home: Path | None, cwd: Path | None, platform: str | None, scope: str | None = None
    ) -> Path:
        if self.check_scope(scope) == "user":
            return (home or Path.home()) / ".claude.json"
        return (cwd or Path.cwd()) / ".mcp.json"

    def server_groups(self, document: dict[str, Any]) -> dict[str, dict[str, Any]]:
        """The user's servers (""), then each project's own under its path (`~/.claude.json`
        keeps them in `projects`)."""
        groups = super().server_groups(document)
        projects = document.get("projects")
        if isinstance(projects, dict):
            for path, project in projects.items():
                servers = project.get(self.servers_key) if isinstance(project, dict) else None
                if isinstance(servers, dict) and servers:
                    groups[str(path)] = servers
        return groups

    def references(self, value: str) -> list[str]:
        return _EXPANSION.findall(value)

    def reference_note(self, keys: list[str]) -> str:
        return (
            f"Claude Code expands ${{KEY}} from its own environment: set {', '.join(keys)} "
            "where Claude Code starts"
        )

    def secret_reference(self, entry: EntryBuilder, key: str, source: str) -> str:
        return "${" + key + "}"

    def placeholder(self, entry: EntryBuilder, key: str, secret: bool) -> str:
        return "${" + key + "}"

    def command_entry(self, argv: list[str], env: dict[str, str]) -> dict[str, Any]:
        return {"type": "stdio", **super().command_entry(argv, env)}

    def remote_entry(self, url: str, kind: Any, headers: dict[str, str]) -> dict[str, Any]:
        return {
            "type": "sse" if kind == "sse" else "http",
            **super().remote_entry(url, kind, headers),
        }

    def read_entry(self, name: str, raw: Any) -> ClientEntry:
        return read_common_entry(name, raw, url_keys=("url",))


CLIENT = ClaudeCode()
