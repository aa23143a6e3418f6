"""The vault's reads at size: the effective configuration of one server and of every server of a
registry, and one key's history, each beside raw sqlite3 reading the same rows from the same file
in the same run.

On the large store (`make bench-large`): org `acme` holds 2,000 org-scope keys; registry
`platform` 5,000 servers and 5,000 registry-scope keys (so a server there sees 7,000 keys); the
other registries 500 keys each; the rest of the 100,000 keys on servers. On the small store
(`make bench`) the same shape, demo-sized.

- one server, warm: `effective` for a random server of `platform` (the registry's configuration
  is kept between calls until the store changes: what the app and the export do);
- one server, cold: the first call of a new session (nothing kept yet);
- every server of `platform`: `effective_for_servers`;
- one key's history: `history` of a random server-scope key;
- the resolver alone on 40 keys that all refer to each other (must stay instant).
"""

from __future__ import annotations

import random
import shutil
import sqlite3
import statistics
import tempfile
import time
from pathlib import Path

from benchmarks.harness import Figure, median_ms
from benchmarks.large_store import (
    BIG_ORG,
    BIG_REGISTRY,
    LARGE,
    PASSPHRASE,
    SMALL,
    USER,
    cached,
)
from pylee_tui.services import Scope, Services
from pylee_tui.services.resolver import Definition, resolve
from pylee_tui.store import Store

ONE_SERVER_RUNS = 300
COLD_RUNS = 15
ALL_SERVERS_RUNS = 5
HISTORY_RUNS = 300


def store_copy(size: str) -> Path:
    """A private copy of the cached store of `size` (a benchmark may write; the cache must
    stay as generated), in a temporary directory that lives as long as the process."""
    source = cached(LARGE if size == "large" else SMALL)
    folder = Path(tempfile.mkdtemp(prefix=f"pylee-bench-{size}-"))
    target = folder / "pylee.db"
    shutil.copyfile(source, target)
    return target


def open_services(path: Path, *, unlock: bool = False) -> Services:
    services = Services(Store(path))
    if unlock:
        services.vault.unlock(PASSPHRASE)
    return services


class Raw:
    """The same reads with nothing but sqlite3 on the same file: the rows, fetched."""

    def __init__(self, path: Path) -> None:
        self.conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        self.org = self.conn.execute(
            "SELECT id FROM organizations WHERE slug = ?", [BIG_ORG]
        ).fetchone()[0]
        self.registry = self.conn.execute(
            "SELECT id FROM registries WHERE org_id = ? AND slug = ?", [self.org, BIG_REGISTRY]
        ).fetchone()[0]

    def _scope(self, registry: int, server: int) -> list:
        return self.conn.execute(
            "SELECT key, kind, value, encrypted_value FROM variables WHERE org_id = ? "
            "AND coalesce(registry_id, 0) = ? AND coalesce(server_id, 0) = ? ORDER BY key",
            [self.org, registry, server],
        ).fetchall()

    def server_id(self, name: str) -> int:
        return self.conn.execute(
            "SELECT id FROM servers WHERE registry_id = ? AND name = ?", [self.registry, name]
        ).fetchone()[0]

    def one_server(self, name: str) -> None:
        """The rows of the server's three scopes, and its document."""
        server = self.conn.execute(
            "SELECT id, document FROM servers WHERE registry_id = ? AND name = ?",
            [self.registry, name],
        ).fetchone()
        self._scope(0, 0)
        self._scope(self.registry, 0)
        self._scope(0, server[0])

    def every_server(self) -> None:
        """The org's and registry's rows, every server's rows and every server's document."""
        self._scope(0, 0)
        self._scope(self.registry, 0)
        self.conn.execute(
            "SELECT s.id, v.key, v.kind, v.value FROM servers s "
            "JOIN variables v ON v.server_id = s.id WHERE s.registry_id = ?",
            [self.registry],
        ).fetchall()
        self.conn.execute(
            "SELECT id, name, document FROM servers WHERE registry_id = ? ORDER BY name",
            [self.registry],
        ).fetchall()

    def history(self, server: int, key: str) -> None:
        self.conn.execute(
            "SELECT version, action, kind, value, created_at, created_by FROM variable_versions "
            "WHERE org_id = ? AND coalesce(registry_id, 0) = 0 AND coalesce(server_id, 0) = ? "
            "AND key = ? ORDER BY version DESC",
            [self.org, server, key],
        ).fetchall()


