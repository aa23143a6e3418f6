"""Two orgs compared: registries matched by slug, servers by name, keys by scope and name. A
server is compared as each org uses it (exports and `run`: its pinned version, else its latest
published one), its unpublished edits only said to be there (a draft).

A secret's value never leaves this module: with the vault's key, both sides are decrypted in
memory, compared and dropped, and only "same", "differs" or "missing" is said of them; and only
to someone who may reveal secrets in both orgs (anyone else would learn from it whether two
secrets are equal): for anyone else a secret on both sides is "unknown".
"""

from __future__ import annotations

import hmac
import json
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from pylee_tui import crypto

if TYPE_CHECKING:
    import sqlite_utils

# where a key lives: (scope, registry slug, server name)
Place = tuple[str, str | None, str | None]

SAME = "same"
DIFFERS = "differs"
LOCKED = "unknown (vault locked)"
NO_REVEAL = "unknown (comparing secrets needs secrets:reveal in both orgs)"
UNREADABLE = "unknown (cannot be decrypted)"
CLONED = " (cloned without value)"


@dataclass(frozen=True)
class KeyDiff:
    """A key that is not the same in both orgs. `a`/`b` are a variable's values (None for a
    secret or an absent key); `state` says what differs: "differs", "only in A", "only in B",
    "missing in A"/"missing in B" (a secret), "unknown (vault locked)", "variable in A, secret
    in B"..."""

    key: str
    state: str
    kind_a: str | None
    kind_b: str | None
    a: str | None = None
    b: str | None = None

    @property
    def secret(self) -> bool:
        return "secret" in (self.kind_a, self.kind_b)

    def to_json(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "state": self.state,
            "kind_a": self.kind_a,
            "kind_b": self.kind_b,
            "a": self.a,
            "b": self.b,
        }


@dataclass(frozen=True)
class InUse:
    """A server as its registry uses it: the version and document exports and `run` use (None:
    none, a draft never published or gone upstream), and whether its working copy holds edits
    not published (a draft of a next version)."""

    version: str | None
    document: dict[str, Any] | None
    unpublished: bool = False


@dataclass(frozen=True)
class ServerDiff:
    name: str
    state: str  # "only in A", "only in B", "changed"
    version_a: str | None = None  # the versions in use
    version_b: str | None = None
    document_differs: bool = False  # the documents in use
    status_a: str | None = None
    status_b: str | None = None
    keys: tuple[KeyDiff, ...] = ()
    unpublished_a: bool = False  # edits not published (a draft)
    unpublished_b: bool = False

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "state": self.state,
            "version_a": self.version_a,
            "version_b": self.version_b,
            "document_differs": self.document_differs,
            "status_a": self.status_a,
            "status_b": self.status_b,
            "unpublished_a": self.unpublished_a,
            "unpublished_b": self.unpublished_b,
            "keys": [k.to_json() for k in self.keys],
        }


@dataclass(frozen=True)
class RegistryDiff:
    slug: str
    state: str  # "only in A", "only in B", "both"
    name_a: str | None = None
    name_b: str | None = None
    fields: tuple[str, ...] = ()  # name, description, overview: those that differ
    servers: tuple[ServerDiff, ...] = ()
    keys: tuple[KeyDiff, ...] = ()
    server_count: int = 0  # of a registry only in one org

    @property
    def empty(self) -> bool:
        return self.state == "both" and not (self.fields or self.servers or self.keys)

    def to_json(self) -> dict[str, Any]:
        return {
            "slug": self.slug,
            "state": self.state,
            "name_a": self.name_a,
            "name_b": self.name_b,
            "fields": list(self.fields),
            "server_count": self.server_count,
            "keys": [k.to_json() for k in self.keys],
            "servers": [s.to_json() for s in self.servers],
        }


