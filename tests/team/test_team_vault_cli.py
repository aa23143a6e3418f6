"""The end-to-end vault from the shell, as the issue's "done when" tries it: a server, an admin
who invites a second admin and a member with secrets:write, the member sets a secret they
cannot reveal, the second admin reveals it, the first removes the second (the key rotates and
every secret is re-sealed) and the removed person's login is refused; `vault status`, `share`
and `rotate --org` say what they did; the server's files never hold the value."""

from __future__ import annotations

import json

import pytest

from tests.support import ANN, BOB, CARL, CliRunner
from tests.team.conftest import TeamServer
from tests.team.shell import TeamShell, ok, on_disk, one_line

VALUE = "sk-live-5c1f-never-on-the-server"
ORG = ("--org", "acme")


Shell = TeamShell


@pytest.fixture
def shell(cli: CliRunner, team: TeamServer, monkeypatch: pytest.MonkeyPatch) -> Shell:
    return Shell(cli, team, monkeypatch)


def test_done_when_from_the_shell(shell: Shell, team: TeamServer) -> None:
    ok(shell("org", "create", "Acme"))
    ok(shell("member", "invite", BOB, *ORG))
    ok(shell("member", "invite", CARL, *ORG, "--role", "admin"))
    ok(shell("member", "accept", *ORG, person=BOB))
    ok(shell("member", "accept", *ORG, person=CARL))
    ok(shell("member", "grant", BOB, "secrets:write", *ORG))
    # the org's key was made with the org (by ann's client); carl joined after it was
    status = ok(shell("vault", "status", *ORG))
    assert "secrets key generation 1" in status
    assert f"Not shared yet with {CARL}: pylee-tui vault share --org acme" in status

    # a writer seals at once, with no admin's help and no passphrase
    out = ok(shell("secret", "set", "API_KEY", *ORG, person=BOB, stdin=VALUE))
    assert out == "Set secret API_KEY at org acme.\n"
    refused = one_line(shell("secret", "get", "API_KEY", "--reveal", *ORG, person=BOB))
    assert "cannot reveal secrets in 'acme'" in refused
    lacking = shell("secret", "get", "API_KEY", "--reveal", *ORG, person=CARL, passphrase=True)
    assert "no key was shared with you" in one_line(lacking)
    shared = ok(shell("vault", "share", *ORG, passphrase=True))
    assert f"Shared the secrets key of acme with {CARL}." in shared
    revealed = shell("secret", "get", "API_KEY", "--reveal", *ORG, person=CARL, passphrase=True)
    assert ok(revealed) == f"{VALUE}\n"
    wrong = shell("secret", "get", "API_KEY", "--reveal", *ORG, person=CARL)  # no passphrase
    assert "PYLEE_PASSPHRASE" in one_line(wrong)
    shell.monkeypatch.setenv("PYLEE_PASSPHRASE", "not the passphrase")
    wrong = shell.cli("secret", "get", "API_KEY", "--reveal", *ORG, db=False, user=None)
    assert "wrong passphrase for your team key" in one_line(wrong)

    removed = shell("member", "remove", CARL, *ORG, "--yes", passphrase=True)
    ok(removed)
    rotated = "rotated the secrets key of acme (generation 2): 2 sealed value(s) re-sealed"
    assert rotated in removed.err
    assert "Unauthenticated" not in removed.err
    gone = one_line(shell("org", "list", person=CARL))
    assert "the token is not valid" in gone

    status = json.loads(ok(shell("vault", "status", *ORG, "--json")))
    assert (status["generation"], status["stale"], status["sealed"]) == (2, [], 2)
    assert [(r["email"], r["has_key"]) for r in status["readers"]] == [(ANN, True)]
    assert ok(shell("secret", "get", "API_KEY", "--reveal", *ORG, passphrase=True)) == (
        f"{VALUE}\n"
    )
    assert VALUE.encode() not in on_disk(team)


def test_a_removal_without_the_passphrase_says_the_rotation_is_due(shell: Shell) -> None:
    ok(shell("org", "create", "Acme"))
    ok(shell("member", "invite", CARL, *ORG, "--role", "admin"))
    ok(shell("member", "accept", *ORG, person=CARL))
    ok(shell("vault", "share", *ORG, passphrase=True))  # carl joined after the key was made
    ok(shell("secret", "set", "API_KEY", *ORG, stdin=VALUE))
    removed = shell("member", "remove", CARL, *ORG, "--yes")
    assert ok(removed).startswith("Removed")
    assert (
        f"{CARL} still hold(s) the secrets key of acme: rotate it with "
        "`pylee-tui vault rotate --org acme`"
    ) in removed.err
    status = ok(shell("vault", "status", *ORG))
    assert f"Due a rotation: {CARL} hold(s) the key" in status
    rotated = ok(shell("vault", "rotate", *ORG, passphrase=True))
    assert rotated.startswith("Rotated the secrets key of acme: generation 2")
    assert f"{CARL} no longer hold(s) it" in rotated
    assert "Due a rotation" not in ok(shell("vault", "status", *ORG))


def test_sharing_with_a_new_admin(shell: Shell) -> None:
    ok(shell("org", "create", "Acme"))
    ok(shell("secret", "set", "API_KEY", *ORG, stdin=VALUE))
    ok(shell("member", "invite", BOB, *ORG))
    ok(shell("member", "accept", *ORG, person=BOB))
    promoted = shell("member", "role", BOB, "admin", *ORG)  # no passphrase: not shared yet
    ok(promoted)
    assert "share it with `pylee-tui vault share --org acme`" in promoted.err
    lacking = one_line(
        shell("secret", "get", "API_KEY", "--reveal", *ORG, person=BOB, passphrase=True)
    )
    assert "you may not read secrets in acme (no key was shared with you: ask an admin" in lacking
    assert f"Shared the secrets key of acme with {BOB}." in ok(
        shell("vault", "share", *ORG, passphrase=True)
    )
    assert ok(shell("secret", "get", "API_KEY", "--reveal", *ORG, person=BOB, passphrase=True)) == (
        f"{VALUE}\n"
    )
    assert "Nothing to share" in ok(shell("vault", "share", *ORG))


def test_the_team_vault_commands_against_a_local_store(cli: CliRunner) -> None:
    ok(cli("org", "create", "Acme"))
    for argv in (("vault", "share", *ORG), ("vault", "rotate", *ORG)):
        assert "an org's secrets key lives on a team server" in one_line(cli(*argv))
    assert "The vault has no passphrase yet" in ok(cli("vault", "status"))
