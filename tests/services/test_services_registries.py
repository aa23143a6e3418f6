"""RegistryService: registries (create, edit, delete with what goes with them) and the MCP servers
they hold (add, update, remove, move, import, export), with permissions and the audit trail."""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import pytest

from pylee_tui.services import (
    Conflict,
    InvalidInput,
    NotFound,
    PermissionDenied,
    Scope,
    Services,
)
from pylee_tui.services.audit import AuditService
from pylee_tui.store import Store
from tests.support import ANN, BOB, CARL, SEARCH, WAREHOUSE, WEATHER, Clock, server_doc, table_rows

# a server a person can fix: the description is too long and the package version is a range
FIXABLE = server_doc("io.github.acme/fixable", "1.0.0", "d" * 101)
FIXABLE["packages"][0]["version"] = "^1.0.0"


def events(services: Services, slug: str = "acme", actor: str = ANN) -> list[tuple[str, str]]:
    """(action, target label) of the org's audit events, oldest first."""
    return [(e.action, e.target_label) for e in reversed(services.audit.list_for_org(actor, slug))]


def audit_metadata(services: Services, action: str, slug: str = "acme") -> list[dict[str, Any]]:
    return [e.metadata for e in services.audit.list_for_org(ANN, slug) if e.action == action]


def names(services: Services, registry: str, org: str = "acme") -> list[str]:
    return [s.name for s in services.registries.list_servers(ANN, Scope(org, registry))]


def add_server_variable(store: Store, server_id: int, key: str) -> None:
    """A server-scope variable, written directly (the vault issue brings the service for it)."""
    with store.transaction() as db:
        org_id = db.execute(
            "SELECT r.org_id FROM servers s JOIN registries r ON r.id = s.registry_id "
            "WHERE s.id = ?",
            [server_id],
        ).fetchone()[0]
        db.execute(
            "INSERT INTO variables (org_id, registry_id, server_id, scope, key, kind, value, "
            "created_at, updated_at, updated_by) "
            "VALUES (?, NULL, ?, 'server', ?, 'variable', 'v', '2025-05-16', '2025-05-16', ?)",
            [org_id, server_id, key, ANN],
        )


def count(store: Store, sql: str, params: list[Any] | None = None) -> int:
    return store.db.execute(sql, params or []).fetchone()[0]


@pytest.fixture
def acme(services: Services) -> Services:
    """Org acme (ann admin) with registry core (weather, search) and registry data (warehouse)."""
    services.orgs.create(ANN, "Acme")
    services.registries.create(ANN, "acme", "Core Tools", slug="core")
    services.registries.create(ANN, "acme", "Data Sources", slug="data")
    services.registries.add_server(ANN, Scope("acme", "core"), WEATHER)
    services.registries.add_server(ANN, Scope("acme", "core"), SEARCH)
    services.registries.add_server(ANN, Scope("acme", "data"), WAREHOUSE)
    return services


def join(services: Services, email: str, slug: str = "acme") -> None:
    services.members.invite(ANN, slug, email)
    services.members.accept(email, slug)


# --- registries ------------------------------------------------------------------------------


def test_create_derives_a_unique_slug_and_records_it(services: Services) -> None:
    services.orgs.create(ANN, "Acme")
    first = services.registries.create(ANN, "acme", "Core Tools", description=" Search ")
    second = services.registries.create(ANN, "acme", "Core Tools")
    assert (first.slug, first.name, first.description) == ("core-tools", "Core Tools", "Search")
    assert second.slug == "core-tools-2"
    assert events(services)[-2:] == [
        ("registry.create", "Core Tools"),
        ("registry.create", "Core Tools"),
    ]
    assert audit_metadata(services, "registry.create") == [
        {"slug": "core-tools-2"},
        {"slug": "core-tools"},
    ]
    listed = services.registries.list_registries(ANN, "acme")
    assert [(r.slug, r.server_count, r.draft_count) for r in listed] == [
        ("core-tools", 0, 0),
        ("core-tools-2", 0, 0),
    ]


