"""`org diff` by someone who may not reveal secrets in both orgs: a secret on both sides is
"unknown", even with the vault open; nothing says two secrets are the same."""

from __future__ import annotations

import pytest

from pylee_tui.services import Scope
from pylee_tui.services.demo import DEMO_SECRET, load_demo
from tests.cli.expect import as_json, ok
from tests.support import ANN, CliRunner, with_services

PASS = "correct horse battery staple"
PROD = "acme-production"
CARL = "carl@acme.example"  # a plain member of acme-production and of its clone


def seed(services) -> None:
    load_demo(services, ANN, PASS)
    services.environments.clone(ANN, PROD, "Acme QA", slug="qa", with_members=True)
    services.variables.set_key(ANN, Scope("qa"), "EXA_API_KEY", DEMO_SECRET, kind="secret")


@pytest.fixture
def demo(cli: CliRunner, monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    with_services(cli.db, seed)
    monkeypatch.setenv("PYLEE_PASSPHRASE", PASS)
    return cli


def test_a_member_without_reveal_sees_unknown_not_same(demo: CliRunner) -> None:
    admin = ok(demo("org", "diff", PROD, "qa"))
    assert "1 secret the same in both" in admin
    text = ok(demo("org", "diff", PROD, "qa", user=CARL))
    assert "EXA_API_KEY (secret): unknown (comparing secrets needs secrets:reveal" in text
    assert "the same in both" not in text
    assert "needs secrets:reveal in both organizations" in text
    assert "vault is locked" not in text
    assert "GLEAN_API_TOKEN (secret): missing in B (cloned without value)" in text
    data = as_json(demo("org", "diff", PROD, "qa", "--json", user=CARL))
    assert (data["may_reveal"], data["same_secrets"]) == (False, 0)
    exa = next(k for k in data["keys"] if k["key"] == "EXA_API_KEY")
    assert exa["state"].startswith("unknown")
