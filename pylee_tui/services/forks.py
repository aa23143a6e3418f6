"""Forks: a registry whose servers refer to another registry's servers (not copies of them).

Each forked server is a servers row of the fork (so the vault's server scope, the checks and the
lists work on it as on any server) linked to its upstream server: exports and `run` use the
upstream's latest published version, or the version the fork pins. The row holds that document
too (kept in step by server_versions.mirror). A removed upstream leaves it gone upstream."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from pylee_tui.models import Registry
from pylee_tui.services.base import Service, one
from pylee_tui.services.errors import InvalidInput, PermissionDenied
from pylee_tui.services.scope import Scope


@dataclass(frozen=True)
class ForkReport:
    registry: Registry
    servers: int  # servers the fork refers to
    left_out: list[str] = field(default_factory=list)  # upstream servers with nothing published
    pinned: bool = False


@dataclass(frozen=True)
class UpstreamLine:
    """A forked server as its fork sees it."""

    name: str
    upstream: str  # org/registry/name
    gone: bool
    pinned: str | None
    latest: str | None  # the upstream's latest published version

    @property
    def in_use(self) -> str | None:
        return None if self.gone else self.pinned or self.latest

    @property
    def behind(self) -> bool:
        return not self.gone and self.pinned is not None and self.pinned != self.latest

    @property
    def badge(self) -> str:
        """What a list shows beside the server: "", "behind" or "gone upstream"."""
        if self.gone:
            return "gone upstream"
        return "behind" if self.behind else ""


@dataclass(frozen=True)
class Home:
    """Where a server lives: its org and registry (what following it means reaching)."""

    org_id: int
    org: str
    registry_id: int
    registry: str
    registry_name: str


def home_of(db: Any, server_id: int) -> Home:
    row = one(
        db,
        "SELECT o.id AS org_id, o.slug AS org, r.id AS registry_id, r.slug AS registry, "
        "r.name AS registry_name FROM servers s JOIN registries r ON r.id = s.registry_id "
        "JOIN organizations o ON o.id = r.org_id WHERE s.id = ?",
        [server_id],
    )
    assert row is not None
    return Home(
        row["org_id"], row["org"], row["registry_id"], row["registry"], row["registry_name"]
    )


def tell_followed(
    audit: Any,
    db: Any,
    actor: str,
    followed: list[Home],
    *,
    into: str,
    through: str,
    told: set[int],
) -> None:
    """`registry.forked` in the org of each registry `followed` (one entry per server of the
    new fork that follows it) unless that org is in `told`: `into` the new fork, `through` the
    registry it was made from (a fork of a fork, or the registry a clone copied)."""
    counts: dict[int, int] = {}
    for home in followed:
        counts[home.registry_id] = counts.get(home.registry_id, 0) + 1
    seen: set[int] = set()
    for home in followed:
        if home.org_id in told or home.registry_id in seen:
            continue
        seen.add(home.registry_id)
        audit.record(
            db,
            actor,
            {"id": home.org_id, "slug": home.org},
            "registry.forked",
            "registry",
            home.registry_id,
            home.registry_name,
            {"into": into, "servers": counts[home.registry_id], "through": through},
        )


# a servers row's fork state, as a column of a query over `servers` (NULL: not forked)
FORK_STATE = """(SELECT CASE WHEN u.upstream_id IS NULL THEN 'gone upstream'
    WHEN p.version IS NOT NULL AND p.version IS NOT (SELECT v.version FROM server_versions v
      WHERE v.server_id = u.upstream_id ORDER BY v.id DESC LIMIT 1) THEN 'behind' ELSE '' END
  FROM server_upstreams u LEFT JOIN server_pins p ON p.server_id = u.server_id
  WHERE u.server_id = servers.id) AS fork"""

_UPSTREAM_LINES = """
    SELECT s.name, u.upstream_label, u.upstream_id, p.version AS pinned,
      (SELECT v.version FROM server_versions v WHERE v.server_id = u.upstream_id
         ORDER BY v.id DESC LIMIT 1) AS latest
    FROM servers s JOIN server_upstreams u ON u.server_id = s.id
    LEFT JOIN server_pins p ON p.server_id = s.id
