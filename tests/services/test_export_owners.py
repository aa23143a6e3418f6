"""Export ownership records in their own table: a store written before the table existed opens
with its records carried over (the file's owners, an unfinished export's intent, a bare list of
names), and an export then treats the file's entries as it did before."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import sqlite_utils

from pylee_tui import store as store_module
from pylee_tui.services import Services
from pylee_tui.services.export.owners import read_owners
from pylee_tui.store import Store
from tests.services import test_services_export
from tests.services.test_services_export import install

world = test_services_export.world  # the fixture: acme / tools, its servers and secrets

OWNER = {"org": "acme", "registry": "tools", "registry_id": 1}


def old_settings(db_path: Path, settings: dict[str, str]) -> None:
    """Make the store at `db_path` one the version before the table wrote: its schema and
    migrations without 0003, the records in settings as that version kept them."""
    conn = sqlite3.connect(db_path)
    with conn:
        conn.executescript(
            "DROP TABLE export_owners; DROP TABLE export_files; "
            "DELETE FROM _sqlite_migrations WHERE name = '0003_export_owners'; "
            "PRAGMA user_version = 2;"
        )
        conn.executemany("INSERT OR REPLACE INTO settings VALUES (?, ?)", settings.items())
    conn.close()


def new_old_store(db_path: Path, settings: dict[str, str]) -> None:
    """A store built by SQL as the version before the table wrote it."""
    conn = sqlite3.connect(db_path)
    db = sqlite_utils.Database(conn)
    store_module.migrations.apply(db, stop_before="0003_export_owners")
    with conn:
        conn.execute("PRAGMA user_version = 2")
        conn.executemany("INSERT INTO settings VALUES (?, ?)", settings.items())
    conn.close()


def test_a_store_from_before_the_table_opens_with_its_owners_carried_over(
    tmp_path: Path,
) -> None:
    db_path = tmp_path / "old.db"
    cursor, vscode, bare, killed = (tmp_path / n / "mcp.json" for n in ("c", "v", "b", "k"))
    for path in (cursor, vscode, bare, killed):
        path.parent.mkdir()
        path.write_text("{}", "utf-8")
    weather = {**OWNER, "server": "io.github.alice/weather"}
    other = {"org": "acme", "registry": "more", "registry_id": 2, "server": "io.x/y"}
    intent = {
        "file": [1, 2],  # not the file now there: the export was killed before its rename
        "before": {"servers": {"weather": weather}, "inputs": {}},
        "after": {"servers": {"weather": weather, "search": weather}, "inputs": {}},
    }
    new_old_store(
        db_path,
        {
            "theme": "textual-dark",
            f"export.owned.servers:{cursor}": json.dumps({"weather": weather, "y": other}),
            f"export.owned.servers:{vscode}": json.dumps({"weather": weather}),
            f"export.owned.inputs:{vscode}": json.dumps({"weather-api-key": OWNER}),
            f"export.owned.servers:{bare}": json.dumps(["old-entry", "search"]),
            f"export.owned.servers:{killed}": json.dumps({"stale": weather}),
            f"export.intent:{killed}": json.dumps(intent),
        },
    )
    store = Store(db_path)
    try:
        with store.reading() as db:
            assert read_owners(db, cursor) == {
                "servers": {"weather": weather, "y": other},
                "inputs": {},
            }
            assert read_owners(db, vscode) == {
                "servers": {"weather": weather},
                "inputs": {"weather-api-key": OWNER},
            }
            assert read_owners(db, bare)["servers"] == {"old-entry": None, "search": None}
            # the intent wins over the older record, as it did when read from settings
            assert read_owners(db, killed)["servers"] == {"weather": weather, "search": weather}
            left = [r["key"] for r in db.query("SELECT key FROM settings")]
        assert left == ["theme"]
    finally:
        store.close()


def test_ownership_recorded_as_a_list_of_names_counts_as_this_registrys(
    world: Services, db_path: Path, tmp_path: Path
) -> None:
    target = tmp_path / "mcp.json"
    target.write_text(
        json.dumps({"mcpServers": {"old-entry": {"command": "x"}, "search": {"command": "y"}}}),
        "utf-8",
    )
    old_settings(db_path, {f"export.owned.servers:{target}": json.dumps(["old-entry", "search"])})
    reopened = Services(Store(db_path), clock=world.clock)
    try:
        _p, result = install(reopened, target)
    finally:
        reopened.store.close()
    assert result.removed == ["old-entry"] and result.replaced == ["search"]
    doc = json.loads(target.read_text("utf-8"))["mcpServers"]
    assert "old-entry" not in doc and doc["search"]["command"] == "uvx"


def test_entries_an_older_version_exported_are_still_ours(
    world: Services, db_path: Path, tmp_path: Path
) -> None:
    """Exported, then pylee-tui upgraded: the next export replaces its entries (no -2 copies)
    and keeps the user's."""
    target = tmp_path / "mcp.json"
    target.write_text(json.dumps(test_services_export.FOREIGN), "utf-8")
    install(world, target)
    first = json.loads(target.read_text("utf-8"))
    with world.store.reading() as db:
        owned = read_owners(db, target)
    old_settings(
        db_path,
        {
            f"export.owned.servers:{target}": json.dumps(owned["servers"]),
            f"export.owned.inputs:{target}": json.dumps(owned["inputs"]),
        },
    )
    reopened = Services(Store(db_path), clock=world.clock)
    try:
        _p, again = install(reopened, target)
    finally:
        reopened.store.close()
    assert not again.written and again.added == [] and set(again.kept) == {"filesystem", "weather"}
    assert json.loads(target.read_text("utf-8")) == first