def test_a_slug_is_unique_within_an_org_but_not_across_orgs(
    services: Services, store: Store
) -> None:
    services.orgs.create(ANN, "Acme")
    services.orgs.create(ANN, "Beta")
    services.registries.create(ANN, "acme", "Tools", slug="tools")
    before = table_rows(store)
    with pytest.raises(Conflict, match="'tools' is already taken"):
        services.registries.create(ANN, "acme", "Other Tools", slug="tools")
    assert table_rows(store) == before
    beta_tools = services.registries.create(ANN, "beta", "Tools", slug="tools")
    assert beta_tools.slug == "tools"
    assert (
        services.registries.get_registry(ANN, Scope("beta", "tools")).id
        != services.registries.get_registry(ANN, Scope("acme", "tools")).id
    )


@pytest.mark.parametrize(
    ("kwargs", "error"),
    [
        ({"name": ""}, "blank"),
        ({"name": "x" * 81}, "at most 80"),
        ({"name": "Tools", "slug": "Bad Slug"}, "not valid"),
        ({"name": "Tools", "description": "d" * 281}, "at most 280"),
    ],
)
def test_create_refuses_bad_fields(services: Services, store: Store, kwargs, error) -> None:
    services.orgs.create(ANN, "Acme")
    before = table_rows(store)
    with pytest.raises(InvalidInput, match=error):
        services.registries.create(ANN, "acme", **kwargs)
    assert table_rows(store) == before


def test_edit_writes_one_audit_event_per_changed_field(acme: Services, clock: Clock) -> None:
    clock.advance(minutes=1)
    reg = acme.registries.edit(
        ANN,
        Scope("acme", "core"),
        name="Core",
        new_slug="core-2",
        description="Search and automation",
        overview="# Core\n\nCafé ☕\n",
    )
    assert (reg.name, reg.slug, reg.description) == ("Core", "core-2", "Search and automation")
    assert reg.overview == "# Core\n\nCafé ☕\n"
    assert reg.updated_at > reg.created_at
    assert events(acme)[-4:] == [
        ("registry.rename", "Core"),
        ("registry.slug", "Core"),
        ("registry.description", "Core"),
        ("registry.overview", "Core"),
    ]
    assert audit_metadata(acme, "registry.rename") == [{"from": "Core Tools", "to": "Core"}]
    assert audit_metadata(acme, "registry.slug") == [{"from": "core", "to": "core-2"}]
    assert audit_metadata(acme, "registry.description") == [
        {"from": "", "to": "Search and automation"}
    ]
    assert audit_metadata(acme, "registry.overview") == [
        {"bytes": len("# Core\n\nCafé ☕\n".encode())}
    ]
    # the servers went with the new slug
    assert names(acme, "core-2") == ["io.github.acme/search", "io.github.acme/weather"]
    with pytest.raises(NotFound):
        acme.registries.get_registry(ANN, Scope("acme", "core"))


def test_edit_with_nothing_changed_writes_nothing(acme: Services, store: Store) -> None:
    before = table_rows(store)
    acme.registries.edit(ANN, Scope("acme", "core"), name="Core Tools", new_slug="core")
    assert table_rows(store) == before
    with pytest.raises(InvalidInput, match="nothing to change"):
        acme.registries.edit(ANN, Scope("acme", "core"))


def test_edit_to_a_taken_slug_is_a_conflict(acme: Services, store: Store) -> None:
    before = table_rows(store)
    with pytest.raises(Conflict, match="'data' is already taken"):
        acme.registries.edit(ANN, Scope("acme", "core"), name="Renamed", new_slug="data")
    assert table_rows(store) == before


