"""Variables, secrets and the vault through the services: the effective configuration (scopes,
overrides, references, declared environment variables), envelope encryption as a user meets it
(wrong passphrase, tampered or moved ciphertexts, passphrase change), no plaintext on disk or in
the audit log, history and rollback, and what registry changes do to scoped keys."""

from __future__ import annotations

import json
import random
import sqlite3
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from pylee_tui import crypto
from pylee_tui.services import (
    Conflict,
    InvalidInput,
    NotFound,
    PermissionDenied,
    PyleeError,
    Scope,
    SecretUnreadable,
    Services,
    VaultLocked,
    WrongPassphrase,
)
from pylee_tui.services.resolver import MASK, REDACTED, Definition, resolve, resolve_over
from pylee_tui.store import Store
from tests.support import ANN, BOB, Clock, server_doc, table_rows

DAN = "dan@example.com"  # member with secrets:write
PASSPHRASE = "correct horse battery"
W = "io.github.acme/weather"
S = "io.github.acme/search"
ORG: tuple[str | None, str | None] = (None, None)
REG: tuple[str | None, str | None] = ("core", None)
SRV: tuple[str | None, str | None] = ("core", W)


def weather_doc(env: list[dict] | None = None) -> dict:
    doc = server_doc(W, "1.0.0", "Weather")
    doc["packages"][0]["environmentVariables"] = env or []
    return doc


@pytest.fixture
def acme(services: Services) -> Services:
    """acme: ann admin, dan with secrets:write, bob plain; registries core (weather, search) and
    data; the vault initialised (and so unlocked)."""
    s = services
    s.orgs.create(ANN, "Acme")
    s.registries.create(ANN, "acme", "Core", slug="core")
    s.registries.create(ANN, "acme", "Data", slug="data")
    s.registries.add_server(ANN, Scope("acme", "core"), weather_doc())
    s.registries.add_server(ANN, Scope("acme", "core"), server_doc(S, "0.2.0", "Search"))
    for email in (BOB, DAN):
        s.members.invite(ANN, "acme", email)
        s.members.accept(email, "acme")
    s.members.grant(ANN, "acme", DAN, "secrets:write")
    s.vault.initialize(ANN, PASSPHRASE)
    return s


def put(s: Services, scope: tuple, key: str, value: str, kind: str = "variable", actor=ANN):
    return s.variables.set_key(actor, Scope("acme", *scope), key, value, kind=kind)


def raw_db(s: Services) -> sqlite3.Connection:
    """A second connection to the store's file, as someone with the sqlite3 shell would have."""
    return sqlite3.connect(s.store.path)


def disk_bytes(path: Path) -> bytes:
    """The database file and its WAL, as they are on disk now."""
    data = path.read_bytes()
    wal = Path(f"{path}-wal")
    if wal.exists():
        data += wal.read_bytes()
    return data


def all_audit_text(s: Services) -> str:
    conn = s.store.db.conn
    rows = conn.execute("SELECT * FROM audit_events").fetchall()
    return json.dumps([list(r) for r in rows], ensure_ascii=False)


# --- the effective configuration ----------------------------------------------------------------

# (definitions as (scope, key, kind, value), keys unset afterwards as (scope, key),
#  where the effective configuration is read, the key looked at, what is expected of it)
RESOLUTION: dict[str, tuple[list, list, tuple, str, dict[str, Any]]] = {
    "org only": (
        [(ORG, "LEVEL", "variable", "o")],
        [],
        SRV,
        "LEVEL",
        {"value": "o", "source": "org acme", "scope": "org", "overrides": ()},
    ),
    "registry overrides org": (
        [(ORG, "LEVEL", "variable", "o"), (REG, "LEVEL", "variable", "r")],
        [],
        SRV,
        "LEVEL",
        {"value": "r", "source": "registry core", "overrides": ("org acme",)},
    ),
    "server overrides registry and org": (
        [
            (ORG, "LEVEL", "variable", "o"),
            (REG, "LEVEL", "variable", "r"),
            (SRV, "LEVEL", "variable", "s"),
        ],
        [],
        SRV,
        "LEVEL",
        {
            "value": "s",
            "source": f"server {W}",
            "scope": "server",
            "overrides": ("registry core", "org acme"),
        },
    ),
    "server overrides org directly": (
        [(ORG, "LEVEL", "variable", "o"), (SRV, "LEVEL", "variable", "s")],
        [],
        SRV,
        "LEVEL",
        {"value": "s", "overrides": ("org acme",)},
    ),
    "deleting the server override falls back to the registry": (
        [
            (ORG, "LEVEL", "variable", "o"),
            (REG, "LEVEL", "variable", "r"),
            (SRV, "LEVEL", "variable", "s"),
        ],
        [(SRV, "LEVEL")],
        SRV,
        "LEVEL",
        {"value": "r", "source": "registry core", "overrides": ("org acme",)},
    ),
    "deleting the registry override falls back to the org": (
        [(ORG, "LEVEL", "variable", "o"), (REG, "LEVEL", "variable", "r")],
        [(REG, "LEVEL")],
        SRV,
        "LEVEL",
        {"value": "o", "source": "org acme", "overrides": ()},
    ),
    "a secret at org overridden by a variable at the server": (
        [(ORG, "TOKEN", "secret", "org-secret"), (SRV, "TOKEN", "variable", "plain")],
        [],
        SRV,
        "TOKEN",
        {"value": "plain", "kind": "variable", "overrides": ("org acme",)},
    ),
    "a reference": (
        [(ORG, "URL", "variable", "https://${HOST}/api"), (ORG, "HOST", "variable", "h.example")],
        [],
        ORG,
        "URL",
        {"value": "https://h.example/api", "display": "https://h.example/api", "raw": None},
    ),
    "nested references": (
        [
            (ORG, "A", "variable", "${B}-a"),
            (ORG, "B", "variable", "${C}-b"),
            (ORG, "C", "variable", "c"),
        ],
        [],
        ORG,
        "A",
        {"value": "c-b-a", "references": ("B",)},
    ),
    "a reference resolves to the most specific definition": (
        [
            (ORG, "URL", "variable", "https://${HOST}:${PORT}"),
            (ORG, "HOST", "variable", "org.example"),
            (REG, "PORT", "variable", "8443"),
            (SRV, "HOST", "variable", "weather.example"),
        ],
        [],
        SRV,
        "URL",
        {"value": "https://weather.example:8443", "source": "org acme"},
    ),
    "a reference at registry scope does not see server keys": (
        [(ORG, "URL", "variable", "https://${HOST}"), (SRV, "HOST", "variable", "weather")],
        [],
        REG,
        "URL",
        {"value": "https://${HOST}", "warnings": ("${HOST} refers to no key; left as written",)},
    ),
    "a cycle A → B → A": (
        [(ORG, "A", "variable", "${B}"), (ORG, "B", "variable", "x${A}")],
        [],
        ORG,
        "A",
        {"value": None, "display": "${B}", "problems": ("reference cycle A → B → A",)},
    ),
    "the other side of the cycle": (
        [(ORG, "A", "variable", "${B}"), (ORG, "B", "variable", "x${A}")],
        [],
        ORG,
        "B",
        {"value": None, "display": "x${A}", "problems": ("reference cycle B → A → B",)},
    ),
    "a key referring to a cycle is unusable too": (
        [
            (ORG, "A", "variable", "${B}"),
            (ORG, "B", "variable", "${A}"),
            (ORG, "C", "variable", "c${A}"),
        ],
        [],
        ORG,
        "C",
        {"value": None, "problems": ("reference cycle A → B → A",)},
    ),
    "a self-reference": (
        [(ORG, "PATH_", "variable", "/bin:${PATH_}")],
        [],
        ORG,
        "PATH_",
        {"value": None, "display": "/bin:${PATH_}", "problems": ("reference cycle PATH_ → PATH_",)},
    ),
    "a cycle across scopes": (
        [(ORG, "A", "variable", "${B}"), (SRV, "B", "variable", "${A}")],
        [],
        SRV,
        "A",
        {"value": None, "problems": ("reference cycle A → B → A",)},
    ),
    "an unknown reference is left as written": (
        [(ORG, "URL", "variable", "https://${NOWHERE}/x")],
        [],
        ORG,
        "URL",
        {
            "value": "https://${NOWHERE}/x",
            "display": "https://${NOWHERE}/x",
            "problems": (),
            "warnings": ("${NOWHERE} refers to no key; left as written",),
        },
    ),
    "an unknown reference further down warns the top too": (
        [(ORG, "A", "variable", "<${B}>"), (ORG, "B", "variable", "${NOWHERE}")],
        [],
        ORG,
        "A",
        {"value": "<${NOWHERE}>", "warnings": ("${NOWHERE} refers to no key; left as written",)},
    ),
    "not a reference": (
        [(ORG, "A", "variable", "$HOME ${lower} $${ ${} {B}")],
        [],
        ORG,
        "A",
        {"value": "$HOME ${lower} $${ ${} {B}", "warnings": (), "references": ()},
    ),
    "a secret inside a variable is redacted": (
        [
            (ORG, "TOKEN", "secret", "ghp_abc123"),
            (REG, "AUTH", "variable", "Bearer ${TOKEN}"),
        ],
        [],
        SRV,
        "AUTH",
        {"display": f"Bearer {REDACTED}", "value": None, "embeds_secret": True},
    ),
    "a secret two references down is redacted": (
        [
            (ORG, "TOKEN", "secret", "ghp_abc123"),
            (ORG, "AUTH", "variable", "Bearer ${TOKEN}"),
            (SRV, "HEADER", "variable", "Authorization: ${AUTH}"),
        ],
        [],
        SRV,
        "HEADER",
        {"display": f"Authorization: Bearer {REDACTED}", "value": None, "embeds_secret": True},
    ),
    "a secret is masked and its value is literal": (
        [(ORG, "TOKEN", "secret", "pa$${X}ss"), (ORG, "X", "variable", "x")],
        [],
        ORG,
        "TOKEN",
        {"display": MASK, "value": None, "raw": None, "kind": "secret", "references": ()},
    ),
}


