"""Windsurf (Cascade): `~/.codeium/windsurf/mcp_config.json` on every system (the user's only),
Claude Desktop's shape with a remote under `serverUrl` (`url` is read too); Windsurf
interpolates `${env:KEY}` in command, args, env, serverUrl, url and headers."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from pylee_tui.services.export.clients.base import (
    MANAGED_KEYS,
    ClientEntry,
    JsonClient,
    read_common_entry,
)

if TYPE_CHECKING:
    from pylee_tui.services.export.entry import EntryBuilder


class Windsurf(JsonClient):
    key = "windsurf"
    title = "Windsurf"
    order = 35
    docs = "https://docs.windsurf.com/windsurf/cascade/mcp"
    managed_keys = MANAGED_KEYS | {"serverUrl"}

    def config_path(
        self, home: Path | None, cwd: Path | None, platform: str | None, scope: str | None = None
    ) -> Path:
        self.check_scope(scope)
        return (home or Path.home()) / ".codeium" / "windsurf" / "mcp_config.json"

    def secret_reference(self, entry: EntryBuilder, key: str, source: str) -> str:
        return "${env:" + key + "}"

    def placeholder(self, entry: EntryBuilder, key: str, secret: bool) -> str:
        return "${env:" + key + "}"

    def remote_entry(self, url: str, kind: Any, headers: dict[str, str]) -> dict[str, Any]:
        entry: dict[str, Any] = {"serverUrl": url}
        if headers:
            entry["headers"] = headers
        return entry

    def read_entry(self, name: str, raw: Any) -> ClientEntry:
        """`serverUrl` or `url`: the file does not name the transport, an `/sse` path is SSE."""
        return read_common_entry(name, raw, url_keys=("serverUrl", "url"), guess_sse=True)


CLIENT = Windsurf()
