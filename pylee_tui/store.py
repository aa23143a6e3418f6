"""The SQLite store: where the file lives, how it is opened, its versioned schema and transactions.

Only services use this module. Every multi-row change goes through `Store.transaction()`: one
`db.atomic()` transaction, started with BEGIN IMMEDIATE so a read-then-write cannot be overtaken.

Damage. Opening checks, read-only and cheaply, that the schema is byte for byte what our
migrations wrote (a flipped bit in it otherwise surfaces as odd errors, or as a write under a
changed constraint). The first write in a Store's life, a migration or `transaction()`, runs
`PRAGMA integrity_check` once and remembers the result: a damaged store is refused before anything
is written to it, while reads stay as fast as before. A brand-new store is built under a temporary
name and linked into place whole, so the path never holds a half-made (or empty) database.
"""

from __future__ import annotations

import contextlib
import functools
import json
import os
import sqlite3
import stat
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import sqlite_utils

BUSY_TIMEOUT_MS = 5000
# SQLite virtual machine steps between two looks at a read's `stop` (about a millisecond)
_STOP_EVERY = 20_000
_SQLITE_HEADER = b"SQLite format 3\x00"


class StoreError(Exception):
    """A store that cannot be used: its message is one line a user can act on."""


def resolve_db_path(explicit: str | os.PathLike[str] | None = None) -> Path:
    """`--db PATH` wins, then `PYLEE_DB`, then the default path.

    `None` means "not given". An explicitly empty `--db ''` is an error, never the default store;
    an empty `PYLEE_DB` counts as unset (like an empty PYLEE_PASSPHRASE).
    """
    if explicit is not None:
        if not os.fspath(explicit):
            raise StoreError("--db needs a file name")
        return Path(explicit).expanduser()
    env = os.environ.get("PYLEE_DB")
    if env:
        return Path(env).expanduser()
    from pylee_tui.paths import default_db_path

    return default_db_path()


# --- schema ----------------------------------------------------------------------------------

# The migrations (and sqlite-utils, which runs them) load only when a store needs more than a
# look: one to create, to migrate or to check in full. `store.migrations`, `SCHEMA_VERSION` and
# the rest of what this module has always named for its callers load them on first use.
_FROM_MIGRATIONS = ("migrations", "MIGRATION_SET", "known_migrations")


def __getattr__(name: str) -> Any:
    if name in _FROM_MIGRATIONS:
        from pylee_tui import migrations as module

        return getattr(module, name)
    if name == "SCHEMA_VERSION":
        return schema_version_known()
    if name == "default_db_path":
        from pylee_tui.paths import default_db_path

        return default_db_path
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def schema_version_known() -> int:
    """The schema version this pylee-tui writes: one per migration it knows."""
    from pylee_tui.migrations import known_migrations

    return len(known_migrations())


# --- damage ----------------------------------------------------------------------------------

# what SQLite (and Python's sqlite3, for text that is not UTF-8) says about a damaged file
_DAMAGE_WORDS = ("malformed", "not a database", "corrupt", "could not decode to utf-8")
# sqlite-utils' table of applied migrations (`Migrations.migrations_table`), and the columns it
# reads from it
_MIGRATIONS_TABLE = b"_sqlite_migrations"
_MIGRATION_COLUMNS = {b"migration_set", b"name", b"applied_at"}


def damaged_message(path: Path | str, detail: str | None = None) -> str:
    why = f" ({detail})" if detail else ""
    return f"the database {path} is damaged{why}; restore it from a backup"


def _is_damage(exc: BaseException) -> bool:
    if not isinstance(exc, sqlite3.DatabaseError):
        return False
    text = str(exc).lower()
    return any(word in text for word in _DAMAGE_WORDS)


def _is_utf8(raw: bytes) -> bool:
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def _damage_detail(exc: sqlite3.Error) -> str:
    text = str(exc)
    if "could not decode to utf-8" in text.lower():
        return "a text value is not valid UTF-8"  # never quote the value: it could be anything
    return " ".join(text.split())[:120]


# a query's parameters: positional, or by :name
Params = Sequence[Any] | Mapping[str, Any]

