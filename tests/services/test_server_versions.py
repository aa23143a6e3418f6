"""Server versions: publish (the suggested bump, semver order), list, diff, rollback, pin; the
database's own refusal to change a published version; exports and `run` use the version the
registry uses."""

from __future__ import annotations

import copy
import json
import sqlite3
from collections.abc import Callable
from typing import Any

import pytest

from pylee_tui.services import Conflict, InvalidInput, NotFound, PermissionDenied, Scope, Services
from pylee_tui.services.semver import parse
from pylee_tui.services.server_versions import ServerVersionService
from pylee_tui.services.version_bump import suggest_bump
from pylee_tui.store import Store
from tests.support import ANN, BOB, SEARCH, WEATHER, Clock, server_doc, table_rows

NAME = WEATHER["name"]
SERVER = Scope("acme", "core", NAME)


@pytest.fixture
def acme(services: Services) -> Services:
    """acme (ann admin): registry core with weather 1.0.0 and search 0.2.0, each published."""
    services.orgs.create(ANN, "Acme")
    services.registries.create(ANN, "acme", "Core Tools", slug="core")
    services.registries.add_server(ANN, Scope("acme", "core"), WEATHER)
    services.registries.add_server(ANN, Scope("acme", "core"), SEARCH)
    return services


def edited(**changes: Any) -> dict[str, Any]:
    doc = copy.deepcopy(WEATHER)
    doc.update(changes)
    return doc


def with_env(*variables: dict[str, Any]) -> dict[str, Any]:
    doc = copy.deepcopy(WEATHER)
    doc["packages"][0]["environmentVariables"] = list(variables)
    return doc


def versions(services: Services, scope: Scope = SERVER) -> list[str]:
    return [v.version for v in services.server_versions.state(ANN, scope).versions]


# --- the bump a change calls for ------------------------------------------------------------

BASE = with_env({"name": "UNITS", "default": "metric"})
SECOND_PACKAGE = {
    "registryType": "pypi",
    "identifier": "weather-mcp",
    "version": "1.0.0",
    "transport": {"type": "stdio"},
}


def _with_package(doc: dict[str, Any]) -> dict[str, Any]:
    doc = copy.deepcopy(doc)
    doc["packages"].append(SECOND_PACKAGE)
    return doc


BUMP_TABLE: list[tuple[str, dict[str, Any], dict[str, Any], str | None]] = [
    ("nothing", BASE, copy.deepcopy(BASE), None),
    ("only the version", BASE, BASE | {"version": "9.9.9"}, None),
    ("description", BASE, BASE | {"description": "Forecasts"}, "patch"),
    ("title", BASE, BASE | {"title": "Weather"}, "patch"),
    ("website", BASE, BASE | {"websiteUrl": "https://w.example"}, "patch"),
    (
        "new optional env var",
        BASE,
        with_env({"name": "UNITS", "default": "metric"}, {"name": "LANG"}),
        "minor",
    ),
    (
        "new required env var",
        BASE,
        with_env({"name": "UNITS", "default": "metric"}, {"name": "KEY", "isRequired": True}),
        "major",
    ),
    (
        "optional made required",
        BASE,
        with_env({"name": "UNITS", "default": "metric", "isRequired": True}),
        "major",
    ),
    ("removed package", _with_package(BASE), BASE, "major"),
    ("added package", BASE, _with_package(BASE), "minor"),
    ("package version (tool-facing)", BASE, with_env({"name": "UNITS"}), "minor"),
    (
        "repository (not text)",
        BASE,
        BASE | {"repository": {"url": "https://g", "source": "github"}},
        "minor",
    ),
    (
        "text and a new required var: the bigger wins",
        BASE,
        with_env({"name": "UNITS", "default": "metric"}, {"name": "K", "isRequired": True})
        | {"description": "x"},
        "major",
    ),
]


