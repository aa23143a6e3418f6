"""The effective configuration at registry size: an org with 40 variables, one registry of 500
servers (each server.json declaring 2-5 environment variables), 50 registry-scope keys,
server-scope overrides on a third of the servers, chains of `${...}` references and some secrets.

Measures `services.variables.effective` for one server (median and p95), and for every server of
the registry both `effective_for_servers` and the naive loop of `effective` per server. Also the
resolver on a pathological configuration (keys that all refer to one another), which must stay
instant. The vault uses the real (default) Argon2id parameters, derived once. A screen redraw
budget is ~16 ms; a whole-registry view should stay well under a second.
"""

from __future__ import annotations

import random
import statistics
import tempfile
import time
from pathlib import Path

from pylee_tui import crypto
from pylee_tui.services import Scope, Services
from pylee_tui.services.resolver import Definition, resolve
from pylee_tui.store import Store

USER = "bench@example.com"
SERVERS = 500
ORG_KEYS = 40
REGISTRY_KEYS = 50
ONE_SERVER_RUNS = 300
ALL_SERVERS_RUNS = 7
NAIVE_RUNS = 3
TARGET_ONE_MS = 16.0
TARGET_ALL_MS = 1000.0


def _document(i: int, rng: random.Random) -> dict:
    env = []
    for j in range(rng.randint(2, 5)):
        name = rng.choice(
            [f"SERVICE_{i}_TOKEN", f"SERVICE_{i}_URL", "LOG_LEVEL", "REGION", "API_BASE"]
            + [f"ORG_{k:02d}" for k in range(0, ORG_KEYS, 7)]
            + [f"REG_{k:02d}" for k in range(0, REGISTRY_KEYS, 9)]
        )
        env.append(
            {
                "name": name if all(e["name"] != name for e in env) else f"EXTRA_{i}_{j}",
                "description": f"setting {j} of server {i}",
                "isRequired": rng.random() < 0.6,
                "isSecret": name.endswith("TOKEN"),
                **({"default": "info"} if name == "LOG_LEVEL" else {}),
            }
        )
    return {
        "name": f"io.github.bench/server-{i:04d}",
        "description": f"Benchmark server {i}",
        "version": "1.0.0",
        "packages": [
            {
                "registryType": "npm",
                "identifier": f"@bench/server-{i:04d}",
                "version": "1.0.0",
                "transport": {"type": "stdio"},
                "environmentVariables": env,
            }
        ],
    }


def _build(db: Path) -> tuple[Services, float]:
    rng = random.Random(6)
    services = Services(Store(db))
    s = services
    s.orgs.create(USER, "Bench")
    s.registries.create(USER, "bench", "Bench")
    s.registries.import_servers(
        USER, Scope("bench", "bench"), [_document(i, rng) for i in range(SERVERS)]
    )
    started = time.perf_counter()
    s.vault.initialize(USER, "a benchmark passphrase")  # the real Argon2id parameters, once
    derive_ms = (time.perf_counter() - started) * 1000
    # org: plain values, a few secrets, and reference chains
    for k in range(ORG_KEYS):
        key = f"ORG_{k:02d}"
        if k % 10 == 3:
            s.variables.set_key(USER, Scope("bench"), key, f"org-secret-{k}", kind="secret")
        elif k % 4 == 1 and k > 1:
            s.variables.set_key(USER, Scope("bench"), key, f"https://${{ORG_{k - 1:02d}}}/v{k}")
        else:
            s.variables.set_key(USER, Scope("bench"), key, f"org-value-{k}")
    s.variables.set_key(USER, Scope("bench"), "API_BASE", "https://${REGION}.api.example/${ORG_05}")
    s.variables.set_key(USER, Scope("bench"), "REGION", "eu-west-1")
    # registry: overrides of some org keys, new keys, chains through the org
    for k in range(REGISTRY_KEYS):
        key = f"REG_{k:02d}" if k % 5 else f"ORG_{k % ORG_KEYS:02d}"
        if k % 12 == 7:
            s.variables.set_key(
                USER, Scope("bench", "bench"), key, f"registry-secret-{k}", kind="secret"
            )
        elif k % 3 == 0:
            value = f"${{API_BASE}}/reg/{k}/${{ORG_{(k + 3) % ORG_KEYS:02d}}}"
            s.variables.set_key(USER, Scope("bench", "bench"), key, value)
        else:
            s.variables.set_key(USER, Scope("bench", "bench"), key, f"registry-value-{k}")
    # servers: a third get overrides and their own keys
    for i in range(0, SERVERS, 3):
        name = f"io.github.bench/server-{i:04d}"
        s.variables.set_key(USER, Scope("bench", "bench", name), "REGION", f"region-{i % 7}")
        s.variables.set_key(
            USER, Scope("bench", "bench", name), f"SERVICE_{i}_TOKEN", f"tok-{i}", kind="secret"
        )
        s.variables.set_key(
            USER, Scope("bench", "bench", name), f"SERVICE_{i}_URL", "${API_BASE}/s/" + str(i)
        )
    return services, derive_ms


