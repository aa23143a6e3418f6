"""The append-only audit log: every mutating service call writes one event in its transaction.

Listings filter in SQL: free text (who, action, target), an action prefix (`secret.` for every
secret change), the acting email, and a time range whose ends are ISO dates or datetimes in UTC.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING, Any

from pylee_tui.fields import to_iso
from pylee_tui.services.base import Service, valid
from pylee_tui.services.errors import InvalidInput
from pylee_tui.summaries import AUDIT_COLUMNS, AuditEvent

if TYPE_CHECKING:
    import sqlite_utils

# the most events one listing returns (SQLite takes a 64-bit LIMIT; a person never needs more)
LIMIT_MAX = 100_000
# metadata keys that must never carry a value into the log
_FORBIDDEN_KEYS = {"value", "secret", "passphrase", "plaintext"}
# the longest action prefix or time a filter takes (actions are short dotted words)
_FILTER_MAX = 100
# events read at a time by a listing (memory holds one page, however long the log)
PAGE = 1000
# An event that names a member's own (user-scope) keys, which only they and admins may see:
# one of the key's own writes or reveals (metadata scope "user"), or a secret read along a
# chain (a copy, an export, a launch) naming a key its actor keeps, or kept, at the user scope.
# (coalesce: an event with no scope in its metadata must count as not personal, not as NULL,
# which `NOT` would keep NULL and so hide the event)
_PERSONAL = """(
    coalesce(json_extract(metadata, '$.scope'), '') = 'user'
    OR (substr(action, 1, 7) = 'secret.' AND EXISTS (
        SELECT 1 FROM user_variable_versions uv JOIN members m ON m.id = uv.member_id
        WHERE m.org_id = audit_events.org_id AND m.email = audit_events.actor
          AND (uv.key = audit_events.target_label
               OR uv.key = json_extract(audit_events.metadata, '$.via')
               OR uv.key IN (SELECT value FROM json_each(audit_events.metadata, '$.keys')))
    ))
)"""


@dataclass(frozen=True)
class Moment:
    """One end of a time range, as the SQL comparison it makes on `created_at`."""

    operator: str  # >=, <= or <
    iso: str  # stored timestamps are ISO text in UTC, so they compare as text


def parse_moment(text: str | date | datetime, *, end: bool) -> Moment:
    """The start (`end=False`) or end of a time range. A date is the whole day: from its first
    moment, or up to the next day's; a datetime without an offset is UTC."""
    shown = str(text).strip()
    shown = shown if len(shown) <= 40 else shown[:37] + "…"
    refused = InvalidInput(
        f"{shown!r} is not a date or time (use 2026-01-31 or 2026-01-31T09:30, UTC)"
    )
    moment: date  # or a datetime, which is a date too
    if isinstance(text, str):
        raw = text.strip()
        if len(raw) > _FILTER_MAX:
            raise refused
        try:
            moment = date.fromisoformat(raw)
        except ValueError:
            try:
                moment = datetime.fromisoformat(raw)
            except ValueError:
                raise refused from None
    else:
        moment = text
    try:
        if not isinstance(moment, datetime):
            start = datetime(moment.year, moment.month, moment.day, tzinfo=UTC)
            if not end:
                return Moment(">=", to_iso(start))
            if moment == date.max:  # the last day there is: up to its end
                return Moment("<=", to_iso(datetime.max.replace(tzinfo=UTC)))
            return Moment("<", to_iso(start + timedelta(days=1)))
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=UTC)
        return Moment("<=" if end else ">=", to_iso(moment))
    except (OverflowError, ValueError):  # an offset that moves it past year 1 or 9999
        raise refused from None