def test_saving_over_a_newer_overview_is_a_conflict(acme: Services, clock: Clock) -> None:
    opened = acme.registries.get_registry(ANN, Scope("acme", "core"))
    clock.advance(seconds=5)
    acme.registries.edit(ANN, Scope("acme", "core"), overview="# Theirs\n")
    with pytest.raises(Conflict, match="changed since you opened it"):
        acme.registries.edit(
            ANN, Scope("acme", "core"), overview="# Mine\n", overview_base=opened.updated_at
        )
    assert acme.registries.get_registry(ANN, Scope("acme", "core")).overview == "# Theirs\n"
    acme.registries.edit(
        ANN, Scope("acme", "core"), overview="# Mine\n", overview_base=opened.updated_at, force=True
    )
    assert acme.registries.get_registry(ANN, Scope("acme", "core")).overview == "# Mine\n"


def test_a_rename_while_the_overview_is_open_is_no_conflict(acme: Services, clock: Clock) -> None:
    """Only a save of the overview itself since it was opened is a lost update: the registry
    renamed meanwhile (or its description changed) is not."""
    core = Scope("acme", "core")
    opened = acme.registries.get_registry(ANN, core)
    clock.advance(seconds=5)
    acme.registries.edit(ANN, core, name="Core renamed", description="changed meanwhile")
    saved = acme.registries.edit(ANN, core, overview="# Mine\n", overview_base=opened.overview_base)
    assert (saved.name, saved.overview) == ("Core renamed", "# Mine\n")
    clock.advance(seconds=5)
    acme.registries.edit(ANN, core, description="and again")
    again = acme.registries.edit(
        ANN, core, overview="# Mine, 2\n", overview_base=saved.overview_base
    )
    assert again.overview == "# Mine, 2\n"
    # someone else's save of the overview after that one still is
    clock.advance(seconds=5)
    acme.registries.edit(ANN, core, overview="# Theirs\n")  # from another window
    with pytest.raises(Conflict, match="the overview of registry 'core' was changed"):
        acme.registries.edit(ANN, core, overview="# Mine, 3\n", overview_base=again.overview_base)


def test_delete_cascades_to_servers_and_variables_and_says_so(acme: Services, store: Store) -> None:
    core = acme.registries.get_registry(ANN, Scope("acme", "core"))
    weather = acme.registries.get_server(ANN, Scope("acme", "core", WEATHER["name"]))
    search = acme.registries.get_server(ANN, Scope("acme", "core", SEARCH["name"]))
    warehouse = acme.registries.get_server(ANN, Scope("acme", "data", WAREHOUSE["name"]))
    acme.variables.set_key(ANN, Scope("acme", "core"), "REGION", "eu")
    acme.variables.set_key(ANN, Scope("acme", "data"), "DSN", "postgres://db")
    acme.variables.set_key(ANN, Scope("acme"), "LOG_LEVEL", "info")  # org scope: stays
    add_server_variable(store, weather.id, "API_KEY")
    add_server_variable(store, weather.id, "UNITS")
    add_server_variable(store, search.id, "ENGINE")
    add_server_variable(store, warehouse.id, "POOL")  # another registry: stays

    preview = acme.registries.contents(ANN, Scope("acme", "core"))
    # 2 servers (weather, search); 1 registry variable + 3 variables of its servers
    assert (preview.registries, preview.servers, preview.variables) == (1, 2, 4)
    report = acme.registries.delete(ANN, Scope("acme", "core"))
    assert report == preview

    assert count(store, "SELECT count(*) FROM registries WHERE id = ?", [core.id]) == 0
    assert count(store, "SELECT count(*) FROM servers WHERE registry_id = ?", [core.id]) == 0
    left = store.db.execute("SELECT key FROM variables ORDER BY key").fetchall()
    assert [k for (k,) in left] == ["DSN", "LOG_LEVEL", "POOL"]
    assert names(acme, "data") == [WAREHOUSE["name"]]
    assert audit_metadata(acme, "registry.delete") == [
        {"registries": 1, "requests": 0, "servers": 2, "variables": 4}
    ]
    with pytest.raises(NotFound):
        acme.registries.get_registry(ANN, Scope("acme", "core"))


