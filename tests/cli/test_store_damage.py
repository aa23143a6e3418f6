"""A damaged, empty or half-made store file: one line, exit 1, and nothing written to it.

Each test does real damage to a real store file (flipped bits in the schema text or an index page,
a broken page, a truncated file) and runs the CLI on it the way a user would. Reads either work or
say in one line that the file is damaged; a write is refused before it touches the file.
"""

from __future__ import annotations

import hashlib
import random
import sqlite3
from pathlib import Path

import pytest

from pylee_tui import store as store_module
from pylee_tui.services import Services
from pylee_tui.store import Store, StoreError
from tests.support import ANN, BOB, CARL, CliResult, CliRunner

DAMAGED = "is damaged"
RESTORE = "restore it from a backup"


# --- helpers ---------------------------------------------------------------------------------


def make_store(cli: CliRunner) -> Path:
    """A small store in real use: three orgs, members, a registry."""
    for name in ("Acme", "Beta", "Gamma"):
        assert cli("org", "create", name).code == 0
    assert cli("member", "invite", BOB, "--org", "acme").code == 0
    assert cli("member", "invite", CARL, "--org", "gamma").code == 0
    assert cli("registry", "create", "Tools", "--org", "acme").code == 0
    return cli.db


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def flip(path: Path, offset: int, mask: int) -> None:
    data = bytearray(path.read_bytes())
    data[offset] ^= mask
    path.write_bytes(bytes(data))


def page_of(path: Path, name: str) -> tuple[int, int]:
    """(file offset, size) of the root page of the table or index `name`."""
    conn = sqlite3.connect(path)
    try:
        size = conn.execute("PRAGMA page_size").fetchone()[0]
        (root,) = conn.execute(
            "SELECT rootpage FROM sqlite_master WHERE name = ?", [name]
        ).fetchone()
    finally:
        conn.close()
    return (root - 1) * size, size


def offset_in_page(path: Path, name: str, needle: bytes) -> int:
    start, size = page_of(path, name)
    found = path.read_bytes()[start : start + size].find(needle)
    assert found >= 0, f"{needle!r} is not in the root page of {name}"
    return start + found


def offset_in_schema(path: Path, table: str, needle: bytes) -> int:
    """Where `needle` sits inside the stored CREATE text of `table` (in sqlite_master)."""
    data = path.read_bytes()
    create = data.find(f"CREATE TABLE {table} (".encode())
    assert create >= 0
    found = data.find(needle, create)
    assert found >= 0
    return found


def integrity(path: Path) -> str:
    conn = sqlite3.connect(path)
    try:
        return "\n".join(r[0] for r in conn.execute("PRAGMA integrity_check"))
    finally:
        conn.close()


def assert_one_line_refusal(result: CliResult, *words: str) -> None:
    assert result.code == 1, result
    assert len(result.err_lines) == 1, result.err
    line = result.err_lines[0]
    assert line.startswith("pylee-tui: "), line
    assert "internal error" not in line and "Traceback" not in result.err
    for word in words:
        assert word in line, line


def assert_refused_untouched(cli: CliRunner, db: Path, *argv: str) -> None:
    """A write on a damaged file: the one-line damage refusal, and not one byte changed."""
    before = digest(db)
    assert_one_line_refusal(cli(*argv), DAMAGED, RESTORE)
    assert digest(db) == before
    wal = db.with_name(db.name + "-wal")
    assert not wal.exists() or wal.stat().st_size == 0


# --- the schema text -------------------------------------------------------------------------

# (what is hit, the table whose CREATE text it is in, the bytes found there, which byte, the flip)
SCHEMA_FLIPS = [
    # text that is no longer UTF-8 where SQLite quotes it in its error: this was
    # `internal error: UnicodeDecodeError` on every command
    ("not UTF-8 in a CHECK", "members", b"CHECK (role", 5, 0x80),
    # a column name no longer UTF-8, or renamed: reads said `database error ... no such column`
    # and writes that did not use the column went ahead
    ("a column name, no longer UTF-8", "organizations", b"slug TEXT", 1, 0x80),
    ("a column renamed", "organizations", b"slug TEXT", 2, 0x04),
    # constraints that changed meaning: reads and writes went ahead
    ("a NOT NULL garbled", "organizations", b"NOT NULL UNIQUE", 3, 0x80),
    ("a CHECK literal", "servers", b"'valid', 'draft'", 3, 0x01),
]


@pytest.mark.parametrize(
    ("what", "table", "needle", "at", "mask"), SCHEMA_FLIPS, ids=[f[0] for f in SCHEMA_FLIPS]
)
def test_a_flip_in_the_schema_text_is_one_line_and_nothing_is_written(
    cli: CliRunner, what: str, table: str, needle: bytes, at: int, mask: int
) -> None:
    db = make_store(cli)
    flip(db, offset_in_schema(db, table, needle) + at, mask)
    for read in (("org", "list"), ("whoami",), ("member", "list", "--org", "acme")):
        assert_one_line_refusal(cli(*read), DAMAGED, RESTORE)
    assert_refused_untouched(cli, db, "org", "create", "Delta")
    assert_refused_untouched(cli, db, "member", "invite", "dana@example.com", "--org", "acme")