def _chain(n: int) -> list[tuple]:
    """K00 → K01 → … → Kn: n levels of references."""
    defs = [(ORG, f"K{i:02d}", "variable", f"<${{K{i + 1:02d}}}>") for i in range(n)]
    return [*defs, (ORG, f"K{n:02d}", "variable", "end")]


RESOLUTION["10 levels of references resolve"] = (
    _chain(10),
    [],
    ORG,
    "K00",
    {"value": "<" * 10 + "end" + ">" * 10, "problems": ()},
)
RESOLUTION["11 levels are reported"] = (
    _chain(11),
    [],
    ORG,
    "K00",
    {"value": None, "problems": ("references nested deeper than 10 levels at ${K11}",)},
)
RESOLUTION["11 levels: one level down is fine"] = (
    _chain(11),
    [],
    ORG,
    "K01",
    {"value": "<" * 10 + "end" + ">" * 10, "problems": ()},
)


@pytest.mark.parametrize(
    ("defs", "unset", "where", "key", "expected"),
    RESOLUTION.values(),
    ids=list(RESOLUTION),
)
def test_resolution(acme: Services, defs, unset, where, key, expected: dict) -> None:
    for scope, k, kind, value in defs:
        put(acme, scope, k, value, kind)
    for scope, k in unset:
        acme.variables.unset(ANN, Scope("acme", *scope), k)
    entry = acme.variables.effective(ANN, Scope("acme", *where)).get(key)
    assert entry is not None
    raw = expected.pop("raw", "as defined")
    for name, want in expected.items():
        assert getattr(entry, name) == want, name
    if raw is None and entry.kind == "secret":
        assert entry.raw is None
    # the same through the all-servers view when the scope is a server
    if where == SRV:
        assert acme.variables.effective_for_servers(ANN, Scope("acme", "core"))[W].get(key) == entry


def test_a_secret_inside_a_variable_is_plaintext_only_when_revealed(acme: Services) -> None:
    put(acme, ORG, "TOKEN", "ghp_abc123", "secret")
    put(acme, REG, "AUTH", "Bearer ${TOKEN}")
    masked = acme.variables.effective(ANN, Scope("acme", *SRV))
    shown = acme.variables.effective(ANN, Scope("acme", *SRV), reveal=True)
    assert (masked.get("AUTH").display, masked.get("AUTH").value) == ("Bearer [redacted]", None)
    assert (shown.get("AUTH").display, shown.get("AUTH").value) == (
        "Bearer [redacted]",
        "Bearer ghp_abc123",
    )
    assert (masked.get("TOKEN").value, shown.get("TOKEN").value) == (None, "ghp_abc123")
    assert shown.get("TOKEN").display == MASK
    assert "ghp_abc123" not in repr(masked)


