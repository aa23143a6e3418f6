"""`clients import` into a registry that requires approval, by a member who may write but not
approve: refused in one line before anything is written (no server, no variable, no secret, no
change request the user is told of but that was rolled back). An approver's import goes ahead."""

from __future__ import annotations

import pytest

from pylee_tui.services import Services
from pylee_tui.services.errors import InvalidInput, PermissionDenied
from tests.clients.machine import MACHINE, TOOLS, registry
from tests.support import ANN, BOB, table_rows

CY = "cy@example.com"  # a member with no grant, or only registries:write


@pytest.fixture
def gated(services: Services, monkeypatch: pytest.MonkeyPatch) -> Services:
    """acme/tools requires approval; bob may write to registries but not approve."""
    monkeypatch.delenv("XDG_CONFIG_HOME", raising=False)
    registry(services)
    services.members.invite(ANN, "acme", BOB)
    services.members.accept(BOB, "acme")
    services.members.grant(ANN, "acme", BOB, "registries:write")
    assert services.approvals.set_required(ANN, TOOLS, True)
    return services


def plan(s: Services, actor: str):
    return s.clients.plan_import(
        actor,
        "claude",
        None,
        org="acme",
        registry="tools",
        home=MACHINE / "home",
        cwd=MACHINE / "project",
        platform="linux",
    )


def test_a_writer_is_refused_before_anything_is_written(gated: Services) -> None:
    before = table_rows(gated.store)
    with pytest.raises(InvalidInput) as excinfo:
        gated.clients.apply_import(BOB, plan(gated, BOB))
    said = str(excinfo.value)
    assert "\n" not in said
    assert said.startswith("registry acme/tools requires approval")
    assert "nothing was imported" in said
    assert table_rows(gated.store) == before  # no server, key, request or audit event
    assert gated.approvals.list_requests(ANN, "acme", state="all") == []


def test_a_writer_is_refused_even_with_the_vault_locked(gated: Services) -> None:
    """The refusal comes first: no passphrase is asked for an import that cannot happen."""
    gated.vault.lock()
    with pytest.raises(InvalidInput, match="requires approval"):
        gated.clients.apply_import(BOB, plan(gated, BOB))


def test_an_approver_imports_into_the_same_registry(gated: Services) -> None:
    result = gated.clients.apply_import(ANN, plan(gated, ANN))
    assert "com.npmjs.modelcontextprotocol/github" in result.created
    assert gated.approvals.list_requests(ANN, "acme", state="all") == []


@pytest.mark.parametrize(
    ("grants", "says"),
    [((), "cannot import servers"), (("registries:write",), "cannot change variables")],
)
def test_what_the_writes_would_refuse_is_refused_before_the_passphrase(
    gated: Services, grants: tuple[str, ...], says: str
) -> None:
    """Into a registry without approval: the import needs the servers' write, and the
    variables' and secrets' writes for what it stores; one it lacks is said at once, not after
    the vault's passphrase was asked for."""
    gated.approvals.set_required(ANN, TOOLS, False)
    gated.members.invite(ANN, "acme", CY)
    gated.members.accept(CY, "acme")
    for grant in grants:
        gated.members.grant(ANN, "acme", CY, grant)
    gated.vault.lock()
    before = table_rows(gated.store)
    with pytest.raises(PermissionDenied, match=says):
        gated.clients.apply_import(CY, plan(gated, CY))
    assert table_rows(gated.store) == before
