"""MemberService: the invitation lifecycle, roles, grants, removal, the last-admin rule, and the
permission matrix over every mutating service method."""

from __future__ import annotations

import inspect
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from pylee_tui import crypto
from pylee_tui.services import Conflict, InvalidInput, NotFound, PermissionDenied, Scope, Services
from pylee_tui.services.variables import VariableService
from pylee_tui.store import Store
from tests.support import ANN, BOB, CARL, CHEAP_KDF, WEATHER, Clock, server_doc, table_rows

DAN = "dan@example.com"  # member with secrets:write
EVE = "eve@example.com"  # invited, has not accepted
OLA = "ola@example.com"  # outsider: admin of another org only


def events(services: Services, slug: str = "acme") -> list[tuple[str, str]]:
    """(action, target label) of the org's audit events, oldest first."""
    return [(e.action, e.target_label) for e in reversed(services.audit.list_for_org(ANN, slug))]


def last_event(services: Services, slug: str = "acme"):
    return services.audit.list_for_org(ANN, slug)[0]


def join(services: Services, email: str, role: str = "member", org: str = "acme") -> None:
    services.members.invite(ANN, org, email, role=role)
    services.members.accept(email, org)


def status(services: Services, email: str) -> dict[str, Any]:
    m = next(m for m in services.members.list_members(ANN, "acme") if m.email == email)
    return {"role": m.role, "status": m.status, "grants": set(m.grants)}


@pytest.fixture
def acme(services: Services) -> Services:
    """acme: ann admin, bob a plain member."""
    services.orgs.create(ANN, "Acme")
    join(services, BOB)
    return services


# --- invitations -----------------------------------------------------------------------------


def test_invitation_lifecycle_with_expiry_and_reinvite(acme: Services, clock: Clock) -> None:
    invited = acme.members.invite(ANN, "acme", "  Carl@Example.COM ")
    assert (invited.email, invited.status, invited.grants) == (CARL, "invited", frozenset())
    assert invited.invited_by == ANN
    with pytest.raises(Conflict, match="pending invitation"):
        acme.members.invite(ANN, "acme", CARL)
    with pytest.raises(Conflict, match="already a member"):
        acme.members.invite(ANN, "acme", BOB)
    assert acme.members.pending_for(CARL) == ["acme"]
    assert [o.slug for o in acme.orgs.list_orgs(CARL)] == []  # not a member until accepted

    clock.advance(days=7, seconds=1)
    assert status(acme, CARL)["status"] == "expired"
    assert acme.members.pending_for(CARL) == []
    with pytest.raises(Conflict, match="expired"):
        acme.members.accept(CARL, "acme")

    again = acme.members.invite(ANN, "acme", CARL, role="admin")  # renewed in place
    assert (again.id, again.status, again.role) == (invited.id, "invited", "admin")
    clock.advance(days=6)
    accepted = acme.members.accept(CARL, "acme")
    assert (accepted.status, accepted.joined_at) == ("active", clock.now)
    assert [o.slug for o in acme.orgs.list_orgs(CARL)] == ["acme"]
    with pytest.raises(Conflict, match="already a member"):
        acme.members.accept(CARL, "acme")
    assert events(acme)[-3:] == [
        ("member.invite", CARL),
        ("member.invite", CARL),
        ("member.accept", CARL),
    ]


def test_invite_refuses_bad_emails_and_roles(acme: Services) -> None:
    before = table_rows(acme.store)
    with pytest.raises(InvalidInput, match="not a valid email"):
        acme.members.invite(ANN, "acme", "carl@")
    with pytest.raises(InvalidInput):
        acme.members.invite(ANN, "acme", CARL, role="owner")
    assert table_rows(acme.store) == before


# --- roles, grants, removal ------------------------------------------------------------------


