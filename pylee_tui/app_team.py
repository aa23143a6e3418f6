"""The app's services against a team server: `TeamAppServices` stands where `Services` stands
for `PyleeApp`, over a `RemoteServices` (team.remote).

What the server answers goes to it (the orgs, registries, members, requests, audit, the vault's
variables and secrets, opened on this machine with the member's own key). What the app keeps
for itself (the theme, the last org shown, the vault's idle lock) stays on this machine, in a
small settings file beside the saved login: a team server serves no one's preferences. What
runs on this machine (MCP client files, server checks and launches, export) is the client's
where it offers it, and otherwise refused in one line where it is asked for, as the demo is.

`changes()` is the server's change number (`GET /v1/changes`): the app polls it and reloads
what it shows when it moves.
"""

from __future__ import annotations

import json
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Any

from platformdirs import PlatformDirs

from pylee_tui.files import write_atomic
from pylee_tui.paths import APP_DIR_NAME
from pylee_tui.services.errors import PyleeError

if TYPE_CHECKING:
    from pylee_tui.team.remote import RemoteServices

SETTINGS_FILE = "team-app-settings.json"
LOCAL_ONLY = (
    "{what} work with a local store only, not against a team server "
    "(open one with `pylee-tui --db PATH`)"
)
# the services the app reaches that need this machine's own store, and what they are
LOCAL_SERVICES = {
    "checks": "server checks and tool calls",
    "launch": "launching a server",
    "clients": "MCP client files",
    "drift": "MCP client files",
    "export": "exports to MCP clients",
    "demo": "demo data",
}


def settings_path() -> Path:
    return PlatformDirs(APP_DIR_NAME, appauthor=False).user_config_path / SETTINGS_FILE


class LocalSettings:
    """`settings` (get_setting/set_setting) kept in a JSON file on this machine. It holds the
    app's preferences only (names and numbers, never a value of the vault)."""

    def __init__(self, path: Path | None = None):
        self.path = path or settings_path()
        self._lock = threading.Lock()

    def _read(self) -> dict[str, str]:
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}  # none yet, or unreadable: the defaults (the next write replaces it)
        return {str(k): str(v) for k, v in data.items()} if isinstance(data, dict) else {}

    def get_setting(self, key: str, default: str | None = None) -> str | None:
        with self._lock:
            return self._read().get(key, default)

    def set_setting(self, key: str, value: str) -> None:
        with self._lock:
            data = self._read()
            data[key] = value
            self.path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
            write_atomic(self.path, json.dumps(data, indent=2, sort_keys=True), mode=0o600)


class LocalOnly:
    """A service that needs this machine's store: each of its methods refuses in one line."""

    def __init__(self, what: str):
        self._message = LOCAL_ONLY.format(what=what)

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):
            raise AttributeError(name)

        def refuse(*_args: Any, **_kwargs: Any) -> Any:
            raise PyleeError(self._message)

        return refuse


class TeamIdentity:
    """`identity` against a team server: you are the person your login names."""

    def __init__(self, remote: RemoteServices):
        self._remote = remote

    def resolve(self, _requested: str | None = None, _env: str | None = None) -> str:
        return self._remote.whoami()

    def require(self, _requested: str | None = None, _env: str | None = None) -> str:
        return self._remote.whoami()

    def saved(self) -> str:
        return self._remote.whoami()

    def save(self, _email: str) -> str:
        raise PyleeError("against a team server you are the person your login names")


class TeamMembers:
    """`members` of the server; an invitation is accepted with `member accept`, so start-up
    finds none waiting (the server does not answer `pending_for`)."""

    def __init__(self, remote: RemoteServices):
        self._members = remote.members

    def pending_for(self, _email: str) -> list[str]:
        return []

    def __getattr__(self, name: str) -> Any:
        return getattr(self._members, name)


class TeamAppServices:
    """`Services` for the app, against the team server `remote` talks to."""

    is_team = True

    def __init__(self, remote: RemoteServices, settings: LocalSettings | None = None):
        from pylee_tui.team.remote import RemoteService

        self.remote = remote
        self.url = remote.url
        self.settings = settings or LocalSettings()
        self.identity = TeamIdentity(remote)
        self.members = TeamMembers(remote)
        self.access = RemoteService(remote.connection, "access")
        self.onboarding = RemoteService(remote.connection, "onboarding")
        self.search = RemoteService(remote.connection, "search")
        # what the client does not offer (yet) is refused where it is asked for
        self.local_only = frozenset(n for n in LOCAL_SERVICES if not hasattr(type(remote), n))
        for name in self.local_only:
            setattr(self, name, LocalOnly(LOCAL_SERVICES[name]))

    def __getattr__(self, name: str) -> Any:
        # the rest as the server answers it (orgs, registries, variables, vault, ...)
        return getattr(self.remote, name)

    def changes(self) -> int:
        """The server's change number: it moves whenever anyone changes the store."""
        data = self.remote.connection.request("GET", "/v1/changes")
        if not isinstance(data, dict) or not isinstance(data.get("changes"), int):
            raise PyleeError(f"the team server at {self.url} answered /v1/changes oddly")
        return int(data["changes"])

    def close(self) -> None:
        self.remote.close()
