"""What tests of every layer share: the people, a movable clock, a minimal server.json, the
in-process CLI runner, and 'nothing changed' snapshots of a store's tables."""

from __future__ import annotations

import io
import os
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from pylee_tui import crypto
from pylee_tui.cli import main
from pylee_tui.services import Services
from pylee_tui.store import Store

ANN = "ann@example.com"
BOB = "bob@example.com"
CARL = "carl@example.com"

START = datetime(2025, 5, 16, 9, 30, tzinfo=UTC)

# Argon2id at 64 MiB costs ~0.1 s a derivation; tests make vaults hundreds of times (the
# parameters are stored with each vault: only new vaults are made this way)
CHEAP_KDF = {"iterations": 1, "lanes": 1, "memory_kib": 8}
# what a developer's shell may say that no test may hear: identity, passphrases, a team server
SHELL_SETTINGS = (
    "PYLEE_DB",
    "PYLEE_USER",
    "PYLEE_DEBUG",
    "PYLEE_PASSPHRASE",
    "PYLEE_NEW_PASSPHRASE",
    "PYLEE_SERVER",
)
# each default location a test points into a folder of its own, by that folder's name
HOMES = {
    "XDG_DATA_HOME": "xdg-data",
    "XDG_CACHE_HOME": "xdg-cache",
    # where the saved team login lives (team/login.py): never the developer's own
    "XDG_CONFIG_HOME": "xdg-config",
    "HOME": "home",
}


def isolate(patch: pytest.MonkeyPatch, root: Path, runtime: str) -> None:
    """Point every default location into `root` (the unlock agent's socket into `runtime`) and
    forget any identity, passphrase and team server from the real shell; a saved login's token
    stays in its file: the developer's own OS keyring is never used."""
    for name in SHELL_SETTINGS:
        patch.delenv(name, raising=False)
    for name, folder in HOMES.items():
        patch.setenv(name, str(root / folder))
    patch.setenv("PYLEE_KEYRING", "off")
    patch.setenv("PYTHON_KEYRING_BACKEND", "keyring.backends.null.Keyring")
    patch.setenv("XDG_RUNTIME_DIR", runtime)


class Clock:
    """A clock the test moves by hand; Services calls it for every timestamp."""

    def __init__(self, start: datetime = START):
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> datetime:
        self.now += timedelta(**delta)
        return self.now


@dataclass
class CliResult:
    code: int
    out: str
    err: str

    def __iter__(self):
        return iter((self.code, self.out, self.err))

    @property
    def err_lines(self) -> list[str]:
        return self.err.splitlines()


class CliRunner:
    """`cli("org", "list")` runs `main(["--db", <tmp db>, "--as", ann, "org", "list"])`.

    `user=None` leaves out --as; `db=None` leaves out --db. Returns (code, stdout, stderr).
    """

    def __init__(self, db: Path):
        self.db = db

    def __call__(
        self, *argv: str, user: str | None = ANN, db: Path | str | None | bool = True
    ) -> CliResult:
        prefix: list[str] = []
        if db is True:
            prefix += ["--db", str(self.db)]
        elif db:
            prefix += ["--db", str(db)]
        if user is not None:
            prefix += ["--as", user]
        out, err = io.StringIO(), io.StringIO()
        code = main([*prefix, *argv], out=out, err=err)
        return CliResult(code, out.getvalue(), err.getvalue())


def table_rows(store: Store) -> dict[str, list[tuple]]:
    """Every row of every table, for 'nothing changed' assertions."""
    conn = store.db.conn
    names = [
        r[0]
        for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
    ]
    return {n: sorted(map(tuple, conn.execute(f'SELECT * FROM "{n}"'))) for n in names}


def server_doc(name: str, version: str = "1.0.0", description: str = "An MCP server") -> dict:
    """A minimal valid current-shape server.json document (one npm package over stdio)."""
    return {
        "name": name,
        "description": description,
        "version": version,
        "packages": [
            {
                "registryType": "npm",
                "identifier": "@" + name.split("/")[-1] + "/mcp",
                "version": version,
                "transport": {"type": "stdio"},
            }
        ],
    }


def with_services(path: Path, fn) -> None:
    """Run `fn(services)` on its own connection to the database at `path`, then close it."""
    store = Store(path)
    try:
        fn(Services(store))
    finally:
        store.close()


# three valid servers the service and CLI tests share
WEATHER = server_doc("io.github.acme/weather", "1.0.0", "Weather")
SEARCH = server_doc("io.github.acme/search", "0.2.0", "Search")
WAREHOUSE = server_doc("io.github.acme/warehouse", "3.1.0", "SQL")


# --- a store built once per module, copied per test --------------------------------------------


def cli_template(
    factory: pytest.TempPathFactory, build: Callable[[CliRunner, pytest.MonkeyPatch], None]
) -> Path:
    """A store built once (for a module) through the CLI by `build`, for `copy_template`. The
    autouse fixtures of tests/conftest.py are function-scoped, so the build isolates itself as
    they do, in a directory of its own (the cheap KDF included)."""
    directory = factory.mktemp("template")
    cli = CliRunner(directory / "cli" / "pylee.db")
    runtime = tempfile.mkdtemp(prefix="pyl-rt-")
    try:
        with pytest.MonkeyPatch.context() as patch:
            isolate(patch, directory, runtime)
            patch.setattr(crypto, "DEFAULT_KDF", CHEAP_KDF)
            build(cli, patch)
    finally:
        shutil.rmtree(runtime, ignore_errors=True)
    # every CLI call closed its store, so the WAL is checkpointed into the main file
    for suffix in ("-wal", "-shm", "-journal"):
        assert not Path(f"{cli.db}{suffix}").exists()
    return cli.db


def copy_template(template: Path, cli: CliRunner) -> CliRunner:
    """`cli` on a fresh copy of the store `cli_template` built, with what building it left in
    its default locations (e.g. a schema cache) in the test's own, as building it there would
    have (the runtime folder, an agent's sockets, is never copied)."""
    cli.db.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(template, cli.db)
    built = template.parents[1]
    for name, folder in HOMES.items():
        if (built / folder).is_dir():
            shutil.copytree(built / folder, os.environ[name], dirs_exist_ok=True)
    return cli
