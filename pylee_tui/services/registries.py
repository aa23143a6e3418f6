"""Registries inside an org, and the MCP servers they hold.

This is the foundation's part: create, list and add servers (used by the demo and onboarding).
The registries issue brings the full server.json model, import/export and the editor.
"""

from __future__ import annotations

import json
from typing import Any

from pylee_tui.models import Registry, RegistrySummary, Server, slugify, with_suffix
from pylee_tui.services.base import Service, model_from_row, one, valid
from pylee_tui.services.errors import Conflict, InvalidInput, NotFound


class RegistryService(Service):
    def list(self, actor: str, org_slug: str) -> list[RegistrySummary]:
        with self.store.reading() as db:
            org, _member = self.services.access.org_row(db, org_slug, actor)
            rows = db.query(
                """
                SELECT r.id, r.org_id, r.name, r.slug, r.description,
                  (SELECT count(*) FROM servers s WHERE s.registry_id = r.id) AS server_count,
                  (SELECT count(*) FROM servers s WHERE s.registry_id = r.id AND s.status = 'draft')
                    AS draft_count
                FROM registries r WHERE r.org_id = ? ORDER BY r.name COLLATE NOCASE, r.slug
                """,
                [org["id"]],
            )
            return [RegistrySummary.model_validate(r) for r in rows]

    def get(self, actor: str, org_slug: str, slug: str) -> Registry:
        with self.store.reading() as db:
            org, _member = self.services.access.org_row(db, org_slug, actor)
            return model_from_row(Registry, self._row(db, org, slug))

    def create(
        self, actor: str, org_slug: str, name: str, slug: str | None = None, description: str = ""
    ) -> Registry:
        name = valid("name", name)
        description = valid("description", description)
        explicit = bool(slug)
        if explicit:
            slug = valid("slug", slug)
        now = self.now()
        with self.store.transaction() as db:
            org, member = self.services.access.org_row(db, org_slug, actor)
            self.services.access.require(member, "registries:write", "create a registry")
            if not explicit:
                base = slugify(name)
                slug, n = base, 1
                while self._exists(db, org["id"], slug):
                    n += 1
                    slug = with_suffix(base, n)
            elif self._exists(db, org["id"], slug):
                raise Conflict(f"registry slug '{slug}' is already taken in '{org_slug}'")
            reg_id = (
                db["registries"]
                .insert(
                    {
                        "org_id": org["id"],
                        "name": name,
                        "slug": slug,
                        "description": description,
                        "overview": "",
                        "created_at": now,
                        "updated_at": now,
                    }
                )
                .last_pk
            )
            self.services.audit.record(
                db,
                actor=actor,
                action="registry.create",
                org_id=org["id"],
                org_slug=org["slug"],
                target_type="registry",
                target_id=reg_id,
                target_label=name,
                metadata={"slug": slug},
            )
            return model_from_row(
                Registry, one(db, "SELECT * FROM registries WHERE id = ?", [reg_id])
            )

    def list_servers(self, actor: str, org_slug: str, registry_slug: str) -> list[Server]:
        with self.store.reading() as db:
            org, _member = self.services.access.org_row(db, org_slug, actor)
            reg = self._row(db, org, registry_slug)
            rows = db.query(
                "SELECT * FROM servers WHERE registry_id = ? ORDER BY name", [reg["id"]]
            )
            return [model_from_row(Server, r, ("document", "problems")) for r in rows]

    def add_server(
        self, actor: str, org_slug: str, registry_slug: str, document: dict[str, Any]
    ) -> Server:
        if not isinstance(document, dict):
            raise InvalidInput("a server must be a JSON object")
        name = valid("server_name", document.get("name") or "")
        now = self.now()
        with self.store.transaction() as db:
            org, member = self.services.access.org_row(db, org_slug, actor)
            self.services.access.require(member, "registries:write", "add a server")
            reg = self._row(db, org, registry_slug)
            if one(
                db, "SELECT 1 FROM servers WHERE registry_id = ? AND name = ?", [reg["id"], name]
            ):
                raise Conflict(f"server '{name}' is already in registry '{registry_slug}'")
            server_id = (
                db["servers"]
                .insert(
                    {
                        "registry_id": reg["id"],
                        "name": name,
                        "version": str(document.get("version") or ""),
                        "description": str(document.get("description") or ""),
                        "document": json.dumps(document, sort_keys=True),
                        "status": "valid",
                        "problems": "[]",
                        "created_at": now,
                        "updated_at": now,
                    }
                )
                .last_pk
            )
            self.services.audit.record(
                db,
                actor=actor,
                action="server.add",
                org_id=org["id"],
                org_slug=org["slug"],
                target_type="server",
                target_id=server_id,
                target_label=name,
                metadata={"registry": reg["slug"]},
            )
            row = one(db, "SELECT * FROM servers WHERE id = ?", [server_id])
            return model_from_row(Server, row, ("document", "problems"))

    # --- helpers -------------------------------------------------------------------------

    def _exists(self, db, org_id: int, slug: str) -> bool:
        return bool(
            one(db, "SELECT 1 FROM registries WHERE org_id = ? AND slug = ?", [org_id, slug])
        )

    def _row(self, db, org: dict, slug: str) -> dict:
        row = one(db, "SELECT * FROM registries WHERE org_id = ? AND slug = ?", [org["id"], slug])
        if row is None:
            raise NotFound(f"no registry '{slug}' in '{org['slug']}'")
        return row
