"""Export at size: registry `tools` (500 servers on the large store, 20 on the small one) to every
client, in every way secrets can go, each beside raw sqlite3 reading the rows an export needs
from the same file in the same run.

An export is `install_with_names` into a file: plan (effective configuration of every server,
entries, secrets), merge with the file, masked diff, atomic write, owners recorded. Measured
twice per client and mode: into a new file, and again over the file it wrote (the usual case:
the merge and the diff then compare 500 entries).
"""

from __future__ import annotations

import json
import sqlite3
import tempfile
import time
from pathlib import Path

from benchmarks.bench_vault import open_services, store_copy
from benchmarks.harness import Figure, median_ms
from benchmarks.large_store import BIG_ORG, EXPORT_REGISTRY, USER
from pylee_tui.services import Scope, Services

RUNS = 3
LIMIT_MS = 300.0
# (client, inline secrets): Claude takes literal values only; VS Code keeps secrets as inputs
MODES = (("claude", True), ("vscode", False), ("cursor", False), ("cursor", True))


def raw_rows(path: Path) -> None:
    """What an export reads, with sqlite3 alone: the registry's servers and their documents,
    the org's and the registry's keys, the servers' keys."""
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        org = conn.execute("SELECT id FROM organizations WHERE slug = ?", [BIG_ORG]).fetchone()[0]
        registry = conn.execute(
            "SELECT id FROM registries WHERE org_id = ? AND slug = ?", [org, EXPORT_REGISTRY]
        ).fetchone()[0]
        conn.execute(
            "SELECT * FROM servers WHERE registry_id = ? ORDER BY name", [registry]
        ).fetchall()
        for registry_id in (0, registry):
            conn.execute(
                "SELECT key, kind, value, encrypted_value FROM variables WHERE org_id = ? "
                "AND coalesce(registry_id, 0) = ? AND coalesce(server_id, 0) = 0",
                [org, registry_id],
            ).fetchall()
        conn.execute(
            "SELECT s.id, v.key, v.kind, v.value, v.encrypted_value FROM servers s "
            "JOIN variables v ON v.server_id = s.id WHERE s.registry_id = ?",
            [registry],
        ).fetchall()
    finally:
        conn.close()


def make_every_server_valid(services: Services) -> int:
    """The generated registry holds drafts (the seed list's entries often lack what a launch
    needs); an export skips drafts, so each is made launchable (an npm package, a short
    description) with the environment variables it declares kept. Returns the servers."""
    scope = Scope(BIG_ORG, EXPORT_REGISTRY)
    servers = services.registries.list_servers(USER, scope)
    with services.store.transaction():
        for server in servers:
            if server.status == "valid":
                continue
            document = json.loads(json.dumps(server.document))
            document["description"] = f"Tools server {server.name.rsplit('/', 1)[-1]}"
            package = document["packages"][0]
            package.update(
                registryType="npm",
                identifier=f"@tools/{server.name.rsplit('/', 1)[-1]}",
                version="1.0.0",
            )
            document["packages"] = [package]
            services.registries.edit_server(
                USER, Scope(BIG_ORG, EXPORT_REGISTRY, server.name), document
            )
    return len(servers)


def _export(services: Services, client: str, inline: bool, path: Path) -> int:
    plan, _result = services.export.install_with_names(
        USER,
        Scope(BIG_ORG, EXPORT_REGISTRY),
        client,
        path,
        inline_secrets=inline,
        allow_missing=True,
    )
    return len(plan.entries)


def measure(size: str) -> tuple[str, list[Figure]]:
    path = store_copy(size)
    services = open_services(path, unlock=True)
    make_every_server_valid(services)
    out = Path(tempfile.mkdtemp(prefix="pylee-bench-export-"))
    baseline = median_ms(lambda: raw_rows(path), 5)
    figures = []
    for client, inline in MODES:
        mode = "inline secrets" if inline else "secrets by reference"
        fresh_times = []
        entries = 0
        for run in range(RUNS):
            target = out / f"{client}-{inline}-{run}.json"
            started = time.perf_counter()
            entries = _export(services, client, inline, target)
            fresh_times.append((time.perf_counter() - started) * 1000)
        again = out / f"{client}-{inline}-0.json"
        over = median_ms(lambda: _export(services, client, inline, again), RUNS, warmup=0)  # noqa: B023
        for what, value in (("into a new file", sorted(fresh_times)[RUNS // 2]), ("over it", over)):
            figures.append(
                Figure(
                    f"export {entries} servers to {client}, {mode}, {what}",
                    value,
                    baseline=baseline,
                    baseline_what="sqlite3: the rows it reads",
                    limit=LIMIT_MS,
                )
            )
    services.store.close()
    return f"export: registry {EXPORT_REGISTRY} to every client", figures


if __name__ == "__main__":
    import sys

    from benchmarks.harness import report

    text, ok = report(*measure("large" if "--large" in sys.argv else "small"))
    print(text)
    sys.exit(0 if ok else 1)
