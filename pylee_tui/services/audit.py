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
# An event about a member's own (user-scope) key: one of its writes or reveals, its metadata
# scope "user". Only they and admins see it. (coalesce: an event with no scope in its metadata
# is not personal; `!=` on NULL would be NULL and so hide it)
_NOT_PERSONAL = "coalesce(json_extract(metadata, '$.scope'), '') != 'user'"
# what a plain member sees as the target of a chain read whose target was its actor's personal
# key (no key is written so: keys are capitals, digits and _)
PERSONAL_LABEL = "(a personal key)"
# the target label as `shown_to` gives it to the viewer (the parameter), in SQL: so a
# search of the log by another member never matches a personal name it does not show
_SHOWN_LABEL = (
    "(CASE WHEN actor != ? AND target_label IN "
    "(SELECT value FROM json_each(metadata, '$.personal_keys')) "
    f"THEN '{PERSONAL_LABEL}' ELSE target_label END)"
)
# the actor's keys at the user scope of the org among those named (a JSON list)
_PERSONAL_AMONG = (
    "SELECT u.key FROM members m JOIN user_variables u ON u.member_id = m.id "
    "WHERE m.org_id = ? AND m.email = ? AND u.key IN (SELECT value FROM json_each(?)) "
    "ORDER BY u.key"
)


def chain_names(action: str, label: str, metadata: Mapping[str, Any]) -> set[str]:
    """The keys a secret read along a chain names: an export's or a launch's `keys`, or a
    reveal through a reference (its `via`, and its label: the secret it decrypted). Empty for
    any other event, an event about one key at its own scope (a set, a plain reveal) included:
    its label is that scope's key, whatever the actor keeps for themselves."""
    if not action.startswith("secret.") or metadata.get("scope") == "user":
        return set()
    names: set[str] = set()
    keys = metadata.get("keys")
    if isinstance(keys, list):
        names.update(k for k in keys if isinstance(k, str))
    via = metadata.get("via")
    if isinstance(via, str):
        names.update((via, label))
    return names


def shown_to(event: AuditEvent, viewer: str) -> AuditEvent:
    """`event` as a member who is neither its actor nor an admin sees it: without the names of
    its actor's personal keys it recorded (`personal_keys`), the event itself still there."""
    personal = event.metadata.get("personal_keys")
    if personal is None or event.actor == viewer:
        return event
    hidden = {k for k in personal if isinstance(k, str)} if isinstance(personal, list) else set()
    metadata = {k: v for k, v in event.metadata.items() if k != "personal_keys"}
    keys = metadata.get("keys")
    if isinstance(keys, list):
        metadata["keys"] = [k for k in keys if k not in hidden]
    if metadata.get("via") in hidden:
        del metadata["via"]
    label = PERSONAL_LABEL if event.target_label in hidden else event.target_label
    return event._replace(target_label=label, metadata=metadata)


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

    def sql(self, viewer: str | None = None) -> tuple[str, list[Any]]:
        """The WHERE conditions (each starting with AND) and their parameters; bad values are
        refused with InvalidInput. With `viewer` (a plain member), the query matches the target
        labels as `shown_to` gives them."""
        clauses: list[str] = []
        params: list[Any] = []
        if self.query:
            label = "target_label" if viewer is None else _SHOWN_LABEL
            clauses.append(
                f"(actor LIKE ? OR action LIKE ? OR {label} LIKE ? OR target_type LIKE ?)"
            )
            like = f"%{self.query}%"
            params += [like, like, *([] if viewer is None else [viewer]), like, like]
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


# audited reads (a secret read, a server started with secrets, an export written on a member's
# machine): they change nothing another member's app would show again
READ_EVENTS = (
    "secret.reveal",
    "secret.copy",
    "secret.export",
    "secret.compare",
    "secret.run",
    "secret.check",
    "secret.call",
    "registry.export",
)


class AuditService(Service):
    def newest_change(self) -> int:
        """The id of the newest audit event that records a change: every change to the store
        is audited, and the audit log is append-only, so the number grows with each change and
        with nothing else (a team server's `/v1/changes`: the app polls it to show other
        members' changes)."""
        marks = ", ".join("?" for _ in READ_EVENTS)
        row = self.store.rows(
            f"SELECT coalesce(max(id), 0) AS n FROM audit_events WHERE action NOT IN ({marks})",
            list(READ_EVENTS),
        )
        return int(row[0]["n"])

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
        inside the transaction of the change it describes. A secret read along a chain records
        which of the keys it names are, now, the actor's own at the user scope of the org
        (`personal_keys`): the names a plain member's listing leaves out."""
        metadata = metadata or {}
        leaked = _FORBIDDEN_KEYS & set(metadata)
        if leaked:
            raise ValueError(f"audit metadata must not carry values: {sorted(leaked)}")
        names = chain_names(action, label, metadata)
        if names:
            rows = db.execute(_PERSONAL_AMONG, [org["id"], actor, json.dumps(sorted(names))])
            personal = [key for (key,) in rows]
            if personal:
                metadata = {**metadata, "personal_keys": personal}
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
        first event is asked for. Unless the actor is an admin (`members:manage`), nobody
        learns who overrides which key: another member's events about their own user-scope keys
        are left out (in SQL, so a limit and the pages count what is shown), and their chain
        reads come without the personal names (`shown_to`; an event recorded before those were
        noted shows as it is)."""
        where = where or AuditFilter()
        if query:
            where = AuditFilter(query, where.action, where.by, where.since, where.until)
        org, member = self.services.access.visible_org(actor, org_slug)
        if member.allows("members:manage"):
            selection = Selection.of(where, limit, before)
            return self._pages("org_id = ?", [org["id"]], selection, stop)
        selection = Selection.of(where, limit, before, viewer=actor)
        key = f"org_id = ? AND (actor = ? OR {_NOT_PERSONAL})"
        return self._pages(key, [org["id"], actor], selection, stop, viewer=actor)

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
        *,
        viewer: str | None = None,
    ) -> Iterator[AuditEvent]:
        """Keyset pages newest first: each page starts below the last id of the one before,
        on the (org_id, id) or (actor, id) index, so the thousandth page costs what the first
        does. The store is locked for one page at a time, never while the caller works. Each
        event as `viewer` (a plain member) may see it, if given."""
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
            yield from page if viewer is None else (shown_to(e, viewer) for e in page)
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
    def of(
        cls,
        where: AuditFilter,
        limit: int | None,
        before: int | None,
        *,
        viewer: str | None = None,
    ) -> Selection:
        if limit is not None and (
            isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= LIMIT_MAX
        ):
            big = isinstance(limit, int) and limit.bit_length() > 64
            shown = "a number too large for the store" if big else repr(limit)
            raise InvalidInput(f"limit must be from 1 to {LIMIT_MAX:,} (got {shown})")
        if before is not None and (isinstance(before, bool) or not isinstance(before, int)):
            raise InvalidInput(f"before must be an event id (got {before!r})")
        conditions, params = where.sql(viewer)
        return cls(conditions, params, limit, before)
