"""`serve init` and `token list|revoke`: the first server admin's code, and API tokens from the
shell (on the local store)."""

from __future__ import annotations

import re

import pytest

from pylee_tui.services import Services, Unauthenticated
from pylee_tui.services.tokens import IssuedToken
from pylee_tui.team.sealing import new_key_pair
from tests.cli.expect import as_json, ok, one_error_line, rows
from tests.support import ANN, BOB, CliRunner, with_services

CODE = re.compile(r"[A-Z2-7]{5}(?:-[A-Z2-7]{5}){3}")
KEY = new_key_pair().public  # a real X25519 key: enrolment refuses a low-order point


def serve_init(cli: CliRunner, email: str = ANN) -> str:
    out = ok(cli("serve", "init", "--email", email, user=None))
    return CODE.findall(out)[0]


def enrol(cli: CliRunner, code: str, label: str = "") -> IssuedToken:
    issued: list[IssuedToken] = []
    with_services(cli.db, lambda s: issued.append(s.tokens.enrol(code, KEY, label)))
    return issued[0]


def authenticates(cli: CliRunner, token: str) -> bool:
    alive: list[bool] = []

    def check(services: Services) -> None:
        try:
            services.tokens.authenticate(token)
            alive.append(True)
        except Unauthenticated:
            alive.append(False)

    with_services(cli.db, check)
    return alive[0]


def test_serve_init_prints_the_code_and_the_join_line(cli: CliRunner) -> None:
    out = ok(cli("serve", "init", "--email", "Ann@Example.com", user=None))
    code = CODE.findall(out)[0]
    assert "ann@example.com is this server's first admin" in out
    assert f"pylee-tui join <server-url> {code}\n" in out
    assert enrol(cli, code).email == ANN  # the printed code is the real one


def test_serve_init_twice_is_one_line_and_changes_nothing(cli: CliRunner) -> None:
    serve_init(cli)
    before = rows(cli.db)
    result = cli("serve", "init", "--email", BOB, user=None)
    assert result.code == 1
    assert one_error_line(result) == "pylee-tui: this server is already initialised"
    assert result.out == ""
    assert rows(cli.db) == before


def test_token_list_shows_tokens_and_never_their_text(cli: CliRunner) -> None:
    issued = enrol(cli, serve_init(cli), "ann's laptop")
    out = ok(cli("token", "list"))
    assert issued.token not in out
    header, line = out.splitlines()
    assert header.split() == ["ID", "EMAIL", "LABEL", "CREATED", "EXPIRES", "LAST_USED", "STATE"]
    assert line.split()[:2] == [str(issued.token_id), ANN]
    assert "ann's laptop" in line and line.endswith("alive")
    [entry] = as_json(cli("token", "list", "--json"))
    assert entry["id"] == issued.token_id
    assert (entry["email"], entry["label"], entry["alive"]) == (ANN, "ann's laptop", True)
    assert entry["expires_at"] == issued.expires_at
    assert issued.token not in str(entry)
    assert "hash" not in " ".join(entry)


def test_token_list_all_is_for_a_server_admin(cli: CliRunner) -> None:
    enrol(cli, serve_init(cli))
    ok(cli("org", "create", "Acme"))
    codes: list[str] = []

    def invite(services: Services) -> None:
        services.members.invite(ANN, "acme", BOB)
        with services.store.transaction() as db:
            codes.append(services.tokens.issue_code(db, BOB, by=ANN))

    with_services(cli.db, invite)
    enrol(cli, codes[0])
    assert [e["email"] for e in as_json(cli("token", "list", "--all", "--json"))] == [BOB, ANN]
    assert [e["email"] for e in as_json(cli("token", "list", "--json", user=BOB))] == [BOB]
    refused = cli("token", "list", "--all", user=BOB)
    assert refused.code == 1
    assert "only a server admin" in one_error_line(refused)


def test_token_revoke_ends_the_login(cli: CliRunner) -> None:
    issued = enrol(cli, serve_init(cli), "laptop")
    out = ok(cli("token", "revoke", str(issued.token_id)))
    assert (
        out
        == f"Revoked token #{issued.token_id} (laptop) of {ANN}: it no longer logs in anywhere.\n"
    )
    assert not authenticates(cli, issued.token)
    assert as_json(cli("token", "list", "--json"))[0]["state"] == "revoked"
    again = cli("token", "revoke", str(issued.token_id))
    assert again.code == 1
    assert "already revoked" in one_error_line(again)


@pytest.mark.parametrize("user", [BOB, ANN])
def test_token_revoke_of_a_token_not_yours_is_not_found(cli: CliRunner, user: str) -> None:
    issued = enrol(cli, serve_init(cli))
    # bob may not revoke ann's token; ann (a server admin) may revoke any, but not one that is not
    missing = issued.token_id + 1 if user == ANN else issued.token_id
    result = cli("token", "revoke", str(missing), user=user)
    assert result.code == 1
    assert one_error_line(result) == f"pylee-tui: you have no token #{missing}"
    assert authenticates(cli, issued.token)
