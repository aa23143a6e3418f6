"""What a list shows of a thing, as a plain immutable record built straight from its row (listing
is a hot path: `pylee-tui org list` starts cold and an audit log runs to 100,000 events, so these
records need no pydantic to be made), and how a count is worded."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal, NamedTuple

import orjson

from pylee_tui.fields import Role

# the columns `AuditEvent.from_row` reads, in its order
AUDIT_COLUMNS = (
    "id, org_id, org_slug, actor, action, target_type, target_id, target_label, created_at, "
    "metadata"
)


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


class AuditEvent(NamedTuple):
    """One event of the audit log. A named tuple: the cheapest immutable record Python makes,
    since a log is read by the page and `audit --json` turns every event of an org into JSON."""

    id: int
    org_id: int | None
    org_slug: str | None
    actor: str
    action: str
    target_type: str
    target_id: str | None
    target_label: str
    created_at: datetime
    metadata: dict[str, Any]

    @classmethod
    def from_row(cls, row: tuple[Any, ...]) -> AuditEvent:
        """From a row of `AUDIT_COLUMNS`; ValueError for one that is not what the log writes."""
        event_id, org_id, org_slug, actor, action, kind, target, label, created_at, text = row
        try:
            metadata = orjson.loads(text)
        except orjson.JSONDecodeError:
            metadata = None
        if type(metadata) is not dict:
            metadata = json.loads(text)  # the error that says what is wrong, or the object
            if not isinstance(metadata, dict):
                raise ValueError(f"metadata is not an object: {text[:40]!r}")
        when = datetime.fromisoformat(created_at)
        return tuple.__new__(
            cls, (event_id, org_id, org_slug, actor, action, kind, target, label, when, metadata)
        )

    def model_dump(self, *, mode: Literal["python", "json"] = "python") -> dict[str, Any]:
        """Every field by name, as the pydantic records dump themselves (`mode="json"`: the
        time as ISO text), for code that dumps any record alike."""
        return _dumped(self, mode)


def _dumped(event: AuditEvent, mode: Literal["python", "json"]) -> dict[str, Any]:
    data = event._asdict()
    if mode == "json":
        data["created_at"] = event.created_at.isoformat()
    return data


def plural(n: int, word: str) -> str:
    """`1 registry`, `2 registries`, `3 servers`."""
    if n == 1:
        return f"1 {word}"
    if word.endswith("y") and word[-2:-1] not in "aeiou":
        return f"{n} {word[:-1]}ies"
    if word == "variable or secret":
        return f"{n} variables or secrets"
    return f"{n} {word}s"
