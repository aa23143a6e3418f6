"""The audit log read a page at a time: the same events as one listing, in the same order, with
the filters applied in SQL, memory for one page, and a read that stops when asked to."""

from __future__ import annotations

import json
import sqlite3

import pytest

from pylee_tui.services import InvalidInput, NotFound, Services
from pylee_tui.services import audit as audit_module
from pylee_tui.services.audit import AuditFilter
from tests.support import ANN, BOB, Clock

EVENTS = 23  # and the org.create


@pytest.fixture
def logged(services: Services, clock: Clock) -> Services:
    services.orgs.create(ANN, "Acme")
    services.orgs.create(BOB, "Beta")
    with services.store.transaction() as db:
        for n in range(EVENTS):
            clock.advance(minutes=1)
            services.audit.record(
                db,
                ANN if n % 2 else BOB,
                {"id": 1, "slug": "acme"},
                "registry.export" if n % 3 else "secret.set",
                "registry",
                n,
                f"label-{n:02d}",
                {"n": n},
            )
    return services


def ids(events) -> list[int]:
    return [e.id for e in events]


@pytest.mark.parametrize("page", [1, 4, 5, 100])
@pytest.mark.parametrize(
    "where",
    [
        AuditFilter(),
        AuditFilter(query="label-1"),
        AuditFilter(action="secret."),
        AuditFilter(by=BOB),
    ],
    ids=["all", "query", "action", "by"],
)
def test_pages_give_the_events_one_listing_gives(logged, monkeypatch, page, where) -> None:
    whole = logged.audit.list_for_org(ANN, "acme", where=where)
    monkeypatch.setattr(audit_module, "PAGE", page)
    assert ids(logged.audit.stream_for_org(ANN, "acme", where=where)) == ids(whole)
    assert ids(logged.audit.list_for_org(ANN, "acme", where=where)) == ids(whole)
    for limit in (1, 3, len(whole) or 1):
        streamed = logged.audit.stream_for_org(ANN, "acme", where=where, limit=limit)
        assert ids(streamed) == ids(whole)[:limit]


def test_before_reads_on_from_an_event(logged) -> None:
    whole = ids(logged.audit.list_for_org(ANN, "acme"))
    assert whole == sorted(whole, reverse=True)
    assert ids(logged.audit.list_for_org(ANN, "acme", before=whole[4], limit=3)) == whole[5:8]
    assert ids(logged.audit.list_for_org(ANN, "acme", before=whole[-1])) == []


def test_your_own_events_by_the_page(logged, monkeypatch) -> None:
    whole = ids(logged.audit.list_by_actor(BOB))
    monkeypatch.setattr(audit_module, "PAGE", 2)
    assert ids(logged.audit.stream_by_actor(BOB)) == whole
    assert all(e.actor == BOB for e in logged.audit.stream_by_actor(BOB))


def test_a_page_is_read_only_when_it_is_reached(logged, monkeypatch) -> None:
    monkeypatch.setattr(audit_module, "PAGE", 5)
    reads: list[str] = []
    logged.store.conn.set_trace_callback(reads.append)
    try:
        stream = logged.audit.stream_for_org(ANN, "acme")
        pages = lambda: [s for s in reads if s.startswith("SELECT id, org_id")]  # noqa: E731
        assert pages() == []
        next(stream)
        assert len(pages()) == 1
        for _ in range(5):
            next(stream)
        assert len(pages()) == 2
    finally:
        logged.store.conn.set_trace_callback(None)


def test_refusals_come_before_the_first_event_is_asked_for(logged) -> None:
    with pytest.raises(NotFound):
        logged.audit.stream_for_org(ANN, "beta")
    with pytest.raises(InvalidInput, match="limit"):
        logged.audit.stream_for_org(ANN, "acme", limit=0)
    with pytest.raises(InvalidInput, match="not a date"):
        logged.audit.stream_for_org(ANN, "acme", where=AuditFilter(since="soon"))
    with pytest.raises(InvalidInput, match="only your own events"):
        logged.audit.stream_by_actor(ANN, where=AuditFilter(by=BOB))


def test_a_read_asked_to_stop_stops(logged) -> None:
    asked: list[bool] = []

    def stop() -> bool:
        asked.append(True)
        return True

    # a search over every event: long enough for SQLite to ask
    with logged.store.transaction() as db:
        for n in range(3000):
            logged.audit.record(db, ANN, {"id": 1, "slug": "acme"}, "x.y", "t", n, "z")
    with pytest.raises(sqlite3.OperationalError, match="interrupted"):
        logged.audit.list_for_org(ANN, "acme", query="nowhere", stop=stop)
    assert asked
    # and the store reads on as before
    assert len(logged.audit.list_for_org(ANN, "acme", limit=2)) == 2


def test_an_event_written_behind_our_back_is_refused_in_one_line(logged, db_path) -> None:
    conn = sqlite3.connect(db_path)
    conn.execute(
        "INSERT INTO audit_events (org_id, org_slug, actor, action, target_type, created_at, "
        "metadata) VALUES (1, 'acme', ?, 'x', 't', '2026-01-01T00:00:00+00:00', ?)",
        [ANN, json.dumps([1, 2])],
    )
    conn.commit()
    conn.close()
    with pytest.raises(InvalidInput, match="stored audit event is invalid: metadata"):
        logged.audit.list_for_org(ANN, "acme")
