"""Which audit events keep a member's personal (user-scope) key names from the rest of the org.

An event about a personal key itself (its metadata scope "user") is shown only to its actor and
to admins. An event about an org key stays visible to every member, even when its actor also
keeps (or once kept) a personal key of that name. A secret read along a chain (an export, a
reveal through a reference) records which of the keys it names were the actor's personal keys
then; another plain member sees the event without those names."""

from __future__ import annotations

import json

import pytest

from pylee_tui.services import Scope, Services
from pylee_tui.services import audit as audit_module
from pylee_tui.services.audit import AuditFilter
from pylee_tui.summaries import AuditEvent
from tests.support import ANN, BOB

EVE = "eve@example.com"  # a plain member
DAN = "dan@example.com"  # a second admin
PASSPHRASE = "correct horse battery"
ORG = Scope("acme")
MINE = Scope("acme", user=True)


@pytest.fixture
def acme(services: Services) -> Services:
    """acme: ann (ada) and dan admins, bob and eve plain members, the vault set up."""
    s = services
    s.orgs.create(ANN, "Acme")
    for email, role in ((DAN, "admin"), (BOB, "member"), (EVE, "member")):
        s.members.invite(ANN, "acme", email, role=role)
        s.members.accept(email, "acme")
    s.vault.initialize(ANN, PASSPHRASE)
    return s


def named(events: list[AuditEvent], name: str) -> list[tuple[str, str, str]]:
    """(action, label, scope) of the events naming `name` as their target."""
    return [
        (e.action, e.target_label, e.metadata.get("scope", ""))
        for e in events
        if e.target_label == name
    ]


def test_org_secret_events_stay_visible_after_a_personal_key_of_that_name(
    acme: Services,
) -> None:
    v = acme.variables
    v.set_key(ANN, ORG, "EXA_API_KEY", "demo-FAKE", kind="secret")  # the old demo one
    v.set_key(ANN, MINE, "EXA_API_KEY", "ann-FAKE", kind="secret")
    v.unset(ANN, MINE, "EXA_API_KEY")
    v.reveal(ANN, ORG, "EXA_API_KEY")
    v.set_key(ANN, ORG, "EXA_API_KEY", "new-FAKE", kind="secret")
    org_events = [
        ("secret.set", "EXA_API_KEY", "org"),
        ("secret.reveal", "EXA_API_KEY", "org"),
        ("secret.set", "EXA_API_KEY", "org"),
    ]
    assert named(acme.audit.list_for_org(EVE, "acme"), "EXA_API_KEY") == org_events
    # the personal key's own events are ann's and the admins' only
    for viewer in (ANN, DAN):
        assert named(acme.audit.list_for_org(viewer, "acme"), "EXA_API_KEY") == [
            ("secret.set", "EXA_API_KEY", "org"),
            ("secret.reveal", "EXA_API_KEY", "org"),
            ("secret.unset", "EXA_API_KEY", "user"),
            ("secret.set", "EXA_API_KEY", "user"),
            ("secret.set", "EXA_API_KEY", "org"),
        ], viewer


def test_an_org_secret_set_while_a_personal_key_of_that_name_is_kept(
    acme: Services,
) -> None:
    v = acme.variables
    v.set_key(ANN, MINE, "EXA_API_KEY", "ann-FAKE", kind="secret")
    v.set_key(ANN, ORG, "EXA_API_KEY", "org-FAKE", kind="secret")
    v.reveal(ANN, ORG, "EXA_API_KEY")
    assert named(acme.audit.list_for_org(EVE, "acme"), "EXA_API_KEY") == [
        ("secret.reveal", "EXA_API_KEY", "org"),
        ("secret.set", "EXA_API_KEY", "org"),
    ]
    reveal = acme.audit.list_for_org(ANN, "acme", limit=1)[0]
    assert "personal_keys" not in reveal.metadata  # not a chain read: nothing to take out


@pytest.fixture
def chained(acme: Services) -> Services:
    """ann keeps ANN_TOKEN (a secret) and ANN_URL (a variable) for herself; the org holds
    SHARED_TOKEN and URL, made of both tokens. ann exports the effective configuration, reveals
    URL (a read of each token through it) and her own ANN_URL (a read of SHARED_TOKEN through
    her personal key)."""
    v = acme.variables
    v.set_key(ANN, ORG, "SHARED_TOKEN", "org-FAKE", kind="secret")
    v.set_key(ANN, ORG, "URL", "https://x.example/${ANN_TOKEN}/${SHARED_TOKEN}")
    v.set_key(ANN, MINE, "ANN_TOKEN", "ann-FAKE", kind="secret")
    v.set_key(ANN, MINE, "ANN_URL", "https://ann.example/${SHARED_TOKEN}")
    v.effective(ANN, ORG, reveal=True)
    v.reveal_effective(ANN, ORG, "URL")
    v.reveal_effective(ANN, ORG, "ANN_URL")
    return acme


