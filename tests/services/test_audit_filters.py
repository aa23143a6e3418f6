"""Audit listings filtered by action (or its prefix), by who acted and by a time range (UTC):
decided in the AuditService's SQL; the CLI passes its options through."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from pylee_tui.services import InvalidInput, Services
from pylee_tui.services.audit import AuditFilter
from pylee_tui.store import Store
from tests.support import ANN, BOB, CliRunner, Clock

JAN_1 = datetime(2026, 1, 1, 9, 0, tzinfo=UTC)


def seed(services: Services, clock: Clock) -> None:
    """Jan 1 09:00 org.create (ann) · Jan 2 09:00 member.invite (ann) · Jan 2 10:00
    member.accept (bob) · Jan 3 09:00 org.rename (ann) · Jan 3 09:00 org.description (ann)."""
    clock.now = JAN_1
    services.orgs.create(ANN, "Acme")
    clock.advance(days=1)
    services.members.invite(ANN, "acme", BOB)
    clock.advance(hours=1)
    services.members.accept(BOB, "acme")
    clock.advance(days=1, hours=-1)
    services.orgs.edit(ANN, "acme", name="Acme 2")
    services.orgs.edit(ANN, "acme", description="Second")


@pytest.fixture
def seeded(services: Services, clock: Clock) -> Services:
    seed(services, clock)
    return services


def actions(services: Services, user: str = ANN, **where) -> list[str]:
    events = services.audit.list_for_org(user, "acme", where=AuditFilter(**where))
    return [e.action for e in events]


ALL = ["org.description", "org.rename", "member.accept", "member.invite", "org.create"]


def test_no_filter_lists_everything_newest_first(seeded):
    assert actions(seeded) == ALL


@pytest.mark.parametrize(
    ("prefix", "expected"),
    [
        ("org.", ["org.description", "org.rename", "org.create"]),
        ("member.accept", ["member.accept"]),
        ("MEMBER.", ["member.accept", "member.invite"]),
        ("org.rename", ["org.rename"]),
        ("registry.", []),
        ("org_", []),  # an underscore is a character here, not a LIKE wildcard
        ("%", []),
    ],
)
def test_action_filter_is_a_prefix(seeded, prefix, expected):
    assert actions(seeded, action=prefix) == expected


def test_actor_filter_keeps_one_email(seeded):
    assert actions(seeded, by=BOB) == ["member.accept"]
    assert actions(seeded, by="Bob@Example.com") == ["member.accept"]
    assert actions(seeded, by="carl@example.com") == []


@pytest.mark.parametrize(
    ("since", "until", "expected"),
    [
        ("2026-01-02", None, ALL[:4]),
        (None, "2026-01-02", ALL[2:]),  # a date is the whole day
        ("2026-01-02", "2026-01-02", ["member.accept", "member.invite"]),
        ("2026-01-02T09:30", None, ALL[:3]),
        (None, "2026-01-02T09:00", ["member.invite", "org.create"]),  # a moment: inclusive
        ("2026-01-02T11:00+02:00", "2026-01-02T11:00+02:00", ["member.invite"]),  # 09:00 UTC
        ("2026-01-02T10:00Z", None, ALL[:3]),
        ("2026-01-04", None, []),
        (datetime(2026, 1, 3, tzinfo=UTC), None, ALL[:2]),
    ],
)
def test_time_range_in_utc(seeded, since, until, expected):
    assert actions(seeded, since=since, until=until) == expected


def test_filters_combine_with_each_other_and_with_the_text_query(seeded):
    assert actions(seeded, action="org.", by=ANN, since="2026-01-03") == ALL[:2]
    events = seeded.audit.list_for_org(
        ANN, "acme", query="rename", where=AuditFilter(action="org.")
    )
    assert [e.action for e in events] == ["org.rename"]
    mine = seeded.audit.list_by_actor(ANN, where=AuditFilter(until="2026-01-02"))
    assert [e.action for e in mine] == ["member.invite", "org.create"]


@pytest.mark.parametrize(
    "where",
    [
        {"since": "yesterday"},
        {"until": "2026-13-01"},
        {"since": "2026-01-01T25:00"},
        {"until": "x" * 10_000},
        {"since": "0001-01-01T00:00+01:00"},  # before year 1 in UTC
        {"since": "2026-01-03", "until": "2026-01-02"},
        {"action": ""},
        {"action": "   "},
        {"action": "a" * 101},
        {"by": "bob"},
        {"by": ""},
    ],
)
def test_bad_filters_are_refused_with_one_line(seeded, where):
    with pytest.raises(InvalidInput) as refused:
        actions(seeded, **where)
    message = str(refused.value)
    assert "\n" not in message and len(message) < 200
    assert "--" not in message  # the service speaks for the app too: no CLI flags


# --- the CLI ----------------------------------------------------------------------------------


@pytest.fixture
def cli_seeded(cli: CliRunner) -> CliRunner:
    cli.db.parent.mkdir(parents=True, exist_ok=True)
    store = Store(cli.db)
    try:
        seed(Services(store, clock=(clock := Clock())), clock)
    finally:
        store.close()
    return cli


def cli_actions(cli: CliRunner, *argv: str) -> list[str]:
    result = cli("audit", *argv, "--json")
    assert result.code == 0, result.err
    return [event["action"] for event in json.loads(result.out)]


def test_cli_audit_filters(cli_seeded):
    cli = cli_seeded
    assert cli_actions(cli, "--org", "acme") == ALL
    assert cli_actions(cli, "--org", "acme", "--action", "member.") == ALL[2:4]
    assert cli_actions(cli, "--org", "acme", "--action", "org.create") == ["org.create"]
    assert cli_actions(cli, "--org", "acme", "--actor", BOB) == ["member.accept"]
    assert cli_actions(cli, "--org", "acme", "--since", "2026-01-02", "--until", "2026-01-02") == [
        "member.accept",
        "member.invite",
    ]
    assert cli_actions(cli, "--org", "acme", "--since", "2026-01-03T00:00:00Z") == ALL[:2]
    assert cli_actions(cli, "--until", "2026-01-01") == ["org.create"]  # your own events
    assert cli_actions(cli, "--org", "acme", "--action", "org.", "--limit", "1") == ALL[:1]
    table = cli("audit", "--org", "acme", "--actor", BOB)
    assert table.code == 0 and "member.accept" in table.out and "org.create" not in table.out


@pytest.mark.parametrize(
    ("argv", "code"),
    [
        (("--org", "acme", "--since", "soon"), 1),
        (("--org", "acme", "--until", "2026-02-30"), 1),
        (("--org", "acme", "--since", "2026-01-03", "--until", "2026-01-01"), 1),
        (("--org", "acme", "--actor", "not-an-email"), 1),
        (("--org", "acme", "--action", ""), 1),
        (("--org", "acme", "--since"), 2),
        (("--org", "acme", "--action"), 2),
    ],
)
def test_cli_audit_bad_filters_are_one_line(cli_seeded, argv, code):
    result = cli_seeded("audit", *argv)
    assert result.code == code
    assert result.out == ""
    assert len(result.err.strip().splitlines()) == 1, result.err


def test_your_own_events_cannot_be_filtered_by_someone_else(seeded):
    assert [e.action for e in seeded.audit.list_by_actor(ANN, where=AuditFilter(by=ANN))] == [
        "org.description",
        "org.rename",
        "member.invite",
        "org.create",
    ]
    with pytest.raises(InvalidInput, match="name the organization"):
        seeded.audit.list_by_actor(ANN, where=AuditFilter(by=BOB))
