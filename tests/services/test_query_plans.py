"""Every query the services run is served by an index. A workflow that exercises every service
(orgs, registries, servers, import, members, variables, secrets, history, rollback, restore,
effective configurations, export, audit, search) runs with SQLite's statement trace on; then
each statement it ran is explained, and run again once another org's data is added.

It fails on a full scan of a table that grows with the data (servers, variables, their history,
audit events, members, export records), and on a query whose work grows with another org's rows
(an index search can still read the whole store: `registry_id IS ?` with NULL, served by the
index on registry_id, reads every org-scope and server-scope key of every org). Either costs
tens of milliseconds per call on a store of 100,000 keys. The failure names the query."""

from __future__ import annotations

import os
import re
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from unittest import mock

import pytest

from pylee_tui.services import Scope, Services
from pylee_tui.services.audit import AuditFilter
from pylee_tui.store import Store
from tests.support import ANN, BOB, CARL, Clock, server_doc

# the tables whose size follows the data: a scan of one is a cost that grows with the store
LARGE_TABLES = {
    "servers",
    "variables",
    "variable_versions",
    "audit_events",
    "members",
    "registries",
    "export_files",
    "export_owners",
}
# statements that read a whole large table by nature (the end of the text), and why
WHOLE_TABLE_READS: dict[str, str] = {}
# statements whose work grows with every org's rows by nature (the end of the text), and why
EVERY_ORG: dict[str, str] = {
    "FROM members WHERE status = 'invited'": "expiring old invitations reads every pending "
    "one, of every org (the rows it may change), through the index of pending invitations",
}
_SKIPPED = re.compile(
    r"^\s*(--|BEGIN|COMMIT|END|ROLLBACK|SAVEPOINT|RELEASE|PRAGMA|CREATE|DROP|ALTER|ANALYZE)",
    re.IGNORECASE,
)
_SCAN = re.compile(r"^SCAN (\w+)")
_ALIAS = re.compile(r"\b(?:FROM|JOIN|UPDATE|INTO)\s+\"?(\w+)\"?(?:\s+(?:AS\s+)?(\w+))?", re.I)
_NOT_ALIASES = {"where", "on", "join", "left", "inner", "order", "group", "using", "set", "values"}

Statement = tuple[str, Any]  # SQL as the service wrote it, and its parameters


class Trace:
    """Every statement the store's connection runs, in order. SQLite's trace sees them all,
    with the parameters written into the text; a literal plans differently from a parameter
    (`x IS NULL` is not `x IS ?`), so a statement sent through sqlite-utils (every service
    query) is kept as the service wrote it, with its parameters."""

    def __init__(self, store: Store) -> None:
        self.statements: list[Statement] = []
        self._sent: Statement | None = None
        self._store = store

    def __enter__(self) -> Trace:
        self._store.db._tracer = self._sending  # sqlite-utils' hook, called before each run
        self._store.db.conn.set_trace_callback(self._ran)
        return self

    def __exit__(self, *exc: object) -> None:
        self._store.db.conn.set_trace_callback(None)
        self._store.db._tracer = None

    def _sending(self, sql: str, params: Any) -> None:
        self._sent = (sql, params)

    def _ran(self, expanded: str) -> None:
        if _SKIPPED.match(expanded):
            return
        sent, self._sent = self._sent, None
        self.statements.append(sent if sent is not None else (expanded, None))

    def distinct(self) -> list[Statement]:
        """Each text once, with the parameters of its first run."""
        first: dict[str, Any] = {}
        for sql, params in self.statements:
            first.setdefault(sql, params)
        return list(first.items())


def _run(conn: sqlite3.Connection, sql: str, params: Any) -> sqlite3.Cursor:
    return conn.execute(sql, params) if params is not None else conn.execute(sql)


def _short(sql: str) -> str:
    return " ".join(sql.split())[:300]


