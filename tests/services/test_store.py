"""The SQLite store: where it lives, how it is opened, its schema, constraints and transactions."""

from __future__ import annotations

import json
import os
import sqlite3
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlite_utils

from pylee_tui import store as store_module
from pylee_tui.services import Services
from pylee_tui.store import (
    SCHEMA_VERSION,
    CurrentSchema,
    Store,
    StoreError,
    default_db_path,
    known_migrations,
    migrations,
    resolve_db_path,
)
from tests.support import ANN

NOW = "2025-05-16T09:30:00.000000+00:00"
TABLES = {
    "settings",
    "organizations",
    "registries",
    "servers",
    "members",
    "variables",
    "audit_events",
}


def connect(path: Path) -> sqlite3.Connection:
    """A raw connection of our own, outside the Store, with foreign keys on."""
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA foreign_keys = ON")
    return conn


def make_store_file(path: Path) -> None:
    Store(path).close()


@pytest.fixture
def raw(db_path: Path) -> Iterator[sqlite3.Connection]:
    make_store_file(db_path)
    conn = connect(db_path)
    yield conn
    conn.close()


def add_org(conn: sqlite3.Connection, slug: str) -> int:
    return conn.execute(
        "INSERT INTO organizations (name, slug, created_at, updated_at) VALUES (?, ?, ?, ?)",
        [slug.title(), slug, NOW, NOW],
    ).lastrowid


def add_registry(conn: sqlite3.Connection, org_id: int, slug: str) -> int:
    return conn.execute(
        "INSERT INTO registries (org_id, name, slug, created_at, updated_at) VALUES (?,?,?,?,?)",
        [org_id, slug.title(), slug, NOW, NOW],
    ).lastrowid


def add_server(conn: sqlite3.Connection, registry_id: int, name: str) -> int:
    return conn.execute(
        "INSERT INTO servers (registry_id, name, document, created_at, updated_at) "
        "VALUES (?, ?, '{}', ?, ?)",
        [registry_id, name, NOW, NOW],
    ).lastrowid


def add_member(conn: sqlite3.Connection, org_id: int, email: str) -> int:
    return conn.execute(
        "INSERT INTO members (org_id, email, role, status, invited_at) "
        "VALUES (?, ?, 'member', 'active', ?)",
        [org_id, email, NOW],
    ).lastrowid


def add_variable(
    conn: sqlite3.Connection,
    org_id: int,
    key: str,
    registry_id: int | None = None,
    server_id: int | None = None,
) -> int:
    scope = "server" if server_id else "registry" if registry_id else "org"
    return conn.execute(
        "INSERT INTO variables (org_id, registry_id, server_id, scope, key, kind, value, "
        "created_at, updated_at, updated_by) VALUES (?, ?, ?, ?, ?, 'variable', 'v', ?, ?, ?)",
        [org_id, registry_id, server_id, scope, key, NOW, NOW, ANN],
    ).lastrowid


def count(conn: sqlite3.Connection, table: str) -> int:
    return conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0]


def tables_of(conn: sqlite3.Connection) -> set[str]:
    return {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}


# --- migrations ------------------------------------------------------------------------------


def test_a_new_file_gets_the_whole_schema(db_path: Path) -> None:
    assert not db_path.exists()
    store = Store(db_path)
    try:
        assert store.schema_version == SCHEMA_VERSION
    finally:
        store.close()
    conn = connect(db_path)
    assert tables_of(conn) >= TABLES
    assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    applied = [
        r[0]
        for r in conn.execute(
            "SELECT name FROM _sqlite_migrations WHERE migration_set = 'pylee' ORDER BY id"
        )
    ]
    assert applied == known_migrations()


def test_an_empty_existing_file_is_refused_untouched(db_path: Path) -> None:
    """Only a path that does not exist becomes a new store: an empty file may be someone's."""
    db_path.touch()
    with pytest.raises(StoreError, match="is empty, not a pylee-tui database"):
        Store(db_path)
    assert db_path.stat().st_size == 0


def test_opening_twice_keeps_data_and_applies_nothing_again(db_path: Path) -> None:
    store = Store(db_path)
    Services(store).orgs.create(ANN, "Acme")
    store.close()
    store = Store(db_path)
    try:
        assert [o.slug for o in Services(store).orgs.list_orgs(ANN)] == ["acme"]
        rows = store.db.execute("SELECT count(*) FROM _sqlite_migrations").fetchone()[0]
        assert rows == len(known_migrations())
    finally:
        store.close()


