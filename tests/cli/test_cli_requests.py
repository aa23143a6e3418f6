"""`request list|show|approve|reject` and `registry edit --require-approval`: a member's change
on an approval registry is a request (exit 0, said on stdout), decided from the CLI."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.cli.expect import as_json, ok, one_error_line, rows
from tests.support import ANN, BOB, CARL, WEATHER, CliRunner, with_services

DAVE = "dave@example.com"
ORG = ("--org", "acme")
WEATHER_2 = WEATHER | {"description": "Weather, now with alerts", "version": "1.1.0"}


@pytest.fixture
def acme(cli: CliRunner, tmp_path: Path) -> CliRunner:
    """acme: ann admin, bob a writer, dave an approver; core (weather) requires approval."""
    ok(cli("org", "create", "Acme"))
    ok(cli("registry", "create", "Core", *ORG, "--slug", "core"))
    (tmp_path / "weather.json").write_text(json.dumps(WEATHER))
    (tmp_path / "weather2.json").write_text(json.dumps(WEATHER_2))
    ok(cli("server", "add", str(tmp_path / "weather.json"), *ORG, "--registry", "core"))

    def members(s) -> None:
        for email, grant in ((BOB, "registries:write"), (DAVE, "registries:approve")):
            s.members.invite(ANN, "acme", email)
            s.members.accept(email, "acme")
            s.members.grant(ANN, "acme", email, grant)

    with_services(cli.db, members)
    out = ok(cli("registry", "edit", "core", *ORG, "--require-approval", "on"))
    assert out == "Registry core in acme requires approval of changes.\n"
    return cli


def edit_as_bob(acme: CliRunner, tmp_path: Path) -> str:
    return ok(
        acme(
            "server",
            "edit",
            WEATHER["name"],
            "--file",
            str(tmp_path / "weather2.json"),
            *ORG,
            "--registry",
            "core",
            user=BOB,
        )
    )


def test_done_when_a_members_change_is_approved(acme: CliRunner, tmp_path: Path) -> None:
    before = rows(acme.db)["servers"]
    out = edit_as_bob(acme, tmp_path)
    assert out == (
        f"Change request #1 opened for approval: edit server {WEATHER['name']} in registry core\n"
    )
    assert rows(acme.db)["servers"] == before

    listed = ok(acme("request", "list", *ORG, user=DAVE))
    assert "#" in listed and f"edit server {WEATHER['name']}" in listed and BOB in listed
    shown = ok(acme("request", "show", "1", user=DAVE))
    assert '+  "version": "1.1.0"' in shown.splitlines()
    assert "request approve 1" in shown

    out = ok(acme("request", "approve", "1", "--comment", "fine", user=DAVE))
    assert out.startswith("Approved change request #1: edit server")
    server = as_json(acme("server", "show", WEATHER["name"], *ORG, "--registry", "core", "--json"))
    assert server["document"]["version"] == "1.1.0"
    assert ok(acme("request", "list", *ORG)) == "No open change requests in 'acme'.\n"
    [request] = as_json(acme("request", "list", "--state", "approved", "--json"))
    assert (request["state"], request["decided_by"], request["comment"]) == (
        "approved",
        DAVE,
        "fine",
    )
    actions = [e["action"] for e in as_json(acme("audit", *ORG, "--json"))]
    assert actions[:3] == ["request.approve", "server.edit", "request.open"]


def test_rejection_and_self_approval(acme: CliRunner, tmp_path: Path) -> None:
    edit_as_bob(acme, tmp_path)
    ok(acme("member", "grant", BOB, "registries:approve", *ORG))
    result = acme("request", "approve", "1", user=BOB)
    assert (result.code, result.out) == (1, "")
    assert "cannot approve your own change request #1" in one_error_line(result)
    out = ok(acme("request", "reject", "1", "--comment", "not now", user=DAVE))
    assert out.startswith("Rejected change request #1")
    assert as_json(acme("request", "show", "1", "--json"))["comment"] == "not now"


def test_a_race_is_refused_with_the_message(acme: CliRunner, tmp_path: Path) -> None:
    edit_as_bob(acme, tmp_path)
    ok(
        acme(
            "server",
            "edit",
            WEATHER["name"],
            "--file",
            str(tmp_path / "weather2.json"),
            *ORG,
            "--registry",
            "core",
        )
    )
    line = one_error_line(acme("request", "approve", "1", user=DAVE))
    assert line == (
        f"pylee-tui: server {WEATHER['name']} changed since the request was made; "
        "reject it and ask for a new one"
    )


BAD_INPUT = [
    ("request list", ("request", "list", "--org", "nope"), ANN, 1),
    ("request list", ("request", "list", *ORG), CARL, 1),
    ("request list", ("request", "list", "--registry", "core"), ANN, 1),
    ("request list", ("request", "list", *ORG, "--registry", "nope"), ANN, 1),
    ("request list", ("request", "list", "--state", "done"), ANN, 2),
    ("request list", ("request", "list", "extra"), ANN, 2),
    ("request show", ("request", "show", "99"), ANN, 1),
    ("request show", ("request", "show", "1"), CARL, 1),
    ("request show", ("request", "show", "x"), ANN, 2),
    ("request show", ("request", "show", "0"), ANN, 2),
    ("request show", ("request", "show"), ANN, 2),
    ("request approve", ("request", "approve", "1"), BOB, 1),
    ("request approve", ("request", "approve", "1"), CARL, 1),
    ("request approve", ("request", "approve", "99"), ANN, 1),
    ("request approve", ("request", "approve", "1", "--comment", "c" * 1001), ANN, 1),
    ("request approve", ("request", "approve"), ANN, 2),
    ("request reject", ("request", "reject", "1", "--comment", "  "), ANN, 1),
    ("request reject", ("request", "reject", "1", "--comment", "no"), CARL, 1),
    ("request reject", ("request", "reject", "1"), ANN, 2),
    ("registry edit", ("registry", "edit", "core", *ORG, "--require-approval", "off"), DAVE, 1),
    ("registry edit", ("registry", "edit", "core", *ORG, "--require-approval", "maybe"), ANN, 2),
    ("registry edit", ("registry", "edit", "nope", *ORG, "--require-approval", "on"), ANN, 1),
]


@pytest.mark.parametrize(
    ("command", "argv", "user", "code"),
    BAD_INPUT,
    ids=[f"{i:02d} {' '.join(argv)[:50]}" for i, (_, argv, *_) in enumerate(BAD_INPUT)],
)
def test_bad_input_for_every_request_command(
    acme: CliRunner, tmp_path: Path, command, argv, user, code
) -> None:
    edit_as_bob(acme, tmp_path)  # request #1, open
    before = rows(acme.db)
    result = acme(*argv, user=user)
    assert result.code == code
    one_error_line(result)
    assert result.out == ""
    assert rows(acme.db) == before


def test_a_member_without_the_grant_is_refused_not_requested(acme: CliRunner) -> None:
    with_services(
        acme.db, lambda s: (s.members.invite(ANN, "acme", CARL), s.members.accept(CARL, "acme"))
    )
    result = acme(
        "server", "remove", WEATHER["name"], *ORG, "--registry", "core", "--yes", user=CARL
    )
    assert "registries:write" in one_error_line(result)
    assert ok(acme("request", "list", "--state", "all")) == "No change requests.\n"