@dataclass(frozen=True)
class OrgDiff:
    a: str
    b: str
    vault_unlocked: bool
    keys: tuple[KeyDiff, ...] = ()  # at org scope
    registries: tuple[RegistryDiff, ...] = ()  # those that differ, by slug
    same_secrets: int = 0  # secrets found equal in both (never listed one by one)
    may_reveal: bool = True  # secrets:reveal in both orgs: secrets' values were compared
    compared_secrets: int = 0  # pairs of secrets decrypted to be compared (what is audited)

    @property
    def secrets_note(self) -> str | None:
        """Why secrets on both sides are "unknown", when they are."""
        if not self.may_reveal:
            return (
                'Secrets in both are "unknown": comparing them needs secrets:reveal in both '
                "organizations (the admin role)."
            )
        if not self.vault_unlocked:
            return 'The vault is locked: secrets in both are "unknown".'
        return None

    @property
    def empty(self) -> bool:
        return not self.keys and not self.registries

    def to_json(self) -> dict[str, Any]:
        return {
            "a": self.a,
            "b": self.b,
            "vault_unlocked": self.vault_unlocked,
            "may_reveal": self.may_reveal,
            "same": self.empty,
            "same_secrets": self.same_secrets,
            "keys": [k.to_json() for k in self.keys],
            "registries": [r.to_json() for r in self.registries],
        }


@dataclass
class Side:
    """What one org holds, as the comparison needs it (ciphertexts as stored)."""

    org: dict[str, Any]
    registries: dict[str, dict[str, Any]]
    servers: dict[str, dict[str, dict[str, Any]]]  # registry slug -> name -> row
    keys: dict[Place, dict[str, tuple[str, str | None, Any, bytes]]]  # kind, value, ref, blob
    cloned: set[tuple[Place, str]] = field(default_factory=set)
    in_use: dict[tuple[str, str], InUse] = field(default_factory=dict)  # (slug, name)

    def used(self, slug: str, name: str) -> InUse:
        """The server as the org uses it (its working copy when nobody said)."""
        found = self.in_use.get((slug, name))
        if found is not None:
            return found
        row = self.servers[slug][name]
        return InUse(row["version"], json.loads(row["document"]))


def read_side(db: sqlite_utils.Database, org: dict[str, Any]) -> Side:
    from pylee_tui.services.variable_scope import ScopeRef

    org_id = org["id"]
    registries = {
        r["slug"]: dict(r)
        for r in db.query(
            "SELECT id, slug, name, description, overview FROM registries WHERE org_id = ?",
            [org_id],
        )
    }
    by_id = {r["id"]: r for r in registries.values()}
    servers: dict[str, dict[str, dict[str, Any]]] = {slug: {} for slug in registries}
    server_rows: dict[int, dict[str, Any]] = {}
    for s in db.query(
        "SELECT s.id, s.registry_id, s.name, s.version, s.document, s.status FROM servers s "
        "JOIN registries r ON r.id = s.registry_id WHERE r.org_id = ?",
        [org_id],
    ):
        row = dict(s)
        servers[by_id[row["registry_id"]]["slug"]][row["name"]] = row
        server_rows[row["id"]] = row
    keys: dict[Place, dict[str, tuple[str, str | None, Any, bytes]]] = {}
    rows = db.execute(
        "SELECT scope, registry_id, server_id, key, kind, "
        "CASE kind WHEN 'variable' THEN value END, CAST(encrypted_value AS BLOB) "
        "FROM variables WHERE org_id = ?",
        [org_id],
    ).fetchall()
    for scope, registry_id, server_id, key, kind, value, blob in rows:
        place = _place(scope, registry_id, server_id, by_id, server_rows)
        if place is None:
            continue
        registry = by_id.get(registry_id) if registry_id else None
        server = server_rows.get(server_id) if server_id else None
        ref = ScopeRef(org, scope, registry, server)
        keys.setdefault(place, {})[key] = (kind, value, ref, blob)
    cloned: set[tuple[Place, str]] = set()
    for scope, registry_id, server_id, key in db.execute(
        "SELECT scope, registry_id, server_id, key FROM missing_secrets WHERE org_id = ?",
        [org_id],
    ).fetchall():
        place = _place(scope, registry_id, server_id, by_id, server_rows)
        if place is not None:
            cloned.add((place, key))
    return Side(dict(org), registries, servers, keys, cloned)


def _place(
    scope: str,
    registry_id: int | None,
    server_id: int | None,
    registries: dict[int, dict[str, Any]],
    servers: dict[int, dict[str, Any]],
) -> Place | None:
    """Where a row lives, by slug and name; None for a scope not compared (unknown here)."""
    if scope == "org":
        return ("org", None, None)
    if scope == "registry" and registry_id in registries:
        return ("registry", registries[registry_id]["slug"], None)
    if scope == "server" and server_id in servers:
        server = servers[server_id]
        return ("server", registries[server["registry_id"]]["slug"], server["name"])
    return None