# sqlite_master rows: (type, name) -> (tbl_name, sql), all as the bytes in the file
Schema = dict[tuple[bytes, bytes], tuple[bytes, bytes | None]]


@functools.lru_cache(maxsize=8)
def _expected_schema(applied: tuple[str, ...]) -> Schema | None:
    """What our migrations named in `applied` (run in our order) put in sqlite_master, built once
    in memory. None when that set cannot be built, e.g. a later migration without an earlier one.

    The comparison is exact, so migrations must create objects from literal SQL (executescript),
    never from sqlite-utils helpers whose generated text could change between its versions. The
    `_sqlite_migrations` table is sqlite-utils' own and is left out for that reason."""
    import sqlite_utils

    from pylee_tui.migrations import migrations

    conn = sqlite3.connect(":memory:")
    try:
        conn.text_factory = bytes
        db = sqlite_utils.Database(conn, execute_plugins=False)
        for migration in migrations._migrations:
            if migration.name in applied:
                migration.fn(db)
        rows = conn.execute("SELECT type, name, tbl_name, sql FROM sqlite_master").fetchall()
    except sqlite3.Error:
        return None
    finally:
        conn.close()
    return {(t, n): (tbl, sql) for t, n, tbl, sql in rows if tbl != _MIGRATIONS_TABLE}


# --- opening ---------------------------------------------------------------------------------


def _check_file_before_open(path: Path) -> bool:
    """Refuse a file that is not SQLite without letting SQLite touch (and maybe rewrite) it.

    Returns whether the file exists. Only a path that does not exist may become a new store: an
    existing empty file is refused (it is not a database; SQLite would quietly fill it)."""
    try:
        st = path.stat()
    except FileNotFoundError:
        return False
    except OSError as exc:
        raise StoreError(f"cannot read {path}: {exc.strerror}") from None
    if stat.S_ISDIR(st.st_mode):
        raise StoreError(f"{path} is a directory, not a pylee-tui database")
    if not stat.S_ISREG(st.st_mode):
        raise StoreError(f"{path} is not a regular file, not a pylee-tui database")
    if st.st_size == 0:
        raise StoreError(f"{path} is empty, not a pylee-tui database")
    try:
        with path.open("rb") as fh:
            header = fh.read(len(_SQLITE_HEADER))
    except OSError as exc:
        raise StoreError(f"cannot read {path}: {exc.strerror}") from None
    if header != _SQLITE_HEADER:
        raise StoreError(f"{path} is not a SQLite database; refusing to open it")
    return True


_TEMPLATE: tuple[int, sqlite3.Connection] | None = None  # (the process it was made in, it)
_TEMPLATE_LOCK = threading.Lock()


def _fresh_schema() -> sqlite3.Connection:
    """An in-memory database with every migration applied, made once per process (the caller
    holds _TEMPLATE_LOCK): a new store is a copy of it. Applying the migrations' scripts costs
    ~0.15 s a store (sqlite-utils splits each script statement by statement in Python); a
    copy through SQLite's backup API, a few milliseconds."""
    global _TEMPLATE
    # a forked child makes its own: a SQLite connection is not to be used across a fork
    if _TEMPLATE is None or _TEMPLATE[0] != os.getpid():
        import sqlite_utils

        from pylee_tui.migrations import migrations

        conn = sqlite3.connect(":memory:", check_same_thread=False)
        migrations.apply(sqlite_utils.Database(conn, execute_plugins=False))
        conn.execute(f"PRAGMA user_version = {schema_version_known()}")
        conn.commit()
        _TEMPLATE = (os.getpid(), conn)
    return _TEMPLATE[1]