def _tables_of(sql: str) -> dict[str, str]:
    """alias (or table name) -> table, for every table the statement names."""
    found: dict[str, str] = {}
    for table, alias in _ALIAS.findall(sql):
        found[table.lower()] = table.lower()
        if alias and alias.lower() not in _NOT_ALIASES:
            found[alias.lower()] = table.lower()
    return found


def _partial_indexes(conn: sqlite3.Connection) -> set[str]:
    return {
        name
        for name, sql in conn.execute("SELECT name, sql FROM sqlite_master WHERE type = 'index'")
        if sql and re.search(r"\)\s*WHERE\s", sql)
    }


def full_scans(conn: sqlite3.Connection, sql: str, params: Any = None) -> list[str]:
    """The plan lines of `sql` that read a whole large table. Reading all of a partial index
    is not one: it holds only the rows its condition (the query's own) names."""
    tables = _tables_of(sql)
    partial = _partial_indexes(conn)
    scans = []
    for _id, _parent, _unused, detail in _run(conn, f"EXPLAIN QUERY PLAN {sql}", params):
        match = _SCAN.match(detail)
        using = re.search(r"USING (?:COVERING )?INDEX (\w+)", detail)
        if using and using.group(1) in partial:
            continue
        # a name the statement does not give is a table SQLite reads itself (a foreign key's
        # ON DELETE CASCADE, say)
        name = match.group(1).lower() if match else ""
        if match and tables.get(name, name) in LARGE_TABLES:
            scans.append(detail)
    return scans


@pytest.fixture
def worked(tmp_path: Path) -> Iterator[tuple[Services, Trace]]:
    """Services over a store on which the workflow has run, and what it ran."""
    store = Store(tmp_path / "plans.db")
    services = Services(store, clock=Clock())
    try:
        with Trace(store) as trace:
            exercise_every_service(services, tmp_path)
        yield services, trace
    finally:
        store.close()


def _document(name: str, env: list[str]) -> dict:
    doc = server_doc(name)
    doc["packages"][0]["environmentVariables"] = [
        {"name": key, "isRequired": True, "isSecret": key.endswith("TOKEN")} for key in env
    ]
    return doc