def test_role_change_grant_and_withdraw_are_audited(acme: Services) -> None:
    m = acme.members.grant(ANN, "acme", "BOB@example.com", "registries:write")
    assert m.grants == {"registries:write"}
    acme.members.grant(ANN, "acme", BOB, "secrets:write")
    assert status(acme, BOB)["grants"] == {"registries:write", "secrets:write"}
    with pytest.raises(Conflict, match="already has 'secrets:write'"):
        acme.members.grant(ANN, "acme", BOB, "secrets:write")
    assert acme.members.revoke_grant(ANN, "acme", BOB, "secrets:write").grants == {
        "registries:write"
    }
    with pytest.raises(Conflict, match="does not have"):
        acme.members.revoke_grant(ANN, "acme", BOB, "secrets:write")

    promoted = acme.members.change_role(ANN, "acme", BOB, "admin")
    assert (promoted.role, promoted.grants) == ("admin", frozenset())
    assert last_event(acme).metadata == {
        "from": "member",
        "to": "admin",
        "grants_cleared": ["registries:write"],
    }
    with pytest.raises(Conflict, match="already an admin"):
        acme.members.change_role(ANN, "acme", BOB, "admin")
    acme.members.change_role(ANN, "acme", BOB, "member")
    assert events(acme)[-5:] == [
        ("member.grant", BOB),
        ("member.grant", BOB),
        ("member.revoke_grant", BOB),
        ("member.role", BOB),
        ("member.role", BOB),
    ]


def test_unknown_permission_is_refused_with_the_list(acme: Services) -> None:
    with pytest.raises(
        InvalidInput, match="use one of registries:write, registries:approve, secrets:write"
    ):
        acme.members.grant(ANN, "acme", BOB, "members:manage")
    with pytest.raises(InvalidInput, match="registries:write, registries:approve, secrets:write"):
        acme.members.revoke_grant(ANN, "acme", BOB, "admin")


def test_admins_cannot_be_given_grants(acme: Services) -> None:
    with pytest.raises(Conflict, match="already has every permission"):
        acme.members.grant(ANN, "acme", ANN, "registries:write")


def test_unknown_target_is_not_found(acme: Services) -> None:
    for call in (
        lambda: acme.members.grant(ANN, "acme", CARL, "secrets:write"),
        lambda: acme.members.change_role(ANN, "acme", CARL, "admin"),
        lambda: acme.members.remove(ANN, "acme", CARL),
    ):
        with pytest.raises(NotFound, match=CARL):
            call()


def test_remove_a_member_and_revoke_an_invitation(acme: Services, clock: Clock) -> None:
    acme.members.invite(ANN, "acme", CARL)
    assert "revoking the invited invitation" in acme.members.removal(ANN, "acme", CARL)
    assert acme.members.remove(ANN, "acme", CARL).status == "revoked"
    with pytest.raises(NotFound, match="no invitation"):
        acme.members.accept(CARL, "acme")
    assert "ends their access" in acme.members.removal(ANN, "acme", BOB)
    assert acme.members.remove(ANN, "acme", BOB).status == "revoked"
    assert [o.slug for o in acme.orgs.list_orgs(BOB)] == []
    with pytest.raises(NotFound):
        acme.registries.list_registries(BOB, "acme")
    with pytest.raises(NotFound):
        acme.members.remove(ANN, "acme", BOB)  # already gone
    assert events(acme)[-2:] == [("member.revoke_invitation", CARL), ("member.remove", BOB)]
    # removed people can be invited again
    clock.advance(days=1)
    assert acme.members.invite(ANN, "acme", BOB).status == "invited"


# --- the last admin --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("label", "call"),
    [
        ("remove", lambda s: s.members.remove(ANN, "acme", ANN)),
        ("demote", lambda s: s.members.change_role(ANN, "acme", ANN, "member")),
        ("removal preview", lambda s: s.members.removal(ANN, "acme", ANN)),
    ],
)
def test_the_last_active_admin_cannot_go(acme: Services, label: str, call) -> None:
    acme.members.invite(ANN, "acme", CARL, role="admin")  # a pending admin does not count
    before = table_rows(acme.store)
    with pytest.raises(Conflict, match="last active admin of 'acme'"):
        call(acme)
    assert table_rows(acme.store) == before
    assert status(acme, ANN) == {"role": "admin", "status": "active", "grants": set()}