# Data that an older schema may already hold; each row is seeded where its table exists.
OLD_ROWS = {
    "settings": {"key": "user_email", "value": ANN},
    "organizations": {
        "id": 7,
        "name": "Old Org",
        "slug": "old-org",
        "created_at": NOW,
        "updated_at": NOW,
    },
    "members": {
        "org_id": 7,
        "email": ANN,
        "role": "admin",
        "status": "active",
        "invited_at": NOW,
        "joined_at": NOW,
    },
}


@pytest.mark.parametrize("stop_before", known_migrations())
def test_an_older_schema_is_upgraded_and_keeps_its_data(db_path: Path, stop_before: str) -> None:
    old = sqlite_utils.Database(db_path)
    migrations.apply(old, stop_before=stop_before)
    existing = set(old.table_names())
    seeded = {}
    for table, row in OLD_ROWS.items():
        if table in existing:
            columns = set(old[table].columns_dict)
            seeded[table] = {k: v for k, v in row.items() if k in columns}
            old[table].insert(seeded[table])
    old.conn.commit()
    old.close()

    store = Store(db_path)
    try:
        assert store.schema_version == SCHEMA_VERSION
        assert set(store.db.table_names()) >= TABLES
        applied = {m.name for m in migrations.applied(store.db)}
        assert applied == set(known_migrations())
        for table, row in seeded.items():
            where = " AND ".join(f"{k} = ?" for k in row)
            found = store.db.execute(
                f"SELECT count(*) FROM {table} WHERE {where}", list(row.values())
            )
            assert found.fetchone()[0] == 1, f"{table} row lost in the upgrade"
    finally:
        store.close()


@pytest.mark.parametrize("stop_before", known_migrations())
def test_an_older_schema_is_upgraded_with_the_current_schema_remembered(
    tmp_path: Path, stop_before: str
) -> None:
    """Opening compares with the schema remembered from the last full check: a store that is
    not exactly the current one (here, one migration or more behind) still gets migrated."""
    Store(tmp_path / "current.db").close()
    assert CurrentSchema.cached() is not None
    old = sqlite_utils.Database(tmp_path / "old.db")
    migrations.apply(old, stop_before=stop_before)
    old.close()
    store = Store(tmp_path / "old.db")
    try:
        assert store.schema_version == SCHEMA_VERSION
        assert {m.name for m in migrations.applied(store.db)} == set(known_migrations())
    finally:
        store.close()


@pytest.mark.parametrize("garbage", ["", "{", "[]", '{"key": 1}', "\x00\xff"])
def test_a_garbled_remembered_schema_is_only_a_slower_open(db_path: Path, garbage: str) -> None:
    Store(db_path).close()
    remembered = CurrentSchema._path()
    remembered.write_text(garbage, encoding="utf-8", errors="surrogateescape")
    opened = Store(db_path)
    try:
        assert Services(opened).orgs.list_orgs(ANN) == []
    finally:
        opened.close()
    assert CurrentSchema.cached() is not None  # the full check wrote it again


def test_a_remembered_schema_of_other_migrations_is_not_used(db_path: Path) -> None:
    Store(db_path).close()
    remembered = CurrentSchema._path()
    data = json.loads(remembered.read_text(encoding="utf-8"))
    data["key"] = "0" * 64  # written by another version of the migrations
    data["migrations"] = data["migrations"][:-1]
    remembered.write_text(json.dumps(data), encoding="utf-8")
    assert CurrentSchema.cached() is None
    Store(db_path).close()
    assert CurrentSchema.cached() is not None


def test_the_migrations_table_is_sqlite_utils_own() -> None:
    assert sqlite_utils.Migrations.migrations_table.encode() == store_module._MIGRATIONS_TABLE


# --- opening: connection settings and file permissions ---------------------------------------


def test_every_connection_has_the_safety_pragmas(store: Store) -> None:
    def pragma(name: str):
        return store.db.execute(f"PRAGMA {name}").fetchone()[0]

    assert pragma("foreign_keys") == 1
    assert pragma("journal_mode") == "wal"
    assert pragma("synchronous") == 2  # FULL
    assert pragma("busy_timeout") > 0


def test_file_is_private_and_new_directory_is_0700(tmp_path: Path) -> None:
    path = tmp_path / "not" / "there" / "yet" / "pylee.db"
    old_umask = os.umask(0o022)
    try:
        store = Store(path)
    finally:
        os.umask(old_umask)
    try:
        Services(store).orgs.create(ANN, "Acme")  # so the WAL has content
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
        assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
        for side in (path.with_name("pylee.db-wal"), path.with_name("pylee.db-shm")):
            if side.exists():
                assert stat.S_IMODE(side.stat().st_mode) & 0o077 == 0
    finally:
        store.close()


