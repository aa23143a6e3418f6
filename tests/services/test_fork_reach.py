"""Whoever makes a registry follow another org's servers is a member of that org: a fork of a
fork follows the original's org, so forking it needs that org too; a clone keeps a link to
another org only for a member of it (else the forked servers become plain copies of the version
in use, and the clone says so). The original's org hears of every new follower."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from pylee_tui.services import PermissionDenied, Scope, Services
from pylee_tui.store import Store
from tests.support import ANN, CARL, SEARCH, WAREHOUSE, WEATHER, table_rows

NAME = WEATHER["name"]
LAB_WEATHER = Scope("lab", "experiments", NAME)


def newer(doc: dict[str, Any], package_version: str) -> dict[str, Any]:
    changed = copy.deepcopy(doc)
    changed["packages"][0]["version"] = package_version
    return changed


@pytest.fixture
def world(services: Services) -> Services:
    """lab/experiments (ann): weather (1.0.0, 1.1.0) and search. acme (ann admin, carl a
    member, never in lab): experiments, a fork of lab/experiments with weather pinned at
    1.0.0; own, with warehouse. carls: carl's own org."""
    s = services
    s.orgs.create(ANN, "Lab")
    s.orgs.create(ANN, "Acme")
    s.registries.create(ANN, "lab", "Experiments", slug="experiments")
    for doc in (WEATHER, SEARCH):
        s.registries.add_server(ANN, Scope("lab", "experiments"), doc)
    s.forks.fork(ANN, Scope("lab", "experiments"), "acme", slug="experiments")
    s.server_versions.pin(ANN, Scope("acme", "experiments", NAME), "1.0.0")
    s.registries.edit_server(ANN, LAB_WEATHER, newer(WEATHER, "1.1.0"))
    s.server_versions.publish(ANN, LAB_WEATHER)
    s.registries.create(ANN, "acme", "Own", slug="own")
    s.registries.add_server(ANN, Scope("acme", "own"), WAREHOUSE)
    s.members.invite(ANN, "acme", CARL)
    s.members.accept(CARL, "acme")
    s.orgs.create(CARL, "Carls")
    return s


def events(s: Services, org: str, action: str, actor: str = ANN) -> list[dict[str, Any]]:
    return [e.metadata for e in s.audit.list_for_org(actor, org) if e.action == action]


# --- fork ------------------------------------------------------------------------------------


def test_a_fork_of_a_fork_needs_the_original_org_too(world: Services, store: Store) -> None:
    before = table_rows(store)
    with pytest.raises(PermissionDenied, match="not a member of 'lab'") as refused:
        world.forks.fork(CARL, Scope("acme", "experiments"), "carls")
    assert "acme/experiments" in str(refused.value) and "\n" not in str(refused.value)
    assert table_rows(store) == before
    assert world.registries.list_registries(CARL, "carls") == []
    # a registry of acme's own: acme is all it follows
    assert world.forks.fork(CARL, Scope("acme", "own"), "carls").servers == 1


def test_a_fork_through_a_fork_is_heard_of_in_the_original_org(world: Services) -> None:
    world.orgs.create(ANN, "Beta")
    world.forks.fork(ANN, Scope("acme", "experiments"), "beta", slug="exp")
    assert events(world, "acme", "registry.forked")[-1] == {"into": "beta/exp", "servers": 2}
    assert {"into": "beta/exp", "servers": 2, "through": "acme/experiments"} in events(
        world, "lab", "registry.forked"
    )
    lab_event = next(
        e for e in world.audit.list_for_org(ANN, "lab") if e.metadata.get("into") == "beta/exp"
    )
    assert lab_event.target_label == "Experiments"


# --- clone -----------------------------------------------------------------------------------


def test_a_clone_by_a_non_member_of_the_upstream_org_copies_instead_of_following(
    world: Services,
) -> None:
    report = world.environments.clone(CARL, "acme", "Acme QA")
    assert [(u.registry, u.server, u.version, u.upstream) for u in report.unfollowed] == [
        ("experiments", SEARCH["name"], "0.2.0", f"lab/experiments/{SEARCH['name']}"),
        ("experiments", NAME, "1.0.0", f"lab/experiments/{NAME}"),
    ]
    assert report.to_json()["unfollowed"][1] == {
        "registry": "experiments",
        "server": NAME,
        "version": "1.0.0",
        "upstream": f"lab/experiments/{NAME}",
    }
    qa = Scope("acme-qa", "experiments")
    assert world.forks.fork_of(CARL, qa) is None
    assert world.forks.upstreams(CARL, qa) == {}
    # each is a server of the clone's own, at the version acme uses, published in the clone
    state = world.server_versions.state(CARL, Scope("acme-qa", "experiments", NAME))
    assert (state.upstream, state.versions[-1].version) == (None, "1.0.0")
    resolved = world.server_versions.resolved(CARL, qa)
    assert {n: r.version for n, r in resolved.items()} == {NAME: "1.0.0", SEARCH["name"]: "0.2.0"}
    # lab moving on does not move the clone
    lab_search = Scope("lab", "experiments", SEARCH["name"])
    world.registries.edit_server(ANN, lab_search, newer(SEARCH, "0.3.0"))
    world.server_versions.publish(ANN, lab_search)
    assert world.server_versions.resolved(CARL, qa)[SEARCH["name"]].version == "0.2.0"
    assert (
        world.server_versions.resolved(ANN, Scope("acme", "experiments"))[SEARCH["name"]].version
        == "0.3.0"
    )
    # lab hears of nothing: nothing of the clone follows it
    told = events(world, "lab", "registry.forked")
    assert [e["into"] for e in told] == ["acme/experiments"]
    (clone_event,) = events(world, "acme-qa", "org.clone", CARL)
    assert clone_event["unfollowed"] == 2


def test_a_clone_by_a_member_of_the_upstream_org_keeps_following(world: Services) -> None:
    report = world.environments.clone(ANN, "acme", "Acme QA")
    assert report.unfollowed == ()
    qa = Scope("acme-qa", "experiments")
    assert world.forks.fork_of(ANN, qa) == "lab/experiments"
    source = world.forks.upstreams(ANN, Scope("acme", "experiments"))
    assert world.forks.upstreams(ANN, qa) == source
    assert {"into": "acme-qa/experiments", "servers": 2, "through": "acme/experiments"} in events(
        world, "lab", "registry.forked"
    )


def test_a_clone_after_leaving_the_upstream_org_copies(world: Services) -> None:
    """Someone who was in lab once and is no longer: their clone follows nothing of lab's."""
    world.members.invite(ANN, "lab", CARL)
    world.members.accept(CARL, "lab")
    world.members.remove(ANN, "lab", CARL)
    report = world.environments.clone(CARL, "acme", "Acme QA")
    assert {u.server for u in report.unfollowed} == {NAME, SEARCH["name"]}
    assert world.forks.upstreams(CARL, Scope("acme-qa", "experiments")) == {}
