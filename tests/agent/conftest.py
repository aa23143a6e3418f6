"""The agent's tests: each runs its own agents, with a private XDG_RUNTIME_DIR of its own (short:
a Unix socket's path holds at most 107 bytes, more than pytest's tmp_path leaves), no passphrase
in the environment and a stdin that is not a terminal. Every agent a test started is stopped."""

from __future__ import annotations

import contextlib
import io
import os
import shutil
import signal
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from pylee_tui.agent import client
from tests.support import CliRunner

PASS = "correct horse battery"
SECRET = "s3cr3t-agent-test-value"


@pytest.fixture
def runtime(monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    path = Path(tempfile.mkdtemp(prefix="pa-"))  # created 0700
    monkeypatch.setenv("XDG_RUNTIME_DIR", str(path))
    monkeypatch.delenv("PYLEE_PASSPHRASE", raising=False)
    monkeypatch.delenv("PYLEE_NEW_PASSPHRASE", raising=False)
    monkeypatch.setattr("sys.stdin", io.StringIO(""))
    yield path
    for private in (path, path / "pylee-tui"):  # as it was, should a test have failed midway
        if private.is_dir():
            private.chmod(0o700)
    found = client.status()
    client.send("stop")
    if found is not None:
        with contextlib.suppress(ProcessLookupError):
            os.kill(int(found["pid"]), signal.SIGTERM)
    shutil.rmtree(path, ignore_errors=True)


@pytest.fixture
def vault_cli(cli: CliRunner, runtime: Path, monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    """A store with an org `acme` and one secret, TOKEN = SECRET; the passphrase is unset again."""
    assert cli("org", "create", "Acme", "--slug", "acme").code == 0
    monkeypatch.setenv("PYLEE_PASSPHRASE", PASS)
    assert cli("secret", "set", "TOKEN", "--org", "acme", "--value", SECRET).code == 0
    monkeypatch.delenv("PYLEE_PASSPHRASE")
    return cli


def start(cli: CliRunner, monkeypatch: pytest.MonkeyPatch, *options: str, passphrase=PASS):
    monkeypatch.setenv("PYLEE_PASSPHRASE", passphrase)
    try:
        return cli("agent", "start", *options)
    finally:
        monkeypatch.delenv("PYLEE_PASSPHRASE")


def wait_until(check, deadline: float = 10.0, what: str = "the condition"):
    """Poll `check` until it returns something true, failing after `deadline` seconds."""
    end = time.monotonic() + deadline
    while time.monotonic() < end:
        found = check()
        if found:
            return found
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


def alive(pid: int) -> bool:
    """Running: /proc has it and it is not a zombie waiting to be reaped."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] not in ("Z", "X")
