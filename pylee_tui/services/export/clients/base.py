"""What a client format is to the export: one small object per client, behind `ClientFormat`."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from platformdirs.api import PlatformDirsABC
from platformdirs.macos import MacOS
from platformdirs.unix import Unix
from platformdirs.windows import Windows

from pylee_tui.services.errors import InvalidInput

if TYPE_CHECKING:
    from pylee_tui.services.export.entry import EntryBuilder
    from pylee_tui.services.export.plan import ExportPlan

# How an entry gets its secrets: `launcher` starts the server through `pylee-tui run` (no value
# in the file at all), `reference` names them the client's way (it asks, or reads its
# environment), `inline` writes the values
SECRETS_MODES = ("launcher", "reference", "inline")


class ClientFormat(Protocol):
    """One MCP client's config: where its file lives, how an entry is written, how secrets are
    referenced, and what besides its servers a merge keeps."""

    key: str  # the name the CLI and the store use: `claude`
    title: str  # the name a person reads: `Claude Desktop`
    order: int  # where it is listed among the clients
    servers_key: str  # the object holding the servers: `mcpServers`
    jsonc: bool  # its file may hold comments and trailing commas
    has_inputs: bool  # it keeps prompts (`inputs`) that entries reference
    takes_inline_secrets: bool  # secret values may be written into its file, when asked
    takes_references: bool  # its file can name a secret for the client to fill in
    default_secrets: str  # the secrets mode an export uses unless told otherwise
    workspace_folder: str | None  # its file may live in a repository's folder: `.vscode`

    def config_path(self, home: Path | None, cwd: Path | None, platform: str | None) -> Path:
        """Where the client reads its servers from."""
        ...

    def check_request(self, secrets: str) -> None:
        """Refuse (InvalidInput) a secrets mode the client cannot honour, saying why."""
        ...

    def reference_note(self, keys: list[str]) -> str:
        """What the user must do for the secrets an export refers to (`reference` mode)."""
        ...

    def secret_reference(self, entry: EntryBuilder, key: str, source: str) -> str:
        """How an entry refers to a secret without holding its value."""
        ...

    def placeholder(self, entry: EntryBuilder, key: str, secret: bool) -> str:
        """What stands for a missing required variable."""
        ...

    def command_entry(self, argv: list[str], env: dict[str, str]) -> dict[str, Any]:
        """An entry that starts a command."""
        ...

    def remote_entry(self, url: str, kind: Any, headers: dict[str, str]) -> dict[str, Any]:
        """An entry for a server reached at a URL."""
        ...

    def document(self, plan: ExportPlan) -> dict[str, Any]:
        """The config as a fresh file would hold it."""
        ...


class JsonClient:
    """What most clients share: plain JSON, literal or `${env:KEY}` values, no inputs."""

    key = ""
    title = ""
    order = 0
    servers_key = "mcpServers"
    jsonc = False
    has_inputs = False
    takes_inline_secrets = True
    takes_references = True
    default_secrets = "reference"
    workspace_folder: str | None = None

    def check_request(self, secrets: str) -> None:
        if secrets not in SECRETS_MODES:
            raise InvalidInput(
                f"unknown secrets mode {secrets!r}: use one of {', '.join(SECRETS_MODES)}"
            )
        if secrets == "reference" and not self.takes_references:
            raise InvalidInput(
                f"{self.title} has no way to reference a secret: use the launcher mode "
                f"{self._default_said('launcher')}or inline secrets"
            )
        if secrets == "inline" and not self.takes_inline_secrets:
            raise InvalidInput(
                f"{self.title} cannot take secret values in its file: use the launcher mode "
                f"{self._default_said('launcher')}or references"
            )

    def _default_said(self, mode: str) -> str:
        return "(the default) " if mode == self.default_secrets else ""

    def reference_note(self, keys: list[str]) -> str:
        return (
            f"{self.title} reads these secrets from its own environment: set "
            f"{', '.join(keys)} where {self.title} starts"
        )

    def command_entry(self, argv: list[str], env: dict[str, str]) -> dict[str, Any]:
        command, *args = argv
        entry: dict[str, Any] = {"command": command, "args": args}
        if env:
            entry["env"] = env
        return entry

    def remote_entry(self, url: str, kind: Any, headers: dict[str, str]) -> dict[str, Any]:
        entry: dict[str, Any] = {"url": url}
        if headers:
            entry["headers"] = headers
        return entry

    def document(self, plan: ExportPlan) -> dict[str, Any]:
        return {self.servers_key: dict(plan.entries)}


def user_config_dir(platform: str | None = None, home: Path | None = None) -> Path:
    """The user's config folder on `platform` as platformdirs knows it: `$XDG_CONFIG_HOME` or
    `~/.config` on Linux, `~/Library/Application Support` on macOS, `%APPDATA%` on Windows.
    `home` stands for the user's home folder (tests)."""
    platform = platform or sys.platform
    dirs: PlatformDirsABC
    if platform == "darwin":
        dirs = MacOS(roaming=True)
    elif platform.startswith("win"):
        dirs = Windows(roaming=True)
    else:
        dirs = Unix(roaming=True)
    try:
        folder = dirs.user_config_path
    except NotImplementedError:  # Windows' folders asked for on another system
        folder = Path(os.environ.get("APPDATA") or Path.home() / "AppData" / "Roaming")
    real_home = Path.home()
    if home is not None and folder.is_relative_to(real_home):
        folder = home / folder.relative_to(real_home)
    return folder
