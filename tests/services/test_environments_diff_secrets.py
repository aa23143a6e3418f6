"""`org diff` says whether two secrets are equal only to someone who may reveal secrets in both
orgs: for anyone else it would be an oracle. A secret present on both sides is then "unknown";
one missing on a side is still missing (presence is what listing the variables shows anyway)."""

from __future__ import annotations

import json

import pytest

from pylee_tui.services import Scope, Services
from pylee_tui.services.demo import DEMO_SECRET, load_demo
from pylee_tui.services.environment_diff import NO_REVEAL
from tests.support import ANN

PASS = "correct horse battery staple"
PROD = "acme-production"
CARL = "carl@acme.example"  # a plain member of acme-production


@pytest.fixture
def demo(services: Services) -> Services:
    load_demo(services, ANN, PASS)
    services.environments.clone(ANN, PROD, "Acme QA", with_members=True)
    # one secret the same in both, one that differs, the rest missing in QA
    services.variables.set_key(ANN, Scope("acme-qa"), "EXA_API_KEY", DEMO_SECRET, kind="secret")
    services.variables.set_key(ANN, Scope("acme-qa"), "APIFY_TOKEN", "other", kind="secret")
    return services


def states(diff) -> dict[str, str]:
    return {k.key: k.state for k in diff.keys}


def test_an_admin_of_both_learns_same_and_differs(demo: Services) -> None:
    diff = demo.environments.diff(ANN, PROD, "acme-qa")
    assert diff.may_reveal and diff.same_secrets == 1
    assert states(diff)["APIFY_TOKEN"] == "differs"


def test_a_member_who_may_not_reveal_learns_no_equality(demo: Services) -> None:
    assert demo.vault.unlocked
    diff = demo.environments.diff(CARL, PROD, "acme-qa")
    found = states(diff)
    assert not diff.may_reveal
    assert found["APIFY_TOKEN"] == found["EXA_API_KEY"] == NO_REVEAL
    assert diff.same_secrets == 0  # no count of equal ones either
    # missing is still missing: presence is visible to anyone who may list variables
    assert found["GLEAN_API_TOKEN"] == "missing in B (cloned without value)"
    data = diff.to_json()
    assert data["may_reveal"] is False and data["same_secrets"] == 0
    assert {k["state"] for k in data["keys"]} == {NO_REVEAL, "missing in B (cloned without value)"}
    assert DEMO_SECRET not in json.dumps(data)


def test_revealing_in_one_org_only_is_not_enough(demo: Services) -> None:
    # carl is the admin of his own copy, a plain member of production
    copy = demo.environments.clone(CARL, PROD, "Carl's copy").slug
    demo.variables.set_key(CARL, Scope(copy), "EXA_API_KEY", DEMO_SECRET, kind="secret")
    demo.variables.set_key(CARL, Scope(copy), "APIFY_TOKEN", "other", kind="secret")
    for a, b in ((PROD, copy), (copy, PROD)):
        diff = demo.environments.diff(CARL, a, b)
        assert states(diff)["EXA_API_KEY"] == states(diff)["APIFY_TOKEN"] == NO_REVEAL
        assert diff.same_secrets == 0
    # an org compared with itself: still nothing said of its secrets' values
    assert demo.environments.diff(CARL, PROD, PROD).same_secrets == 0


def compares(services: Services, org: str) -> list[tuple[str, dict]]:
    return [
        (e.actor, e.metadata)
        for e in services.audit.list_for_org(ANN, org)
        if e.action == "secret.compare"
    ]


def test_comparing_secrets_is_audited_in_both_orgs(demo: Services) -> None:
    demo.environments.diff(ANN, PROD, "acme-qa")
    # EXA_API_KEY and APIFY_TOKEN are in both: both decrypted and compared
    assert compares(demo, PROD) == [(ANN, {"other": "acme-qa", "secrets": 2})]
    assert compares(demo, "acme-qa") == [(ANN, {"other": PROD, "secrets": 2})]
    # an org compared with itself: one event
    demo.environments.diff(ANN, "acme-qa", "acme-qa")
    assert len(compares(demo, "acme-qa")) == 2


def test_no_compare_event_when_no_value_was_compared(demo: Services) -> None:
    demo.environments.diff(CARL, PROD, "acme-qa")  # may not reveal
    demo.vault.lock()
    demo.environments.diff(ANN, PROD, "acme-qa")  # the vault locked
    assert compares(demo, PROD) == compares(demo, "acme-qa") == []
    # no secret on both sides: nothing decrypted, nothing to record
    demo.orgs.create(ANN, "Empty")
    demo.vault.unlock(PASS)
    demo.environments.diff(ANN, PROD, "empty")
    assert compares(demo, PROD) == compares(demo, "empty") == []
