"""What a command runs with: the parsed arguments, the services over the store, the acting user
and the streams it writes to."""

from __future__ import annotations

import argparse
import os
from typing import TYPE_CHECKING, TextIO

if TYPE_CHECKING:
    from pylee_tui.services import Services
    from pylee_tui.store import Store


class Context:
    """What a command needs: the services, the acting user (resolved lazily), the streams."""

    def __init__(
        self, args: argparse.Namespace, out: TextIO, err: TextIO, raw_out: TextIO | None = None
    ):
        self.args = args
        self.out = out  # escapes what stored text could do to a terminal (safe_text.SafeWriter)
        self.err = err
        self.raw_out = raw_out or out  # byte-exact values: see `value_out`
        from pylee_tui.services import Services
        from pylee_tui.store import Store, resolve_db_path

        self.store: Store = Store(resolve_db_path(args.db))
        self.services: Services = Services(self.store)
        self._user: str | None = None

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
            self._user = self.services.identity.require(
                self.args.as_user, os.environ.get("PYLEE_USER")
            )
        return self._user
