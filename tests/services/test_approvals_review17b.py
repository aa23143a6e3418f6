"""Approvals, second review of issue 17: a pin request is stale once the pin (or a fork's
upstream) moved on; a registry edit and its approval setting are one change; deleting a registry
closes the requests to move a server into it; a change that cannot happen opens no request."""

from __future__ import annotations

import pytest

from pylee_tui.services import Conflict, InvalidInput, PermissionDenied, Scope, Services
from tests.services.test_approvals import DAVE, WEATHER_2, WEATHER_AT, acme, request_of
from tests.support import ANN, BOB, WEATHER

__all__ = ["acme"]  # the fixture, shared with test_approvals

CORE = Scope("acme", "core")
WEATHER_3 = WEATHER_2 | {"description": "Weather, with alerts and radar", "version": "1.2.0"}
STALE = f"server {WEATHER['name']} changed since the request was made"


def publish(services: Services, document: dict, version: str) -> None:
    services.registries.edit_server(ANN, WEATHER_AT, document)
    services.server_versions.publish(ANN, WEATHER_AT, version=version)


# --- M1: pins ---------------------------------------------------------------------------------


def test_a_pin_request_is_stale_once_someone_pinned_meanwhile(acme: Services) -> None:
    publish(acme, WEATHER_2, "1.1.0")
    publish(acme, WEATHER_3, "1.2.0")
    number = request_of(lambda: acme.server_versions.pin(BOB, WEATHER_AT, "1.0.0"))
    acme.server_versions.pin(ANN, WEATHER_AT, "1.1.0")
    with pytest.raises(Conflict, match=STALE):
        acme.approvals.approve(DAVE, number)
    # ann's pin stands, and the request stays open for a decision
    assert acme.server_versions.state(ANN, WEATHER_AT).pinned == "1.1.0"
    assert acme.approvals.get_request(ANN, number).state == "open"


def test_an_unpin_request_is_stale_once_the_pin_changed(acme: Services) -> None:
    publish(acme, WEATHER_2, "1.1.0")
    acme.server_versions.pin(ANN, WEATHER_AT, "1.0.0")
    number = request_of(lambda: acme.server_versions.unpin(BOB, WEATHER_AT))
    acme.server_versions.pin(ANN, WEATHER_AT, "1.1.0")
    with pytest.raises(Conflict, match=STALE):
        acme.approvals.approve(DAVE, number)
    assert acme.server_versions.state(ANN, WEATHER_AT).pinned == "1.1.0"


def test_a_pin_request_untouched_since_is_still_approved(acme: Services) -> None:
    publish(acme, WEATHER_2, "1.1.0")
    number = request_of(lambda: acme.server_versions.pin(BOB, WEATHER_AT, "1.0.0"))
    acme.server_versions.state(ANN, WEATHER_AT)  # reading changes nothing
    acme.approvals.approve(DAVE, number)
    assert acme.server_versions.state(ANN, WEATHER_AT).pinned == "1.0.0"


def fork_into_beta(services: Services, *, pinned: bool) -> Scope:
    services.orgs.create(ANN, "Beta")
    services.forks.fork(ANN, CORE, "beta", slug="mirror", pinned=pinned)
    services.members.invite(ANN, "beta", BOB)
    services.members.accept(BOB, "beta")
    services.members.grant(ANN, "beta", BOB, "registries:write")
    services.approvals.set_required(ANN, Scope("beta", "mirror"), True)
    return Scope("beta", "mirror", WEATHER["name"])


def test_a_forks_unpin_request_is_stale_once_upstream_published(acme: Services) -> None:
    at = fork_into_beta(acme, pinned=True)  # the fork stays on 1.0.0
    number = request_of(lambda: acme.server_versions.unpin(BOB, at))
    # the request said "uses the latest version (1.0.0)"; upstream publishes 1.1.0
    publish(acme, WEATHER_2, "1.1.0")
    with pytest.raises(Conflict, match=STALE):
        acme.approvals.approve(ANN, number)
    assert acme.server_versions.state(ANN, at).pinned == "1.0.0"


def test_a_forks_pin_request_is_stale_once_its_upstream_is_gone(acme: Services) -> None:
    publish(acme, WEATHER_2, "1.1.0")
    at = fork_into_beta(acme, pinned=False)
    number = request_of(lambda: acme.server_versions.pin(BOB, at, "1.0.0"))
    acme.registries.remove_server(ANN, WEATHER_AT)  # ann is an approver: no request
    with pytest.raises(Conflict, match=STALE):
        acme.approvals.approve(ANN, number)


# --- M2 + L7: a registry edit with its approval setting ---------------------------------------


def test_an_edit_with_approval_off_and_a_taken_slug_changes_nothing(acme: Services) -> None:
    with pytest.raises(Conflict, match="'data' is already taken"):
        acme.registries.edit(ANN, CORE, new_slug="data", require_approval=False)
    assert acme.approvals.requires_approval(ANN, CORE)
    actions = [e.action for e in acme.audit.list_for_org(ANN, "acme")]
    assert actions.count("registry.approval") == 1  # only the fixture's