def _pathological_ms() -> float:
    names = [f"K{i:02d}" for i in range(40)]
    text = "".join(f"${{{n}}}" for n in names)
    defs = [Definition(n, "variable", "org", "org bench", text) for n in names]
    return median_ms(lambda: resolve([defs]).entries, 5)  # entries are made when read


def measure(size: str) -> tuple[str, list[Figure]]:
    path = store_copy(size)
    services = open_services(path)
    raw = Raw(path)
    v = services.variables
    platform = Scope(BIG_ORG, BIG_REGISTRY)
    names = [s.name for s in services.registries.list_servers(USER, platform)]
    rng = random.Random(1)
    picks = [rng.choice(names) for _ in range(ONE_SERVER_RUNS)]
    sample = v.effective(USER, Scope(BIG_ORG, BIG_REGISTRY, picks[0]))

    def timed_each(fn, items) -> float:
        times = []
        for item in items:
            started = time.perf_counter()
            fn(item)
            times.append((time.perf_counter() - started) * 1000)
        return statistics.median(times)

    warm = timed_each(lambda n: v.effective(USER, Scope(BIG_ORG, BIG_REGISTRY, n)), picks)
    raw_one = timed_each(raw.one_server, picks)
    cold_picks = picks[:COLD_RUNS]
    cold = timed_each(
        lambda n: Services(services.store).variables.effective(
            USER, Scope(BIG_ORG, BIG_REGISTRY, n)
        ),
        cold_picks,
    )
    every = median_ms(lambda: v.effective_for_servers(USER, platform), ALL_SERVERS_RUNS)
    raw_every = median_ms(raw.every_server, ALL_SERVERS_RUNS)
    # one key's history: a key set on a server of the registry
    keyed = [
        (name, key.key)
        for name in picks[:60]
        for key in v.list_keys(USER, Scope(BIG_ORG, BIG_REGISTRY, name))[:1]
    ]
    histories = [keyed[i % len(keyed)] for i in range(HISTORY_RUNS)]
    history = timed_each(
        lambda nk: v.history(USER, Scope(BIG_ORG, BIG_REGISTRY, nk[0]), nk[1]), histories
    )
    ids = {name: raw.server_id(name) for name, _ in keyed}
    raw_history = timed_each(lambda nk: raw.history(ids[nk[0]], nk[1]), histories)
    services.store.close()
    keys = len(sample.entries)
    servers = len(names)
    figures = [
        Figure(
            f"effective config of one server ({keys:,} keys), registry kept",
            warm,
            baseline=raw_one,
            baseline_what="sqlite3: its three scopes' rows",
            limit=1.0,
            note=f"median of {ONE_SERVER_RUNS} random servers of {BIG_REGISTRY}",
        ),
        Figure(
            f"effective config of one server ({keys:,} keys), a new session's first",
            cold,
            baseline=raw_one,
            baseline_what="sqlite3: its three scopes' rows",
            max_ratio=15,
            note="reads and resolves the org's and registry's keys, which later calls reuse",
        ),
        Figure(
            f"effective config of every server of {BIG_REGISTRY} ({servers:,} servers)",
            every,
            baseline=raw_every,
            baseline_what="sqlite3: the org's, registry's and servers' rows and documents",
            max_ratio=5,
        ),
        Figure(
            "one key's history",
            history,
            baseline=raw_history,
            baseline_what="sqlite3: the key's versions",
            limit=1.0,
            note=f"median of {HISTORY_RUNS}, server-scope keys",
        ),
        Figure(
            "resolver: 40 keys all referring to each other",
            _pathological_ms(),
            limit=50.0,
        ),
    ]
    return "vault: effective configuration and history", figures


if __name__ == "__main__":
    import sys

    from benchmarks.harness import report

    text, ok = report(*measure("large" if "--large" in sys.argv else "small"))
    print(text)
    sys.exit(0 if ok else 1)
