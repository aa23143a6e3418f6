"""An org's audit log and the user scope: an event about a member's own keys (a personal
override set, unset, rolled back or revealed) names the key, so it is shown only to that member
and to admins (who may see who overrides which key). Every other member's listing leaves it
out, paging included: a limit still gives that many of the events they may see. A secret read
along a chain stays, without its actor's personal names (tests/services/
test_audit_personal_keys.py)."""

from __future__ import annotations

import json

import pytest

from pylee_tui.services import Scope, Services
from pylee_tui.services import audit as audit_module
from pylee_tui.summaries import AuditEvent
from tests.support import ANN, BOB

CY = "cy@example.com"  # a second plain member
PASSPHRASE = "correct horse battery"
ORG = Scope("acme")
MINE = Scope("acme", user=True)
PRIVATE = ("BOB_PRIVATE_URL", "BOB_PRIVATE_TOKEN")


@pytest.fixture
def acme(services: Services) -> Services:
    """acme: ann admin, bob and cy plain members. Org keys written by ann between bob's
    personal ones (set, set, rolled back, revealed, unset), so the hidden events interleave."""
    s = services
    s.orgs.create(ANN, "Acme")
    for email in (BOB, CY):
        s.members.invite(ANN, "acme", email)
        s.members.accept(email, "acme")
    s.vault.initialize(ANN, PASSPHRASE)
    v = s.variables
    url, token = PRIVATE
    v.set_key(ANN, ORG, "SHARED_1", "one")
    v.set_key(BOB, MINE, url, "https://bob.example")
    v.set_key(ANN, ORG, "SHARED_2", "two")
    v.set_key(BOB, MINE, url, "https://bob-2.example")
    v.set_key(BOB, MINE, token, "bob-FAKE-token", kind="secret")
    v.set_key(ANN, ORG, "SHARED_3", "three")
    v.rollback(BOB, MINE, url, 1)
    v.reveal(BOB, MINE, token)
    v.set_key(ANN, ORG, "SHARED_4", "four")
    v.unset(BOB, MINE, token)
    v.set_key(ANN, ORG, "SHARED_5", "five")
    return s


def private(events: list[AuditEvent]) -> list[AuditEvent]:
    """The events that name one of bob's personal keys anywhere."""
    return [
        e
        for e in events
        if any(k in e.target_label or k in json.dumps(e.metadata) for k in PRIVATE)
    ]


def test_another_member_never_sees_a_members_own_keys(acme: Services) -> None:
    theirs = acme.audit.list_for_org(CY, "acme")
    assert private(theirs) == []
    shared = [e.target_label for e in theirs if e.action == "variable.set"]
    assert shared == [f"SHARED_{n}" for n in (5, 4, 3, 2, 1)]  # the rest is all there
    assert acme.audit.list_for_org(CY, "acme", query="BOB_PRIVATE") == []


def test_the_member_and_admins_see_them(acme: Services) -> None:
    for viewer in (BOB, ANN):
        seen = private(acme.audit.list_for_org(viewer, "acme"))
        assert [e.action for e in seen] == [
            "secret.unset",
            "secret.reveal",
            "variable.rollback",
            "secret.set",
            "variable.set",
            "variable.set",
        ], viewer


@pytest.mark.parametrize("page", [1, 2, 3, 1000])
def test_pages_and_limits_count_only_what_may_be_seen(
    acme: Services, monkeypatch: pytest.MonkeyPatch, page: int
) -> None:
    monkeypatch.setattr(audit_module, "PAGE", page)
    everything = acme.audit.list_for_org(CY, "acme")
    assert private(everything) == []
    for limit in (1, 2, 3, 5):
        assert acme.audit.list_for_org(CY, "acme", limit=limit) == everything[:limit]
    # read on from an event, a page at a time, as the app does
    first = acme.audit.list_for_org(CY, "acme", limit=3)
    rest = acme.audit.list_for_org(CY, "acme", before=first[-1].id)
    assert first + rest == everything


def test_a_filter_on_the_actor_does_not_bring_them_back(acme: Services) -> None:
    by_bob = acme.audit.list_for_org(CY, "acme", where=audit_module.AuditFilter(by=BOB))
    assert private(by_bob) == []
    assert private(acme.audit.list_for_org(ANN, "acme", where=audit_module.AuditFilter(by=BOB)))


def test_a_secret_read_along_a_chain_shows_others_its_org_keys_only(acme: Services) -> None:
    """An export of the effective configuration names every secret in it, the actor's own
    overrides included: another member sees the export, without the names of those."""
    v = acme.variables
    v.set_key(ANN, ORG, "SHARED_TOKEN", "org-FAKE", kind="secret")
    v.effective(ANN, ORG, reveal=True)  # names SHARED_TOKEN only
    v.set_key(ANN, MINE, "ANN_PERSONAL_TOKEN", "ann-FAKE", kind="secret")
    v.effective(ANN, ORG, reveal=True)  # names ANN_PERSONAL_TOKEN too
    exports = [e for e in acme.audit.list_for_org(CY, "acme") if e.action == "secret.export"]
    assert [e.metadata["keys"] for e in exports] == [["SHARED_TOKEN"], ["SHARED_TOKEN"]]
    assert not any(
        "ANN_PERSONAL" in e.target_label + json.dumps(e.metadata)
        for e in acme.audit.list_for_org(CY, "acme")
    )
    mine = [e for e in acme.audit.list_for_org(ANN, "acme") if e.action == "secret.export"]
    assert [e.metadata["keys"] for e in mine] == [
        ["ANN_PERSONAL_TOKEN", "SHARED_TOKEN"],
        ["SHARED_TOKEN"],
    ]
