"""OrgService and the services around it: members, onboarding, the audit trail and the demo."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

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
from pylee_tui.services.demo import DEMO_ORGS, load_demo
from pylee_tui.store import Store
from tests.support import ANN, BOB, CARL, SEARCH, WAREHOUSE, WEATHER, Clock, table_rows


def actions(services: Services, slug: str, actor: str = ANN) -> list[str]:
    """The org's audit actions, newest first."""
    return [e.action for e in services.audit.list_for_org(actor, slug)]


def join(services: Services, slug: str, email: str, role: str = "member") -> None:
    """Ann invites `email` to `slug` and they accept."""
    services.members.invite(ANN, slug, email, role=role)
    services.members.accept(email, slug)


def count_rows(store: Store, table: str, org_id: int) -> int:
    if table == "servers":
        sql = (
            "SELECT count(*) FROM servers s JOIN registries r ON r.id = s.registry_id "
            "WHERE r.org_id = ?"
        )
    else:
        sql = f"SELECT count(*) FROM {table} WHERE org_id = ?"
    return store.db.execute(sql, [org_id]).fetchone()[0]


class AuditDown(Exception):
    pass


@pytest.fixture
def audit_down(monkeypatch: pytest.MonkeyPatch):
    """Make every audit write fail, as a full disk would."""

    def refuse(self, db, *args):
        raise AuditDown("audit log unavailable")

    monkeypatch.setattr(AuditService, "record", refuse)
    return monkeypatch


# --- create ----------------------------------------------------------------------------------


def test_create_makes_the_creator_the_first_active_admin(services: Services, ann: str) -> None:
    org = services.orgs.create(ann, "Acme Production", description="Prod servers")
    assert (org.name, org.slug, org.description) == (
        "Acme Production",
        "acme-production",
        "Prod servers",
    )
    members = services.members.list_members(ann, org.slug)
    assert [(m.email, m.role, m.status) for m in members] == [(ann, "admin", "active")]
    assert services.orgs.role(ann, org.slug) == "admin"


def test_create_writes_an_audit_event_with_actor_utc_time_and_target(
    services: Services, clock: Clock, ann: str
) -> None:
    clock.now = datetime(2025, 5, 16, 11, 30, tzinfo=timezone(timedelta(hours=2)))
    org = services.orgs.create(ann, "Acme Production")
    [event] = services.audit.list_for_org(ann, "acme-production")
    assert event.action == "org.create"
    assert event.actor == ann
    assert event.org_slug == "acme-production"
    assert event.target_type == "organization"
    assert event.target_id == str(org.id)
    assert event.target_label == "Acme Production"
    assert event.created_at == clock.now
    assert event.created_at.utcoffset() == timedelta(0)
    assert event.created_at.hour == 9
    assert org.created_at == clock.now and org.created_at.utcoffset() == timedelta(0)


def test_create_trims_the_name(services: Services, ann: str) -> None:
    org = services.orgs.create(ann, "   Acme   ")
    assert (org.name, org.slug) == ("Acme", "acme")


def test_derived_slugs_are_made_unique(services: Services, ann: str) -> None:
    slugs = [services.orgs.create(ann, "Acme Production").slug for _ in range(4)]
    assert slugs == [
        "acme-production",
        "acme-production-2",
        "acme-production-3",
        "acme-production-4",
    ]


def test_derived_slug_skips_a_suffix_taken_explicitly(services: Services, ann: str) -> None:
    services.orgs.create(ann, "Acme")
    services.orgs.create(ann, "Something Else", slug="acme-2")
    assert services.orgs.create(ann, "Acme").slug == "acme-3"


def test_derived_slug_avoids_orgs_the_actor_cannot_see(services: Services, ann: str) -> None:
    services.orgs.create(BOB, "Acme")
    assert services.orgs.create(ann, "Acme").slug == "acme-2"


def test_a_long_name_gets_a_unique_slug_within_48_characters(services: Services) -> None:
    name = "The Extremely Long Organization Name Of Acme Production Systems"
    slugs = [services.orgs.create(ANN, name).slug for _ in range(3)]
    assert len(set(slugs)) == 3
    assert all(len(s) <= 48 for s in slugs)