def test_one_effective_key_decrypts_and_audits_only_the_secrets_it_uses(
    acme: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    put(acme, ORG, "TOKEN", "tok-1", "secret")
    put(acme, ORG, "OTHER", "other-1", "secret")
    put(acme, ORG, "HOST", "${TOKEN}@example.com")
    put(acme, REG, "URL", "https://${HOST}/v1")  # TOKEN, through HOST
    put(acme, REG, "MODE", "fast")
    decrypted: list[bytes] = []
    real_decrypt = crypto.decrypt

    def spy(key: bytes, blob: bytes, aad: bytes) -> str:
        decrypted.append(aad)
        return real_decrypt(key, blob, aad)

    monkeypatch.setattr(crypto, "decrypt", spy)
    seen = len(acme.audit.list_for_org(ANN, "acme"))
    url = acme.variables.reveal_effective(ANN, Scope("acme", *REG), "URL", purpose="copy")
    assert url == "https://tok-1@example.com/v1"
    assert decrypted and all(aad.endswith(b"key=TOKEN") for aad in decrypted)
    events = acme.audit.list_for_org(ANN, "acme")
    assert [(e.action, e.target_label) for e in events[: len(events) - seen]] == [
        ("secret.copy", "TOKEN")
    ]
    assert events[0].metadata == {"scope": "registry", "registry": "core", "via": "URL"}
    # a value made of no secret: nothing decrypted, nothing recorded, nothing to be allowed
    decrypted.clear()
    assert acme.variables.reveal_effective(BOB, Scope("acme", *REG), "MODE") == "fast"
    assert decrypted == [] and len(acme.audit.list_for_org(ANN, "acme")) == len(events)
    with pytest.raises(PermissionDenied, match="reveal secrets"):
        acme.variables.reveal_effective(BOB, Scope("acme", *REG), "URL")
    with pytest.raises(NotFound, match="no NOPE at registry core"):
        acme.variables.reveal_effective(ANN, Scope("acme", *REG), "NOPE")


def test_registry_scope_is_org_plus_registry(acme: Services) -> None:
    put(acme, ORG, "A", "org")
    put(acme, ORG, "B", "org")
    put(acme, REG, "B", "core")
    put(acme, SRV, "A", "server")
    put(acme, SRV, "C", "server")
    put(acme, ("data", None), "B", "data")
    core = acme.variables.effective(ANN, Scope("acme", "core"))
    assert {e.key: (e.value, e.source) for e in core.entries} == {
        "A": ("org", "org acme"),
        "B": ("core", "registry core"),
    }
    assert core.declared == [] and core.missing == []
    data = acme.variables.effective(ANN, Scope("acme", "data"))
    assert {e.key: e.value for e in data.entries} == {"A": "org", "B": "data"}
    org = acme.variables.effective(ANN, Scope("acme"))
    assert {e.key: e.value for e in org.entries} == {"A": "org", "B": "org"}


def test_effective_for_servers_is_effective_for_each_server(acme: Services) -> None:
    acme.registries.edit_server(
        ANN, Scope("acme", "core", W), weather_doc([{"name": "API_KEY", "isRequired": True}])
    )
    put(acme, ORG, "A", "${B}/${TOKEN}")
    put(acme, ORG, "TOKEN", "t", "secret")
    put(acme, REG, "B", "core")
    put(acme, SRV, "B", "weather")
    put(acme, ("core", S), "C", "search")
    put(acme, ("data", None), "B", "data")
    every = acme.variables.effective_for_servers(ANN, Scope("acme", "core"))
    assert set(every) == {W, S}
    for name in (W, S):
        assert every[name] == acme.variables.effective(ANN, Scope("acme", "core", name))
    assert [d.name for d in every[W].missing] == ["API_KEY"]
    assert every[S].get("A").display == "core/[redacted]"
    assert acme.variables.effective_for_servers(ANN, Scope("acme", "data")) == {}


def _random_layers(rng: random.Random) -> list[list[Definition]]:
    """Three layers of keys that override and refer to one another, with secrets, unknown
    references, chains and cycles."""
    names = [f"K{i}" for i in range(rng.randint(1, 14))]
    layers = []
    for scope in ("org", "registry", "server"):
        layer = []
        for key in rng.sample(names, rng.randint(0, len(names))):
            if rng.random() < 0.2:
                layer.append(Definition(key, "secret", scope, f"{scope} x", None))
                continue
            refs = rng.sample([*names, "UNKNOWN"], min(len(names) + 1, rng.randint(0, 3)))
            value = "-".join(f"${{{r}}}" for r in refs) or f"plain-{key}"
            layer.append(Definition(key, "variable", scope, f"{scope} x", value))
        layers.append(sorted(layer, key=lambda d: d.key))
    return layers


@pytest.mark.parametrize("seed", range(300))
def test_a_layer_resolved_over_its_base_is_the_whole_resolved_again(seed: int) -> None:
    """A server's configuration is built over its registry's (resolve_over, the shortcut that
    makes a registry's 5,000 servers cheap); it must be exactly what resolving every layer
    again gives: overrides, references through any layer, cycles, depth, missing keys."""
    rng = random.Random(seed)
    org, registry, server = _random_layers(rng)
    document = server_doc("io.github.acme/x")
    document["packages"][0]["environmentVariables"] = [
        {"name": f"K{i}", "isRequired": True} for i in range(0, 16, 3)
    ]
    whole = resolve([org, registry, server], document)
    stepped = resolve_over(resolve_over(resolve([org]), "registry", registry), "server", server)
    layered = resolve_over(resolve([org, registry]), "server", server, json.dumps(document))
    for built in (stepped, layered):
        assert built.entries == whole.entries
        assert [e.key for e in built.defined_at("server")] == sorted(d.key for d in server)
    assert layered.missing == whole.missing


def test_a_kept_configuration_follows_every_change(acme: Services, db_path: Path) -> None:
    """The org and registry configuration is kept between reads: any write, by this session or
    another one, and a write that is rolled back, shows at the next read."""
    put(acme, ORG, "REGION", "eu")
    put(acme, REG, "URL", "https://${REGION}.example")
    server = Scope("acme", "core", W)

    def url() -> str | None:
        entry = acme.variables.effective(ANN, server).get("URL")
        return entry.value if entry is not None else None

    assert url() == "https://eu.example"
    put(acme, ORG, "REGION", "us")  # this session
    assert url() == "https://us.example"
    other = Store(db_path)  # another session (another process, say)
    try:
        Services(other).variables.set_key(ANN, Scope("acme"), "REGION", "ap")
    finally:
        other.close()
    assert url() == "https://ap.example"
    with pytest.raises(RuntimeError), acme.store.transaction():
        put(acme, ORG, "REGION", "rolled-back")
        assert url() == "https://rolled-back.example"  # read inside: what it wrote
        raise RuntimeError("undo")
    assert url() == "https://ap.example"
    acme.registries.edit(ANN, Scope("acme", "core"), new_slug="central")
    entry = acme.variables.effective(ANN, Scope("acme", "central", W)).get("URL")
    assert entry is not None and entry.source == "registry central"


def test_missing_required_environment_variables(acme: Services) -> None:
    env = [
        {"name": "API_KEY", "isRequired": True, "isSecret": True, "description": "the key"},
        {"name": "REGION", "isRequired": True, "default": "eu"},
        {"name": "ORG_WIDE", "isRequired": True},
        {"name": "REG_WIDE", "isRequired": True},
        {"name": "OPTIONAL", "description": "not required"},
        {"name": "EXPLICIT_NO", "isRequired": False},
    ]
    acme.registries.edit_server(ANN, Scope("acme", "core", W), weather_doc(env))
    put(acme, ORG, "ORG_WIDE", "yes")
    config = acme.variables.effective(ANN, Scope("acme", *SRV))
    assert [d.name for d in config.declared] == [e["name"] for e in env]
    assert [d.name for d in config.missing] == ["API_KEY", "REG_WIDE"]
    api_key = config.missing[0]
    assert (api_key.required, api_key.secret, api_key.description) == (True, True, "the key")
    # a definition at any scope the server inherits from satisfies it
    put(acme, REG, "REG_WIDE", "yes")
    put(acme, SRV, "API_KEY", "k-123", "secret")
    assert acme.variables.effective(ANN, Scope("acme", *SRV)).missing == []
    # defined only for another server, or another registry: still missing
    acme.variables.unset(ANN, Scope("acme", *SRV), "API_KEY")
    put(acme, ("core", S), "API_KEY", "k-456", "secret")
    put(acme, ("data", None), "API_KEY", "k-789", "secret")
    assert [d.name for d in acme.variables.effective(ANN, Scope("acme", *SRV)).missing] == [
        "API_KEY"
    ]


# --- a key is a variable or a secret, per scope --------------------------------------------


def test_a_key_is_a_variable_or_a_secret_at_one_scope(acme: Services) -> None:
    put(acme, ORG, "TOKEN", "secret-value", "secret")
    put(acme, REG, "MODE", "plain")
    before = table_rows(acme.store)
    with pytest.raises(Conflict, match="TOKEN is a secret at org acme") as caught:
        acme.variables.set_key(ANN, Scope("acme"), "TOKEN", "plain-value")
    assert "secret-value" not in str(caught.value) and "plain-value" not in str(caught.value)
    with pytest.raises(Conflict, match="MODE is a variable at registry core"):
        acme.variables.set_key(ANN, Scope("acme", "core"), "MODE", "x", kind="secret")
    with pytest.raises(Conflict, match="not a variable"):
        acme.variables.unset(ANN, Scope("acme"), "TOKEN", kind="variable")
    assert table_rows(acme.store) == before
    # the same key may be a secret at org and a variable at a server (or registry)
    put(acme, SRV, "TOKEN", "server-plain")
    put(acme, REG, "TOKEN", "registry-secret", "secret")
    entry = acme.variables.effective(ANN, Scope("acme", *SRV)).get("TOKEN")
    assert (entry.kind, entry.value) == ("variable", "server-plain")
    assert entry.overrides == ("registry core", "org acme")
    reg = acme.variables.effective(ANN, Scope("acme", "core"), reveal=True).get("TOKEN")
    assert (reg.kind, reg.value) == ("secret", "registry-secret")
    # unset, and it may change kind
    acme.variables.unset(ANN, Scope("acme"), "TOKEN")
    assert acme.variables.set_key(ANN, Scope("acme"), "TOKEN", "now plain").kind == "variable"


# --- the vault's passphrase ------------------------------------------------------------------


def test_a_wrong_passphrase_changes_nothing_and_leaves_the_vault_locked(acme: Services) -> None:
    put(acme, ORG, "TOKEN", "ghp_abc123", "secret")
    acme.vault.lock()
    assert acme.vault.status().unlocked is False
    path = acme.store.path
    on_disk = disk_bytes(path)
    for attempt in (
        lambda: acme.vault.unlock("correct horse batterY"),
        lambda: acme.vault.unlock_or_initialize(ANN, "wrong wrong wrong"),
        lambda: acme.vault.change_passphrase(ANN, "wrong wrong wrong", "a new passphrase"),
    ):
        with pytest.raises(WrongPassphrase, match="wrong vault passphrase; nothing was changed"):
            attempt()
        assert disk_bytes(path) == on_disk
        assert not acme.vault.unlocked
    with pytest.raises(VaultLocked, match="unlock it"):
        acme.variables.reveal(ANN, Scope("acme"), "TOKEN")
    with pytest.raises(VaultLocked):
        acme.variables.set_key(ANN, Scope("acme"), "OTHER", "x", kind="secret")
    with pytest.raises(InvalidInput, match="type the vault passphrase"):
        acme.vault.unlock("")
    assert disk_bytes(path) == on_disk
    acme.vault.unlock(PASSPHRASE)
    assert acme.variables.reveal(ANN, Scope("acme"), "TOKEN") == "ghp_abc123"


def test_the_vault_before_its_first_passphrase(services: Services) -> None:
    services.orgs.create(ANN, "Acme")
    assert services.vault.status() == services.vault.status().__class__(False, False)
    with pytest.raises(VaultLocked, match="no passphrase yet"):
        services.variables.set_key(ANN, Scope("acme"), "TOKEN", "x", kind="secret")
    with pytest.raises(VaultLocked, match="no passphrase yet"):
        services.vault.unlock(PASSPHRASE)
    with pytest.raises(InvalidInput, match="at least 8 characters") as caught:
        services.vault.initialize(ANN, "short")
    assert "short" not in str(caught.value)
    assert services.vault.unlock_or_initialize(ANN, PASSPHRASE) is True
    assert services.vault.unlock_or_initialize(ANN, PASSPHRASE) is False
    with pytest.raises(Conflict, match="already has a passphrase"):
        services.vault.initialize(ANN, "another passphrase")
    services.variables.set_key(ANN, Scope("acme"), "TOKEN", "x", kind="secret")


def test_a_passphrase_that_is_not_text_is_refused_clearly(services: Services) -> None:
    """Undecodable terminal input (lone surrogates) is neither a crash nor a 'damaged store'."""
    garbled = "p\udce4sswort-lang"
    services.orgs.create(ANN, "Acme")
    before = table_rows(services.store)
    with pytest.raises(InvalidInput, match="not valid text") as caught:
        services.vault.initialize(ANN, garbled)
    assert "\udce4" not in str(caught.value) and "position" not in str(caught.value)
    assert table_rows(services.store) == before
    services.vault.initialize(ANN, PASSPHRASE)
    services.vault.lock()
    with pytest.raises(InvalidInput, match="not valid text") as caught:
        services.vault.unlock(garbled)
    assert "damaged" not in str(caught.value)
    with pytest.raises(InvalidInput, match="not valid text"):
        services.vault.change_passphrase(ANN, PASSPHRASE, garbled)
    assert not services.vault.unlocked


def three_secrets_with_history(s: Services) -> dict[tuple, tuple[str, str]]:
    """A secret at each scope, written twice: scope -> (version 1 value, current value)."""
    values = {
        ORG: ("org-one-AAAA", "org-two-BBBB"),
        REG: ("reg-one-CCCC", "reg-two-DDDD"),
        SRV: ("srv-one-EEEE", "srv-two-FFFF"),
    }
    for scope, (first, second) in values.items():
        put(s, scope, "TOKEN", first, "secret")
        put(s, scope, "TOKEN", second, "secret")
    return values


def test_changing_the_passphrase_keeps_every_secret(acme: Services) -> None:
    values = three_secrets_with_history(acme)
    ciphertexts = table_rows(acme.store)
    acme.vault.change_passphrase(ANN, PASSPHRASE, "a brand new passphrase")
    after = table_rows(acme.store)
    # only the wrapped key (and the audit log) changed: no secret was re-encrypted
    changed = {name for name in after if after[name] != ciphertexts[name]}
    assert changed == {"vault", "audit_events"}
    acme.vault.lock()
    with pytest.raises(WrongPassphrase):
        acme.vault.unlock(PASSPHRASE)
    acme.vault.unlock("a brand new passphrase")
    for scope, (first, second) in values.items():
        assert acme.variables.reveal(ANN, Scope("acme", *scope), "TOKEN") == second
        acme.variables.rollback(ANN, Scope("acme", *scope), "TOKEN", 1)
        assert acme.variables.reveal(ANN, Scope("acme", *scope), "TOKEN") == first
    # a second Services over the same file (another process) needs the new passphrase too
    other = Services(acme.store)
    with pytest.raises(WrongPassphrase):
        other.vault.unlock(PASSPHRASE)
    other.vault.unlock("a brand new passphrase")
    assert other.variables.reveal(ANN, Scope("acme"), "TOKEN") == values[ORG][0]
    assert [e.action for e in acme.audit.list_by_actor(ANN)][:4] == [
        "secret.reveal",
        "secret.reveal",
        "secret.rollback",
        "secret.reveal",
    ]
    assert "vault.passwd" in [e.action for e in acme.audit.list_by_actor(ANN)]


def test_change_passphrase_refusals_change_nothing(acme: Services) -> None:
    put(acme, ORG, "TOKEN", "value", "secret")
    before = table_rows(acme.store)
    with pytest.raises(WrongPassphrase):
        acme.vault.change_passphrase(ANN, "not the passphrase", "a brand new passphrase")
    with pytest.raises(InvalidInput, match="at least 8"):
        acme.vault.change_passphrase(ANN, PASSPHRASE, "short")
    with pytest.raises(InvalidInput, match="start or end with a space"):
        acme.vault.change_passphrase(ANN, PASSPHRASE, " padded passphrase ")
    assert table_rows(acme.store) == before
    acme.vault.lock()
    acme.vault.unlock(PASSPHRASE)
    assert acme.variables.reveal(ANN, Scope("acme"), "TOKEN") == "value"


# --- ciphertexts that were altered or moved --------------------------------------------------


def _flip_a_byte(s: Services, where: str, params: list) -> None:
    conn = raw_db(s)
    try:
        rowid, blob = conn.execute(
            f"SELECT id, encrypted_value FROM variables WHERE {where}", params
        ).fetchone()
        altered = bytearray(blob)
        altered[len(altered) // 2] ^= 0x40
        conn.execute(
            "UPDATE variables SET encrypted_value = ? WHERE id = ?", [bytes(altered), rowid]
        )
        conn.commit()
    finally:
        conn.close()


def test_a_tampered_ciphertext_is_reported_for_that_key_only(acme: Services) -> None:
    put(acme, ORG, "GOOD_ONE", "good-1", "secret")
    put(acme, ORG, "BAD", "bad-value", "secret")
    put(acme, REG, "GOOD_TWO", "good-2", "secret")
    put(acme, SRV, "GOOD_THREE", "good-3", "secret")
    _flip_a_byte(acme, "key = ?", ["BAD"])
    with pytest.raises(SecretUnreadable, match="BAD at org acme cannot be decrypted"):
        acme.variables.reveal(ANN, Scope("acme"), "BAD")
    assert acme.variables.reveal(ANN, Scope("acme"), "GOOD_ONE") == "good-1"
    assert acme.variables.reveal(ANN, Scope("acme", "core"), "GOOD_TWO") == "good-2"
    assert acme.variables.reveal(ANN, Scope("acme", *SRV), "GOOD_THREE") == "good-3"
    config = acme.variables.effective(ANN, Scope("acme", *SRV), reveal=True)
    assert [p.split(":")[0] for p in config.problems] == ["BAD"]
    assert config.get("BAD").value is None and not config.get("BAD").ok
    assert {e.key: e.value for e in config.entries if e.ok} == {
        "GOOD_ONE": "good-1",
        "GOOD_TWO": "good-2",
        "GOOD_THREE": "good-3",
    }
    # a masked view does not decrypt, so it has nothing to report
    assert acme.variables.effective(ANN, Scope("acme", *SRV)).problems == []
    # and the key can be repaired by writing it again
    put(acme, ORG, "BAD", "repaired", "secret")
    assert acme.variables.reveal(ANN, Scope("acme"), "BAD") == "repaired"


@pytest.mark.parametrize(
    "damage",
    [
        "'not a ciphertext'",  # edited in the sqlite3 shell as text
        "CAST(X'01FF00FE9A' || randomblob(40) AS TEXT)",  # text that is not UTF-8
        "X''",
        "zeroblob(64)",
        "42",
    ],
    ids=["text", "invalid-utf8-text", "empty", "zeros", "integer"],
)
def test_a_ciphertext_replaced_by_anything_is_reported_for_that_key(
    acme: Services, damage: str
) -> None:
    put(acme, ORG, "BAD", "bad-value", "secret")
    put(acme, ORG, "GOOD", "good-value", "secret")
    put(acme, ORG, "PLAIN", "plain")
    conn = raw_db(acme)
    conn.execute(f"UPDATE variables SET encrypted_value = {damage} WHERE key = 'BAD'")
    conn.commit()
    conn.close()
    with pytest.raises(SecretUnreadable, match="BAD at org acme cannot be decrypted"):
        acme.variables.reveal(ANN, Scope("acme"), "BAD")
    assert acme.variables.reveal(ANN, Scope("acme"), "GOOD") == "good-value"
    masked = acme.variables.effective(ANN, Scope("acme", *SRV))
    assert [e.key for e in masked.entries] == ["BAD", "GOOD", "PLAIN"]
    assert set(acme.variables.effective_for_servers(ANN, Scope("acme", "core"))) == {W, S}
    shown = acme.variables.effective(ANN, Scope("acme", *SRV), reveal=True)
    assert [p.split(":")[0] for p in shown.problems] == ["BAD"]
    assert shown.get("GOOD").value == "good-value"
    assert [v.key for v in acme.variables.list_keys(ANN, Scope("acme"))] == ["BAD", "GOOD", "PLAIN"]


def test_a_ciphertext_moved_to_another_row_does_not_decrypt(acme: Services) -> None:
    put(acme, ORG, "TOKEN", "org-token", "secret")
    put(acme, REG, "TOKEN", "registry-token", "secret")
    put(acme, ORG, "OTHER", "other-value", "secret")
    acme.orgs.create(ANN, "Beta")
    acme.variables.set_key(ANN, Scope("beta"), "TOKEN", "beta-token", kind="secret")
    conn = raw_db(acme)
    org_blob = conn.execute(
        "SELECT encrypted_value FROM variables WHERE key = 'TOKEN' AND scope = 'org' "
        "AND org_id = (SELECT id FROM organizations WHERE slug = 'acme')"
    ).fetchone()[0]
    # into the same key at another scope, another key at the same scope, another org
    conn.execute(
        "UPDATE variables SET encrypted_value = ? WHERE key = 'TOKEN' AND scope = 'registry'",
        [org_blob],
    )
    conn.execute("UPDATE variables SET encrypted_value = ? WHERE key = 'OTHER'", [org_blob])
    conn.execute(
        "UPDATE variables SET encrypted_value = ? WHERE org_id = "
        "(SELECT id FROM organizations WHERE slug = 'beta')",
        [org_blob],
    )
    conn.commit()
    conn.close()
    for org, key, scope in (
        ("acme", "TOKEN", ("core", None)),
        ("acme", "OTHER", (None, None)),
        ("beta", "TOKEN", (None, None)),
    ):
        with pytest.raises(SecretUnreadable, match="moved from another key") as caught:
            acme.variables.reveal(ANN, Scope(org, *scope), key)
        assert "org-token" not in str(caught.value)
    assert acme.variables.reveal(ANN, Scope("acme"), "TOKEN") == "org-token"


def test_a_version_moved_to_another_key_cannot_be_rolled_back(acme: Services) -> None:
    put(acme, ORG, "A", "a-value", "secret")
    put(acme, ORG, "B", "b-value", "secret")
    put(acme, ORG, "B", "b-value-2", "secret")
    conn = raw_db(acme)
    conn.execute(
        "UPDATE variable_versions SET encrypted_value = "
        "(SELECT encrypted_value FROM variable_versions WHERE key = 'A') "
        "WHERE key = 'B' AND version = 1"
    )
    conn.commit()
    conn.close()
    before = table_rows(acme.store)
    with pytest.raises(SecretUnreadable, match="B at org acme"):
        acme.variables.rollback(ANN, Scope("acme"), "B", 1)
    assert table_rows(acme.store) == before


# --- never in plaintext -----------------------------------------------------------------------

SECRETS = {
    "GITHUB_TOKEN": "ghp_Zq81xLpU0vW3nTnB1",
    "DB_PASSWORD": "Sup3r-Distinct1ve-PW",
    "API_KEY": "sk-live-QWpRTy6789xyz",
    "OLD_VALUE": "rolled-back-Kx7Y2w9",
    "UNICODE": "clé-secrète-ünïcødé-✓",
}


def _needles(values) -> Iterator[tuple[str, bytes]]:
    for value in values:
        yield value, value.encode("utf-8")
        yield value + " (utf-16)", value.encode("utf-16-le")


def assert_nowhere(data: bytes, values) -> None:
    for label, needle in _needles(values):
        assert needle not in data, f"{label} found in plaintext"


def test_no_secret_or_passphrase_is_ever_on_disk(acme: Services, db_path: Path) -> None:
    assert acme.store.path == db_path
    s = acme
    put(s, ORG, "GITHUB_TOKEN", SECRETS["GITHUB_TOKEN"], "secret")
    put(s, REG, "DB_PASSWORD", SECRETS["DB_PASSWORD"], "secret")
    put(s, SRV, "API_KEY", SECRETS["OLD_VALUE"], "secret", actor=DAN)
    put(s, SRV, "API_KEY", SECRETS["API_KEY"], "secret", actor=DAN)
    s.variables.rollback(DAN, Scope("acme", *SRV), "API_KEY", 1)  # OLD_VALUE again, as version 3
    put(s, ORG, "UNICODE", SECRETS["UNICODE"], "secret")
    put(s, SRV, "DSN", "postgres://app:${DB_PASSWORD}@db/${GITHUB_TOKEN}")
    assert s.variables.reveal(ANN, Scope("acme", *SRV), "API_KEY") == SECRETS["OLD_VALUE"]
    assert s.variables.reveal(ANN, Scope("acme", "core"), "DB_PASSWORD", purpose="copy")
    shown = s.variables.effective(ANN, Scope("acme", *SRV), reveal=True)
    assert shown.get("DSN").value == (
        f"postgres://app:{SECRETS['DB_PASSWORD']}@db/{SECRETS['GITHUB_TOKEN']}"
    )
    s.variables.unset(ANN, Scope("acme"), "UNICODE")
    s.variables.rollback(ANN, Scope("acme"), "UNICODE", 1)
    s.vault.change_passphrase(ANN, PASSPHRASE, "second passphrase!")
    data_key = s.vault.data_key()

    wal = Path(f"{db_path}-wal")
    assert wal.exists() and wal.stat().st_size > 0, "the WAL should hold the recent writes"
    open_bytes = disk_bytes(db_path)
    assert_nowhere(open_bytes, [*SECRETS.values(), PASSPHRASE, "second passphrase!"])
    assert data_key not in open_bytes
    # the scan can find things: the variable's raw text is on disk
    assert b"postgres://app:${DB_PASSWORD}" in open_bytes

    s.store.close()
    assert not wal.exists() or wal.stat().st_size == 0
    closed = db_path.read_bytes()
    assert_nowhere(closed, [*SECRETS.values(), PASSPHRASE, "second passphrase!"])
    assert data_key not in closed
    # and the file still opens with the new passphrase
    reopened = Store(db_path)
    try:
        again = Services(reopened)
        again.vault.unlock("second passphrase!")
        assert again.variables.reveal(ANN, Scope("acme"), "UNICODE") == SECRETS["UNICODE"]
    finally:
        reopened.close()


def test_audit_events_record_each_access_but_no_value(acme: Services) -> None:
    s = acme
    put(s, ORG, "GITHUB_TOKEN", SECRETS["GITHUB_TOKEN"], "secret")
    put(s, ORG, "GITHUB_TOKEN", SECRETS["OLD_VALUE"], "secret")
    put(s, REG, "URL", "https://${GITHUB_TOKEN}@example.com")
    s.variables.reveal(ANN, Scope("acme"), "GITHUB_TOKEN")
    s.variables.reveal(ANN, Scope("acme"), "GITHUB_TOKEN", purpose="copy")
    s.variables.rollback(DAN, Scope("acme"), "GITHUB_TOKEN", 1)
    s.variables.effective(ANN, Scope("acme", "core"), reveal=True)
    s.variables.unset(DAN, Scope("acme"), "GITHUB_TOKEN")
    s.variables.unset(ANN, Scope("acme", "core"), "URL")
    events = [
        (e.actor, e.action, e.target_label) for e in reversed(s.audit.list_for_org(ANN, "acme"))
    ]
    assert events[-9:] == [
        (ANN, "secret.set", "GITHUB_TOKEN"),
        (ANN, "secret.set", "GITHUB_TOKEN"),
        (ANN, "variable.set", "URL"),
        (ANN, "secret.reveal", "GITHUB_TOKEN"),
        (ANN, "secret.copy", "GITHUB_TOKEN"),
        (DAN, "secret.rollback", "GITHUB_TOKEN"),
        (ANN, "secret.export", "registry core"),
        (DAN, "secret.unset", "GITHUB_TOKEN"),
        (ANN, "variable.unset", "URL"),
    ]
    latest = {e.action: e.metadata for e in s.audit.list_for_org(ANN, "acme")}
    assert latest["secret.export"] == {
        "keys": ["GITHUB_TOKEN"],
        "registry": "core",
        "scope": "registry",
    }
    assert latest["secret.rollback"] == {"scope": "org", "version": 3, "from_version": 1}
    text = all_audit_text(s)
    assert_nowhere(text.encode(), [*SECRETS.values(), PASSPHRASE])
    # not even a plain variable's value goes into the log
    assert "https://" not in text


def test_no_value_in_error_messages(acme: Services) -> None:
    secret = "ghp_NeverInAMessage42"
    put(acme, ORG, "TOKEN", secret, "secret")
    messages = []
    attempts = [
        lambda: acme.variables.set_key(ANN, Scope("acme"), "TOKEN", secret),
        lambda: acme.variables.set_key(ANN, Scope("acme"), "TOKEN", secret + "\x00", kind="secret"),
        lambda: acme.variables.set_key(ANN, Scope("acme"), "TOKEN", secret * 4000, kind="secret"),
        lambda: acme.variables.set_key(BOB, Scope("acme"), "TOKEN", secret, kind="secret"),
        lambda: acme.variables.reveal(BOB, Scope("acme"), "TOKEN"),
        lambda: acme.variables.reveal(DAN, Scope("acme"), "TOKEN"),
        lambda: acme.variables.effective(DAN, Scope("acme"), reveal=True),
        lambda: acme.vault.unlock(secret),
    ]
    for attempt in attempts:
        with pytest.raises(PyleeError) as caught:
            attempt()
        messages.append(str(caught.value))
    acme.vault.lock()
    with pytest.raises(VaultLocked) as caught:
        acme.variables.set_key(ANN, Scope("acme"), "TOKEN", secret, kind="secret")
    messages.append(str(caught.value))
    assert all(secret not in m and secret[:8] not in m for m in messages), messages


# --- history and rollback --------------------------------------------------------------------


def test_history_keeps_the_current_value_and_ten_before_it(acme: Services, clock: Clock) -> None:
    for i in range(1, 16):
        clock.advance(minutes=1)
        put(acme, REG, "MODE", f"v{i}")
        put(acme, REG, "TOKEN", f"secret-{i}", "secret", actor=DAN if i % 2 else ANN)
    modes = acme.variables.history(ANN, Scope("acme", "core"), "MODE")
    assert [v.version for v in modes] == list(range(15, 4, -1))
    assert [v.value for v in modes] == [f"v{i}" for i in range(15, 4, -1)]
    assert [v.current for v in modes] == [True] + [False] * 10
    tokens = acme.variables.history(BOB, Scope("acme", "core"), "TOKEN")
    assert [v.version for v in tokens] == list(range(15, 4, -1))
    assert all(v.value is None and v.kind == "secret" for v in tokens)
    assert [v.created_by for v in tokens[:2]] == [DAN, ANN]
    assert tokens[0].created_at == clock.now
    assert tokens[-1].created_at < tokens[0].created_at
    # the oldest kept version rolls back; the one before it is gone
    acme.variables.rollback(ANN, Scope("acme", "core"), "TOKEN", 5)
    assert acme.variables.reveal(ANN, Scope("acme", "core"), "TOKEN") == "secret-5"
    with pytest.raises(NotFound, match="no version 5"):
        acme.variables.rollback(
            ANN, Scope("acme", "core"), "TOKEN", 5
        )  # pruned by the rollback itself
    with pytest.raises(NotFound, match="no version 4"):
        acme.variables.rollback(ANN, Scope("acme", "core"), "MODE", 4)
    conn = acme.store.db.conn
    assert conn.execute("SELECT count(*) FROM variable_versions").fetchone()[0] == 22


def test_rollback_writes_the_old_value_as_a_new_version(acme: Services, clock: Clock) -> None:
    put(acme, SRV, "TOKEN", "first", "secret")
    put(acme, SRV, "TOKEN", "second", "secret")
    put(acme, SRV, "MODE", "fast")
    put(acme, SRV, "MODE", "slow")
    clock.advance(hours=1)
    rolled = acme.variables.rollback(DAN, Scope("acme", *SRV), "TOKEN", 1).variable
    assert (rolled.kind, rolled.value, rolled.updated_by) == ("secret", None, DAN)
    history = acme.variables.history(ANN, Scope("acme", *SRV), "TOKEN")
    assert [(v.version, v.action, v.created_by) for v in history] == [
        (3, "rollback", DAN),
        (2, "set", ANN),
        (1, "set", ANN),
    ]
    assert history[0].created_at == clock.now and history[0].current
    assert acme.variables.reveal(ANN, Scope("acme", *SRV), "TOKEN") == "first"
    acme.variables.rollback(ANN, Scope("acme", *SRV), "MODE", 1)
    assert acme.variables.get_key(ANN, Scope("acme", *SRV), "MODE").value == "fast"
    assert acme.variables.history(ANN, Scope("acme", *SRV), "MODE")[0].value == "fast"
    with pytest.raises(NotFound, match="no version 9"):
        acme.variables.rollback(ANN, Scope("acme", *SRV), "MODE", 9)


def test_unset_keeps_history_and_rollback_brings_the_key_back(acme: Services) -> None:
    put(acme, REG, "TOKEN", "keep-me", "secret")
    removed = acme.variables.unset(DAN, Scope("acme", "core"), "TOKEN")
    assert (removed.key, removed.kind, removed.value) == ("TOKEN", "secret", None)
    with pytest.raises(NotFound, match="no TOKEN at registry core"):
        acme.variables.get_key(ANN, Scope("acme", "core"), "TOKEN")
    assert acme.variables.effective(ANN, Scope("acme", "core")).get("TOKEN") is None
    history = acme.variables.history(ANN, Scope("acme", "core"), "TOKEN")
    assert [(v.version, v.action, v.current) for v in history] == [
        (2, "unset", False),
        (1, "set", False),
    ]
    with pytest.raises(InvalidInput, match="version 2 of TOKEN is its deletion"):
        acme.variables.rollback(ANN, Scope("acme", "core"), "TOKEN", 2)
    acme.variables.rollback(DAN, Scope("acme", "core"), "TOKEN", 1)
    assert acme.variables.reveal(ANN, Scope("acme", "core"), "TOKEN") == "keep-me"
    assert [v.action for v in acme.variables.history(ANN, Scope("acme", "core"), "TOKEN")] == [
        "rollback",
        "unset",
        "set",
    ]
    with pytest.raises(NotFound, match="no NEVER at org acme"):
        acme.variables.unset(ANN, Scope("acme"), "NEVER")
    with pytest.raises(NotFound, match="no history"):
        acme.variables.history(ANN, Scope("acme"), "NEVER")


def test_deleted_lists_the_keys_deleted_at_a_scope_until_they_are_set_again(
    acme: Services, clock: Clock
) -> None:
    put(acme, ORG, "LOG_LEVEL", "info")
    put(acme, ORG, "LOG_LEVEL", "debug")
    put(acme, ORG, "TOKEN", "tok", "secret")
    put(acme, ORG, "KEPT", "here")
    put(acme, REG, "LOG_LEVEL", "warn")  # another scope: not listed at the org
    assert acme.variables.deleted(BOB, Scope("acme")) == []
    clock.advance(minutes=5)
    acme.variables.unset(ANN, Scope("acme"), "LOG_LEVEL")
    acme.variables.unset(DAN, Scope("acme"), "TOKEN")
    acme.variables.unset(ANN, Scope("acme", "core"), "LOG_LEVEL")
    deleted = acme.variables.deleted(BOB, Scope("acme"))  # any member may see them
    assert [(d.key, d.kind, d.version, d.restores, d.value) for d in deleted] == [
        ("LOG_LEVEL", "variable", 3, 2, "debug"),
        ("TOKEN", "secret", 2, 1, None),  # a secret's value never leaves the service
    ]
    assert deleted[1].deleted_by == DAN and deleted[1].deleted_at == clock.now
    assert [d.key for d in acme.variables.deleted(ANN, Scope("acme"), kind="secret")] == ["TOKEN"]
    assert [d.key for d in acme.variables.deleted(ANN, Scope("acme"), kind="variable")] == [
        "LOG_LEVEL"
    ]
    assert [d.key for d in acme.variables.deleted(ANN, Scope("acme", "core"))] == ["LOG_LEVEL"]
    assert acme.variables.deleted(ANN, Scope("acme", "core", W)) == []
    # set again: no longer deleted; rolled back: no longer deleted either
    put(acme, ORG, "LOG_LEVEL", "error")
    acme.variables.rollback(ANN, Scope("acme"), "TOKEN", 1)
    assert acme.variables.deleted(ANN, Scope("acme")) == []
    with pytest.raises(NotFound):
        acme.variables.deleted(ANN, Scope("acme", "nope"))


def test_restore_brings_back_the_value_a_key_had_when_deleted(acme: Services) -> None:
    put(acme, ORG, "LOG_LEVEL", "info")
    put(acme, ORG, "LOG_LEVEL", "debug")
    put(acme, REG, "TOKEN", "tok-2", "secret")
    acme.variables.unset(ANN, Scope("acme"), "LOG_LEVEL")
    acme.variables.unset(ANN, Scope("acme", "core"), "TOKEN")
    with pytest.raises(PermissionDenied, match="change variables"):
        acme.variables.restore(BOB, Scope("acme"), "LOG_LEVEL")
    restored = acme.variables.restore(ANN, Scope("acme"), "LOG_LEVEL", deletion=3)
    assert (restored.key, restored.value) == ("LOG_LEVEL", "debug")
    history = acme.variables.history(ANN, Scope("acme"), "LOG_LEVEL")
    assert [(v.version, v.action, v.current) for v in history][:2] == [
        (4, "rollback", True),
        (3, "unset", False),
    ]
    # a secret comes back with a secret writer and the vault key
    acme.vault.lock()
    with pytest.raises(VaultLocked):
        acme.variables.restore(DAN, Scope("acme", "core"), "TOKEN")
    assert acme.variables.deleted(ANN, Scope("acme", "core"))[0].key == "TOKEN"  # nothing changed
    acme.vault.unlock(PASSPHRASE)
    acme.variables.restore(DAN, Scope("acme", "core"), "TOKEN")
    assert acme.variables.reveal(ANN, Scope("acme", "core"), "TOKEN") == "tok-2"
    # nothing to restore: set, never deleted, or unknown
    with pytest.raises(Conflict, match="LOG_LEVEL at org acme is not a deleted key"):
        acme.variables.restore(ANN, Scope("acme"), "LOG_LEVEL")
    with pytest.raises(Conflict, match="NEVER at org acme is not a deleted key"):
        acme.variables.restore(ANN, Scope("acme"), "NEVER")


def test_an_undo_never_undoes_a_later_change(acme: Services) -> None:
    """restore(deletion=N) is what the app's undo calls: it refuses once the key has moved on."""
    put(acme, ORG, "LOG_LEVEL", "info")
    acme.variables.unset(ANN, Scope("acme"), "LOG_LEVEL")  # version 2
    put(acme, ORG, "LOG_LEVEL", "someone else's")  # version 3
    acme.variables.unset(ANN, Scope("acme"), "LOG_LEVEL")  # version 4: deleted again
    before = acme.variables.history(ANN, Scope("acme"), "LOG_LEVEL")
    with pytest.raises(Conflict, match="has changed since it was deleted"):
        acme.variables.restore(ANN, Scope("acme"), "LOG_LEVEL", deletion=2)
    assert acme.variables.history(ANN, Scope("acme"), "LOG_LEVEL") == before
    acme.variables.restore(ANN, Scope("acme"), "LOG_LEVEL", deletion=4)
    assert acme.variables.get_key(ANN, Scope("acme"), "LOG_LEVEL").value == "someone else's"


def test_rollback_to_a_version_of_the_other_kind_is_a_conflict(acme: Services) -> None:
    put(acme, ORG, "TOKEN", "was-secret", "secret")
    acme.variables.unset(ANN, Scope("acme"), "TOKEN")
    put(acme, ORG, "TOKEN", "now-plain")
    with pytest.raises(Conflict, match="TOKEN is a variable at org acme"):
        acme.variables.rollback(ANN, Scope("acme"), "TOKEN", 1)
    acme.variables.unset(ANN, Scope("acme"), "TOKEN")
    acme.variables.rollback(ANN, Scope("acme"), "TOKEN", 1)
    assert acme.variables.reveal(ANN, Scope("acme"), "TOKEN") == "was-secret"


# --- what registry changes do to scoped keys ---------------------------------------------------


def test_moving_a_server_keeps_its_secrets_readable(acme: Services) -> None:
    put(acme, SRV, "TOKEN", "v1", "secret")
    put(acme, SRV, "TOKEN", "v2", "secret")
    put(acme, REG, "REGION", "core-region")
    put(acme, ("data", None), "REGION", "data-region")
    acme.registries.move_server(ANN, Scope("acme", "core", W), "data")
    assert acme.variables.reveal(ANN, Scope("acme", "data", W), "TOKEN") == "v2"
    acme.variables.rollback(ANN, Scope("acme", "data", W), "TOKEN", 1)
    assert acme.variables.reveal(ANN, Scope("acme", "data", W), "TOKEN") == "v1"
    config = acme.variables.effective(ANN, Scope("acme", "data", W), reveal=True)
    assert config.get("REGION").value == "data-region"
    assert config.get("TOKEN").value == "v1" and config.problems == []
    with pytest.raises(NotFound, match=f"no server '{W}' in registry 'core'"):
        acme.variables.reveal(ANN, Scope("acme", *SRV), "TOKEN")


def _rows(s: Services, table: str) -> list[tuple]:
    return s.store.db.conn.execute(f"SELECT key, registry_id, server_id FROM {table}").fetchall()


def test_deleting_a_registry_removes_its_keys_and_their_history(acme: Services) -> None:
    put(acme, ORG, "KEEP", "org")
    put(acme, REG, "GONE", "registry")
    put(acme, REG, "GONE_SECRET", "x", "secret")
    put(acme, SRV, "GONE_TOO", "server", "secret")
    put(acme, ("data", None), "KEEP_DATA", "data")
    acme.variables.unset(ANN, Scope("acme", "core"), "GONE")  # history only
    report = acme.registries.delete(ANN, Scope("acme", "core"))
    assert report.variables == 2  # GONE_SECRET and GONE_TOO
    assert sorted(k for k, *_ in _rows(acme, "variables")) == ["KEEP", "KEEP_DATA"]
    assert sorted({k for k, *_ in _rows(acme, "variable_versions")}) == ["KEEP", "KEEP_DATA"]
    # a new registry with the same slug starts empty (no history comes back)
    acme.registries.create(ANN, "acme", "Core", slug="core")
    with pytest.raises(NotFound):
        acme.variables.history(ANN, Scope("acme", "core"), "GONE")
    assert acme.variables.effective(ANN, Scope("acme", "core")).get("GONE_SECRET") is None


def test_removing_a_server_removes_its_keys_and_their_history(acme: Services) -> None:
    put(acme, SRV, "TOKEN", "x", "secret")
    put(acme, ("core", S), "TOKEN", "y", "secret")
    acme.registries.remove_server(ANN, Scope("acme", "core", W))
    assert [k for k, *_ in _rows(acme, "variables")] == ["TOKEN"]
    assert len(_rows(acme, "variable_versions")) == 1
    assert acme.variables.reveal(ANN, Scope("acme", "core", S), "TOKEN") == "y"


# --- values -------------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["variable", "secret"])
def test_values_up_to_64_kib(acme: Services, kind: str) -> None:
    largest = "x" * 65536
    put(acme, ORG, "BIG", largest, kind)
    assert acme.variables.reveal(ANN, Scope("acme"), "BIG") == largest
    put(acme, ORG, "WIDE", "é" * 32768, kind)  # 65,536 bytes in UTF-8
    assert acme.variables.reveal(ANN, Scope("acme"), "WIDE") == "é" * 32768
    put(acme, ORG, "EMPTY", "", kind)
    assert acme.variables.reveal(ANN, Scope("acme"), "EMPTY") == ""
    before = table_rows(acme.store)
    for too_big, size in (("x" * 65537, "65,537"), ("é" * 32768 + "x", "65,537")):
        with pytest.raises(InvalidInput, match=f"at most 64 KiB \\(got {size} bytes\\)"):
            put(acme, ORG, "BIG", too_big, kind)
    with pytest.raises(InvalidInput, match="NUL"):
        put(acme, ORG, "NUL", "before\x00after", kind)
    for bad_key in ("lower", "1ST", "WITH-DASH", "", "A" * 129):
        with pytest.raises(InvalidInput, match="is not valid"):
            put(acme, ORG, bad_key, "x", kind)
    assert table_rows(acme.store) == before


def test_reveal_purpose_is_reveal_or_copy(acme: Services) -> None:
    put(acme, ORG, "TOKEN", "x", "secret")
    before = table_rows(acme.store)
    with pytest.raises(InvalidInput, match="reveal or copy"):
        acme.variables.reveal(ANN, Scope("acme"), "TOKEN", purpose="export")  # type: ignore[arg-type]
    assert table_rows(acme.store) == before


# --- resolver robustness ---------------------------------------------------------------------


def _timed_resolve(defs: list[Definition]):
    start = time.perf_counter()
    config = resolve([defs])
    return config, time.perf_counter() - start


def test_many_keys_referring_to_each_other_resolve_at_once() -> None:
    """Twelve variables that all refer to one another: every simple path through them is a
    cycle; resolving must not walk each of the billions of paths."""
    names = [f"K{i:02d}" for i in range(12)]
    text = "".join(f"${{{n}}}" for n in names)
    config, took = _timed_resolve(
        [Definition(n, "variable", "org", "org acme", text) for n in names]
    )
    assert took < 2.0
    assert all(not e.ok and e.value is None for e in config.entries)
    assert config.get("K00").problems == ("reference cycle K00 → K00",)
    assert len(config.problems) == 12


def test_a_deep_lattice_of_references_resolves_at_once() -> None:
    """Forty levels of five keys, each level referring to all five of the next: the depth
    limit is hit along 5**10 paths, so depth must be known without walking them."""
    defs = []
    for level in range(40):
        for j in range(5):
            below = "".join(f"${{L{level + 1:02d}_{k}}}" for k in range(5)) if level < 39 else "x"
            defs.append(Definition(f"L{level:02d}_{j}", "variable", "org", "org acme", below))
    config, took = _timed_resolve(defs)
    assert took < 2.0
    assert config.get("L29_0").ok and config.get("L29_0").value == "x" * 5**10
    assert config.get("L28_0").problems == ("references nested deeper than 10 levels at ${L39_0}",)


def test_a_long_chain_does_not_exhaust_the_stack() -> None:
    defs = [
        Definition(f"K{i:04d}", "variable", "org", "o", f"${{K{i + 1:04d}}}") for i in range(3000)
    ]
    defs.append(Definition("K3000", "variable", "org", "o", "end"))
    config, took = _timed_resolve(defs)
    assert took < 2.0
    assert config.get("K2990").value == "end"
    assert config.get("K2989").problems == ("references nested deeper than 10 levels at ${K3000}",)
    assert config.get("K0000").problems == ("references nested deeper than 10 levels at ${K0011}",)


def test_a_long_cycle_is_named_by_its_first_step() -> None:
    n = 3000
    defs = [
        Definition(f"K{i:04d}", "variable", "org", "o", f"${{K{(i + 1) % n:04d}}}")
        for i in range(n)
    ]
    config, took = _timed_resolve(defs)
    assert took < 2.0
    assert config.get("K0000").problems == ("reference cycle K0000 → K0001 → … → K0000",)
    assert all(not e.ok for e in config.entries)


# --- stores from before the vault --------------------------------------------------------------


def test_variables_from_before_the_vault_have_a_history(tmp_path: Path, clock: Clock) -> None:
    """A store written by the foundation (migration 0001 only) holds plain variables but no
    versions: after the upgrade their current value is in their history, and the first change
    keeps it as a previous version."""
    import sqlite_utils

    from pylee_tui import store as store_module

    path = tmp_path / "old.db"
    conn = sqlite3.connect(path)
    db = sqlite_utils.Database(conn)
    store_module.migrations.apply(db, stop_before="0002_vault")
    db.execute("PRAGMA user_version = 1")
    db.execute(
        "INSERT INTO organizations (id, name, slug, created_at, updated_at) "
        "VALUES (1, 'Acme', 'acme', '2025-01-01T00:00:00+00:00', '2025-01-01T00:00:00+00:00')"
    )
    db.execute(
        "INSERT INTO members (org_id, email, role, status, invited_at) "
        "VALUES (1, ?, 'admin', 'active', '2025-01-01T00:00:00+00:00')",
        [ANN],
    )
    db.execute(
        "INSERT INTO variables (org_id, scope, key, kind, value, created_at, updated_at, "
        "updated_by) VALUES (1, 'org', 'LOG_LEVEL', 'variable', 'info', "
        "'2025-01-02T00:00:00+00:00', '2025-01-03T00:00:00+00:00', ?)",
        [BOB],
    )
    conn.commit()
    conn.close()

    opened = Store(path)
    try:
        s = Services(opened, clock=clock)
        history = s.variables.history(ANN, Scope("acme"), "LOG_LEVEL")
        assert [(v.version, v.value, v.created_by, v.current) for v in history] == [
            (1, "info", BOB, True)
        ]
        s.variables.set_key(ANN, Scope("acme"), "LOG_LEVEL", "debug")
        history = s.variables.history(ANN, Scope("acme"), "LOG_LEVEL")
        assert [(v.version, v.value, v.created_by) for v in history] == [
            (2, "debug", ANN),
            (1, "info", BOB),
        ]
        s.variables.rollback(ANN, Scope("acme"), "LOG_LEVEL", 1)
        assert s.variables.get_key(ANN, Scope("acme"), "LOG_LEVEL").value == "info"
    finally:
        opened.close()


def test_only_admins_change_the_vault_passphrase(acme: Services) -> None:
    """The vault guards every org's secrets: knowing the passphrase is not enough to change it."""
    before = table_rows(acme.store)
    for who in (BOB, DAN, "nobody@example.com"):
        with pytest.raises(PermissionDenied, match="change the vault passphrase"):
            acme.vault.change_passphrase(who, PASSPHRASE, "mallory's passphrase")
    assert table_rows(acme.store) == before
    acme.vault.lock()
    acme.vault.unlock(PASSPHRASE)
    acme.vault.change_passphrase(ANN, PASSPHRASE, "a brand new passphrase")
    # every org's admins see it in their own log
    assert "vault.passwd" in [e.action for e in acme.audit.list_for_org(ANN, "acme")]


def test_the_first_secret_may_create_the_vault_only_for_a_secret_writer(
    services: Services,
) -> None:
    services.orgs.create(ANN, "Acme")
    for email in (BOB, DAN):
        services.members.invite(ANN, "acme", email)
        services.members.accept(email, "acme")
    services.members.grant(ANN, "acme", DAN, "secrets:write")
    for who in (BOB, "nobody@example.com"):
        with pytest.raises(PermissionDenied, match="create the vault"):
            services.vault.initialize(who, PASSPHRASE)
    assert not services.vault.initialized()
    services.vault.initialize(DAN, PASSPHRASE)
    services.variables.set_key(DAN, Scope("acme"), "TOKEN", "x", kind="secret")
    assert [e.action for e in services.audit.list_for_org(ANN, "acme")][:2] == [
        "secret.set",
        "vault.create",
    ]


def test_a_variable_that_becomes_a_secret_loses_its_plaintext_history(acme: Services) -> None:
    leaked = "ghp_LEAKED_BY_MISTAKE_0001"
    acme.variables.set_key(ANN, Scope("acme"), "GITHUB_TOKEN", leaked)
    acme.variables.unset(ANN, Scope("acme"), "GITHUB_TOKEN")
    acme.variables.set_key(
        ANN, Scope("acme"), "GITHUB_TOKEN", "ghp_the_real_secret_0002", kind="secret"
    )
    versions = acme.variables.history(BOB, Scope("acme"), "GITHUB_TOKEN")
    assert all(v.value != leaked for v in versions)
    assert [v.kind for v in versions if v.action != "unset"] == ["secret"]
    acme.store.db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    raw = Path(acme.store.path).read_bytes()
    assert leaked.encode() not in raw  # secure_delete: not even in free pages
