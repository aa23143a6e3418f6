"""The large store the `bench-large` benchmarks run on, generated reproducibly from a seed through
the services (the same code paths a user's writes take), and cached beside the benchmarks.

    python -m benchmarks.large_store [--seed N] [--out PATH] [--small]

Large: 50 orgs; in the first, `acme`, 40 registries holding 20,000 servers (`platform` has 5,000,
`tools` 500), 100,000 variables and secrets (the org scope 2,000 keys, `platform` 5,000, each other
registry 500, the rest on servers), 5,000 members (four in five accepted); about 110,000 audit
events. Server documents are the official registry's seed list (tests/data), renamed per copy, with
environment variables whose names the vault's keys match. Small: the demo-sized equivalent of the
same shape, for `make bench`.

Writes are grouped into outer transactions (the services' transactions nest as savepoints), so the
store is generated in about a minute instead of paying one fsync per key.
"""

from __future__ import annotations

import argparse
import copy
import fcntl
import hashlib
import json
import random
import sys
import time
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import pylee_tui.migrations as migrations_module  # noqa: E402
from pylee_tui.migrations import known_migrations  # noqa: E402
from pylee_tui.server_json import to_current, validate  # noqa: E402
from pylee_tui.services import Scope, Services  # noqa: E402
from pylee_tui.store import Store  # noqa: E402

GENERATOR_VERSION = 2  # bump when the shape changes: the cache key includes it
USER = "owner@acme.example"
PASSPHRASE = "large-store benchmark passphrase"
SEED_LIST = ROOT / "tests" / "data" / "registry-seed-2025-05-16.json"
CACHE = HERE / ".cache"
BIG_ORG = "acme"
BIG_REGISTRY = "platform"
EXPORT_REGISTRY = "tools"


@dataclass(frozen=True)
class Shape:
    orgs: int
    registries: int
    servers: int
    big_registry: int
    export_registry: int
    org_keys: int
    big_registry_keys: int
    registry_keys: int
    variables: int
    members: int
    overview_lines: int

    @property
    def name(self) -> str:
        return "large" if self is LARGE else "small"


LARGE = Shape(
    orgs=50,
    registries=40,
    servers=20_000,
    big_registry=5_000,
    export_registry=500,
    org_keys=2_000,
    big_registry_keys=5_000,
    registry_keys=500,
    variables=100_000,
    members=5_000,
    overview_lines=200,
)
# the demo-sized store of the same shape (make bench): what "the small case" means
SMALL = Shape(
    orgs=3,
    registries=3,
    servers=60,
    big_registry=30,
    export_registry=20,
    org_keys=20,
    big_registry_keys=20,
    registry_keys=10,
    variables=200,
    members=12,
    overview_lines=40,
)
SHAPES = {"large": LARGE, "small": SMALL}

WORDS = (  # noqa: SIM905 (one line of words reads better than 26 quoted ones)
    "alpha bravo cobalt delta ember falcon granite harbor indigo juniper kestrel lumen meridian "
    "nimbus onyx prairie quartz raven sierra tundra umber vertex willow xenon yonder zephyr"
).split()