def exercise_every_service(s: Services, tmp_path: Path) -> None:
    """What a day of use does, through every service."""
    clock = s.clock
    assert isinstance(clock, Clock)
    # orgs
    s.orgs.create(ANN, "Acme", slug="acme", overview="# Acme\n")
    s.orgs.create(ANN, "Spare", slug="spare")
    s.orgs.list_orgs(ANN)
    s.orgs.get_org(ANN, "acme")
    s.orgs.role(ANN, "acme")
    s.orgs.edit(ANN, "acme", description="the big one")
    s.orgs.contents(ANN, "spare")
    s.orgs.delete(ANN, "spare")
    # members
    s.members.invite(ANN, "acme", BOB, role="member")
    s.members.invite(ANN, "acme", CARL, role="member")
    s.members.pending_for(BOB)
    s.members.accept(BOB, "acme")
    s.members.accept(CARL, "acme")
    s.members.grant(ANN, "acme", BOB, "secrets:write")
    s.members.revoke_grant(ANN, "acme", BOB, "secrets:write")
    s.members.change_role(ANN, "acme", BOB, "admin")
    s.members.change_role(ANN, "acme", BOB, "member")
    s.members.removal(ANN, "acme", CARL)
    s.members.remove(ANN, "acme", CARL)
    s.members.list_members(ANN, "acme")
    # registries and servers
    s.registries.create(ANN, "acme", "Platform", slug="platform")
    s.registries.create(ANN, "acme", "Tools", slug="tools")
    s.registries.create(ANN, "acme", "Old", slug="old")
    platform, tools = Scope("acme", "platform"), Scope("acme", "tools")
    s.registries.import_servers(
        ANN,
        platform,
        [_document(f"io.example/server-{i}", ["API_TOKEN", "BASE_URL"]) for i in range(4)],
    )
    s.registries.add_server(ANN, tools, _document("io.example/tool", ["API_TOKEN", "TOOL_URL"]))
    s.registries.add_server(ANN, tools, _document("io.example/spare", ["API_TOKEN"]))
    s.registries.edit_server(
        ANN, Scope("acme", "tools", "io.example/tool"), _document("io.example/tool", ["TOOL_URL"])
    )
    s.registries.list_registries(ANN, "acme")
    s.registries.get_registry(ANN, platform)
    s.registries.edit(ANN, platform, description="core servers", overview="# Platform\n")
    s.registries.list_servers(ANN, platform)
    s.registries.list_servers(ANN, platform, query="server-1")
    s.registries.drafts(ANN, "acme")
    s.registries.get_server(ANN, Scope("acme", "platform", "io.example/server-1"))
    s.registries.export_servers(ANN, platform)
    # the vault, variables and secrets at every scope
    s.vault.initialize(ANN, "a passphrase for the plans")
    server = Scope("acme", "platform", "io.example/server-1")
    s.variables.set_key(ANN, Scope("acme"), "API_TOKEN", "org-token", kind="secret")
    s.variables.set_key(ANN, Scope("acme"), "REGION", "eu")
    s.variables.set_key(ANN, platform, "BASE_URL", "https://${REGION}.example")
    s.variables.set_key(ANN, tools, "TOOL_URL", "https://tools.example")
    s.variables.set_key(ANN, server, "API_TOKEN", "server-token", kind="secret")
    s.variables.set_key(ANN, server, "REGION", "us")
    s.variables.set_key(ANN, server, "REGION", "ap")
    s.variables.set_key(ANN, Scope("acme", "tools", "io.example/spare"), "X", "1")
    s.variables.list_keys(ANN, platform)
    s.variables.list_keys(ANN, server, kind="secret")
    s.variables.get_key(ANN, server, "REGION")
    s.variables.reveal(ANN, server, "API_TOKEN")
    s.variables.history(ANN, server, "REGION")
    s.variables.rollback(ANN, server, "REGION", 1)
    s.variables.unset(ANN, server, "REGION")
    s.variables.deleted(ANN, server)
    s.variables.restore(ANN, server, "REGION")
    s.variables.unset(ANN, server, "REGION")
    s.variables.rollback(ANN, server, "REGION", 2)
    s.variables.effective(ANN, server)
    s.variables.effective(ANN, server, reveal=True)
    s.variables.reveal_effective(ANN, platform, "BASE_URL")
    s.variables.effective_for_servers(ANN, platform)
    s.variables.changes(ANN, server)
    s.variables.registry_scopes(ANN, "acme")
    s.variables.server_names(ANN, platform, start=1, limit=2)
    # starting servers: what run executes, and checks (no runtime on PATH: each check ends
    # missing-runtime without starting anything, and is stored)
    s.launch.preview(ANN, server)
    s.launch.launch(ANN, server)
    with mock.patch.dict(os.environ, {"PATH": str(tmp_path / "no-runtimes")}):
        checked = s.checks.check(
            ANN, platform, ["io.example/server-1", "io.example/server-2"], timeout=5
        )
    assert [r.state for r in checked] == ["missing-runtime"] * 2
    s.checks.last_results(ANN, platform)
    s.checks.last_result(ANN, server)
    s.checks.tools(ANN, server)
    s.checks.registry_tokens(ANN, platform)
    s.vault.lock()
    s.vault.unlock("a passphrase for the plans")
    s.vault.change_passphrase(ANN, "a passphrase for the plans", "a new passphrase")
    # moving, removing and deleting what holds keys and history
    s.registries.move_server(ANN, Scope("acme", "tools", "io.example/spare"), "old")
    s.registries.server_contents(ANN, Scope("acme", "old", "io.example/spare"))
    s.registries.remove_server(ANN, Scope("acme", "old", "io.example/spare"))
    s.registries.contents(ANN, Scope("acme", "old"))
    s.registries.delete(ANN, Scope("acme", "old"))
    # export: every client, into a file and again over it
    for client in ("claude", "vscode", "cursor"):
        path = tmp_path / f"{client}.json"
        # Claude takes literal values only; VS Code takes secrets as inputs, never inline
        for inline in {"claude": [True], "vscode": [False]}.get(client, [False, True]):
            s.export.install_with_names(ANN, platform, client, path, inline_secrets=inline)
            s.export.install_with_names(ANN, platform, client, path, inline_secrets=inline)
        s.export.plan(ANN, tools, client, inline_secrets=client != "vscode")
    # audit, search, onboarding, settings
    s.audit.list_for_org(ANN, "acme")
    s.audit.list_for_org(ANN, "acme", limit=50, query="secret")
    s.audit.list_for_org(ANN, "acme", where=AuditFilter(action="secret.", by=ANN))
    s.audit.list_by_actor(ANN, limit=20)
    s.search.search(ANN, "acme", "server")
    s.onboarding.state(ANN, "acme")
    s.settings.set_setting("theme", "nord")
    s.settings.get_setting("theme")
    clock.advance(days=8)
    s.members.invite(ANN, "acme", CARL)
    s.members.list_members(ANN, "acme")


