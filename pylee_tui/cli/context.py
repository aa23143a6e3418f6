"""What a command runs with: the parsed arguments, the services over the store (or a team
server's, see `remote_guard`), the acting user and the streams it writes to."""

from __future__ import annotations

import argparse
import os
from typing import TYPE_CHECKING, TextIO, cast

if TYPE_CHECKING:
    from pylee_tui.services import Services
    from pylee_tui.store import Store
    from pylee_tui.team.remote import RemoteServices


class Context:
    """What a command needs: the services, the acting user (resolved lazily), the streams.

    Against a team server (`remote` is True) `services` is a `RemoteServices` and the acting
    user is the login's person (the server's `whoami`); there is no local store to touch."""

    def __init__(
        self, args: argparse.Namespace, out: TextIO, err: TextIO, raw_out: TextIO | None = None
    ):
        self.args = args
        self.out = out  # escapes what stored text could do to a terminal (safe_text.SafeWriter)
        self.err = err
        self.raw_out = raw_out or out  # byte-exact values: see `value_out`
        self._user: str | None = None
        self._store: Store | None = None
        self._remote: RemoteServices | None = None
        from . import remote_guard

        saved = remote_guard.team_login(args)
        if saved is not None:
            # refused before anything is sent or opened
            remote_guard.refuse_unless_routed(args)
            remote_guard.check_acting_user(args, saved)
            from pylee_tui.team.remote import RemoteServices

            # with the person's key (protected by their passphrase): secrets open on this machine
            self._remote = RemoteServices.from_login(saved)
            self.services: Services = cast("Services", self._remote)
            from .team_vault import attach

            attach(self)  # membership changes may need the team key to share or rotate
            return
        from pylee_tui.services import Services
        from pylee_tui.store import Store, resolve_db_path

        self._store = Store(resolve_db_path(args.db))
        self.services = Services(self._store)

    @property
    def remote(self) -> bool:
        """Whether the command runs against a team server."""
        return self._remote is not None

    @property
    def server_url(self) -> str | None:
        """The team server's URL, when the command runs against one."""
        return None if self._remote is None else self._remote.url

    @property
    def store(self) -> Store:
        """The local store. Against a team server there is none: a command that needs one is
        refused (`remote_guard`), so reaching here is that table missing the command."""
        if self._store is None:
            from pylee_tui.services.errors import PyleeError

            from .remote_guard import command_name, not_yet

            raise PyleeError(not_yet(command_name(self.args)))
        return self._store

    def close(self) -> None:
        if self._remote is not None:  # what the org's key needs, left undone along the way
            from .team_vault import print_notes

            print_notes(self)
        if self._store is not None:
            self._store.close()
        if self._remote is not None:
            self._remote.close()

    @property
    def value_out(self) -> TextIO:
        """Where a plain value (`var get`, `secret get --reveal`, dotenv) goes: byte-exact when
        stdout is not a terminal (a pipe, a file, `$(…)`) or with --raw; escaped on a terminal."""
        if getattr(self.args, "raw", False) or not self.raw_out.isatty():
            return self.raw_out
        return self.out

    @property
    def user(self) -> str:
        if self._user is None:
            if self._remote is not None:
                self._user = self._remote.whoami()
            else:
                self._user = self.services.identity.require(
                    self.args.as_user, os.environ.get("PYLEE_USER")
                )
        return self._user
