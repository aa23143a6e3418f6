"""What tests of every layer share: the people, a movable clock, a minimal server.json, the
in-process CLI runner, and 'nothing changed' snapshots of a store's tables."""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from pylee_tui.cli import main
from pylee_tui.services import Services
from pylee_tui.store import Store

ANN = "ann@example.com"
BOB = "bob@example.com"
CARL = "carl@example.com"

START = datetime(2025, 5, 16, 9, 30, tzinfo=UTC)


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