def test_a_new_file_in_an_existing_directory_is_private_too(tmp_path: Path) -> None:
    home = tmp_path / "shared"
    home.mkdir()
    old_umask = os.umask(0o000)  # even a permissive umask does not open the file up
    try:
        make_store_file(home / "pylee.db")
    finally:
        os.umask(old_umask)
    assert stat.S_IMODE((home / "pylee.db").stat().st_mode) == 0o600


# --- where the file lives --------------------------------------------------------------------


def test_default_path_honours_xdg_data_home(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    assert default_db_path() == tmp_path / "data" / "pylee-tui" / "pylee.db"


@pytest.mark.parametrize("xdg", [None, ""])
def test_default_path_falls_back_to_local_share(tmp_path: Path, monkeypatch, xdg) -> None:
    monkeypatch.setenv("HOME", str(tmp_path / "someone"))
    if xdg is None:
        monkeypatch.delenv("XDG_DATA_HOME", raising=False)
    else:
        monkeypatch.setenv("XDG_DATA_HOME", xdg)
    assert default_db_path() == tmp_path / "someone" / ".local" / "share" / "pylee-tui" / "pylee.db"


def test_resolve_db_path_precedence(tmp_path: Path, monkeypatch, isolated_environment) -> None:
    default = isolated_environment / "pylee-tui" / "pylee.db"
    assert resolve_db_path(None) == default
    monkeypatch.setenv("PYLEE_DB", str(tmp_path / "env.db"))
    assert resolve_db_path(None) == tmp_path / "env.db"
    assert resolve_db_path(tmp_path / "flag.db") == tmp_path / "flag.db"
    assert resolve_db_path(str(tmp_path / "flag.db")) == tmp_path / "flag.db"
    monkeypatch.setenv("PYLEE_DB", "")
    assert resolve_db_path(None) == default


def test_resolve_db_path_expands_home(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("HOME", str(tmp_path / "h"))
    assert resolve_db_path("~/x.db") == tmp_path / "h" / "x.db"
    monkeypatch.setenv("PYLEE_DB", "~/y.db")
    assert resolve_db_path(None) == tmp_path / "h" / "y.db"


def test_store_on_the_default_path_creates_it_under_xdg(isolated_environment: Path) -> None:
    path = resolve_db_path(None)
    make_store_file(path)
    assert path == isolated_environment / "pylee-tui" / "pylee.db"
    assert path.is_file()
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700


# --- refusing files that are not ours --------------------------------------------------------


def test_a_file_that_is_not_sqlite_is_refused_untouched(db_path: Path) -> None:
    content = b"name,slug\nAcme,acme\n" * 200
    db_path.write_bytes(content)
    with pytest.raises(StoreError, match="not a SQLite database"):
        Store(db_path)
    assert db_path.read_bytes() == content


def test_a_directory_is_refused(tmp_path: Path) -> None:
    with pytest.raises(StoreError, match="directory"):
        Store(tmp_path)


def _newer_by_user_version(path: Path) -> None:
    conn = sqlite3.connect(path)
    conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    conn.commit()
    conn.close()


def _newer_by_migration_name(path: Path) -> None:
    conn = sqlite3.connect(path)
    conn.execute(
        "INSERT INTO _sqlite_migrations (migration_set, name, applied_at) "
        "VALUES ('pylee', '9999_from_the_future', ?)",
        [NOW],
    )
    conn.commit()
    conn.close()


@pytest.mark.parametrize("make_newer", [_newer_by_user_version, _newer_by_migration_name])
def test_a_database_from_a_newer_version_is_refused_untouched(db_path: Path, make_newer) -> None:
    store = Store(db_path)
    Services(store).orgs.create(ANN, "Acme")
    store.close()
    make_newer(db_path)
    before = db_path.read_bytes()
    with pytest.raises(StoreError, match="newer"):
        Store(db_path)
    assert db_path.read_bytes() == before


def test_someone_elses_sqlite_database_is_refused_untouched(db_path: Path) -> None:
    conn = sqlite3.connect(db_path)
    conn.execute("CREATE TABLE invoices (id INTEGER PRIMARY KEY, total REAL)")
    conn.execute("INSERT INTO invoices (total) VALUES (12.5)")
    conn.commit()
    conn.close()
    before = db_path.read_bytes()
    with pytest.raises(StoreError, match="not a pylee-tui"):
        Store(db_path)
    assert db_path.read_bytes() == before


# --- foreign keys, cascades and uniqueness enforced by the database ---------------------------


def test_deleting_an_org_row_cascades_to_everything_in_it(raw: sqlite3.Connection) -> None:
    acme = add_org(raw, "acme")
    other = add_org(raw, "other")
    reg = add_registry(raw, acme, "core")
    srv = add_server(raw, reg, "io.github.acme/weather")
    add_member(raw, acme, ANN)
    add_variable(raw, acme, "LOG_LEVEL")
    add_variable(raw, acme, "LOG_LEVEL", registry_id=reg)
    add_variable(raw, acme, "LOG_LEVEL", registry_id=reg, server_id=srv)
    other_reg = add_registry(raw, other, "core")
    add_server(raw, other_reg, "io.github.acme/weather")
    add_member(raw, other, ANN)
    add_variable(raw, other, "LOG_LEVEL")

    raw.execute("DELETE FROM organizations WHERE id = ?", [acme])

    for table in ("registries", "members", "variables"):
        assert (
            raw.execute(f"SELECT count(*) FROM {table} WHERE org_id = ?", [acme]).fetchone()[0] == 0
        ), table
        assert count(raw, table) == 1, f"{table} of the other org must stay"
    assert count(raw, "servers") == 1


def test_deleting_a_registry_cascades_to_its_servers_and_variables(
    raw: sqlite3.Connection,
) -> None:
    acme = add_org(raw, "acme")
    reg = add_registry(raw, acme, "core")
    srv = add_server(raw, reg, "io.github.acme/weather")
    add_variable(raw, acme, "A")
    add_variable(raw, acme, "B", registry_id=reg)
    add_variable(raw, acme, "C", registry_id=reg, server_id=srv)
    raw.execute("DELETE FROM registries WHERE id = ?", [reg])
    assert count(raw, "servers") == 0
    assert [r[0] for r in raw.execute("SELECT key FROM variables")] == ["A"]


@pytest.mark.parametrize(
    "insert",
    [
        lambda c: add_registry(c, 999, "core"),
        lambda c: add_member(c, 999, ANN),
        lambda c: add_variable(c, 999, "KEY"),
        lambda c: add_server(c, 999, "io.github.acme/weather"),
    ],
    ids=["registry", "member", "variable", "server"],
)
def test_rows_need_an_existing_parent(raw: sqlite3.Connection, insert) -> None:
    with pytest.raises(sqlite3.IntegrityError):
        insert(raw)


def test_org_slug_is_unique(raw: sqlite3.Connection) -> None:
    add_org(raw, "acme")
    with pytest.raises(sqlite3.IntegrityError):
        add_org(raw, "acme")


def test_registry_slug_is_unique_within_an_org(raw: sqlite3.Connection) -> None:
    acme, other = add_org(raw, "acme"), add_org(raw, "other")
    add_registry(raw, acme, "core")
    add_registry(raw, other, "core")  # same slug, another org: fine
    with pytest.raises(sqlite3.IntegrityError):
        add_registry(raw, acme, "core")


def test_server_name_is_unique_within_a_registry(raw: sqlite3.Connection) -> None:
    acme = add_org(raw, "acme")
    core, data = add_registry(raw, acme, "core"), add_registry(raw, acme, "data")
    add_server(raw, core, "io.github.acme/weather")
    add_server(raw, data, "io.github.acme/weather")
    with pytest.raises(sqlite3.IntegrityError):
        add_server(raw, core, "io.github.acme/weather")


def test_member_email_is_unique_within_an_org(raw: sqlite3.Connection) -> None:
    acme, other = add_org(raw, "acme"), add_org(raw, "other")
    add_member(raw, acme, ANN)
    add_member(raw, other, ANN)
    with pytest.raises(sqlite3.IntegrityError):
        add_member(raw, acme, ANN)


def test_variable_key_is_unique_within_a_scope(raw: sqlite3.Connection) -> None:
    acme, other = add_org(raw, "acme"), add_org(raw, "other")
    core, data = add_registry(raw, acme, "core"), add_registry(raw, acme, "data")
    srv = add_server(raw, core, "io.github.acme/weather")
    # the same key once at every scope, and in another org, is fine
    add_variable(raw, acme, "LOG_LEVEL")
    add_variable(raw, other, "LOG_LEVEL")
    add_variable(raw, acme, "LOG_LEVEL", registry_id=core)
    add_variable(raw, acme, "LOG_LEVEL", registry_id=data)
    add_variable(raw, acme, "LOG_LEVEL", registry_id=core, server_id=srv)
    # but twice in one scope is not, even where the scope ids are NULL
    with pytest.raises(sqlite3.IntegrityError):
        add_variable(raw, acme, "LOG_LEVEL")
    with pytest.raises(sqlite3.IntegrityError):
        add_variable(raw, acme, "LOG_LEVEL", registry_id=core)
    with pytest.raises(sqlite3.IntegrityError):
        add_variable(raw, acme, "LOG_LEVEL", registry_id=core, server_id=srv)
    assert count(raw, "variables") == 5


def test_a_variable_is_either_plain_or_encrypted(raw: sqlite3.Connection) -> None:
    acme = add_org(raw, "acme")
    with pytest.raises(sqlite3.IntegrityError):
        raw.execute(
            "INSERT INTO variables (org_id, scope, key, kind, value, encrypted_value, "
            "created_at, updated_at, updated_by) "
            "VALUES (?, 'org', 'TOKEN', 'secret', 'plain text', x'00', ?, ?, ?)",
            [acme, NOW, NOW, ANN],
        )


def test_audit_events_are_append_only(raw: sqlite3.Connection) -> None:
    event = raw.execute(
        "INSERT INTO audit_events (actor, action, target_type, created_at) "
        "VALUES (?, 'org.create', 'organization', ?)",
        [ANN, NOW],
    ).lastrowid
    with pytest.raises(sqlite3.DatabaseError, match="append-only"):
        raw.execute("UPDATE audit_events SET actor = 'mallory@example.com' WHERE id = ?", [event])
    with pytest.raises(sqlite3.DatabaseError, match="append-only"):
        raw.execute("DELETE FROM audit_events WHERE id = ?", [event])
    assert raw.execute("SELECT actor FROM audit_events").fetchall() == [(ANN,)]


def test_the_stores_own_connection_enforces_cascades(store: Store) -> None:
    Services(store).orgs.create(ANN, "Acme")
    with store.transaction() as db:
        db.execute("DELETE FROM organizations WHERE slug = 'acme'")
    assert store.db.execute("SELECT count(*) FROM members").fetchone()[0] == 0


# --- transactions ----------------------------------------------------------------------------


class Boom(Exception):
    pass


def test_transaction_commits_for_other_connections_to_see(store: Store, db_path: Path) -> None:
    with store.transaction() as db:
        db["settings"].insert({"key": "theme", "value": "dark"})
    other = connect(db_path)
    assert other.execute("SELECT value FROM settings WHERE key = 'theme'").fetchone() == ("dark",)
    other.close()


def test_transaction_rolls_back_everything_on_error(store: Store, db_path: Path) -> None:
    with pytest.raises(Boom), store.transaction() as db:
        db["settings"].insert({"key": "theme", "value": "dark"})
        add_org(db.conn, "acme")
        raise Boom
    assert store.db.execute("SELECT count(*) FROM settings").fetchone()[0] == 0
    assert store.db.execute("SELECT count(*) FROM organizations").fetchone()[0] == 0
    other = connect(db_path)
    assert count(other, "organizations") == 0
    other.close()
    # and the store is still usable afterwards
    with store.transaction() as db:
        db["settings"].insert({"key": "theme", "value": "light"})
    assert store.db.execute("SELECT value FROM settings").fetchall() == [("light",)]


def test_service_calls_inside_a_transaction_roll_back_together(store: Store) -> None:
    services = Services(store)
    with pytest.raises(Boom), store.transaction():
        services.orgs.create(ANN, "Acme")
        services.orgs.create(ANN, "Beta")
        raise Boom
    for table in ("organizations", "members", "audit_events"):
        assert store.db.execute(f"SELECT count(*) FROM {table}").fetchone()[0] == 0, table
    assert services.orgs.list_orgs(ANN) == []


def test_a_new_store_has_exactly_the_schema_the_migrations_make(tmp_path: Path) -> None:
    """A new store is a copy of a schema migrated once per process: the same tables, indexes,
    triggers, migration records and user_version as the migrations applied to an empty file."""
    by_hand = sqlite3.connect(tmp_path / "migrated.db")
    migrations.apply(sqlite_utils.Database(by_hand))
    by_hand.commit()
    Store(tmp_path / "first.db").close()
    Store(tmp_path / "second.db").close()  # the second copies what the first built
    schema = "SELECT type, name, tbl_name, sql FROM sqlite_master ORDER BY type, name"
    applied = "SELECT name FROM _sqlite_migrations ORDER BY name"
    want = (by_hand.execute(schema).fetchall(), by_hand.execute(applied).fetchall())
    for name in ("first.db", "second.db"):
        made = sqlite3.connect(tmp_path / name)
        try:
            assert (made.execute(schema).fetchall(), made.execute(applied).fetchall()) == want
            assert made.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
            assert made.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        finally:
            made.close()
    by_hand.close()