def test_explicit_taken_slug_is_a_conflict(services: Services, ann: str) -> None:
    services.orgs.create(BOB, "Acme", slug="acme")
    with pytest.raises(Conflict, match="acme"):
        services.orgs.create(ann, "Another Acme", slug="acme")
    assert services.orgs.list_orgs(ann) == []


@pytest.mark.parametrize(
    ("kwargs", "error"),
    [
        ({"name": ""}, "blank"),
        ({"name": "   "}, "blank"),
        ({"name": "x" * 81}, "80"),
        ({"name": "Acme", "slug": "Bad Slug"}, "slug"),
        ({"name": "Acme", "description": "d" * 281}, "280"),
        ({"name": "Acme", "overview": "o" * (1024 * 1024 + 1)}, "1 MiB"),
    ],
)
def test_create_refuses_bad_fields_and_stores_nothing(
    services: Services, store: Store, kwargs: dict, error: str
) -> None:
    with pytest.raises(InvalidInput, match=error):
        services.orgs.create(ANN, **kwargs)
    assert store.db.execute("SELECT count(*) FROM organizations").fetchone()[0] == 0


def test_create_is_atomic_with_its_audit_event(services: Services, store: Store, audit_down):
    with pytest.raises(AuditDown):
        services.orgs.create(ANN, "Acme")
    for table in ("organizations", "members", "audit_events"):
        assert store.db.execute(f"SELECT count(*) FROM {table}").fetchone()[0] == 0, table


# --- get and list ----------------------------------------------------------------------------


def test_get_returns_the_org_and_hides_it_from_non_members(services: Services, ann: str) -> None:
    services.orgs.create(ann, "Acme", description="Ours")
    assert services.orgs.get_org(ann, "acme").description == "Ours"
    with pytest.raises(NotFound, match="acme"):
        services.orgs.get_org(BOB, "acme")
    with pytest.raises(NotFound, match="nope"):
        services.orgs.get_org(ann, "nope")


def test_list_shows_only_orgs_you_are_an_active_member_of(services: Services, ann: str) -> None:
    services.orgs.create(ann, "Acme")
    services.orgs.create(BOB, "Bob Co")
    services.orgs.create(BOB, "Bob Labs")
    services.members.invite(BOB, "bob-labs", ann)  # invited, not yet accepted
    assert [o.slug for o in services.orgs.list_orgs(ann)] == ["acme"]
    services.members.accept(ann, "bob-labs")
    listed = {o.slug: o for o in services.orgs.list_orgs(ann)}
    assert set(listed) == {"acme", "bob-labs"}
    assert listed["acme"].role == "admin"
    assert listed["bob-labs"].role == "member"
    assert listed["bob-labs"].admins == (BOB,)


def test_list_is_sorted_by_name(services: Services, ann: str) -> None:
    for name in ("zeta", "Alpha", "beta"):
        services.orgs.create(ann, name)
    assert [o.name for o in services.orgs.list_orgs(ann)] == ["Alpha", "beta", "zeta"]


def test_list_counts_registries_and_active_members_and_names_admins(
    services: Services, ann: str
) -> None:
    services.orgs.create(ann, "Acme")
    services.registries.create(ann, "acme", "Core Tools")
    services.registries.create(ann, "acme", "Data Sources")
    join(services, "acme", BOB)
    join(services, "acme", "dana@example.com", role="admin")
    services.members.invite(ann, "acme", CARL)  # pending: not counted as a member
    [org] = services.orgs.list_orgs(ann)
    assert org.registry_count == 2
    assert org.member_count == 3
    assert org.admins == (ann, "dana@example.com")
    assert org.role == "admin"


# --- edits -----------------------------------------------------------------------------------


@pytest.fixture
def acme(services: Services, ann: str):
    return services.orgs.create(ann, "Acme", description="First words", overview="# Acme\n")