def test_with_two_admins_one_may_be_demoted_or_leave_but_not_both(acme: Services) -> None:
    join(acme, CARL, "admin")
    acme.members.change_role(CARL, "acme", ANN, "member")  # carl demotes ann
    with pytest.raises(Conflict, match="last active admin"):
        acme.members.remove(CARL, "acme", CARL)  # carl is now the last one
    acme.members.change_role(CARL, "acme", ANN, "admin")
    acme.members.remove(ANN, "acme", ANN)  # ann leaves herself
    assert [o.slug for o in acme.orgs.list_orgs(ANN)] == []
    assert acme.orgs.list_orgs(CARL)[0].admins == (CARL,)
    with pytest.raises(Conflict, match="last active admin"):
        acme.members.change_role(CARL, "acme", CARL, "member")


# --- who may do what -------------------------------------------------------------------------


VAULT_PASSPHRASE = "correct horse battery"


def build_world(s: Services) -> None:
    """acme with registries core (weather) and data; ann admin, bob plain member, carl with
    registries:write, dan with secrets:write, eve invited (not accepted); ola runs 'other'."""
    s.orgs.create(ANN, "Acme")
    s.orgs.create(OLA, "Other")
    s.registries.create(ANN, "acme", "Core", slug="core")
    s.registries.create(ANN, "acme", "Data", slug="data")
    s.registries.add_server(ANN, Scope("acme", "core"), WEATHER)
    for email in (BOB, CARL, DAN):
        join(s, email)
    s.members.grant(ANN, "acme", CARL, "registries:write")
    s.members.grant(ANN, "acme", DAN, "secrets:write")
    s.members.invite(ANN, "acme", EVE)
    # the vault unlocked, a secret and a variable with two versions each, keys at every scope
    s.vault.initialize(ANN, VAULT_PASSPHRASE)
    for value in ("v1", "v2"):
        s.variables.set_key(ANN, Scope("acme"), "TOKEN", f"token-{value}", kind="secret")
        s.variables.set_key(ANN, Scope("acme"), "MODE", value)
    s.variables.set_key(ANN, Scope("acme", "core"), "DB_PASSWORD", "pw", kind="secret")
    s.variables.set_key(ANN, Scope("acme", "core", W), "URL", "https://${TOKEN}@${HOST}")
    # a deleted variable and a deleted secret, their history kept
    s.variables.set_key(ANN, Scope("acme"), "OLD_MODE", "v0")
    s.variables.unset(ANN, Scope("acme"), "OLD_MODE")
    s.variables.set_key(ANN, Scope("acme"), "OLD_TOKEN", "token-v0", kind="secret")
    s.variables.unset(ANN, Scope("acme"), "OLD_TOKEN")