def _create_new_store(path: Path) -> None:
    """Build a whole new store (file 0600, new directory 0700) under a temporary name beside
    `path`, then link it into place.

    The path only ever appears holding a complete store: a crash part-way leaves a stray hidden
    `.pylee.db.*.creating` file, never an empty or half-migrated database at the path. When
    another process creates the path first, its store is kept and ours is thrown away."""
    parent = path.parent
    if not parent.exists():
        try:
            parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        except OSError as exc:
            raise StoreError(f"cannot create {parent}: {exc.strerror}") from None
    import tempfile

    import sqlite_utils

    try:
        fd, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".creating", dir=parent)
        os.close(fd)  # mkstemp makes it 0600 whatever the umask
    except OSError as exc:
        raise StoreError(f"cannot create {path}: {exc.strerror}") from None
    try:
        conn = sqlite3.connect(name)
        try:
            with _TEMPLATE_LOCK:  # the schema, user_version included, page by page
                _fresh_schema().backup(conn)
            db = sqlite_utils.Database(conn, execute_plugins=False)
            db.execute("PRAGMA synchronous = FULL")
            db.enable_wal()
        finally:
            conn.close()  # the last connection: SQLite checkpoints and removes the -wal
        try:
            os.link(name, path)  # fails rather than replace a file that appeared meanwhile
        except FileExistsError:
            pass
        except OSError:  # a file system without hard links: rename, after a last look
            if not os.path.lexists(path):
                os.rename(name, path)
        with contextlib.suppress(OSError):
            dir_fd = os.open(parent, os.O_RDONLY)
            try:
                os.fsync(dir_fd)
            finally:
                os.close(dir_fd)
    except sqlite3.Error as exc:
        raise StoreError(describe_sqlite_error(exc, path)) from None
    except OSError as exc:
        raise StoreError(f"cannot create {path}: {exc.strerror}") from None
    finally:
        for leftover in (name, f"{name}-wal", f"{name}-shm", f"{name}-journal"):
            with contextlib.suppress(OSError):
                os.unlink(leftover)


def describe_sqlite_error(exc: sqlite3.Error, path: Path | str) -> str:
    """Turn SQLite's error into one line that says what to do."""
    text = str(exc)
    if _is_damage(exc):
        return damaged_message(path, _damage_detail(exc))
    if "locked" in text or "busy" in text:
        return f"the database {path} is locked by another process; try again in a moment"
    if "readonly" in text or "read-only" in text:
        return f"the database {path} is read-only; check its permissions"
    if "disk" in text and "full" in text:
        return f"the disk holding {path} is full; nothing was written"
    return f"database error in {path}: {text}"


