"""Gemini CLI: `~/.gemini/settings.json` or a project's `.gemini/settings.json` (comments
allowed), servers under `mcpServers`: a command, or `httpUrl` (streamable HTTP) or `url`
(SSE) with `headers`. Gemini CLI resolves `$KEY` and `${KEY}` in its settings' strings from
its environment, so a secret is a `${KEY}` reference by default."""

from __future__ import annotations

import re
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

_VARIABLE = re.compile(r"\$(?:\{([A-Za-z_][A-Za-z0-9_]*)\}|([A-Za-z_][A-Za-z0-9_]*))")


class Gemini(JsonClient):
    key = "gemini"
    title = "Gemini CLI"
    order = 60
    jsonc = True
    workspace_folder = ".gemini"
    scopes = ("user", "project")
    docs = "https://geminicli.com/docs/tools/mcp-server/"
    managed_keys = MANAGED_KEYS | {"httpUrl"}

    def config_path(
        self, home: Path | None, cwd: Path | None, platform: str | None, scope: str | None = None
    ) -> Path:
        if self.check_scope(scope) == "project":
            return (cwd or Path.cwd()) / ".gemini" / "settings.json"
        return (home or Path.home()) / ".gemini" / "settings.json"

    def references(self, value: str) -> list[str]:
        return [braced or bare for braced, bare in _VARIABLE.findall(value)]

    def reference_note(self, keys: list[str]) -> str:
        return (
            f"Gemini CLI resolves ${{KEY}} from its own environment: set {', '.join(keys)} "
            "where Gemini CLI starts"
        )

    def secret_reference(self, entry: EntryBuilder, key: str, source: str) -> str:
        return "${" + key + "}"

    def placeholder(self, entry: EntryBuilder, key: str, secret: bool) -> str:
        return "${" + key + "}"

    def remote_entry(self, url: str, kind: Any, headers: dict[str, str]) -> dict[str, Any]:
        entry: dict[str, Any] = {"url" if kind == "sse" else "httpUrl": url}
        if headers:
            entry["headers"] = headers
        return entry

    def read_entry(self, name: str, raw: Any) -> ClientEntry:
        """`httpUrl` is streamable HTTP; `url` is SSE unless `type` says `http`."""
        if isinstance(raw, dict) and isinstance(raw.get("httpUrl"), str):
            return read_common_entry(name, raw, url_keys=("httpUrl",))
        kind = str(raw.get("type") or "").lower() if isinstance(raw, dict) else ""
        if kind in ("http", "streamable-http"):
            return read_common_entry(name, raw, url_keys=("url",))
        return read_common_entry(name, raw, url_keys=(), sse_keys=("url",))


CLIENT = Gemini()
