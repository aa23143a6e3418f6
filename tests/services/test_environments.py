"""Environments: cloning an org (secrets left missing), and comparing two orgs without ever
saying a secret's value."""

from __future__ import annotations

import json

import pytest

from pylee_tui.services import Conflict, NotFound, PermissionDenied, Scope, Services
from pylee_tui.services.demo import DEMO_SECRET, load_demo
from pylee_tui.store import Store
from tests.support import ANN, table_rows

PASS = "correct horse battery staple"
PROD = "acme-production"
BEA = "bea@acme.example"
CARL = "carl@acme.example"
DANA = "dana@acme.example"
EXA = "io.github.exa-labs/exa-mcp-server"
QDRANT = "io.github.qdrant/mcp-server-qdrant"


@pytest.fixture
def demo(services: Services) -> Services:
    load_demo(services, ANN, PASS)
    return services


def keys_of(services: Services, scope: Scope) -> dict[str, tuple[str, str | None]]:
    return {v.key: (v.kind, v.value) for v in services.variables.list_keys(ANN, scope)}


def test_a_clone_holds_everything_but_the_secrets(demo: Services) -> None:
    report = demo.environments.clone(ANN, PROD, "Acme QA")
    assert (report.slug, report.source) == ("acme-qa", PROD)
    assert (report.registries, report.servers) == (2, 7)
    org = demo.orgs.get_org(ANN, "acme-qa")
    source = demo.orgs.get_org(ANN, PROD)
    assert (org.description, org.overview) == (source.description, source.overview)
    assert demo.orgs.role(ANN, "acme-qa") == "admin"
    for reg in demo.registries.list_registries(ANN, PROD):
        copy = demo.registries.get_registry(ANN, Scope("acme-qa", reg.slug))
        original = demo.registries.get_registry(ANN, Scope(PROD, reg.slug))
        assert (copy.name, copy.description, copy.overview) == (
            original.name,
            original.description,
            original.overview,
        )
        for server in demo.registries.list_servers(ANN, Scope(PROD, reg.slug)):
            a = demo.registries.get_server(ANN, Scope(PROD, reg.slug, server.name))
            b = demo.registries.get_server(ANN, Scope("acme-qa", reg.slug, server.name))
            assert (a.document, a.version, a.status) == (b.document, b.version, b.status)
    # variables are copied, secrets are not
    prod_org = keys_of(demo, Scope(PROD))
    qa_org = keys_of(demo, Scope("acme-qa"))
    assert qa_org == {k: v for k, v in prod_org.items() if v[0] == "variable"}
    assert qa_org["REGION"] == ("variable", "eu-west-1")
    assert keys_of(demo, Scope("acme-qa", "data-sources")) == {
        "COLLECTION_NAME": ("variable", "agent-memory"),
        "QDRANT_URL": ("variable", "http://qdrant.internal:6333"),
    }
    assert not any(m.email != ANN for m in demo.members.list_members(ANN, "acme-qa"))


def test_each_secret_is_missing_in_the_clone_until_set(demo: Services) -> None:
    report = demo.environments.clone(ANN, PROD, "Acme QA")
    missing = [(m.key, m.where) for m in report.missing]
    assert missing == [
        ("APIFY_TOKEN", "org"),
        ("EXA_API_KEY", "org"),
        ("GLEAN_API_TOKEN", "org"),
        ("KBC_STORAGE_TOKEN", "registry data-sources"),
        ("QDRANT_API_KEY", f"server data-sources/{QDRANT}"),
    ]
    # the server that needs it reports it missing (what `env` and export say)
    config = demo.variables.effective(ANN, Scope("acme-qa", "core-tools", EXA))
    assert [d.name for d in config.missing] == ["EXA_API_KEY"]
    at_server = demo.environments.missing_secrets(ANN, Scope("acme-qa", "data-sources", QDRANT))
    assert [m.key for m in at_server] == [
        "APIFY_TOKEN",
        "EXA_API_KEY",
        "GLEAN_API_TOKEN",
        "KBC_STORAGE_TOKEN",
        "QDRANT_API_KEY",
    ]
    assert [
        m.key for m in demo.environments.missing_secrets(ANN, Scope("acme-qa", "core-tools"))
    ] == [
        "APIFY_TOKEN",
        "EXA_API_KEY",
        "GLEAN_API_TOKEN",
    ]
    demo.variables.set_key(ANN, Scope("acme-qa"), "EXA_API_KEY", "qa-key", kind="secret")
    left = [m.key for m in demo.environments.missing_in_org(ANN, "acme-qa")]
    assert "EXA_API_KEY" not in left and len(left) == 4
    config = demo.variables.effective(ANN, Scope("acme-qa", "core-tools", EXA))
    assert config.missing == []


