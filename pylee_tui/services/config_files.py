"""Kept so that older imports still work: the atomic writer lives in `pylee_tui.files`, and
reading and checking a client's config in `pylee_tui.services.export.configfile`."""

from __future__ import annotations

from pylee_tui.files import write_atomic

__all__ = ["write_atomic"]
