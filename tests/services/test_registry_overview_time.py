"""A registry's overview save time is a column (migration 0004), as an org's is: a store written
before it opens with the time filled from the saves' audit events, and the editor's lost-update
check then reads it."""

from __future__ import annotations

import sqlite3
from datetime import datetime
from pathlib import Path

import pytest

from pylee_tui import store as store_module
from pylee_tui.migrations import known_migrations
from pylee_tui.services import Conflict, Scope, Services
from pylee_tui.store import Store
from tests.support import ANN, Clock


def as_before_the_column(db_path: Path) -> None:
    """Make the store at `db_path` one the version before 0004 wrote: no column, no record of
    the migration. The schema every other migration builds (in memory, without 0004) gives the
    table's SQL: later migrations (0012's require_approval) still add their columns."""
    conn = sqlite3.connect(db_path)
    others = tuple(n for n in known_migrations() if n != "0004_registry_overview_time")
    schema = store_module._expected_schema(others)
    assert schema is not None
    old_sql = schema[(b"table", b"registries")][1].decode()
    with conn:
        conn.executescript(
            "PRAGMA writable_schema = ON;"
            f"UPDATE sqlite_master SET sql = {sqlite_quote(old_sql)} WHERE name = 'registries';"
            "PRAGMA writable_schema = OFF;"
            "DELETE FROM _sqlite_migrations WHERE name = '0004_registry_overview_time';"
            "PRAGMA user_version = 3;"
        )
    conn.close()


def sqlite_quote(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def test_an_older_store_opens_with_each_registrys_overview_time_from_its_saves(
    db_path: Path, clock: Clock
) -> None:
    store = Store(db_path)
    s = Services(store, clock=clock)
    s.orgs.create(ANN, "Acme")
    s.registries.create(ANN, "acme", "Core Tools", slug="core")
    s.registries.create(ANN, "acme", "Data", slug="data")
    clock.advance(minutes=5)
    saved = s.registries.edit(ANN, Scope("acme", "core"), overview="# Core\n")
    store.close()
    # the old version had no column: drop it (values and all) the way the file looked then
    conn = sqlite3.connect(db_path)
    with conn:
        conn.execute("ALTER TABLE registries DROP COLUMN overview_updated_at")
    conn.close()
    as_before_the_column(db_path)

    store = Store(db_path)
    s = Services(store, clock=clock)
    core = s.registries.get_registry(ANN, Scope("acme", "core"))
    data = s.registries.get_registry(ANN, Scope("acme", "data"))
    assert core.overview_updated_at == saved.overview_updated_at == clock.now
    assert data.overview_updated_at is None  # never saved: its base is its creation
    assert data.overview_base == data.created_at

    # the editor that opened before a newer save is refused; one from the newest save is not
    clock.advance(minutes=5)
    with pytest.raises(Conflict):
        s.registries.edit(
            ANN, Scope("acme", "core"), overview="# Mine\n", overview_base=core.created_at
        )
    mine = s.registries.edit(
        ANN, Scope("acme", "core"), overview="# Mine\n", overview_base=core.overview_base
    )
    assert mine.overview == "# Mine\n"
    store.close()


def test_the_column_is_written_with_every_overview_save(services: Services, clock: Clock) -> None:
    services.orgs.create(ANN, "Acme")
    services.registries.create(ANN, "acme", "Core", slug="core")
    clock.advance(minutes=1)
    first = services.registries.edit(ANN, Scope("acme", "core"), overview="one")
    clock.advance(minutes=1)
    renamed = services.registries.edit(ANN, Scope("acme", "core"), name="Core Tools")
    assert renamed.overview_updated_at == first.overview_updated_at  # a rename is not a save
    assert first.overview_updated_at == first.updated_at
    assert isinstance(first.overview_updated_at, datetime)
