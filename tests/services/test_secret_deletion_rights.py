"""Deleting a registry or removing a server takes the secrets of those scopes with their history
(issue 11, item 3). That is not `registries:write`'s to decide: while the scope holds secrets (set,
or unset with their history kept), it also needs `secrets:write` (admins have it)."""

from __future__ import annotations

import io

import pytest

from pylee_tui.services import NotFound, PermissionDenied, Scope, Services
from tests.support import ANN, CARL, WEATHER, CliRunner, server_doc, table_rows, with_services

DAN = "dan@example.com"  # registries:write and secrets:write
PASSPHRASE = "correct horse battery"
W = WEATHER["name"]
S = "io.github.acme/search"
NEEDS = "deleting secrets with their history needs the admin role or the grant 'secrets:write'"


def build(s: Services) -> Services:
    """acme: ann admin, carl with registries:write, dan with registries:write and secrets:write.
    Registry core (weather, search) holds the secret DB_PASSWORD and the variable REGION; weather
    holds the secret API_KEY (two versions); search and registry data hold no secret."""
    s.orgs.create(ANN, "Acme")
    s.registries.create(ANN, "acme", "Core", slug="core")
    s.registries.create(ANN, "acme", "Data", slug="data")
    s.registries.add_server(ANN, Scope("acme", "core"), WEATHER)
    s.registries.add_server(ANN, Scope("acme", "core"), server_doc(S))
    for email in (CARL, DAN):
        s.members.invite(ANN, "acme", email)
        s.members.accept(email, "acme")
        s.members.grant(ANN, "acme", email, "registries:write")
    s.members.grant(ANN, "acme", DAN, "secrets:write")
    s.vault.initialize(ANN, PASSPHRASE)
    s.variables.set_key(ANN, Scope("acme"), "TOKEN", "org-token", kind="secret")
    s.variables.set_key(ANN, Scope("acme", "core"), "DB_PASSWORD", "pw", kind="secret")
    s.variables.set_key(ANN, Scope("acme", "core"), "REGION", "eu")
    s.variables.set_key(ANN, Scope("acme", "core", W), "API_KEY", "key-1", kind="secret")
    s.variables.set_key(ANN, Scope("acme", "core", W), "API_KEY", "key-2", kind="secret")
    s.variables.set_key(ANN, Scope("acme", "core", S), "ENGINE", "ddg")
    return s


@pytest.fixture
def acme(services: Services) -> Services:
    return build(services)


def test_registries_write_alone_cannot_delete_a_registry_holding_secrets(acme: Services) -> None:
    before = table_rows(acme.store)
    with pytest.raises(PermissionDenied) as caught:
        acme.registries.delete(CARL, Scope("acme", "core"))
    assert str(caught.value) == (
        f"you ({CARL}) cannot delete registry 'core' in 'acme': it holds 2 secrets, and {NEEDS}"
    )
    assert table_rows(acme.store) == before
    # everything is still there, history included
    acme.variables.rollback(ANN, Scope("acme", "core", W), "API_KEY", 1)
    assert acme.variables.reveal(ANN, Scope("acme", "core", W), "API_KEY") == "key-1"
    # a registry without secrets is still carl's to delete
    acme.registries.delete(CARL, Scope("acme", "data"))
    # with secrets:write as well, dan may delete core; the audit event is his
    report = acme.registries.delete(DAN, Scope("acme", "core"))
    assert (report.servers, report.variables) == (2, 4)
    assert acme.audit.list_for_org(ANN, "acme")[0].actor == DAN
    assert acme.variables.reveal(ANN, Scope("acme"), "TOKEN") == "org-token"  # the org's stays