def test_registries_of_another_org_are_not_found(acme: Services) -> None:
    acme.orgs.create(ANN, "Beta")
    with pytest.raises(NotFound, match="no registry 'core' in 'beta'"):
        acme.registries.get_registry(ANN, Scope("beta", "core"))
    with pytest.raises(NotFound):
        acme.registries.list_servers(ANN, Scope("beta", "core"))


# --- servers ---------------------------------------------------------------------------------


def test_add_server_stores_the_document_and_its_columns(acme: Services) -> None:
    server = acme.registries.get_server(ANN, Scope("acme", "core", WEATHER["name"]))
    assert (server.name, server.version, server.description) == (
        "io.github.acme/weather",
        "1.0.0",
        "Weather",
    )
    assert (server.status, server.problems, server.document) == ("valid", [], WEATHER)
    assert ("server.add", WEATHER["name"]) in events(acme)


def test_add_server_refuses_an_invalid_document_unless_it_is_a_draft(
    acme: Services, store: Store
) -> None:
    before = table_rows(store)
    with pytest.raises(InvalidInput) as excinfo:
        acme.registries.add_server(ANN, Scope("acme", "core"), FIXABLE)
    assert "$.description" in str(excinfo.value)
    assert "$.packages[0].version" in str(excinfo.value)
    assert table_rows(store) == before

    draft = acme.registries.add_server(ANN, Scope("acme", "core"), FIXABLE, allow_draft=True)
    assert draft.status == "draft"
    assert draft.document == FIXABLE  # stored as given
    assert {p["path"] for p in draft.problems} == {"$.description", "$.packages[0].version"}
    assert audit_metadata(acme, "server.add")[0] == {"registry": "core", "draft": True}
    assert [r.draft_count for r in acme.registries.list_registries(ANN, "acme")] == [1, 0]


def test_add_server_needs_a_name_and_a_free_one(acme: Services, store: Store) -> None:
    nameless = copy.deepcopy(WEATHER)
    nameless["name"] = "  "
    before = table_rows(store)
    with pytest.raises(InvalidInput, match="needs a name"):
        acme.registries.add_server(ANN, Scope("acme", "core"), nameless, allow_draft=True)
    with pytest.raises(Conflict, match="already in registry 'core'"):
        acme.registries.add_server(ANN, Scope("acme", "core"), WEATHER)
    assert table_rows(store) == before


def test_list_servers_filters_by_a_name_fragment_in_any_case(acme: Services) -> None:
    listed = acme.registries.list_servers(ANN, Scope("acme", "core"), query="WEATH")
    assert [s.name for s in listed] == [WEATHER["name"]]
    assert acme.registries.list_servers(ANN, Scope("acme", "core"), query="nothing-like-it") == []
    assert names(acme, "core") == [SEARCH["name"], WEATHER["name"]]  # sorted by name


def test_update_server_refuses_invalid_documents_and_stores_nothing(
    acme: Services, store: Store
) -> None:
    before = table_rows(store)
    broken = copy.deepcopy(WEATHER)
    broken["websiteUrl"] = "not a url"
    broken["packages"][0]["transport"] = {"type": "carrier-pigeon"}
    with pytest.raises(InvalidInput) as excinfo:
        acme.registries.edit_server(ANN, Scope("acme", "core", WEATHER["name"]), broken)
    message = str(excinfo.value)
    assert "$.websiteUrl" in message
    assert "$.packages[0].transport.type" in message
    assert table_rows(store) == before


def test_update_server_fixes_a_draft(acme: Services, clock: Clock) -> None:
    acme.registries.add_server(ANN, Scope("acme", "core"), FIXABLE, allow_draft=True)
    fixed = copy.deepcopy(FIXABLE)
    fixed["description"] = "Fixed"
    fixed["packages"][0]["version"] = "1.0.0"
    clock.advance(minutes=1)
    server = acme.registries.edit_server(ANN, Scope("acme", "core", FIXABLE["name"]), fixed).server
    assert (server.status, server.problems, server.description) == ("valid", [], "Fixed")
    assert server.document == fixed
    assert server.updated_at > server.created_at
    assert audit_metadata(acme, "server.edit") == [{"registry": "core", "was_draft": True}]


