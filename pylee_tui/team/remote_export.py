"""`export` against a team server: MCP client configs written on this machine from what the
team server holds.

The plan is the local one (`ExportService.plan`) over the team server's services: its servers,
the version each registry uses and the member's effective configurations come from the server.
- `launcher` entries start `pylee-tui --server URL run …`: the server, not a local store, and
  no `--as` (against a team server one acts as one's login). No value is read.
- `reference` entries name the secrets the client's way: no value is read either.
- `inline` values are opened on this machine with the member's key (`secrets:reveal`, as
  locally; the team server audits the read as `secret.export`).

Which entries of a client's file an export wrote (so that the next one replaces only its own,
and `clients status` can tell a hand edit) is about this machine's files, so it is kept on this
machine: in a small store of its own per team server (`files_store_path`), never on the server.
The team server records the export's `registry.export` event (`export.record_event`).

`clients scan`, `status`, `sync` and `adopt` read the same record (`ExportRecord`, used by
`team.remote_clients`): the files exported from this team server (a local store's exports have
their own record, in that store).
"""

from __future__ import annotations

import functools
import hashlib
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

from pylee_tui.services.base import Service
from pylee_tui.services.export.launcher import LAUNCHER_NOTE
from pylee_tui.services.export.service import ExportEvent, ExportService

if TYPE_CHECKING:
    from pylee_tui.services import Services
    from pylee_tui.services.export.plan import ExportPlan
    from pylee_tui.store import Store
    from pylee_tui.team.remote import RemoteServices

TEAM_LAUNCHER_NOTE = (
    "entries start through `pylee-tui --server URL run`: when one needs secrets, your team key "
    "must be at hand (the agent: `pylee-tui agent start`, or PYLEE_PASSPHRASE in the client's "
    "environment)"
)


def files_store_path(url: str) -> Path:
    """Where this machine keeps what exports from the team server at `url` wrote to its client
    files: `<data dir>/team-files/<host>-<port>-<hash>.db` (the data dir as for a local store)."""
    from urllib.parse import urlsplit

    from pylee_tui.paths import data_dir

    parts = urlsplit(url)
    port = parts.port or (443 if parts.scheme == "https" else 80)
    digest = hashlib.sha256(url.encode()).hexdigest()[:8]
    return data_dir() / "team-files" / f"{parts.hostname}-{port}-{digest}.db"


class RemoteExport(ExportService):
    """`export` of a team server's registry, written on this machine (module docstring)."""

    def __init__(self, remote: RemoteServices):
        super().__init__(cast("Services", remote))
        self._url = remote.url
        self._connection = remote.connection

    @functools.cached_property
    def _files(self) -> Store:
        from pylee_tui.store import Store

        path = files_store_path(self._url)
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        return Store(path)

    @property
    def store(self) -> Store:
        """This machine's record of the client files exports wrote (never the server's)."""
        return self._files

    def close(self) -> None:
        if "_files" in self.__dict__:
            self._files.close()

    def plan(self, actor: str, *args: Any, **kwargs: Any) -> ExportPlan:
        plan = super().plan(actor, *args, **kwargs)
        plan.notes[:] = [TEAM_LAUNCHER_NOTE if n == LAUNCHER_NOTE else n for n in plan.notes]
        return plan

    def launcher_target(self, actor: str) -> list[str]:
        """`--server URL`: no --db and no --as (against a team server you act as your login)."""
        return ["--server", self._url]

    def record_event(self, actor: str, event: ExportEvent) -> None:
        """The export's `registry.export` event, recorded by the team server (an inline
        export's read of the secrets is audited there too, as `secret.export`)."""
        from pylee_tui.team.remote import RemoteService

        RemoteService(self._connection, "export").record_event(actor, event)


class ExportRecord(Service):
    """A service over this machine's record of the exports from a team server (not the
    server's store): `clients scan`, `status` and `sync` read it."""

    def __init__(self, remote: RemoteServices):
        super().__init__(cast("Services", remote))
        self._remote = remote

    @property
    def store(self) -> Store:
        return self._remote.export.store
