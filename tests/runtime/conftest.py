"""A store with one org, one registry and the fixture servers, and `pylee-tui run` started in
a child process exactly as an MCP client starts it: no terminal, stdin and stdout the wire."""

from __future__ import annotations

import hashlib
import os
import sys
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from pylee_tui.services import Scope, Services
from tests.fixtures.mcp_servers import fake_uvx, path_with, server_json
from tests.support import ANN

PASSPHRASE = "correct horse battery staple"
SECRET = "sk-live-RUNSECRET-4242"  # the registry's API_KEY
SERVER_SECRET = "srv-ONLY-SECRET-9001"  # a secret at the server's scope, not declared
UNDECLARED_SECRET = "org-UNDECLARED-7777"  # an org secret the server does not declare
ENDPOINT = "https://eu.example/api"  # what ENDPOINT's reference expands to
TIMEOUT = 30

REPORTER = server_json(
    "pylee-fixture-reporter",
    env=[
        {"name": "API_KEY", "isRequired": True, "isSecret": True},
        {"name": "ENDPOINT", "isRequired": True},
        {"name": "REGION"},
    ],
)
REPORTER_NAME = REPORTER["name"]
# the names the server is given beyond the environment `run` itself runs with
DELIVERED = {"API_KEY", "ENDPOINT", "REGION", "SERVER_FLAG", "SERVER_SECRET"}


def sha256(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


@dataclass
class World:
    """Where the store is, and the environment `run` is started with."""

    db: Path
    env: dict[str, str]
    secrets: list[str] = field(default_factory=list)

    def argv(self, server: str, *extra: str) -> list[str]:
        """`pylee-tui run`'s arguments after the interpreter."""
        tail = ["--", *extra] if extra else []
        return [
            "-m",
            "pylee_tui",
            "--db",
            str(self.db),
            "--as",
            ANN,
            "run",
            "--org",
            "acme",
            "--registry",
            "tools",
            server,
            *tail,
        ]

    def command(self, server: str, *extra: str) -> list[str]:
        return [sys.executable, *self.argv(server, *extra)]

    def services(self) -> Services:
        """Services on the store, its vault unlocked (close `.store` when done)."""
        from pylee_tui.store import Store

        services = Services(Store(self.db))
        services.vault.unlock(PASSPHRASE)
        return services


@pytest.fixture
def world(tmp_path: Path, services: Services, db_path: Path) -> World:
    s = services
    s.orgs.create(ANN, "Acme")
    s.registries.create(ANN, "acme", "Tools")
    s.registries.add_server(ANN, Scope("acme", "tools"), REPORTER)
    s.vault.initialize(ANN, PASSPHRASE)
    v = s.variables
    v.set_key(ANN, Scope("acme"), "REGION", "eu")
    v.set_key(ANN, Scope("acme"), "UNDECLARED", UNDECLARED_SECRET, kind="secret")
    v.set_key(ANN, Scope("acme", "tools"), "API_KEY", SECRET, kind="secret")
    server = Scope("acme", "tools", REPORTER_NAME)
    v.set_key(ANN, server, "ENDPOINT", "https://${REGION}.example/api")
    v.set_key(ANN, server, "SERVER_FLAG", "on")
    v.set_key(ANN, server, "SERVER_SECRET", SERVER_SECRET, kind="secret")
    bin_dir = tmp_path / "bin"
    fake_uvx(bin_dir)
    runtime = tmp_path / "runtime"
    runtime.mkdir(mode=0o700)
    env = {
        "PATH": path_with(bin_dir),
        "HOME": str(tmp_path / "home"),
        "XDG_DATA_HOME": str(tmp_path / "xdg-data"),
        "XDG_CACHE_HOME": str(tmp_path / "xdg-cache"),
        "XDG_CONFIG_HOME": str(tmp_path / "xdg-config"),
        "XDG_RUNTIME_DIR": str(runtime),  # no agent there: the passphrase comes from env
        "PYLEE_PASSPHRASE": PASSPHRASE,
    }
    if "SYSTEMROOT" in os.environ:  # pragma: no cover - Windows
        env["SYSTEMROOT"] = os.environ["SYSTEMROOT"]
    return World(db_path, env, [SECRET, SERVER_SECRET, UNDECLARED_SECRET, PASSPHRASE])