def test_update_server_can_rename_but_not_onto_another_server(acme: Services, store: Store) -> None:
    renamed = copy.deepcopy(WEATHER)
    renamed["name"] = "io.github.acme/forecast"
    server = acme.registries.edit_server(
        ANN, Scope("acme", "core", WEATHER["name"]), renamed
    ).server
    assert server.name == "io.github.acme/forecast"
    assert names(acme, "core") == ["io.github.acme/forecast", SEARCH["name"]]
    assert audit_metadata(acme, "server.edit")[0]["renamed_from"] == WEATHER["name"]
    before = table_rows(store)
    with pytest.raises(Conflict):
        acme.registries.edit_server(ANN, Scope("acme", "core", "io.github.acme/forecast"), SEARCH)
    assert table_rows(store) == before


def test_remove_server_takes_its_variables(acme: Services, store: Store) -> None:
    weather = acme.registries.get_server(ANN, Scope("acme", "core", WEATHER["name"]))
    search = acme.registries.get_server(ANN, Scope("acme", "core", SEARCH["name"]))
    add_server_variable(store, weather.id, "API_KEY")
    add_server_variable(store, weather.id, "UNITS")
    add_server_variable(store, search.id, "ENGINE")
    report = acme.registries.remove_server(ANN, Scope("acme", "core", WEATHER["name"]))
    assert (report.servers, report.variables) == (1, 2)
    assert names(acme, "core") == [SEARCH["name"]]
    assert [k for (k,) in store.db.execute("SELECT key FROM variables").fetchall()] == ["ENGINE"]
    assert audit_metadata(acme, "server.remove") == [{"registry": "core", "variables": 2}]
    with pytest.raises(NotFound, match="no server"):
        acme.registries.remove_server(ANN, Scope("acme", "core", WEATHER["name"]))


def test_move_server_takes_its_variables_along(acme: Services, store: Store) -> None:
    weather = acme.registries.get_server(ANN, Scope("acme", "core", WEATHER["name"]))
    add_server_variable(store, weather.id, "API_KEY")
    moved = acme.registries.move_server(ANN, Scope("acme", "core", WEATHER["name"]), "data")
    assert moved.id == weather.id
    assert moved.document == WEATHER
    assert names(acme, "core") == [SEARCH["name"]]
    assert names(acme, "data") == [WAREHOUSE["name"], WEATHER["name"]]
    assert count(store, "SELECT count(*) FROM variables WHERE server_id = ?", [weather.id]) == 1
    assert audit_metadata(acme, "server.move") == [{"from": "core", "to": "data"}]
    # deleting the old registry no longer touches it
    assert acme.registries.contents(ANN, Scope("acme", "core")).variables == 0


def test_move_server_refuses_a_name_clash_and_the_same_registry(
    acme: Services, store: Store
) -> None:
    acme.registries.add_server(ANN, Scope("acme", "data"), WEATHER)
    before = table_rows(store)
    with pytest.raises(Conflict, match="already has a server named"):
        acme.registries.move_server(ANN, Scope("acme", "core", WEATHER["name"]), "data")
    with pytest.raises(InvalidInput, match="already in registry 'core'"):
        acme.registries.move_server(ANN, Scope("acme", "core", WEATHER["name"]), "core")
    with pytest.raises(NotFound):
        acme.registries.move_server(ANN, Scope("acme", "core", WEATHER["name"]), "nowhere")
    assert table_rows(store) == before


# --- import and export -----------------------------------------------------------------------


