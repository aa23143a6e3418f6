"""The contract: the same scenario, with the same assertions, on the local `Services` and on
`RemoteServices` against a team server. What a person sees (results, refusals and their
messages, the audit log) must not depend on which one the CLI or the app talks to."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from pylee_tui.services import Conflict, InvalidInput, NotFound, PermissionDenied, Scope
from pylee_tui.services.approvals import ChangeRequested
from pylee_tui.team.remote import RemoteServices
from tests.support import ANN, BOB, CARL, SEARCH, WAREHOUSE, WEATHER, server_doc
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


# --- the main scenarios, on both ---------------------------------------------------------

DAVE = "dave@example.com"
WEATHER_NAME = WEATHER["name"]
CORE = Scope("acme", "core")
AT_WEATHER = Scope("acme", "core", WEATHER_NAME)


def acme(as_: As, *members: tuple[str, str | None]) -> Any:
    """ANN's org acme with registry core (weather) and data (warehouse); `members` (email,
    grant) invited and accepted. ANN's services."""
    ann = as_(ANN)
    ann.orgs.create(ANN, "Acme", slug="acme")
    ann.registries.create(ANN, "acme", "Core Tools", slug="core")
    ann.registries.create(ANN, "acme", "Data Sources", slug="data")
    ann.registries.add_server(ANN, CORE, WEATHER)
    ann.registries.add_server(ANN, Scope("acme", "data"), WAREHOUSE)
    for email, grant in members:
        ann.members.invite(ANN, "acme", email)
        as_(email).members.accept(email, "acme")
        if grant:
            ann.members.grant(ANN, "acme", email, grant)
    return ann


def names(services: Any, scope: Scope) -> list[str]:
    return [s.name for s in services.registries.list_servers(ANN, scope)]


def test_servers_edited_moved_imported_exported_and_deleted(as_: As) -> None:
    ann = acme(as_)
    edit = ann.registries.edit_server(ANN, AT_WEATHER, WEATHER | {"description": "Forecasts"})
    assert (edit.server.description, edit.was_draft, edit.renamed_from) == (
        "Forecasts",
        False,
        None,
    )
    assert ann.registries.get_server(ANN, AT_WEATHER).document["description"] == "Forecasts"
    moved = ann.registries.move_server(ANN, AT_WEATHER, "data")
    assert moved.name == WEATHER_NAME
    assert (names(ann, CORE), names(ann, Scope("acme", "data"))) == (
        [],
        sorted([WEATHER_NAME, WAREHOUSE["name"]]),
    )
    report = ann.registries.import_servers(ANN, CORE, [SEARCH, WAREHOUSE, 7], source="s.json")
    assert (report.count("imported"), report.count("rejected")) == (2, 1)
    assert names(ann, CORE) == sorted([SEARCH["name"], WAREHOUSE["name"]])
    exported = ann.registries.export_servers(ANN, CORE)
    assert sorted(doc["name"] for doc in exported) == names(ann, CORE)
    removed = ann.registries.remove_server(ANN, Scope("acme", "core", SEARCH["name"]))
    assert removed.servers == 1
    with pytest.raises(NotFound, match=SEARCH["name"]):
        ann.registries.get_server(ANN, Scope("acme", "core", SEARCH["name"]))

    edited = ann.registries.edit(ANN, CORE, name="Core", description="the core")
    assert (edited.name, edited.slug, edited.description) == ("Core", "core", "the core")
    assert ann.orgs.edit(ANN, "acme", description="we make tools").description == "we make tools"
    assert ann.registries.contents(ANN, Scope("acme", "data")).servers == 2
    gone = ann.registries.delete(ANN, Scope("acme", "data"))
    assert (gone.registries, gone.servers) == (1, 2)
    assert [r.slug for r in ann.registries.list_registries(ANN, "acme")] == ["core"]
    deleted = ann.orgs.delete(ANN, "acme")
    assert (deleted.organizations, deleted.registries, deleted.servers) == (1, 1, 1)
    assert ann.orgs.list_orgs(ANN) == []
    with pytest.raises(NotFound, match="no organization 'acme'"):
        ann.orgs.get_org(ANN, "acme")


