"""The team vault, as a team server keeps it: bytes and rules, never a key that opens anything.

Each org has an X25519 key pair by *generation* (`org_keys`: the public half only). A secret at an
org, registry or server scope is a blob sealed to the org's current public key on the writer's
machine; the org's private key exists on the server only wrapped to each *reader* (an active
member who may reveal secrets) by an admin's machine (`org_key_wraps`, one per reader and
generation, each naming the reader key it was sealed to). A secret at the user scope is sealed to
its member's own public key: nobody else reads it, admins included, as locally.

Nothing here encrypts or decrypts (services never import `pylee_tui.team`; the client,
`team.vault_client`, does the cryptography). What the server decides:
- who may write (`secrets:write`, or one's own user scope) and read (`secrets:reveal`, with a
  wrap at the current generation), in the words the local rules use;
- that a blob is sealed to the org's current key (its generation, else Conflict: try again), so
  every sealed value of an org, its kept versions included, is at the current generation;
- that a key is shared only with readers, to the key they enrolled with; and that a rotation
  re-seals exactly the org's sealed values and wraps the new key for exactly its readers, in one
  transaction (anything changed meanwhile: Conflict, nothing written).
A wrap held by someone who no longer reads (removed, demoted) is *stale*: the org's key is due a
rotation, which an admin's client makes (`status` says so).
"""

from __future__ import annotations

import json
from dataclasses import replace
from typing import TYPE_CHECKING, Any, Literal

from pydantic import Base64Bytes

from pylee_tui.services.access import Membership
from pylee_tui.services.base import Service, one, valid
from pylee_tui.services.errors import (
    Conflict,
    InvalidInput,
    NotFound,
    PermissionDenied,
    SecretUnreadable,
)
from pylee_tui.services.scope import Scope
from pylee_tui.services.team_vault_models import (
    KEY_BYTES,
    KEY_CHANGED,
    MAX_SEALED_BYTES,
    READERS_CHANGED,
    SEALED_OVERHEAD,
    SECRETS_CHANGED,
    WRAP_BYTES,
    OrgKeyWrap,
    Reader,
    Resealed,
    SealedRow,
    SealedRows,
    SealedSecret,
    SealTarget,
    VaultState,
    Wrap,
    is_sealed,
    no_key_shared,
)
from pylee_tui.services.variables import resolve_scope, scope_levels, write_sealed

if TYPE_CHECKING:
    import sqlite_utils

    from pylee_tui.models import Variable
    from pylee_tui.services.variable_scope import ScopeRef

_SEALED = "substr(CAST(encrypted_value AS BLOB), 1, 1) = x'02'"
_LOCAL = "encrypted_value IS NOT NULL AND NOT " + _SEALED
_SCOPE_OF_ROW = (
    "CASE WHEN server_id IS NOT NULL THEN 'server' WHEN registry_id IS NOT NULL THEN 'registry' "
    "ELSE 'org' END AS scope, coalesce(server_id, registry_id, org_id) AS scope_id"
)
_TABLES: tuple[Literal["variables", "variable_versions"], ...] = ("variables", "variable_versions")