@dataclass(frozen=True)
class AuditFilter:
    """What a listing keeps; every part optional."""

    query: str = ""  # a substring of who, action or target
    action: str | None = None  # an action or its prefix: "registry.export", "secret."
    by: str | None = None  # the email that acted
    since: str | date | datetime | None = None
    until: str | date | datetime | None = None

    def sql(self) -> tuple[str, list[Any]]:
        """The WHERE conditions (each starting with AND) and their parameters; bad values are
        refused with InvalidInput."""
        clauses: list[str] = []
        params: list[Any] = []
        if self.query:
            clauses.append(
                "(actor LIKE ? OR action LIKE ? OR target_label LIKE ? OR target_type LIKE ?)"
            )
            params += [f"%{self.query}%"] * 4
        if self.action is not None:
            prefix = self.action.strip().lower()
            if not prefix or len(prefix) > _FILTER_MAX:
                raise InvalidInput(
                    f"an action to filter by is 1 to {_FILTER_MAX} characters, "
                    "e.g. registry.export or secret."
                )
            # a prefix, compared as text (LIKE would read _ and % in it as wildcards)
            clauses.append("substr(action, 1, ?) = ?")
            params += [len(prefix), prefix]
        if self.by is not None:
            clauses.append("actor = ?")
            params.append(valid("email", self.by))
        bounds = [
            parse_moment(value, end=end)
            for value, end in ((self.since, False), (self.until, True))
            if value is not None
        ]
        if len(bounds) == 2:
            start, stop = bounds
            if start.iso > stop.iso or (start.iso == stop.iso and stop.operator == "<"):
                raise InvalidInput("the time range ends before it starts")
        for bound in bounds:
            clauses.append(f"created_at {bound.operator} ?")
            params.append(bound.iso)
        return "".join(f" AND {clause}" for clause in clauses), params


_ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")


def query_narrows(before: str, after: str) -> bool:
    """Every event `AuditFilter(after).query` keeps is one `AuditFilter(before).query` kept
    (the filter was typed on: `after` holds `before`), and `query_matches` answers as the
    database does for `after` (no LIKE wildcard in it). Then a listing for `before` read to its
    end may be filtered further in memory instead of searching the whole log again."""
    if "%" in after or "_" in after:
        return False
    return before.translate(_ASCII_LOWER) in after.translate(_ASCII_LOWER)


def query_matches(event: AuditEvent, query: str) -> bool:
    """What `AuditFilter(query)` keeps, for a query `query_narrows` accepts: `query` in who,
    action, target label or target type, ignoring the case of ASCII letters (as SQLite's LIKE)."""
    needle = query.translate(_ASCII_LOWER)
    return any(
        needle in text.translate(_ASCII_LOWER)
        for text in (event.actor, event.action, event.target_label, event.target_type)
    )