def test_versions_published_rolled_back_and_pinned(as_: As) -> None:
    ann = acme(as_, (BOB, None))
    ann.registries.edit_server(ANN, AT_WEATHER, WEATHER | {"description": "Forecasts"})
    state = ann.server_versions.state(ANN, AT_WEATHER)
    assert (state.changed, state.next_version) == (True, "1.0.1")
    published = ann.server_versions.publish(ANN, AT_WEATHER)
    assert (published.version, published.previous, published.bump) == ("1.0.1", "1.0.0", "patch")
    with pytest.raises(InvalidInput, match="nothing to publish"):
        ann.server_versions.publish(ANN, AT_WEATHER)
    text = ann.server_versions.diff(ANN, AT_WEATHER, "1.0.0", "1.0.1")
    assert '+  "description": "Forecasts",' in text.splitlines()
    assert ann.server_versions.document(ANN, AT_WEATHER, "1.0.0")["description"] == "Weather"
    rolled = ann.server_versions.rollback(ANN, AT_WEATHER, "1.0.0")
    assert (rolled.version, rolled.previous) == ("1.0.2", "1.0.1")
    with pytest.raises(InvalidInput, match="nothing to roll back: 1.0.2 is the latest version"):
        ann.server_versions.rollback(ANN, AT_WEATHER, "1.0.2")

    pinned = ann.server_versions.pin(ANN, AT_WEATHER, "1.0.1")
    assert (pinned.pinned, pinned.behind) == ("1.0.1", True)
    assert [v.version for v in pinned.versions] == ["1.0.0", "1.0.1", "1.0.2"]
    used = ann.server_versions.resolved(ANN, CORE)[WEATHER_NAME]
    assert (used.version, used.document["description"]) == ("1.0.1", "Forecasts")
    with pytest.raises(NotFound, match="no published version '7.0.0'"):
        ann.server_versions.pin(ANN, AT_WEATHER, "7.0.0")
    bob = as_(BOB)
    with pytest.raises(PermissionDenied, match=r"bob@example\.com"):
        bob.server_versions.unpin(BOB, AT_WEATHER)
    assert ann.server_versions.unpin(ANN, AT_WEATHER).pinned is None
    with pytest.raises(InvalidInput, match="is not pinned"):
        ann.server_versions.unpin(ANN, AT_WEATHER)
    assert bob.server_versions.resolved_one(BOB, AT_WEATHER).version == "1.0.2"


def test_forks_follow_their_upstream(as_: As) -> None:
    ann = acme(as_)
    ann.orgs.create(ANN, "Beta", slug="beta")
    report = ann.forks.fork(ANN, CORE, "beta", name="Acme tools")
    assert (report.registry.slug, report.servers, report.left_out) == ("acme-tools", 1, [])
    fork = Scope("beta", "acme-tools")
    assert ann.forks.fork_of(ANN, fork) == "acme/core"
    ann.registries.edit_server(ANN, AT_WEATHER, WEATHER | {"description": "Forecasts"})
    ann.server_versions.publish(ANN, AT_WEATHER)
    line = ann.forks.upstreams(ANN, fork)[WEATHER_NAME]
    assert (line.upstream, line.gone, line.pinned, line.latest) == (
        f"acme/core/{WEATHER_NAME}",
        False,
        None,
        "1.0.1",
    )
    frozen = ann.forks.fork(ANN, CORE, "beta", slug="frozen", pinned=True)
    assert frozen.pinned is True
    assert ann.forks.upstreams(ANN, Scope("beta", "frozen"))[WEATHER_NAME].pinned == "1.0.1"
    assert ann.forks.badges(ANN, "beta") == {}
    ann.registries.edit_server(ANN, AT_WEATHER, WEATHER | {"description": "Alerts"})
    ann.server_versions.publish(ANN, AT_WEATHER)
    assert ann.forks.badges(ANN, "beta") == {"frozen": {WEATHER_NAME: "behind"}}
    ann.registries.remove_server(ANN, AT_WEATHER)
    gone = {WEATHER_NAME: "gone upstream"}
    assert ann.forks.badges(ANN, "beta") == {"acme-tools": gone, "frozen": gone}
    with pytest.raises(NotFound, match="no organization 'gamma'"):
        ann.forks.fork(ANN, CORE, "gamma")


