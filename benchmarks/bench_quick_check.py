"""The damage check on a ~100 MB store: what the first write in a Store's life pays for it.

Builds two stores of about TARGET_MB in a temporary directory: a typical one (servers with
sizeable server.json documents, a 50,000-event audit log) and an index-heavy worst case (nothing
but audit events, three b-trees per row). On each, as the median of RUNS fresh opens with a warm
page cache:

- open: `Store(path)` and one small read, which is all a read command pays (the baseline);
- open + `PRAGMA quick_check`, and open + `PRAGMA integrity_check`: the one the store runs, since
  unlike quick_check it also compares every index with its table (how a damaged index shows);
- the first write of a Store (open, the check, one settings write) beside the same write with
  the check skipped: the ratio a write command sees.

Target: the check costs at most CHECK_TARGET_MS per 100 MB. A cold cache adds one read of the
file from disk (not measured: dropping the page cache needs root).
"""

from __future__ import annotations

import os
import random
import statistics
import tempfile
import time
from pathlib import Path

from pylee_tui.services import Scope, Services
from pylee_tui.store import Store

USER = "bench@example.com"
TARGET_MB = float(os.environ.get("BENCH_QUICK_CHECK_MB", "100"))
RUNS = 5
CHECK_TARGET_MS = 1000.0
SERVERS_PER_IMPORT = 1000
AUDIT_EVENTS = 50_000


def _document(registry: int, i: int, rng: random.Random) -> dict:
    env = [
        {
            "name": f"SETTING_{j}",
            "description": "x" * rng.randint(40, 90),
            "isRequired": rng.random() < 0.5,
            "isSecret": j == 0,
        }
        for j in range(rng.randint(6, 12))
    ]
    return {
        "name": f"io.github.bench-{registry}/server-{i:05d}",
        "description": f"Benchmark server {i} of registry {registry}",
        "version": "1.0.0",
        "packages": [
            {
                "registryType": "npm",
                "identifier": f"@bench-{registry}/server-{i:05d}",
                "version": "1.0.0",
                "transport": {"type": "stdio"},
                "environmentVariables": env,
            }
        ],
    }


def _build(db: Path) -> dict[str, float]:
    started = time.perf_counter()
    rng = random.Random(11)
    store = Store(db)
    s = Services(store)
    s.orgs.create(USER, "Bench")
    for email in ("bob@example.com", "carl@example.com", "dana@example.com"):
        s.members.invite(USER, "bench", email)
    _add_audit_events(store, rng, AUDIT_EVENTS)
    registry = count = 0
    while _size(store) < TARGET_MB * 1e6:
        if count % (5 * SERVERS_PER_IMPORT) == 0:
            registry += 1
            s.registries.create(USER, "bench", f"Registry {registry}")
        docs = [_document(registry, count + i, rng) for i in range(SERVERS_PER_IMPORT)]
        s.registries.import_servers(USER, Scope("bench", f"registry-{registry}"), docs)
        count += SERVERS_PER_IMPORT
    store.close()
    return {
        "servers": count,
        "registries": registry,
        "size_mb": db.stat().st_size / 1e6,
        "build_s": time.perf_counter() - started,
    }


def _add_audit_events(store: Store, rng: random.Random, count: int) -> None:
    """An audit log of a store in long use: rows as the services write them, in bulk."""
    with store.transaction() as db:
        org_id = db.execute("SELECT id FROM organizations WHERE slug = 'bench'").fetchone()[0]
        start = db.execute("SELECT count(*) FROM audit_events").fetchone()[0]
        db.conn.executemany(
            "INSERT INTO audit_events (org_id, org_slug, actor, action, target_type, target_id,"
            " target_label, created_at, metadata) VALUES (?, 'bench', ?, 'variable.set',"
            " 'variable', ?, ?, ?, '{\"scope\": \"org\"}')",
            [
                (
                    org_id,
                    rng.choice((USER, "bob@example.com", "carl@example.com")),
                    str(i),
                    f"KEY_{i % 300}",
                    f"2025-05-{1 + i % 28:02d}T09:{i % 60:02d}:00.000000+00:00",
                )
                for i in range(start, start + count)
            ],
        )