def test_rename_writes_org_rename(services: Services, clock: Clock, acme, ann: str) -> None:
    clock.advance(minutes=5)
    org = services.orgs.edit(ann, "acme", name="Acme Corp")
    assert org.name == "Acme Corp"
    assert org.slug == "acme"  # the slug stays
    assert org.updated_at == clock.now
    assert org.created_at == acme.created_at
    [event, *_] = services.audit.list_for_org(ann, "acme")
    assert (event.action, event.actor, event.target_label) == ("org.rename", ann, "Acme Corp")
    assert set(event.metadata.values()) >= {"Acme", "Acme Corp"}  # what it was and became
    assert event.created_at == clock.now


def test_change_slug_writes_org_slug_and_moves_the_org(services: Services, acme, ann) -> None:
    services.orgs.edit(ann, "acme", new_slug="acme-corp")
    with pytest.raises(NotFound):
        services.orgs.get_org(ann, "acme")
    assert services.orgs.get_org(ann, "acme-corp").name == "Acme"
    event = services.audit.list_for_org(ann, "acme-corp")[0]
    assert event.action == "org.slug"
    assert set(event.metadata.values()) >= {"acme", "acme-corp"}
    # the history from before the change is still the org's history
    assert actions(services, "acme-corp") == ["org.slug", "org.create"]


def test_change_slug_to_a_taken_one_is_a_conflict(services: Services, acme, ann) -> None:
    services.orgs.create(BOB, "Taken")
    with pytest.raises(Conflict, match="taken"):
        services.orgs.edit(ann, "acme", new_slug="taken")
    with pytest.raises(InvalidInput):
        services.orgs.edit(ann, "acme", new_slug="Not A Slug")
    assert services.orgs.get_org(ann, "acme").slug == "acme"


def test_set_description_writes_org_description(services: Services, acme, ann) -> None:
    org = services.orgs.edit(ann, "acme", description="  Production MCP servers  ")
    assert org.description == "Production MCP servers"
    assert actions(services, "acme")[0] == "org.description"
    with pytest.raises(InvalidInput, match="280"):
        services.orgs.edit(ann, "acme", description="d" * 281)
    assert services.orgs.get_org(ann, "acme").description == "Production MCP servers"


def test_set_overview_writes_org_overview(services: Services, clock: Clock, acme, ann) -> None:
    clock.advance(hours=1)
    org = services.orgs.edit(ann, "acme", overview="# Acme\n\nNew rules.\n")
    assert org.overview == "# Acme\n\nNew rules.\n"
    assert org.overview_updated_at == clock.now
    [event, *_] = services.audit.list_for_org(ann, "acme")
    assert event.action == "org.overview"
    # the log says how big the overview was, never what it said
    assert "New rules" not in str(event.metadata)


def test_overview_size_in_the_audit_log_is_in_bytes(services: Services, acme, ann) -> None:
    text = "é" * 100
    services.orgs.edit(ann, "acme", overview=text)
    [event, *_] = services.audit.list_for_org(ann, "acme")
    assert event.metadata["bytes_after"] == len(text.encode("utf-8"))
    assert event.metadata["bytes_before"] == len(b"# Acme\n")


def test_edit_several_fields_at_once_writes_one_event_each(services: Services, acme, ann):
    services.orgs.edit(ann, "acme", name="Acme Corp", new_slug="acme-corp", description="New")
    assert sorted(actions(services, "acme-corp")[:3]) == [
        "org.description",
        "org.rename",
        "org.slug",
    ]
    assert len(actions(services, "acme-corp")) == 4


def test_edit_with_nothing_changed_writes_nothing(services: Services, clock: Clock, acme, ann):
    clock.advance(days=1)
    org = services.orgs.edit(
        ann, "acme", name=" Acme ", new_slug="acme", description="First words", overview="# Acme\n"
    )
    assert org == services.orgs.get_org(ann, "acme")
    assert org.updated_at == acme.updated_at
    assert actions(services, "acme") == ["org.create"]


def test_edit_with_no_fields_is_invalid(services: Services, acme, ann) -> None:
    with pytest.raises(InvalidInput, match="nothing to change"):
        services.orgs.edit(ann, "acme")