def test_approvals_requested_approved_rejected_and_stale(as_: As) -> None:
    ann = acme(as_, (BOB, "registries:write"), (DAVE, "registries:approve"))
    assert ann.approvals.set_required(ANN, CORE, True) is True
    assert ann.approvals.requires_approval(ANN, CORE)
    bob, dave = as_(BOB), as_(DAVE)

    with pytest.raises(ChangeRequested) as opened:
        bob.registries.add_server(BOB, CORE, SEARCH)
    first = opened.value.request
    assert str(opened.value).startswith(f"Change request #{first.id} opened")
    assert (first.operation, first.state, first.requested_by) == ("server.add", "open", BOB)
    assert names(ann, CORE) == [WEATHER_NAME]  # nothing changed until approved
    assert ann.approvals.open_count(ANN, "acme") == 1
    assert not bob.approvals.can_decide(BOB, first.id)
    assert dave.approvals.can_decide(DAVE, first.id)
    with pytest.raises(PermissionDenied, match="cannot approve"):
        bob.approvals.approve(BOB, first.id)
    approved = dave.approvals.approve(DAVE, first.id, comment="looks right")
    assert (approved.state, approved.decided_by, approved.comment) == (
        "approved",
        DAVE,
        "looks right",
    )
    assert names(ann, CORE) == sorted([SEARCH["name"], WEATHER_NAME])

    with pytest.raises(ChangeRequested) as opened:
        bob.registries.remove_server(BOB, AT_WEATHER)
    second = opened.value.request.id
    with pytest.raises(InvalidInput, match="needs a comment"):
        dave.approvals.reject(DAVE, second, comment="  ")
    assert dave.approvals.reject(DAVE, second, comment="still used").state == "rejected"
    with pytest.raises(Conflict, match="already rejected"):
        ann.approvals.approve(ANN, second)
    assert [r.id for r in bob.approvals.list_requests(BOB, "acme", state="rejected")] == [second]

    with pytest.raises(ChangeRequested) as opened:
        bob.registries.edit_server(BOB, AT_WEATHER, WEATHER | {"description": "Bob's"})
    stale = opened.value.request.id
    ann.registries.edit_server(ANN, AT_WEATHER, WEATHER | {"description": "Ann's"})
    with pytest.raises(Conflict) as refused:
        dave.approvals.approve(DAVE, stale)
    assert str(refused.value) == (
        f"server {WEATHER_NAME} changed since the request was made; reject it and ask for a new one"
    )
    assert ann.approvals.get_request(ANN, stale).state == "open"
    assert ann.registries.get_server(ANN, AT_WEATHER).description == "Ann's"
    trail = [(e.actor, e.action) for e in reversed(ann.audit.list_for_org(ANN, "acme"))]
    assert (BOB, "request.open") in trail and (DAVE, "request.approve") in trail
    assert (DAVE, "request.reject") in trail


def test_variables_and_a_members_own_overrides_seen_by_them_alone(as_: As) -> None:
    ann = acme(as_, (BOB, None), (CARL, None))
    ann.variables.set_key(ANN, Scope("acme"), "MODE", "fast")
    ann.variables.set_key(ANN, Scope("acme"), "MODE", "safe")
    ann.variables.set_key(ANN, AT_WEATHER, "URL", "https://${MODE}.example")
    history = ann.variables.history(ANN, Scope("acme"), "MODE")
    assert [(h.version, h.value) for h in history] == [(2, "safe"), (1, "fast")]
    rolled = ann.variables.rollback(ANN, Scope("acme"), "MODE", 1)
    assert ann.variables.get_key(ANN, Scope("acme"), "MODE").value == "fast"
    assert rolled.variable.value == "fast"
    ann.variables.unset(ANN, Scope("acme"), "MODE")
    assert [d.key for d in ann.variables.deleted(ANN, Scope("acme"))] == ["MODE"]
    assert ann.variables.restore(ANN, Scope("acme"), "MODE").value == "fast"

    bob, carl = as_(BOB), as_(CARL)
    mine = Scope("acme", user=True)
    with pytest.raises(PermissionDenied, match="it needs the admin role"):
        bob.variables.set_key(BOB, Scope("acme"), "MODE", "mine")
    bob.variables.set_key(BOB, mine, "MODE", "bobs")
    entry = bob.variables.effective(BOB, AT_WEATHER).get("MODE")
    assert (entry.value, entry.source, entry.scope) == ("bobs", "you", "user")
    for other, email in ((ann, ANN), (carl, CARL)):
        seen = other.variables.effective(email, AT_WEATHER).get("MODE")
        assert (seen.value, seen.scope) == ("fast", "org")
        assert [v.key for v in other.variables.list_keys(email, mine)] == []
        assert "bobs" not in repr(other.variables.effective_for_servers(email, CORE))
    assert [v.value for v in bob.variables.list_keys(BOB, mine)] == ["bobs"]
    assert ann.variables.user_overrides(ANN, "acme") == [(BOB, "MODE")]
    with pytest.raises(PermissionDenied):
        carl.variables.user_overrides(CARL, "acme")
    assert [r.slug for r in bob.variables.registry_scopes(BOB, "acme")] == ["core", "data"]
    assert bob.variables.server_names(BOB, CORE) == [WEATHER_NAME]