@pytest.mark.parametrize(
    ("old", "new", "bump"),
    [row[1:] for row in BUMP_TABLE],
    ids=[row[0] for row in BUMP_TABLE],
)
def test_the_suggested_bump(old: dict, new: dict, bump: str | None) -> None:
    suggestion = suggest_bump(old, new)
    assert suggestion.bump == bump
    assert bool(suggestion.reasons) == (bump is not None)


@pytest.mark.parametrize(
    ("smaller", "greater"),
    [
        ("1.0.0", "1.0.1"),
        ("1.9.0", "1.10.0"),
        ("1.0.0-rc.1", "1.0.0"),
        ("1.0.0-alpha", "1.0.0-alpha.1"),
        ("1.0.0-alpha.2", "1.0.0-alpha.10"),
        ("1.0.0-9", "1.0.0-alpha"),
        ("0.9.9", "1.0.0"),
    ],
)
def test_semver_precedence(smaller: str, greater: str) -> None:
    a, b = parse(smaller), parse(greater)
    assert a is not None and b is not None
    assert a < b and not b < a


@pytest.mark.parametrize("text", ["1.0", "v1.0.0", "01.0.0", "1.0.0-", "latest", "", "1.0.0.0"])
def test_not_semver(text: str) -> None:
    assert parse(text) is None


# --- publishing -----------------------------------------------------------------------------


def test_adding_a_server_publishes_its_first_version(acme: Services) -> None:
    state = acme.server_versions.state(ANN, SERVER)
    assert versions(acme) == ["1.0.0"]
    assert (state.latest, state.changed, state.next_version) == ("1.0.0", False, None)
    assert versions(acme, Scope("acme", "core", SEARCH["name"])) == ["0.2.0"]


def test_a_server_whose_version_is_not_semver_is_first_published_as_1_0_0(
    acme: Services,
) -> None:
    acme.registries.add_server(
        ANN, Scope("acme", "core"), server_doc("io.github.acme/odd", "2024.5")
    )
    assert versions(acme, Scope("acme", "core", "io.github.acme/odd")) == ["1.0.0"]


def test_an_edit_is_an_unpublished_change_until_published(acme: Services) -> None:
    acme.registries.edit_server(ANN, SERVER, edited(description="Forecasts"))
    state = acme.server_versions.state(ANN, SERVER)
    assert (state.changed, state.suggestion.bump, state.next_version) == (True, "patch", "1.0.1")
    # exports still use 1.0.0 until it is published
    used = acme.server_versions.resolved(ANN, Scope("acme", "core"))[NAME]
    assert (used.version, used.document and used.document["description"]) == ("1.0.0", "Weather")

    published = acme.server_versions.publish(ANN, SERVER)
    assert (published.version, published.previous, published.bump) == ("1.0.1", "1.0.0", "patch")
    assert versions(acme) == ["1.0.0", "1.0.1"]
    server = acme.registries.get_server(ANN, SERVER)
    assert (server.version, server.document["version"]) == ("1.0.1", "1.0.1")
    assert acme.server_versions.state(ANN, SERVER).changed is False
    used = acme.server_versions.resolved(ANN, Scope("acme", "core"))[NAME]
    assert used.document is not None and used.document["description"] == "Forecasts"


def test_publish_takes_a_bump_or_a_version_and_refuses_one_not_greater(acme: Services) -> None:
    acme.registries.edit_server(ANN, SERVER, edited(description="a"))
    assert acme.server_versions.publish(ANN, SERVER, bump="major").version == "2.0.0"
    acme.registries.edit_server(ANN, SERVER, edited(description="b"))
    for wrong in ("2.0.0", "1.9.9", "2.0.0-rc.1"):
        with pytest.raises(InvalidInput, match="not greater than the latest, 2.0.0"):
            acme.server_versions.publish(ANN, SERVER, version=wrong)
    with pytest.raises(InvalidInput, match="not a semantic version"):
        acme.server_versions.publish(ANN, SERVER, version="v3")
    assert acme.server_versions.publish(ANN, SERVER, version="2.10.0").version == "2.10.0"
    assert versions(acme) == ["1.0.0", "2.0.0", "2.10.0"]


