"""The contract: the same scenario, with the same assertions, on the local `Services` and on
`RemoteServices` against a team server. What a person sees (results, refusals and their
messages, the audit log) must not depend on which one the CLI or the app talks to."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from pylee_tui.services import Conflict, InvalidInput, NotFound, PermissionDenied, Scope
from pylee_tui.team.remote import RemoteServices
from tests.support import ANN, BOB, CARL, server_doc
from tests.team.conftest import TeamServer

# `as_(email)`: the services that person uses (local: the store's own; remote: their token)
As = Callable[[str], Any]


@pytest.fixture(params=["local", "remote"])
def as_(request: pytest.FixtureRequest) -> Iterator[As]:
    if request.param == "local":
        services = request.getfixturevalue("services")
        yield lambda _email: services
        return
    team: TeamServer = request.getfixturevalue("team")
    opened: dict[str, RemoteServices] = {}

    def remote(email: str) -> RemoteServices:
        if email not in opened:
            token = team.tokens.get(email) or team.enrol(email)
            opened[email] = RemoteServices(team.url, token)
        return opened[email]

    yield remote
    for client in opened.values():
        client.close()


def test_orgs_registries_and_servers(as_: As) -> None:
    ann = as_(ANN)
    org = ann.orgs.create(ANN, "Acme Inc", description="tools")
    assert (org.name, org.slug, org.description) == ("Acme Inc", "acme-inc", "tools")
    assert [(o.slug, o.role, o.admins) for o in ann.orgs.list_orgs(ANN)] == [
        ("acme-inc", "admin", (ANN,))
    ]
    with pytest.raises(Conflict, match="slug 'acme-inc' is already taken"):
        ann.orgs.create(ANN, "Other", slug="acme-inc")
    with pytest.raises(InvalidInput):
        ann.orgs.create(ANN, "")

    registry = ann.registries.create(ANN, "acme-inc", "Main Tools")
    assert registry.slug == "main-tools"
    scope = Scope("acme-inc", "main-tools")
    server = ann.registries.add_server(ANN, scope, server_doc("io.github.acme/weather"))
    assert (server.name, server.version) == ("io.github.acme/weather", "1.0.0")
    assert server.status == "valid"
    assert [s.name for s in ann.registries.list_servers(ANN, scope)] == ["io.github.acme/weather"]
    summaries = ann.registries.list_registries(ANN, "acme-inc")
    assert [(r.slug, r.server_count) for r in summaries] == [("main-tools", 1)]
    with pytest.raises(InvalidInput, match="a server needs a name"):
        ann.registries.add_server(ANN, scope, {"description": "nameless"})
    with pytest.raises(NotFound, match="no registry 'nope'"):
        ann.registries.list_servers(ANN, Scope("acme-inc", "nope"))
    report = ann.registries.server_contents(ANN, Scope("acme-inc", "main-tools", server.name))
    assert report.servers == 1


def test_members_roles_and_the_audit_log(as_: As) -> None:
    ann = as_(ANN)
    ann.orgs.create(ANN, "Acme", slug="acme")
    invited = ann.members.invite(ANN, "acme", BOB)
    assert (invited.email, invited.role, invited.status) == (BOB, "member", "invited")
    with pytest.raises(Conflict, match="already has a pending invitation"):
        ann.members.invite(ANN, "acme", BOB)

    bob = as_(BOB)
    with pytest.raises(NotFound):  # invited, not yet a member: the org is not his to see
        bob.orgs.get_org(BOB, "acme")
    assert bob.members.accept(BOB, "acme").status == "active"
    with pytest.raises(PermissionDenied) as refused:
        bob.members.invite(BOB, "acme", CARL)
    assert "admin" in str(refused.value)

    promoted = ann.members.change_role(ANN, "acme", BOB, "admin")
    assert promoted.role == "admin"
    assert bob.members.invite(BOB, "acme", CARL).invited_by == BOB
    roles = {m.email: (m.role, m.status) for m in ann.members.list_members(ANN, "acme")}
    assert roles == {
        ANN: ("admin", "active"),
        BOB: ("admin", "active"),
        CARL: ("member", "invited"),
    }

    log = ann.audit.list_for_org(ANN, "acme")
    assert [(e.actor, e.action, e.target_label) for e in log][:4] == [
        (BOB, "member.invite", CARL),
        (ANN, "member.role", BOB),
        (BOB, "member.accept", BOB),
        (ANN, "member.invite", BOB),
    ]
    assert [e.action for e in bob.audit.list_by_actor(BOB)] == ["member.invite", "member.accept"]
    with pytest.raises(InvalidInput, match="limit must be from 1"):
        ann.audit.list_for_org(ANN, "acme", limit=0)