class TeamVaultService(Service):
    # --- reading ------------------------------------------------------------------------------

    def status(self, actor: str, org: str) -> VaultState:
        """The org's team vault as any member may see it."""
        with self.store.reading() as db:
            org_row, _member = self.services.access.org_row(db, actor, org)
            return self._state(db, org_row, actor)

    def readers(self, actor: str, org: str) -> list[Reader]:
        """Who may read the org's secrets (active members with `secrets:reveal`), by email."""
        return self.status(actor, org).readers

    def seal_target(self, actor: str, scope: Scope, key: str) -> SealTarget:
        """What a value for `key` at `scope` is sealed to, once the actor may write it there."""
        key = valid("variable_key", key)
        with self.store.reading() as db:
            ref, member = resolve_scope(self.services.variables, db, actor, scope)
            self._require_write(ref, member)
            self._not_a_variable(db, ref, key)
            base = {"org": ref.org["slug"], "org_id": ref.org["id"], "scope": ref.scope}
            if ref.member is not None:
                return SealTarget(
                    **base,
                    scope_id=ref.scope_id,
                    key=key,
                    generation=0,
                    public_key=self._own_key(db, actor),
                    personal=True,
                    may_init=False,
                )
            current = self._current(db, ref.org["id"])
            return SealTarget(
                **base,
                scope_id=ref.scope_id,
                key=key,
                generation=current[0] if current else 0,
                public_key=current[1] if current else None,
                personal=False,
                may_init=member.allows("secrets:reveal"),
            )

    def check_reveal(
        self, actor: str, scope: Scope, key: str, purpose: Literal["reveal", "copy"] = "reveal"
    ) -> str:
        """Refuse, as `sealed` would for `purpose` (its message names it), without reading
        anything out (nor an audit event); the key's kind when it would not refuse (a variable
        needs no key to be read)."""
        if purpose not in ("reveal", "copy"):
            raise InvalidInput(f"purpose must be reveal or copy, not {purpose!r}")
        with self.store.reading() as db:
            found, _ref, _row_id = self._sealed(db, actor, scope, key, purpose)
            return found.kind

    def sealed(
        self, actor: str, scope: Scope, key: str, *, purpose: Literal["reveal", "copy"] = "reveal"
    ) -> SealedSecret:
        """A key's value for its reader to open: a secret's blob needs `secrets:reveal` and the
        org's key shared with the actor (one's own user scope needs neither), and is an audit
        event (`secret.reveal` or `secret.copy`) as a local reveal is."""
        if purpose not in ("reveal", "copy"):
            raise InvalidInput(f"purpose must be reveal or copy, not {purpose!r}")
        with self.store.transaction() as db:
            found, ref, row_id = self._sealed(db, actor, scope, key, purpose)
            if found.kind == "secret":
                self.services.audit.record(
                    db,
                    actor,
                    ref.org,
                    f"secret.{purpose}",
                    "variable",
                    row_id,
                    found.key,
                    ref.metadata(),
                )
            return found

    def check_effective(self, actor: str, scope: Scope, keys: list[str] | None = None) -> int:
        """Refuse, as `sealed_effective` would, reading nothing out (nor an audit event): how
        many secrets it would give (none: no key is needed to open anything)."""
        with self.store.reading() as db:
            return len(self._effective(db, actor, scope, keys, "reveal")[0])

    def sealed_effective(
        self,
        actor: str,
        scope: Scope,
        keys: list[str] | None = None,
        *,
        purpose: Literal["export", "reveal", "copy", "run", "check", "call"] = "export",
        via: str | None = None,
    ) -> list[SealedSecret]:
        """The sealed values of the secrets that win in the scope's effective configuration
        (the reader's own overrides over it): every one, or those of `keys`, to be opened on the
        reader's machine. As locally: an export (a revealed configuration) needs
        `secrets:reveal` and is one `secret.export` event naming the keys; a reveal or copy of
        one key's value needs it unless every secret in it is the reader's own, and is one
        `secret.reveal`/`secret.copy` event per secret, naming the key read (`via`). Starting
        a server on the reader's machine (`run`, `check`, `call`: `scope` is the server's) needs
        what a reveal needs and is one `secret.<purpose>` event naming the keys and the server,
        as a local start is."""
        if purpose not in ("export", "reveal", "copy", "run", "check", "call"):
            raise InvalidInput(
                f"purpose must be export, reveal, copy, run, check or call, not {purpose!r}"
            )
        with self.store.transaction() as db:
            found, ref, ids = self._effective(db, actor, scope, keys, purpose)
            if purpose in ("export", "run", "check", "call") and found:
                more: dict[str, Any] = {"keys": sorted(s.key for s in found)}
                if purpose != "export":
                    more["servers"] = [scope.server] if scope.server else []
                self.services.audit.record(
                    db,
                    actor,
                    ref.org,
                    f"secret.{purpose}",
                    "variable",
                    None,
                    ref.label,
                    ref.metadata(**more),
                )
            elif found:
                for secret in found:
                    more = {} if via is None else {"via": via}
                    self.services.audit.record(
                        db,
                        actor,
                        ref.org,
                        f"secret.{purpose}",
                        "variable",
                        ids[secret.key],
                        secret.key,
                        ref.metadata(**more),
                    )
            return found

    def my_wrap(self, actor: str, org: str) -> OrgKeyWrap:
        """The org's current private key as wrapped for the actor (a reader)."""
        with self.store.reading() as db:
            org_row, member = self.services.access.org_row(db, actor, org)
            self.services.access.require(member, "secrets:reveal", "reveal secrets")
            return self._wrap_of(db, org_row, actor)

    def sealed_rows(self, actor: str, org: str) -> SealedRows:
        """Every value of the org sealed to its key, kept versions included (for a rotation)."""
        with self.store.reading() as db:
            org_row, member = self.services.access.org_row(db, actor, org)
            self.services.access.require(member, "secrets:reveal", "rotate the org's key")
            current = self._current(db, org_row["id"])
            return SealedRows(current[0] if current else 0, self._rows(db, org_row["id"]))

    # --- writing ------------------------------------------------------------------------------

    def put_sealed(
        self, actor: str, scope: Scope, key: str, blob: Base64Bytes, generation: int
    ) -> Variable:
        """Store a secret sealed on the writer's machine to what `seal_target` named: its new
        version, audited as `secret.set`. A generation that is no longer the org's: Conflict."""
        key = valid("variable_key", key)
        _check_blob(blob, MAX_SEALED_BYTES, "a sealed secret")
        with self.store.transaction() as db:
            ref, member = resolve_scope(self.services.variables, db, actor, scope)
            self._require_write(ref, member)
            if ref.member is not None:
                if generation != 0:
                    raise InvalidInput("a secret of your own is sealed to your key (generation 0)")
            else:
                current = self._current(db, ref.org["id"])
                if current is None:
                    raise Conflict(f"org {ref.org['slug']} has no key yet: {KEY_CHANGED}")
                if current[0] != generation:
                    raise Conflict(KEY_CHANGED)
            return write_sealed(self.services.variables, db, actor, ref, member, key, bytes(blob))

    def init_key(
        self, actor: str, org: str, public_key: Base64Bytes, wraps: list[Wrap]
    ) -> VaultState:
        """The org's first key (generation 1), its private half wrapped for every reader who
        has enrolled: made by a reader's client, audited as `vault.key.create`."""
        _check_key(public_key)
        with self.store.transaction() as db:
            org_row, member = self._keeper(db, actor, org, "create the org's secrets key")
            current = self._current(db, org_row["id"])
            if current is not None:
                raise Conflict(f"org {org_row['slug']} has a key already: {KEY_CHANGED}")
            readers = self._readers(db, org_row, 0)
            self._check_wraps(db, org_row, readers, wraps, every=True)
            self._add_key(db, org_row, 1, public_key, actor)
            self._store_wraps(db, org_row, 1, wraps, actor)
            self.services.audit.record(
                db,
                actor,
                org_row,
                "vault.key.create",
                "org_key",
                1,
                org_row["slug"],
                {"generation": 1, "readers": sorted(w.email for w in wraps)},
            )
            return self._state(db, org_row, actor)

    def add_wraps(self, actor: str, org: str, generation: int, wraps: list[Wrap]) -> VaultState:
        """Share the org's current key with readers who lack it (or enrolled with a new key),
        audited as `vault.key.share`."""
        with self.store.transaction() as db:
            org_row, _member = self._keeper(db, actor, org, "share the org's secrets key")
            current = self._current(db, org_row["id"])
            if current is None or current[0] != generation:
                raise Conflict(KEY_CHANGED)
            if not wraps:
                raise InvalidInput("no reader to share the key with")
            readers = self._readers(db, org_row, generation)
            self._check_wraps(db, org_row, readers, wraps, every=False)
            self._store_wraps(db, org_row, generation, wraps, actor)
            self.services.audit.record(
                db,
                actor,
                org_row,
                "vault.key.share",
                "org_key",
                generation,
                org_row["slug"],
                {"generation": generation, "readers": sorted(w.email for w in wraps)},
            )
            return self._state(db, org_row, actor)

    def rotate(
        self,
        actor: str,
        org: str,
        generation: int,
        public_key: Base64Bytes,
        wraps: list[Wrap],
        resealed: list[Resealed],
    ) -> VaultState:
        """Replace the org's key (generation + 1): every sealed value re-sealed to the new one,
        the new private key wrapped for exactly the current readers, every older wrap deleted,
        in one transaction, audited as `vault.key.rotate`. Refused (nothing written) when the
        generation, the readers or the set of sealed values changed since they were read."""
        _check_key(public_key)
        with self.store.transaction() as db:
            org_row, _member = self._keeper(db, actor, org, "rotate the org's secrets key")
            current = self._current(db, org_row["id"])
            if current is None or current[0] != generation:
                raise Conflict(KEY_CHANGED)
            readers = self._readers(db, org_row, generation)
            self._check_wraps(db, org_row, readers, wraps, every=True)
            stored = {(r.table, r.id) for r in self._rows(db, org_row["id"])}
            given = [(r.table, r.id) for r in resealed]
            if len(set(given)) != len(given) or set(given) != stored:
                raise Conflict(SECRETS_CHANGED)
            for row in resealed:
                _check_blob(row.blob, MAX_SEALED_BYTES, "a sealed secret")
                db.execute(
                    f"UPDATE {row.table} SET encrypted_value = ? WHERE id = ?",
                    [bytes(row.blob), row.id],
                )
            stale = self._stale(db, org_row["id"], generation, readers)
            new = generation + 1
            self._add_key(db, org_row, new, public_key, actor)
            self._store_wraps(db, org_row, new, wraps, actor)
            db.execute(
                "DELETE FROM org_key_wraps WHERE org_id = ? AND generation < ?",
                [org_row["id"], new],
            )
            self.services.audit.record(
                db,
                actor,
                org_row,
                "vault.key.rotate",
                "org_key",
                new,
                org_row["slug"],
                {
                    "generation": new,
                    "readers": sorted(w.email for w in wraps),
                    "dropped": stale,
                    "resealed": len(resealed),
                },
            )
            return self._state(db, org_row, actor)

    # --- internals ----------------------------------------------------------------------------

    def _keeper(
        self, db: sqlite_utils.Database, actor: str, org: str, doing: str
    ) -> tuple[dict[str, Any], Membership]:
        """The org once the actor may read its secrets: only a reader handles its key."""
        org_row, member = self.services.access.org_row(db, actor, org)
        self.services.access.require(member, "secrets:reveal", doing)
        return org_row, member

    def _require_write(self, ref: ScopeRef, member: Membership) -> None:
        if ref.member is None:  # one's own overrides: any member writes theirs
            self.services.access.require(member, "secrets:write", "change secrets")

    def _not_a_variable(self, db: sqlite_utils.Database, ref: ScopeRef, key: str) -> None:
        where, params = ref.where_sql()
        row = one(db, f"SELECT kind FROM {ref.table} WHERE {where} AND key = ?", [*params, key])
        if row is not None and row["kind"] != "secret":
            raise Conflict(
                f"{key} is a {row['kind']} at {ref.label}; delete it there before making it a "
                "secret"
            )

    def _own_key(self, db: sqlite_utils.Database, email: str) -> bytes:
        row = one(db, "SELECT public_key FROM people WHERE email = ?", [email])
        if row is None or row["public_key"] is None:
            raise InvalidInput(
                "you have no key on this team server: `pylee-tui join` it with an invitation"
            )
        return bytes(row["public_key"])

    def _current(self, db: sqlite_utils.Database, org_id: int) -> tuple[int, bytes] | None:
        row = one(
            db,
            "SELECT generation, public_key FROM org_keys WHERE org_id = ? "
            "ORDER BY generation DESC LIMIT 1",
            [org_id],
        )
        return None if row is None else (int(row["generation"]), bytes(row["public_key"]))

    def _readers(
        self, db: sqlite_utils.Database, org_row: dict[str, Any], generation: int
    ) -> list[Reader]:
        rows = db.execute(
            "SELECT m.email, m.role, m.grants, p.public_key, w.public_key AS wrapped_to "
            "FROM members m LEFT JOIN people p ON p.email = m.email "
            "LEFT JOIN org_key_wraps w ON w.org_id = m.org_id AND w.email = m.email "
            "AND w.generation = ? WHERE m.org_id = ? AND m.status = 'active' ORDER BY m.email",
            [generation, org_row["id"]],
        ).fetchall()
        readers = []
        for email, role, grants, public_key, wrapped_to in rows:
            member = Membership(
                org_row["id"], org_row["slug"], email, role, frozenset(json.loads(grants))
            )
            if not member.allows("secrets:reveal"):
                continue
            key = None if public_key is None else bytes(public_key)
            wrapped = key is not None and wrapped_to is not None and bytes(wrapped_to) == key
            readers.append(Reader(email, role, key, wrapped))
        return readers

    def _stale(
        self, db: sqlite_utils.Database, org_id: int, generation: int, readers: list[Reader]
    ) -> list[str]:
        """Who holds a wrap of the current key and may no longer read."""
        reading = {r.email for r in readers}
        rows = db.execute(
            "SELECT email FROM org_key_wraps WHERE org_id = ? AND generation = ? ORDER BY email",
            [org_id, generation],
        )
        return [email for (email,) in rows if email not in reading]

    def _state(self, db: sqlite_utils.Database, org_row: dict[str, Any], actor: str) -> VaultState:
        current = self._current(db, org_row["id"])
        generation = current[0] if current else 0
        readers = self._readers(db, org_row, generation)
        counts = {
            name: sum(
                one(
                    db,
                    f"SELECT count(*) AS n FROM {table} WHERE org_id = ? AND {where}",
                    [org_row["id"]],
                )["n"]  # type: ignore[index]
                for table in _TABLES
            )
            for name, where in (("sealed", _SEALED), ("unsealed", _LOCAL))
        }
        return VaultState(
            org=org_row["slug"],
            org_id=org_row["id"],
            generation=generation,
            public_key=current[1] if current else None,
            readers=readers,
            stale=self._stale(db, org_row["id"], generation, readers) if current else [],
            sealed=counts["sealed"],
            unsealed=counts["unsealed"],
            shared_with_you=any(r.email == actor and r.wrapped for r in readers),
        )

    def _wrap_of(
        self, db: sqlite_utils.Database, org_row: dict[str, Any], actor: str
    ) -> OrgKeyWrap:
        row = one(
            db,
            "SELECT k.generation, k.public_key, w.wrapped FROM org_keys k "
            "JOIN org_key_wraps w ON w.org_id = k.org_id AND w.generation = k.generation "
            "JOIN people p ON p.email = w.email AND p.public_key = w.public_key "
            "WHERE k.org_id = ? AND w.email = ? AND k.generation = "
            "(SELECT max(generation) FROM org_keys WHERE org_id = k.org_id)",
            [org_row["id"], actor],
        )
        if row is None:
            raise PermissionDenied(no_key_shared(org_row["slug"]))
        return OrgKeyWrap(
            org_row["id"], row["generation"], bytes(row["public_key"]), bytes(row["wrapped"])
        )

    def _sealed(
        self, db: sqlite_utils.Database, actor: str, scope: Scope, key: str, purpose: str
    ) -> tuple[SealedSecret, ScopeRef, int]:
        key = valid("variable_key", key)
        ref, member = resolve_scope(self.services.variables, db, actor, scope)
        where, params = ref.where_sql()
        row = one(
            db,
            "SELECT id, kind, CASE kind WHEN 'variable' THEN value END AS value, "
            f"CAST(encrypted_value AS BLOB) AS blob FROM {ref.table} WHERE {where} AND key = ?",
            [*params, key],
        )
        if row is None:
            raise NotFound(f"no {key} at {ref.label}")
        base = {"org": ref.org["slug"], "org_id": ref.org["id"], "scope": ref.scope}
        found = SealedSecret(
            **base,
            scope_id=ref.scope_id,
            key=key,
            kind=row["kind"],
            generation=0,
            personal=ref.member is not None,
        )
        if row["kind"] != "secret":
            return replace(found, value=row["value"]), ref, row["id"]
        if ref.member is None:
            self.services.access.require(member, "secrets:reveal", f"{purpose} secrets")
        if not is_sealed(row["blob"]):
            raise SecretUnreadable(
                f"{key} at {ref.label} was encrypted by this store's local vault before it served "
                "a team, and cannot be read here: set it again"
            )
        generation = 0
        if ref.member is None:
            generation = self._wrap_of(db, ref.org, actor).generation
        return replace(found, blob=bytes(row["blob"]), generation=generation), ref, row["id"]

    def _effective(
        self,
        db: sqlite_utils.Database,
        actor: str,
        scope: Scope,
        keys: list[str] | None,
        purpose: str,
    ) -> tuple[list[SealedSecret], ScopeRef, dict[str, int]]:
        """The winning secrets of the scope's effective configuration (or of `keys`), sealed,
        once the actor may read them; with their row ids."""
        variables = self.services.variables
        ref, member = resolve_scope(variables, db, actor, scope)
        if purpose == "export":
            self.services.access.require(member, "secrets:reveal", "reveal secrets")
        config = variables.effective(actor, scope)  # masked: which definition wins where
        levels = scope_levels(variables, db, ref, member)
        wanted = None if keys is None else {valid("variable_key", k) for k in keys}
        winners = [
            d
            for d in map(config.definition, config.keys())
            if d is not None and d.kind == "secret" and (wanted is None or d.key in wanted)
        ]
        if any(d.scope != "user" for d in winners):
            doing = "reveal" if purpose in ("run", "check", "call") else purpose
            self.services.access.require(member, "secrets:reveal", f"{doing} secrets")
        generation = 0
        if any(d.scope != "user" for d in winners):
            generation = self._wrap_of(db, ref.org, actor).generation
        found, ids = [], {}
        for definition in winners:
            level = levels[definition.scope]
            where, params = level.where_sql()
            row = one(
                db,
                f"SELECT id, CAST(encrypted_value AS BLOB) AS blob FROM {level.table} "
                f"WHERE {where} AND key = ?",
                [*params, definition.key],
            )
            if row is None:  # gone between the two reads: as if it never won
                continue
            if not is_sealed(row["blob"]):
                raise SecretUnreadable(
                    f"{definition.key} at {level.label} was encrypted by this store's local "
                    "vault before it served a team, and cannot be read here: set it again"
                )
            personal = level.member is not None
            found.append(
                SealedSecret(
                    org=ref.org["slug"],
                    org_id=ref.org["id"],
                    scope=level.scope,
                    scope_id=level.scope_id,
                    key=definition.key,
                    kind="secret",
                    generation=0 if personal else generation,
                    personal=personal,
                    blob=bytes(row["blob"]),
                )
            )
            ids[definition.key] = row["id"]
        return found, ref, ids

    def _rows(self, db: sqlite_utils.Database, org_id: int) -> list[SealedRow]:
        found = []
        for table in _TABLES:
            rows = db.execute(
                f"SELECT id, {_SCOPE_OF_ROW}, key, CAST(encrypted_value AS BLOB) FROM {table} "
                f"WHERE org_id = ? AND {_SEALED} ORDER BY id",
                [org_id],
            )
            found += [
                SealedRow(table, row_id, scope, scope_id, key, bytes(blob))
                for row_id, scope, scope_id, key, blob in rows
            ]
        return found

    def _check_wraps(
        self,
        db: sqlite_utils.Database,
        org_row: dict[str, Any],
        readers: list[Reader],
        wraps: list[Wrap],
        *,
        every: bool,
    ) -> None:
        """Each wrap for a reader, to the key they enrolled with, once; `every`: one for each
        reader who has enrolled (a rotation or a first key leaves nobody out)."""
        keys = {r.email: r.public_key for r in readers if r.public_key is not None}
        emails = [w.email for w in wraps]
        if len(set(emails)) != len(emails):
            raise InvalidInput("one wrap per reader")
        for wrap in wraps:
            _check_blob(wrap.wrapped, WRAP_BYTES, "a wrapped key", exact=True)
            if wrap.email not in keys:
                raise Conflict(
                    f"{wrap.email} may not read secrets in {org_row['slug']}: {READERS_CHANGED}"
                )
            if bytes(wrap.public_key) != keys[wrap.email]:
                raise Conflict(f"{wrap.email} joined again with another key: {READERS_CHANGED}")
        if every and set(emails) != set(keys):
            raise Conflict(READERS_CHANGED)

    def _add_key(
        self,
        db: sqlite_utils.Database,
        org_row: dict[str, Any],
        generation: int,
        public_key: bytes,
        actor: str,
    ) -> None:
        db.execute(
            "INSERT INTO org_keys (org_id, generation, public_key, created_at, created_by) "
            "VALUES (?, ?, ?, ?, ?)",
            [org_row["id"], generation, bytes(public_key), self.now(), actor],
        )

    def _store_wraps(
        self,
        db: sqlite_utils.Database,
        org_row: dict[str, Any],
        generation: int,
        wraps: list[Wrap],
        actor: str,
    ) -> None:
        now = self.now()
        for wrap in wraps:
            db.execute(
                "INSERT OR REPLACE INTO org_key_wraps "
                "(org_id, generation, email, public_key, wrapped, created_at, created_by) "
                "VALUES (?, ?, ?, ?, ?, ?, ?)",
                [
                    org_row["id"],
                    generation,
                    wrap.email,
                    bytes(wrap.public_key),
                    bytes(wrap.wrapped),
                    now,
                    actor,
                ],
            )


def _check_key(public_key: object) -> None:
    if not isinstance(public_key, bytes | bytearray) or len(public_key) != KEY_BYTES:
        raise InvalidInput(f"an org public key is {KEY_BYTES} bytes (a raw X25519 key)")


def _check_blob(blob: object, limit: int, what: str, *, exact: bool = False) -> None:
    if not is_sealed(blob) or len(blob) < SEALED_OVERHEAD:  # type: ignore[arg-type]
        raise InvalidInput(f"{what} must be a sealed box (sealed on a member's machine)")
    size = len(blob)  # type: ignore[arg-type]
    if size > limit or (exact and size != limit):
        raise InvalidInput(f"{what} is not the size of one")