def test_a_flip_in_sqlite_utils_own_migrations_table_is_damage_too(cli: CliRunner) -> None:
    db = make_store(cli)
    flip(db, offset_in_schema(db, '"_sqlite_migrations"', b"applied_at") + 2, 0x80)
    assert_one_line_refusal(cli("org", "list"), DAMAGED, RESTORE)
    assert_refused_untouched(cli, db, "org", "create", "Delta")


# --- index pages -----------------------------------------------------------------------------

# the key flipped is the last in its index and stays last, so the b-tree itself is in order:
# PRAGMA quick_check calls such a file "ok"; only comparing the index with its table shows it
INDEX_FLIPS = [
    ("sqlite_autoindex_organizations_1", b"gamma", ("org", "create", "Delta")),
    (
        "members_email",
        b"carl@example.com",
        ("member", "invite", "dana@example.com", "--org", "acme"),
    ),
    ("audit_events_actor", b"ann@example.com", ("org", "create", "Delta")),
]


@pytest.mark.parametrize(("index", "key", "write"), INDEX_FLIPS, ids=[f[0] for f in INDEX_FLIPS])
def test_a_damaged_index_refuses_writes_and_the_file_is_untouched(
    cli: CliRunner, index: str, key: bytes, write: tuple[str, ...]
) -> None:
    db = make_store(cli)
    # the last occurrence in the page: the highest key (the cells sit at the page's end)
    start, size = page_of(db, index)
    at = db.read_bytes()[start : start + size].rfind(key)
    assert at >= 0
    flip(db, start + at + len(key) - 2, 0x01)
    assert integrity(db) != "ok"
    assert_refused_untouched(cli, db, *write)
    # reading stays possible, to get data out before restoring
    result = cli("org", "list")
    assert result.code == 0 and "acme" in result.out, result


def test_quick_check_alone_would_miss_that_index_damage(cli: CliRunner) -> None:
    """Why the store runs integrity_check: this damage passes PRAGMA quick_check."""
    db = make_store(cli)
    start, size = page_of(db, "sqlite_autoindex_organizations_1")
    at = db.read_bytes()[start : start + size].rfind(b"gamma")
    flip(db, start + at + len(b"gamma") - 2, 0x01)
    conn = sqlite3.connect(db)
    try:
        assert conn.execute("PRAGMA quick_check").fetchall() == [("ok",)]
    finally:
        conn.close()
    assert_refused_untouched(cli, db, "org", "create", "Delta")


# --- pages and the file itself ---------------------------------------------------------------


def test_a_broken_table_page_is_one_line_for_reads_and_writes(cli: CliRunner) -> None:
    db = make_store(cli)
    start, _size = page_of(db, "organizations")
    flip(db, start, 0xFF)  # the page type byte: no longer a b-tree page
    assert_one_line_refusal(cli("org", "list"), DAMAGED, RESTORE)
    assert_refused_untouched(cli, db, "org", "create", "Delta")


@pytest.mark.parametrize("keep", [0.5, 0.9, 200])
def test_a_truncated_file_is_one_line_for_reads_and_writes(cli: CliRunner, keep: float) -> None:
    db = make_store(cli)
    data = db.read_bytes()
    db.write_bytes(data[: int(len(data) * keep) if keep < 1 else int(keep)])
    assert_one_line_refusal(cli("org", "list"), DAMAGED, RESTORE)
    assert_refused_untouched(cli, db, "org", "create", "Delta")


def test_a_stored_text_that_is_not_utf8_is_damage_without_quoting_it(cli: CliRunner) -> None:
    db = make_store(cli)
    conn = sqlite3.connect(db)
    conn.execute(
        "UPDATE organizations SET name = CAST(X'42657461FF73656372657421' AS TEXT) "
        "WHERE slug = 'beta'"
    )  # "Beta\xffsecret!": bytes pylee-tui never writes
    conn.commit()
    conn.close()
    result = cli("org", "list")
    assert_one_line_refusal(result, DAMAGED, RESTORE)
    assert "secret" not in result.err


def test_once_a_read_finds_damage_this_store_writes_nothing(db_path: Path) -> None:
    store = Store(db_path)
    services = Services(store)
    services.orgs.create(ANN, "Acme")
    store.db.execute("UPDATE organizations SET name = CAST(X'41FF' AS TEXT)")
    store.db.conn.commit()
    with pytest.raises(StoreError, match="is damaged"):
        services.orgs.list_orgs(ANN)
    with pytest.raises(StoreError, match="is damaged"):
        services.orgs.create(ANN, "Beta")
    assert store.db.execute("SELECT count(*) FROM organizations").fetchone()[0] == 1
    store.close()


# --- the cost: reads never pay for the check, the first write pays once ----------------------