def test_the_clone_is_audited_on_the_new_org_naming_the_source(demo: Services) -> None:
    demo.environments.clone(ANN, PROD, "Acme QA")
    events = demo.audit.list_for_org(ANN, "acme-qa")
    clone = [e for e in events if e.action == "org.clone"]
    assert len(clone) == 1
    assert clone[0].metadata["source"] == PROD
    assert clone[0].metadata["missing_secrets"] == 5
    assert DEMO_SECRET not in json.dumps([e.metadata for e in events])


def test_with_members_copies_active_members_and_invitations_with_roles(demo: Services) -> None:
    demo.members.grant(ANN, PROD, CARL, "secrets:write")
    report = demo.environments.clone(ANN, PROD, "Acme QA", with_members=True)
    assert report.members == 3
    members = {m.email: m for m in demo.members.list_members(ANN, "acme-qa")}
    assert members[ANN].role == "admin"
    assert (members[BEA].role, members[BEA].status) == ("admin", "active")
    assert (members[CARL].status, set(members[CARL].grants)) == ("active", {"secrets:write"})
    assert members[DANA].status == "invited"
    # a revoked member is not brought back
    demo.members.remove(ANN, PROD, CARL)
    demo.environments.clone(ANN, PROD, "Acme QA 2", with_members=True)
    assert CARL not in {m.email for m in demo.members.list_members(ANN, "acme-qa-2")}


def test_copying_members_needs_an_admin_of_the_source(demo: Services, store: Store) -> None:
    before = table_rows(store)
    with pytest.raises(PermissionDenied):
        demo.environments.clone(CARL, PROD, "Carl's copy", with_members=True)
    assert table_rows(store) == before
    report = demo.environments.clone(CARL, PROD, "Carl's copy")
    assert demo.orgs.role(CARL, report.slug) == "admin"


def test_a_refused_clone_leaves_nothing_behind(demo: Services, store: Store) -> None:
    before = table_rows(store)
    with pytest.raises(Conflict):
        demo.environments.clone(ANN, PROD, "Staging", slug="acme-staging")
    with pytest.raises(NotFound):
        demo.environments.clone("eve@example.com", PROD, "Eve's")
    assert table_rows(store) == before


def test_the_diff_of_a_clone_says_only_its_secrets_are_missing(demo: Services) -> None:
    demo.environments.clone(ANN, PROD, "Acme QA")
    diff = demo.environments.diff(ANN, PROD, "acme-qa")
    assert diff.vault_unlocked
    assert [(k.key, k.state) for k in diff.keys] == [
        ("APIFY_TOKEN", "missing in B (cloned without value)"),
        ("EXA_API_KEY", "missing in B (cloned without value)"),
        ("GLEAN_API_TOKEN", "missing in B (cloned without value)"),
    ]
    (data,) = diff.registries
    assert data.slug == "data-sources"
    assert [(k.key, k.state) for k in data.keys] == [
        ("KBC_STORAGE_TOKEN", "missing in B (cloned without value)")
    ]
    (server,) = data.servers
    assert (server.name, server.document_differs, server.version_a) == (QDRANT, False, "0.7.1")
    assert [(k.key, k.state) for k in server.keys] == [
        ("QDRANT_API_KEY", "missing in B (cloned without value)")
    ]
    assert DEMO_SECRET not in json.dumps(diff.to_json())