def test_no_service_query_scans_a_large_table(worked: tuple[Services, Trace]) -> None:
    services, trace = worked
    assert len(trace.statements) > 300  # the trace saw the workflow
    conn = services.store.db.conn
    offending: dict[str, list[str]] = {}
    for sql, params in trace.distinct():
        if any(sql.rstrip().endswith(pattern) for pattern in WHOLE_TABLE_READS):
            continue
        scans = full_scans(conn, sql, params)
        if scans:
            offending[_short(sql)] = scans
    assert not offending, "full scans of large tables:\n" + "\n".join(
        f"- {sql}\n    {'; '.join(scans)}" for sql, scans in offending.items()
    )


# how much of the VM's work one progress callback stands for
_OPS_PER_TICK = 100


def vm_work(conn: sqlite3.Connection, sql: str, params: Any) -> int:
    """The work (in SQLite VM steps / 100) of running `sql` once; a write is undone."""
    ticks = 0

    def tick() -> int:
        nonlocal ticks
        ticks += 1
        return 0

    conn.execute("SAVEPOINT probe")
    conn.set_progress_handler(tick, _OPS_PER_TICK)
    try:
        _run(conn, sql, params).fetchall()
    except sqlite3.Error:
        return -1  # a statement that cannot run again as it was (a uniqueness clash, say)
    finally:
        conn.set_progress_handler(None, 0)
        conn.execute("ROLLBACK TO probe")
        conn.execute("RELEASE probe")
    return ticks