def reads(events: list[AuditEvent]) -> list[tuple[str, str, dict]]:
    return [
        (e.action, e.target_label, e.metadata)
        for e in events
        if e.action in ("secret.export", "secret.reveal")
    ]


def test_a_chain_read_shows_another_member_its_org_keys_only(chained: Services) -> None:
    assert reads(chained.audit.list_for_org(EVE, "acme")) == [
        ("secret.reveal", "SHARED_TOKEN", {"scope": "org"}),  # through ANN_URL, hers
        ("secret.reveal", "SHARED_TOKEN", {"scope": "org", "via": "URL"}),
        ("secret.reveal", audit_module.PERSONAL_LABEL, {"scope": "org", "via": "URL"}),
        ("secret.export", "org acme", {"scope": "org", "keys": ["SHARED_TOKEN"]}),
    ]
    everything = chained.audit.list_for_org(EVE, "acme")
    assert not any("ANN_" in e.target_label + json.dumps(e.metadata) for e in everything)


@pytest.mark.parametrize("viewer", [ANN, DAN])
def test_the_actor_and_admins_see_every_name_of_a_chain_read(
    chained: Services, viewer: str
) -> None:
    assert reads(chained.audit.list_for_org(viewer, "acme")) == [
        (
            "secret.reveal",
            "SHARED_TOKEN",
            {"scope": "org", "via": "ANN_URL", "personal_keys": ["ANN_URL"]},
        ),
        ("secret.reveal", "SHARED_TOKEN", {"scope": "org", "via": "URL"}),
        (
            "secret.reveal",
            "ANN_TOKEN",
            {"scope": "org", "via": "URL", "personal_keys": ["ANN_TOKEN"]},
        ),
        (
            "secret.export",
            "org acme",
            {
                "scope": "org",
                "keys": ["ANN_TOKEN", "SHARED_TOKEN"],
                "personal_keys": ["ANN_TOKEN"],
            },
        ),
    ]


def test_a_search_finds_no_personal_name_it_does_not_show(chained: Services) -> None:
    assert chained.audit.list_for_org(EVE, "acme", query="ANN_TOKEN") == []
    assert len(chained.audit.list_for_org(ANN, "acme", query="ANN_TOKEN")) == 2  # set, reveal
    shown = chained.audit.list_for_org(EVE, "acme", query="personal key")
    assert [e.target_label for e in shown] == [audit_module.PERSONAL_LABEL]


def test_a_plain_members_own_chain_read_is_shown_to_them_in_full(acme: Services) -> None:
    v = acme.variables
    v.set_key(BOB, MINE, "BOB_TOKEN", "bob-FAKE", kind="secret")
    v.set_key(BOB, MINE, "BOB_URL", "https://bob.example/${BOB_TOKEN}")
    v.reveal_effective(BOB, ORG, "BOB_URL")
    read = acme.audit.list_for_org(BOB, "acme", where=AuditFilter(action="secret.reveal"))
    assert [(e.target_label, e.metadata.get("via")) for e in read] == [("BOB_TOKEN", "BOB_URL")]
    theirs = acme.audit.list_for_org(EVE, "acme", where=AuditFilter(action="secret.reveal"))
    assert [(e.target_label, e.metadata) for e in theirs] == [
        (audit_module.PERSONAL_LABEL, {"scope": "org"})
    ]


@pytest.mark.parametrize("page", [1, 2, 3, 1000])
def test_pages_and_limits_count_every_event_another_member_may_see(
    chained: Services, monkeypatch: pytest.MonkeyPatch, page: int
) -> None:
    everything = chained.audit.list_for_org(EVE, "acme")
    admins = chained.audit.list_for_org(DAN, "acme")
    hidden = [e for e in admins if e.metadata.get("scope") == "user"]
    assert [e.target_label for e in hidden] == ["ANN_URL", "ANN_TOKEN"]
    assert [e.id for e in everything] == [e.id for e in admins if e not in hidden]
    monkeypatch.setattr(audit_module, "PAGE", page)
    assert chained.audit.list_for_org(EVE, "acme") == everything
    for limit in (1, 2, 3, 5, len(everything)):
        assert chained.audit.list_for_org(EVE, "acme", limit=limit) == everything[:limit]
    first = chained.audit.list_for_org(EVE, "acme", limit=3)
    rest = chained.audit.list_for_org(EVE, "acme", before=first[-1].id)
    assert first + rest == everything
