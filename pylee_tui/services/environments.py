"""Environments: an org cloned into another (development, staging, production), the keys a clone
could not carry (its secrets, missing until set), and two orgs compared registry by registry.

A clone copies registries (whether each requires approval too), servers with their published
versions, forks' links to their upstreams, the pins that name a version the server can use, the
overviews and every variable at org, registry and server scope. A link to another org's server
is kept only for a member of that org (as forking it would need): for anyone else the forked
server becomes a plain copy of the version in use (`CloneReport.unfollowed`). It copies no
secret: each becomes a row of `missing_secrets` at the same scope of the new org, a key that is
missing until someone sets it there. Personal overrides (the user scope) are a member's own and
never copied.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from pylee_tui.services.base import Service, exactly_one
from pylee_tui.services.environment_diff import InUse, OrgDiff, Side, compare_orgs, read_side
from pylee_tui.services.forks import Home, home_of, tell_followed
from pylee_tui.services.scope import Scope

if TYPE_CHECKING:
    import sqlite_utils

COPIED_SCOPES = ("org", "registry", "server")  # a scope not known here is not copied
CLONED_MEMBER_STATES = ("active", "invited")


@dataclass(frozen=True)
class MissingSecret:
    """A secret a clone did not copy, not set since at its scope."""

    key: str
    scope: str  # org | registry | server
    registry: str | None  # its slug (a server's registry too)
    server: str | None
    cloned_from: str  # the source org's slug

    @property
    def where(self) -> str:
        if self.server is not None:
            return f"server {self.registry}/{self.server}"
        if self.registry is not None:
            return f"registry {self.registry}"
        return "org"


@dataclass(frozen=True)
class Unfollowed:
    """A forked server a clone made a plain copy of: its upstream is in an org the cloner is
    not a member of, so the clone does not follow it."""

    registry: str  # the registry's slug
    server: str
    version: str  # the version the source used, now the copy's one published version
    upstream: str  # org/registry/name it followed in the source

    def to_json(self) -> dict[str, str]:
        return {
            "registry": self.registry,
            "server": self.server,
            "version": self.version,
            "upstream": self.upstream,
        }


@dataclass(frozen=True)
class CloneReport:
    """What `clone` made: the new org and what it holds."""

    slug: str
    name: str
    source: str
    registries: int
    servers: int
    variables: int
    members: int  # copied from the source (the actor not counted)
    missing: tuple[MissingSecret, ...]
    unfollowed: tuple[Unfollowed, ...] = ()

    def to_json(self) -> dict[str, Any]:
        return {
            "slug": self.slug,
            "name": self.name,
            "source": self.source,
            "registries": self.registries,
            "servers": self.servers,
            "variables": self.variables,
            "members": self.members,
            "missing_secrets": [
                {"key": m.key, "scope": m.scope, "registry": m.registry, "server": m.server}
                for m in self.missing
            ],
            "unfollowed": [u.to_json() for u in self.unfollowed],
        }


class EnvironmentService(Service):
    # --- clone ---------------------------------------------------------------------------

    def clone(
        self,
        actor: str,
        source: str,
        name: str,
        *,
        slug: str | None = None,
        with_members: bool = False,
    ) -> CloneReport:
        """A new org `name` holding a copy of `source` (its registries, servers, forks, pins,
        overviews and variables; each secret a missing key), the actor its admin; with
        `with_members`, the source's active members and open invitations too, with their roles
        and grants. Any member of the source may clone it; copying its members needs
        `members:manage` there. A forked server following another org's server keeps
        following it only when the actor is an active member of that org (whose log then
        records `registry.forked`, as for a fork); else it becomes a plain copy of the version
        the source uses (the report's `unfollowed`).
        One transaction, one audit event (`org.clone`) on the new org."""
        access = self.services.access
        with self.store.transaction() as db:
            src, member = access.org_row(db, actor, source)
            if with_members:
                access.require(member, "members:manage", "copy the members")
            created = self.services.orgs.create(
                actor, name, slug=slug, description=src["description"], overview=src["overview"]
            )
            new = exactly_one(db, "SELECT * FROM organizations WHERE id = ?", [created.id])
            now = self.now()
            db.execute(
                "UPDATE organizations SET overview_updated_at = ? WHERE id = ?",
                [src["overview_updated_at"] if src["overview"] else None, new["id"]],
            )
            registries, servers, unfollowed = self._copy_registries(db, actor, src, new, now)
            variables = self._copy_variables(db, actor, src, new, registries, servers, now)
            members = self._copy_members(db, actor, src["id"], new["id"]) if with_members else 0
            missing = self._missing(db, new["id"])
            self.services.audit.record(
                db,
                actor,
                new,
                "org.clone",
                "organization",
                new["id"],
                new["name"],
                {
                    "source": src["slug"],
                    "registries": len(registries),
                    "servers": len(servers),
                    "variables": variables,
                    "members": members,
                    "missing_secrets": len(missing),
                    "unfollowed": len(unfollowed),
                },
            )
            return CloneReport(
                slug=new["slug"],
                name=new["name"],
                source=src["slug"],
                registries=len(registries),
                servers=len(servers),
                variables=variables,
                members=members,
                missing=tuple(missing),
                unfollowed=tuple(unfollowed),
            )

    def _copy_registries(
        self,
        db: sqlite_utils.Database,
        actor: str,
        src: dict[str, Any],
        new: dict[str, Any],
        now: str,
    ) -> tuple[dict[int, int], dict[int, int], list[Unfollowed]]:
        """Copy every registry (whether it requires approval too) and server (with its
        published versions), then the forks' links and the pins; the maps old id -> new id of
        each registry and server, and the forked servers made plain copies."""
        src_id = src["id"]
        registries: dict[int, int] = {}
        servers: dict[int, int] = {}
        for reg in db.query("SELECT * FROM registries WHERE org_id = ? ORDER BY id", [src_id]):
            registries[reg["id"]] = _pk(
                db.table("registries")
                .insert(
                    {
                        "org_id": new["id"],
                        "name": reg["name"],
                        "slug": reg["slug"],
                        "description": reg["description"],
                        "overview": reg["overview"],
                        "overview_updated_at": reg.get("overview_updated_at"),
                        "require_approval": reg["require_approval"],
                        "created_at": now,
                        "updated_at": now,
                    }
                )
                .last_pk
            )
        for server in db.query(
            "SELECT s.* FROM servers s JOIN registries r ON r.id = s.registry_id "
            "WHERE r.org_id = ? ORDER BY s.id",
            [src_id],
        ):
            servers[server["id"]] = _pk(
                db.table("servers")
                .insert(
                    {
                        "registry_id": registries[server["registry_id"]],
                        "name": server["name"],
                        "version": server["version"],
                        "description": server["description"],
                        "document": server["document"],
                        "status": server["status"],
                        "problems": server["problems"],
                        "created_at": now,
                        "updated_at": now,
                    }
                )
                .last_pk
            )
            # its published versions (immutable: copied as they are; a forked server has none)
            db.execute(
                "INSERT INTO server_versions (server_id, version, document, published_at, "
                "published_by) SELECT ?, version, document, published_at, published_by "
                "FROM server_versions WHERE server_id = ? ORDER BY id",
                [servers[server["id"]], server["id"]],
            )
        upstreams, unfollowed, copied = self._copy_forks(
            db, actor, src, new, (registries, servers), now
        )
        self._copy_pins(db, servers, upstreams, copied)
        return registries, servers, unfollowed

    def _copy_forks(
        self,
        db: sqlite_utils.Database,
        actor: str,
        src: dict[str, Any],
        new: dict[str, Any],
        copies: tuple[dict[int, int], dict[int, int]],
        now: str,
    ) -> tuple[dict[int, int | None], list[Unfollowed], set[int]]:
        """A forked registry of the source stays a fork in the clone, each forked server linked
        to the same upstream server; an upstream in the source org itself is the clone's copy
        of it (the clone holds its own). A link into an org the actor is not an active member
        of is not kept: that server becomes a plain copy of the version in use (and a registry
        forked from such an org is no fork). Returns the clone's forked servers: new id -> the
        upstream's id (None: gone upstream); the servers made copies; their new ids."""

        def slug_of(registry_id: int) -> str:
            row = exactly_one(db, "SELECT slug FROM registries WHERE id = ?", [registry_id])
            return str(row["slug"])

        def label(registry_id: int, server_id: int | None = None) -> str:
            text = f"{new['slug']}/{slug_of(registry_id)}"
            if server_id is not None:
                row = exactly_one(db, "SELECT name FROM servers WHERE id = ?", [server_id])
                text += f"/{row['name']}"
            return text

        def reached(org_id: int) -> bool:
            return self.services.access.membership(db, actor, org_id) is not None

        registries, servers = copies
        for fork in db.query(
            "SELECT f.*, u.org_id AS upstream_org FROM registry_forks f "
            "JOIN registries r ON r.id = f.registry_id "
            "LEFT JOIN registries u ON u.id = f.upstream_registry_id WHERE r.org_id = ?",
            [src["id"]],
        ):
            upstream = fork["upstream_registry_id"]
            mapped = registries.get(upstream) if upstream is not None else None
            copy = registries[fork["registry_id"]]
            old_description = f"Fork of {fork['upstream_label']}"
            if mapped is None and upstream is not None and not reached(fork["upstream_org"]):
                # no fork of an org the actor is not in: the description fork wrote says so
                db.execute(
                    "UPDATE registries SET description = ? WHERE id = ? AND description = ?",
                    [f"Copy of {fork['upstream_label']}", copy, old_description],
                )
                continue
            text = fork["upstream_label"] if mapped is None else label(mapped)
            db.execute(
                "INSERT INTO registry_forks (registry_id, upstream_registry_id, upstream_label, "
                "forked_at, forked_by) VALUES (?, ?, ?, ?, ?)",
                [copy, upstream if mapped is None else mapped, text, now, actor],
            )
            # the description `fork` wrote (unless edited since) names the new upstream
            db.execute(
                "UPDATE registries SET description = ? WHERE id = ? AND description = ?",
                [f"Fork of {text}", copy, old_description],
            )
        found: dict[int, int | None] = {}
        unfollowed: list[Unfollowed] = []
        copied: set[int] = set()
        followed: dict[int, list[Home]] = {}  # source registry id -> what its copy follows
        for link in db.query(
            "SELECT u.*, s.registry_id, s.name FROM server_upstreams u "
            "JOIN servers s ON s.id = u.server_id "
            "JOIN registries r ON r.id = s.registry_id WHERE r.org_id = ? ORDER BY s.id",
            [src["id"]],
        ):
            upstream = link["upstream_id"]
            mapped = servers.get(upstream) if upstream is not None else None
            new_id = servers[link["server_id"]]
            if upstream is not None and mapped is None:
                home = home_of(db, upstream)
                if not reached(home.org_id):
                    unfollowed.append(self._plain_copy(db, actor, link, new_id, now))
                    copied.add(new_id)
                    continue
                followed.setdefault(link["registry_id"], []).append(home)
            found[new_id] = upstream if mapped is None else mapped
            if mapped is None:
                text = link["upstream_label"]
            else:
                reg = exactly_one(db, "SELECT registry_id FROM servers WHERE id = ?", [mapped])
                text = label(reg["registry_id"], mapped)
            db.execute(
                "INSERT INTO server_upstreams (server_id, upstream_id, upstream_label) "
                "VALUES (?, ?, ?)",
                [new_id, found[new_id], text],
            )
        for registry_id, homes in followed.items():
            tell_followed(
                self.services.audit,
                db,
                actor,
                homes,
                into=label(registries[registry_id]),
                through=f"{src['slug']}/{slug_of(registry_id)}",
                told=set(),
            )
        unfollowed.sort(key=lambda u: (u.registry, u.server))
        return found, unfollowed, copied

    def _plain_copy(
        self, db: sqlite_utils.Database, actor: str, link: dict[str, Any], new_id: int, now: str
    ) -> Unfollowed:
        """Make the clone's server `new_id` a server of its own at the version its source
        (the forked server `link` names) uses: that version published in the clone, by the
        actor, now."""
        pin = db.execute(
            "SELECT version FROM server_pins WHERE server_id = ?", [link["server_id"]]
        ).fetchone()
        in_use = db.execute(
            "SELECT version, document FROM server_versions WHERE server_id = ? "
            + ("AND version = ?" if pin else "ORDER BY id DESC LIMIT 1"),
            [link["upstream_id"], pin[0]] if pin else [link["upstream_id"]],
        ).fetchone()
        if in_use is None:  # cannot be (versions stay): the row's mirrored document then
            row = exactly_one(db, "SELECT version, document FROM servers WHERE id = ?", [new_id])
            in_use = (row["version"], row["document"])
        version, document = in_use
        parsed = json.loads(document)
        description = parsed.get("description") if isinstance(parsed, dict) else None
        db.execute(
            "INSERT INTO server_versions (server_id, version, document, published_at, "
            "published_by) VALUES (?, ?, ?, ?, ?)",
            [new_id, version, document, now, actor],
        )
        db.execute(
            "UPDATE servers SET version = ?, document = ?, description = ? WHERE id = ?",
            [version, document, description if isinstance(description, str) else "", new_id],
        )
        registry = exactly_one(
            db, "SELECT slug FROM registries WHERE id = ?", [link["registry_id"]]
        )
        return Unfollowed(registry["slug"], link["name"], version, link["upstream_label"])

    def _copy_pins(
        self,
        db: sqlite_utils.Database,
        servers: dict[int, int],
        upstreams: dict[int, int | None],
        copied: set[int],
    ) -> None:
        """Copy each pin that names a version the clone's server can use (its own published
        versions, or its upstream's): never a pin to nothing (a server gone upstream has none),
        nor one of a server made a plain copy (its one version is what it uses).
        A forked server's row then holds the document it uses."""
        mirror = self.services.server_versions.mirror
        for old_id, new_id in servers.items():
            if new_id in copied:
                continue
            source = upstreams.get(new_id, new_id)  # None: gone upstream, nothing to pin
            db.execute(
                "INSERT INTO server_pins (server_id, version, pinned_at, pinned_by) "
                "SELECT ?, version, pinned_at, pinned_by FROM server_pins p WHERE server_id = ? "
                "AND EXISTS (SELECT 1 FROM server_versions v WHERE v.server_id = ? "
                "AND v.version = p.version)",
                [new_id, old_id, source],
            )
            if new_id in upstreams:
                mirror(db, new_id)

    def _copy_variables(
        self,
        db: sqlite_utils.Database,
        actor: str,
        src: dict[str, Any],
        new: dict[str, Any],
        registries: dict[int, int],
        servers: dict[int, int],
        now: str,
    ) -> int:
        """Copy the variables (each a first version); record each secret as missing. Returns
        the number of variables copied."""
        from pylee_tui.services.variable_versions import add_version

        copied = 0
        rows = db.execute(
            "SELECT scope, registry_id, server_id, key, kind, "
            "CASE kind WHEN 'variable' THEN value END FROM variables WHERE org_id = ? "
            "ORDER BY id",
            [src["id"]],
        ).fetchall()
        for scope, registry_id, server_id, key, kind, value in rows:
            if scope not in COPIED_SCOPES:
                continue
            placement = {
                "org_id": new["id"],
                "registry_id": registries.get(registry_id) if registry_id else None,
                "server_id": servers.get(server_id) if server_id else None,
                "scope": scope,
                "key": key,
            }
            if kind == "secret":
                db.table("missing_secrets").insert(
                    {**placement, "cloned_from": src["slug"], "created_at": now}
                )
                continue
            db.table("variables").insert(
                {
                    **placement,
                    "kind": "variable",
                    "value": value,
                    "encrypted_value": None,
                    "created_at": now,
                    "updated_at": now,
                    "updated_by": actor,
                }
            )
            add_version(
                db,
                _ref(db, new, scope, placement["registry_id"], placement["server_id"]),
                key,
                1,
                "set",
                "variable",
                value,
                None,
                actor=actor,
                now=now,
            )
            copied += 1
        return copied

    def _copy_members(self, db: sqlite_utils.Database, actor: str, src_id: int, new_id: int) -> int:
        """Copy the source's active members and open invitations (the actor is already the
        new org's admin). Returns how many."""
        rows = list(
            db.query(
                "SELECT email, display_name, role, status, grants, invited_by, invited_at, "
                "joined_at FROM members WHERE org_id = ? AND email != ? "
                "AND status IN ('active', 'invited') ORDER BY id",
                [src_id, actor],
            )
        )
        for row in rows:
            db.table("members").insert({**row, "org_id": new_id})
        return len(rows)

    # --- what a clone left to set ----------------------------------------------------------

    def missing_secrets(self, actor: str, scope: Scope) -> list[MissingSecret]:
        """The secrets a clone left without a value, still unset, at the scope and the scopes
        it inherits from (org; registry; server), by key."""
        with self.store.reading() as db:
            org, _member = self.services.access.org_row(db, actor, scope.org)
            found = self._missing(db, org["id"])
        keep = []
        for m in found:
            if m.scope == "registry" and m.registry != scope.registry:
                continue
            if m.scope == "server" and (m.registry, m.server) != (scope.registry, scope.server):
                continue
            keep.append(m)
        return keep

    def missing_in_org(self, actor: str, org: str) -> list[MissingSecret]:
        """Every secret a clone left without a value in the org, still unset, by scope."""
        with self.store.reading() as db:
            row, _member = self.services.access.org_row(db, actor, org)
            return self._missing(db, row["id"])

    def _missing(self, db: sqlite_utils.Database, org_id: int) -> list[MissingSecret]:
        rows = db.execute(
            """
            SELECT m.key, m.scope, coalesce(r.slug, sr.slug), s.name, m.cloned_from
            FROM missing_secrets m
            LEFT JOIN registries r ON r.id = m.registry_id
            LEFT JOIN servers s ON s.id = m.server_id
            LEFT JOIN registries sr ON sr.id = s.registry_id
            WHERE m.org_id = ? AND NOT EXISTS (
              SELECT 1 FROM variables v WHERE v.org_id = m.org_id
                AND coalesce(v.registry_id, 0) = coalesce(m.registry_id, 0)
                AND coalesce(v.server_id, 0) = coalesce(m.server_id, 0) AND v.key = m.key)
            ORDER BY CASE m.scope WHEN 'org' THEN 0 WHEN 'registry' THEN 1 ELSE 2 END,
              coalesce(r.slug, sr.slug), s.name, m.key
            """,
            [org_id],
        ).fetchall()
        return [MissingSecret(k, scope, reg, server, src) for k, scope, reg, server, src in rows]

    # --- diff ----------------------------------------------------------------------------

    def diff(self, actor: str, a: str, b: str) -> OrgDiff:
        """How org `b` differs from org `a`, registry by registry (matched by slug). Secrets are
        compared in memory when the vault is unlocked (decrypted, compared, dropped) and said
        only to be the same, to differ or to be missing; with the vault locked, "unknown". Only
        an actor who may reveal secrets in both orgs learns whether two are equal: for anyone
        else a secret on both sides is "unknown" too. Needs membership of both orgs. When secrets'
        values were compared, `secret.compare` is recorded in both orgs (the other org, how many
        secrets)."""
        vault = self.services.vault
        with self.store.reading() as db:
            row_a, member_a = self.services.access.org_row(db, actor, a)
            row_b, member_b = self.services.access.org_row(db, actor, b)
            may_reveal = member_a.allows("secrets:reveal") and member_b.allows("secrets:reveal")
            side_a = read_side(db, row_a)
            side_b = read_side(db, row_b)
            for side in (side_a, side_b):
                side.in_use = self._in_use(actor, side)
        unlocked = vault.unlocked
        data_key = vault.data_key() if may_reveal and unlocked else None
        diff = compare_orgs(
            side_a, side_b, data_key, may_reveal=may_reveal, vault_unlocked=unlocked
        )
        if diff.compared_secrets:
            self._record_compare(actor, row_a, row_b, diff.compared_secrets)
        return diff

    def _record_compare(
        self, actor: str, row_a: dict[str, Any], row_b: dict[str, Any], count: int
    ) -> None:
        """`secret.compare` in each org (once for an org compared with itself): its secrets
        were decrypted, as a reveal would."""
        pairs = [(row_a, row_b)]
        if row_a["id"] != row_b["id"]:
            pairs.append((row_b, row_a))
        with self.store.transaction() as db:
            for org, other in pairs:
                self.services.audit.record(
                    db,
                    actor,
                    org,
                    "secret.compare",
                    "organization",
                    org["id"],
                    org["name"],
                    {"other": other["slug"], "secrets": count},
                )

    def _in_use(self, actor: str, side: Side) -> dict[tuple[str, str], InUse]:
        """Each server of the side as its registry uses it (what exports and `run` read)."""
        versions = self.services.server_versions
        found = {}
        org = side.org["slug"]
        for slug, servers in side.servers.items():
            resolved = versions.resolved(actor, Scope(org, slug))
            for name in servers:
                used = resolved[name]
                state = versions.state(actor, Scope(org, slug, name))
                # edits not published: a server never published is used as it is
                unpublished = state.changed and bool(state.versions)
                found[(slug, name)] = InUse(used.version, used.document, unpublished)
        return found


def _pk(value: Any) -> int:
    assert isinstance(value, int)
    return value


def _ref(
    db: sqlite_utils.Database,
    org: dict[str, Any],
    scope: str,
    registry_id: int | None,
    server_id: int | None,
) -> Any:
    """The ScopeRef of a row placed by ids (what `add_version` writes through)."""
    from pylee_tui.services.variable_scope import ScopeRef

    registry = {"id": registry_id} if registry_id else None
    server = None
    if server_id:
        server = dict(exactly_one(db, "SELECT id, name FROM servers WHERE id = ?", [server_id]))
    return ScopeRef(org, scope, registry, server)
