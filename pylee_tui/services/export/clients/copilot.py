"""GitHub Copilot CLI: `mcp-config.json` in its folder (`~/.copilot`, or `$COPILOT_HOME`), the
user's only. Servers under `mcpServers` with a `type` (`local`/`stdio` for a command, `http`
or `sse` for a URL) and the `tools` they may use (`["*"]`: all). Copilot CLI expands `${KEY}`
from its environment in env and headers, so a secret is a `${KEY}` reference by default."""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pylee_tui.services.export.clients.base import (
    MANAGED_KEYS,
    ClientEntry,
    JsonClient,
    env_folder,
    read_common_entry,
)

if TYPE_CHECKING:
    from pylee_tui.services.export.entry import EntryBuilder

_EXPANSION = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")
ALL_TOOLS = ["*"]


class Copilot(JsonClient):
    key = "copilot"
    title = "GitHub Copilot CLI"
    order = 70
    docs = (
        "https://docs.github.com/en/copilot/how-tos/copilot-cli/customize-copilot/add-mcp-servers"
    )

    managed_keys = MANAGED_KEYS | {"tools"}  # written as ["*"]

    def config_path(
        self, home: Path | None, cwd: Path | None, platform: str | None, scope: str | None = None
    ) -> Path:
        self.check_scope(scope)
        folder = env_folder("COPILOT_HOME", home) or (home or Path.home()) / ".copilot"
        return folder / "mcp-config.json"

    def references(self, value: str) -> list[str]:
        return _EXPANSION.findall(value)

    def reference_note(self, keys: list[str]) -> str:
        return (
            f"Copilot CLI expands ${{KEY}} from its own environment: set {', '.join(keys)} "
            "where Copilot CLI starts"
        )

    def secret_reference(self, entry: EntryBuilder, key: str, source: str) -> str:
        return "${" + key + "}"

    def placeholder(self, entry: EntryBuilder, key: str, secret: bool) -> str:
        return "${" + key + "}"

    def command_entry(self, argv: list[str], env: dict[str, str]) -> dict[str, Any]:
        return {"type": "local", **super().command_entry(argv, env), "tools": list(ALL_TOOLS)}

    def remote_entry(self, url: str, kind: Any, headers: dict[str, str]) -> dict[str, Any]:
        return {
            "type": "sse" if kind == "sse" else "http",
            **super().remote_entry(url, kind, headers),
            "tools": list(ALL_TOOLS),
        }

    def read_entry(self, name: str, raw: Any) -> ClientEntry:
        return read_common_entry(name, raw, url_keys=("url",))


CLIENT = Copilot()
