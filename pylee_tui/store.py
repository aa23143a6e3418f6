"""The SQLite store: where the file lives, how it is opened, its versioned schema and transactions.

Only services use this module. Every multi-row change goes through `Store.transaction()`: one
`db.atomic()` transaction, started with BEGIN IMMEDIATE so a read-then-write cannot be overtaken.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
import threading
from collections.abc import Iterator
from pathlib import Path

import sqlite_utils
from sqlite_utils import Migrations

APP_DIR_NAME = "pylee-tui"
DB_FILE_NAME = "pylee.db"
MIGRATION_SET = "pylee"
BUSY_TIMEOUT_MS = 5000
_SQLITE_HEADER = b"SQLite format 3\x00"


class StoreError(Exception):
    """A store that cannot be used: its message is one line a user can act on."""


def default_db_path() -> Path:
    """`$XDG_DATA_HOME/pylee-tui/pylee.db` (`~/.local/share/...` when XDG_DATA_HOME is unset)."""
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / APP_DIR_NAME / DB_FILE_NAME


def resolve_db_path(explicit: str | os.PathLike[str] | None = None) -> Path:
    """`--db PATH` wins, then `PYLEE_DB`, then the default path."""
    if explicit:
        return Path(explicit).expanduser()
    env = os.environ.get("PYLEE_DB")
    if env:
        return Path(env).expanduser()
    return default_db_path()


# --- schema ----------------------------------------------------------------------------------

migrations = Migrations(MIGRATION_SET)


@migrations(name="0001_initial")
def _m0001_initial(db: sqlite_utils.Database) -> None:
    db.executescript(
        """
        CREATE TABLE settings (
            key TEXT PRIMARY KEY,
            value TEXT NOT NULL
        );
        CREATE TABLE organizations (
            id INTEGER PRIMARY KEY,
            name TEXT NOT NULL,
            slug TEXT NOT NULL UNIQUE,
            description TEXT NOT NULL DEFAULT '',
            overview TEXT NOT NULL DEFAULT '',
            overview_updated_at TEXT,
            created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL
        );
        CREATE TABLE registries (
            id INTEGER PRIMARY KEY,
            org_id INTEGER NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
            name TEXT NOT NULL,
            slug TEXT NOT NULL,
            description TEXT NOT NULL DEFAULT '',
            overview TEXT NOT NULL DEFAULT '',
            created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL,
            UNIQUE (org_id, slug)
        );
        CREATE TABLE servers (
            id INTEGER PRIMARY KEY,
            registry_id INTEGER NOT NULL REFERENCES registries(id) ON DELETE CASCADE,
            name TEXT NOT NULL,
            version TEXT NOT NULL DEFAULT '',
            description TEXT NOT NULL DEFAULT '',
            document TEXT NOT NULL,
            status TEXT NOT NULL DEFAULT 'valid' CHECK (status IN ('valid', 'draft')),
            problems TEXT NOT NULL DEFAULT '[]',
            created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL,
            UNIQUE (registry_id, name)
        );
        CREATE TABLE members (
            id INTEGER PRIMARY KEY,
            org_id INTEGER NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
            email TEXT NOT NULL,
            display_name TEXT NOT NULL DEFAULT '',
            role TEXT NOT NULL CHECK (role IN ('admin', 'member')),
            status TEXT NOT NULL CHECK (status IN ('invited', 'active', 'revoked', 'expired')),
            grants TEXT NOT NULL DEFAULT '[]',
            invited_by TEXT,
            invited_at TEXT NOT NULL,
            joined_at TEXT,
            UNIQUE (org_id, email)
        );
        CREATE TABLE variables (
            id INTEGER PRIMARY KEY,
            org_id INTEGER NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
            registry_id INTEGER REFERENCES registries(id) ON DELETE CASCADE,
            server_id INTEGER REFERENCES servers(id) ON DELETE CASCADE,
            scope TEXT NOT NULL CHECK (scope IN ('org', 'registry', 'server')),
            key TEXT NOT NULL,
            kind TEXT NOT NULL CHECK (kind IN ('variable', 'secret')),
            value TEXT,
            encrypted_value BLOB,
            created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL,
            updated_by TEXT NOT NULL,
            CHECK ((kind = 'variable' AND encrypted_value IS NULL)
                OR (kind = 'secret' AND value IS NULL))
        );
        -- one key per scope: NULL scope ids fold to 0 so the index can see them as equal
        CREATE UNIQUE INDEX variables_key_per_scope
            ON variables (org_id, coalesce(registry_id, 0), coalesce(server_id, 0), key);
        CREATE TABLE audit_events (
            id INTEGER PRIMARY KEY,
            org_id INTEGER,
            org_slug TEXT,
            actor TEXT NOT NULL,
            action TEXT NOT NULL,
            target_type TEXT NOT NULL,
            target_id TEXT,
            target_label TEXT NOT NULL DEFAULT '',
            created_at TEXT NOT NULL,
            metadata TEXT NOT NULL DEFAULT '{}'
        );
        CREATE INDEX audit_events_org ON audit_events (org_id, id);
        CREATE INDEX audit_events_actor ON audit_events (actor, id);
        CREATE TRIGGER audit_events_no_update BEFORE UPDATE ON audit_events
        BEGIN SELECT RAISE(ABORT, 'audit events are append-only'); END;
        CREATE TRIGGER audit_events_no_delete BEFORE DELETE ON audit_events
        BEGIN SELECT RAISE(ABORT, 'audit events are append-only'); END;
        CREATE INDEX registries_org ON registries (org_id);
        CREATE INDEX servers_registry ON servers (registry_id);
        CREATE INDEX members_email ON members (email);
        """
    )


@migrations(name="0002_vault")
def _m0002_vault(db: sqlite_utils.Database) -> None:
    """The vault's wrapped data key (one per store) and the history of every variable and secret."""
    db.executescript(
        """
        CREATE TABLE vault (
            id INTEGER PRIMARY KEY CHECK (id = 1),
            kdf TEXT NOT NULL,
            wrapped_key BLOB NOT NULL,
            created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL,
            updated_by TEXT NOT NULL
        );
        -- every write of a key at a scope, newest last; the service keeps the last 11
        -- (the current value and the 10 before it). Secrets stay encrypted here too.
        CREATE TABLE variable_versions (
            id INTEGER PRIMARY KEY,
            org_id INTEGER NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
            registry_id INTEGER REFERENCES registries(id) ON DELETE CASCADE,
            server_id INTEGER REFERENCES servers(id) ON DELETE CASCADE,
            key TEXT NOT NULL,
            version INTEGER NOT NULL,
            action TEXT NOT NULL CHECK (action IN ('set', 'rollback', 'unset')),
            kind TEXT NOT NULL CHECK (kind IN ('variable', 'secret')),
            value TEXT,
            encrypted_value BLOB,
            created_at TEXT NOT NULL,
            created_by TEXT NOT NULL,
            CHECK ((action = 'unset' AND value IS NULL AND encrypted_value IS NULL)
                OR (action != 'unset' AND kind = 'variable' AND encrypted_value IS NULL
                    AND value IS NOT NULL)
                OR (action != 'unset' AND kind = 'secret' AND value IS NULL
                    AND encrypted_value IS NOT NULL))
        );
        CREATE UNIQUE INDEX variable_versions_per_key ON variable_versions
            (org_id, coalesce(registry_id, 0), coalesce(server_id, 0), key, version);
        CREATE INDEX variables_server ON variables (server_id);
        CREATE INDEX variables_registry ON variables (registry_id);
        """
    )


