"""Import of server.json entries into a new registry: through the service (validation, drafts,
the audit event, one transaction) against raw sqlite3 inserting the same rows into a copy of the
same file; and the validation alone against jsonschema's Draft7Validator on the same documents
(what validation was before the schema was compiled).

Large: 5,000 entries (the official seed list's servers, renamed per copy, as the large store's:
about half of them are drafts, so the messages jsonschema gives for them are on the path); small:
200. The stores are copies: the cached one is never written.
"""

from __future__ import annotations

import json
import random
import shutil
import sqlite3
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from jsonschema import Draft7Validator  # noqa: E402

from benchmarks.harness import Figure  # noqa: E402
from benchmarks.large_store import (  # noqa: E402
    BIG_ORG,
    LARGE,
    SMALL,
    USER,
    _server,
    _templates,
    cached,
)
from pylee_tui.server_json import schema, to_current, validate  # noqa: E402
from pylee_tui.services import Scope, Services  # noqa: E402
from pylee_tui.store import Store  # noqa: E402

ENTRIES = {"large": 5_000, "small": 200}
RUNS = {"large": 3, "small": 5}
LIMIT_MS = 1000.0  # issue 14: 5,000 entries in at most a second


def documents(n: int, seed: int = 7) -> list[dict[str, Any]]:
    rng = random.Random(seed)
    templates = _templates()
    return [
        _server(rng.choice(templates), f"io.example.imported/server-{i:05d}", ["IMPORT_TOKEN"], rng)
        for i in range(n)
    ]


def _service_import(store_file: Path, docs: list[dict[str, Any]], slug: str) -> float:
    """One import through the service into a new registry; ms. The store's first write (and so
    its whole-file damage check, a cost of the session, not of the import) happens before."""
    store = Store(store_file)
    try:
        services = Services(store)
        services.registries.create(USER, BIG_ORG, slug, slug=slug)
        started = time.perf_counter()
        report = services.registries.import_servers(USER, Scope(BIG_ORG, slug), docs)
        elapsed = (time.perf_counter() - started) * 1000
        assert report.imported + report.drafts == len(docs), "the import left entries out"
        return elapsed
    finally:
        store.close()


def _raw_rows(docs: list[dict[str, Any]], registry_id: int) -> list[tuple]:
    now = "2026-01-01T00:00:00+00:00"
    rows = []
    for doc in docs:
        current, _notes = to_current(doc)
        rows.append(
            (
                registry_id,
                current["name"],
                str(current.get("version", "")),
                str(current.get("description", "")),
                json.dumps(current, ensure_ascii=False),
                "valid",
                "[]",
                now,
                now,
            )
        )
    return rows


def _raw_import(store_file: Path, docs: list[dict[str, Any]], slug: str) -> float:
    """The same rows inserted with sqlite3 (serialized beforehand) into a new registry; ms."""
    conn = sqlite3.connect(store_file, isolation_level=None)
    try:
        conn.execute("PRAGMA synchronous=FULL")
        org = conn.execute("SELECT id FROM organizations WHERE slug = ?", [BIG_ORG]).fetchone()
        org_id = org[0]
        conn.execute(
            "INSERT INTO registries (org_id, name, slug, description, overview, created_at, "
            "updated_at) VALUES (?, ?, ?, '', '', '', '')",
            [org_id, slug, slug],
        )
        registry_id = conn.execute("SELECT last_insert_rowid()").fetchone()[0]
        rows = _raw_rows(docs, registry_id)
        started = time.perf_counter()
        conn.execute("BEGIN")
        conn.executemany(
            "INSERT INTO servers (registry_id, name, version, description, document, status, "
            "problems, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            rows,
        )
        conn.execute("COMMIT")
        return (time.perf_counter() - started) * 1000
    finally:
        conn.close()


def _validation_ms(docs: list[dict[str, Any]]) -> tuple[float, float, int]:
    """(server_json.validate, plain jsonschema on the same documents, drafts), ms each."""
    current = [to_current(d)[0] for d in docs]
    plain = Draft7Validator(schema())
    validate(current[0])  # compiled once, outside the timing as the validator below is
    started = time.perf_counter()
    drafts = sum(1 for doc in current if validate(doc))
    ours = (time.perf_counter() - started) * 1000
    started = time.perf_counter()
    for doc in current:
        sorted(plain.iter_errors(doc), key=lambda e: list(e.absolute_path))
    theirs = (time.perf_counter() - started) * 1000
    return ours, theirs, drafts


def measure(size: str) -> tuple[str, list[Figure]]:
    shape = LARGE if size == "large" else SMALL
    n, runs = ENTRIES[size], RUNS[size]
    docs = documents(n)
    source = cached(shape)
    ours, theirs = [], []
    with tempfile.TemporaryDirectory() as tmp:
        copy = Path(tmp) / "store.db"
        shutil.copy(source, copy)
        for run in range(runs):
            ours.append(_service_import(copy, docs, f"imported-{run}"))
            theirs.append(_raw_import(copy, docs, f"raw-{run}"))
    validated, plain, drafts = _validation_ms(docs)
    limit = LIMIT_MS * n / ENTRIES["large"]
    figures = [
        Figure(
            f"import {n:,} entries through the service ({drafts:,} drafts), median of {runs}",
            statistics.median(ours),
            baseline=statistics.median(theirs),
            baseline_what="raw sqlite3 inserting the same rows, same file",
            limit=limit,
            note=f"target: issue 14's 1 s for 5,000 entries, scaled to {n:,}",
        ),
        Figure(
            f"validate the {n:,} documents (server_json.validate)",
            validated,
            baseline=plain,
            baseline_what="jsonschema Draft7Validator.iter_errors, as before",
            max_ratio=0.5,
            note="the messages of the drafts still come from jsonschema (pinned by tests)",
        ),
    ]
    return f"import server.json ({size} store, {n:,} entries)", figures


if __name__ == "__main__":
    title, figs = measure(sys.argv[1] if len(sys.argv) > 1 else "small")
    print(title)
    for f in figs:
        print("\n".join(f.lines()))