@pytest.fixture(scope="module")
def world_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The world built once for the module, in a database file each test copies. Built with
    a clock at the same start as the tests' `clock`, so its timestamps are the ones a world
    built in the test would have."""
    template = tmp_path_factory.mktemp("members-world") / "world.db"
    with pytest.MonkeyPatch.context() as patch:
        # the cheap KDF of tests/conftest.py (a function fixture; this one is the module's):
        # its parameters are stored with the vault, so every copy unlocks as cheaply
        patch.setattr(crypto, "DEFAULT_KDF", CHEAP_KDF)
        store = Store(template)
        try:
            build_world(Services(store, clock=Clock()))
        finally:
            store.close()  # the last connection: the file holds everything, no -wal left
    return template


@pytest.fixture
def world(world_template: Path, db_path: Path, clock: Clock) -> Iterator[Services]:
    """A fresh copy of the module's world, its vault unlocked as the build left it (the data
    key lives in the services, not the file). It opens the test's `db_path` itself: a test
    takes `world` or `services`, not both."""
    shutil.copyfile(world_template, db_path)
    store = Store(db_path)
    s = Services(store, clock=clock)
    s.vault.unlock(VAULT_PASSPHRASE)
    yield s
    store.close()


W = WEATHER["name"]
CALLS: dict[str, tuple[str, Callable[[Services, str], Any]]] = {
    # name: (who besides admins may do it: "" nobody, or the grant), call
    "orgs.edit": ("", lambda s, a: s.orgs.edit(a, "acme", description="new")),
    "orgs.delete": ("", lambda s, a: s.orgs.delete(a, "acme")),
    "registries.create": ("registries:write", lambda s, a: s.registries.create(a, "acme", "N")),
    "registries.edit": (
        "registries:write",
        lambda s, a: s.registries.edit(a, Scope("acme", "core"), description="new"),
    ),
    "registries.delete": (
        "registries:write",
        lambda s, a: s.registries.delete(a, Scope("acme", "data")),
    ),
    "registries.add_server": (
        "registries:write",
        lambda s, a: s.registries.add_server(
            a, Scope("acme", "core"), server_doc("io.github.acme/n")
        ),
    ),
    "registries.edit_server": (
        "registries:write",
        lambda s, a: s.registries.edit_server(a, Scope("acme", "core", W), server_doc(W, "2.0.0")),
    ),
    "registries.remove_server": (
        "registries:write",
        lambda s, a: s.registries.remove_server(a, Scope("acme", "core", W)),
    ),
    "registries.move_server": (
        "registries:write",
        lambda s, a: s.registries.move_server(a, Scope("acme", "core", W), "data"),
    ),
    "registries.import_servers": (
        "registries:write",
        lambda s, a: s.registries.import_servers(
            a, Scope("acme", "core"), [server_doc("io.github.acme/i")]
        ),
    ),
    "members.invite": ("", lambda s, a: s.members.invite(a, "acme", "new@example.com")),
    "members.change_role": ("", lambda s, a: s.members.change_role(a, "acme", BOB, "admin")),
    "members.grant": ("", lambda s, a: s.members.grant(a, "acme", BOB, "secrets:write")),
    "members.revoke_grant": (
        "",
        lambda s, a: s.members.revoke_grant(a, "acme", CARL, "registries:write"),
    ),
    "members.remove": ("", lambda s, a: s.members.remove(a, "acme", BOB)),
    "variables.set_key@variable": (
        "",
        lambda s, a: s.variables.set_key(a, Scope("acme"), "KEY", "v"),
    ),
    "variables.set_key@variable/registry": (
        "",
        lambda s, a: s.variables.set_key(a, Scope("acme", "core"), "KEY", "v"),
    ),
    "variables.set_key@variable/server": (
        "",
        lambda s, a: s.variables.set_key(a, Scope("acme", "core", W), "HOST", "h"),
    ),
    "variables.set_key@variable/change": (
        "",
        lambda s, a: s.variables.set_key(a, Scope("acme"), "MODE", "x"),
    ),
    "variables.set_key@secret": (
        "secrets:write",
        lambda s, a: s.variables.set_key(a, Scope("acme"), "NEW_TOKEN", "s", kind="secret"),
    ),
    "variables.set_key@secret/change": (
        "secrets:write",
        lambda s, a: s.variables.set_key(a, Scope("acme"), "TOKEN", "token-v3", kind="secret"),
    ),
    "variables.set_key@secret/server": (
        "secrets:write",
        lambda s, a: s.variables.set_key(
            a, Scope("acme", "core", W), "API_KEY", "s", kind="secret"
        ),
    ),
    "variables.set_key@secret/registry": (
        "secrets:write",
        lambda s, a: s.variables.set_key(a, Scope("acme", "data"), "KEY", "s", kind="secret"),
    ),
    "variables.set_key@variable/data": (
        "",
        lambda s, a: s.variables.set_key(a, Scope("acme", "data"), "KEY", "v", kind="variable"),
    ),
    # the write check alone (secret set runs it before asking for the value), by the same rule
    "variables.check_write@variable": (
        "",
        lambda s, a: s.variables.check_write(a, Scope("acme"), "variable"),
    ),
    "variables.check_write@secret": (
        "secrets:write",
        lambda s, a: s.variables.check_write(a, Scope("acme"), "secret"),
    ),
    # who has a personal override of which key (no values): the member review's, admins only
    "variables.user_overrides": ("", lambda s, a: s.variables.user_overrides(a, "acme")),
    "variables.unset@variable": ("", lambda s, a: s.variables.unset(a, Scope("acme"), "MODE")),
    "variables.unset@secret": (
        "secrets:write",
        lambda s, a: s.variables.unset(a, Scope("acme"), "TOKEN"),
    ),
    "variables.unset@registry": (
        "secrets:write",
        lambda s, a: s.variables.unset(a, Scope("acme", "core"), "DB_PASSWORD"),
    ),
    "variables.rollback@variable": (
        "",
        lambda s, a: s.variables.rollback(a, Scope("acme"), "MODE", 1),
    ),
    "variables.rollback@secret": (
        "secrets:write",
        lambda s, a: s.variables.rollback(a, Scope("acme"), "TOKEN", 1),
    ),
    "variables.restore@variable": (
        "",
        lambda s, a: s.variables.restore(a, Scope("acme"), "OLD_MODE"),
    ),
    "variables.restore@secret": (
        "secrets:write",
        lambda s, a: s.variables.restore(a, Scope("acme"), "OLD_TOKEN"),
    ),
    # reading a secret's plaintext (secrets:reveal) is for admins alone: write-only grants
    "variables.reveal": ("", lambda s, a: s.variables.reveal(a, Scope("acme"), "TOKEN")),
    "variables.reveal@copy": (
        "",
        lambda s, a: s.variables.reveal(a, Scope("acme", "core"), "DB_PASSWORD", purpose="copy"),
    ),
    "variables.reveal_effective": (
        "",
        lambda s, a: s.variables.reveal_effective(a, Scope("acme", "core", W), "URL"),
    ),
    "variables.effective@reveal": (
        "",
        lambda s, a: s.variables.effective(a, Scope("acme", "core", W), reveal=True),
    ),
    "variables.reveal_for_servers": (
        "",
        lambda s, a: s.variables.reveal_for_servers(a, Scope("acme", "core"), {W: ["URL"]}),
    ),
}
ACTORS = {
    "admin": (ANN, None),
    "member": (BOB, None),
    "registries:write": (CARL, "registries:write"),
    "secrets:write": (DAN, "secrets:write"),
    "invited": (EVE, "hidden"),
    "outsider": (OLA, "hidden"),
}


def expected(call: str, actor: str) -> str:
    grant_needed = CALLS[call][0]
    _email, has = ACTORS[actor]
    if actor == "admin":
        return "allowed"
    if has == "hidden":
        return "not found"
    return "allowed" if grant_needed and has == grant_needed else "denied"


MATRIX = [(c, a, expected(c, a)) for c in CALLS for a in ACTORS]

GATED_READS = {
    "variables.check_write@variable",
    "variables.check_write@secret",
    "variables.user_overrides",
}


@pytest.mark.parametrize(
    ("call", "actor", "outcome"), MATRIX, ids=[f"{c}-{a}" for c, a, _ in MATRIX]
)
def test_permission_matrix(world: Services, call: str, actor: str, outcome: str) -> None:
    email = ACTORS[actor][0]
    audit_before = len(world.audit.list_for_org(ANN, "acme"))
    before = table_rows(world.store)
    run = CALLS[call][1]
    if outcome == "allowed":
        run(world, email)
        # deleting the org takes its events with it from the view; the checks and reads
        # gated like writes record nothing
        if call != "orgs.delete" and call not in GATED_READS:
            assert len(world.audit.list_for_org(ANN, "acme")) > audit_before
        return
    if outcome == "denied":
        with pytest.raises(PermissionDenied) as refused:
            run(world, email)
        message = str(refused.value)
        assert email in message and "'acme'" in message
        assert "admin role" in message
        if CALLS[call][0]:
            assert f"grant '{CALLS[call][0]}'" in message
    else:
        with pytest.raises(NotFound, match="no organization 'acme'"):
            run(world, email)
    assert table_rows(world.store) == before


def test_the_matrix_covers_every_mutating_method() -> None:
    covered = {name.split(".")[1] for name in CALLS}
    assert covered >= {"edit", "delete", "create", "add_server", "edit_server"}
    assert {n for n in CALLS if n.startswith("members.")} == {
        "members.invite",
        "members.change_role",
        "members.grant",
        "members.revoke_grant",
        "members.remove",
    }
    # every public method of the variable service is either a read any member may do or in
    # the matrix (a new method has to choose); the gated ones at more than one scope
    methods = {
        name
        for name, _ in inspect.getmembers(VariableService, inspect.isfunction)
        if not name.startswith("_") and name in vars(VariableService)
    }
    in_matrix = {n.split(".")[1].split("@")[0] for n in CALLS if n.startswith("variables.")}
    assert methods == in_matrix | set(VARIABLE_READS)
    assert in_matrix == methods - {
        "list_keys",
        "get_key",
        "history",
        "deleted",
        "effective_for_servers",
        "changes",
        "registry_scopes",
        "server_names",
    }
    assert {"set_key@variable/registry", "set_key@variable/server", "set_key@secret/server"} <= {
        n.split(".")[1] for n in CALLS
    }


# what the variable service offers every member (and hides from everyone else)
VARIABLE_READS: dict[str, Callable[[Services, str], Any]] = {
    "list_keys": lambda s, a: s.variables.list_keys(a, Scope("acme", "core", W)),
    "get_key": lambda s, a: s.variables.get_key(a, Scope("acme"), "TOKEN"),
    "history": lambda s, a: s.variables.history(a, Scope("acme"), "TOKEN"),
    "deleted": lambda s, a: s.variables.deleted(a, Scope("acme")),
    "effective": lambda s, a: s.variables.effective(a, Scope("acme", "core", W)),
    "effective_for_servers": lambda s, a: s.variables.effective_for_servers(
        a, Scope("acme", "core")
    ),
    "reveal": lambda s, a: s.variables.reveal(a, Scope("acme"), "MODE"),  # a variable: no secret
    "changes": lambda s, a: s.variables.changes(a, Scope("acme", "core", W)),
    "registry_scopes": lambda s, a: s.variables.registry_scopes(a, "acme"),
    "server_names": lambda s, a: s.variables.server_names(a, Scope("acme", "core")),
}


@pytest.mark.parametrize("actor", list(ACTORS))
@pytest.mark.parametrize("read", list(VARIABLE_READS))
def test_variable_reads_are_for_members_and_never_show_a_secret(
    world: Services, read: str, actor: str
) -> None:
    email, has = ACTORS[actor]
    before = table_rows(world.store)
    if has == "hidden":
        with pytest.raises(NotFound, match="no organization 'acme'"):
            VARIABLE_READS[read](world, email)
    else:
        result = VARIABLE_READS[read](world, email)
        assert "token-v2" not in repr(result)
    assert table_rows(world.store) == before


def test_members_do_not_manage_members_and_are_told_who_can(world: Services) -> None:
    with pytest.raises(PermissionDenied, match="invite members in 'acme': it needs the admin role"):
        world.members.invite(CARL, "acme", "x@example.com")


@pytest.mark.parametrize("who", [EVE, OLA])
def test_invitees_and_outsiders_do_not_see_the_org(world: Services, who: str) -> None:
    assert "acme" not in [o.slug for o in world.orgs.list_orgs(who)]
    with pytest.raises(NotFound):
        world.members.list_members(who, "acme")


def test_members_see_the_org_and_its_members(world: Services) -> None:
    assert [o.slug for o in world.orgs.list_orgs(BOB)] == ["acme"]
    listed = {m.email: m.status for m in world.members.list_members(BOB, "acme")}
    assert listed == {ANN: "active", BOB: "active", CARL: "active", DAN: "active", EVE: "invited"}
    grants = {m.email: m.grants for m in world.members.list_members(BOB, "acme")}
    assert grants[CARL] == {"registries:write"}


# --- the list the members section shows: filtered and sorted by the database -----------------

SHOWN_COLUMNS = ("email", "name", "role", "status", "grants", "invited_by", "invited", "joined")


def shown(m) -> tuple[str, ...]:
    """A member as the members table shows it (what the section sorted and filtered before the
    database did)."""
    return (
        m.email,
        m.display_name,
        m.role,
        m.status,
        ", ".join(sorted(m.grants)) if m.role != "admin" else "all",
        m.invited_by or "",
        f"{m.invited_at:%Y-%m-%d}",
        f"{m.joined_at:%Y-%m-%d}" if m.joined_at else "",
    )


@pytest.fixture
def crowd(acme: Services, clock: Clock) -> Services:
    """Members in every state, with grants, joined and invited on different days."""
    acme.members.invite(ANN, "acme", "zed@example.com")  # will expire
    clock.advance(days=3)
    join(acme, DAN)
    acme.members.grant(ANN, "acme", DAN, "secrets:write")
    acme.members.grant(ANN, "acme", DAN, "registries:write")
    acme.members.grant(ANN, "acme", BOB, "registries:write")
    join(acme, "amy@example.com", role="admin")
    acme.members.invite(ANN, "acme", EVE)
    acme.members.invite(ANN, "acme", "rex@example.com")
    acme.members.remove(ANN, "acme", "rex@example.com")  # a revoked invitation
    clock.advance(days=5)  # zed's invitation is now eight days old: expired, not yet stored
    acme.members.invite(ANN, "acme", "kim@example.com", role="admin")
    return acme


@pytest.mark.parametrize("descending", [False, True])
@pytest.mark.parametrize("sort", SHOWN_COLUMNS)
def test_member_lines_sort_as_the_table_sorted(crowd: Services, sort: str, descending: bool):
    everyone = crowd.members.list_members(ANN, "acme")  # by role, then email
    column = SHOWN_COLUMNS.index(sort)
    want = sorted((shown(m) for m in everyone), key=lambda r: r[column].lower(), reverse=descending)
    listing = crowd.members.member_lines(ANN, "acme", sort=sort, descending=descending)
    got = [
        (
            line.email,
            line.display_name,
            line.role,
            line.status,
            ", ".join(sorted(line.grants)) if line.role != "admin" else "all",
            line.invited_by or "",
            line.invited_at[:10],
            line.joined_at[:10] if line.joined_at else "",
        )
        for line in listing.lines
    ]
    assert got == want


@pytest.mark.parametrize(
    "needle", ["", "ZED", "expired", "admin", "invited", "example", "x@", "nobody"]
)
def test_member_lines_filter_as_the_table_filtered(crowd: Services, needle: str) -> None:
    everyone = [shown(m) for m in crowd.members.list_members(ANN, "acme")]
    want = sorted(
        (r[0] for r in everyone if any(needle.lower() in cell.lower() for cell in r[:4])),
    )
    listing = crowd.members.member_lines(ANN, "acme", query=needle)
    assert [line.email for line in listing.lines] == want
    # the counts are the whole org's, whatever the filter
    assert (listing.active, listing.pending, listing.gone) == (4, 2, 2)


def test_member_lines_are_for_members_only_and_sort_by_a_known_column(crowd: Services) -> None:
    with pytest.raises(NotFound):
        crowd.members.member_lines(OLA, "acme")
    with pytest.raises(InvalidInput, match="cannot sort members by 'age'"):
        crowd.members.member_lines(ANN, "acme", sort="age")