def test_registries_write_alone_cannot_remove_a_server_holding_secrets(acme: Services) -> None:
    before = table_rows(acme.store)
    with pytest.raises(PermissionDenied) as caught:
        acme.registries.remove_server(CARL, Scope("acme", "core", W))
    assert str(caught.value) == (
        f"you ({CARL}) cannot remove server '{W}' from registry 'core' in 'acme': "
        f"it holds 1 secret, and {NEEDS}"
    )
    assert table_rows(acme.store) == before
    # a server holding only plain variables is still carl's to remove (they go with it)
    assert acme.registries.remove_server(CARL, Scope("acme", "core", S)).variables == 1
    assert acme.registries.remove_server(DAN, Scope("acme", "core", W)).variables == 1
    with pytest.raises(NotFound):
        acme.variables.history(ANN, Scope("acme", "core", W), "API_KEY")


def test_an_unset_secret_whose_history_is_kept_counts(acme: Services) -> None:
    """Unsetting keeps history so a deleted key can be rolled back: deleting its scope would
    end that, so it is refused just the same."""
    acme.variables.unset(ANN, Scope("acme", "core", W), "API_KEY")
    before = table_rows(acme.store)
    with pytest.raises(PermissionDenied) as caught:
        acme.registries.remove_server(CARL, Scope("acme", "core", W))
    assert str(caught.value) == (
        f"you ({CARL}) cannot remove server '{W}' from registry 'core' in 'acme': "
        f"it holds the history of 1 unset secret, and {NEEDS}"
    )
    with pytest.raises(PermissionDenied) as caught:
        acme.registries.delete(CARL, Scope("acme", "core"))
    assert str(caught.value) == (
        f"you ({CARL}) cannot delete registry 'core' in 'acme': "
        f"it holds 1 secret and the history of 1 unset secret, and {NEEDS}"
    )
    assert table_rows(acme.store) == before
    acme.variables.rollback(ANN, Scope("acme", "core", W), "API_KEY", 2)
    assert acme.variables.reveal(ANN, Scope("acme", "core", W), "API_KEY") == "key-2"


def test_the_confirmation_preview_can_refuse_first(acme: Services) -> None:
    """`check=True` (for the CLI's and the app's confirmation) refuses as the deletion would,
    before anyone is asked to confirm; without it the preview stays a plain read."""
    with pytest.raises(PermissionDenied, match=f"it holds 2 secrets, and {NEEDS}"):
        acme.registries.contents(CARL, Scope("acme", "core"), check=True)
    with pytest.raises(PermissionDenied, match=f"it holds 1 secret, and {NEEDS}"):
        acme.registries.server_contents(CARL, Scope("acme", "core", W), check=True)
    assert acme.registries.contents(CARL, Scope("acme", "core")).variables == 4
    assert acme.registries.contents(DAN, Scope("acme", "core"), check=True).variables == 4
    assert (
        acme.registries.server_contents(CARL, Scope("acme", "core", S), check=True).variables == 1
    )


@pytest.mark.parametrize(
    ("argv", "doing", "held"),
    [
        (("registry", "delete", "core", "--org", "acme", "--yes"), "delete registry 'core'", 2),
        (
            ("server", "remove", W, "--org", "acme", "--registry", "core", "--yes"),
            f"remove server '{W}' from registry 'core'",
            1,
        ),
    ],
    ids=["registry delete", "server remove"],
)
def test_the_cli_says_what_would_allow_it(
    cli: CliRunner, monkeypatch: pytest.MonkeyPatch, argv, doing: str, held: int
) -> None:
    with_services(cli.db, build)
    monkeypatch.setattr("sys.stdin", io.StringIO(""))
    result = cli(*argv, user=CARL)
    assert (result.code, result.out) == (1, "")
    secrets = "1 secret" if held == 1 else f"{held} secrets"
    assert result.err_lines == [
        f"pylee-tui: you ({CARL}) cannot {doing} in 'acme': it holds {secrets}, and {NEEDS}"
    ]
    listed = cli("secret", "list", "--org", "acme", "--registry", "core", "--server", W)
    assert "API_KEY" in listed.out  # still there
    assert cli(*argv, user=DAN).code == 0