class Store:
    """One open pylee-tui database. Thread-safe: a lock serialises use of the one connection.

    It opens with plain sqlite3; `db`, the sqlite-utils view of the same connection that the
    services write through, is made on first use (a read through `rows` never needs it)."""

    def __init__(self, path: str | os.PathLike[str]):
        self.path = Path(path)
        self._lock = threading.RLock()
        self._sound = False  # integrity_check has passed on this connection
        self._damage: str | None = None  # the refusal, once damage is known
        if not _check_file_before_open(self.path):
            _create_new_store(self.path)
            _check_file_before_open(self.path)  # ours, or whatever won the race to the path
        current = self._refuse_foreign_newer_or_damaged()
        conn = None
        try:
            conn = sqlite3.connect(str(self.path), check_same_thread=False, timeout=5)
            self.conn = conn
            conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
            conn.execute("PRAGMA foreign_keys = ON")
            # deleted content (old history versions, a re-wrapped vault key) is overwritten,
            # not left readable in free pages
            conn.execute("PRAGMA secure_delete = ON")
            if conn.execute("PRAGMA journal_mode").fetchone()[0] != "wal":  # a header write
                self._require_sound()
                self.db.enable_wal()
            conn.execute("PRAGMA synchronous = FULL")
            if not current:
                self._migrate()
        except (sqlite3.Error, UnicodeDecodeError, StoreError) as exc:
            if conn is not None:
                conn.close()
            if isinstance(exc, StoreError):
                raise
            if isinstance(exc, UnicodeDecodeError):
                raise StoreError(damaged_message(self.path)) from None
            raise StoreError(describe_sqlite_error(exc, self.path)) from None

    @functools.cached_property
    def db(self) -> sqlite_utils.Database:
        """sqlite-utils over the store's one connection: what `reading` and `transaction` give."""
        import sqlite_utils

        return sqlite_utils.Database(self.conn, execute_plugins=False)

    def _refuse_foreign_newer_or_damaged(self) -> bool:
        """Read-only look at the file, before anything writes to it: refuse a newer schema,
        someone else's database, or a schema that is not byte for byte what our migrations wrote.
        True when the store is exactly what this version writes (no migration to run).

        Everything is read as bytes: a flipped bit in the schema must be reported as damage, not
        surface as a UnicodeDecodeError (or as an odd 'no such column' much later)."""
        uri = f"{self.path.resolve().as_uri()}?mode=ro"
        applied: list[tuple[bytes, bytes]] = []  # (migration set, name)
        try:
            conn = sqlite3.connect(uri, uri=True, timeout=5)
            try:
                conn.text_factory = bytes
                version = conn.execute("PRAGMA user_version").fetchone()[0]
                found: Schema = {
                    (t, n): (tbl, sql)
                    for t, n, tbl, sql in conn.execute(
                        "SELECT type, name, tbl_name, sql FROM sqlite_master"
                    )
                }
                tables = {n for t, n in found if t == b"table"}
                if _MIGRATIONS_TABLE in tables:
                    columns = {r[1] for r in conn.execute("PRAGMA table_info(_sqlite_migrations)")}
                    if not columns >= _MIGRATION_COLUMNS or not all(map(_is_utf8, columns)):
                        raise StoreError(
                            damaged_message(self.path, "its list of migrations cannot be read")
                        )
                    applied = conn.execute(
                        "SELECT migration_set, name FROM _sqlite_migrations"
                    ).fetchall()
            finally:
                conn.close()
        except UnicodeDecodeError:  # SQLite's message quoted the damaged bytes
            raise StoreError(damaged_message(self.path, "its schema cannot be read")) from None
        except sqlite3.Error as exc:
            raise StoreError(describe_sqlite_error(exc, self.path)) from None
        current = CurrentSchema.cached()
        if current is not None and current.matches(version, found, applied):
            return True
        self._refuse_by_migrations(version, found, tables, applied)
        return False

    def _refuse_by_migrations(
        self, version: int, found: Schema, tables: set[bytes], rows: list[tuple[bytes, bytes]]
    ) -> None:
        """The full check, with the migrations loaded: what is wrong, in words; a store that
        passes may still have migrations to run."""
        from pylee_tui.migrations import MIGRATION_SET, known_migrations

        mine = MIGRATION_SET.encode()
        applied = [name.decode("utf-8", "replace") for kind, name in rows if kind == mine]
        known = known_migrations()
        unknown = [name for name in applied if name not in known]
        if version > len(known) or unknown:
            raise StoreError(
                f"{self.path} was written by a newer pylee-tui (schema {max(version, 0)}, this "
                f"version knows {len(known)}); upgrade pylee-tui to open it"
            )
        if tables - {_MIGRATIONS_TABLE} and not applied:
            raise StoreError(f"{self.path} is a SQLite database but not a pylee-tui store")
        self._compare_schema(found, tuple(name for name in known if name in applied))
        CurrentSchema.remember(MIGRATION_SET, known)

    def _compare_schema(self, found: Schema, applied: tuple[str, ...]) -> None:
        expected = _expected_schema(applied)
        if expected is None:
            raise StoreError(damaged_message(self.path, "its list of migrations is inconsistent"))
        for key, want in expected.items():
            if found.get(key) != want:
                kind, name = (part.decode() for part in key)
                raise StoreError(
                    damaged_message(self.path, f"the schema of {kind} {name} is not as written")
                )
        # what a migration still to apply would create must not be there already
        from pylee_tui.migrations import known_migrations

        later = (_expected_schema(tuple(known_migrations())) or {}).keys() - expected.keys()
        if later & found.keys():
            raise StoreError(damaged_message(self.path, "its list of migrations is inconsistent"))

    def _require_sound(self) -> None:
        """Before the first write in this Store's life: `PRAGMA integrity_check`, once.

        The result is remembered, so the cost (a read of the whole file) is paid by one write per
        Store, and reads never pay it. quick_check would be a little cheaper but does not compare
        indexes with their tables: a damaged index passes it, and writes through that index
        spread the damage."""
        with self._lock:
            if self._damage is not None:
                raise StoreError(self._damage)
            if self._sound:
                return
            try:
                rows = self.conn.execute("PRAGMA integrity_check(1)").fetchall()
            except UnicodeDecodeError:
                self._damage = damaged_message(self.path)
            except sqlite3.DatabaseError as exc:
                if not _is_damage(exc):
                    raise  # e.g. locked: not a verdict on the file
                self._damage = damaged_message(self.path, _damage_detail(exc))
            else:
                if rows == [("ok",)]:
                    self._sound = True
                    return
                lines = [x for r in rows for x in str(r[0]).splitlines() if x.strip()]
                found = [x for x in lines if not x.startswith("***")]  # "*** in database main ***"
                detail = " ".join(found[0].split())[:120] if found else None
                self._damage = damaged_message(self.path, detail)
            raise StoreError(self._damage)

    def _refuse_if_damage(self, exc: BaseException) -> None:
        """Raise StoreError when `exc` (from using the connection) says the file is damaged; the
        damage is remembered so that no later write is attempted."""
        if isinstance(exc, sqlite3.DatabaseError) and _is_damage(exc):
            self._damage = damaged_message(self.path, _damage_detail(exc))
            raise StoreError(self._damage) from None
        if isinstance(exc, UnicodeDecodeError):
            # SQLite quoting bytes that are not UTF-8 means its schema changed under us; a
            # UnicodeDecodeError of our own (a bug) is left as it is
            try:
                self._refuse_foreign_newer_or_damaged()
            except StoreError as refusal:
                self._damage = str(refusal)
                raise StoreError(self._damage) from None

    def _migrate(self) -> None:
        # only write when there is something to do: a reader must not need the write lock
        from pylee_tui.migrations import migrations

        known = schema_version_known()
        with self._lock:
            pending = migrations.pending(self.db)
            if pending or self.schema_version != known:
                self._require_sound()
            if pending:
                migrations.apply(self.db)
            if self.schema_version != known:
                self.conn.execute(f"PRAGMA user_version = {known}")

    @property
    def schema_version(self) -> int:
        with self._lock:
            return self.conn.execute("PRAGMA user_version").fetchone()[0]

    @contextlib.contextmanager
    def transaction(self) -> Iterator[sqlite_utils.Database]:
        """One atomic write: everything inside commits together or not at all.

        The first one in this Store's life checks the file first; a damaged store is refused
        before anything is written (StoreError, `... is damaged; restore it from a backup`)."""
        with self._lock:
            if self.conn.in_transaction:
                with self.db.atomic():
                    yield self.db
                return
            self._require_sound()
            self.db.execute("BEGIN IMMEDIATE")
            try:
                with self.db.atomic():
                    yield self.db
                self.db.execute("COMMIT")
            except BaseException as exc:
                self.db.rollback()
                self._refuse_if_damage(exc)
                raise

    @contextlib.contextmanager
    def hold(self) -> Iterator[None]:
        """Hold this Store for a sequence of reads and transactions that must see no other
        thread's use of it in between (each transaction still commits on its own): a team
        server's call, whose token check, permission reads and writes are then one step for its
        other worker threads. Another connection to the file is not held off."""
        with self._lock:
            yield

    @contextlib.contextmanager
    def reading(self) -> Iterator[sqlite_utils.Database]:
        """Reads share the connection, so they take the same lock as writes."""
        with self._lock:
            try:
                yield self.db
            except (sqlite3.DatabaseError, UnicodeDecodeError) as exc:
                self._refuse_if_damage(exc)
                raise

    def rows(self, sql: str, params: Params = ()) -> list[dict[str, Any]]:
        """One read, its rows as dicts (what `db.query` gives) straight from sqlite3: for a
        read that must not wait for sqlite-utils to load (a cold `pylee-tui org list`)."""
        with self._lock:
            try:
                cursor = self.conn.execute(sql, params)
                names = [d[0] for d in cursor.description]
                return [dict(zip(names, row, strict=True)) for row in cursor]
            except (sqlite3.DatabaseError, UnicodeDecodeError) as exc:
                self._refuse_if_damage(exc)
                raise

    def tuples(
        self, sql: str, params: Params = (), *, stop: Callable[[], bool] | None = None
    ) -> list[tuple[Any, ...]]:
        """`rows`, each a tuple in the order of the SELECT: the cheapest form for a page of a
        long listing. With `stop`, SQLite asks it every few thousand steps and gives up (raising
        sqlite3.OperationalError "interrupted") once it says so: a search nobody waits for any
        more (a newer keystroke asked another) ends at once instead of holding the store."""
        with self._lock:
            if stop is not None:
                self.conn.set_progress_handler(stop, _STOP_EVERY)
            try:
                return self.conn.execute(sql, params).fetchall()
            except (sqlite3.DatabaseError, UnicodeDecodeError) as exc:
                self._refuse_if_damage(exc)
                raise
            finally:
                if stop is not None:
                    self.conn.set_progress_handler(None, 0)

    def close(self) -> None:
        with self._lock:
            with contextlib.suppress(sqlite3.Error):
                self.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            self.conn.close()

    def data_version(self) -> int:
        """Changes whenever another connection commits: how the app notices outside edits."""
        with self._lock:
            return self.conn.execute("PRAGMA data_version").fetchone()[0]