def test_nothing_new_and_drafts_cannot_be_published(acme: Services, store: Store) -> None:
    before = table_rows(store)
    with pytest.raises(InvalidInput, match="nothing to publish"):
        acme.server_versions.publish(ANN, SERVER)
    broken = edited(description="d" * 101)
    acme.registries.import_servers(ANN, Scope("acme", "core"), [broken], replace=True)
    with pytest.raises(InvalidInput, match="is a draft"):
        acme.server_versions.publish(ANN, SERVER)
    # the draft working copy does not reach exports: they keep the published version
    used = acme.server_versions.resolved(ANN, Scope("acme", "core"))[NAME]
    assert used.version == "1.0.0"
    assert before["server_versions"] == table_rows(store)["server_versions"]


def test_a_fixed_draft_is_published_by_the_edit_that_fixes_it(acme: Services) -> None:
    broken = server_doc("io.github.acme/fixable", "0.3.0", "d" * 101)
    scope = Scope("acme", "core", broken["name"])
    acme.registries.add_server(ANN, Scope("acme", "core"), broken, allow_draft=True)
    assert versions(acme, scope) == []
    assert (
        acme.server_versions.resolved(ANN, Scope("acme", "core"))[broken["name"]].document is None
    )
    acme.registries.edit_server(ANN, scope, broken | {"description": "fixed"})
    assert versions(acme, scope) == ["0.3.0"]


# --- diff and rollback ----------------------------------------------------------------------


def test_diff_is_a_unified_diff_of_two_versions(acme: Services) -> None:
    acme.registries.edit_server(ANN, SERVER, edited(description="Forecasts"))
    assert acme.server_versions.diff(ANN, SERVER, "1.0.0", "draft").count("\n-") >= 1
    acme.server_versions.publish(ANN, SERVER)
    text = acme.server_versions.diff(ANN, SERVER, "1.0.0", "1.0.1")
    assert text.startswith(f"--- {NAME}@1.0.0\n+++ {NAME}@1.0.1\n")
    assert '-  "description": "Weather",' in text
    assert '+  "description": "Forecasts",' in text
    assert acme.server_versions.diff(ANN, SERVER, "1.0.1", "1.0.1") == ""
    with pytest.raises(NotFound, match="no published version '9.0.0'"):
        acme.server_versions.diff(ANN, SERVER, "1.0.0", "9.0.0")


def test_rollback_publishes_an_old_content_as_a_new_version(acme: Services) -> None:
    secret = with_env({"name": "KEY", "isRequired": True, "isSecret": True})
    acme.registries.edit_server(ANN, SERVER, secret)
    assert acme.server_versions.publish(ANN, SERVER).version == "2.0.0"  # a required var: major
    rolled = acme.server_versions.rollback(ANN, SERVER, "1.0.0")
    assert rolled.version == "2.1.0"  # dropping a variable is a change clients see: minor
    assert versions(acme) == ["1.0.0", "2.0.0", "2.1.0"]
    content = acme.server_versions.document(ANN, SERVER, "2.1.0")
    assert content == WEATHER | {"version": "2.1.0"}
    assert acme.registries.get_server(ANN, SERVER).document == content
    assert (
        acme.server_versions.rollback(ANN, SERVER, "2.0.0", new_version="5.0.0").version == "5.0.0"
    )


def test_rollback_refuses_to_lose_unpublished_changes(acme: Services) -> None:
    acme.registries.edit_server(ANN, SERVER, edited(description="a"))
    acme.server_versions.publish(ANN, SERVER)
    acme.registries.edit_server(ANN, SERVER, edited(description="not yet published"))
    with pytest.raises(Conflict, match="unpublished changes"):
        acme.server_versions.rollback(ANN, SERVER, "1.0.0")
    assert acme.server_versions.rollback(ANN, SERVER, "1.0.0", discard=True).version == "1.0.2"