def _ms(fn) -> float:
    start = time.perf_counter()
    fn()
    return (time.perf_counter() - start) * 1000


def _p95(samples: list[float]) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(round(0.95 * (len(ordered) - 1))))]


def _pathological_ms() -> float:
    names = [f"K{i:02d}" for i in range(40)]
    text = "".join(f"${{{n}}}" for n in names)
    defs = [Definition(n, "variable", "org", "org bench", text) for n in names]
    return statistics.median(_ms(lambda: resolve([defs])) for _ in range(5))


def run() -> dict[str, float]:
    with tempfile.TemporaryDirectory() as tmp:
        services, derive_ms = _build(Path(tmp) / "bench.db")
        try:
            v = services.variables
            # every key of the org at every scope (the services only list one scope)
            count = services.store.db.execute("SELECT count(*) FROM variables").fetchone()[0]
            names = [
                s.name for s in services.registries.list_servers(USER, Scope("bench", "bench"))
            ]
            rng = random.Random(1)
            v.effective(USER, Scope("bench", "bench", names[0]))  # warm-up
            one = [
                _ms(lambda: v.effective(USER, Scope("bench", "bench", rng.choice(names))))
                for _ in range(ONE_SERVER_RUNS)
            ]
            revealed = [
                _ms(lambda: v.effective(USER, Scope("bench", "bench", names[0]), reveal=True))
                for _ in range(50)
            ]
            every = [
                _ms(lambda: v.effective_for_servers(USER, Scope("bench", "bench")))
                for _ in range(ALL_SERVERS_RUNS)
            ]
            naive = [
                _ms(lambda: [v.effective(USER, Scope("bench", "bench", n)) for n in names])
                for _ in range(NAIVE_RUNS)
            ]
            sample = v.effective(USER, Scope("bench", "bench", names[0]))
            result = {
                "servers": len(names),
                "keys": count,
                "entries_per_server": len(sample.entries),
                "derive_ms": derive_ms,
                "kdf_memory_mib": crypto.DEFAULT_KDF["memory_kib"] / 1024,
                "one_median_ms": statistics.median(one),
                "one_p95_ms": _p95(one),
                "one_reveal_median_ms": statistics.median(revealed),
                "all_median_ms": statistics.median(every),
                "naive_median_ms": statistics.median(naive),
                "pathological_ms": _pathological_ms(),
            }
        finally:
            services.store.close()
    return result


def report(r: dict[str, float]) -> str:
    def verdict(value: float, target: float) -> str:
        return "OK" if value <= target else "SLOW"

    return (
        f"effective configuration: {r['servers']:.0f} servers, {r['keys']:.0f} keys in the org, "
        f"{r['entries_per_server']:.0f} entries per server\n"
        f"  vault unlock (Argon2id {r['kdf_memory_mib']:.0f} MiB): {r['derive_ms']:7.1f} ms\n"
        f"  one server, median        : {r['one_median_ms']:7.2f} ms  "
        f"{verdict(r['one_median_ms'], TARGET_ONE_MS)}\n"
        f"  one server, p95           : {r['one_p95_ms']:7.2f} ms  "
        f"{verdict(r['one_p95_ms'], TARGET_ONE_MS)}\n"
        f"  one server, reveal=True   : {r['one_reveal_median_ms']:7.2f} ms (median)\n"
        f"  every server (batched)    : {r['all_median_ms']:7.1f} ms  "
        f"{verdict(r['all_median_ms'], TARGET_ALL_MS)}\n"
        f"  every server (naive loop) : {r['naive_median_ms']:7.1f} ms  "
        f"({r['naive_median_ms'] / r['all_median_ms']:.1f}x the batched call)\n"
        f"  40 keys all referring to each other: {r['pathological_ms']:6.2f} ms"
    )


if __name__ == "__main__":
    print(report(run()))