def add_another_org(conn: sqlite3.Connection, size: int = 4_000) -> None:
    """A second org as big as `size` at every level, written directly: none of the workflow's
    queries has any reason to read it."""
    now = "2025-01-01T00:00:00Z"
    with conn:
        # ids far from the workflow's: a deleted org's or registry's id is free again, and
        # the workflow's statements name them
        org = conn.execute(
            "INSERT INTO organizations (id, name, slug, created_at, updated_at) "
            "VALUES (1000, 'Other', 'other-org', ?, ?)",
            [now, now],
        ).lastrowid
        registries = [
            conn.execute(
                "INSERT INTO registries (id, org_id, name, slug, created_at, updated_at) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                [1000 + r, org, f"R{r}", f"r{r}", now, now],
            ).lastrowid
            for r in range(4)
        ]
        servers = [
            conn.execute(
                "INSERT INTO servers (id, registry_id, name, document, created_at, updated_at) "
                "VALUES (?, ?, ?, '{}', ?, ?)",
                [100_000 + i, registries[i % 4], f"io.other/s{i}", now, now],
            ).lastrowid
            for i in range(size // 4)
        ]
        for i in range(size):
            where = [(None, None), (registries[i % 4], None), (None, servers[i % len(servers)])]
            registry_id, server_id = where[i % 3]
            scope = ("org", "registry", "server")[i % 3]
            key = f"K{i}"
            conn.execute(
                "INSERT INTO variables (org_id, registry_id, server_id, scope, key, kind, "
                "value, created_at, updated_at, updated_by) "
                "VALUES (?, ?, ?, ?, ?, 'variable', 'v', ?, ?, 'x@example.com')",
                [org, registry_id, server_id, scope, key, now, now],
            )
            conn.execute(
                "INSERT INTO variable_versions (org_id, registry_id, server_id, key, version, "
                "action, kind, value, created_at, created_by) "
                "VALUES (?, ?, ?, ?, 1, 'set', 'variable', 'v', ?, 'x@example.com')",
                [org, registry_id, server_id, key, now],
            )
            conn.execute(
                "INSERT INTO audit_events (org_id, org_slug, actor, action, target_type, "
                "created_at) VALUES (?, 'other-org', 'x@example.com', 'variable.set', "
                "'variable', ?)",
                [org, now],
            )
        for i in range(size // 4):
            conn.execute(
                "INSERT INTO members (org_id, email, role, status, invited_at) "
                "VALUES (?, ?, 'member', ?, ?)",
                [org, f"m{i}@other.example", ("active", "invited")[i % 2], now],
            )


def test_no_service_query_reads_another_orgs_rows(worked: tuple[Services, Trace]) -> None:
    """Each statement is run again once another org's data is added: its work must not grow."""
    services, trace = worked
    conn = services.store.db.conn
    statements = [
        (sql, params)
        for sql, params in trace.distinct()
        if sql.lstrip().upper().startswith(("SELECT", "WITH", "DELETE", "UPDATE"))
        and not any(sql.rstrip().endswith(pattern) for pattern in EVERY_ORG)
    ]
    before = [vm_work(conn, sql, params) for sql, params in statements]
    add_another_org(conn)
    grown = {}
    for (sql, params), work in zip(statements, before, strict=True):
        after = vm_work(conn, sql, params)
        if work >= 0 and after > 2 * work + 20:
            grown[_short(sql)] = (work, after)
    assert not grown, "queries whose work grows with another org's rows:\n" + "\n".join(
        f"- {sql}\n    {b * _OPS_PER_TICK:,} -> {a * _OPS_PER_TICK:,} VM steps"
        for sql, (b, a) in grown.items()
    )


def test_every_foreign_key_has_an_index(store: Store) -> None:
    """Deleting a parent row makes SQLite find its children (ON DELETE CASCADE): without an
    index on the child's column, that is a scan of the child table for every row deleted,
    whichever statement deletes it (a server goes with its registry, a registry with its org)."""
    conn = store.db.conn
    unindexed = []
    tables = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
    for table in tables:
        leading = set()
        # (seq, name, unique, origin, partial): a partial index does not hold every row
        for _seq, index, _unique, _origin, partial in conn.execute(
            f"PRAGMA index_list('{table}')"
        ).fetchall():
            first = conn.execute(f"PRAGMA index_xinfo('{index}')").fetchone()
            if first is not None and not partial:
                leading.add(first[1])  # (seqno, cid, ...): the column; -2, an expression
        columns = {r[1]: r[0] for r in conn.execute(f"PRAGMA table_info('{table}')")}
        for fk in conn.execute(f"PRAGMA foreign_key_list('{table}')"):
            column = fk[3]
            if columns[column] not in leading:
                unindexed.append(f"{table}.{column} -> {fk[2]}")
    assert not unindexed, f"foreign keys without an index: {unindexed}"


def test_the_checker_sees_a_scan(store: Store) -> None:
    conn = store.db.conn
    assert full_scans(conn, "SELECT * FROM variables v WHERE v.value = 'x'") == ["SCAN v"]
    assert full_scans(conn, "SELECT * FROM organizations WHERE name = 'x'") == []
    assert full_scans(conn, "SELECT * FROM servers WHERE id = 3") == []
