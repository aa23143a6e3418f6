"""`pylee-tui member ...` end to end through `main(argv)`."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.cli.expect import as_json, ok, one_error_line, rows
from tests.support import ANN, BOB, CARL, CliRunner

ORG = ("--org", "acme")
DAN = "dan@example.com"


@pytest.fixture
def acme(cli: CliRunner) -> CliRunner:
    """acme: ann admin, bob an active member, carl invited; beta is bob's."""
    ok(cli("org", "create", "Acme"))
    ok(cli("org", "create", "Beta", user=BOB))
    ok(cli("member", "invite", BOB, *ORG))
    ok(cli("member", "accept", *ORG, user=BOB))
    ok(cli("member", "invite", CARL, *ORG))
    return cli


def test_done_when_invite_accept_limit_grant_and_audit(cli: CliRunner) -> None:
    ok(cli("org", "create", "Acme"))
    said = ok(cli("member", "invite", "Bob@Example.com", *ORG))
    assert "Invited bob@example.com to acme as member" in said
    assert "member accept --org acme" in said
    ok(cli("member", "invite", CARL, "--role", "admin", *ORG))

    # bob cannot see acme until he accepts
    assert as_json(cli("org", "list", "--json", user=BOB)) == []
    assert f"Welcome to acme: you ({BOB}) are a member." in ok(
        cli("member", "accept", *ORG, user=BOB)
    )
    assert [o["slug"] for o in as_json(cli("org", "list", "--json", user=BOB))] == ["acme"]

    # a plain member can read but not invite or create registries
    assert BOB in ok(cli("member", "list", *ORG, user=BOB))
    refused = cli("member", "invite", DAN, *ORG, user=BOB)
    assert refused.code == 1
    assert "needs the admin role" in one_error_line(refused)
    refused = cli("registry", "create", "Tools", *ORG, user=BOB)
    assert refused.code == 1
    assert "grant 'registries:write'" in one_error_line(refused)

    # the grant takes effect at once
    assert "grants now: registries:write" in ok(
        cli("member", "grant", BOB, "registries:write", *ORG)
    )
    assert "Created registry Tools" in ok(cli("registry", "create", "Tools", *ORG, user=BOB))
    ok(cli("member", "revoke", BOB, "registries:write", *ORG))
    assert cli("registry", "create", "More", *ORG, user=BOB).code == 1

    ok(cli("member", "role", BOB, "admin", *ORG))
    ok(cli("member", "remove", CARL, *ORG, "--yes"))

    actions = [
        (e["actor"], e["action"], e["target_label"])
        for e in reversed(as_json(cli("audit", *ORG, "--json")))
    ]
    assert actions == [
        (ANN, "org.create", "Acme"),
        (ANN, "member.invite", BOB),
        (ANN, "member.invite", CARL),
        (BOB, "member.accept", BOB),
        (ANN, "member.grant", BOB),
        (BOB, "registry.create", "Tools"),
        (ANN, "member.revoke_grant", BOB),
        (ANN, "member.role", BOB),
        (ANN, "member.revoke_invitation", CARL),
    ]


def test_accepting_names_the_role_with_its_article(cli: CliRunner) -> None:
    ok(cli("org", "create", "Acme"))
    ok(cli("member", "invite", CARL, "--role", "admin", *ORG))
    assert f"Welcome to acme: you ({CARL}) are an admin." in ok(
        cli("member", "accept", *ORG, user=CARL)
    )


def test_member_list_table_and_json(acme: CliRunner) -> None:
    ok(acme("member", "grant", BOB, "secrets:write", *ORG))
    lines = ok(acme("member", "list", *ORG)).splitlines()
    assert lines[0].split() == ["EMAIL", "ROLE", "STATUS", "GRANTS", "INVITED_BY"]
    assert [line.split() for line in lines[1:]] == [
        [ANN, "admin", "active", "-", ANN],
        [BOB, "member", "active", "secrets:write", ANN],
        [CARL, "member", "invited", "-", ANN],
    ]
    listed = as_json(acme("member", "list", *ORG, "--json", user=BOB))
    bob = next(m for m in listed if m["email"] == BOB)
    assert set(bob) == {
        "email",
        "display_name",
        "role",
        "status",
        "grants",
        "invited_by",
        "invited_at",
        "joined_at",
    }
    assert (bob["role"], bob["status"], bob["grants"], bob["invited_by"]) == (
        "member",
        "active",
        ["secrets:write"],
        ANN,
    )
    assert bob["joined_at"] is not None
    assert next(m for m in listed if m["email"] == CARL)["joined_at"] is None


def test_member_remove_says_what_would_happen_and_needs_yes(acme: CliRunner) -> None:
    before = rows(acme.db)
    result = acme("member", "remove", BOB, *ORG)
    assert result.code == 1
    line = one_error_line(result)
    assert "removing bob@example.com (member) from 'acme' ends their access" in line
    assert "--yes" in line
    assert rows(acme.db) == before
    assert "Removed bob@example.com from acme." in ok(acme("member", "remove", BOB, *ORG, "--yes"))
    assert as_json(acme("org", "list", "--json", user=BOB))[0]["slug"] == "beta"
    assert "Revoked the invitation of carl@example.com" in ok(
        acme("member", "remove", CARL, *ORG, "--yes")
    )


def test_the_last_admin_cannot_leave_from_the_cli(acme: CliRunner) -> None:
    for argv in (("member", "remove", ANN, *ORG, "--yes"), ("member", "role", ANN, "member", *ORG)):
        result = acme(*argv)
        assert result.code == 1
        assert "last active admin of 'acme'" in one_error_line(result)
    ok(acme("member", "role", BOB, "admin", *ORG))
    ok(acme("member", "remove", ANN, *ORG, "--yes"))
    assert as_json(acme("org", "list", "--json")) == []