def test_the_integrity_check_runs_once_at_the_first_write_and_never_for_reads(
    db_path: Path,
) -> None:
    Store(db_path).close()
    store = Store(db_path)
    statements: list[str] = []
    store.db.conn.set_trace_callback(statements.append)
    services = Services(store)
    services.orgs.list_orgs(ANN)
    services.settings.get_setting("theme")
    assert not [s for s in statements if "integrity_check" in s or "quick_check" in s]
    services.orgs.create(ANN, "Acme")
    services.orgs.create(ANN, "Beta")
    services.settings.set_setting("theme", "nord")
    assert len([s for s in statements if "integrity_check" in s]) == 1
    store.close()


# --- empty files, empty names, a first start cut short --------------------------------------


def test_an_empty_existing_file_is_refused_and_left_empty(cli: CliRunner, tmp_path: Path) -> None:
    empty = tmp_path / "empty.db"
    empty.touch()
    for argv in (("org", "list"), ("org", "create", "Acme")):
        result = cli(*argv, db=empty)
        assert_one_line_refusal(result, "is empty, not a pylee-tui database")
    assert empty.stat().st_size == 0
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith("empty")) == ["empty.db"]


def test_db_given_as_an_empty_string_is_an_error_not_the_default_store(
    cli: CliRunner, isolated_environment: Path
) -> None:
    result = cli("org", "create", "Acme", "--db", "", db=None)
    assert_one_line_refusal(result, "--db needs a file name")
    assert not (isolated_environment / "pylee-tui").exists()


def test_an_interrupted_first_start_leaves_nothing_at_the_path(
    cli: CliRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    def interrupted(*_args, **_kwargs):
        raise KeyboardInterrupt

    # interrupted while the new store's schema goes in (a copy of the migrated schema)
    monkeypatch.setattr(store_module, "_fresh_schema", interrupted)
    assert cli("org", "create", "Acme").code == 130
    # no empty or half-made pylee.db (nor a stray temporary file) is left behind
    assert not cli.db.exists()
    assert list(cli.db.parent.iterdir()) == []
    monkeypatch.undo()
    assert cli("org", "create", "Acme").code == 0
    assert "acme" in cli("org", "list").out


def test_a_new_store_is_complete_and_private_the_moment_it_appears(tmp_path: Path) -> None:
    path = tmp_path / "new" / "pylee.db"
    store = Store(path)
    try:
        assert sorted(
            p.name for p in path.parent.iterdir() if not p.name.endswith(("-wal", "-shm"))
        ) == ["pylee.db"]
        assert integrity(path) == "ok"
        assert path.stat().st_mode & 0o777 == 0o600
    finally:
        store.close()


# --- random bit flips ------------------------------------------------------------------------


def damage_targets(path: Path) -> list[int]:
    """Every byte of the schema text and of the used part of each index's root page: where the
    issue's random flips went unreported (or crashed) before."""
    data = path.read_bytes()
    conn = sqlite3.connect(path)
    try:
        page = conn.execute("PRAGMA page_size").fetchone()[0]
        rows = conn.execute("SELECT type, sql, rootpage FROM sqlite_master").fetchall()
    finally:
        conn.close()
    targets: list[int] = []
    for kind, sql, root in rows:
        if sql:
            at = data.find(sql.encode())
            targets.extend(range(at, at + len(sql.encode())))
        if kind == "index" and root:
            start = (root - 1) * page
            cells = int.from_bytes(data[start + 5 : start + 7], "big") or 65536
            targets.extend(range(start + min(cells, page), start + page))
    return sorted(set(targets))


def test_twenty_random_bit_flips_never_crash_and_never_write_into_damage(
    cli: CliRunner,
) -> None:
    """Half the flips land anywhere in the file, half where the issue found damage missed."""
    db = make_store(cli)
    pristine = db.read_bytes()
    targets = damage_targets(db)
    rng = random.Random(11)
    refused = succeeded = 0
    for trial in range(20):
        offset = rng.choice(targets) if trial % 2 else rng.randrange(len(pristine))
        mask = 1 << rng.randrange(8)
        damaged = bytearray(pristine)
        damaged[offset] ^= mask
        db.write_bytes(bytes(damaged))
        where = f"trial {trial}: bit {mask:#04x} at byte {offset}"
        read = cli("org", "list")
        if read.code != 0:
            assert_one_line_refusal(read, DAMAGED, RESTORE)
        before = digest(db)
        write = cli("org", "create", f"Trial {trial}")
        if write.code == 0:  # success: with an intact store that holds the new org
            succeeded += 1
            assert integrity(db) == "ok", where
            assert f"trial-{trial}" in cli("org", "list").out, where
        else:  # the one-line refusal, and the file as it was
            refused += 1
            assert_one_line_refusal(write, DAMAGED, RESTORE)
            assert digest(db) == before, where
        for path in db.parent.glob(db.name + "-*"):
            path.unlink()
    # both outcomes happened: the trials did hit damage, and did not refuse everything
    assert refused >= 5 and succeeded >= 5, (refused, succeeded)