def test_import_counts_each_outcome_and_groups_the_reasons(acme: Services) -> None:
    legacy = {
        "name": "io.github.acme/legacy",
        "description": "Old shape",
        "version_detail": {"version": "0.1.0"},
        "packages": [{"registry_name": "docker", "name": "acme/legacy", "version": "0.1.0"}],
    }
    entries = [WAREHOUSE, SEARCH, FIXABLE, legacy, {"description": "no name"}, "not an object"]
    report = acme.registries.import_servers(ANN, Scope("acme", "core"), entries)
    assert [(o.name, o.outcome) for o in report.outcomes] == [
        (WAREHOUSE["name"], "imported"),
        (SEARCH["name"], "skipped"),
        (FIXABLE["name"], "draft"),
        ("io.github.acme/legacy", "imported"),
        ("#5", "rejected"),
        ("#6", "rejected"),
    ]
    assert report.summary() == (
        "imported 2, drafts 1, skipped 1, rejected 2\n"
        "drafts: 1× $.description must be at most 100 characters; "
        "1× $.packages[].version '^1.0.0' is a range or 'latest'; give one exact version\n"
        "skipped: 1× already in registry 'core'\n"
        "rejected: 1× no usable name; 1× not a JSON object"
    )
    converted = acme.registries.get_server(ANN, Scope("acme", "core", "io.github.acme/legacy"))
    assert converted.document["packages"][0]["registryType"] == "oci"
    assert audit_metadata(acme, "server.import") == [
        {"source": "", "imported": 2, "drafts": 1, "skipped": 1, "rejected": 2}
    ]


def test_import_skips_an_existing_name_and_leaves_it_alone(acme: Services) -> None:
    changed = copy.deepcopy(WEATHER)
    changed["description"] = "Changed"
    report = acme.registries.import_servers(ANN, Scope("acme", "core"), [changed])
    assert (report.imported, report.skipped) == (0, 1)
    server = acme.registries.get_server(ANN, Scope("acme", "core", WEATHER["name"]))
    assert server.description == "Weather"


def test_import_with_replace_overwrites_existing_servers(acme: Services) -> None:
    changed = copy.deepcopy(WEATHER)
    changed["description"] = "Changed"
    broken = copy.deepcopy(SEARCH)
    broken["description"] = ""
    report = acme.registries.import_servers(
        ANN, Scope("acme", "core"), [changed, broken], replace=True
    )
    assert [o.outcome for o in report.outcomes] == ["replaced", "replaced-draft"]
    assert (report.imported, report.drafts, report.skipped) == (1, 1, 0)
    assert (
        acme.registries.get_server(ANN, Scope("acme", "core", WEATHER["name"])).document == changed
    )
    search = acme.registries.get_server(ANN, Scope("acme", "core", SEARCH["name"]))
    assert (search.status, search.document) == ("draft", broken)
    assert names(acme, "core") == [SEARCH["name"], WEATHER["name"]]  # no duplicates


def test_import_strict_rejects_what_would_be_drafts(acme: Services, store: Store) -> None:
    report = acme.registries.import_servers(
        ANN, Scope("acme", "data"), [FIXABLE, SEARCH], strict=True
    )
    assert [(o.name, o.outcome) for o in report.outcomes] == [
        (FIXABLE["name"], "rejected"),
        (SEARCH["name"], "imported"),
    ]
    assert "$.description must be at most 100 characters" in report.reasons("rejected")
    assert count(store, "SELECT count(*) FROM servers WHERE status = 'draft'") == 0


def test_import_of_documents_of_the_wrong_shape_reports_them(acme: Services) -> None:
    odd = [
        {"name": "io.github.acme/odd", "description": "x", "version": "1", "packages": 5},
        {"name": "io.github.acme/odd2", "version_detail": {"version": "1"}, "remotes": "sse"},
    ]
    report = acme.registries.import_servers(ANN, Scope("acme", "core"), odd)
    assert [o.outcome for o in report.outcomes] == ["draft", "draft"]
    odd2 = acme.registries.get_server(ANN, Scope("acme", "core", "io.github.acme/odd2"))
    assert "$.remotes" in {p["path"] for p in odd2.problems}