@pytest.mark.parametrize(
    "change",
    [
        lambda s: s.orgs.edit(ANN, "acme", name="Renamed"),
        lambda s: s.orgs.edit(ANN, "acme", new_slug="renamed"),
        lambda s: s.orgs.edit(ANN, "acme", description="Changed"),
        lambda s: s.orgs.edit(ANN, "acme", overview="# Changed"),
        lambda s: s.orgs.delete(ANN, "acme"),
    ],
    ids=["rename", "change_slug", "set_description", "set_overview", "delete"],
)
def test_a_change_and_its_audit_event_commit_together(
    services: Services, store: Store, acme, audit_down, change
) -> None:
    before = table_rows(store)
    with pytest.raises(AuditDown):
        change(services)
    assert table_rows(store) == before
    audit_down.undo()
    assert services.orgs.get_org(ANN, "acme") == acme


# --- overview edit conflicts ------------------------------------------------------------------


def test_saving_over_a_newer_overview_is_a_conflict(services: Services, clock: Clock, acme, ann):
    join(services, "acme", BOB, role="admin")
    opened_at = services.orgs.get_org(ann, "acme").overview_updated_at  # ann opens the editor
    clock.advance(minutes=3)
    bobs = services.orgs.edit(BOB, "acme", overview="# Bob's version\n", overview_base=opened_at)
    clock.advance(minutes=2)
    with pytest.raises(Conflict) as excinfo:
        services.orgs.edit(ann, "acme", overview="# Ann's version\n", overview_base=opened_at)
    assert BOB in str(excinfo.value)
    assert services.orgs.get_org(ann, "acme").overview == "# Bob's version\n"
    # overwriting on purpose works
    org = services.orgs.edit(
        ann, "acme", overview="# Ann's version\n", overview_base=opened_at, force=True
    )
    assert org.overview == "# Ann's version\n"
    assert org.overview_updated_at > bobs.overview_updated_at
    # and saving from the current version is not a conflict
    clock.advance(minutes=1)
    org = services.orgs.edit(ann, "acme", overview="# v3\n", overview_base=org.overview_updated_at)
    assert org.overview == "# v3\n"


def test_the_first_overview_saved_elsewhere_is_a_conflict_too(services: Services, clock: Clock):
    """An org created without an overview: an editor opened on it starts from the org's
    creation, so someone else's first save meanwhile is not overwritten silently."""
    services.orgs.create(ANN, "Blank")
    join(services, "blank", BOB, role="admin")
    opened = services.orgs.get_org(ANN, "blank")
    assert opened.overview_updated_at is None
    clock.advance(minutes=1)
    services.orgs.edit(BOB, "blank", overview="# Bob's\n", overview_base=opened.overview_base)
    with pytest.raises(Conflict, match=f"the overview of org 'blank' was changed.*by {BOB}"):
        services.orgs.edit(ANN, "blank", overview="# Ann's\n", overview_base=opened.overview_base)
    assert services.orgs.get_org(ANN, "blank").overview == "# Bob's\n"


def test_overview_conflict_is_seen_across_two_open_stores(db_path, clock: Clock) -> None:
    first, second = Store(db_path), Store(db_path)
    try:
        a, b = Services(first, clock=clock), Services(second, clock=clock)
        org = a.orgs.create(ANN, "Acme", overview="# v1\n")
        clock.advance(seconds=30)
        b.orgs.edit(
            ANN, "acme", overview="# from the other window\n", overview_base=org.overview_updated_at
        )
        clock.advance(seconds=30)
        with pytest.raises(Conflict):
            a.orgs.edit(ANN, "acme", overview="# v2\n", overview_base=org.overview_updated_at)
    finally:
        first.close()
        second.close()


# --- permissions -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "change",
    [
        lambda s: s.orgs.edit(BOB, "acme", name="Bob's Acme"),
        lambda s: s.orgs.edit(BOB, "acme", new_slug="bobs-acme"),
        lambda s: s.orgs.edit(BOB, "acme", description="Bob was here"),
        lambda s: s.orgs.edit(BOB, "acme", overview="# Bob was here"),
        lambda s: s.orgs.delete(BOB, "acme"),
    ],
    ids=["rename", "change_slug", "set_description", "set_overview", "delete"],
)
def test_a_plain_member_may_not_edit_or_delete(services: Services, store: Store, acme, change):
    join(services, "acme", BOB)
    before = table_rows(store)
    with pytest.raises(PermissionDenied) as excinfo:
        change(services)
    message = str(excinfo.value)
    assert "admin role" in message
    assert BOB in message
    assert table_rows(store) == before


