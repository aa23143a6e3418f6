"""Reading effective configurations from the store: each scope's keys as one layer of
definitions (one index search per scope), the org ⊕ registry configuration kept between calls
until the store changes, and a registry's servers resolved over it in one pass. The acting
user's own overrides (the user scope, `mine`) go over whatever scope is read, never kept.

What a server adds is resolved over its registry's configuration (`resolve_over`), so the
configuration of one server, or of every server of a registry, costs what the servers' own keys
cost once the registry's is known. That one is kept, masked (never a plaintext), for as long as
nothing is written to the store: by this connection (its count of changed rows moves) or by
another one (`PRAGMA data_version` moves)."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Collection, Iterable, Mapping
from typing import Any

import sqlite_utils

from pylee_tui import crypto
from pylee_tui.services.resolver import Definition, EffectiveConfig, resolve, resolve_over
from pylee_tui.services.variable_scope import ScopeRef

# a set of keys: decrypt the secrets of those keys only; True: every secret; False: none
Reveal = bool | Collection[str]
DataKey = Callable[[], bytes]  # the vault's key, asked for when a secret is to be decrypted
KEPT_BASES = 8  # registries (or orgs) whose configuration is kept between calls


class EffectiveReader:
    """Effective configurations of one store's scopes, read through one connection."""

    def __init__(self) -> None:
        self._bases: OrderedDict[tuple[int, int | None], tuple[tuple[int, int], EffectiveConfig]]
        self._bases = OrderedDict()
        self._guard = threading.Lock()

    # --- layers ---------------------------------------------------------------------------

    def layer(
        self,
        db: sqlite_utils.Database,
        ref: ScopeRef,
        data_key: DataKey | None = None,
        reveal: Reveal = False,
    ) -> list[Definition]:
        """The keys defined at exactly `ref`, by key. Secrets stay masked unless `reveal`
        (then `data_key()` decrypts them, asked only when there is a secret to decrypt; one
        that cannot be decrypted carries the error)."""
        where, params = ref.where_sql()
        label, level = ref.source, ref.level
        if not reveal:
            rows = db.execute(
                f"SELECT key, kind, CASE kind WHEN 'variable' THEN value END FROM {ref.table} "
                f"WHERE {where} ORDER BY key",
                params,
            )
            return [Definition(key, kind, level, label, value) for key, kind, value in rows]
        assert data_key is not None
        rows = db.execute(
            "SELECT key, kind, CASE kind WHEN 'variable' THEN value END, "
            f"CAST(encrypted_value AS BLOB) FROM {ref.table} WHERE {where} ORDER BY key",
            params,
        )
        found = []
        for key, kind, value, blob in rows:
            if kind == "secret" and (reveal is True or key in reveal):
                found.append(decrypted(data_key(), ref, key, blob, label))
            else:
                found.append(Definition(key, kind, level, label, value))
        return found

    def server_layers(
        self, db: sqlite_utils.Database, ref: ScopeRef
    ) -> dict[int, list[Definition]]:
        """The keys of every server of the registry `ref`, by server id (masked)."""
        assert ref.registry is not None
        layers: dict[int, list[Definition]] = {}
        rows = db.execute(
            "SELECT s.id, s.name, v.key, v.kind, CASE v.kind WHEN 'variable' THEN v.value END "
            "FROM servers s JOIN variables v ON v.server_id = s.id WHERE s.registry_id = ?",
            [ref.registry["id"]],
        )
        shown, layer, label = None, [], ""
        for server_id, name, key, kind, value in rows:  # a server's rows come together
            if server_id != shown:
                shown, label = server_id, f"server {name}"
                layer = layers.setdefault(server_id, [])
            layer.append(Definition(key, kind, "server", label, value))
        return layers

    # --- configurations -------------------------------------------------------------------

    def base(self, db: sqlite_utils.Database, ref: ScopeRef) -> EffectiveConfig:
        """The masked configuration of `ref`'s org, or of its registry (org ⊕ registry),
        kept until the store changes. Inside a transaction it is read afresh and not kept:
        what the transaction wrote may yet be rolled back."""
        registry = ref.registry
        cache_key = (ref.org["id"], registry["id"] if registry is not None else None)
        keep = not db.conn.in_transaction
        stamp = _stamp(db) if keep else None
        if keep:
            with self._guard:
                hit = self._bases.get(cache_key)
                if hit is not None and hit[0] == stamp:
                    self._bases.move_to_end(cache_key)
                    return hit[1]
        org_ref = ScopeRef(ref.org, "org")
        if registry is None:
            config = resolve([self.layer(db, org_ref)])
        else:
            registry_ref = ScopeRef(ref.org, "registry", registry)
            config = resolve_over(self.base(db, org_ref), "registry", self.layer(db, registry_ref))
        if keep and stamp is not None:
            with self._guard:
                self._bases[cache_key] = (stamp, config)
                self._bases.move_to_end(cache_key)
                while len(self._bases) > KEPT_BASES:
                    self._bases.popitem(last=False)
        return config

    def masked(
        self, db: sqlite_utils.Database, ref: ScopeRef, mine: ScopeRef | None = None
    ) -> EffectiveConfig:
        """The effective configuration at `ref`, secrets masked; with `mine` (the acting
        user's scope), their own overrides over it."""
        if ref.member is not None:
            return self.mine_over(db, self.base(db, ref), ref)
        return self.mine_over(db, self._masked(db, ref), mine)

    def mine_over(
        self, db: sqlite_utils.Database, config: EffectiveConfig, mine: ScopeRef | None
    ) -> EffectiveConfig:
        """`config` with the acting user's own keys (masked) over it, when they have any."""
        if mine is None:
            return config
        layer = self.layer(db, mine)
        return resolve_over(config, "user", layer, config.document) if layer else config

    def _masked(self, db: sqlite_utils.Database, ref: ScopeRef) -> EffectiveConfig:
        if ref.server is None:
            return self.base(db, ref)
        return resolve_over(
            self.base(db, ScopeRef(ref.org, "registry", ref.registry)),
            "server",
            self.layer(db, ref),
            ref.server.get("document"),
        )

    def revealed(
        self,
        db: sqlite_utils.Database,
        ref: ScopeRef,
        data_key: DataKey,
        reveal: Reveal,
        mine: ScopeRef | None = None,
    ) -> EffectiveConfig:
        """The effective configuration at `ref` with secrets decrypted (every one, or those of
        the keys in `reveal`), the acting user's own keys (`mine`) over it: read afresh, never
        kept."""
        chain = ref.chain()
        if mine is not None and ref.member is None:
            chain.append(mine)
        layers = [self.layer(db, level, data_key, reveal) for level in chain]
        return resolve(layers, ref.server.get("document") if ref.server else None)

    def every_server(
        self, db: sqlite_utils.Database, ref: ScopeRef, mine: ScopeRef | None = None
    ) -> dict[str, EffectiveConfig]:
        """The masked configuration of every server of the registry `ref`, by name, the acting
        user's own keys (`mine`) over each."""
        own = self.layer(db, mine) if mine is not None else []
        base = self.base(db, ref)
        layers = self.server_layers(db, ref)
        assert ref.registry is not None
        servers = db.execute(
            "SELECT id, name, document FROM servers WHERE registry_id = ? ORDER BY name",
            [ref.registry["id"]],
        ).fetchall()
        found = {
            name: resolve_over(base, "server", layers.get(server_id, ()), document)
            for server_id, name, document in servers
        }
        if own:
            found = {
                name: resolve_over(config, "user", own, config.document)
                for name, config in found.items()
            }
        return found

    def secrets_of_servers(
        self,
        db: sqlite_utils.Database,
        ref: ScopeRef,
        data_key: DataKey,
        wanted: Mapping[str, Iterable[str]],
        mine: ScopeRef | None = None,
    ) -> dict[str, dict[str, str | None]]:
        """The plaintext of the secrets `wanted` names for each server of the registry `ref`
        (server name -> keys), as each server's effective configuration has them: one read per
        scope level, each secret decrypted once however many servers share it. A key that is
        not a secret where it wins, or cannot be decrypted, is None. The acting user's own
        keys (`mine`) win over every scope."""
        assert ref.registry is not None
        keys = {k for names in wanted.values() for k in names}
        org_ref = ScopeRef(ref.org, "org")
        registry_ref = ScopeRef(ref.org, "registry", ref.registry)
        levels: list[tuple[ScopeRef, dict[str, tuple[str, Any]]]] = []
        for level in (org_ref, registry_ref):
            where, params = level.where_sql()
            rows = db.execute(
                f"SELECT key, kind, CAST(encrypted_value AS BLOB) FROM variables WHERE {where}",
                params,
            )
            levels.append((level, {k: (kind, blob) for k, kind, blob in rows if k in keys}))
        if mine is not None:
            where, params = mine.where_sql()
            rows = db.execute(
                f"SELECT key, kind, CAST(encrypted_value AS BLOB) FROM {mine.table} WHERE {where}",
                params,
            )
            levels.append((mine, {k: (kind, blob) for k, kind, blob in rows if k in keys}))
        servers: dict[str, dict[str, Any]] = {}
        own: dict[str, dict[str, tuple[str, Any]]] = {}
        rows = db.execute(
            "SELECT s.id, s.name, v.key, v.kind, CAST(v.encrypted_value AS BLOB) "
            "FROM servers s LEFT JOIN variables v ON v.server_id = s.id WHERE s.registry_id = ?",
            [ref.registry["id"]],
        )
        for server_id, name, key, kind, blob in rows:
            if name not in wanted:
                continue
            servers[name] = {"id": server_id, "name": name}
            if key is not None and key in keys:
                own.setdefault(name, {})[key] = (kind, blob)
        plain: dict[tuple[str, int, str], str | None] = {}

        def secret(level: ScopeRef, key: str, blob: Any) -> str | None:
            spot = (level.scope, level.scope_id, key)
            if spot not in plain:
                d = decrypted(data_key(), level, key, blob, level.label)
                plain[spot] = None if d.error else d.value
            return plain[spot]

        found: dict[str, dict[str, str | None]] = {}
        for name, names in wanted.items():
            server = servers.get(name)
            if server is None:
                continue
            server_ref = ScopeRef(ref.org, "server", ref.registry, server)
            values: dict[str, str | None] = {}
            for key in names:
                for level, defined in (
                    *([levels[2]] if mine is not None else []),
                    (server_ref, own.get(name, {})),
                    (registry_ref, levels[1][1]),
                    (org_ref, levels[0][1]),
                ):
                    if key in defined:
                        kind, blob = defined[key]
                        values[key] = secret(level, key, blob) if kind == "secret" else None
                        break
                else:
                    values[key] = None
            found[name] = values
        return found


def decrypted(data_key: bytes, ref: ScopeRef, key: str, blob: Any, label: str) -> Definition:
    """A secret's definition with its plaintext, or with the reason it cannot be read."""
    try:
        value = crypto.decrypt(data_key, blob, ref.aad(key))
    except crypto.Undecryptable as exc:
        return Definition(key, "secret", ref.level, label, None, error=str(exc))
    return Definition(key, "secret", ref.level, label, value)


def _stamp(db: sqlite_utils.Database) -> tuple[int, int]:
    """Moves whenever the store changes: a row written through this connection, or a commit
    by another one."""
    version = db.execute("PRAGMA data_version").fetchone()[0]
    return db.conn.total_changes, version