class _Comparer:
    def __init__(self, a: Side, b: Side, data_key: bytes | None, may_reveal: bool) -> None:
        self.a, self.b, self.data_key = a, b, data_key
        self.may_reveal = may_reveal
        self.same_secrets = 0
        self.compared = 0  # pairs decrypted (the audit log says how many)

    def keys(self, place: Place) -> tuple[KeyDiff, ...]:
        left = self.a.keys.get(place, {})
        right = self.b.keys.get(place, {})
        found = []
        for key in sorted(set(left) | set(right)):
            d = self.key(place, key, left.get(key), right.get(key))
            if d is not None:
                found.append(d)
        return tuple(found)

    def key(
        self,
        place: Place,
        key: str,
        left: tuple[str, str | None, Any, bytes] | None,
        right: tuple[str, str | None, Any, bytes] | None,
    ) -> KeyDiff | None:
        kind_a = left[0] if left else None
        kind_b = right[0] if right else None
        value_a = left[1] if left and kind_a == "variable" else None
        value_b = right[1] if right and kind_b == "variable" else None
        if left is None or right is None:
            side, kind = ("B", kind_a) if right is None else ("A", kind_b)
            if kind == "secret":
                cloned = (place, key) in (self.b.cloned if side == "B" else self.a.cloned)
                state = f"missing in {side}" + (CLONED if cloned else "")
            else:
                state = f"only in {'A' if side == 'B' else 'B'}"
            return KeyDiff(key, state, kind_a, kind_b, value_a, value_b)
        if kind_a != kind_b:
            state = f"{kind_a} in A, {kind_b} in B"
            return KeyDiff(key, state, kind_a, kind_b, value_a, value_b)
        if kind_a == "variable":
            if value_a == value_b:
                return None
            return KeyDiff(key, DIFFERS, kind_a, kind_b, value_a, value_b)
        state = self.secrets(key, left, right)
        if state == SAME:
            self.same_secrets += 1
            return None
        return KeyDiff(key, state, kind_a, kind_b)

    def secrets(
        self,
        key: str,
        left: tuple[str, str | None, Any, bytes],
        right: tuple[str, str | None, Any, bytes],
    ) -> str:
        """same / differs, decided on the plaintexts in memory and forgotten at once; never for
        someone who may not reveal them."""
        if not self.may_reveal:
            return NO_REVEAL
        if self.data_key is None:
            return LOCKED
        self.compared += 1
        try:
            plain_a = crypto.decrypt(self.data_key, left[3], left[2].aad(key)).encode()
            plain_b = crypto.decrypt(self.data_key, right[3], right[2].aad(key)).encode()
        except crypto.Undecryptable:
            return UNREADABLE
        same = hmac.compare_digest(plain_a, plain_b)
        del plain_a, plain_b
        return SAME if same else DIFFERS

    def server(self, slug: str, name: str) -> ServerDiff | None:
        left = self.a.servers[slug].get(name)
        right = self.b.servers[slug].get(name)
        if left is None or right is None:
            state = "only in A" if right is None else "only in B"
            return ServerDiff(
                name,
                state,
                version_a=self.a.used(slug, name).version if left else None,
                version_b=self.b.used(slug, name).version if right else None,
            )
        used_a, used_b = self.a.used(slug, name), self.b.used(slug, name)
        keys = self.keys(("server", slug, name))
        versions = used_a.version != used_b.version
        document = used_a.document != used_b.document
        status = left["status"] != right["status"]
        drafts = used_a.unpublished != used_b.unpublished
        if not (keys or versions or document or status or drafts):
            return None
        return ServerDiff(
            name,
            "changed",
            used_a.version,
            used_b.version,
            document,
            left["status"],
            right["status"],
            keys,
            used_a.unpublished,
            used_b.unpublished,
        )

    def registry(self, slug: str) -> RegistryDiff | None:
        left = self.a.registries.get(slug)
        right = self.b.registries.get(slug)
        if left is None or right is None:
            state = "only in A" if right is None else "only in B"
            side = self.a if right is None else self.b
            return RegistryDiff(
                slug,
                state,
                name_a=left["name"] if left else None,
                name_b=right["name"] if right else None,
                server_count=len(side.servers[slug]),
            )
        fields = tuple(f for f in ("name", "description", "overview") if left[f] != right[f])
        names = sorted(set(self.a.servers[slug]) | set(self.b.servers[slug]))
        servers = tuple(d for d in (self.server(slug, n) for n in names) if d is not None)
        found = RegistryDiff(
            slug,
            "both",
            left["name"],
            right["name"],
            fields,
            servers,
            self.keys(("registry", slug, None)),
        )
        return None if found.empty else found