# --- the schema this version writes, remembered --------------------------------------------


class CurrentSchema:
    """What an up-to-date store of this version holds: its migrations and, byte for byte, its
    schema. Opening such a store needs only to compare it (no migration to load or run).

    Working it out means running every migration in memory, which loads sqlite-utils and the
    migrations (most of a cold command's time); so it is kept in a small file in the user's
    cache directory, under a key naming the migrations' source and SQLite's version. A missing,
    unreadable or stale file only means the full check runs (and writes it again)."""

    FILE = "current-schema.json"

    def __init__(self, key: str, migration_set: str, names: list[str], schema: Schema):
        self.key = key
        self.migration_set = migration_set.encode()
        self.names = sorted(name.encode() for name in names)
        self.schema = schema

    def matches(self, version: int, found: Schema, applied: list[tuple[bytes, bytes]]) -> bool:
        mine = sorted(name for kind, name in applied if kind == self.migration_set)
        if version != len(self.names) or mine != self.names:
            return False
        return {k: v for k, v in found.items() if v[0] != _MIGRATIONS_TABLE} == self.schema

    @staticmethod
    def _key() -> str | None:
        """The migrations' source and SQLite's version: what the expected schema depends on."""
        import hashlib

        try:
            source = Path(__file__).with_name("migrations.py").read_bytes()
        except OSError:
            return None
        return hashlib.sha256(source + b"\0" + sqlite3.sqlite_version.encode()).hexdigest()

    @staticmethod
    def _path() -> Path:
        from platformdirs import user_cache_path

        return user_cache_path("pylee-tui", appauthor=False) / CurrentSchema.FILE

    @classmethod
    def cached(cls) -> CurrentSchema | None:
        key = cls._key()
        if key is None:
            return None
        try:
            data = json.loads(cls._path().read_text(encoding="utf-8"))
            if data["key"] != key:
                return None
            schema: Schema = {
                (t.encode(), n.encode()): (tbl.encode(), None if sql is None else sql.encode())
                for t, n, tbl, sql in data["schema"]
            }
            return cls(key, data["migration_set"], list(data["migrations"]), schema)
        except (OSError, ValueError, KeyError, TypeError, AttributeError):
            return None

    @classmethod
    def remember(cls, migration_set: str, names: list[str]) -> None:
        """Write the file for the migrations this version knows (after a full check)."""
        key = cls._key()
        schema = _expected_schema(tuple(names))
        if key is None or schema is None:
            return
        try:
            data = {
                "key": key,
                "migration_set": migration_set,
                "migrations": names,
                "schema": [
                    [t.decode(), n.decode(), tbl.decode(), None if sql is None else sql.decode()]
                    for (t, n), (tbl, sql) in sorted(schema.items())
                ],
            }
        except UnicodeDecodeError:
            return
        path = cls._path()
        partial = path.with_name(f".{path.name}.{os.getpid()}")
        try:
            path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
            partial.write_text(json.dumps(data), encoding="utf-8")
            os.replace(partial, path)
        except OSError:
            with contextlib.suppress(OSError):
                partial.unlink()
