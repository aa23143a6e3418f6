"""Approvals beyond a registry's servers: editing or deleting a registry that requires approval,
pinning a server's version (a fork's pin too), and requests whose requester left the org."""

from __future__ import annotations

import pytest

from pylee_tui.services import Conflict, PermissionDenied, Scope, Services
from pylee_tui.services.approvals import ChangeRequested
from tests.services.test_approvals import DAVE, WEATHER_2, WEATHER_AT, acme, join, request_of
from tests.support import ANN, BOB, CARL, SEARCH, WEATHER

__all__ = ["acme"]  # the fixture, shared with test_approvals

CORE = Scope("acme", "core")


def audit_actions(services: Services) -> list[str]:
    return [e.action for e in reversed(services.audit.list_for_org(ANN, "acme"))]


# --- registry edit ----------------------------------------------------------------------------


def test_a_writers_registry_rename_waits_for_approval(acme: Services) -> None:
    number = request_of(lambda: acme.registries.edit(BOB, CORE, new_slug="tools", name="Tools"))
    # nothing changed yet
    assert acme.registries.get_registry(ANN, CORE).name == "Core Tools"
    request = acme.approvals.get_request(ANN, number)
    assert (request.operation, request.registry) == ("registry.edit", "core")
    assert request.summary == "edit registry core (renamed tools)"
    assert "- slug: core" in request.diff.splitlines()
    assert "+ slug: tools" in request.diff.splitlines()
    assert "+ name: Tools" in request.diff.splitlines()

    acme.approvals.approve(DAVE, number)
    renamed = acme.registries.get_registry(ANN, Scope("acme", "tools"))
    assert (renamed.name, renamed.slug) == ("Tools", "tools")
    # the replayed edit is bob's, under dave's authority
    events = acme.audit.list_for_org(ANN, "acme")
    assert any(e.actor == BOB and e.action.startswith("registry.") for e in events)


def test_a_registry_edit_request_is_stale_once_the_registry_changed(acme: Services) -> None:
    number = request_of(lambda: acme.registries.edit(BOB, CORE, description="mine"))
    acme.registries.edit(ANN, CORE, description="ann's")
    with pytest.raises(Conflict, match="registry core changed since the request was made"):
        acme.approvals.approve(DAVE, number)
    assert acme.registries.get_registry(ANN, CORE).description == "ann's"


def test_an_approver_and_an_ungated_registry_edit_directly(acme: Services) -> None:
    acme.registries.edit(DAVE, CORE, description="by dave")  # dave has registries:approve
    acme.registries.edit(BOB, Scope("acme", "data"), description="by bob")  # not gated
    assert acme.registries.get_registry(ANN, CORE).description == "by dave"
    assert acme.approvals.list_requests(ANN, "acme") == []


# --- registry delete --------------------------------------------------------------------------


def test_a_writer_may_not_delete_a_registry_that_requires_approval(acme: Services) -> None:
    message = "registry core requires approval: ask an admin or an approver to delete it"
    with pytest.raises(PermissionDenied, match=message):
        acme.registries.contents(BOB, CORE, check=True)
    with pytest.raises(PermissionDenied, match=message):
        acme.registries.delete(BOB, CORE)
    assert acme.registries.get_registry(ANN, CORE).slug == "core"


def test_deleting_a_registry_closes_its_open_requests_as_rejected(acme: Services) -> None:
    first = request_of(lambda: acme.registries.edit_server(BOB, WEATHER_AT, WEATHER_2))
    second = request_of(
        lambda: acme.registries.remove_server(BOB, Scope("acme", "core", SEARCH["name"]))
    )
    assert acme.registries.contents(ANN, CORE, check=True).requests == 2
    assert "2 open change requests" in acme.registries.contents(ANN, CORE).describe()

    report = acme.registries.delete(ANN, CORE)
    assert report.requests == 2
    assert "2 open change requests (closed as rejected)" in report.describe()
    events = [e for e in acme.audit.list_for_org(ANN, "acme") if e.action == "request.reject"]
    assert sorted(e.metadata["request"] for e in events) == [first, second]
    assert all(e.metadata["comment"] == "registry core was deleted" for e in events)
    delete = next(e for e in acme.audit.list_for_org(ANN, "acme") if e.action == "registry.delete")
    assert delete.metadata["requests"] == 2


# --- pin and unpin ----------------------------------------------------------------------------


