"""The unlock agent holds a member's team key: after `agent start` against a team server, a
reader's commands with no PYLEE_PASSPHRASE and no terminal open secrets; after `agent lock` they
are refused in one line again. The agent tests' own fixture runs each agent (tests/agent)."""

from __future__ import annotations

from pathlib import Path

import pytest

from pylee_tui.team import login
from tests.agent.conftest import runtime  # noqa: F401  (the agent's private runtime dir)
from tests.support import ANN, CliRunner
from tests.team.conftest import TeamServer
from tests.team.test_team_vault_cli import ORG, Shell, ok, one_line

VALUE = "sk-team-agent-value-9f2e"


@pytest.fixture
def shell(
    cli: CliRunner,
    team: TeamServer,
    monkeypatch: pytest.MonkeyPatch,
    runtime: Path,  # noqa: F811
) -> Shell:
    return Shell(cli, team, monkeypatch)


def test_the_agent_opens_team_secrets_until_locked(shell: Shell, team: TeamServer) -> None:
    assert ok(shell("org", "create", "Acme", "--slug", "acme")) is not None
    ok(shell("secret", "set", "API_KEY", "--value", VALUE, *ORG, passphrase=True))
    reveal = ("secret", "get", "API_KEY", "--reveal", *ORG)
    assert "PYLEE_PASSPHRASE" in one_line(shell(*reveal))  # locked, no terminal

    started = ok(shell("agent", "start", passphrase=True))
    assert "team key" in started
    status = ok(shell("agent", "status"))
    assert f"team key of {ANN} on {team.url}" in status and "unlocked" in status
    assert ok(shell(*reveal)) == f"{VALUE}\n"  # no passphrase, no terminal: the agent's key

    again = ok(shell("agent", "start"))  # holds it already: no passphrase asked
    assert "already running" in again

    ok(shell("agent", "lock"))
    assert "PYLEE_PASSPHRASE" in one_line(shell(*reveal))


def test_a_wrong_passphrase_gives_the_agent_nothing(shell: Shell) -> None:
    shell.join(ANN)
    login.save(shell.logins[ANN])
    shell.monkeypatch.setenv("PYLEE_PASSPHRASE", "not the passphrase")
    assert "wrong passphrase" in one_line(shell.cli("agent", "start", db=False, user=None))
    assert "No agent running" in ok(shell("agent", "status"))


def test_one_agent_holds_a_local_vault_key_and_the_team_key(shell: Shell, team: TeamServer) -> None:
    local = shell.cli
    shell.monkeypatch.setenv("PYLEE_PASSPHRASE", "the local vault's passphrase")
    assert local("org", "create", "Home", "--slug", "home").code == 0
    assert local("secret", "set", "HOME_KEY", "--org", "home", "--value", "local-v").code == 0
    assert local("agent", "start").code == 0
    ok(shell("org", "create", "Acme", "--slug", "acme"))
    ok(shell("secret", "set", "API_KEY", "--value", VALUE, *ORG, passphrase=True))
    assert "Gave the running agent" in ok(shell("agent", "start", passphrase=True))
    assert "the keys of 2 stores" in ok(shell("agent", "status"))
    assert ok(shell("secret", "get", "API_KEY", "--reveal", *ORG)) == f"{VALUE}\n"
    home = local("secret", "get", "HOME_KEY", "--org", "home", "--reveal")
    assert (home.code, home.out) == (0, "local-v\n")