def test_a_plain_member_can_still_read_the_org(services: Services, acme) -> None:
    join(services, "acme", BOB)
    assert services.orgs.get_org(BOB, "acme").name == "Acme"
    assert [o.role for o in services.orgs.list_orgs(BOB)] == ["member"]
    assert "org.create" in actions(services, "acme", actor=BOB)


def test_an_outsider_cannot_even_see_the_org_to_change_it(services: Services, acme) -> None:
    with pytest.raises(NotFound):
        services.orgs.edit(CARL, "acme", name="Mine now")
    with pytest.raises(NotFound):
        services.orgs.delete(CARL, "acme")
    with pytest.raises(NotFound):
        services.audit.list_for_org(CARL, "acme")


# --- delete ----------------------------------------------------------------------------------


def test_delete_cascades_and_reports_what_it_removed(services: Services, store: Store, ann):
    keep = services.orgs.create(ann, "Keep Me")
    services.registries.create(ann, "keep-me", "Tools")
    services.registries.add_server(ann, Scope("keep-me", "tools"), WEATHER)
    services.variables.set_key(ann, Scope("keep-me"), "LOG_LEVEL", "info")

    acme = services.orgs.create(ann, "Acme")
    core = services.registries.create(ann, "acme", "Core Tools")
    data = services.registries.create(ann, "acme", "Data Sources")
    services.registries.add_server(ann, Scope("acme", core.slug), WEATHER)
    services.registries.add_server(ann, Scope("acme", core.slug), SEARCH)
    services.registries.add_server(ann, Scope("acme", data.slug), WAREHOUSE)
    join(services, "acme", BOB)
    services.members.invite(ann, "acme", CARL)
    services.variables.set_key(ann, Scope("acme"), "LOG_LEVEL", "info")
    services.variables.set_key(ann, Scope("acme"), "REGION", "eu-west-1")
    services.variables.set_key(ann, Scope("acme", data.slug), "DSN", "postgres://db")

    preview = services.orgs.contents(ann, "acme")
    report = services.orgs.delete(ann, "acme")
    assert report == preview
    assert (report.registries, report.servers, report.members, report.variables) == (2, 3, 3, 3)
    assert "2 registries" in report.describe() and "3 servers" in report.describe()

    for table in ("registries", "servers", "members", "variables"):
        assert count_rows(store, table, acme.id) == 0, table
    with pytest.raises(NotFound):
        services.orgs.get_org(ann, "acme")
    assert [o.slug for o in services.orgs.list_orgs(ann)] == ["keep-me"]
    assert services.orgs.list_orgs(BOB) == []
    # the other org is untouched
    for table in ("registries", "servers", "members", "variables"):
        assert count_rows(store, table, keep.id) == 1, table


def test_the_audit_trail_of_a_deleted_org_remains(services: Services, clock: Clock, ann) -> None:
    services.orgs.create(ann, "Acme")
    clock.advance(minutes=1)
    services.orgs.edit(ann, "acme", name="Acme Corp")
    join(services, "acme", BOB)
    clock.advance(minutes=1)
    services.orgs.delete(ann, "acme")
    mine = services.audit.list_by_actor(ann)
    assert [e.action for e in mine] == ["org.delete", "member.invite", "org.rename", "org.create"]
    assert {e.org_slug for e in mine} == {"acme"}
    assert mine[0].target_label == "Acme Corp"
    assert mine[0].created_at == clock.now
    assert [e.action for e in services.audit.list_by_actor(BOB)] == ["member.accept"]


def test_a_slug_is_free_again_after_delete(services: Services, ann) -> None:
    services.orgs.create(ann, "Acme")
    services.orgs.delete(ann, "acme")
    assert services.orgs.create(ann, "Acme").slug == "acme"


# --- onboarding ------------------------------------------------------------------------------


def done_steps(services: Services, slug: str) -> dict[str, bool]:
    return {step.key: step.done for step in services.onboarding.state(ANN, slug).steps}