def known_migrations() -> list[str]:
    return [m.name for m in migrations._migrations]


SCHEMA_VERSION = len(known_migrations())


# --- opening ---------------------------------------------------------------------------------


def _check_file_before_open(path: Path) -> None:
    """Refuse a file that is not SQLite without letting SQLite touch (and maybe rewrite) it."""
    if path.is_dir():
        raise StoreError(f"{path} is a directory, not a pylee-tui database")
    if not path.exists() or path.stat().st_size == 0:
        return
    try:
        with path.open("rb") as fh:
            header = fh.read(len(_SQLITE_HEADER))
    except OSError as exc:
        raise StoreError(f"cannot read {path}: {exc.strerror}") from None
    if header != _SQLITE_HEADER:
        raise StoreError(f"{path} is not a SQLite database; refusing to open it")


def _create_private_file(path: Path) -> None:
    """Create the directory (0700) and an empty database file (0600) before SQLite opens it."""
    parent = path.parent
    if not parent.exists():
        try:
            parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        except OSError as exc:
            raise StoreError(f"cannot create {parent}: {exc.strerror}") from None
    if not path.exists():
        try:
            fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
            os.close(fd)
        except FileExistsError:
            pass
        except OSError as exc:
            raise StoreError(f"cannot create {path}: {exc.strerror}") from None