def test_rollback_to_the_latest_content_is_refused_and_publishes_nothing(acme: Services) -> None:
    acme.registries.edit_server(ANN, SERVER, edited(description="a"))
    acme.server_versions.publish(ANN, SERVER)  # 1.0.1
    acme.server_versions.rollback(ANN, SERVER, "1.0.0")  # 1.0.2, the content of 1.0.0
    with pytest.raises(InvalidInput, match="nothing to roll back: 1.0.2 is the latest version"):
        acme.server_versions.rollback(ANN, SERVER, "1.0.2")
    with pytest.raises(InvalidInput, match="1.0.2, the latest version, has the content of 1.0.0"):
        acme.server_versions.rollback(ANN, SERVER, "1.0.0")
    assert versions(acme) == ["1.0.0", "1.0.1", "1.0.2"]


# --- pins -----------------------------------------------------------------------------------


def _newer_package() -> dict[str, Any]:
    doc = copy.deepcopy(WEATHER)
    doc["packages"][0]["version"] = "1.1.0"
    return doc


def test_a_pin_keeps_exports_and_run_on_a_version(acme: Services) -> None:
    acme.registries.edit_server(ANN, SERVER, _newer_package())
    assert acme.server_versions.publish(ANN, SERVER).version == "1.1.0"
    assert "@weather/mcp@1.1.0" in acme.launch.preview(ANN, SERVER).command_line
    state = acme.server_versions.pin(ANN, SERVER, "1.0.0")
    assert (state.pinned, state.latest, state.in_use, state.behind) == (
        "1.0.0",
        "1.1.0",
        "1.0.0",
        True,
    )
    assert "@weather/mcp@1.0.0" in acme.launch.preview(ANN, SERVER).command_line
    entry = json.dumps(
        acme.export.plan(ANN, Scope("acme", "core"), "claude", secrets="inline").entries
    )
    assert "@weather/mcp@1.0.0" in entry and "1.1.0" not in entry
    with pytest.raises(NotFound, match="no published version '7.0.0'"):
        acme.server_versions.pin(ANN, SERVER, "7.0.0")
    state = acme.server_versions.unpin(ANN, SERVER)
    assert (state.pinned, state.in_use) == (None, "1.1.0")
    assert "@weather/mcp@1.1.0" in acme.launch.preview(ANN, SERVER).command_line
    with pytest.raises(InvalidInput, match="is not pinned"):
        acme.server_versions.unpin(ANN, SERVER)


def test_exports_and_run_ignore_unpublished_changes(acme: Services) -> None:
    acme.registries.edit_server(ANN, SERVER, _newer_package())
    assert "@weather/mcp@1.0.0" in acme.launch.preview(ANN, SERVER).command_line
    entry = json.dumps(
        acme.export.plan(ANN, Scope("acme", "core"), "claude", secrets="inline").entries
    )
    assert "@weather/mcp@1.0.0" in entry and "1.1.0" not in entry


# --- the database refuses ------------------------------------------------------------------


@pytest.mark.parametrize(
    "sql",
    [
        "UPDATE server_versions SET document = '{}'",
        "UPDATE server_versions SET version = '9.9.9'",
        "DELETE FROM server_versions",
    ],
)
def test_published_versions_are_immutable_in_the_database(
    acme: Services, store: Store, sql: str
) -> None:
    before = table_rows(store)["server_versions"]
    with (
        pytest.raises(sqlite3.IntegrityError, match="published server versions are immutable"),
        store.transaction() as db,
    ):
        db.execute(sql)
    assert table_rows(store)["server_versions"] == before


def test_removing_a_server_or_a_registry_still_works(acme: Services, store: Store) -> None:
    acme.registries.edit_server(ANN, SERVER, edited(description="x"))
    acme.server_versions.publish(ANN, SERVER)
    acme.server_versions.pin(ANN, SERVER, "1.0.0")
    acme.registries.remove_server(ANN, SERVER)
    left = store.db.execute("SELECT count(*) FROM server_versions").fetchone()[0]
    assert left == 1  # search's
    assert store.db.execute("SELECT count(*) FROM server_pins").fetchone()[0] == 0
    acme.registries.delete(ANN, Scope("acme", "core"))
    assert store.db.execute("SELECT count(*) FROM server_versions").fetchone()[0] == 0


