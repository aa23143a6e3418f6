"""`GET /v1/changes`: a number any member may read that moves when anyone changes the store
(and not when a secret is only read), so the app knows when to read again what it shows."""

from __future__ import annotations

import httpx2

from pylee_tui.services import Scope
from pylee_tui.services.export.service import ExportEvent
from pylee_tui.team.remote import RemoteServices
from tests.support import ANN, BOB
from tests.team.conftest import TeamServer


def changes(team: TeamServer, token: str) -> int:
    answer = httpx2.get(team.url + "/v1/changes", headers={"Authorization": f"Bearer {token}"})
    assert answer.status_code == 200, answer.text
    return int(answer.json()["changes"])


def test_a_change_by_one_member_moves_the_number_another_reads(team: TeamServer) -> None:
    with RemoteServices(team.url, team.tokens[ANN]) as ann:
        ann.orgs.create(ANN, "Acme", slug="acme")
        ann.members.invite(ANN, "acme", BOB)
        bob_token = team.enrol(BOB)
        with RemoteServices(team.url, bob_token) as bob:
            bob.members.accept(BOB, "acme")
        before = changes(team, bob_token)
        assert changes(team, bob_token) == before  # nothing changed: the same number
        ann.registries.create(ANN, "acme", "Core Tools")
        after = changes(team, bob_token)
        assert after > before
        ann.variables.set_key(ANN, Scope("acme"), "REGION", "eu-west-1")
        changed = changes(team, bob_token)
        assert changed > after
        # an audited read (an export written on ann's machine) changes nothing shown
        event = ExportEvent("acme", "core-tools", "claude", "-", [], "launcher", 0)
        ann.export.record_event(ANN, event)
        assert [e.action for e in team.services.audit.list_for_org(ANN, "acme")][0] == (
            "registry.export"
        )
        assert changes(team, bob_token) == changed


def test_the_number_needs_a_token(team: TeamServer) -> None:
    answer = httpx2.get(team.url + "/v1/changes")
    assert answer.status_code == 401
    assert "join" in answer.json()["error"]["message"]
    forged = httpx2.get(team.url + "/v1/changes", headers={"Authorization": "Bearer forged"})
    assert forged.status_code == 401
