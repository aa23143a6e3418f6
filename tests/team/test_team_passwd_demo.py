"""`vault passwd` and `demo` against a team server (issue 18): passwd changes the passphrase of
the member's team key in the saved login (nothing sent to the server), and demo loads the demo
orgs onto the server with their fake secrets sealed on this machine."""

from __future__ import annotations

import io
import os
import stat

import pytest

from pylee_tui.team import login, sealing
from tests.support import ANN, CliResult, CliRunner
from tests.team.conftest import TeamServer
from tests.team.shell import ok, on_disk, one_line

OLD = "the old team key passphrase"
NEW = "a brand new team key passphrase"
VALUE = "sk-live-passwd-never-on-the-server"
ORG = ("--org", "acme")


@pytest.fixture
def shell(cli: CliRunner, team: TeamServer, monkeypatch: pytest.MonkeyPatch) -> Shell:
    keys = sealing.new_key_pair()
    with team.services.store.transaction() as db:
        code = team.services.tokens.issue_code(db, ANN, ANN)
    issued = team.services.tokens.enrol(code, keys.public, "tests")
    login.save(
        login.SavedLogin(
            url=team.url,
            email=ANN,
            token=issued.token,
            token_id=issued.token_id,
            expires_at=issued.expires_at,
            public_key=keys.public,
            protected_private_key=sealing.protect(keys.private, OLD),
        )
    )
    return Shell(cli, monkeypatch)


class Shell:
    """The CLI with no --db, as ANN's saved login (the one file passwd rewrites)."""

    def __init__(self, cli: CliRunner, monkeypatch: pytest.MonkeyPatch):
        self.cli, self.monkeypatch = cli, monkeypatch

    def __call__(
        self, *argv: str, stdin: str = "", passphrase: str | None = None, new: str | None = None
    ) -> CliResult:
        self.monkeypatch.setattr("sys.stdin", io.StringIO(stdin))
        for env, value in (("PYLEE_PASSPHRASE", passphrase), ("PYLEE_NEW_PASSPHRASE", new)):
            if value is None:
                self.monkeypatch.delenv(env, raising=False)
            else:
                self.monkeypatch.setenv(env, value)
        return self.cli(*argv, db=False, user=None)


def test_passwd_changes_the_team_key_passphrase_in_the_login(
    shell: Shell, team: TeamServer
) -> None:
    ok(shell("org", "create", "Acme"))
    ok(shell("secret", "set", "API_KEY", *ORG, stdin=VALUE))
    server_before = on_disk(team)

    changed = ok(shell("vault", "passwd", passphrase=OLD, new=NEW))
    assert "team key" in changed and team.url in changed
    assert stat.S_IMODE(os.stat(login.login_path()).st_mode) == 0o600
    assert on_disk(team) == server_before  # nothing was sent: the key pair is the same

    reveal = ("secret", "get", "API_KEY", "--reveal", *ORG)
    assert ok(shell(*reveal, passphrase=NEW)) == f"{VALUE}\n"
    assert "wrong passphrase for your team key" in one_line(shell(*reveal, passphrase=OLD))


def test_a_wrong_old_passphrase_keeps_the_login(shell: Shell) -> None:
    before = login.login_path().read_bytes()
    refused = one_line(shell("vault", "passwd", passphrase="not it", new=NEW))
    assert "wrong passphrase for your team key" in refused
    assert login.login_path().read_bytes() == before
    same = one_line(shell("vault", "passwd", passphrase=OLD, new=OLD))
    assert "the same as the current one" in same
    assert login.login_path().read_bytes() == before


def test_demo_lands_on_the_server_sealed_and_a_reader_reveals_a_secret(
    shell: Shell, team: TeamServer
) -> None:
    from pylee_tui.services.demo import DEMO_SECRET

    wrong = one_line(shell("demo", passphrase="not it"))
    assert "wrong passphrase for your team key" in wrong
    assert team.services.orgs.list_orgs(ANN) == []
    loaded = ok(shell("demo", passphrase=OLD))
    assert loaded.startswith(f"Loaded the demo onto {team.url}: ")
    assert "fake secrets were sealed on this machine" in loaded
    slugs = sorted(o.slug for o in team.services.orgs.list_orgs(ANN))
    assert loaded.splitlines()[0].split(": ", 1)[1].startswith(", ".join(slugs) + ";")
    org = slugs[0]
    assert "EXA_API_KEY" in ok(shell("secret", "list", "--org", org))
    reveal = shell("secret", "get", "EXA_API_KEY", "--reveal", "--org", org, passphrase=OLD)
    assert ok(reveal) == f"{DEMO_SECRET}\n"
    assert DEMO_SECRET.encode() not in on_disk(team)

    again = one_line(shell("demo", passphrase=OLD))
    assert "the demo is already loaded" in again and "nothing was made" in again
