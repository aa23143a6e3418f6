"""Cursor: `~/.cursor/mcp.json`; a secret is a `${env:KEY}` reference (the key must be in
Cursor's environment) unless inlining is asked for."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from pylee_tui.services.export.clients.base import ClientEntry, JsonClient, read_common_entry

if TYPE_CHECKING:
    from pylee_tui.services.export.entry import EntryBuilder


class Cursor(JsonClient):
    key = "cursor"
    title = "Cursor"
    order = 30
    workspace_folder = ".cursor"
    scopes = ("user", "project")
    docs = "https://cursor.com/docs/context/mcp"

    def config_path(
        self, home: Path | None, cwd: Path | None, platform: str | None, scope: str | None = None
    ) -> Path:
        if self.check_scope(scope) == "project":
            return (cwd or Path.cwd()) / ".cursor" / "mcp.json"
        return (home or Path.home()) / ".cursor" / "mcp.json"

    def secret_reference(self, entry: EntryBuilder, key: str, source: str) -> str:
        return "${env:" + key + "}"

    def placeholder(self, entry: EntryBuilder, key: str, secret: bool) -> str:
        return "${env:" + key + "}"

    def read_entry(self, name: str, raw: Any) -> ClientEntry:
        """A command, or a `url` (its `type` when given; else an `/sse` path is SSE)."""
        return read_common_entry(name, raw, url_keys=("url",), guess_sse=True)


CLIENT = Cursor()
