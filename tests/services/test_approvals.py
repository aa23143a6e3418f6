"""ApprovalService: on a registry that requires approval, a writer's change becomes a change
request that changes nothing until an approver applies it (refused if the registry moved on) or
rejects it; requesters cannot approve their own; each step is in the audit log."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from pylee_tui.services import Conflict, InvalidInput, NotFound, PermissionDenied, Scope, Services
from pylee_tui.services.approvals import ApprovalService, ChangeRequested
from pylee_tui.store import Store
from tests.support import ANN, BOB, CARL, SEARCH, WAREHOUSE, WEATHER, server_doc, table_rows

DAVE = "dave@example.com"
NEW = server_doc("io.github.acme/new", "1.0.0", "New")
WEATHER_2 = WEATHER | {"description": "Weather, now with alerts", "version": "1.1.0"}


def join(services: Services, email: str, *grants: str) -> None:
    services.members.invite(ANN, "acme", email)
    services.members.accept(email, "acme")
    for grant in grants:
        services.members.grant(ANN, "acme", email, grant)


@pytest.fixture
def acme(services: Services) -> Services:
    """acme: ann admin, bob a writer, dave an approver; registry core (weather, search) requires
    approval, registry data (warehouse) does not."""
    services.orgs.create(ANN, "Acme")
    services.registries.create(ANN, "acme", "Core Tools", slug="core")
    services.registries.create(ANN, "acme", "Data Sources", slug="data")
    services.registries.add_server(ANN, Scope("acme", "core"), WEATHER)
    services.registries.add_server(ANN, Scope("acme", "core"), SEARCH)
    services.registries.add_server(ANN, Scope("acme", "data"), WAREHOUSE)
    join(services, BOB, "registries:write")
    join(services, DAVE, "registries:approve")
    assert services.approvals.set_required(ANN, Scope("acme", "core"), True)
    return services


def core_servers(services: Services) -> dict[str, dict[str, Any]]:
    return {
        s.name: s.document for s in services.registries.list_servers(ANN, Scope("acme", "core"))
    }


def actions(services: Services) -> list[tuple[str, str]]:
    return [(e.actor, e.action) for e in reversed(services.audit.list_for_org(ANN, "acme"))]


def request_of(call: Callable[[], Any]) -> int:
    with pytest.raises(ChangeRequested) as excinfo:
        call()
    assert str(excinfo.value).startswith(f"Change request #{excinfo.value.request.id} opened")
    return excinfo.value.request.id


WEATHER_AT = Scope("acme", "core", WEATHER["name"])

# each gated write, as bob, and what approving it leaves in registry core (by name)
CHANGES: list[tuple[str, Callable[[Services], Any], Callable[[dict[str, Any]], bool]]] = [
    (
        "add",
        lambda s: s.registries.add_server(BOB, Scope("acme", "core"), NEW),
        lambda core: core.get(NEW["name"]) == NEW,
    ),
    (
        "edit",
        lambda s: s.registries.edit_server(BOB, WEATHER_AT, WEATHER_2),
        lambda core: core[WEATHER["name"]] == WEATHER_2,
    ),
    (
        "remove",
        lambda s: s.registries.remove_server(BOB, WEATHER_AT),
        lambda core: WEATHER["name"] not in core,
    ),
    (
        "move",
        lambda s: s.registries.move_server(BOB, WEATHER_AT, "data"),
        lambda core: WEATHER["name"] not in core,
    ),
    (
        "import",
        lambda s: s.registries.import_servers(
            BOB, Scope("acme", "core"), [NEW, WEATHER_2], replace=True, source="servers.json"
        ),
        lambda core: core.get(NEW["name"]) == NEW and core[WEATHER["name"]] == WEATHER_2,
    ),
]


@pytest.mark.parametrize("change,applied", [c[1:] for c in CHANGES], ids=[c[0] for c in CHANGES])
def test_a_writers_change_becomes_a_request_that_changes_nothing_until_approved(
    acme: Services, store: Store, change, applied
) -> None:
    before = core_servers(acme)
    rows = table_rows(store)
    number = request_of(lambda: change(acme))
    after = table_rows(store)
    # only the request and its audit event were written
    assert {t for t in rows if rows[t] != after[t]} == {"change_requests", "audit_events"}
    assert core_servers(acme) == before
    assert [r.id for r in acme.approvals.list_requests(ANN, "acme")] == [number]

    approved = acme.approvals.approve(DAVE, number, comment="looks right")
    assert (approved.state, approved.decided_by, approved.comment) == (
        "approved",
        DAVE,
        "looks right",
    )
    assert applied(core_servers(acme))
    assert acme.approvals.list_requests(ANN, "acme") == []
    trail = actions(acme)
    assert (BOB, "request.open") in trail
    # the change itself is the requester's, applied when the approver approved it
    assert trail[-1] == (DAVE, "request.approve")
    assert trail[-2][0] == BOB and trail[-2][1].startswith("server.")


def test_the_request_shows_a_diff_of_the_server_json(acme: Services) -> None:
    number = request_of(lambda: acme.registries.edit_server(BOB, WEATHER_AT, WEATHER_2))
    request = acme.approvals.get_request(ANN, number)
    assert request.summary == f"edit server {WEATHER['name']} in registry core"
    assert '-  "version": "1.0.0"' in request.diff.splitlines()
    assert '+  "version": "1.1.0"' in request.diff.splitlines()
    assert '+  "description": "Weather, now with alerts",' in request.diff.splitlines()


def test_an_import_request_lists_the_servers_it_affects(acme: Services) -> None:
    number = request_of(
        lambda: acme.registries.import_servers(BOB, Scope("acme", "core"), [NEW, SEARCH, 7])
    )
    lines = acme.approvals.get_request(ANN, number).diff.splitlines()
    assert lines[:3] == [
        f"+ {NEW['name']}  new",
        f"= {SEARCH['name']}  skipped (already in the registry)",
        "! #3  rejected (no usable name)",
    ]


def test_approval_racing_a_direct_change_is_refused_and_changes_nothing(
    acme: Services, store: Store
) -> None:
    number = request_of(lambda: acme.registries.edit_server(BOB, WEATHER_AT, WEATHER_2))
    admins_edit = WEATHER | {"description": "Edited by an admin"}
    acme.registries.edit_server(ANN, WEATHER_AT, admins_edit)
    rows = table_rows(store)
    with pytest.raises(Conflict) as excinfo:
        acme.approvals.approve(DAVE, number)
    assert str(excinfo.value) == (
        f"server {WEATHER['name']} changed since the request was made; reject it and ask for "
        "a new one"
    )
    assert table_rows(store) == rows
    assert core_servers(acme)[WEATHER["name"]] == admins_edit
    assert acme.approvals.get_request(ANN, number).state == "open"


def test_an_add_racing_a_direct_add_of_the_same_name_is_refused(acme: Services) -> None:
    number = request_of(lambda: acme.registries.add_server(BOB, Scope("acme", "core"), NEW))
    acme.registries.add_server(ANN, Scope("acme", "core"), NEW | {"description": "Ann's"})
    with pytest.raises(Conflict, match="changed since the request was made"):
        acme.approvals.approve(ANN, number)


def test_rejection_needs_a_comment_and_closes_the_request_unapplied(acme: Services) -> None:
    before = core_servers(acme)
    number = request_of(lambda: acme.registries.remove_server(BOB, WEATHER_AT))
    with pytest.raises(InvalidInput, match="needs a comment"):
        acme.approvals.reject(DAVE, number, comment="  ")
    rejected = acme.approvals.reject(DAVE, number, comment="we still use it")
    assert (rejected.state, rejected.decided_by, rejected.comment) == (
        "rejected",
        DAVE,
        "we still use it",
    )
    assert core_servers(acme) == before
    with pytest.raises(Conflict, match="already rejected"):
        acme.approvals.approve(ANN, number)
    assert actions(acme)[-1] == (DAVE, "request.reject")
    assert [r.id for r in acme.approvals.list_requests(BOB, "acme", state="rejected")] == [number]


def test_a_requester_cannot_approve_their_own_request(acme: Services) -> None:
    number = request_of(lambda: acme.registries.add_server(BOB, Scope("acme", "core"), NEW))
    # bob becomes an approver later: still not for his own request
    acme.members.grant(ANN, "acme", BOB, "registries:approve")
    with pytest.raises(PermissionDenied, match="cannot approve your own change request"):
        acme.approvals.approve(BOB, number)
    assert acme.approvals.can_decide(DAVE, number)
    assert not acme.approvals.can_decide(BOB, number)


def test_only_admins_and_approvers_decide(acme: Services) -> None:
    join(acme, CARL, "registries:write")
    number = request_of(lambda: acme.registries.add_server(BOB, Scope("acme", "core"), NEW))
    with pytest.raises(PermissionDenied, match="registries:approve"):
        acme.approvals.approve(CARL, number)
    with pytest.raises(PermissionDenied, match="registries:approve"):
        acme.approvals.reject(CARL, number, comment="no")
    # the requester may withdraw it
    assert acme.approvals.reject(BOB, number, comment="wrong file").state == "rejected"


def test_admins_and_approvers_change_an_approval_registry_directly(acme: Services) -> None:
    acme.registries.add_server(DAVE, Scope("acme", "core"), NEW)
    acme.registries.edit_server(ANN, WEATHER_AT, WEATHER_2)
    assert core_servers(acme)[NEW["name"]] == NEW
    assert acme.approvals.list_requests(ANN, "acme", state="all") == []


def test_a_registry_without_approval_and_a_plain_member_are_not_gated(acme: Services) -> None:
    acme.registries.add_server(BOB, Scope("acme", "data"), NEW)  # data requires no approval
    join(acme, CARL)
    with pytest.raises(PermissionDenied, match="registries:write"):
        acme.registries.add_server(CARL, Scope("acme", "core"), server_doc("io.x/y"))
    assert acme.approvals.list_requests(ANN, "acme", state="all") == []


def test_a_move_into_an_approval_registry_is_gated(acme: Services) -> None:
    request_of(
        lambda: acme.registries.move_server(BOB, Scope("acme", "data", WAREHOUSE["name"]), "core")
    )
    assert WAREHOUSE["name"] not in core_servers(acme)


def test_a_request_for_something_impossible_is_refused_not_opened(acme: Services) -> None:
    with pytest.raises(NotFound, match="no server"):
        acme.registries.remove_server(BOB, Scope("acme", "core", "io.x/none"))
    with pytest.raises(Conflict, match="already in registry"):
        acme.registries.add_server(BOB, Scope("acme", "core"), WEATHER)
    assert acme.approvals.list_requests(ANN, "acme", state="all") == []


def test_only_admins_turn_approval_on_or_off(acme: Services) -> None:
    with pytest.raises(PermissionDenied, match="admin role"):
        acme.approvals.set_required(DAVE, Scope("acme", "data"), True)
    assert acme.approvals.requires_approval(BOB, Scope("acme", "core"))
    assert acme.approvals.set_required(ANN, Scope("acme", "core"), False)
    assert not acme.approvals.set_required(ANN, Scope("acme", "core"), False)
    acme.registries.add_server(BOB, Scope("acme", "core"), NEW)  # goes ahead now
    assert ("ann@example.com", "registry.approval") in actions(acme)


def test_outsiders_see_no_requests(acme: Services) -> None:
    number = request_of(lambda: acme.registries.add_server(BOB, Scope("acme", "core"), NEW))
    with pytest.raises(NotFound):
        acme.approvals.get_request(CARL, number)
    assert acme.approvals.list_requests(CARL) == []
    assert acme.approvals.open_count(BOB, "acme") == 1


def test_a_decided_request_cannot_be_rewritten_in_the_database(
    acme: Services, store: Store
) -> None:
    import sqlite3

    number = request_of(lambda: acme.registries.add_server(BOB, Scope("acme", "core"), NEW))
    acme.approvals.reject(ANN, number, comment="no")
    with (
        pytest.raises(sqlite3.IntegrityError, match="decided change request"),
        store.transaction() as db,
    ):
        db.execute("UPDATE change_requests SET state = 'open' WHERE id = ?", [number])


# --- the permission table: every public method of ApprovalService, classified -----------------

READS = {"requires_approval", "list_requests", "open_count", "get_request", "can_decide"}
# called by RegistryService's writes (tested above); close_open inside a registry delete or a
# member removal (tests/services/test_approvals_registry.py)
INTERNAL = {"gate", "authority", "close_open", "open_touching", "apply_required"}
MUTATIONS = {"set_required": "admin role", "approve": "registries:approve"}


def test_the_permission_table_covers_every_public_method() -> None:
    public = {
        n
        for n in vars(ApprovalService)
        if not n.startswith("_") and callable(getattr(ApprovalService, n))
    }
    assert public == READS | INTERNAL | set(MUTATIONS) | {"reject"}


def test_a_bad_state_is_one_clear_line(acme: Services) -> None:
    with pytest.raises(InvalidInput, match="unknown state 'done'"):
        acme.approvals.list_requests(ANN, "acme", state="done")


def test_a_writers_publish_becomes_a_request_and_approval_publishes(acme: Services) -> None:
    acme.registries.edit_server(ANN, WEATHER_AT, WEATHER_2)  # the working copy moves on
    before = acme.server_versions.state(ANN, WEATHER_AT).latest
    number = request_of(lambda: acme.server_versions.publish(BOB, WEATHER_AT, bump="minor"))
    assert acme.server_versions.state(ANN, WEATHER_AT).latest == before
    request = acme.approvals.get_request(ANN, number)
    assert request.summary == f"publish server {WEATHER['name']} in registry core (minor)"
    assert '+  "version": "1.1.0"' in request.diff.splitlines()
    acme.approvals.approve(DAVE, number)
    assert acme.server_versions.state(ANN, WEATHER_AT).latest != before
    assert actions(acme)[-2] == (BOB, "server.publish")


def test_a_writers_rollback_is_a_publication_too_and_needs_approval(acme: Services) -> None:
    acme.registries.edit_server(ANN, WEATHER_AT, WEATHER_2)
    first = acme.server_versions.state(ANN, WEATHER_AT).latest
    acme.server_versions.publish(ANN, WEATHER_AT, bump="minor")  # an admin: applied at once
    latest = acme.server_versions.state(ANN, WEATHER_AT).latest
    assert first is not None and latest != first
    number = request_of(lambda: acme.server_versions.rollback(BOB, WEATHER_AT, first))
    assert acme.server_versions.state(ANN, WEATHER_AT).latest == latest  # nothing published
    request = acme.approvals.get_request(ANN, number)
    assert request.summary == (
        f"roll back server {WEATHER['name']} in registry core to {first}'s content"
    )
    assert '-  "description": "Weather, now with alerts",' in request.diff.splitlines()
    acme.approvals.approve(DAVE, number)
    state = acme.server_versions.state(ANN, WEATHER_AT)
    assert state.latest not in (first, latest)  # a new version, holding the first's content
    assert (
        acme.server_versions.document(ANN, WEATHER_AT, state.latest or "")["description"]
        == (WEATHER["description"])
    )
    assert actions(acme)[-2] == (BOB, "server.rollback")