def test_member_review_and_who_sees_the_audit_log(as_: As) -> None:
    ann = acme(as_, (BOB, "secrets:write"))
    ann.members.invite(ANN, "acme", CARL, role="admin")
    review = ann.member_review.review(ANN, "acme")
    lines = {line.email: (line.role, line.status, line.grants) for line in review.lines}
    assert lines == {
        ANN: ("admin", "active", ()),
        CARL: ("admin", "invited", ()),
        BOB: ("member", "active", ("secrets:write",)),
    }
    assert review.admins == 1 and any("only one admin" in w for w in review.warnings)
    bob = as_(BOB)
    with pytest.raises(PermissionDenied, match="review members"):
        bob.member_review.review(BOB, "acme")

    bob_sees = [(e.actor, e.action) for e in bob.audit.list_for_org(BOB, "acme")]
    ann_sees = [(e.actor, e.action) for e in ann.audit.list_for_org(ANN, "acme")]
    assert bob_sees == ann_sees  # members see the org's log as admins do
    assert ann_sees[0] == (ANN, "member.invite")
    assert [e.action for e in bob.audit.list_by_actor(BOB)] == ["member.accept"]
    streamed = list(ann.audit.stream_for_org(ANN, "acme"))
    assert [(e.actor, e.action) for e in streamed] == ann_sees
    # carl has a login and an invitation, not yet a membership: the log is not his
    with pytest.raises(NotFound, match="no organization 'acme'"):
        as_(CARL).audit.list_for_org(CARL, "acme")


def test_environments_cloned_and_compared(as_: As) -> None:
    ann = acme(as_, (BOB, None))
    ann.variables.set_key(ANN, Scope("acme"), "MODE", "prod")
    ann.variables.set_key(ANN, CORE, "REGION", "eu")
    clone = ann.environments.clone(ANN, "acme", "Acme Staging", with_members=True)
    assert (clone.slug, clone.source, clone.registries, clone.servers, clone.variables) == (
        "acme-staging",
        "acme",
        2,
        2,
        2,
    )
    assert clone.members == 1 and clone.missing == ()
    assert ann.orgs.role(ANN, "acme-staging") == "admin"
    same = ann.environments.diff(ANN, "acme", "acme-staging")
    assert (same.keys, same.registries) == ((), ())
    ann.variables.set_key(ANN, Scope("acme-staging"), "MODE", "staging")
    ann.registries.remove_server(ANN, Scope("acme-staging", "data", WAREHOUSE["name"]))
    diff = ann.environments.diff(ANN, "acme", "acme-staging")
    assert [(k.key, k.state, k.a, k.b) for k in diff.keys] == [
        ("MODE", "differs", "prod", "staging")
    ]
    assert [(r.slug, r.state) for r in diff.registries] == [("data", "both")]
    assert ann.environments.missing_in_org(ANN, "acme-staging") == []
    assert ann.environments.clone(ANN, "acme", "Acme Staging").slug == "acme-staging-2"
    with pytest.raises(Conflict, match="already taken"):
        ann.environments.clone(ANN, "acme", "Again", slug="acme-staging")
