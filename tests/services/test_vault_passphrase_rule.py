"""Who may change the vault passphrase (issue 11, item 2).

One passphrase guards the secrets of every org in the store, and a new one locks out everyone who
only knows the old one. So it may be changed only by an admin of every org that holds secrets
(set, or kept in a key's history); while no org holds any, by any admin. Being admin of an org
you just created is not enough, even knowing the passphrase."""

from __future__ import annotations

import io

import pytest

from pylee_tui.services import PermissionDenied, Scope, Services
from tests.support import ANN, BOB, CARL, CliRunner, table_rows, with_services

DAN = "dan@example.com"  # member of acme with secrets:write
MAL = "mallory@example.com"  # no member of acme; has learnt the passphrase
PASSPHRASE = "correct horse battery"
NEW = "a brand new passphrase"


def refusal(who: str, which: str) -> str:
    return (
        f"you ({who}) cannot change the vault passphrase: it guards every organization's "
        "secrets, so it needs the admin role in each organization that holds secrets; "
        f"you are not an admin of {which}"
    )


def build_acme(s: Services) -> Services:
    """acme: ann admin, bob a plain member, dan with secrets:write; the vault holds TOKEN."""
    s.orgs.create(ANN, "Acme")
    for email in (BOB, DAN):
        s.members.invite(ANN, "acme", email)
        s.members.accept(email, "acme")
    s.members.grant(ANN, "acme", DAN, "secrets:write")
    s.vault.initialize(ANN, PASSPHRASE)
    s.variables.set_key(ANN, Scope("acme"), "TOKEN", "acme-token-1", kind="secret")
    return s


@pytest.fixture
def acme(services: Services) -> Services:
    return build_acme(services)


def still_opens_with(s: Services, passphrase: str) -> str:
    """Forget the key, unlock with `passphrase` and read acme's TOKEN as its admin."""
    s.vault.lock()
    s.vault.unlock(passphrase)
    return s.variables.reveal(ANN, Scope("acme"), "TOKEN")


@pytest.mark.parametrize(
    ("who", "which"),
    [(MAL, "1 of them"), (DAN, "'acme'")],
    ids=["outsider", "secrets-writer"],
)
def test_becoming_admin_of_a_new_org_does_not_let_you_change_the_passphrase(
    acme: Services, who: str, which: str
) -> None:
    acme.orgs.create(who, "Mine")  # admin of an org of their own, which holds no secret
    before = table_rows(acme.store)
    with pytest.raises(PermissionDenied) as caught:
        acme.vault.change_passphrase(who, PASSPHRASE, "mallory's passphrase")
    # an org the outsider may not see is counted, never named
    assert str(caught.value) == refusal(who, which)
    # refused before the passphrase is even looked at
    with pytest.raises(PermissionDenied):
        acme.vault.change_passphrase(who, "not the passphrase", "mallory's passphrase")
    assert table_rows(acme.store) == before
    assert still_opens_with(acme, PASSPHRASE) == "acme-token-1"
    # acme's admin is admin of every org that holds secrets ('mine' holds none): she may
    acme.vault.change_passphrase(ANN, PASSPHRASE, NEW)
    assert still_opens_with(acme, NEW) == "acme-token-1"


def test_with_secrets_in_two_orgs_only_an_admin_of_both_may_change_it(acme: Services) -> None:
    acme.orgs.create(CARL, "Other")
    acme.variables.set_key(
        CARL, Scope("other"), "DSN", "carl-dsn", kind="secret"
    )  # carl knows the passphrase too
    before = table_rows(acme.store)
    for who in (ANN, CARL):  # each is admin of one of the two
        with pytest.raises(PermissionDenied) as caught:
            acme.vault.change_passphrase(who, PASSPHRASE, NEW)
        assert str(caught.value) == refusal(who, "1 of them")
    assert table_rows(acme.store) == before
    # a plain member of 'other' sees it, so it is named
    acme.members.invite(CARL, "other", ANN)
    acme.members.accept(ANN, "other")
    with pytest.raises(PermissionDenied) as caught:
        acme.vault.change_passphrase(ANN, PASSPHRASE, NEW)
    assert str(caught.value) == refusal(ANN, "'other'")
    # made an admin of 'other' as well, she may; the event is in both orgs' logs
    acme.members.change_role(CARL, "other", ANN, "admin")
    acme.vault.change_passphrase(ANN, PASSPHRASE, NEW)
    assert acme.audit.list_for_org(CARL, "other")[0].action == "vault.passwd"
    assert acme.audit.list_for_org(ANN, "acme")[0].action == "vault.passwd"
    assert still_opens_with(acme, NEW) == "acme-token-1"


def test_secrets_kept_only_in_history_count_until_the_org_is_gone(acme: Services) -> None:
    """An unset secret can be rolled back, which needs the key: its org still counts."""
    acme.orgs.create(CARL, "Other")
    acme.variables.set_key(CARL, Scope("other"), "DSN", "carl-dsn", kind="secret")
    acme.variables.unset(CARL, Scope("other"), "DSN")
    with pytest.raises(PermissionDenied) as caught:
        acme.vault.change_passphrase(ANN, PASSPHRASE, NEW)
    assert str(caught.value) == refusal(ANN, "1 of them")
    acme.orgs.delete(CARL, "other")  # its secrets and their history go with it
    acme.vault.change_passphrase(ANN, PASSPHRASE, NEW)
    assert still_opens_with(acme, NEW) == "acme-token-1"


def test_while_no_org_holds_a_secret_any_admin_may_change_it(services: Services) -> None:
    """The decided edge (not a regression: 5b12d5e allowed it too): with no secret anywhere,
    the passphrase guards nothing yet, so an admin of any org may change it; a member with
    secrets:write still may not."""
    services.orgs.create(ANN, "Acme")
    services.members.invite(ANN, "acme", DAN)
    services.members.accept(DAN, "acme")
    services.members.grant(ANN, "acme", DAN, "secrets:write")
    services.vault.initialize(ANN, PASSPHRASE)  # and no secret yet
    services.orgs.create(MAL, "Mine")
    with pytest.raises(PermissionDenied, match="needs the admin role in an organization"):
        services.vault.change_passphrase(DAN, PASSPHRASE, NEW)
    services.vault.change_passphrase(MAL, PASSPHRASE, NEW)
    services.vault.lock()
    services.vault.unlock(NEW)


def test_the_cli_refuses_the_outsider_in_one_line(
    cli: CliRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    with_services(cli.db, build_acme)
    monkeypatch.setattr("sys.stdin", io.StringIO(""))  # no terminal: passphrases from the env
    monkeypatch.setenv("PYLEE_PASSPHRASE", PASSPHRASE)
    monkeypatch.setenv("PYLEE_NEW_PASSPHRASE", "mallory's passphrase")
    assert cli("org", "create", "Mine", user=MAL).code == 0
    result = cli("vault", "passwd", user=MAL)
    assert (result.code, result.out) == (1, "")
    assert result.err_lines == [f"pylee-tui: {refusal(MAL, '1 of them')}"]
    # acme's admin still reads her secret with the passphrase she knows
    revealed = cli("secret", "get", "TOKEN", "--org", "acme", "--reveal")
    assert (revealed.code, revealed.out) == (0, "acme-token-1\n")
