"""Fixtures every layer's tests share: a store on a temporary file, services over it with a
movable clock, and the in-process CLI (service and app tests use it too, to set up or to check).
No test ever reads or writes the real data directory."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from pylee_tui import crypto
from pylee_tui.services import Services
from pylee_tui.store import Store
from tests.support import ANN, CHEAP_KDF, HOMES, CliRunner, Clock, isolate


@pytest.fixture(autouse=True)
def isolated_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """Point every default location into tmp_path and forget any identity, passphrase and team
    server (and its saved login) from the real shell. The runtime directory, where an unlock
    agent's socket lives, is a short private one of its own (a socket's path may not pass 107
    bytes): a developer's own agent is never asked."""
    runtime = tempfile.mkdtemp(prefix="pyl-rt-")  # made 0700
    isolate(monkeypatch, tmp_path, runtime)
    yield tmp_path / HOMES["XDG_DATA_HOME"]
    shutil.rmtree(runtime, ignore_errors=True)


@pytest.fixture(autouse=True)
def cheap_kdf(monkeypatch: pytest.MonkeyPatch) -> None:
    """Argon2id at 64 MiB costs ~0.1 s per derivation; tests derive keys hundreds of times.
    The parameters are stored with each vault, so this only changes how new vaults are made
    (test_crypto checks the real defaults separately)."""
    monkeypatch.setattr(crypto, "DEFAULT_KDF", CHEAP_KDF)


@pytest.fixture
def ann() -> str:
    return ANN


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "pylee.db"


@pytest.fixture
def store(db_path: Path) -> Iterator[Store]:
    opened = Store(db_path)
    yield opened
    opened.close()


@pytest.fixture
def services(store: Store, clock: Clock) -> Services:
    return Services(store, clock=clock)


@pytest.fixture
def cli(tmp_path: Path) -> CliRunner:
    return CliRunner(tmp_path / "cli" / "pylee.db")
