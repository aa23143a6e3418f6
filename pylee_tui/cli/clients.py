"""`clients scan|import|status|sync|adopt`: the MCP clients' config files on this machine."""

from __future__ import annotations

from . import client_drift
from .parser import Commands


def register(commands: Commands) -> None:
    group = commands.group("clients", "the MCP clients' config files: scan, import, drift")
    client_drift.register(group)
