"""Import and export of server.json against versions and forks: `server export` writes the
version a registry uses (latest published, or its pin; a fork's upstream's), like exports to
clients do, and an import with replace does not overwrite a forked server's document."""

from __future__ import annotations

import copy

import pytest

from pylee_tui.services import InvalidInput, Scope, Services
from tests.support import ANN, SEARCH, WEATHER, server_doc

NAME = WEATHER["name"]
CORE = Scope("acme", "core")
AT = Scope("acme", "core", NAME)
WEATHER_2 = WEATHER | {"description": "Weather, now with alerts", "version": "1.1.0"}


@pytest.fixture
def acme(services: Services) -> Services:
    """acme (ann): registry core with weather and search, each published at its version."""
    services.orgs.create(ANN, "Acme")
    services.registries.create(ANN, "acme", "Core Tools", slug="core")
    for doc in (WEATHER, SEARCH):
        services.registries.add_server(ANN, CORE, doc)
    return services


def test_export_writes_the_published_version_not_unpublished_edits(acme: Services) -> None:
    acme.registries.edit_server(ANN, AT, WEATHER_2)  # the working copy, not published
    assert acme.registries.export_servers(ANN, AT) == WEATHER
    assert acme.registries.export_servers(ANN, CORE) == [SEARCH, WEATHER]
    acme.server_versions.publish(ANN, AT, version="1.1.0")
    assert acme.registries.export_servers(ANN, AT) == WEATHER_2


def test_export_writes_the_pinned_version(acme: Services) -> None:
    acme.registries.edit_server(ANN, AT, WEATHER_2)
    acme.server_versions.publish(ANN, AT, version="1.1.0")
    acme.server_versions.pin(ANN, AT, "1.0.0")
    assert acme.registries.export_servers(ANN, AT) == WEATHER
    assert acme.registries.export_servers(ANN, CORE) == [SEARCH, WEATHER]


def test_a_draft_working_copy_exports_its_published_version(acme: Services) -> None:
    broken = WEATHER | {"description": "d" * 101}
    acme.registries.import_servers(ANN, CORE, [broken], replace=True)
    assert acme.registries.get_server(ANN, AT).status == "draft"
    assert acme.registries.export_servers(ANN, CORE) == [SEARCH, WEATHER]


def test_a_draft_never_published_is_still_refused(acme: Services) -> None:
    never = server_doc("io.github.acme/never", "1.0.0", "d" * 101)
    acme.registries.add_server(ANN, CORE, never, allow_draft=True)
    with pytest.raises(InvalidInput, match="1 draft server.*io.github.acme/never"):
        acme.registries.export_servers(ANN, CORE)
    with pytest.raises(InvalidInput, match="draft"):
        acme.registries.export_servers(ANN, Scope("acme", "core", never["name"]))


@pytest.fixture
def forked(acme: Services) -> Services:
    """beta (ann): registry mirror, a fork of acme/core."""
    acme.orgs.create(ANN, "Beta")
    acme.forks.fork(ANN, CORE, "beta", slug="mirror")
    return acme


def test_a_fork_exports_its_upstreams_version(forked: Services) -> None:
    forked.registries.edit_server(ANN, AT, WEATHER_2)
    forked.server_versions.publish(ANN, AT, version="1.1.0")
    assert forked.registries.export_servers(ANN, Scope("beta", "mirror", NAME)) == WEATHER_2
    forked.server_versions.pin(ANN, Scope("beta", "mirror", NAME), "1.0.0")
    assert forked.registries.export_servers(ANN, Scope("beta", "mirror", NAME)) == WEATHER


def test_import_with_replace_does_not_overwrite_a_forked_server(forked: Services) -> None:
    at = Scope("beta", "mirror", NAME)
    with pytest.raises(InvalidInput) as edit:
        forked.registries.edit_server(ANN, at, WEATHER_2)
    changed = copy.deepcopy(WEATHER_2)
    report = forked.registries.import_servers(
        ANN, Scope("beta", "mirror"), [changed, SEARCH], replace=True
    )
    [weather, search] = report.outcomes
    assert (weather.name, weather.outcome, weather.why()) == (NAME, "rejected", [str(edit.value)])
    assert search.outcome == "rejected"  # forked too
    assert forked.registries.get_server(ANN, at).document == WEATHER
    assert forked.registries.export_servers(ANN, at) == WEATHER
