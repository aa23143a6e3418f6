"""What a client format is to the export: one small object per client, behind `ClientFormat`."""

from __future__ import annotations

import os
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from platformdirs.api import PlatformDirsABC
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
# where a client's file lives: the user's own (every project), or one project's (a repository)
SCOPES = ("user", "project")
TRANSPORTS = ("stdio", "streamable-http", "sse")
# what most clients' entries are built with: a command (`command`, `args`, `env`) or a remote
# (`url`, `headers`), and the transport (`type`)
MANAGED_KEYS = frozenset({"command", "args", "env", "url", "type", "headers"})
_ENV_REFERENCE = re.compile(r"\$\{env:([A-Za-z_][A-Za-z0-9_]*)\}")


@dataclass(frozen=True)
class ClientEntry:
    """One server entry as a client's file holds it, in the terms every client shares: what
    scan lists, import turns into a server, and drift compares."""

    name: str
    command: str | None = None
    args: tuple[str, ...] = ()
    env: dict[str, str] = field(default_factory=dict)
    url: str | None = None
    transport: str = "stdio"  # one of TRANSPORTS
    headers: dict[str, str] = field(default_factory=dict)
    # names the client passes on from its own environment without a value in the file (Codex's
    # `env_vars`, its `bearer_token_env_var` as the Authorization header)
    forwarded: tuple[str, ...] = ()
    problems: tuple[str, ...] = ()  # why the entry cannot be read as a server (its shape)


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
    scopes: tuple[str, ...]  # the SCOPES it has a file for, the default first
    file_kind: str  # "json" (JSONC when `jsonc`) or "toml"
    docs: str  # the public documentation its format follows (README lists it)
    # the keys of an entry that are the export's (how the server starts, or where it is): an
    # entry an export replaces keeps the others (the user's `disabled`, timeouts, tool lists)
    managed_keys: frozenset[str]

    def config_path(
        self, home: Path | None, cwd: Path | None, platform: str | None, scope: str | None = None
    ) -> Path:
        """Where the client reads its servers from, for `scope` (None: its default)."""
        ...

    def check_scope(self, scope: str | None) -> str:
        """The scope asked for, or the default; refuse (InvalidInput) one it has no file for."""
        ...

    def server_groups(self, document: dict[str, Any]) -> dict[str, dict[str, Any]]:
        """The server entries a config holds, by where in it: "" is the object an export
        writes; Claude Code's `~/.claude.json` has one more per project (its path)."""
        ...

    def read_entry(self, name: str, raw: Any) -> ClientEntry:
        """An entry of the file in common terms (never raises: its problems are listed)."""
        ...

    def references(self, value: str) -> list[str]:
        """The names a value refers to in the client's own syntax (`${env:KEY}`, ...)."""
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
    scopes: tuple[str, ...] = ("user",)
    file_kind = "json"
    docs = ""
    managed_keys = MANAGED_KEYS

    def check_scope(self, scope: str | None) -> str:
        if scope is None:
            return self.scopes[0]
        if scope not in SCOPES:
            raise InvalidInput(f"unknown scope {scope!r}: use one of {', '.join(SCOPES)}")
        if scope not in self.scopes:
            raise InvalidInput(
                f"{self.title} has no {scope} config file: its servers live in its "
                f"{self.scopes[0]} file"
            )
        return scope

    def server_groups(self, document: dict[str, Any]) -> dict[str, dict[str, Any]]:
        servers = document.get(self.servers_key)
        return {"": servers if isinstance(servers, dict) else {}}

    def read_entry(self, name: str, raw: Any) -> ClientEntry:
        """`command`/`args`/`env`, or `url`/`headers` with `type` (stdio, http, sse)."""
        return read_common_entry(name, raw, url_keys=("url",))

    def references(self, value: str) -> list[str]:
        return _ENV_REFERENCE.findall(value)

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