class AuditService(Service):
    def record(
        self,
        db: sqlite_utils.Database,
        actor: str,
        org: Mapping[str, Any],
        action: str,
        target_type: str,
        target_id: Any,
        label: str,
        metadata: dict[str, Any] | None = None,
    ) -> None:
        """Append one event of `org` (its `id` and `slug`, e.g. an organizations row). Call
        inside the transaction of the change it describes."""
        metadata = metadata or {}
        leaked = _FORBIDDEN_KEYS & set(metadata)
        if leaked:
            raise ValueError(f"audit metadata must not carry values: {sorted(leaked)}")
        db.table("audit_events").insert(
            {
                "org_id": org["id"],
                "org_slug": org["slug"],
                "actor": actor,
                "action": action,
                "target_type": target_type,
                "target_id": None if target_id is None else str(target_id),
                "target_label": label,
                "created_at": self.now(),
                "metadata": json.dumps(metadata, sort_keys=True),
            }
        )

    def list_for_org(
        self,
        actor: str,
        org_slug: str,
        *,
        limit: int | None = None,
        query: str = "",
        where: AuditFilter | None = None,
        before: int | None = None,
        stop: Callable[[], bool] | None = None,
    ) -> list[AuditEvent]:
        """Events of one org, newest first; any member of the org may read them. `query` is
        `AuditFilter.query`, kept for the app's filter box; `before` an event id: only older
        events (the next page of a listing that ended there); `stop` ends the read early (see
        `Store.tuples`: a filter typed on gives up the search for its previous letters)."""
        events = self.stream_for_org(
            actor, org_slug, limit=limit, where=where, query=query, before=before, stop=stop
        )
        return list(events)

    def list_by_actor(
        self,
        actor: str,
        *,
        limit: int | None = None,
        where: AuditFilter | None = None,
        before: int | None = None,
    ) -> list[AuditEvent]:
        """Your own events across every org, deleted ones included, newest first."""
        return list(self.stream_by_actor(actor, limit=limit, where=where, before=before))

    def stream_for_org(
        self,
        actor: str,
        org_slug: str,
        *,
        limit: int | None = None,
        where: AuditFilter | None = None,
        query: str = "",
        before: int | None = None,
        stop: Callable[[], bool] | None = None,
    ) -> Iterator[AuditEvent]:
        """`list_for_org`, read a page at a time as it is consumed: memory stays one page
        however long the log. The access, the filters and the limit are checked now, before the
        first event is asked for. An event naming another member's user-scope keys is left out
        (in SQL, so a limit and the pages count what is shown) unless the actor is an admin
        (`members:manage`): nobody else learns who overrides which key."""
        where = where or AuditFilter()
        if query:
            where = AuditFilter(query, where.action, where.by, where.since, where.until)
        selection = Selection.of(where, limit, before)
        org, member = self.services.access.visible_org(actor, org_slug)
        if member.allows("members:manage"):
            return self._pages("org_id = ?", [org["id"]], selection, stop)
        key = f"org_id = ? AND (actor = ? OR NOT {_PERSONAL})"
        return self._pages(key, [org["id"], actor], selection, stop)

    def stream_by_actor(
        self,
        actor: str,
        *,
        limit: int | None = None,
        where: AuditFilter | None = None,
        before: int | None = None,
    ) -> Iterator[AuditEvent]:
        """`list_by_actor`, a page at a time (see `stream_for_org`)."""
        where = where or AuditFilter()
        if where.by is not None and valid("email", where.by) != actor:
            raise InvalidInput(
                "without an organization only your own events are listed; "
                "name the organization to see what someone else did"
            )
        return self._pages("actor = ?", [actor], Selection.of(where, limit, before))

    def _pages(
        self,
        key: str,
        params: list[Any],
        selection: Selection,
        stop: Callable[[], bool] | None = None,
    ) -> Iterator[AuditEvent]:
        """Keyset pages newest first: each page starts below the last id of the one before,
        on the (org_id, id) or (actor, id) index, so the thousandth page costs what the first
        does. The store is locked for one page at a time, never while the caller works."""
        left, before = selection.limit, selection.before
        while left is None or left > 0:
            size = PAGE if left is None else min(PAGE, left)
            sql = f"SELECT {AUDIT_COLUMNS} FROM audit_events WHERE {key}{selection.conditions}"
            args = [*params, *selection.params]
            if before is not None:
                sql += " AND id < ?"
                args.append(before)
            sql += f" ORDER BY id DESC LIMIT {size}"
            rows = self.store.tuples(sql, args, stop=stop)
            try:
                page = [AuditEvent.from_row(row) for row in rows]
            except (ValueError, TypeError) as exc:  # a row written behind our back
                raise InvalidInput(f"stored audit event is invalid: {exc}") from None
            yield from page
            if len(rows) < size:
                return
            before = page[-1].id
            if left is not None:
                left -= len(page)


@dataclass(frozen=True)
class Selection:
    """What a listing asked for, checked: its SQL conditions, at most how many, below which id."""

    conditions: str
    params: list[Any]
    limit: int | None
    before: int | None

    @classmethod
    def of(cls, where: AuditFilter, limit: int | None, before: int | None) -> Selection:
        if limit is not None and (
            isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= LIMIT_MAX
        ):
            big = isinstance(limit, int) and limit.bit_length() > 64
            shown = "a number too large for the store" if big else repr(limit)
            raise InvalidInput(f"limit must be from 1 to {LIMIT_MAX:,} (got {shown})")
        if before is not None and (isinstance(before, bool) or not isinstance(before, int)):
            raise InvalidInput(f"before must be an event id (got {before!r})")
        conditions, params = where.sql()
        return cls(conditions, params, limit, before)
