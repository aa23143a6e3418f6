"""Forks: a registry whose servers refer to another's, following their upstream's latest version
or pinned; its own variables and servers; gone upstream instead of broken; who may fork."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from typing import Any

import pytest

from pylee_tui.services import InvalidInput, NotFound, PermissionDenied, Scope, Services
from pylee_tui.services.forks import ForkService
from pylee_tui.store import Store
from tests.support import ANN, BOB, SEARCH, WAREHOUSE, WEATHER, server_doc, table_rows

NAME = WEATHER["name"]
UPSTREAM = Scope("acme", "core", NAME)
FORK = Scope("beta", "core", NAME)


@pytest.fixture
def world(services: Services) -> Services:
    """acme (ann): registry core with weather 1.0.0, search 0.2.0 and a draft never published;
    beta (ann): empty. bob is a member of acme only."""
    services.orgs.create(ANN, "Acme")
    services.orgs.create(ANN, "Beta")
    services.registries.create(ANN, "acme", "Core Tools", slug="core")
    for doc in (WEATHER, SEARCH):
        services.registries.add_server(ANN, Scope("acme", "core"), doc)
    draft = server_doc("io.github.acme/draft", "1.0.0", "d" * 101)
    services.registries.add_server(ANN, Scope("acme", "core"), draft, allow_draft=True)
    services.members.invite(ANN, "acme", BOB)
    services.members.accept(BOB, "acme")
    return services


def newer(version_of_package: str, description: str = "Weather") -> dict[str, Any]:
    doc = copy.deepcopy(WEATHER) | {"description": description}
    doc["packages"][0]["version"] = version_of_package
    return doc


def publish(services: Services, doc: dict[str, Any]) -> str:
    services.registries.edit_server(ANN, UPSTREAM, doc)
    return services.server_versions.publish(ANN, UPSTREAM).version


def entry_of(services: Services, scope: Scope) -> str:
    plan = services.export.plan(ANN, Scope(scope.org, scope.registry), "claude", secrets="inline")
    return json.dumps(plan.entries)


def test_a_fork_refers_to_the_upstream_servers(world: Services, store: Store) -> None:
    report = world.forks.fork(ANN, Scope("acme", "core"), "beta", name="Acme tools")
    assert (report.registry.slug, report.servers, report.left_out) == (
        "acme-tools",
        2,
        ["io.github.acme/draft"],
    )
    assert world.forks.fork_of(ANN, Scope("beta", "acme-tools")) == "acme/core"
    lines = world.forks.upstreams(ANN, Scope("beta", "acme-tools"))
    assert lines[NAME].upstream == f"acme/core/{NAME}"
    # the fork's rows publish nothing of their own: versions are the upstream's
    fork_rows = store.db.execute(
        "SELECT count(*) FROM server_versions v JOIN servers s ON s.id = v.server_id "
        "JOIN registries r ON r.id = s.registry_id WHERE r.slug = 'acme-tools'"
    ).fetchone()[0]
    assert fork_rows == 0


def test_a_following_fork_moves_with_upstream_and_a_pinned_one_falls_behind(
    world: Services,
) -> None:
    world.forks.fork(ANN, Scope("acme", "core"), "beta", slug="core")
    world.forks.fork(ANN, Scope("acme", "core"), "beta", slug="frozen", pinned=True)
    frozen = Scope("beta", "frozen", NAME)
    assert publish(world, newer("1.1.0")) == "1.1.0"

    follows = world.forks.upstreams(ANN, Scope("beta", "core"))[NAME]
    assert (follows.in_use, follows.behind, follows.badge) == ("1.1.0", False, "")
    assert "@weather/mcp@1.1.0" in entry_of(world, FORK)
    assert world.registries.get_server(ANN, FORK).version == "1.1.0"  # the row follows too

    pinned = world.forks.upstreams(ANN, Scope("beta", "frozen"))[NAME]
    assert (pinned.in_use, pinned.latest, pinned.behind, pinned.badge) == (
        "1.0.0",
        "1.1.0",
        True,
        "behind",
    )
    assert "@weather/mcp@1.0.0" in entry_of(world, frozen)
    assert world.forks.badges(ANN, "beta") == {"frozen": {NAME: "behind"}}
    pages = world.registries.server_pages(ANN, "beta", {"frozen": None, "core": None})
    assert {line.name: line.fork for line in pages["frozen"].lines}[NAME] == "behind"
    assert {line.fork for line in pages["core"].lines} == {""}

    world.server_versions.unpin(ANN, frozen)
    assert "@weather/mcp@1.1.0" in entry_of(world, frozen)
    world.server_versions.pin(ANN, FORK, "1.0.0")  # a follower can be pinned at any version
    assert "@weather/mcp@1.0.0" in world.launch.preview(ANN, FORK).command_line


def test_a_forked_server_cannot_be_edited_or_published_here(world: Services) -> None:
    world.forks.fork(ANN, Scope("acme", "core"), "beta", slug="core")
    for call in (
        lambda: world.registries.edit_server(ANN, FORK, newer("9.0.0")),
        lambda: world.server_versions.publish(ANN, FORK, bump="patch"),
        lambda: world.server_versions.rollback(ANN, FORK, "1.0.0"),
    ):
        with pytest.raises(InvalidInput, match="forked from acme/core/"):
            call()
    assert world.server_versions.state(ANN, FORK).upstream == f"acme/core/{NAME}"


def test_the_fork_has_its_own_configuration_and_servers(world: Services) -> None:
    world.forks.fork(ANN, Scope("acme", "core"), "beta", slug="core")
    world.variables.set_key(ANN, FORK, "UNITS", "imperial")
    world.variables.set_key(ANN, Scope("beta", "core"), "REGION", "eu")
    config = world.variables.effective(ANN, FORK)
    units, region = config.get("UNITS"), config.get("REGION")
    assert units is not None and region is not None
    assert (units.value, region.value) == ("imperial", "eu")
    assert world.variables.effective(ANN, UPSTREAM).get("UNITS") is None
    assert '"UNITS": "imperial"' in entry_of(world, FORK)  # the upstream's document, our values
    world.registries.add_server(ANN, Scope("beta", "core"), WAREHOUSE)
    assert WAREHOUSE["name"].split("/")[-1] in entry_of(world, FORK)
    assert WAREHOUSE["name"] not in world.forks.upstreams(ANN, Scope("beta", "core"))


def test_a_removed_upstream_is_gone_in_the_fork_not_broken(world: Services) -> None:
    world.forks.fork(ANN, Scope("acme", "core"), "beta", slug="core")
    world.registries.remove_server(ANN, UPSTREAM)
    line = world.forks.upstreams(ANN, Scope("beta", "core"))[NAME]
    assert (line.gone, line.badge, line.in_use) == (True, "gone upstream", None)
    assert world.forks.badges(ANN, "beta") == {"core": {NAME: "gone upstream"}}
    page = world.registries.server_pages(ANN, "beta", {"core": None})["core"]
    assert {line.name: line.fork for line in page.lines}[NAME] == "gone upstream"
    plan = world.export.plan(ANN, Scope("beta", "core"), "claude", secrets="inline")
    assert NAME not in json.dumps(plan.entries)
    assert any("gone upstream" in s for s in plan.skipped)
    with pytest.raises(InvalidInput, match="gone upstream"):
        world.launch.preview(ANN, FORK)
    with pytest.raises(InvalidInput, match="gone upstream"):
        world.server_versions.pin(ANN, FORK, "1.0.0")
    # it can still be removed from the fork, and the whole upstream registry can go
    world.registries.delete(ANN, Scope("acme", "core"))
    assert world.forks.fork_of(ANN, Scope("beta", "core")) == "acme/core"
    world.registries.remove_server(ANN, FORK)


def test_deleting_the_fork_leaves_the_upstream_alone(world: Services) -> None:
    world.forks.fork(ANN, Scope("acme", "core"), "beta", slug="core")
    world.registries.delete(ANN, Scope("beta", "core"))
    assert world.server_versions.state(ANN, UPSTREAM).latest == "1.0.0"


def test_a_fork_of_a_fork_refers_to_the_original(world: Services) -> None:
    world.forks.fork(ANN, Scope("acme", "core"), "beta", slug="core")
    world.forks.fork(ANN, Scope("beta", "core"), "beta", slug="again")
    publish(world, newer("2.0.0"))
    line = world.forks.upstreams(ANN, Scope("beta", "again"))[NAME]
    assert (line.upstream, line.in_use) == (f"acme/core/{NAME}", "1.1.0")


def test_forking_needs_both_memberships_and_write_in_the_target(
    world: Services, store: Store
) -> None:
    before = table_rows(store)
    with pytest.raises(NotFound, match="'beta'"):  # bob is not in beta
        world.forks.fork(BOB, Scope("acme", "core"), "beta")
    with pytest.raises(PermissionDenied, match="registries:write"):  # a plain member of acme
        world.forks.fork(BOB, Scope("acme", "core"), "acme", slug="mine")
    world.orgs.create(BOB, "Bobs")
    with pytest.raises(NotFound, match="'beta'"):
        world.forks.fork(BOB, Scope("beta", "anything"), "bobs")
    with pytest.raises(NotFound, match="no registry 'nope'"):
        world.forks.fork(ANN, Scope("acme", "nope"), "beta")
    with pytest.raises(InvalidInput, match="ORG/REGISTRY"):
        world.forks.fork(ANN, Scope("acme"), "beta")
    assert {
        k: v
        for k, v in table_rows(store).items()
        if k not in ("organizations", "members", "audit_events")
    } == {k: v for k, v in before.items() if k not in ("organizations", "members", "audit_events")}
    # a member of both with the grant forks
    world.members.grant(ANN, "acme", BOB, "registries:write")
    assert world.forks.fork(BOB, Scope("acme", "core"), "bobs").servers == 2


def test_forking_is_audited_in_both_orgs(world: Services) -> None:
    world.forks.fork(ANN, Scope("acme", "core"), "beta", slug="core")
    beta = [(e.action, e.metadata) for e in world.audit.list_for_org(ANN, "beta")]
    acme = [(e.action, e.metadata) for e in world.audit.list_for_org(ANN, "acme")]
    assert ("registry.fork", {"from": "acme/core", "servers": 2, "pinned": False}) in beta
    assert ("registry.forked", {"into": "beta/core", "servers": 2}) in acme


MUTATIONS: list[tuple[str, Callable[[Services], Any]]] = [
    ("fork", lambda s: s.forks.fork(BOB, Scope("acme", "core"), "acme", slug="f")),
]
READS = {"upstreams", "badges", "fork_of"}


def test_the_permission_table_covers_every_method(world: Services) -> None:
    public = {
        n for n in vars(ForkService) if not n.startswith("_") and callable(getattr(ForkService, n))
    }
    assert public - READS == {name for name, _ in MUTATIONS}
    for _name, change in MUTATIONS:
        with pytest.raises(PermissionDenied):
            change(world)
