"""A Markdown document to edit (an org's or a registry's overview): its text, the version it
started from, and how to save and reload it; the overview editor screen edits one."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

# save(text, base, force) -> the new base; load() -> (text, base). Both run in a worker.
SaveFn = Callable[[str, datetime | None, bool], datetime | None]
LoadFn = Callable[[], tuple[str, datetime | None]]


@dataclass(frozen=True)
class MarkdownDocument:
    """What the editor edits: its text, the version it started from, and how to save/reload."""

    title: str
    slug: str
    text: str
    base: datetime | None
    save: SaveFn
    load: LoadFn