# --- bad input for every member command ------------------------------------------------------

# (command, argv, acting user, expected exit code)
BAD_INPUT = [
    ("member list", ("member", "list", "--org", "nope"), ANN, 1),
    ("member list", ("member", "list", *ORG), CARL, 1),
    ("member list", ("member", "list", *ORG), None, 1),
    ("member list", ("member", "list"), ANN, 2),
    ("member list", ("member", "list", *ORG, "extra"), ANN, 2),
    ("member invite", ("member", "invite", "dan@", *ORG), ANN, 1),
    ("member invite", ("member", "invite", "", *ORG), ANN, 1),
    ("member invite", ("member", "invite", DAN, *ORG, "--role", "owner"), ANN, 1),
    ("member invite", ("member", "invite", BOB, *ORG), ANN, 1),
    ("member invite", ("member", "invite", CARL, *ORG), ANN, 1),
    ("member invite", ("member", "invite", DAN, *ORG), BOB, 1),
    ("member invite", ("member", "invite", DAN, "--org", "beta"), ANN, 1),
    ("member invite", ("member", "invite", *ORG), ANN, 2),
    ("member invite", ("member", "invite", DAN), ANN, 2),
    ("member invite", ("member", "invite", DAN, *ORG, "--role"), ANN, 2),
    ("member role", ("member", "role", BOB, "owner", *ORG), ANN, 1),
    ("member role", ("member", "role", BOB, "member", *ORG), ANN, 1),
    ("member role", ("member", "role", DAN, "admin", *ORG), ANN, 1),
    ("member role", ("member", "role", ANN, "member", *ORG), ANN, 1),
    ("member role", ("member", "role", BOB, "admin", *ORG), BOB, 1),
    ("member role", ("member", "role", "bob@", "admin", *ORG), ANN, 1),
    ("member role", ("member", "role", BOB, *ORG), ANN, 2),
    ("member role", ("member", "role", BOB, "admin"), ANN, 2),
    ("member grant", ("member", "grant", BOB, "members:manage", *ORG), ANN, 1),
    ("member grant", ("member", "grant", ANN, "registries:write", *ORG), ANN, 1),
    ("member grant", ("member", "grant", DAN, "registries:write", *ORG), ANN, 1),
    ("member grant", ("member", "grant", BOB, "registries:write", *ORG), BOB, 1),
    ("member grant", ("member", "grant", BOB, "registries:write", *ORG), CARL, 1),
    ("member grant", ("member", "grant", BOB, *ORG), ANN, 2),
    ("member revoke", ("member", "revoke", BOB, "registries:write", *ORG), ANN, 1),
    ("member revoke", ("member", "revoke", BOB, "everything", *ORG), ANN, 1),
    ("member revoke", ("member", "revoke", BOB, "secrets:write", *ORG), BOB, 1),
    ("member revoke", ("member", "revoke", BOB, "secrets:write"), ANN, 2),
    ("member remove", ("member", "remove", BOB, *ORG), ANN, 1),
    ("member remove", ("member", "remove", ANN, *ORG, "--yes"), ANN, 1),
    ("member remove", ("member", "remove", DAN, *ORG, "--yes"), ANN, 1),
    ("member remove", ("member", "remove", ANN, *ORG, "--yes"), BOB, 1),
    ("member remove", ("member", "remove", ANN, *ORG), BOB, 1),
    ("member remove", ("member", "remove", "x", *ORG, "--yes"), ANN, 1),
    ("member remove", ("member", "remove", *ORG, "--yes"), ANN, 2),
    ("member remove", ("member", "remove", BOB, *ORG, "--yes=please"), ANN, 2),
    ("member accept", ("member", "accept", *ORG), ANN, 1),
    ("member accept", ("member", "accept", *ORG), DAN, 1),
    ("member accept", ("member", "accept", "--org", "nope"), CARL, 1),
    ("member accept", ("member", "accept", *ORG), None, 1),
    ("member accept", ("member", "accept"), CARL, 2),
    ("member review", ("member", "review", *ORG), BOB, 1),
    ("member review", ("member", "review", *ORG), CARL, 1),
    ("member review", ("member", "review", "--org", "nope"), ANN, 1),
    ("member review", ("member", "review", "--org", "beta"), ANN, 1),
    ("member review", ("member", "review", *ORG), None, 1),
    ("member review", ("member", "review"), ANN, 2),
    ("member review", ("member", "review", *ORG, "extra"), ANN, 2),
    ("member review", ("member", "review", *ORG, "--json=yes"), ANN, 2),
]


def test_the_bad_input_table_covers_every_member_command() -> None:
    from tests.cli.test_cli import leaf_commands

    assert {c for c, *_ in BAD_INPUT} == {c for c in leaf_commands() if c.startswith("member ")}


@pytest.mark.parametrize(
    ("command", "argv", "user", "code"),
    BAD_INPUT,
    ids=[f"{i:02d} {' '.join(argv)[:50]}" for i, (_, argv, *_) in enumerate(BAD_INPUT)],
)
def test_bad_input_for_every_member_command(
    acme: CliRunner, tmp_path: Path, command, argv, user, code
) -> None:
    before = rows(acme.db)
    result = acme(*argv, user=user)
    assert result.code == code
    one_error_line(result)
    assert result.out == ""
    assert rows(acme.db) == before
