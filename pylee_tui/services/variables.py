"""Variables and secrets at org, registry or server scope, or at the user scope (a member's own
overrides in an org), their history and the effective configuration of a scope.

Rules:
- a key is a variable or a secret at one scope, never both; keys and values follow models.py;
- plain variables need `variables:write`; secrets `secrets:write` (write-only) and an unlocked
  vault; reading a secret's plaintext (reveal, copy, export) needs `secrets:reveal`;
- a secret's value is stored only as AES-256-GCM ciphertext bound to its org, scope and key;
  on a team server it arrives sealed by the member's machine (`team_vault`) and is never
  opened here;
- every write appends a version (the current value and the 10 before it are kept);
  history lists versions; rollback writes an old value as a new version;
- deleting (unset) is a version too: a deleted key keeps its history, is listed by `deleted`
  and comes back with `rollback` (or `restore`, which brings back the value it had);
- every change, reveal, copy and export is an audit event carrying no value;
- the user scope is the acting member's alone: any member writes their own (a secret there
  still needs the unlocked vault) and may reveal their own secrets; nobody reads another's,
  admins included: they see only which member overrides which key (`user_overrides`). Every
  effective configuration is resolved for its reader: org ⊕ registry ⊕ server ⊕ their own.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal, NamedTuple

from pylee_tui import crypto
from pylee_tui.models import Variable, VariableVersion
from pylee_tui.services.access import Membership
from pylee_tui.services.base import Service, exactly_one, model_from_row, one, valid
from pylee_tui.services.effective import EffectiveReader
from pylee_tui.services.errors import Conflict, InvalidInput, NotFound, SecretUnreadable
from pylee_tui.services.resolver import EffectiveConfig
from pylee_tui.services.scope import Scope
from pylee_tui.services.team_vault_models import TEAM_SECRETS_SEALED, is_sealed, is_team_store
from pylee_tui.services.variable_scope import VARIABLE_COLUMNS as _COLUMNS
from pylee_tui.services.variable_scope import ScopeRef
from pylee_tui.services.variable_scope import stored_columns as _stored
from pylee_tui.services.variable_versions import (
    KEEP_PREVIOUS,
    DeletedKey,
    Kind,
    add_version,
    backfill,
    deleted_keys,
    has_history,
    next_version,
    versions,
)

if TYPE_CHECKING:
    from pylee_tui.services import Services

__all__ = [
    "KEEP_PREVIOUS",
    "WRITE_PERMISSIONS",
    "DeletedKey",
    "KeyChange",
    "Kind",
    "RegistryScope",
    "RolledBack",
    "VariableService",
]


# what writing each kind of key needs, and how a refusal names it
WRITE_PERMISSIONS: dict[str, tuple[str, str]] = {
    "variable": ("variables:write", "change variables"),
    "secret": ("secrets:write", "change secrets"),
}


class KeyChange(NamedTuple):
    """When a key was last written (ISO text, as stored) and by whom."""

    at: str
    by: str


@dataclass(frozen=True)
class RegistryScope:
    """A registry as a place keys live: its slug, name and number of servers."""

    slug: str
    name: str
    servers: int


@dataclass(frozen=True)
class RolledBack:
    """What a rollback wrote: the key now, and the number of the version it wrote."""

    variable: Variable
    version: int


class VariableService(Service):
    def __init__(self, services: Services) -> None:
        super().__init__(services)
        self._reader = EffectiveReader()

    # --- reading ------------------------------------------------------------------------------

    def list_keys(self, actor: str, scope: Scope, *, kind: Kind | None = None) -> list[Variable]:
        """The keys defined at exactly this scope (a secret without its value)."""
        with self.store.reading() as db:
            ref, _member = self._scope(db, actor, scope)
            where, params = ref.where_sql()
            if kind:
                where += " AND kind = ?"
                params.append(kind)
            sql = f"SELECT {_COLUMNS} FROM {ref.table} WHERE {where} ORDER BY key"
            rows = db.query(sql, params)
            return [model_from_row(Variable, r) for r in rows]

    def get_key(self, actor: str, scope: Scope, key: str) -> Variable:
        with self.store.reading() as db:
            ref, _member = self._scope(db, actor, scope)
            return model_from_row(Variable, self._row(db, ref, key, columns=_COLUMNS))

    def reveal(
        self,
        actor: str,
        scope: Scope,
        key: str,
        *,
        purpose: Literal["reveal", "copy"] = "reveal",
    ) -> str:
        """A value in plaintext. For a secret: needs `secrets:reveal` and an unlocked vault, and
        is an audit event (`secret.reveal` or `secret.copy`)."""
        if purpose not in ("reveal", "copy"):
            raise InvalidInput(f"purpose must be reveal or copy, not {purpose!r}")
        with self.store.transaction() as db:
            ref, member = self._scope(db, actor, scope)
            row = self._row(db, ref, key)
            if row["kind"] == "variable":
                return row["value"]
            if ref.member is None:  # one's own secret (the user scope) needs no grant
                self.services.access.require(member, "secrets:reveal", f"{purpose} secrets")
            value = self._decrypt(ref, key, row["encrypted_value"])
            self.services.audit.record(
                db, actor, ref.org, f"secret.{purpose}", "variable", row["id"], key, ref.metadata()
            )
            return value

    def history(self, actor: str, scope: Scope, key: str) -> list[VariableVersion]:
        """Every kept version of the key at this scope, newest first (a secret's without value)."""
        key = valid("variable_key", key)
        with self.store.reading() as db:
            ref, _member = self._scope(db, actor, scope)
            return versions(db, ref, key)

    def changes(self, actor: str, scope: Scope) -> dict[str, dict[str, KeyChange]]:
        """When and by whom each key along the scope's chain was last written: level (org,
        registry, server; user: the actor's own) -> key -> (updated_at as stored, updated_by).
        Rows, not models: a registry's 5,000 keys are read in a few milliseconds."""
        with self.store.reading() as db:
            ref, member = self._scope(db, actor, scope)
            found: dict[str, dict[str, KeyChange]] = {}
            chain = ref.chain()
            if ref.member is None:
                chain.append(self._mine(db, ref, member))
            for level in chain:
                where, params = level.where_sql()
                rows = db.execute(
                    f"SELECT key, updated_at, updated_by FROM {level.table} WHERE {where}", params
                )
                found[level.scope] = {key: KeyChange(at, by) for key, at, by in rows}
            return found

    def registry_scopes(self, actor: str, org: str) -> list[RegistryScope]:
        """The org's registries, by name, with how many servers each holds: the places under
        the org where keys can live (their servers come with `server_names`)."""
        with self.store.reading() as db:
            org_row, _member = self.services.access.org_row(db, actor, org)
            rows = db.execute(
                "SELECT r.slug, r.name, "
                "(SELECT count(*) FROM servers s WHERE s.registry_id = r.id) FROM registries r "
                "WHERE r.org_id = ? ORDER BY r.name COLLATE NOCASE, r.slug",
                [org_row["id"]],
            )
            return [RegistryScope(slug, name, count) for slug, name, count in rows]

    def user_overrides(self, actor: str, org: str) -> list[tuple[str, str]]:
        """Which member overrides which key at the user scope: (email, key) pairs, by email
        then key, never a value nor a kind; active members only (a removed member's stay
        stored, theirs alone, should they come back). Admins only (the member review)."""
        with self.store.reading() as db:
            org_row, member = self.services.access.org_row(db, actor, org)
            self.services.access.require(member, "members:manage", "see members' overrides")
            rows = db.execute(
                "SELECT m.email, u.key FROM user_variables u JOIN members m ON m.id = u.member_id "
                "WHERE u.org_id = ? AND m.status = 'active' ORDER BY m.email, u.key",
                [org_row["id"]],
            )
            return [(email, key) for email, key in rows]

    def server_names(
        self, actor: str, scope: Scope, *, start: int = 0, limit: int | None = None
    ) -> list[str]:
        """The names of the registry's servers, by name: `limit` of them from `start`."""
        with self.store.reading() as db:
            ref, _member = self._scope(db, actor, scope)
            if ref.registry is None or ref.server is not None:
                raise InvalidInput(f"{scope.label} is not a registry: name one registry")
            rows = db.execute(
                "SELECT name FROM servers WHERE registry_id = ? ORDER BY name LIMIT ? OFFSET ?",
                [ref.registry["id"], -1 if limit is None else limit, start],
            )
            return [name for (name,) in rows]

    def deleted(self, actor: str, scope: Scope, *, kind: Kind | None = None) -> list[DeletedKey]:
        """The keys deleted at exactly this scope and not set again, by key: each one's newest
        version is its deletion, and its history is kept."""
        with self.store.reading() as db:
            ref, _member = self._scope(db, actor, scope)
            return deleted_keys(db, ref, kind)

    def effective(self, actor: str, scope: Scope, *, reveal: bool = False) -> EffectiveConfig:
        """org ⊕ registry ⊕ server for the scope, the actor's own overrides over it. With
        `reveal`, secrets are decrypted (needs `secrets:reveal` and an unlocked vault) and the
        export is an audit event."""
        if reveal:
            with self.store.transaction() as db:
                ref, member = self._scope(db, actor, scope)
                self.services.access.require(member, "secrets:reveal", "reveal secrets")
                config = self._effective(db, ref, member, reveal=True)
                secrets = [e.key for e in config.entries if e.kind == "secret"]
                if secrets:
                    self.services.audit.record(
                        db,
                        actor,
                        ref.org,
                        "secret.export",
                        "variable",
                        None,
                        ref.label,
                        ref.metadata(keys=secrets),
                    )
                return config
        with self.store.reading() as db:
            ref, member = self._scope(db, actor, scope)
            return self._effective(db, ref, member, reveal=False)

    def reveal_effective(
        self,
        actor: str,
        scope: Scope,
        key: str,
        *,
        purpose: Literal["reveal", "copy"] = "reveal",
    ) -> str | None:
        """The plaintext of one key of the scope's effective configuration, its references
        expanded (None when its value is unusable: a cycle, say). Only the secrets that value
        is made of are decrypted (needs `secrets:reveal` and an unlocked vault), each one an
        audit event (`secret.reveal` or `secret.copy`, naming the key it was read for); a
        value holding no secret is neither."""
        if purpose not in ("reveal", "copy"):
            raise InvalidInput(f"purpose must be reveal or copy, not {purpose!r}")
        key = valid("variable_key", key)
        with self.store.transaction() as db:
            ref, member = self._scope(db, actor, scope)
            masked = self._effective(db, ref, member, reveal=False)
            entry = masked.get(key)
            if entry is None:
                raise NotFound(f"no {key} at {ref.label} or above it")
            secrets = masked.secrets_in(key)
            if not secrets:
                return entry.value
            if any(masked.get(name).scope != "user" for name in secrets):  # type: ignore[union-attr]
                self.services.access.require(member, "secrets:reveal", f"{purpose} secrets")
            revealed = self._effective(db, ref, member, reveal=secrets).get(key)
            for name in sorted(secrets):
                self.services.audit.record(
                    db,
                    actor,
                    ref.org,
                    f"secret.{purpose}",
                    "variable",
                    None,
                    name,
                    ref.metadata(via=key),
                )
            return revealed.value if revealed is not None else None

    def effective_for_servers(self, actor: str, scope: Scope) -> dict[str, EffectiveConfig]:
        """The (masked) effective configuration of every server of a registry, by server name,
        the actor's own overrides over each."""
        with self.store.reading() as db:
            ref, member = self._scope(db, actor, scope)
            if ref.registry is None or ref.server is not None:
                raise InvalidInput(f"{scope.label} is not a registry: name one registry")
            return self._reader.every_server(db, ref, self._mine(db, ref, member))

    def reveal_for_servers(
        self,
        actor: str,
        scope: Scope,
        wanted: Mapping[str, Collection[str]],
        *,
        purpose: Literal["export", "run", "check", "call"] = "export",
    ) -> dict[str, dict[str, str | None]]:
        """The plaintext of the secrets `wanted` names (server name -> keys) in the effective
        configurations of the registry's servers (needs `secrets:reveal` and an unlocked
        vault): each secret decrypted once, however many servers share it; one event,
        `secret.<purpose>` (an export, or a server started to run, check or call it), naming
        the keys and the servers. A key that is not a secret there, or cannot be decrypted, is
        None. The actor's own overrides win (their own secrets need no grant to be read)."""
        if purpose not in ("export", "run", "check", "call"):
            raise InvalidInput(f"purpose must be export, run, check or call, not {purpose!r}")
        with self.store.transaction() as db:
            ref, member = self._scope(db, actor, scope)
            if ref.registry is None or ref.server is not None:
                raise InvalidInput(f"{scope.label} is not a registry: name one registry")
            wanted = {name: sorted(keys) for name, keys in wanted.items() if keys}
            if not wanted:
                return {}
            mine = self._mine(db, ref, member)
            own = {k for k, kind in self._own_kinds(db, mine).items() if kind == "secret"}
            if not {k for keys in wanted.values() for k in keys} <= own:
                self.services.access.require(member, "secrets:reveal", "reveal secrets")
            found = self._reader.secrets_of_servers(
                db, ref, self.services.vault.data_key, wanted, mine
            )
            if found:  # one export (or start), one event: which keys, for which servers
                self.services.audit.record(
                    db,
                    actor,
                    ref.org,
                    f"secret.{purpose}",
                    "variable",
                    None,
                    ref.label,
                    ref.metadata(
                        keys=sorted({k for values in found.values() for k in values}),
                        servers=sorted(found),
                    ),
                )
            return found

    # --- writing ------------------------------------------------------------------------------

    def set_key(
        self, actor: str, scope: Scope, key: str, value: str, *, kind: Kind = "variable"
    ) -> Variable:
        """Create or change a key at a scope (a new version either way)."""
        key = valid("variable_key", key)
        value = valid("variable_value", value)
        if kind not in ("variable", "secret"):
            raise InvalidInput(f"kind must be variable or secret, not {kind!r}")
        with self.store.transaction() as db:
            ref, member = self._scope(db, actor, scope)
            self._require_write(member, kind, ref)
            if kind == "secret" and is_team_store(db):
                raise InvalidInput(TEAM_SECRETS_SEALED)
            row_id = self._write(db, actor, ref, key, kind, value, action="set")
            return model_from_row(
                Variable,
                exactly_one(db, f"SELECT {_COLUMNS} FROM {ref.table} WHERE id = ?", [row_id]),
            )

    def check_write(self, actor: str, scope: Scope, kind: Kind) -> None:
        """Refuse, as `set_key` would, before a value or a passphrase is asked for."""
        with self.store.reading() as db:
            ref, member = self._scope(db, actor, scope)
            self._require_write(member, kind, ref)

    def unset(self, actor: str, scope: Scope, key: str, *, kind: Kind | None = None) -> Variable:
        """Delete a key at a scope (its history stays, so it can be rolled back)."""
        with self.store.transaction() as db:
            ref, member = self._scope(db, actor, scope)
            row = self._row(db, ref, key)
            if kind and row["kind"] != kind:
                raise Conflict(f"{key} at {ref.label} is a {row['kind']}, not a {kind}")
            self._require_write(member, row["kind"], ref)
            removed = model_from_row(
                Variable,
                exactly_one(db, f"SELECT {_COLUMNS} FROM {ref.table} WHERE id = ?", [row["id"]]),
            )
            backfill(db, ref, key)
            db.table(ref.table).delete(row["id"])
            version = next_version(db, ref, key)
            add_version(
                db, ref, key, version, "unset", row["kind"], None, None, actor=actor, now=self.now()
            )
            self.services.audit.record(
                db,
                actor,
                ref.org,
                f"{row['kind']}.unset",
                "variable",
                row["id"],
                key,
                ref.metadata(version=version),
            )
            return removed

    def rollback(self, actor: str, scope: Scope, key: str, version: int) -> RolledBack:
        """Write the value of an earlier version as a new version (a deleted key comes back);
        says which version it wrote."""
        key = valid("variable_key", key)
        with self.store.transaction() as db:
            ref, member = self._scope(db, actor, scope)
            variable = self._rollback(db, actor, ref, member, key, version)
            return RolledBack(variable, next_version(db, ref, key) - 1)

    def restore(
        self, actor: str, scope: Scope, key: str, *, deletion: int | None = None
    ) -> Variable:
        """Bring a deleted key back with the value it had: a rollback to its newest version
        with a value. With `deletion` (the version that deleted it), refused when the key has
        changed since, so an undo never undoes someone else's later write."""
        key = valid("variable_key", key)
        with self.store.transaction() as db:
            ref, member = self._scope(db, actor, scope)
            found = next((d for d in deleted_keys(db, ref) if d.key == key), None)
            if found is None or (deletion is not None and found.version != deletion):
                raise Conflict(
                    f"{key} at {ref.label} has changed since it was deleted; nothing was "
                    "restored (see its history)"
                    if deletion is not None and has_history(db, ref, key)
                    else f"{key} at {ref.label} is not a deleted key; nothing was restored"
                )
            if found.restores is None:
                raise NotFound(f"{key} at {ref.label} has no kept version with a value")
            return self._rollback(db, actor, ref, member, key, found.restores)

    # --- internals ----------------------------------------------------------------------------

    def _scope(self, db, actor: str, scope: Scope) -> tuple[ScopeRef, Membership]:
        """The scope's rows (org, registry, server) once the actor may see the org."""
        org, member = self.services.access.org_row(db, actor, scope.org)
        if scope.user:
            return self._mine(db, ScopeRef(org, "org"), member), member
        if scope.registry is None:
            return ScopeRef(org, "org"), member
        registry = one(
            db,
            "SELECT id, slug, name FROM registries WHERE org_id = ? AND slug = ?",
            [org["id"], scope.registry],
        )
        if registry is None:
            raise NotFound(f"no registry '{scope.registry}' in '{org['slug']}'")
        if scope.server is None:
            return ScopeRef(org, "registry", registry), member
        server = one(
            db,
            "SELECT id, name, document FROM servers WHERE registry_id = ? AND name = ?",
            [registry["id"], scope.server],
        )
        if server is None:
            raise NotFound(f"no server '{scope.server}' in registry '{scope.registry}'")
        return ScopeRef(org, "server", registry, server), member

    def _mine(self, db, ref: ScopeRef, member: Membership) -> ScopeRef:
        """The member's own scope (the user scope) in `ref`'s org."""
        row = exactly_one(
            db,
            "SELECT id, email FROM members WHERE org_id = ? AND email = ? AND status = 'active'",
            [ref.org["id"], member.email],
        )
        return ScopeRef(ref.org, "user", member=row)

    def _own_kinds(self, db, mine: ScopeRef) -> dict[str, str]:
        """The member's own keys and their kinds."""
        where, params = mine.where_sql()
        rows = db.execute(f"SELECT key, kind FROM {mine.table} WHERE {where}", params)
        return dict(rows.fetchall())

    def _rollback(self, db, actor: str, ref: ScopeRef, member, key: str, version: int) -> Variable:
        backfill(db, ref, key)
        where, params = ref.where_sql()
        old = one(
            db,
            f"SELECT {_stored(ref.versions_table)} FROM {ref.versions_table} "
            f"WHERE {where} AND key = ? AND version = ?",
            [*params, key, version],
        )
        if old is None:
            raise NotFound(f"{key} at {ref.label} has no version {version} (see its history)")
        if old["action"] == "unset":
            raise InvalidInput(
                f"version {version} of {key} is its deletion; roll back to a version with a value"
            )
        self._require_write(member, old["kind"], ref)
        sealed = None
        if old["kind"] != "secret":
            value = old["value"]
        elif is_sealed(old["encrypted_value"]):
            # a team vault's blob: every kept version is sealed to the org's current key (a
            # rotation re-seals them all), so the old blob is the new version as it is
            value, sealed = None, bytes(old["encrypted_value"])
        else:
            value = self._decrypt(ref, key, old["encrypted_value"])
        row_id = self._write(
            db,
            actor,
            ref,
            key,
            old["kind"],
            value,
            action="rollback",
            from_version=version,
            sealed=sealed,
        )
        return model_from_row(
            Variable, exactly_one(db, f"SELECT {_COLUMNS} FROM {ref.table} WHERE id = ?", [row_id])
        )

    def _row(self, db, ref: ScopeRef, key: str, columns: str | None = None) -> dict:
        key = valid("variable_key", key)
        where, params = ref.where_sql()
        columns = columns or _stored()
        sql = f"SELECT {columns} FROM {ref.table} WHERE {where} AND key = ?"
        row = one(db, sql, [*params, key])
        if row is None:
            raise NotFound(f"no {key} at {ref.label}")
        return row

    def _require_write(self, member, kind: str, ref: ScopeRef) -> None:
        if ref.member is not None:  # one's own overrides: any member writes theirs
            return
        self.services.access.require(member, *WRITE_PERMISSIONS[kind])

    def _write(
        self,
        db,
        actor: str,
        ref: ScopeRef,
        key: str,
        kind: str,
        value: str | None,
        action: str,
        from_version: int | None = None,
        sealed: bytes | None = None,
    ) -> int:
        """Write a key's new value (a secret: encrypted with the vault's key, or `sealed`, a
        team vault's blob as it came) as its new version, audited."""
        backfill(db, ref, key)
        where, params = ref.where_sql()
        existing = one(
            db, f"SELECT id, kind FROM {ref.table} WHERE {where} AND key = ?", [*params, key]
        )
        if existing and existing["kind"] != kind:
            raise Conflict(
                f"{key} is a {existing['kind']} at {ref.label}; delete it there before making it "
                f"a {kind}"
            )
        encrypted = None
        if kind == "secret":
            # a key that was a plain variable here and becomes a secret: its old plaintext
            # versions go (it was likely a secret pasted as a variable by mistake)
            db.execute(
                f"DELETE FROM {ref.versions_table} WHERE {where} AND key = ? AND kind = 'variable'",
                [*params, key],
            )
            if sealed is not None:
                encrypted = sealed
            else:
                assert value is not None  # a secret is written from a value or a sealed blob
                encrypted = crypto.encrypt(self.services.vault.data_key(), value, ref.aad(key))
        now = self.now()
        plain = value if kind == "variable" else None
        columns = {
            "value": plain,
            "encrypted_value": encrypted,
            "updated_at": now,
            "updated_by": actor,
        }
        if existing:
            db.table(ref.table).update(existing["id"], columns)
            row_id = existing["id"]
        else:
            row_id = (
                db.table(ref.table)
                .insert(
                    {
                        **ref.placement(),
                        "scope": ref.scope,
                        "key": key,
                        "kind": kind,
                        "created_at": now,
                        **columns,
                    }
                )
                .last_pk
            )
        version = next_version(db, ref, key)
        add_version(db, ref, key, version, action, kind, plain, encrypted, actor=actor, now=now)
        metadata = ref.metadata(version=version)
        if from_version is not None:
            metadata["from_version"] = from_version
        self.services.audit.record(
            db, actor, ref.org, f"{kind}.{action}", "variable", row_id, key, metadata
        )
        return row_id

    def _decrypt(self, ref: ScopeRef, key: str, blob: bytes) -> str:
        if is_sealed(blob):
            raise SecretUnreadable(
                f"{key} at {ref.label} is sealed by the team vault: only a reader's own machine "
                "opens it"
            )
        try:
            return crypto.decrypt(self.services.vault.data_key(), blob, ref.aad(key))
        except crypto.Undecryptable as exc:
            raise SecretUnreadable(f"{key} at {ref.label} cannot be decrypted: {exc}") from None

    def _effective(
        self, db, ref: ScopeRef, member: Membership, reveal: bool | set[str]
    ) -> EffectiveConfig:
        """The effective configuration at `ref` for `member` (their own keys over it);
        `reveal`: decrypt every secret (True), none (False) or the secrets of these keys."""
        mine = self._mine(db, ref, member) if ref.member is None else None
        if not reveal:
            return self._reader.masked(db, ref, mine)
        return self._reader.revealed(db, ref, self.services.vault.data_key, reveal, mine)


# --- the team vault's way in: in its transaction, by the rules above (not service methods: a
# remote client never calls them) -------------------------------------------------------------


def resolve_scope(
    variables: VariableService, db, actor: str, scope: Scope
) -> tuple[ScopeRef, Membership]:
    """The scope's rows and the actor's membership, in the caller's transaction."""
    return variables._scope(db, actor, scope)


def scope_levels(
    variables: VariableService, db, ref: ScopeRef, member: Membership
) -> dict[str, ScopeRef]:
    """Every scope the effective configuration at `ref` reads, by level (org, registry, server;
    user: the member's own)."""
    found = {level.scope: level for level in ref.chain()}
    if ref.member is None:
        found["user"] = variables._mine(db, ref, member)
    return found


def write_sealed(
    variables: VariableService,
    db,
    actor: str,
    ref: ScopeRef,
    member: Membership,
    key: str,
    blob: bytes,
) -> Variable:
    """Store a secret sealed on a member's machine (the team vault) as its new value: the path
    `set_key` takes (permission, kind, versions, audit), with the blob as it came."""
    key = valid("variable_key", key)
    variables._require_write(member, "secret", ref)
    row_id = variables._write(db, actor, ref, key, "secret", None, action="set", sealed=blob)
    return model_from_row(
        Variable, exactly_one(db, f"SELECT {_COLUMNS} FROM {ref.table} WHERE id = ?", [row_id])
    )
