"""`clients status|sync|adopt`: what each export wrote against what the client's file holds."""

from __future__ import annotations

from .parser import Commands


def register(group: Commands) -> None:
    pass
