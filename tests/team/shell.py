"""The CLI against a team server from the shell, as its members use it: no --db, each person's
own saved login (their token and their key pair, the private key under their passphrase)."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from pylee_tui.team import login, sealing
from tests.support import ANN, CliResult, CliRunner
from tests.team.conftest import TeamServer


def passphrase_of(email: str) -> str:
    return f"the team key passphrase of {email}"


def saved_login(
    team: TeamServer, email: str, passphrase: str, label: str = "tests"
) -> login.SavedLogin:
    """The login `join` would save for `email` (enrolled by ANN) on `team`: a key pair of their
    own, the private key under `passphrase`. Not saved: the caller saves it when it acts."""
    keys = sealing.new_key_pair()
    with team.services.store.transaction() as db:
        code = team.services.tokens.issue_code(db, email, ANN)
    issued = team.services.tokens.enrol(code, keys.public, label)
    return login.SavedLogin(
        url=team.url,
        email=email,
        token=issued.token,
        token_id=issued.token_id,
        expires_at=issued.expires_at,
        public_key=keys.public,
        protected_private_key=sealing.protect(keys.private, passphrase),
    )


class TeamShell:
    """`shell(*argv, person=...)`: the CLI as `person` (joined on first use, enrolled by ANN),
    with their passphrase in PYLEE_PASSPHRASE when `passphrase` (none: no terminal to ask on)."""

    def __init__(self, cli: CliRunner, team: TeamServer, monkeypatch: pytest.MonkeyPatch):
        self.cli, self.team, self.monkeypatch = cli, team, monkeypatch
        self.logins: dict[str, login.SavedLogin] = {}

    def join(self, email: str, passphrase: str | None = None) -> login.SavedLogin:
        self.logins[email] = saved_login(self.team, email, passphrase or passphrase_of(email))
        return self.logins[email]

    def as_person(self, person: str, passphrase: bool) -> None:
        if person not in self.logins:
            self.join(person)
        login.save(self.logins[person])
        if passphrase:
            self.monkeypatch.setenv("PYLEE_PASSPHRASE", passphrase_of(person))
        else:
            self.monkeypatch.delenv("PYLEE_PASSPHRASE", raising=False)

    def __call__(
        self, *argv: str, person: str = ANN, stdin: str = "", passphrase: bool = False
    ) -> CliResult:
        self.as_person(person, passphrase)
        self.monkeypatch.setattr("sys.stdin", io.StringIO(stdin))
        return self.cli(*argv, db=False, user=None)


def ok(result: CliResult) -> str:
    assert result.code == 0, result.err
    return result.out


def one_line(result: CliResult) -> str:
    assert result.code == 1 and len(result.err.splitlines()) == 1, result
    return result.err


def on_disk(team: TeamServer) -> bytes:
    """The team server's database and WAL, as bytes (what its operator can read)."""
    path = Path(team.services.store.path)
    return b"".join(p.read_bytes() for p in (path, Path(f"{path}-wal")) if p.exists())
