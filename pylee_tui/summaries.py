"""What a list shows of a thing, as a plain frozen dataclass built straight from its row (listing is
a hot path: `pylee-tui org list` starts cold, so these records need no pydantic to be made), and
how a count is worded."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pylee_tui.fields import Role


@dataclass(frozen=True)
class OrgSummary:
    """An organization as a list shows it: with counts and the viewer's role."""

    id: int
    name: str
    slug: str
    created_at: datetime
    description: str = ""
    registry_count: int = 0
    member_count: int = 0
    role: Role | None = None
    admins: tuple[str, ...] = ()

    @classmethod
    def from_row(cls, row: Mapping[str, Any]) -> OrgSummary:
        """From `OrgService.list_orgs`' query: `admins` is their emails, one a line."""
        return cls(
            id=row["id"],
            name=row["name"],
            slug=row["slug"],
            created_at=datetime.fromisoformat(row["created_at"]),
            description=row["description"],
            registry_count=row["registry_count"],
            member_count=row["member_count"],
            role=row["role"],
            admins=tuple((row["admins"] or "").split("\n")),
        )


def plural(n: int, word: str) -> str:
    """`1 registry`, `2 registries`, `3 servers`."""
    if n == 1:
        return f"1 {word}"
    if word.endswith("y") and word[-2:-1] not in "aeiou":
        return f"{n} {word[:-1]}ies"
    if word == "variable or secret":
        return f"{n} variables or secrets"
    return f"{n} {word}s"