def test_the_diff_compares_secrets_in_memory_and_says_unknown_when_locked(
    demo: Services,
) -> None:
    demo.environments.clone(ANN, PROD, "Acme QA")
    demo.variables.set_key(ANN, Scope("acme-qa"), "EXA_API_KEY", DEMO_SECRET, kind="secret")
    demo.variables.set_key(ANN, Scope("acme-qa"), "APIFY_TOKEN", "another-value", kind="secret")
    diff = demo.environments.diff(ANN, PROD, "acme-qa")
    states = {k.key: k.state for k in diff.keys}
    assert "EXA_API_KEY" not in states  # the same in both
    assert diff.same_secrets == 1
    assert states["APIFY_TOKEN"] == "differs"
    text = json.dumps(diff.to_json())
    assert DEMO_SECRET not in text and "another-value" not in text
    demo.vault.lock()
    locked = demo.environments.diff(ANN, PROD, "acme-qa")
    states = {k.key: k.state for k in locked.keys}
    assert not locked.vault_unlocked
    assert states["APIFY_TOKEN"] == states["EXA_API_KEY"] == "unknown (vault locked)"
    assert states["GLEAN_API_TOKEN"] == "missing in B (cloned without value)"


def test_an_edit_in_one_org_shows_in_the_diff(demo: Services) -> None:
    demo.environments.clone(ANN, PROD, "Acme QA")
    demo.variables.set_key(ANN, Scope("acme-qa"), "REGION", "us-east-1")
    demo.variables.set_key(ANN, Scope("acme-qa", "core-tools"), "NEW_FLAG", "on")
    document = demo.registries.get_server(ANN, Scope("acme-qa", "core-tools", EXA)).document
    qa_exa = Scope("acme-qa", "core-tools", EXA)
    demo.registries.edit_server(ANN, qa_exa, {**document, "version": "0.4.0", "description": "QA"})
    demo.server_versions.publish(ANN, qa_exa, version="0.4.0")  # the diff compares versions in use
    demo.registries.remove_server(ANN, Scope("acme-qa", "data-sources", QDRANT))
    demo.registries.create(ANN, "acme-qa", "Extras")
    demo.registries.edit(ANN, Scope("acme-qa", "core-tools"), description="QA only")
    diff = demo.environments.diff(ANN, PROD, "acme-qa")
    region = next(k for k in diff.keys if k.key == "REGION")
    assert (region.state, region.a, region.b) == ("differs", "eu-west-1", "us-east-1")
    registries = {r.slug: r for r in diff.registries}
    assert registries["extras"].state == "only in B"
    core = registries["core-tools"]
    assert core.fields == ("description",)
    assert [(k.key, k.state, k.b) for k in core.keys] == [("NEW_FLAG", "only in B", "on")]
    exa = next(s for s in core.servers if s.name == EXA)
    assert (exa.version_a, exa.version_b, exa.document_differs) == ("0.3.10", "0.4.0", True)
    gone = next(s for s in registries["data-sources"].servers if s.name == QDRANT)
    assert gone.state == "only in A"


def test_an_org_compared_with_itself_has_no_difference(demo: Services) -> None:
    diff = demo.environments.diff(ANN, PROD, PROD)
    assert diff.empty and diff.same_secrets == 5


def test_the_diff_needs_membership_of_both_orgs(demo: Services) -> None:
    with pytest.raises(NotFound):
        demo.environments.diff(CARL, PROD, "acme-staging")
    with pytest.raises(NotFound):
        demo.environments.diff(CARL, "acme-staging", PROD)


def test_every_public_method_is_classified() -> None:
    from pylee_tui.services.environments import EnvironmentService

    public = {n for n in vars(EnvironmentService) if not n.startswith("_")}
    # clone writes (any member of the source; copying members: members:manage there);
    # the rest read (membership)
    assert public == {"clone", "missing_secrets", "missing_in_org", "diff"}


def test_a_clone_keeps_each_servers_published_versions(demo: Services, store: Store) -> None:
    demo.environments.clone(ANN, PROD, "Acme QA")

    def versions(org: str) -> list[tuple]:
        return store.rows(
            "SELECT r.slug, s.name, v.version, v.document FROM server_versions v "
            "JOIN servers s ON s.id = v.server_id JOIN registries r ON r.id = s.registry_id "
            "JOIN organizations o ON o.id = r.org_id WHERE o.slug = ? ORDER BY 1, 2, 3",
            [org],
        )

    assert versions("acme-qa") == versions(PROD) != []
