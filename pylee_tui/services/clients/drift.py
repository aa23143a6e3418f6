"""Drift: what each export wrote, entry by entry, against what the client's file holds now."""

from __future__ import annotations

from pylee_tui.services.base import Service


class DriftService(Service):
    pass