def test_an_import_is_one_transaction(
    acme: Services, store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    recorded = AuditService.record

    def fail_on_import(self, db, actor, org, action, *args):
        if action == "server.import":  # the last write of the import
            raise RuntimeError("disk full")
        return recorded(self, db, actor, org, action, *args)

    monkeypatch.setattr(AuditService, "record", fail_on_import)
    before = table_rows(store)
    entries = [FIXABLE, server_doc("io.github.acme/new"), WEATHER]
    with pytest.raises(RuntimeError, match="disk full"):
        acme.registries.import_servers(ANN, Scope("acme", "core"), entries, replace=True)
    assert table_rows(store) == before


def test_export_refuses_drafts_until_they_are_fixed(acme: Services) -> None:
    acme.registries.add_server(ANN, Scope("acme", "core"), FIXABLE, allow_draft=True)
    with pytest.raises(InvalidInput, match="1 draft server.*io.github.acme/fixable"):
        acme.registries.export_servers(ANN, Scope("acme", "core"))
    with pytest.raises(InvalidInput, match="draft"):
        acme.registries.export_servers(ANN, Scope("acme", "core", FIXABLE["name"]))
    assert acme.registries.export_servers(ANN, Scope("acme", "core", WEATHER["name"])) == WEATHER
    fixed = copy.deepcopy(FIXABLE)
    fixed["description"] = "Fixed"
    fixed["packages"][0]["version"] = "1.0.0"
    acme.registries.edit_server(ANN, Scope("acme", "core", FIXABLE["name"]), fixed)
    assert acme.registries.export_servers(ANN, Scope("acme", "core")) == [fixed, SEARCH, WEATHER]


# --- permissions -----------------------------------------------------------------------------

MUTATIONS: list[tuple[str, Callable[[Services], Any]]] = [
    ("create", lambda s: s.registries.create(BOB, "acme", "Bob's")),
    ("edit", lambda s: s.registries.edit(BOB, Scope("acme", "core"), name="Bob's")),
    ("delete", lambda s: s.registries.delete(BOB, Scope("acme", "core"))),
    (
        "add_server",
        lambda s: s.registries.add_server(BOB, Scope("acme", "core"), FIXABLE, allow_draft=True),
    ),
    (
        "edit_server",
        lambda s: s.registries.edit_server(
            BOB, Scope("acme", "core", WEATHER["name"]), SEARCH | {"name": WEATHER["name"]}
        ),
    ),
    (
        "remove_server",
        lambda s: s.registries.remove_server(BOB, Scope("acme", "core", WEATHER["name"])),
    ),
    (
        "move_server",
        lambda s: s.registries.move_server(BOB, Scope("acme", "core", WEATHER["name"]), "data"),
    ),
    (
        "import_servers",
        lambda s: s.registries.import_servers(BOB, Scope("acme", "core"), [FIXABLE]),
    ),
]


def test_the_permission_table_covers_every_mutating_method() -> None:
    from pylee_tui.services.registries import RegistryService

    reads = {
        "list_registries",
        "get_registry",
        "contents",
        "server_contents",
        "list_servers",
        "server_pages",
        "drafts",
        "get_server",
        "export_servers",
        "registry_row",  # another service's lookup, inside its own read, of an org it checked
        # server_transfer's helpers inside the import's own transaction (which checks the writer)
        "writer",
        "server_columns",
        "insert_server",
    }
    public = {
        n
        for n in vars(RegistryService)
        if not n.startswith("_") and callable(getattr(RegistryService, n))
    }
    assert public - reads == {name for name, _ in MUTATIONS}


@pytest.mark.parametrize("change", [m for _, m in MUTATIONS], ids=[n for n, _ in MUTATIONS])
def test_a_plain_member_may_not_change_registries_or_servers(
    acme: Services, store: Store, change
) -> None:
    join(acme, BOB)
    before = table_rows(store)
    with pytest.raises(PermissionDenied) as excinfo:
        change(acme)
    assert BOB in str(excinfo.value)
    assert "admin role" in str(excinfo.value)
    assert table_rows(store) == before


def test_a_plain_member_can_still_list_and_show(acme: Services) -> None:
    join(acme, BOB)
    assert [r.slug for r in acme.registries.list_registries(BOB, "acme")] == ["core", "data"]
    assert acme.registries.get_registry(BOB, Scope("acme", "core")).name == "Core Tools"
    assert acme.registries.contents(BOB, Scope("acme", "core")).servers == 2
    assert [s.name for s in acme.registries.list_servers(BOB, Scope("acme", "core"))] == [
        SEARCH["name"],
        WEATHER["name"],
    ]
    assert (
        acme.registries.get_server(BOB, Scope("acme", "core", WEATHER["name"])).document == WEATHER
    )
    assert acme.registries.export_servers(BOB, Scope("acme", "data")) == [WAREHOUSE]


def test_an_outsider_sees_nothing(acme: Services) -> None:
    for call in (
        lambda: acme.registries.list_registries(CARL, "acme"),
        lambda: acme.registries.list_servers(CARL, Scope("acme", "core")),
        lambda: acme.registries.create(CARL, "acme", "Mine"),
        lambda: acme.registries.import_servers(CARL, Scope("acme", "core"), [FIXABLE]),
    ):
        with pytest.raises(NotFound, match="no organization 'acme'"):
            call()


def test_server_contents_counts_the_variables_removing_would_take(services, store) -> None:
    org = services.orgs.create(ANN, "Acme")
    services.registries.create(ANN, "acme", "Core")
    server = services.registries.add_server(ANN, Scope("acme", "core"), WEATHER)
    now = "2026-01-01T00:00:00+00:00"
    for key in ("A", "B"):
        store.db["variables"].insert(
            {
                "org_id": org.id,
                "registry_id": None,
                "server_id": server.id,
                "scope": "server",
                "key": key,
                "kind": "variable",
                "value": "x",
                "created_at": now,
                "updated_at": now,
                "updated_by": ANN,
            }
        )
    report = services.registries.server_contents(ANN, Scope("acme", "core", WEATHER["name"]))
    assert (report.servers, report.variables) == (1, 2)
    assert services.registries.remove_server(ANN, Scope("acme", "core", WEATHER["name"])) == report


# --- pages of a registry's servers ----------------------------------------------------------


def test_server_pages_read_a_window_by_name_and_count_every_match(acme: Services) -> None:
    acme.registries.create(ANN, "acme", "Big")
    docs = [server_doc(f"io.github.acme/s{i:02d}", "1.0.0", f"n{i}") for i in range(30)]
    docs[17]["version"] = "latest"  # a draft
    acme.registries.import_servers(ANN, Scope("acme", "big"), docs)

    def names(page) -> list[str]:
        return [line.name.rsplit("/", 1)[1] for line in page.lines]

    first = acme.registries.server_pages(ANN, "acme", {"big": None}, limit=10)["big"]
    assert (first.offset, first.total, names(first)) == (0, 30, [f"s{i:02d}" for i in range(10)])
    later = acme.registries.server_pages(ANN, "acme", {"big": 25}, limit=10)["big"]
    assert (later.offset, names(later)) == (25, [f"s{i:02d}" for i in range(25, 30)])
    around = acme.registries.server_pages(ANN, "acme", {"big": "io.github.acme/s17"}, limit=10)
    page = around["big"]
    assert page.offset == 12 and "s17" in names(page)
    drafts = acme.registries.server_pages(ANN, "acme", {"big": None}, drafts_only=True)["big"]
    assert (drafts.total, names(drafts), drafts.lines[0].status) == (1, ["s17"], "draft")
    assert drafts.lines[0].problems  # what the detail lists, without the document
    found = acme.registries.server_pages(ANN, "acme", {"big": None, "gone": None}, query="S2")
    assert list(found) == ["big"] and found["big"].total == 10
    with pytest.raises(NotFound):
        acme.registries.server_pages("ola@example.com", "acme", {"big": None})