def test_an_edit_with_approval_applies_both_in_one_go(acme: Services) -> None:
    reg = acme.registries.edit(ANN, CORE, name="Tools", new_slug="tools", require_approval=False)
    assert (reg.name, reg.slug) == ("Tools", "tools")
    assert not acme.approvals.requires_approval(ANN, Scope("acme", "tools"))
    # approval alone, no other field
    acme.registries.edit(ANN, Scope("acme", "tools"), require_approval=True)
    assert acme.approvals.requires_approval(ANN, Scope("acme", "tools"))


@pytest.mark.parametrize("who", [BOB, DAVE])
def test_only_org_managers_change_the_approval_setting_with_an_edit(
    acme: Services, who: str
) -> None:
    with pytest.raises(PermissionDenied, match="change whether a registry requires approval"):
        acme.registries.edit(who, CORE, description="x", require_approval=False)
    # no request was opened for bob either, and nothing changed
    assert acme.approvals.list_requests(ANN, "acme") == []
    assert acme.registries.get_registry(ANN, CORE).description == ""
    assert acme.approvals.requires_approval(ANN, CORE)


# --- M3: deleting the registry a move goes to -------------------------------------------------


def test_deleting_a_registry_closes_the_moves_into_it(acme: Services) -> None:
    number = request_of(lambda: acme.registries.move_server(BOB, WEATHER_AT, "data"))
    data = Scope("acme", "data")
    assert acme.registries.contents(ANN, data, check=True).requests == 1
    report = acme.registries.delete(ANN, data)
    assert report.requests == 1
    request = acme.approvals.get_request(ANN, number)
    assert (request.state, request.decided_by, request.comment) == (
        "rejected",
        ANN,
        "registry data was deleted",
    )
    events = [e for e in acme.audit.list_for_org(ANN, "acme") if e.action == "request.reject"]
    assert [e.metadata["request"] for e in events] == [number]


# --- M4: changes that cannot happen open no request -------------------------------------------


def no_request(acme: Services, call, error: type[Exception], message: str) -> None:
    with pytest.raises(error, match=message):
        call()
    assert acme.approvals.list_requests(ANN, "acme", state="all") == []


def test_a_move_to_the_same_registry_is_refused_not_requested(acme: Services) -> None:
    no_request(
        acme,
        lambda: acme.registries.move_server(BOB, WEATHER_AT, "core"),
        InvalidInput,
        f"server '{WEATHER['name']}' is already in registry 'core'",
    )


def test_a_rollback_to_the_latest_is_refused_not_requested(acme: Services) -> None:
    no_request(
        acme,
        lambda: acme.server_versions.rollback(BOB, WEATHER_AT, "1.0.0"),
        InvalidInput,
        "nothing to roll back: 1.0.0 is the latest version",
    )
    publish(acme, WEATHER_2, "1.1.0")
    acme.registries.edit_server(ANN, WEATHER_AT, WEATHER)  # 1.1.0 back to 1.0.0's content
    acme.server_versions.publish(ANN, WEATHER_AT, version="1.2.0")
    no_request(
        acme,
        lambda: acme.server_versions.rollback(BOB, WEATHER_AT, "1.0.0"),
        InvalidInput,
        "nothing to roll back: 1.2.0, the latest version, has the content of 1.0.0",
    )


def test_a_rollback_over_unpublished_changes_is_refused_not_requested(acme: Services) -> None:
    publish(acme, WEATHER_2, "1.1.0")
    acme.registries.edit_server(ANN, WEATHER_AT, WEATHER_3)
    no_request(
        acme,
        lambda: acme.server_versions.rollback(BOB, WEATHER_AT, "1.0.0"),
        Conflict,
        "has unpublished changes",
    )


def test_a_publish_with_nothing_to_publish_is_refused_not_requested(acme: Services) -> None:
    no_request(
        acme,
        lambda: acme.server_versions.publish(BOB, WEATHER_AT),
        InvalidInput,
        "nothing to publish: server",
    )


def test_an_import_replacing_with_the_same_document_shows_it_unchanged(acme: Services) -> None:
    number = request_of(
        lambda: acme.registries.import_servers(
            BOB, CORE, [WEATHER, WEATHER_2 | {"name": "x.y/z"}], replace=True
        )
    )
    diff = acme.approvals.get_request(ANN, number).diff.splitlines()
    assert f"= {WEATHER['name']}  unchanged (as in the registry)" in diff
    assert not any(line.startswith("---") for line in diff)  # no empty diff of weather


def test_an_import_that_changes_nothing_is_refused_not_requested(acme: Services) -> None:
    no_request(
        acme,
        lambda: acme.registries.import_servers(BOB, CORE, [WEATHER], replace=True),
        InvalidInput,
        "nothing to import: every server is already in registry 'core' as given",
    )
