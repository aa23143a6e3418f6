"""Codex CLI: `config.toml` in Codex's folder (`~/.codex`, or `$CODEX_HOME`) or a trusted
project's `.codex/config.toml`, one `[mcp_servers.NAME]` table per server: `command`, `args`,
`env` (literal values) and `env_vars` (names Codex forwards from its own environment), or `url`
(streamable HTTP) with `http_headers` (literal), `env_http_headers` (header -> variable name)
and `bearer_token_env_var` (the Authorization bearer token's variable). Codex has no string
syntax for a reference: in the reference mode a secret is forwarded by name — an env key
through `env_vars`, the bearer token through `bearer_token_env_var`, any other header through
`env_http_headers` — and a value built around a secret is refused. The document is plain
dicts; writing TOML is the codec's job."""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pylee_tui.services.errors import InvalidInput
from pylee_tui.services.export.clients.base import (
    ClientEntry,
    JsonClient,
    env_folder,
    string_map,
)

if TYPE_CHECKING:
    from pylee_tui.services.export.entry import EntryBuilder

# what an entry holds for a value Codex is to take from its environment, until command_entry
# or remote_entry moves it where Codex reads it (never written: NUL is no part of a value)
_MARK = re.compile("\x00env:([A-Za-z_][A-Za-z0-9_]*)\x00")
_BEARER = re.compile("Bearer \x00env:([A-Za-z_][A-Za-z0-9_]*)\x00", re.IGNORECASE)
# how read_entry shows a value Codex takes from its environment (for import and diffs)
_READ_REFERENCE = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")


def _mark(key: str) -> str:
    return f"\x00env:{key}\x00"


def _shown(key: str) -> str:
    return "${" + key + "}"


class Codex(JsonClient):
    key = "codex"
    title = "Codex CLI"
    order = 50
    servers_key = "mcp_servers"
    workspace_folder = ".codex"
    scopes = ("user", "project")
    file_kind = "toml"
    docs = "https://developers.openai.com/codex/mcp"
    managed_keys = frozenset(
        {"command", "args", "env", "env_vars", "url", "http_headers", "env_http_headers"}
        | {"bearer_token_env_var", "bearer_token"}
    )

    def config_path(
        self, home: Path | None, cwd: Path | None, platform: str | None, scope: str | None = None
    ) -> Path:
        if self.check_scope(scope) == "project":
            return (cwd or Path.cwd()) / ".codex" / "config.toml"
        folder = env_folder("CODEX_HOME", home) or (home or Path.home()) / ".codex"
        return folder / "config.toml"

    def references(self, value: str) -> list[str]:
        return _READ_REFERENCE.findall(value)

    def reference_note(self, keys: list[str]) -> str:
        return (
            f"Codex forwards these from its own environment (env_vars, bearer_token_env_var, "
            f"env_http_headers): set {', '.join(keys)} where Codex starts"
        )

    def secret_reference(self, entry: EntryBuilder, key: str, source: str) -> str:
        return _mark(key)

    def placeholder(self, entry: EntryBuilder, key: str, secret: bool) -> str:
        return _mark(key)  # forwarded from Codex's environment, where the user sets it

    def command_entry(self, argv: list[str], env: dict[str, str]) -> dict[str, Any]:
        command, *args = argv
        literal: dict[str, str] = {}
        forwarded: list[str] = []
        for name, value in env.items():
            marked = _MARK.fullmatch(value)
            if marked is not None and marked.group(1) == name:
                forwarded.append(name)
            elif _MARK.search(value) is not None:
                raise InvalidInput(_composite(name, value))
            else:
                literal[name] = value
        entry: dict[str, Any] = {"command": command, "args": args}
        if literal:
            entry["env"] = literal
        if forwarded:
            entry["env_vars"] = forwarded
        return entry

    def remote_entry(self, url: str, kind: Any, headers: dict[str, str]) -> dict[str, Any]:
        entry: dict[str, Any] = {"url": url}
        literal: dict[str, str] = {}
        from_env: dict[str, str] = {}
        for name, value in headers.items():
            bearer = _BEARER.fullmatch(value) if name.lower() == "authorization" else None
            marked = _MARK.fullmatch(value)
            if bearer is not None and "bearer_token_env_var" not in entry:
                entry["bearer_token_env_var"] = bearer.group(1)
            elif marked is not None:
                from_env[name] = marked.group(1)
            elif _MARK.search(value) is not None:
                raise InvalidInput(_composite(f"header {name}", value))
            else:
                literal[name] = value
        if literal:
            entry["http_headers"] = literal
        if from_env:
            entry["env_http_headers"] = from_env
        return entry

    def read_entry(self, name: str, raw: Any) -> ClientEntry:
        """A table in common terms: `env_vars` are forwarded names (no value in the file); a
        remote's `bearer_token_env_var` reads as `Authorization: Bearer ${NAME}` and each
        `env_http_headers` item as `${NAME}`, their names forwarded too. A URL is streamable
        HTTP (Codex speaks no SSE)."""
        if not isinstance(raw, dict):
            return ClientEntry(name, problems=("the entry is not a table",))
        problems: list[str] = []
        env = string_map(raw.get("env"), "env", problems)
        forwarded = _names(raw.get("env_vars"), problems)
        url = raw.get("url")
        command = raw.get("command")
        if isinstance(url, str) and command is None:
            headers = string_map(raw.get("http_headers"), "http_headers", problems)
            if "headers" in raw:
                problems.append("headers is not read by Codex (http_headers is)")
            for header, var in string_map(
                raw.get("env_http_headers"), "env_http_headers", problems
            ).items():
                headers[header] = _shown(var)
                forwarded.append(var)
            bearer = raw.get("bearer_token_env_var")
            if isinstance(bearer, str) and bearer:
                headers["Authorization"] = "Bearer " + _shown(bearer)
                forwarded.append(bearer)
            elif bearer is not None:
                problems.append("bearer_token_env_var is not a name")
            return ClientEntry(
                name,
                url=url,
                transport="streamable-http",
                headers=headers,
                env=env,
                forwarded=tuple(dict.fromkeys(forwarded)),
                problems=tuple(problems),
            )
        if not isinstance(command, str) or not command.strip():
            problems.append("no command or URL")
            return ClientEntry(name, env=env, forwarded=tuple(forwarded), problems=tuple(problems))
        args = raw.get("args", [])
        if not isinstance(args, list) or not all(isinstance(a, str) for a in args):
            problems.append("args is not a list of strings")
            args = [a for a in args if isinstance(a, str)] if isinstance(args, list) else []
        return ClientEntry(
            name,
            command=command,
            args=tuple(args),
            env=env,
            forwarded=tuple(dict.fromkeys(forwarded)),
            problems=tuple(problems),
        )


def _names(value: Any, problems: list[str]) -> list[str]:
    """`env_vars`: names, or `{name, source}` tables (a remote executor's variable)."""
    if value is None:
        return []
    if not isinstance(value, list):
        problems.append("env_vars is not a list")
        return []
    names: list[str] = []
    for item in value:
        name = item.get("name") if isinstance(item, dict) else item
        if isinstance(name, str) and name:
            names.append(name)
        else:
            problems.append("env_vars holds an item that is not a name")
    return names


def _composite(what: str, value: str) -> str:
    keys = ", ".join(_MARK.findall(value))
    return (
        f"Codex CLI cannot build {what} around the secret {keys}: it forwards a variable "
        "only whole, by name; use the launcher mode or inline secrets"
    )


CLIENT = Codex()
