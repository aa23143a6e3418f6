"""`audit --org`: a member's personal (user-scope) keys are named only to that member and to
admins; another member's table and `--json` leave those events out, and `--limit` counts the
events they may see."""

from __future__ import annotations

import io
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


def test_an_admins_org_secret_stays_in_every_members_log_after_a_personal_key(
    acme: CliRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    """ann sets and unsets a personal EXA_API_KEY, then reveals and sets the org's: cy still
    sees every event of the org's EXA_API_KEY (the old one too), and none of ann's own."""
    monkeypatch.setenv("PYLEE_PASSPHRASE", "correct horse battery")

    def secret(*argv: str, value: str | None = None) -> None:
        monkeypatch.setattr("sys.stdin", io.StringIO(f"{value}\n" if value else ""))
        result = acme("secret", *argv, *ORG)
        assert result.code == 0, result.err  # the first says it created the vault

    secret("set", "EXA_API_KEY", value="demo-FAKE")
    secret("set", "EXA_API_KEY", "--user", value="ann-FAKE")
    secret("unset", "EXA_API_KEY", "--user")
    secret("get", "EXA_API_KEY", "--reveal")
    secret("set", "EXA_API_KEY", value="new-FAKE")
    events = as_json(acme("audit", *ORG, "--json", "--action", "secret.", user=CY))
    assert [(e["action"], e["target_label"], e["metadata"]["scope"]) for e in events] == [
        ("secret.set", "EXA_API_KEY", "org"),
        ("secret.reveal", "EXA_API_KEY", "org"),
        ("secret.set", "EXA_API_KEY", "org"),
    ]
    table = ok(acme("audit", *ORG, "--action", "secret.", user=CY))
    assert table.count("variable EXA_API_KEY") == 3  # ann's own two are not there
    mine = as_json(acme("audit", *ORG, "--json", "--action", "secret.", user=ANN))
    assert [e["metadata"]["scope"] for e in mine] == ["org", "org", "user", "user", "org"]
