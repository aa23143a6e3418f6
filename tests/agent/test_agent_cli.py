"""`pylee-tui agent …` as a user meets it: start once, then commands with no passphrase and no
terminal read secrets; lock, stop, the idle lock, a wrong passphrase, another store."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from pylee_tui.agent import client
from pylee_tui.cli.agent import duration
from tests.cli.expect import one_error_line, rows
from tests.support import ANN, CliRunner

from .conftest import PASS, SECRET, alive, start, wait_until

REVEAL = ("secret", "get", "TOKEN", "--org", "acme", "--reveal")
HINT = "the vault is locked: start the agent (`pylee-tui agent start`) or set PYLEE_PASSPHRASE"


def socket_of(runtime: Path) -> Path:
    return runtime / "pylee-tui" / "agent.sock"


def status_json(cli: CliRunner) -> dict:
    result = cli("agent", "status", "--json")
    assert result.code == 0, result.err
    return json.loads(result.out)


def test_start_then_commands_need_no_passphrase_until_lock_and_stop(
    vault_cli: CliRunner, runtime: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert vault_cli(*REVEAL).err.strip() == f"pylee-tui: {HINT}"  # before: the hint

    started = start(vault_cli, monkeypatch)
    assert started.code == 0, started.err
    assert str(socket_of(runtime)) in started.out
    status = vault_cli("agent", "status")
    assert status.code == 0 and "unlocked" in status.out
    assert str(vault_cli.db.resolve()) in status.out

    assert "PYLEE_PASSPHRASE" not in os.environ
    reveal = vault_cli(*REVEAL)
    assert (reveal.code, reveal.out, reveal.err) == (0, f"{SECRET}\n", "")

    # a second start: said so, and nothing asked
    again = vault_cli("agent", "start")
    assert again.code == 0 and "already running" in again.out

    locked = vault_cli("agent", "lock")
    assert locked.code == 0, locked.err
    assert status_json(vault_cli)["locked"] is True
    refused = vault_cli(*REVEAL)
    assert refused.code == 1 and refused.out == ""
    assert refused.err_lines == [f"pylee-tui: {HINT}"]

    # start again gives the running, locked agent the key back
    assert start(vault_cli, monkeypatch).code == 0
    assert vault_cli(*REVEAL).out == f"{SECRET}\n"

    pid = status_json(vault_cli)["pid"]
    stopped = vault_cli("agent", "stop")
    assert stopped.code == 0, stopped.err
    wait_until(lambda: not alive(pid), what="the agent to exit")
    assert not socket_of(runtime).exists()
    assert vault_cli("agent", "status").out.startswith("No agent running")
    assert status_json(vault_cli)["running"] is False


def test_lock_and_stop_without_an_agent_are_one_line_errors(cli: CliRunner, runtime: Path) -> None:
    for op in ("lock", "stop"):
        result = cli("agent", op)
        assert result.code == 1
        assert result.err_lines == [f"pylee-tui: no agent running (socket: {socket_of(runtime)})"]
    assert cli("agent", "status").code == 0


def test_the_agent_locks_itself_when_idle(
    vault_cli: CliRunner, runtime: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert start(vault_cli, monkeypatch, "--idle-timeout", "1s").code == 0
    assert status_json(vault_cli)["locked"] is False
    # status is not use: polling it does not keep the key alive
    wait_until(lambda: status_json(vault_cli)["locked"], what="the idle lock")
    assert vault_cli(*REVEAL).err_lines == [f"pylee-tui: {HINT}"]
    assert status_json(vault_cli)["running"] is True  # locked, still there


def test_a_wrong_passphrase_is_one_line_and_starts_nothing(
    vault_cli: CliRunner, runtime: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    result = start(vault_cli, monkeypatch, passphrase="not the passphrase")
    assert result.code == 1 and result.out == ""
    assert result.err_lines == ["pylee-tui: wrong vault passphrase; nothing was changed"]
    assert client.status() is None
    assert not socket_of(runtime).exists()


def test_no_terminal_and_no_passphrase_starts_nothing(vault_cli: CliRunner, runtime: Path) -> None:
    result = vault_cli("agent", "start")
    assert result.code == 1
    assert len(result.err_lines) == 1 and "PYLEE_PASSPHRASE" in result.err
    assert client.status() is None


def test_another_store_is_not_unlocked_by_this_ones_key(
    vault_cli: CliRunner, runtime: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert start(vault_cli, monkeypatch).code == 0
    other = CliRunner(tmp_path / "other" / "pylee.db")
    assert other("org", "create", "Acme", "--slug", "acme").code == 0
    monkeypatch.setenv("PYLEE_PASSPHRASE", PASS)  # the same passphrase, another vault
    assert other("secret", "set", "TOKEN", "--org", "acme", "--value", "other").code == 0
    monkeypatch.delenv("PYLEE_PASSPHRASE")
    assert other(*REVEAL).err_lines == [f"pylee-tui: {HINT}"]
    assert vault_cli(*REVEAL).out == f"{SECRET}\n"


def test_a_new_passphrase_makes_the_agents_key_stale(
    vault_cli: CliRunner, runtime: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert start(vault_cli, monkeypatch).code == 0
    monkeypatch.setenv("PYLEE_PASSPHRASE", PASS)
    monkeypatch.setenv("PYLEE_NEW_PASSPHRASE", "a new passphrase")
    assert vault_cli("vault", "passwd").code == 0
    monkeypatch.delenv("PYLEE_PASSPHRASE")
    monkeypatch.delenv("PYLEE_NEW_PASSPHRASE")
    assert vault_cli(*REVEAL).err_lines == [f"pylee-tui: {HINT}"]


def test_without_a_vault_there_is_nothing_to_hold(cli: CliRunner, runtime: Path) -> None:
    assert cli("org", "create", "Acme", "--slug", "acme").code == 0
    result = cli("agent", "start")
    assert result.code == 1 and len(result.err_lines) == 1
    assert "no passphrase yet" in result.err


@pytest.mark.parametrize(
    ("text", "seconds"), [("90s", 90), ("30m", 1800), ("8h", 28800), ("1h30m", 5400), ("45", 45)]
)
def test_durations(text: str, seconds: int) -> None:
    assert duration(text) == seconds


def case(command, argv, code, says=""):
    return (command, argv, ANN, code, says)


# every agent command's bad input (tests/cli/test_cli.py checks every command has a row)
BAD_INPUT = [
    *(
        case("agent start", ("agent", "start", "--idle-timeout", text), 2, "--idle-timeout")
        for text in ("", "0", "1x", "h", "-5m", "1.5h", "400d")
    ),
    case("agent start", ("agent", "start", "extra"), 2),
    case("agent start", ("agent", "start"), 1, "set PYLEE_PASSPHRASE"),
    case("agent status", ("agent", "status", "--bogus"), 2),
    case("agent lock", ("agent", "lock"), 1, "no agent running"),
    case("agent lock", ("agent", "lock", "extra"), 2),
    case("agent stop", ("agent", "stop"), 1, "no agent running"),
    case("agent stop", ("agent", "stop", "--json"), 2),
]


@pytest.mark.parametrize(("command", "argv", "user", "code", "says"), BAD_INPUT)
def test_bad_input_is_one_line_and_changes_nothing(
    vault_cli: CliRunner, runtime: Path, command, argv, user, code, says
) -> None:
    before = rows(vault_cli.db)
    result = vault_cli(*argv, user=user)
    assert result.code == code
    assert says in one_error_line(result)
    assert result.out == ""
    assert rows(vault_cli.db) == before
    assert client.status() is None
