"""`pylee-tui member review --org O [--json]` end to end through `main(argv)`, on a clock moved
by hand."""

from __future__ import annotations

import shlex
from pathlib import Path

import pytest

from pylee_tui.services import Services
from pylee_tui.store import Store
from tests.cli.expect import as_json, ok, one_error_line, rows
from tests.support import ANN, BOB, CARL, CliRunner, Clock

ORG = ("--org", "acme")


def with_clock(db: Path, clock: Clock, work) -> None:
    store = Store(db)
    try:
        work(Services(store, clock=clock))
    finally:
        store.close()


@pytest.fixture
def reviewed(cli: CliRunner) -> CliRunner:
    """acme made long ago (the test clock's start): ann admin, bob a member with
    registries:write who then did nothing; carl invited 100 days later, never accepted. Ann
    acts now (the real clock)."""
    clock = Clock()

    def past(s: Services) -> None:
        s.orgs.create(ANN, "Acme")
        s.members.invite(ANN, "acme", BOB)
        s.members.accept(BOB, "acme")
        s.members.grant(ANN, "acme", BOB, "registries:write")
        clock.advance(days=100)
        s.members.invite(ANN, "acme", CARL)

    with_clock(cli.db, clock, past)
    ok(cli("registry", "create", "Tools", *ORG))  # ann, now
    return cli


def test_the_review_flags_and_prints_the_commands_that_act_on_them(reviewed: CliRunner) -> None:
    out = ok(reviewed("member", "review", *ORG))
    assert "2 active members, 1 admin" in out
    assert f"! only one admin ({ANN})" in out
    assert "! 1 invitation past expiry" in out
    assert "! 1 member with no activity for 90 days" in out
    table = {line.split()[0]: line for line in out.splitlines() if "@" in line.split(" ")[0]}
    assert "inactive 90+ days" in table[BOB] and "registries:write" in table[BOB]
    assert "expired" in table[CARL] and "never" in table[CARL]
    assert "only admin" in table[ANN]
    commands = [line.strip() for line in out.splitlines() if line.startswith("  pylee-tui ")]
    assert commands == [
        f"pylee-tui member revoke {BOB} registries:write --org acme",
        f"pylee-tui member remove {BOB} --org acme --yes",
        f"pylee-tui member remove {CARL} --org acme --yes",
        "pylee-tui member role EMAIL admin --org acme",
    ]
    # the printed commands run as they are, and the review then has nothing to flag but ann
    for command in commands[:3]:
        ok(reviewed(*shlex.split(command)[1:]))
    after = ok(reviewed("member", "review", *ORG))
    assert BOB not in after and CARL not in after
    assert "1 active member, 1 admin" in after


def test_the_review_as_json(reviewed: CliRunner) -> None:
    data = as_json(reviewed("member", "review", *ORG, "--json"))
    assert data["org"] == "acme" and data["admins"] == 1
    members = {m["email"]: m for m in data["members"]}
    assert members[CARL]["status"] == "expired"
    assert members[CARL]["flags"] == ["invitation expired"]
    assert members[CARL]["last_activity"] is None
    assert members[BOB]["flags"] == ["inactive 90+ days"]
    assert members[BOB]["grants"] == ["registries:write"]
    assert members[BOB]["commands"][-1] == f"pylee-tui member remove {BOB} --org acme --yes"
    assert members[ANN]["last_activity"] > members[BOB]["last_activity"]
    assert len(data["warnings"]) == 3


def test_a_plain_member_gets_the_one_line_refusal_and_nothing_changes(
    reviewed: CliRunner,
) -> None:
    before = rows(reviewed.db)
    refused = reviewed("member", "review", *ORG, user=BOB)
    assert refused.code == 1 and refused.out == ""
    assert "cannot review members in 'acme': it needs the admin role" in one_error_line(refused)
    assert rows(reviewed.db) == before