"""


def _line(row: dict[str, Any]) -> UpstreamLine:
    return UpstreamLine(
        row["name"],
        row["upstream_label"],
        row["upstream_id"] is None,
        row["pinned"],
        row["latest"],
    )


class ForkService(Service):
    def fork(
        self,
        actor: str,
        source: Scope,
        into: str,
        *,
        name: str | None = None,
        slug: str | None = None,
        pinned: bool = False,
    ) -> ForkReport:
        """Make a registry in `into` whose servers refer to those of the registry `source`
        names (each following its upstream's latest published version, or pinned at it with
        `pinned`). The actor must be a member of both orgs and may write registries in `into`,
        and of every org whose servers the fork would follow (a fork of a fork follows the
        original's: PermissionDenied naming it). Servers with nothing published upstream
        (drafts) are left out. `registry.fork` is recorded in `into`, `registry.forked` in
        the source's org and in the org of each registry followed through it."""
        if source.registry is None or source.server is not None:
            raise InvalidInput(f"name a registry to fork, as ORG/REGISTRY, not {source.label}")
        with self.store.transaction() as db:
            src_org, _member = self.services.access.org_row(db, actor, source.org)
            src = self.services.registries.registry_row(db, src_org, source.registry)
            dst_org, member = self.services.access.org_row(db, actor, into)
            self.services.access.require(member, "registries:write", "fork a registry into it")
            label = f"{src_org['slug']}/{src['slug']}"
            rows = list(
                db.query("SELECT * FROM servers WHERE registry_id = ? ORDER BY name", [src["id"]])
            )
            origins = {row["id"]: self._origin(db, row) for row in rows}
            homes = {origin[0]: home_of(db, origin[0]) for origin in origins.values() if origin}
            for home in homes.values():
                if self.services.access.membership(db, actor, home.org_id) is None:
                    raise PermissionDenied(
                        f"you ({actor}) cannot fork {label}: its servers follow "
                        f"{home.org}/{home.registry}, and a fork follows only orgs you are a "
                        f"member of; you are not a member of '{home.org}'"
                    )
            registry = self.services.registries.create(
                actor,
                into,
                name or src["name"],
                slug=slug,
                description=f"Fork of {label}",
            )
            now = self.now()
            db.execute(
                "INSERT INTO registry_forks (registry_id, upstream_registry_id, upstream_label, "
                "forked_at, forked_by) VALUES (?, ?, ?, ?, ?)",
                [registry.id, src["id"], label, now, actor],
            )
            count, left_out, followed = 0, [], []
            for row in rows:
                origin = origins[row["id"]]
                version = None if origin is None else self._latest(db, origin[0])
                if origin is None or version is None:
                    left_out.append(row["name"])
                    continue
                upstream_id, upstream_label = origin
                document = self._version_text(db, upstream_id, version)
                server_id = self._insert(db, registry.id, row["name"], version, document, now)
                db.execute(
                    "INSERT INTO server_upstreams (server_id, upstream_id, upstream_label) "
                    "VALUES (?, ?, ?)",
                    [server_id, upstream_id, upstream_label],
                )
                if pinned:
                    db.execute(
                        "INSERT INTO server_pins (server_id, version, pinned_at, pinned_by) "
                        "VALUES (?, ?, ?, ?)",
                        [server_id, version, now, actor],
                    )
                followed.append(homes[upstream_id])
                count += 1
            metadata = {"from": label, "servers": count, "pinned": pinned}
            self.services.audit.record(
                db,
                actor,
                dst_org,
                "registry.fork",
                "registry",
                registry.id,
                registry.name,
                metadata,
            )
            into_label = f"{dst_org['slug']}/{registry.slug}"
            if src_org["id"] != dst_org["id"]:
                self.services.audit.record(
                    db,
                    actor,
                    src_org,
                    "registry.forked",
                    "registry",
                    src["id"],
                    src["name"],
                    {"into": into_label, "servers": count},
                )
            # a fork of a fork follows the original: its org hears of it as of a direct fork
            tell_followed(
                self.services.audit,
                db,
                actor,
                followed,
                into=into_label,
                through=label,
                told={src_org["id"], dst_org["id"]},
            )
            return ForkReport(registry, count, left_out, pinned)

    def upstreams(self, actor: str, scope: Scope) -> dict[str, UpstreamLine]:
        """The forked servers of the registry `scope` names, by name (a server of its own is
        not in it)."""
        with self.store.reading() as db:
            org, _member = self.services.access.org_row(db, actor, scope.org)
            reg = self.services.registries.registry_row(db, org, scope.registry or "")
            rows = db.query(_UPSTREAM_LINES + " WHERE s.registry_id = ?", [reg["id"]])
            return {row["name"]: _line(row) for row in rows}

    def badges(self, actor: str, org: str) -> dict[str, dict[str, str]]:
        """Registry slug -> server name -> "behind" or "gone upstream", for the org's forked
        servers that are (the app's registries tree)."""
        with self.store.reading() as db:
            org_row, _member = self.services.access.org_row(db, actor, org)
            rows = db.query(
                _UPSTREAM_LINES.replace("SELECT s.name", "SELECT r.slug, s.name")
                + " JOIN registries r ON r.id = s.registry_id WHERE r.org_id = ?",
                [org_row["id"]],
            )
            found: dict[str, dict[str, str]] = {}
            for row in rows:
                badge = _line(row).badge
                if badge:
                    found.setdefault(row["slug"], {})[row["name"]] = badge
            return found

    def fork_of(self, actor: str, scope: Scope) -> str | None:
        """org/registry the registry `scope` names was forked from (None: not a fork)."""
        with self.store.reading() as db:
            org, _member = self.services.access.org_row(db, actor, scope.org)
            reg = self.services.registries.registry_row(db, org, scope.registry or "")
            row = one(
                db, "SELECT upstream_label FROM registry_forks WHERE registry_id = ?", [reg["id"]]
            )
            return None if row is None else str(row["upstream_label"])

    # --- helpers -------------------------------------------------------------------------

    def _origin(self, db: Any, row: dict[str, Any]) -> tuple[int, str] | None:
        """The server a fork of `row` refers to, and its label: `row` itself, or, for a forked
        server, its own upstream (a fork of a fork refers to the original). None: gone."""
        link = one(db, "SELECT * FROM server_upstreams WHERE server_id = ?", [row["id"]])
        if link is not None:
            if link["upstream_id"] is None:
                return None
            return int(link["upstream_id"]), str(link["upstream_label"])
        reg = one(
            db,
            "SELECT r.slug, o.slug AS org FROM registries r "
            "JOIN organizations o ON o.id = r.org_id WHERE r.id = ?",
            [row["registry_id"]],
        )
        assert reg is not None
        return int(row["id"]), f"{reg['org']}/{reg['slug']}/{row['name']}"

    def _latest(self, db: Any, server_id: int) -> str | None:
        found = one(
            db,
            "SELECT version FROM server_versions WHERE server_id = ? ORDER BY id DESC LIMIT 1",
            [server_id],
        )
        return None if found is None else str(found["version"])

    def _version_text(self, db: Any, server_id: int, version: str) -> str:
        found = one(
            db,
            "SELECT document FROM server_versions WHERE server_id = ? AND version = ?",
            [server_id, version],
        )
        assert found is not None
        return str(found["document"])

    def _insert(
        self, db: Any, registry_id: int, name: str, version: str, document: str, now: str
    ) -> int:
        parsed = json.loads(document)
        description = parsed.get("description") if isinstance(parsed, dict) else None
        cursor = db.execute(
            "INSERT INTO servers (registry_id, name, version, description, document, status, "
            "problems, created_at, updated_at) VALUES (?, ?, ?, ?, ?, 'valid', '[]', ?, ?)",
            [
                registry_id,
                name,
                version,
                description if isinstance(description, str) else "",
                document,
                now,
                now,
            ],
        )
        return int(cursor.lastrowid or 0)