def describe_sqlite_error(exc: sqlite3.Error, path: Path | str) -> str:
    """Turn SQLite's error into one line that says what to do."""
    text = str(exc)
    if "locked" in text or "busy" in text:
        return f"the database {path} is locked by another process; try again in a moment"
    if "malformed" in text or "not a database" in text or "corrupt" in text:
        return f"the database {path} is damaged ({text}); restore it from a backup"
    if "readonly" in text or "read-only" in text:
        return f"the database {path} is read-only; check its permissions"
    if "disk" in text and "full" in text:
        return f"the disk holding {path} is full; nothing was written"
    return f"database error in {path}: {text}"


class Store:
    """One open pylee-tui database. Thread-safe: a lock serialises use of the one connection."""

    def __init__(self, path: str | os.PathLike[str]):
        self.path = Path(path)
        self._lock = threading.RLock()
        _check_file_before_open(self.path)
        self._refuse_foreign_or_newer()
        _create_private_file(self.path)
        conn = None
        try:
            conn = sqlite3.connect(str(self.path), check_same_thread=False, timeout=5)
            self.db = sqlite_utils.Database(conn, execute_plugins=False)
            self.db.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
            self.db.execute("PRAGMA foreign_keys = ON")
            # deleted content (old history versions, a re-wrapped vault key) is overwritten,
            # not left readable in free pages
            self.db.execute("PRAGMA secure_delete = ON")
            self.db.enable_wal()
            self.db.execute("PRAGMA synchronous = FULL")
            self._migrate()
        except sqlite3.Error as exc:
            if conn is not None:
                conn.close()
            raise StoreError(describe_sqlite_error(exc, self.path)) from None

    def _refuse_foreign_or_newer(self) -> None:
        """Read-only look at an existing file: refuse a newer schema or someone else's database."""
        if not self.path.exists() or self.path.stat().st_size == 0:
            return
        uri = f"{self.path.resolve().as_uri()}?mode=ro"
        try:
            conn = sqlite3.connect(uri, uri=True, timeout=5)
            try:
                version = conn.execute("PRAGMA user_version").fetchone()[0]
                tables = {
                    r[0]
                    for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
                }
                applied: list[str] = []
                if "_sqlite_migrations" in tables:
                    applied = [
                        r[0]
                        for r in conn.execute(
                            "SELECT name FROM _sqlite_migrations WHERE migration_set = ?",
                            [MIGRATION_SET],
                        )
                    ]
            finally:
                conn.close()
        except sqlite3.Error as exc:
            raise StoreError(describe_sqlite_error(exc, self.path)) from None
        unknown = [name for name in applied if name not in known_migrations()]
        if version > SCHEMA_VERSION or unknown:
            raise StoreError(
                f"{self.path} was written by a newer pylee-tui (schema {max(version, 0)}, this "
                f"version knows {SCHEMA_VERSION}); upgrade pylee-tui to open it"
            )
        if tables - {"_sqlite_migrations"} and not applied:
            raise StoreError(f"{self.path} is a SQLite database but not a pylee-tui store")

    def _migrate(self) -> None:
        # only write when there is something to do: a reader must not need the write lock
        with self._lock:
            if migrations.pending(self.db):
                migrations.apply(self.db)
            if self.schema_version != SCHEMA_VERSION:
                self.db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")

    @property
    def schema_version(self) -> int:
        return self.db.execute("PRAGMA user_version").fetchone()[0]

    @contextlib.contextmanager
    def transaction(self) -> Iterator[sqlite_utils.Database]:
        """One atomic write: everything inside commits together or not at all."""
        with self._lock:
            if self.db.conn.in_transaction:
                with self.db.atomic():
                    yield self.db
                return
            self.db.execute("BEGIN IMMEDIATE")
            try:
                with self.db.atomic():
                    yield self.db
                self.db.execute("COMMIT")
            except BaseException:
                self.db.rollback()
                raise

    @contextlib.contextmanager
    def reading(self) -> Iterator[sqlite_utils.Database]:
        """Reads share the connection, so they take the same lock as writes."""
        with self._lock:
            yield self.db

    def close(self) -> None:
        with self._lock:
            with contextlib.suppress(sqlite3.Error):
                self.db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            self.db.close()

    def data_version(self) -> int:
        """Changes whenever another connection commits: how the app notices outside edits."""
        with self._lock:
            return self.db.execute("PRAGMA data_version").fetchone()[0]