def compare_orgs(
    a: Side,
    b: Side,
    data_key: bytes | None,
    *,
    may_reveal: bool = True,
    vault_unlocked: bool | None = None,
) -> OrgDiff:
    """How `b` differs from `a`. Secrets' values are compared only with `may_reveal` (the
    actor may reveal secrets in both orgs) and the vault's key."""
    comparer = _Comparer(a, b, data_key if may_reveal else None, may_reveal)
    keys = comparer.keys(("org", None, None))
    slugs = sorted(set(a.registries) | set(b.registries))
    registries = tuple(d for d in (comparer.registry(s) for s in slugs) if d is not None)
    return OrgDiff(
        a.org["slug"],
        b.org["slug"],
        data_key is not None if vault_unlocked is None else vault_unlocked,
        keys,
        registries,
        comparer.same_secrets,
        may_reveal,
        comparer.compared,
    )


def _shown(value: str | None) -> str:
    """A variable's value quoted, its control characters written as JSON escapes."""
    return json.dumps(value, ensure_ascii=False)


def key_line(d: KeyDiff) -> str:
    """One key's difference in words: never a secret's value (only variables carry one)."""
    kind = " (secret)" if d.secret else ""
    values = []
    if d.kind_a == "variable" and d.a is not None:
        values.append(f"A {_shown(d.a)}")
    if d.kind_b == "variable" and d.b is not None:
        values.append(f"B {_shown(d.b)}")
    return f"{d.key}{kind}: {d.state}" + (f": {', '.join(values)}" if values else "")


def server_line(d: ServerDiff) -> str:
    if d.state != "changed":
        version = d.version_a if d.state == "only in A" else d.version_b
        return f"server {d.name}: {d.state}" + (f" (version {version})" if version else "")
    parts = []
    if d.version_a != d.version_b:
        parts.append(f"version {d.version_a or '-'} (A) → {d.version_b or '-'} (B)")
    elif d.document_differs:
        parts.append(f"same version {d.version_a or '-'}, server.json differs")
    if d.version_a != d.version_b and d.document_differs:
        parts.append("server.json differs")
    if d.status_a != d.status_b:
        parts.append(f"{d.status_a} (A), {d.status_b} (B)")
    drafts = [side for side, on in (("A", d.unpublished_a), ("B", d.unpublished_b)) if on]
    if drafts:
        parts.append(f"unpublished edits (draft) in {' and '.join(drafts)}")
    return f"server {d.name}" + (f": {'; '.join(parts)}" if parts else "")


def outline(diff: OrgDiff) -> list[tuple[int, str]]:
    """The diff as indented lines (depth, text), registry by registry; text is not escaped."""
    lines: list[tuple[int, str]] = []
    if diff.keys:
        lines.append((0, f"Org configuration ({len(diff.keys)}):"))
        lines.extend((1, key_line(k)) for k in diff.keys)
    for reg in diff.registries:
        if reg.state != "both":
            lines.append(
                (
                    0,
                    f"Registry {reg.slug}: {reg.state} ({reg.server_count} server"
                    f"{'' if reg.server_count == 1 else 's'})",
                )
            )
            continue
        lines.append((0, f"Registry {reg.slug}:"))
        if reg.fields:
            lines.append(
                (1, f"{', '.join(reg.fields)} differ{'s' if len(reg.fields) == 1 else ''}")
            )
        if reg.keys:
            lines.append((1, f"registry configuration ({len(reg.keys)}):"))
            lines.extend((2, key_line(k)) for k in reg.keys)
        for server in reg.servers:
            lines.append((1, server_line(server)))
            lines.extend((2, key_line(k)) for k in server.keys)
    return lines