def cached(shape: Shape = LARGE, seed: int = 1) -> Path:
    """The store of this shape and seed, generated on first use (an atomic rename, so an
    interrupted generation never leaves a half store behind)."""
    CACHE.mkdir(exist_ok=True)
    # the schema's version too: a store of an older schema would be migrated in place by the
    # first benchmark that opens it; and what the migrations say, since one changed before it
    # is released leaves a store its check calls damaged
    schema = len(known_migrations())
    text = Path(migrations_module.__file__).read_bytes()
    digest = hashlib.sha256(text).hexdigest()[:8]
    path = CACHE / f"{shape.name}-seed{seed}-v{GENERATOR_VERSION}-s{schema}-{digest}.db"
    if path.exists():
        return path
    with open(CACHE / ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # one generation at a time; the others wait and reuse it
        if not path.exists():
            partial = path.with_suffix(".partial.db")
            for leftover in CACHE.glob(partial.name + "*"):
                leftover.unlink()
            generate(partial, shape, seed)
            partial.rename(path)
    return path


def _templates() -> list[dict]:
    """The seed list in the current shape, made valid where the seed itself is not (most of it
    has descriptions over 100 characters or packages without a version): a real registry's
    servers are mostly publishable, with a few drafts."""
    entries = json.loads(SEED_LIST.read_text(encoding="utf-8"))
    templates = []
    for entry in entries:
        if not isinstance(entry, dict) or not entry.get("name"):
            continue
        doc, _notes = to_current(entry)
        doc.pop("_meta", None)
        doc["description"] = str(doc.get("description") or "An MCP server")[:100]
        for package in doc.get("packages") or []:
            package["version"] = package.get("version") or "1.0.0"
        if not validate(doc):
            templates.append(doc)
    return templates


def _server(template: dict, name: str, env_names: list[str], rng: random.Random) -> dict:
    doc = copy.deepcopy(template)
    doc["name"] = name
    packages = doc.get("packages") or []
    if packages:
        packages[0]["environmentVariables"] = [
            {
                "name": key,
                "description": f"{key.lower().replace('_', ' ')} for {name}"[:100],
                "isRequired": rng.random() < 0.5,
                "isSecret": key.endswith(("TOKEN", "KEY", "PASSWORD")),
            }
            for key in env_names
        ]
    if rng.random() < 0.05:  # a draft: a server someone still has to finish
        doc["description"] = "x" * 120
    return doc


def _key(rng: random.Random, prefix: str, i: int) -> str:
    word = rng.choice(WORDS).upper()
    suffix = rng.choice(("URL", "TOKEN", "REGION", "LEVEL", "KEY", "HOST", "PORT", "MODE"))
    return f"{prefix}_{word}_{i:05d}_{suffix}"


def _value(rng: random.Random, key: str, refs: list[str]) -> str:
    if refs and rng.random() < 0.05:
        return f"${{{rng.choice(refs)}}}/v{rng.randint(1, 9)}"
    if key.endswith("URL"):
        return f"https://{rng.choice(WORDS)}.example/{rng.randint(1, 999)}"
    return f"{rng.choice(WORDS)}-{rng.getrandbits(48):012x}"


def _overview(rng: random.Random, lines: int) -> str:
    out = ["# Acme platform", ""]
    while len(out) < lines:
        out += [f"## {rng.choice(WORDS).title()} {len(out)}", ""]
        out += [" ".join(rng.choice(WORDS) for _ in range(14)) + "." for _ in range(3)]
        out += ["", f"- `{rng.choice(WORDS)}`: {rng.choice(WORDS)}", ""]
    return "\n".join(out[:lines]) + "\n"


def generate(path: Path, shape: Shape = LARGE, seed: int = 1, *, log=print) -> Path:
    rng = random.Random(seed)
    started = time.perf_counter()
    store = Store(path)
    s = Services(store)
    templates = _templates()

    def step(what: str) -> None:
        log(f"  {time.perf_counter() - started:6.1f} s  {what}", flush=True)

    with store.transaction():
        s.orgs.create(
            USER,
            "Acme",
            slug=BIG_ORG,
            description="The big one",
            overview=_overview(rng, shape.overview_lines),
        )
        for i in range(1, shape.orgs):
            slug = f"org-{i:02d}"
            s.orgs.create(
                USER,
                f"Org {i:02d} {rng.choice(WORDS).title()}",
                slug=slug,
                description=f"small org {i}",
            )
            s.registries.create(USER, slug, "Main")
            s.registries.import_servers(
                USER,
                Scope(slug, "main"),
                [
                    _server(rng.choice(templates), f"io.example.org{i}/server-{j}", [], rng)
                    for j in range(3)
                ],
            )
    step(f"{shape.orgs} orgs")
    s.vault.initialize(USER, PASSPHRASE)  # the real Argon2id parameters, once

    # registries: the big one, the export one, the rest share what is left
    sizes = {BIG_REGISTRY: shape.big_registry, EXPORT_REGISTRY: shape.export_registry}
    others = shape.registries - 2
    left = shape.servers - shape.big_registry - shape.export_registry
    for r in range(others):
        sizes[f"team-{r:02d}"] = left // others + (1 if r < left % others else 0)
    registry_keys: dict[str, list[str]] = {}
    org_keys = [_key(rng, "ORG", i) for i in range(shape.org_keys)]
    servers_of: dict[str, list[str]] = {}
    for registry, size in sizes.items():
        with store.transaction():
            s.registries.create(USER, BIG_ORG, registry, description=f"{registry} servers")
            count = shape.big_registry_keys if registry == BIG_REGISTRY else shape.registry_keys
            keys = [_key(rng, registry.upper().replace("-", "_"), i) for i in range(count)]
            registry_keys[registry] = keys
            names = [f"io.example.{registry}/{rng.choice(WORDS)}-{j:05d}" for j in range(size)]
            servers_of[registry] = names
            docs = [
                _server(
                    rng.choice(templates),
                    name,
                    sorted({rng.choice(org_keys), rng.choice(keys), f"SERVER_{j % 97}_TOKEN"}),
                    rng,
                )
                for j, name in enumerate(names)
            ]
            s.registries.import_servers(USER, Scope(BIG_ORG, registry), docs)
    step(f"{len(sizes)} registries, {shape.servers} servers")

    written = 0

    def put(scope: Scope, keys: list[str], refs: list[str]) -> None:
        nonlocal written
        for key in keys:
            kind = "secret" if key.endswith(("TOKEN", "KEY")) and rng.random() < 0.8 else "variable"
            s.variables.set_key(USER, scope, key, _value(rng, key, refs), kind=kind)
            written += 1

    with store.transaction():
        put(Scope(BIG_ORG), org_keys, [])
    for registry, keys in registry_keys.items():
        with store.transaction():
            put(Scope(BIG_ORG, registry), keys, org_keys)
    step(f"{written} org and registry keys")
    all_servers = [(r, n) for r, names in servers_of.items() for n in names]
    batch = 0
    while written < shape.variables:
        with store.transaction():
            for _ in range(min(5_000, shape.variables - written)):
                registry, name = all_servers[batch % len(all_servers)]
                batch += 1
                key = f"SERVER_{batch % 97}_TOKEN" if batch % 3 == 0 else _key(rng, "SRV", batch)
                put(Scope(BIG_ORG, registry, name), [key], registry_keys[registry])
        step(f"{written} keys")

    invited = [f"{rng.choice(WORDS)}.{i:05d}@acme.example" for i in range(shape.members - 1)]
    roles = ["member"] * 9 + ["admin"]
    with store.transaction():
        for i, email in enumerate(invited):
            s.members.invite(USER, BIG_ORG, email, role=roles[i % len(roles)])
            if i % 5:
                s.members.accept(email, BIG_ORG)
    step(f"{shape.members} members")
    store.close()
    step(f"done: {path.stat().st_size / 1e6:.0f} MB")
    return path


DEMO_USER = "bench@example.com"


def app_store(size: str, folder: Path) -> tuple[Path, str]:
    """A store for the app to start on in `folder` and its user: a copy of the large store
    (on disk before the app starts: its first write must not flush a 100 MB copy), or a new
    store with the demo org."""
    import os
    import shutil

    db = folder / "store.db"
    if size == "large":
        shutil.copy(cached(LARGE), db)
        with db.open("rb+") as copied:
            os.fsync(copied.fileno())
        return db, USER
    from pylee_tui.services.demo import load_demo

    store = Store(db)
    load_demo(Services(store), DEMO_USER)
    store.close()
    return db, DEMO_USER


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.large_store")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--small", action="store_true")
    parser.add_argument("--out", type=Path, help="write here instead of the cache")
    args = parser.parse_args(argv)
    shape = SMALL if args.small else LARGE
    if args.out:
        if args.out.exists():
            print(f"{args.out} exists; choose a new path", file=sys.stderr)
            return 2
        generate(args.out, shape, args.seed)
    else:
        print(cached(shape, args.seed))
    return 0


if __name__ == "__main__":
    sys.exit(main())
