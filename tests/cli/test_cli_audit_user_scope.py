"""`audit --org`: a member's personal (user-scope) keys are named only to that member and to
admins; another member's table and `--json` leave those events out, and `--limit` counts the
events they may see."""

from __future__ import annotations

import json

import pytest

from tests.cli.expect import as_json, ok
from tests.support import ANN, BOB, CliRunner, with_services

CY = "cy@example.com"
ORG = ("--org", "acme")
PRIVATE = "BOB_PRIVATE_REGION"


@pytest.fixture
def acme(cli: CliRunner) -> CliRunner:
    """acme: ann admin, bob and cy plain members; ann sets REGION at the org, then bob his own
    PRIVATE at the user scope, then ann sets ZONE."""
    ok(cli("org", "create", "Acme"))

    def join(s) -> None:
        for email in (BOB, CY):
            s.members.invite(ANN, "acme", email)
            s.members.accept(email, "acme")

    with_services(cli.db, join)
    ok(cli("var", "set", "REGION", "eu", *ORG))
    ok(cli("var", "set", PRIVATE, "bob-eu", *ORG, "--user", user=BOB))
    ok(cli("var", "set", "ZONE", "a", *ORG))
    return cli


def test_another_member_does_not_see_them(acme: CliRunner) -> None:
    table = ok(acme("audit", *ORG, user=CY))
    listed = as_json(acme("audit", *ORG, "--json", user=CY))
    assert PRIVATE not in table and PRIVATE not in json.dumps(listed)
    assert "variable ZONE" in table and "variable REGION" in table
    newest = as_json(acme("audit", *ORG, "--json", "--limit", "2", user=CY))
    assert [e["target_label"] for e in newest] == ["ZONE", "REGION"]
    by_bob = as_json(acme("audit", *ORG, "--json", "--actor", BOB, user=CY))
    assert PRIVATE not in json.dumps(by_bob)


@pytest.mark.parametrize("viewer", [BOB, ANN])
def test_the_member_and_admins_do(acme: CliRunner, viewer: str) -> None:
    assert f"variable {PRIVATE}" in ok(acme("audit", *ORG, user=viewer))
    newest = as_json(acme("audit", *ORG, "--json", "--limit", "2", user=viewer))
    assert [e["target_label"] for e in newest] == ["ZONE", PRIVATE]
