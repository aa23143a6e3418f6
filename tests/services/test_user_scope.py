"""Personal overrides (the user scope): a member's own keys in an org win over every other scope
for them, and nobody else, admins included, ever reads them: not in a listing, an effective
configuration (masked or revealed), an export or a launch. Admins see only who overrides which
key."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from pylee_tui.services import (
    NotFound,
    PermissionDenied,
    Scope,
    Services,
    VaultLocked,
)
from tests.support import ANN, BOB, server_doc

CY = "cy@example.com"  # a second plain member
PASSPHRASE = "correct horse battery"
W = "io.github.acme/weather"
ORG = Scope("acme")
REG = Scope("acme", "core")
SRV = Scope("acme", "core", W)
MINE = Scope("acme", user=True)


@pytest.fixture
def acme(services: Services) -> Services:
    """acme: ann admin, bob and cy plain members; registry core with weather, which declares
    WEATHER_TOKEN (a required secret) and WEATHER_URL; the vault unlocked."""
    s = services
    s.orgs.create(ANN, "Acme")
    s.registries.create(ANN, "acme", "Core", slug="core")
    doc = server_doc(W, "1.0.0", "Weather")
    doc["packages"][0]["environmentVariables"] = [
        {"name": "WEATHER_TOKEN", "isRequired": True, "isSecret": True},
        {"name": "WEATHER_URL", "isRequired": True},
    ]
    s.registries.add_server(ANN, REG, doc)
    for email in (BOB, CY):
        s.members.invite(ANN, "acme", email)
        s.members.accept(email, "acme")
    s.vault.initialize(ANN, PASSPHRASE)
    v = s.variables
    v.set_key(ANN, ORG, "WEATHER_URL", "https://org.example")
    v.set_key(ANN, ORG, "WEATHER_TOKEN", "org-FAKE-token", kind="secret")
    return s


def test_a_member_overrides_a_key_for_themselves_alone(acme: Services) -> None:
    v = acme.variables
    v.set_key(BOB, MINE, "WEATHER_URL", "https://bob.example")
    mine = v.effective(BOB, SRV).get("WEATHER_URL")
    assert mine is not None
    assert (mine.value, mine.source, mine.scope) == ("https://bob.example", "you", "user")
    assert mine.overrides == ("org acme",)
    for other in (ANN, CY):
        theirs = v.effective(other, SRV).get("WEATHER_URL")
        assert theirs is not None and theirs.value == "https://org.example"
        assert theirs.source == "org acme"
    # unset: the org's value shows through again, and the key's history is kept
    v.unset(BOB, MINE, "WEATHER_URL")
    back = v.effective(BOB, SRV).get("WEATHER_URL")
    assert back is not None and back.value == "https://org.example"
    assert [h.action for h in v.history(BOB, MINE, "WEATHER_URL")] == ["unset", "set"]
    v.rollback(BOB, MINE, "WEATHER_URL", 1)
    assert v.effective(BOB, ORG).get("WEATHER_URL").value == "https://bob.example"  # type: ignore[union-attr]


def test_resolution_order_is_user_over_server_over_registry_over_org(acme: Services) -> None:
    v = acme.variables
    v.set_key(ANN, ORG, "LEVEL", "org")
    assert v.effective(BOB, SRV).get("LEVEL").source == "org acme"  # type: ignore[union-attr]
    v.set_key(ANN, REG, "LEVEL", "registry")
    assert v.effective(BOB, SRV).get("LEVEL").value == "registry"  # type: ignore[union-attr]
    v.set_key(ANN, SRV, "LEVEL", "server")
    assert v.effective(BOB, SRV).get("LEVEL").value == "server"  # type: ignore[union-attr]
    v.set_key(BOB, MINE, "LEVEL", "you")
    entry = v.effective(BOB, SRV).get("LEVEL")
    assert entry is not None and entry.value == "you"
    assert entry.overrides == (f"server {W}", "registry core", "org acme")
    # at every scope the reader's own key wins, and references resolve through it
    v.set_key(ANN, ORG, "GREETING", "level=${LEVEL}")
    assert v.effective(BOB, REG).get("GREETING").value == "level=you"  # type: ignore[union-attr]
    assert v.effective(ANN, REG).get("GREETING").value == "level=registry"  # type: ignore[union-attr]
    servers = v.effective_for_servers(BOB, REG)
    assert servers[W].get("LEVEL").value == "you"  # type: ignore[union-attr]
    assert v.effective_for_servers(ANN, REG)[W].get("LEVEL").value == "server"  # type: ignore[union-attr]


def test_nobody_else_sees_a_members_overrides_not_even_an_admin(acme: Services) -> None:
    v = acme.variables
    v.set_key(BOB, MINE, "BOB_ONLY", "bob-plain-value")
    v.set_key(BOB, MINE, "WEATHER_TOKEN", "bob-FAKE-token", kind="secret")
    assert [k.key for k in v.list_keys(BOB, MINE)] == ["BOB_ONLY", "WEATHER_TOKEN"]
    # each reader's user scope is their own: the admin's is empty, cy's too
    assert v.list_keys(ANN, MINE) == []
    assert v.list_keys(CY, MINE) == []
    with pytest.raises(NotFound):
        v.get_key(ANN, MINE, "BOB_ONLY")
    with pytest.raises(NotFound):
        v.history(ANN, MINE, "BOB_ONLY")
    # the admin's effective configuration, revealed, holds none of bob's keys or values
    revealed = v.effective(ANN, SRV, reveal=True)
    assert "BOB_ONLY" not in revealed
    assert revealed.get("WEATHER_TOKEN").value == "org-FAKE-token"  # type: ignore[union-attr]
    dumped = repr([(e.key, e.value, e.source) for e in revealed.entries])
    assert "bob-" not in dumped and "you" not in dumped
    # the admin sees who overrides which key, never a value
    assert v.user_overrides(ANN, "acme") == [(BOB, "BOB_ONLY"), (BOB, "WEATHER_TOKEN")]
    with pytest.raises(PermissionDenied, match="admin role"):
        v.user_overrides(BOB, "acme")
    # no one else's changes along the chain either
    assert acme.variables.changes(ANN, SRV)["user"] == {}
    assert set(acme.variables.changes(BOB, SRV)["user"]) == {"BOB_ONLY", "WEATHER_TOKEN"}


def test_any_member_writes_their_own_but_a_secret_needs_the_vault(acme: Services) -> None:
    v = acme.variables
    # bob has no grant: the org is refused, his own scope is not
    with pytest.raises(PermissionDenied):
        v.set_key(BOB, ORG, "X", "1")
    with pytest.raises(PermissionDenied):
        v.set_key(BOB, ORG, "X", "1", kind="secret")
    v.set_key(BOB, MINE, "X", "1")
    v.set_key(BOB, MINE, "MY_TOKEN", "bob-FAKE-secret", kind="secret")
    # his own secret he may read back (it is his); the org's he may not
    assert v.reveal(BOB, MINE, "MY_TOKEN") == "bob-FAKE-secret"
    with pytest.raises(PermissionDenied):
        v.reveal(BOB, ORG, "WEATHER_TOKEN")
    acme.vault.lock()
    with pytest.raises(VaultLocked):
        v.set_key(BOB, MINE, "OTHER_TOKEN", "x", kind="secret")
    with pytest.raises(VaultLocked):
        v.reveal(BOB, MINE, "MY_TOKEN")


def test_user_scope_writes_are_audited_without_values(acme: Services) -> None:
    v = acme.variables
    v.set_key(BOB, MINE, "MY_TOKEN", "bob-FAKE-secret", kind="secret")
    v.set_key(BOB, MINE, "MY_URL", "https://bob-private.example")
    rows = sqlite3.connect(acme.store.path).execute(
        "SELECT actor, action, target_label, metadata FROM audit_events "
        "WHERE action LIKE '%.set' AND actor = ?",
        [BOB],
    )
    events = [(a, act, label, json.loads(meta)) for a, act, label, meta in rows]
    assert [(e[1], e[2], e[3]["scope"]) for e in events] == [
        ("secret.set", "MY_TOKEN", "user"),
        ("variable.set", "MY_URL", "user"),
    ]
    assert "bob-FAKE-secret" not in repr(events) and "bob-private" not in repr(events)


def test_no_user_secret_in_plaintext_on_disk(acme: Services) -> None:
    acme.variables.set_key(BOB, MINE, "MY_TOKEN", "bob-FAKE-plaintext-42", kind="secret")
    acme.variables.set_key(BOB, MINE, "MY_TOKEN", "bob-FAKE-plaintext-43", kind="secret")
    path = Path(acme.store.path)
    wal = Path(f"{path}-wal")
    data = path.read_bytes() + (wal.read_bytes() if wal.exists() else b"")
    assert b"bob-FAKE-plaintext" not in data


def test_export_and_run_use_the_actors_own_overrides(acme: Services) -> None:
    v = acme.variables
    v.set_key(ANN, MINE, "WEATHER_URL", "https://ann-private.example")
    v.set_key(ANN, MINE, "WEATHER_TOKEN", "ann-FAKE-token", kind="secret")
    by_ann = acme.export.plan(ANN, REG, "cursor", inline_secrets=True)
    text = json.dumps(by_ann.entries)
    assert "https://ann-private.example" in text and "ann-FAKE-token" in text
    assert "org-FAKE-token" not in text
    # bob's export (references, he may not inline) carries the org's value, never ann's
    by_bob = acme.export.plan(BOB, REG, "cursor", secrets="reference")
    text = json.dumps(by_bob.entries)
    assert "https://org.example" in text and "ann-" not in text
    # run: ann's launch starts with her values, cy's with the org's (cy's own secret needs
    # no grant to be read for his own run)
    launch = acme.launch.launch(ANN, SRV)
    assert launch.env["WEATHER_URL"] == "https://ann-private.example"
    assert launch.env["WEATHER_TOKEN"] == "ann-FAKE-token"
    v.set_key(CY, MINE, "WEATHER_TOKEN", "cy-FAKE-token", kind="secret")
    assert acme.launch.launch(CY, SRV).env["WEATHER_TOKEN"] == "cy-FAKE-token"
    assert acme.launch.launch(CY, SRV).env["WEATHER_URL"] == "https://org.example"


def test_a_server_key_overridden_by_the_reader_is_still_exported(acme: Services) -> None:
    v = acme.variables
    v.set_key(ANN, SRV, "SERVER_ONLY", "server-value")
    v.set_key(BOB, MINE, "SERVER_ONLY", "bob-value")
    env = json.dumps(acme.export.plan(BOB, REG, "cursor", secrets="reference").entries)
    assert "bob-value" in env and "server-value" not in env


def test_a_removed_members_overrides_are_listed_no_more(acme: Services) -> None:
    acme.variables.set_key(BOB, MINE, "BOB_ONLY", "x")
    acme.variables.set_key(CY, MINE, "CY_ONLY", "y")
    acme.members.remove(ANN, "acme", BOB)
    assert acme.variables.user_overrides(ANN, "acme") == [(CY, "CY_ONLY")]
    with pytest.raises(NotFound):
        acme.variables.list_keys(BOB, MINE)


def test_the_user_scope_names_no_registry() -> None:
    from pylee_tui.services import InvalidInput

    with pytest.raises(InvalidInput, match="name no registry"):
        Scope("acme", "core", user=True)
