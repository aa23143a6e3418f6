"""Zed: `context_servers` in its `settings.json` (JSONC), the user's in Zed's config folder
(`~/.config/zed` on Linux and macOS, `%APPDATA%\\Zed` on Windows) or a project's
`.zed/settings.json`. A server is `{command, args, env}` or `{url, headers}`; Zed has no way to
refer to a value kept elsewhere, so its secrets come through `pylee-tui run` (the default) or
are inlined when asked for. Older files' shapes are read too: `"source": "custom"`, and the
command as an object `{path, args, env}`."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pylee_tui.services.errors import InvalidInput
from pylee_tui.services.export.clients.base import (
    MANAGED_KEYS,
    ClientEntry,
    JsonClient,
    read_common_entry,
    user_config_dir,
)

if TYPE_CHECKING:
    from pylee_tui.services.export.entry import EntryBuilder


class Zed(JsonClient):
    key = "zed"
    title = "Zed"
    order = 40
    servers_key = "context_servers"
    jsonc = True
    takes_references = False
    default_secrets = "launcher"
    workspace_folder = ".zed"
    scopes = ("user", "project")
    docs = "https://zed.dev/docs/ai/mcp"
    managed_keys = MANAGED_KEYS | {"source"}  # an older file's `"source": "custom"`

    def config_path(
        self, home: Path | None, cwd: Path | None, platform: str | None, scope: str | None = None
    ) -> Path:
        if self.check_scope(scope) == "project":
            return (cwd or Path.cwd()) / ".zed" / "settings.json"
        platform = platform or sys.platform
        if platform.startswith("win"):
            return user_config_dir(platform, home) / "Zed" / "settings.json"
        if platform == "darwin":  # Zed keeps ~/.config/zed on macOS too
            return (home or Path.home()) / ".config" / "zed" / "settings.json"
        return user_config_dir(platform, home) / "zed" / "settings.json"

    def secret_reference(self, entry: EntryBuilder, key: str, source: str) -> str:
        raise InvalidInput(f"{entry.server_name}: {key} is a secret")  # refused in the plan

    def placeholder(self, entry: EntryBuilder, key: str, secret: bool) -> str:
        return f"<set {key}>"

    def references(self, value: str) -> list[str]:
        return []

    def read_entry(self, name: str, raw: Any) -> ClientEntry:
        """The current shape, `"source": "custom"` beside it, or the older command object
        `{"command": {"path", "args", "env"}}`; an `/sse` URL is SSE (the file does not say)."""
        if isinstance(raw, dict) and isinstance(raw.get("command"), dict):
            inner = raw["command"]
            flat = {k: v for k, v in raw.items() if k != "command"}
            flat.update({"command": inner.get("path"), "args": inner.get("args", [])})
            if "env" in inner:
                flat["env"] = inner.get("env")
            raw = flat
        return read_common_entry(name, raw, url_keys=("url",), guess_sse=True)


CLIENT = Zed()
