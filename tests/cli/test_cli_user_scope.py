"""`--user` on var and secret commands: your own overrides in an org, as a user of the CLI meets
them; no one else's appear in anyone's listing, `--json`, `env` or export."""

from __future__ import annotations

import copy
import io
import json

import pytest

from pylee_tui.services import Scope
from tests.cli.expect import as_json, ok, one_error_line
from tests.support import ANN, BOB, WEATHER, CliRunner, with_services

CY = "cy@example.com"
ORG = ("--org", "acme")
MINE = ("--org", "acme", "--user")
PROD = ("--org", "acme", "--registry", "prod")
SERVER = (*PROD, "--server", WEATHER["name"])
PASS = "correct horse battery"

FORECAST = copy.deepcopy(WEATHER)
FORECAST["packages"][0]["environmentVariables"] = [
    {"name": "WEATHER_KEY", "isRequired": True, "isSecret": True},
    {"name": "REGION", "isRequired": True},
]


def piped(monkeypatch: pytest.MonkeyPatch, text: str) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO(text))


@pytest.fixture
def acme(cli: CliRunner, monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    """acme: ann admin, bob and cy plain members; registry prod with weather; REGION=eu and the
    secret WEATHER_KEY at the org."""
    ok(cli("org", "create", "Acme"))
    ok(cli("registry", "create", "Prod", *ORG))

    def fill(s) -> None:
        for email in (BOB, CY):
            s.members.invite(ANN, "acme", email)
            s.members.accept(email, "acme")
        s.registries.add_server(ANN, Scope("acme", "prod"), FORECAST)

    with_services(cli.db, fill)
    ok(cli("var", "set", "REGION", "eu", *ORG))
    monkeypatch.setenv("PYLEE_PASSPHRASE", PASS)
    piped(monkeypatch, "org-FAKE-key\n")
    assert cli("secret", "set", "WEATHER_KEY", *ORG).code == 0  # (creates the vault: says so)
    monkeypatch.delenv("PYLEE_PASSPHRASE")
    return cli


def test_a_member_sets_their_own_value_and_only_they_resolve_it(acme: CliRunner, monkeypatch):
    said = ok(acme("var", "set", "REGION", "us", *MINE, user=BOB))
    assert said == "Set REGION at your overrides in acme; it overrides org acme.\n"
    # bob's env says the value is his; ann's and cy's do not have it at all
    bob = as_json(acme("env", *SERVER, "--json", user=BOB))
    [region] = [e for e in bob["entries"] if e["key"] == "REGION"]
    assert (region["value"], region["source"]) == ("us", "you")
    assert "you" in ok(acme("env", *SERVER, user=BOB))
    for other in (ANN, CY):
        theirs = as_json(acme("env", *SERVER, "--json", user=other))
        [region] = [e for e in theirs["entries"] if e["key"] == "REGION"]
        assert (region["value"], region["source"]) == ("eu", "org acme")
        assert '"us"' not in json.dumps(theirs)
    assert ok(acme("var", "get", "REGION", *MINE, user=BOB)) == "us\n"
    assert [v["key"] for v in as_json(acme("var", "list", *MINE, "--json", user=BOB))] == ["REGION"]
    assert as_json(acme("var", "list", *MINE, "--json")) == []  # the admin's own: empty
    assert '"us"' not in json.dumps(as_json(acme("var", "list", *ORG, "--json")))
    assert "No variables at your overrides in acme" in ok(acme("var", "list", *MINE, user=CY))
    history = as_json(acme("var", "history", "REGION", *MINE, "--json", user=BOB))
    assert [h["version"] for h in history] == [1]
    said = ok(acme("var", "unset", "REGION", *MINE, user=BOB))
    assert "REGION now comes from org acme" in said


def exported(cli: CliRunner, *argv: str, user: str = ANN) -> str:
    """What `export` prints (its notes go to stderr)."""
    result = cli("export", *PROD, "--client", "cursor", *argv, user=user)
    assert result.code == 0, result.err
    return result.out


def test_a_members_own_secret(acme: CliRunner, monkeypatch):
    # bob has no grant: the org's secrets are refused him, his own are not (with the passphrase)
    piped(monkeypatch, "bob-FAKE-key\n")
    refused = acme("secret", "set", "WEATHER_KEY", *ORG, user=BOB)
    assert refused.code == 1 and "secrets:write" in one_error_line(refused)
    piped(monkeypatch, "bob-FAKE-key\n")
    no_passphrase = acme("secret", "set", "WEATHER_KEY", *MINE, user=BOB)
    assert no_passphrase.code == 1 and "PYLEE_PASSPHRASE" in one_error_line(no_passphrase)
    monkeypatch.setenv("PYLEE_PASSPHRASE", PASS)
    piped(monkeypatch, "bob-FAKE-key\n")
    assert "Set secret WEATHER_KEY at your overrides in acme" in ok(
        acme("secret", "set", "WEATHER_KEY", *MINE, user=BOB)
    )
    assert ok(acme("secret", "get", "WEATHER_KEY", *MINE, "--reveal", user=BOB)) == (
        "bob-FAKE-key\n"
    )
    # the admin's listings, --json, env --reveal and exports never carry bob's
    assert as_json(acme("secret", "list", *MINE, "--json")) == []
    revealed = ok(acme("env", *SERVER, "--json", "--reveal"))
    assert "org-FAKE-key" in revealed and "bob-FAKE-key" not in revealed
    export = exported(acme, "--inline-secrets")
    assert "org-FAKE-key" in export and "bob-FAKE-key" not in export
    missing = acme("secret", "get", "WEATHER_KEY", *MINE)
    assert missing.code == 1 and "no WEATHER_KEY" in one_error_line(missing)


def test_an_export_by_ann_carries_her_override_and_by_bob_not(acme: CliRunner, monkeypatch):
    ok(acme("var", "set", "REGION", "ann-region", *MINE))
    by_ann = exported(acme, "--secrets", "reference")
    by_bob = exported(acme, "--secrets", "reference", user=BOB)
    assert "ann-region" in by_ann
    assert "ann-region" not in by_bob and '"eu"' in by_bob


@pytest.mark.parametrize(
    "argv",
    [
        ("var", "set", "K", "v", *PROD, "--user"),
        ("var", "list", *SERVER, "--user"),
        ("secret", "list", *PROD, "--user"),
    ],
)
def test_user_takes_no_registry(acme: CliRunner, argv) -> None:
    result = acme(*argv)
    assert result.code == 2
    assert "--user is your own scope in the org" in one_error_line(result)