def test_onboarding_steps_flip_as_the_org_is_set_up(services: Services, ann) -> None:
    services.orgs.create(ann, "Acme")
    state = services.onboarding.state(ann, "acme")
    assert len(state.steps) == 4
    assert state.done_count == 0 and not state.complete
    assert state.current is state.steps[0]

    services.orgs.edit(ann, "acme", description="Production servers")
    assert sum(done_steps(services, "acme").values()) == 0  # a description alone is not enough
    services.orgs.edit(ann, "acme", overview="# Acme\n")
    after_describe = done_steps(services, "acme")
    assert sum(after_describe.values()) == 1
    [describe_key] = [k for k, v in after_describe.items() if v]

    services.registries.create(ann, "acme", "Core Tools")
    after_registry = done_steps(services, "acme")
    assert sum(after_registry.values()) == 2 and after_registry[describe_key]

    services.members.invite(ann, "acme", BOB)  # an invitation counts, accepted or not
    after_members = done_steps(services, "acme")
    assert sum(after_members.values()) == 3

    services.variables.set_key(ann, Scope("acme"), "LOG_LEVEL", "info")
    state = services.onboarding.state(ann, "acme")
    assert state.complete and state.current is None
    assert state.progress == "4 of 4 done"


@pytest.mark.parametrize(
    ("do", "section"),
    [
        (
            lambda s: (
                s.orgs.edit(ANN, "acme", description="d"),
                s.orgs.edit(ANN, "acme", overview="# o"),
            ),
            "overview",
        ),
        (lambda s: s.registries.create(ANN, "acme", "Core"), "registries"),
        (lambda s: s.members.invite(ANN, "acme", BOB), "members"),
        (lambda s: s.variables.set_key(ANN, Scope("acme"), "LOG_LEVEL", "info"), "vault"),
    ],
    ids=["describe", "registry", "members", "variables"],
)
def test_each_onboarding_step_is_done_by_its_own_action(services: Services, do, section) -> None:
    services.orgs.create(ANN, "Acme")
    do(services)
    state = services.onboarding.state(ANN, "acme")
    assert [s.section for s in state.steps if s.done] == [section]


def test_a_whitespace_overview_does_not_count_as_written(services: Services) -> None:
    services.orgs.create(ANN, "Acme", description="d", overview="   \n\n ")
    assert services.onboarding.state(ANN, "acme").done_count == 0


# --- members and invitations -----------------------------------------------------------------


def test_invitation_lifecycle(services: Services, ann) -> None:
    services.orgs.create(ann, "Acme")
    invited = services.members.invite(ann, "acme", "  Bob@Example.COM ")
    assert (invited.email, invited.status, invited.role) == (BOB, "invited", "member")
    assert invited.invited_by == ann
    assert services.members.pending_for(BOB) == ["acme"]
    with pytest.raises(NotFound):
        services.orgs.get_org(BOB, "acme")  # not a member until accepted
    with pytest.raises(Conflict, match="pending"):
        services.members.invite(ann, "acme", BOB)

    joined = services.members.accept(BOB, "acme")
    assert (joined.status, joined.joined_at is not None) == ("active", True)
    assert services.members.pending_for(BOB) == []
    assert services.orgs.get_org(BOB, "acme").slug == "acme"
    with pytest.raises(Conflict, match="already a member"):
        services.members.invite(ann, "acme", BOB)
    with pytest.raises(Conflict, match="already a member"):
        services.members.accept(BOB, "acme")
    assert actions(services, "acme")[:2] == ["member.accept", "member.invite"]


def test_invite_refuses_bad_input_and_non_admins(services: Services, ann) -> None:
    services.orgs.create(ann, "Acme")
    with pytest.raises(InvalidInput):
        services.members.invite(ann, "acme", "not-an-email")
    with pytest.raises(InvalidInput):
        services.members.invite(ann, "acme", BOB, role="owner")
    join(services, "acme", BOB)
    with pytest.raises(PermissionDenied, match="admin role"):
        services.members.invite(BOB, "acme", CARL)
    with pytest.raises(NotFound):
        services.members.accept(CARL, "acme")  # never invited


