"""`push` and `pull`: move an org between a local store and a team server (being written)."""

from __future__ import annotations

from .parser import Commands


def register(commands: Commands) -> None:
    """No commands yet."""
