"""Scan and import: the client config files on this machine, and their servers as a registry's."""

from __future__ import annotations

from pylee_tui.services.base import Service


class ClientsService(Service):
    pass