def test_an_invitation_expires_after_seven_days(services: Services, clock: Clock, ann) -> None:
    services.orgs.create(ann, "Acme")
    services.members.invite(ann, "acme", BOB)
    services.members.invite(ann, "acme", CARL)
    clock.advance(days=6, hours=23)
    services.members.accept(CARL, "acme")  # still in time
    clock.advance(hours=1, seconds=1)
    statuses = {m.email: m.status for m in services.members.list_members(ann, "acme")}
    assert statuses == {ann: "active", BOB: "expired", CARL: "active"}
    assert services.members.pending_for(BOB) == []
    with pytest.raises(Conflict, match="expired"):
        services.members.accept(BOB, "acme")
    with pytest.raises(NotFound):
        services.orgs.get_org(BOB, "acme")

    # a new invitation starts a new week
    again = services.members.invite(ann, "acme", BOB)
    assert again.status == "invited"
    clock.advance(days=3)
    assert services.members.accept(BOB, "acme").status == "active"


# --- demo ------------------------------------------------------------------------------------


def test_demo_creates_the_sample_orgs_with_the_actor_as_admin(services: Services, ann) -> None:
    created = load_demo(services, ann)
    orgs = {o.slug: o for o in services.orgs.list_orgs(ann)}
    assert set(created) == set(orgs)
    assert {o.name for o in orgs.values()} >= {"Acme Production", "Acme Staging", "Personal Lab"}
    for org in orgs.values():
        assert org.role == "admin"
        assert ann in org.admins
    # a living app: registries with servers, other members, variables
    acme = orgs["acme-production"]
    registries = services.registries.list_registries(ann, "acme-production")
    assert registries and all(r.server_count > 0 for r in registries)
    assert acme.registry_count == len(registries)
    members = services.members.list_members(ann, "acme-production")
    assert {m.status for m in members} >= {"active", "invited"}
    assert services.variables.list_keys(ann, Scope("acme-production"))
    assert services.orgs.get_org(ann, "acme-production").overview.startswith("# ")
    for registry in registries:
        for server in services.registries.list_servers(
            ann, Scope("acme-production", registry.slug)
        ):
            assert server.document["name"] == server.name
    assert actions(services, "acme-production")[-1] == "org.create"


def test_demo_works_for_an_actor_who_is_one_of_the_sample_members(services: Services) -> None:
    sample = DEMO_ORGS[0].members[0][0]
    load_demo(services, sample)
    assert {o.role for o in services.orgs.list_orgs(sample)} == {"admin"}
    assert len(services.orgs.list_orgs(sample)) == len(DEMO_ORGS)


def test_demo_twice_is_a_conflict_and_changes_nothing(services: Services, store: Store, ann):
    load_demo(services, ann)
    before = table_rows(store)
    with pytest.raises(Conflict, match="already"):
        load_demo(services, ann)
    assert table_rows(store) == before


def test_demo_refuses_when_a_sample_slug_is_taken(services: Services, store: Store, ann):
    services.orgs.create(BOB, "Personal Lab")
    before = table_rows(store)
    with pytest.raises(Conflict):
        load_demo(services, ann)
    assert table_rows(store) == before
    assert services.orgs.list_orgs(ann) == []


def test_demo_that_fails_half_way_leaves_nothing_behind(
    services: Services, store: Store, ann, monkeypatch
) -> None:
    calls = []
    original = services.variables.set_key

    def fail_on_the_third(*args, **kwargs):
        calls.append(args)
        if len(calls) == 3:
            raise RuntimeError("disk full")
        return original(*args, **kwargs)

    monkeypatch.setattr(services.variables, "set_key", fail_on_the_third)
    before = table_rows(store)
    with pytest.raises(RuntimeError):
        load_demo(services, ann)
    assert table_rows(store) == before


def test_timestamps_are_utc_even_with_a_local_clock(store: Store, ann) -> None:
    local = Clock(datetime(2025, 1, 1, 1, 0, tzinfo=timezone(timedelta(hours=-5))))
    services = Services(store, clock=local)
    org = services.orgs.create(ann, "Acme")
    assert org.created_at.utcoffset() == timedelta(0)
    assert org.created_at == datetime(2025, 1, 1, 6, 0, tzinfo=UTC)