def read_common_entry(
    name: str,
    raw: Any,
    url_keys: tuple[str, ...],
    sse_keys: tuple[str, ...] = (),
    guess_sse: bool = False,
) -> ClientEntry:
    """The shape most clients share: `command` (a string), `args` (strings), `env` (string
    values), or a URL under one of `url_keys` (streamable HTTP unless `type` says `sse`, or
    the key is one of `sse_keys`, or with `guess_sse` (a client whose file does not say) the
    URL's path ends in `/sse`) with `headers`. What does not fit is listed as a problem."""
    if not isinstance(raw, dict):
        return ClientEntry(name, problems=("the entry is not an object",))
    problems: list[str] = []
    env = _string_map(raw.get("env"), "env", problems)
    headers = _string_map(raw.get("headers"), "headers", problems)
    url_key = next((k for k in (*url_keys, *sse_keys) if isinstance(raw.get(k), str)), None)
    command = raw.get("command")
    if url_key is not None and command is None:
        kind = str(raw.get("type") or raw.get("transport") or "").lower()
        sse = url_key in sse_keys or kind == "sse"
        if guess_sse and not kind:
            sse = sse or looks_like_sse(raw[url_key])
        return ClientEntry(
            name,
            url=raw[url_key],
            transport="sse" if sse else "streamable-http",
            headers=headers,
            env=env,
            problems=tuple(problems),
        )
    if not isinstance(command, str) or not command.strip():
        problems.append("no command or URL")
        return ClientEntry(name, env=env, headers=headers, problems=tuple(problems))
    args = raw.get("args", [])
    if not isinstance(args, list) or not all(isinstance(a, str) for a in args):
        problems.append("args is not a list of strings")
        args = [a for a in args if isinstance(a, str)] if isinstance(args, list) else []
    return ClientEntry(name, command=command, args=tuple(args), env=env, problems=tuple(problems))


def looks_like_sse(url: str) -> bool:
    """Whether a URL names an SSE endpoint by the usual convention (its path ends in `/sse`),
    for clients whose file does not say which transport a URL speaks."""
    return url.split("?", 1)[0].split("#", 1)[0].rstrip("/").endswith("/sse")


def string_map(value: Any, what: str, problems: list[str]) -> dict[str, str]:
    """An object of strings (`env`, `headers`), what is not one listed in `problems`."""
    return _string_map(value, what, problems)


def env_folder(variable: str, home: Path | None) -> Path | None:
    """The folder an environment variable names (`CODEX_HOME`, `COPILOT_HOME`), when set;
    under `home` (tests) when it lies in the real home."""
    value = os.environ.get(variable)
    if not value:
        return None
    folder = Path(value).expanduser()
    real_home = Path.home()
    if home is not None and folder.is_relative_to(real_home):
        folder = home / folder.relative_to(real_home)
    return folder


def _string_map(value: Any, what: str, problems: list[str]) -> dict[str, str]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        problems.append(f"{what} is not an object")
        return {}
    kept = {str(k): v for k, v in value.items() if isinstance(v, str)}
    if len(kept) != len(value):
        problems.append(f"{what} holds values that are not strings")
    return kept


def user_config_dir(platform: str | None = None, home: Path | None = None) -> Path:
    """The user's config folder on `platform` as platformdirs knows it: `$XDG_CONFIG_HOME` or
    `~/.config` on Linux, `~/Library/Application Support` on macOS, `%APPDATA%` on Windows.
    `home` stands for the user's home folder (tests).

    On macOS the desktop apps (Claude, VS Code) keep their settings in Application Support
    whatever `$XDG_CONFIG_HOME` says, so that folder is named directly: platformdirs honours
    the XDG variables on macOS too, which would point at a file the app never reads."""
    platform = platform or sys.platform
    if platform == "darwin":
        return (home or Path.home()) / "Library" / "Application Support"
    dirs: PlatformDirsABC = (
        Windows(roaming=True) if platform.startswith("win") else Unix(roaming=True)
    )
    try:
        folder = dirs.user_config_path
    except NotImplementedError:  # Windows' folders asked for on another system
        folder = Path(os.environ.get("APPDATA") or Path.home() / "AppData" / "Roaming")
    real_home = Path.home()
    if home is not None and folder.is_relative_to(real_home):
        folder = home / folder.relative_to(real_home)
    return folder
