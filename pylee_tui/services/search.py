"""Search one org: servers by name and description, registries, variable and secret keys at every
scope, members by email. What the command palette offers as you type."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from pylee_tui.services.base import Service
from pylee_tui.services.scope import Scope

HitKind = Literal["server", "registry", "key", "member"]
PER_KIND = 25


@dataclass(frozen=True)
class SearchHit:
    """One match and where it lives: enough for the app to go there."""

    kind: HitKind
    title: str  # what matched, e.g. the server's name
    detail: str  # one line of context
    scope: Scope  # where it lives: a server's or a key's scope, a registry's, the org's
    email: str | None = None  # for members


class SearchService(Service):
    def search(self, actor: str, org_slug: str, query: str) -> list[SearchHit]:
        """Case-insensitive substring matches of `query`, at most PER_KIND of each kind, names
        that start with it first. Any member of the org may search it (as they may list it)."""
        needle = query.strip().lower()
        if not needle:
            return []
        with self.store.reading() as db:
            org, _member = self.services.access.org_row(db, actor, org_slug)
            hits: list[SearchHit] = []
            for row in db.query(
                """
                SELECT s.name, s.description, s.status, r.slug AS registry, r.name AS reg_name
                FROM servers s JOIN registries r ON r.id = s.registry_id
                WHERE r.org_id = ?
                  AND (instr(lower(s.name), ?) > 0 OR instr(lower(s.description), ?) > 0)
                ORDER BY instr(lower(s.name), ?) = 0, instr(lower(s.name), ?), s.name
                LIMIT ?
                """,
                [org["id"], needle, needle, needle, needle, PER_KIND],
            ):
                status = " · draft" if row["status"] == "draft" else ""
                hits.append(
                    SearchHit(
                        "server",
                        row["name"],
                        f"server in {row['reg_name']}{status} · {row['description'][:60]}",
                        Scope(org_slug, row["registry"], row["name"]),
                    )
                )
            for row in db.query(
                """
                SELECT slug, name, description FROM registries
                WHERE org_id = ? AND (instr(lower(name), ?) > 0 OR instr(slug, ?) > 0
                  OR instr(lower(description), ?) > 0)
                ORDER BY name LIMIT ?
                """,
                [org["id"], needle, needle, needle, PER_KIND],
            ):
                hits.append(
                    SearchHit(
                        "registry",
                        row["name"],
                        f"registry {row['slug']} · {row['description'][:60]}",
                        Scope(org_slug, row["slug"]),
                    )
                )
            for row in db.query(
                """
                SELECT v.key, v.kind, v.scope, r.slug AS registry, s.name AS server
                FROM variables v
                LEFT JOIN registries r ON r.id = v.registry_id
                LEFT JOIN servers s ON s.id = v.server_id
                WHERE v.org_id = ? AND instr(lower(v.key), ?) > 0
                ORDER BY v.key, v.scope LIMIT ?
                """,
                [org["id"], needle, PER_KIND],
            ):
                where = (
                    f"server {row['server']}"
                    if row["server"]
                    else f"registry {row['registry']}"
                    if row["registry"]
                    else f"org {org_slug}"
                )
                hits.append(
                    SearchHit(
                        "key",
                        row["key"],
                        f"{row['kind']} at {where}",
                        Scope(org_slug, row["registry"], row["server"]),
                    )
                )
            for row in db.query(
                """
                SELECT email, role, status FROM members
                WHERE org_id = ? AND instr(email, ?) > 0
                ORDER BY email LIMIT ?
                """,
                [org["id"], needle, PER_KIND],
            ):
                hits.append(
                    SearchHit(
                        "member",
                        row["email"],
                        f"member · {row['role']} · {row['status']}",
                        Scope(org_slug),
                        email=row["email"],
                    )
                )
            return hits