def _build_audit_only(db: Path) -> dict[str, float]:
    started = time.perf_counter()
    rng = random.Random(12)
    store = Store(db)
    Services(store).orgs.create(USER, "Bench")
    while _size(store) < TARGET_MB * 1e6:
        _add_audit_events(store, rng, 100_000)
    with store.reading() as conn:
        events = conn.execute("SELECT count(*) FROM audit_events").fetchone()[0]
    store.close()
    return {
        "events": events,
        "size_mb": db.stat().st_size / 1e6,
        "build_s": time.perf_counter() - started,
    }


def _size(store: Store) -> int:
    """The database's size including what is still in the WAL."""
    with store.reading() as db:
        pages = db.execute("PRAGMA page_count").fetchone()[0]
        return pages * db.execute("PRAGMA page_size").fetchone()[0]


def _timed(fn) -> float:
    start = time.perf_counter()
    fn()
    return (time.perf_counter() - start) * 1000


def _open_and_read(db: Path, pragma: str | None = None) -> None:
    store = Store(db)
    try:
        with store.reading() as conn:
            conn.execute("SELECT count(*) FROM organizations").fetchone()
            if pragma is not None:
                assert conn.execute(f"PRAGMA {pragma}").fetchall() == [("ok",)]
    finally:
        store.close()


def _first_write(db: Path, check: bool) -> None:
    store = Store(db)
    try:
        if not check:
            store._sound = True  # as if the check had already run: the write alone
        Services(store).settings.set_setting("bench.touch", str(time.time()))
    finally:
        store.close()


def _median(fn, runs: int = RUNS) -> float:
    fn()  # warm-up: imports, the page cache
    return statistics.median(_timed(fn) for _ in range(runs))


def _measure(db: Path, built: dict[str, float]) -> dict[str, float]:
    r = dict(built)
    r["open_ms"] = _median(lambda: _open_and_read(db))
    r["quick_ms"] = _median(lambda: _open_and_read(db, "quick_check"))
    r["integrity_ms"] = _median(lambda: _open_and_read(db, "integrity_check"))
    r["write_unchecked_ms"] = _median(lambda: _first_write(db, check=False))
    r["write_checked_ms"] = _median(lambda: _first_write(db, check=True))
    r["check_per_100mb_ms"] = (r["integrity_ms"] - r["open_ms"]) * 100 / r["size_mb"]
    return r


def run() -> dict[str, dict[str, float]]:
    with tempfile.TemporaryDirectory() as tmp:
        typical = Path(tmp) / "typical.db"
        result = {"typical": _measure(typical, _build(typical))}
        typical.unlink()
        audit = Path(tmp) / "audit.db"
        result["audit"] = _measure(audit, _build_audit_only(audit))
    return result


def _lines(r: dict[str, float]) -> str:
    verdict = "OK" if r["check_per_100mb_ms"] <= CHECK_TARGET_MS else "OVER TARGET"
    return (
        f"  open + one read (baseline: what reads pay) : {r['open_ms']:8.1f} ms\n"
        f"  open + quick_check                         : {r['quick_ms']:8.1f} ms\n"
        f"  open + integrity_check (the one run)       : {r['integrity_ms']:8.1f} ms "
        f"({r['integrity_ms'] / r['open_ms']:.0f}x the baseline, "
        f"{r['integrity_ms'] / r['quick_ms']:.1f}x quick_check)\n"
        f"  first write, check skipped                 : {r['write_unchecked_ms']:8.1f} ms\n"
        f"  first write, checked (what a write pays)   : {r['write_checked_ms']:8.1f} ms "
        f"({r['write_checked_ms'] / r['write_unchecked_ms']:.0f}x)\n"
        f"  the check per 100 MB                       : {r['check_per_100mb_ms']:8.1f} ms"
        f"  (target <= {CHECK_TARGET_MS:.0f} ms: {verdict})"
    )


def report(result: dict[str, dict[str, float]]) -> str:
    t, a = result["typical"], result["audit"]
    return (
        f"damage check (median of {RUNS}, warm cache) on a {t['size_mb']:.0f} MB store: "
        f"{t['servers']:.0f} servers in {t['registries']:.0f} registries, {AUDIT_EVENTS} audit "
        f"events (built in {t['build_s']:.0f} s)\n"
        f"{_lines(t)}\n"
        f"index-heavy worst case, a {a['size_mb']:.0f} MB store of {a['events']:.0f} audit "
        f"events (built in {a['build_s']:.0f} s)\n"
        f"{_lines(a)}"
    )


if __name__ == "__main__":
    print(report(run()))
