"""Shared fixtures: a store on a temporary file, services over it with a movable clock, and a
helper that runs the CLI in-process. No test ever reads or writes the real ~/.local/share."""

from __future__ import annotations

import io
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from textual.widgets import Input, TextArea

from pylee_tui import crypto
from pylee_tui.cli import main
from pylee_tui.services import Services
from pylee_tui.store import Store

ANN = "ann@example.com"
BOB = "bob@example.com"
CARL = "carl@example.com"

START = datetime(2025, 5, 16, 9, 30, tzinfo=UTC)


@pytest.fixture(autouse=True)
def isolated_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Point every default location into tmp_path and forget any identity from the real shell."""
    for name in ("PYLEE_DB", "PYLEE_USER", "PYLEE_DEBUG"):
        monkeypatch.delenv(name, raising=False)
    xdg = tmp_path / "xdg-data"
    monkeypatch.setenv("XDG_DATA_HOME", str(xdg))
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    return xdg


@pytest.fixture(autouse=True)
def cheap_kdf(monkeypatch: pytest.MonkeyPatch) -> None:
    """Argon2id at 64 MiB costs ~0.1 s per derivation; tests derive keys hundreds of times.
    The parameters are stored with each vault, so this only changes how new vaults are made
    (test_crypto checks the real defaults separately)."""
    monkeypatch.setattr(crypto, "DEFAULT_KDF", {"iterations": 1, "lanes": 1, "memory_kib": 8})


@pytest.fixture(autouse=True)
def no_cursor_blink(monkeypatch: pytest.MonkeyPatch) -> None:
    """Text cursors never blink in tests: a blink is a timer that repaints twice a second, so a
    snapshot (or a wait for the screen to settle) would depend on its phase."""
    for widget in (Input, TextArea):

        def created_still(self, *args, _create=widget.__init__, **kwargs) -> None:
            _create(self, *args, **kwargs)
            self.cursor_blink = False

        monkeypatch.setattr(widget, "__init__", created_still)


@pytest.fixture
def ann() -> str:
    return ANN


class Clock:
    """A clock the test moves by hand; Services calls it for every timestamp."""

    def __init__(self, start: datetime = START):
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> datetime:
        self.now += timedelta(**delta)
        return self.now


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


@pytest.fixture
def cli(tmp_path: Path) -> CliRunner:
    return CliRunner(tmp_path / "cli" / "pylee.db")


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


async def settle(pilot, rounds: int = 4) -> None:
    """Let thread workers finish and their results land on the UI, a few times over."""
    for _ in range(rounds):
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()


async def wait_until(pilot, condition, what: str, rounds: int = 100) -> None:
    """Wait for `condition` (a debounce, a timer, a thread), a frame and the workers at a time,
    within a deadline of about `rounds` x 50 ms."""
    for _ in range(rounds):
        if condition():
            return
        await pilot.pause(0.05)
        await pilot.app.workers.wait_for_complete()
    raise AssertionError(f"never: {what}")


async def type_text(pilot, text: str) -> None:
    """Type like a person: one key press per character."""
    for ch in text:
        await pilot.press(ch if ch != " " else "space")
    await pilot.pause()


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