# --- who may ------------------------------------------------------------------------------

MUTATIONS: list[tuple[str, Callable[[Services], Any]]] = [
    ("publish", lambda s: s.server_versions.publish(BOB, SERVER, bump="patch")),
    ("rollback", lambda s: s.server_versions.rollback(BOB, SERVER, "1.0.0")),
    ("pin", lambda s: s.server_versions.pin(BOB, SERVER, "1.0.0")),
    ("unpin", lambda s: s.server_versions.unpin(BOB, SERVER)),
]
READS = {"state", "document", "diff", "resolved", "resolved_one"}
# called by other services inside their own transaction, after their own permission check
INTERNAL = {"publish_first", "refuse_fork_edit", "mirror", "publishable", "rollbackable"}


def test_the_permission_table_covers_every_method() -> None:
    public = {
        n
        for n in vars(ServerVersionService)
        if not n.startswith("_") and callable(getattr(ServerVersionService, n))
    }
    assert public - READS - INTERNAL == {name for name, _ in MUTATIONS}


@pytest.mark.parametrize("change", [m for _, m in MUTATIONS], ids=[n for n, _ in MUTATIONS])
def test_a_plain_member_may_not_publish_roll_back_or_pin(
    acme: Services, store: Store, change
) -> None:
    acme.members.invite(ANN, "acme", BOB)
    acme.members.accept(BOB, "acme")
    before = table_rows(store)
    with pytest.raises(PermissionDenied, match="registries:write"):
        change(acme)
    assert table_rows(store) == before
    assert acme.server_versions.state(BOB, SERVER).latest == "1.0.0"  # reading is for everyone


def test_publish_rollback_and_pin_are_audited(acme: Services, clock: Clock) -> None:
    acme.registries.edit_server(ANN, SERVER, edited(description="x"))
    acme.server_versions.publish(ANN, SERVER)
    clock.advance(minutes=1)
    acme.server_versions.rollback(ANN, SERVER, "1.0.0")
    acme.server_versions.pin(ANN, SERVER, "1.0.0")
    acme.server_versions.unpin(ANN, SERVER)
    found = [
        (e.action, e.metadata.get("version"))
        for e in reversed(acme.audit.list_for_org(ANN, "acme"))
        if e.action.startswith(("server.publish", "server.rollback", "server.pin"))
    ]
    assert found == [
        ("server.publish", "1.0.1"),
        ("server.rollback", "1.0.2"),
        ("server.pin", "1.0.0"),
        ("server.pin", None),
    ]


def test_the_migration_publishes_every_valid_server(tmp_path) -> None:
    """A store from before versions: its valid servers are published as they are."""
    import sqlite_utils

    from pylee_tui.migrations import _m0010_server_versions

    db = sqlite_utils.Database(tmp_path / "old.db")
    db.executescript(
        "CREATE TABLE servers (id INTEGER PRIMARY KEY, version TEXT, document TEXT, "
        "status TEXT, updated_at TEXT);"
        "INSERT INTO servers VALUES (1, '1.2.3', '{\"a\": 1}', 'valid', 't1'),"
        " (2, 'latest', '{\"b\": 2}', 'valid', 't2'), (3, '1.0.0', '{}', 'draft', 't3');"
    )
    _m0010_server_versions(db)
    found = db.execute(
        "SELECT server_id, version, document, published_at FROM server_versions ORDER BY 1"
    ).fetchall()
    assert found == [(1, "1.2.3", '{"a": 1}', "t1"), (2, "1.0.0", '{"b": 2}', "t2")]
    assert json.loads(found[0][2]) == {"a": 1}


def test_deleting_the_org_takes_its_versions_with_it(acme: Services, store: Store) -> None:
    acme.server_versions.pin(ANN, SERVER, "1.0.0")
    acme.orgs.delete(ANN, "acme")
    assert store.db.execute("SELECT count(*) FROM server_versions").fetchone()[0] == 0
    assert store.db.execute("SELECT count(*) FROM server_pins").fetchone()[0] == 0
