"""A clone keeps what makes each registry behave: whether it requires approval, a fork's links
to its upstream servers, and each server's pin; every server of the clone uses the same version
as the source's, and no pin of the clone names a version that does not exist."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from pylee_tui.services import Scope, Services
from pylee_tui.store import Store
from tests.support import ANN, SEARCH, WAREHOUSE, WEATHER

WEATHER_NAME, SEARCH_NAME, WAREHOUSE_NAME = WEATHER["name"], SEARCH["name"], WAREHOUSE["name"]


def newer(doc: dict[str, Any], package_version: str) -> dict[str, Any]:
    changed = copy.deepcopy(doc)
    changed["packages"][0]["version"] = package_version
    return changed


@pytest.fixture
def world(services: Services) -> Services:
    """up/core: weather (two versions) and search. prod/own: warehouse (two versions, pinned
    at the first), requiring approval; prod/from-up: a fork of up/core, weather pinned at its
    first version, search following; prod/mirror: a fork of prod/own (the same org), pinned;
    prod/old: a pinned fork of up/core whose search was removed upstream since (gone, its pin
    naming nothing)."""
    s = services
    s.orgs.create(ANN, "Up")
    s.orgs.create(ANN, "Prod")
    s.registries.create(ANN, "up", "Core", slug="core")
    for doc in (WEATHER, SEARCH):
        s.registries.add_server(ANN, Scope("up", "core"), doc)
    s.registries.create(ANN, "prod", "Own", slug="own")
    s.registries.add_server(ANN, Scope("prod", "own"), WAREHOUSE)
    own = Scope("prod", "own", WAREHOUSE_NAME)
    first_own = s.server_versions.state(ANN, own).latest
    s.registries.edit_server(ANN, own, newer(WAREHOUSE, "9.9.9"))
    s.server_versions.publish(ANN, own)
    s.server_versions.pin(ANN, own, first_own or "")
    s.forks.fork(ANN, Scope("up", "core"), "prod", slug="old", pinned=True)
    s.registries.remove_server(ANN, Scope("up", "core", SEARCH_NAME))
    s.registries.add_server(ANN, Scope("up", "core"), SEARCH)
    up_weather = Scope("up", "core", WEATHER_NAME)
    first_weather = s.server_versions.state(ANN, up_weather).latest
    s.registries.edit_server(ANN, up_weather, newer(WEATHER, "8.8.8"))
    s.server_versions.publish(ANN, up_weather)
    s.forks.fork(ANN, Scope("up", "core"), "prod", slug="from-up")
    s.server_versions.pin(ANN, Scope("prod", "from-up", WEATHER_NAME), first_weather or "")
    s.forks.fork(ANN, Scope("prod", "own"), "prod", slug="mirror", pinned=True)
    s.approvals.set_required(ANN, Scope("prod", "own"), True)
    s.environments.clone(ANN, "prod", "Prod QA")
    return s


def in_use(s: Services, org: str) -> dict[tuple[str, str], tuple[str | None, Any, str]]:
    found = {}
    for reg in s.registries.list_registries(ANN, org):
        for name, r in s.server_versions.resolved(ANN, Scope(org, reg.slug)).items():
            found[(reg.slug, name)] = (r.version, r.document, r.reason)
    return found


def test_a_clone_keeps_require_approval(world: Services) -> None:
    required = {
        reg.slug: world.approvals.requires_approval(ANN, Scope("prod-qa", reg.slug))
        for reg in world.registries.list_registries(ANN, "prod-qa")
    }
    assert required == {"own": True, "from-up": False, "mirror": False, "old": False}


def test_a_cloned_fork_is_still_a_fork(world: Services) -> None:
    assert world.forks.fork_of(ANN, Scope("prod-qa", "from-up")) == "up/core"
    source = world.forks.upstreams(ANN, Scope("prod", "from-up"))
    clone = world.forks.upstreams(ANN, Scope("prod-qa", "from-up"))
    assert clone == source
    assert clone[WEATHER_NAME].behind and clone[WEATHER_NAME].pinned == "1.0.0"
    # it follows its upstream: a new version upstream is what both use
    up_search = Scope("up", "core", SEARCH_NAME)
    world.registries.edit_server(ANN, up_search, newer(SEARCH, "7.7.7"))
    published = world.server_versions.publish(ANN, up_search).version
    for org in ("prod", "prod-qa"):
        line = world.forks.upstreams(ANN, Scope(org, "from-up"))[SEARCH_NAME]
        assert line.in_use == published
    # a forked server of the clone still cannot be edited
    state = world.server_versions.state(ANN, Scope("prod-qa", "from-up", SEARCH_NAME))
    assert state.upstream == f"up/core/{SEARCH_NAME}"


def test_a_fork_of_the_cloned_orgs_own_registry_follows_the_clones_copy(
    world: Services,
) -> None:
    assert world.forks.fork_of(ANN, Scope("prod-qa", "mirror")) == "prod-qa/own"
    mirror = world.registries.get_registry(ANN, Scope("prod-qa", "mirror"))
    assert mirror.description == "Fork of prod-qa/own"  # the description fork wrote, in step
    line = world.forks.upstreams(ANN, Scope("prod-qa", "mirror"))[WAREHOUSE_NAME]
    assert line.upstream == f"prod-qa/own/{WAREHOUSE_NAME}"
    assert line.pinned == world.forks.upstreams(ANN, Scope("prod", "mirror"))[WAREHOUSE_NAME].pinned


def test_every_cloned_server_uses_the_version_its_source_uses(world: Services) -> None:
    source, clone = in_use(world, "prod"), in_use(world, "prod-qa")
    assert clone == source
    assert (
        source[("own", WAREHOUSE_NAME)][0]
        != world.server_versions.state(ANN, Scope("prod", "own", WAREHOUSE_NAME)).latest
    )  # pinned below its latest, in both
    gone = world.forks.upstreams(ANN, Scope("prod-qa", "old"))[SEARCH_NAME]
    assert (gone.gone, gone.pinned) == (True, None)  # still gone, its pin not carried


def test_no_pin_of_a_clone_names_a_version_that_does_not_exist(
    world: Services, store: Store
) -> None:
    dangling = store.rows(
        "SELECT s.name, p.version FROM server_pins p JOIN servers s ON s.id = p.server_id "
        "JOIN registries r ON r.id = s.registry_id JOIN organizations o ON o.id = r.org_id "
        "LEFT JOIN server_upstreams u ON u.server_id = s.id "
        "WHERE o.slug = 'prod-qa' AND NOT EXISTS (SELECT 1 FROM server_versions v "
        "WHERE v.server_id = CASE WHEN u.server_id IS NULL THEN s.id ELSE u.upstream_id END "
        "AND v.version = p.version)"
    )
    assert dangling == []
    pins = store.rows(
        "SELECT r.slug, s.name, p.version FROM server_pins p JOIN servers s ON s.id = p.server_id "
        "JOIN registries r ON r.id = s.registry_id JOIN organizations o ON o.id = r.org_id "
        "WHERE o.slug = ? ORDER BY 1, 2",
        ["prod-qa"],
    )
    assert {(p["slug"], p["name"]) for p in pins} == {
        ("own", WAREHOUSE_NAME),
        ("from-up", WEATHER_NAME),
        ("mirror", WAREHOUSE_NAME),
        ("old", WEATHER_NAME),
    }


def test_the_diff_of_a_clone_shows_no_server_differing(world: Services) -> None:
    def differing() -> list[tuple[str, tuple[str, ...], tuple]]:
        diff = world.environments.diff(ANN, "prod", "prod-qa")
        return [(r.slug, r.fields, r.servers) for r in diff.registries]

    # only the description of the fork of the org's own registry (it names the new upstream)
    assert differing() == [("mirror", ("description",), ())]
    # a new version upstream, pinned in neither: both forks use it, still no difference
    up_search = Scope("up", "core", SEARCH_NAME)
    world.registries.edit_server(ANN, up_search, newer(SEARCH, "7.7.7"))
    world.server_versions.publish(ANN, up_search)
    assert differing() == [("mirror", ("description",), ())]
    # the clone pins its copy of search at the old version: now it differs
    world.server_versions.pin(ANN, Scope("prod-qa", "from-up", SEARCH_NAME), "0.2.0")
    reg = next(
        r for r in world.environments.diff(ANN, "prod", "prod-qa").registries if r.slug == "from-up"
    )
    (server,) = reg.servers
    assert (reg.slug, server.name, server.version_b) == ("from-up", SEARCH_NAME, "0.2.0")
    assert server.version_a != "0.2.0" and server.document_differs