def publish_weather_2(services: Services) -> None:
    services.registries.edit_server(ANN, WEATHER_AT, WEATHER_2)
    services.server_versions.publish(ANN, WEATHER_AT, version="1.1.0")


def test_a_writers_pin_and_unpin_wait_for_approval(acme: Services) -> None:
    publish_weather_2(acme)
    number = request_of(lambda: acme.server_versions.pin(BOB, WEATHER_AT, "1.0.0"))
    assert acme.server_versions.state(ANN, WEATHER_AT).pinned is None
    request = acme.approvals.get_request(ANN, number)
    assert request.operation == "server.pin"
    assert request.summary == f"pin server {WEATHER['name']} in registry core to 1.0.0"
    assert request.diff.splitlines() == [
        f"server {WEATHER['name']}",
        "- uses the latest version (1.1.0)",
        "+ pinned to 1.0.0",
    ]
    acme.approvals.approve(DAVE, number)
    assert acme.server_versions.state(ANN, WEATHER_AT).pinned == "1.0.0"

    number = request_of(lambda: acme.server_versions.unpin(BOB, WEATHER_AT))
    assert acme.approvals.get_request(ANN, number).diff.splitlines()[1:] == [
        "- pinned to 1.0.0",
        "+ uses the latest version (1.1.0)",
    ]
    acme.approvals.approve(DAVE, number)
    assert acme.server_versions.state(ANN, WEATHER_AT).pinned is None


def test_a_pin_request_for_a_version_that_does_not_exist_is_refused(acme: Services) -> None:
    from pylee_tui.services import NotFound

    with pytest.raises(NotFound):
        acme.server_versions.pin(BOB, WEATHER_AT, "9.9.9")
    assert acme.approvals.list_requests(ANN, "acme") == []


def test_a_forks_pin_is_a_change_to_the_fork_registry(acme: Services) -> None:
    acme.orgs.create(ANN, "Beta")
    acme.forks.fork(ANN, CORE, "beta", slug="mirror")
    acme.members.invite(ANN, "beta", BOB)
    acme.members.accept(BOB, "beta")
    acme.members.grant(ANN, "beta", BOB, "registries:write")
    mirror = Scope("beta", "mirror")
    acme.approvals.set_required(ANN, mirror, True)
    publish_weather_2(acme)
    at = Scope("beta", "mirror", WEATHER["name"])
    with pytest.raises(ChangeRequested) as raised:
        acme.server_versions.pin(BOB, at, "1.0.0")
    request = raised.value.request
    assert (request.org, request.registry, request.operation) == ("beta", "mirror", "server.pin")
    acme.approvals.approve(ANN, request.id)
    assert acme.server_versions.state(ANN, at).pinned == "1.0.0"


# --- requesters who left ----------------------------------------------------------------------


def test_a_request_of_a_removed_member_cannot_be_approved(acme: Services) -> None:
    number = request_of(lambda: acme.registries.edit_server(BOB, WEATHER_AT, WEATHER_2))
    join(acme, CARL, "registries:write")
    other = request_of(lambda: acme.registries.edit(CARL, CORE, description="carl's"))
    acme.members.revoke_grant(ANN, "acme", CARL, "registries:write")
    with pytest.raises(
        PermissionDenied,
        match=f"{CARL} is no longer a member who may write registries: reject the request",
    ):
        acme.approvals.approve(DAVE, other)
    assert acme.approvals.get_request(ANN, other).state == "open"

    acme.members.remove(ANN, "acme", BOB)
    request = acme.approvals.get_request(ANN, number)
    assert (request.state, request.decided_by) == ("rejected", ANN)
    assert request.comment == f"{BOB} was removed from the org"
    assert "request.reject" in audit_actions(acme)
    assert acme.registries.get_server(ANN, WEATHER_AT).document == WEATHER


# --- request numbers --------------------------------------------------------------------------


@pytest.mark.parametrize("number", [0, -1, 2**63, 10**23])
def test_a_request_number_out_of_range_is_no_such_request(acme: Services, number: int) -> None:
    from pylee_tui.services import NotFound

    for call in (
        lambda: acme.approvals.get_request(ANN, number),
        lambda: acme.approvals.can_decide(ANN, number),
        lambda: acme.approvals.approve(DAVE, number),
        lambda: acme.approvals.reject(DAVE, number, comment="no"),
    ):
        with pytest.raises(NotFound, match=f"no change request #{number}"):
            call()
