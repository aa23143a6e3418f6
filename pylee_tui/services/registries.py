"""Registries inside an org and the MCP servers they hold: CRUD, move, import and export.

A server is addressed by its `name` (`io.github.user/weather`) within its registry. Documents are
stored in the current server.json shape; one with faults a person can fix is a *draft* (stored as
given, with its problems) and export refuses it until it is fixed.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any, NamedTuple

from pylee_tui.models import (
    DeletionReport,
    Registry,
    RegistrySummary,
    Server,
    plural,
    slugify,
    with_suffix,
)
from pylee_tui.server_json import Problem, to_current, validate
from pylee_tui.services import server_transfer
from pylee_tui.services.access import Membership
from pylee_tui.services.base import Service, exactly_one, model_from_row, named_changes, one, valid
from pylee_tui.services.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from pylee_tui.services.forks import FORK_STATE
from pylee_tui.services.import_report import ImportOutcome, ImportReport, problem_group
from pylee_tui.services.named_edit import REGISTRY, apply_edit
from pylee_tui.services.scope import Scope
from pylee_tui.services.server_transfer import registry_of as _registry_of
from pylee_tui.services.server_transfer import server_name_of

__all__ = [
    "SERVER_PAGE",
    "ImportOutcome",
    "ImportReport",
    "RegistryDeletion",
    "RegistryService",
    "ServerEdit",
    "ServerLine",
    "ServerPage",
    "problem_group",
    "server_name_of",
]

_SERVER_JSON = ("document", "problems")


class ServerLine(NamedTuple):
    """A server as a list shows it: its document (the heavy part) left in the store."""

    name: str
    version: str
    description: str
    status: str
    problems: list[dict[str, str]]
    fork: str = ""  # a forked server's state: "behind", "gone upstream" ("" : up to date)


@dataclass(frozen=True)
class ServerPage:
    """Servers `offset` to `offset + len(lines)` of a registry's `total` (those matching)."""

    lines: list[ServerLine]
    offset: int
    total: int


SERVER_PAGE = 100


@dataclass(frozen=True)
class ServerEdit:
    """What replacing a server's document did: the server now, and what it was before."""

    server: Server
    was_draft: bool
    renamed_from: str | None = None


class RegistryDeletion(DeletionReport):
    """What deleting a registry removes, and how many open change requests it closes (as
    rejected, each audited): those on it (which then go with the registry) and those moving a
    server into it (which stay, rejected)."""

    requests: int = 0

    def describe(self) -> str:
        text = super().describe()
        if self.requests:
            text += f", {plural(self.requests, 'open change request')} (closed as rejected)"
        return text


class RegistryService(Service):
    # --- registries ----------------------------------------------------------------------

    def list_registries(self, actor: str, org: str) -> list[RegistrySummary]:
        with self.store.reading() as db:
            org_row, _member = self.services.access.org_row(db, actor, org)
            rows = db.query(
                """
                SELECT r.id, r.org_id, r.name, r.slug, r.description,
                  (SELECT count(*) FROM servers s WHERE s.registry_id = r.id) AS server_count,
                  (SELECT count(*) FROM servers s WHERE s.registry_id = r.id AND s.status = 'draft')
                    AS draft_count
                FROM registries r WHERE r.org_id = ? ORDER BY r.name COLLATE NOCASE, r.slug
                """,
                [org_row["id"]],
            )
            return [model_from_row(RegistrySummary, r) for r in rows]

    def get_registry(self, actor: str, scope: Scope) -> Registry:
        """The registry `scope` names."""
        with self.store.reading() as db:
            org, _member = self.services.access.org_row(db, actor, scope.org)
            return model_from_row(Registry, self.registry_row(db, org, _registry_of(scope)))

    def create(
        self,
        actor: str,
        org: str,
        name: str,
        *,
        slug: str | None = None,
        description: str = "",
    ) -> Registry:
        name = valid("name", name)
        description = valid("description", description)
        chosen: str | None = valid("slug", slug) if slug else None
        now = self.now()
        with self.store.transaction() as db:
            org_row, _member = self.writer(db, actor, org, "create a registry")
            if chosen is None:
                base = slugify(name)
                slug, n = base, 1
                while self._exists(db, org_row["id"], slug):
                    n += 1
                    slug = with_suffix(base, n)
            elif self._exists(db, org_row["id"], chosen):
                raise Conflict(f"registry slug '{chosen}' is already taken in '{org}'")
            else:
                slug = chosen
            reg_id = (
                db.table("registries")
                .insert(
                    {
                        "org_id": org_row["id"],
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
                db, actor, org_row, "registry.create", "registry", reg_id, name, {"slug": slug}
            )
            return model_from_row(Registry, exactly_one(db, REGISTRY.row_sql, [reg_id]))

    def edit(
        self,
        actor: str,
        scope: Scope,
        *,
        name: str | None = None,
        new_slug: str | None = None,
        description: str | None = None,
        overview: str | None = None,
        overview_base: datetime | None = None,
        force: bool = False,
        require_approval: bool | None = None,
    ) -> Registry:
        """Several changes in one transaction, one audit event per field that changed (see
        `named_edit.apply_edit`: `overview_base` guards the overview against lost updates).
        `require_approval` (True/False) also sets whether the registry's changes need approval,
        in the same transaction (so a refused rename leaves it as it was): that part needs
        `org:manage`, and someone who may turn approval off is not stopped by it."""
        fields = {"name": name, "slug": new_slug, "description": description, "overview": overview}
        given = any(value is not None for value in fields.values())
        changes = named_changes(**fields) if given or require_approval is None else {}
        slug = _registry_of(scope)
        base = overview_base.isoformat() if overview_base is not None else None
        if require_approval is None:
            gate = {"changes": changes, "base": base, "force": force}
            self.services.approvals.gate(actor, scope, "registry.edit", gate)
        with self.store.transaction() as db:
            authority = self.services.approvals.authority(actor)
            org, member = self.services.access.org_row(db, authority, scope.org)
            if require_approval is not None:
                self.services.access.require(
                    member, "org:manage", "change whether a registry requires approval"
                )
            if changes:
                self.services.access.require(member, "registries:write", "edit a registry")
            row = self.registry_row(db, org, slug)
            edited = apply_edit(
                self.services,
                db,
                actor,
                REGISTRY,
                org,
                row,
                changes,
                overview_base=overview_base,
                force=force,
            )
            if require_approval is not None:
                self.services.approvals.apply_required(db, actor, org, edited, require_approval)
            return model_from_row(Registry, edited)

    def contents(self, actor: str, scope: Scope, *, check: bool = False) -> RegistryDeletion:
        """What deleting the registry would remove (for the confirmation). With `check`, first
        refuse as `delete` would, so nobody confirms a deletion that cannot happen."""
        slug = _registry_of(scope)
        with self.store.reading() as db:
            if check:
                org, member = self.writer(db, actor, scope.org, "delete a registry")
                row = self.registry_row(db, org, slug)
                self._guard_registry_delete(db, member, row)
                return self._registry_contents(db, row["id"])
            org, _member = self.services.access.org_row(db, actor, scope.org)
            return self._registry_contents(db, self.registry_row(db, org, slug)["id"])

    def delete(self, actor: str, scope: Scope) -> RegistryDeletion:
        """Delete the registry with its servers and the keys of every scope in it, history and
        all: so a registry holding secrets also needs `secrets:write` (admins have it). One
        that requires approval is deleted by those who approve (a request to delete it could
        not outlive it); its open change requests are closed as rejected, each audited."""
        slug = _registry_of(scope)
        with self.store.transaction() as db:
            org, member = self.writer(db, actor, scope.org, "delete a registry")
            row = self.registry_row(db, org, slug)
            self._guard_registry_delete(db, member, row)
            report = self._registry_contents(db, row["id"])
            comment = f"registry {row['slug']} was deleted"
            self.services.approvals.close_open(db, actor, org["id"], comment, registry_id=row["id"])
            # server-scope variables hang off servers; delete them with the registry
            db.execute("DELETE FROM registries WHERE id = ?", [row["id"]])
            self.services.audit.record(
                db,
                actor,
                org,
                "registry.delete",
                "registry",
                row["id"],
                row["name"],
                report.model_dump(exclude={"organizations", "members"}),
            )
            return report

    # --- servers -------------------------------------------------------------------------

    def list_servers(
        self, actor: str, scope: Scope, *, query: str = "", drafts_only: bool = False
    ) -> list[Server]:
        """Servers of the registry `scope` names, by name; `query` filters by a case-insensitive
        name fragment, `drafts_only` keeps the drafts."""
        registry_slug = _registry_of(scope)
        with self.store.reading() as db:
            org, _member = self.services.access.org_row(db, actor, scope.org)
            reg = self.registry_row(db, org, registry_slug)
            sql = "SELECT * FROM servers WHERE registry_id = ?"
            params: list[Any] = [reg["id"]]
            if query:
                sql += " AND instr(lower(name), lower(?)) > 0"
                params.append(query)
            if drafts_only:
                sql += " AND status = 'draft'"
            rows = db.query(sql + " ORDER BY name", params)
            return [model_from_row(Server, r, _SERVER_JSON) for r in rows]

    def server_pages(
        self,
        actor: str,
        org: str,
        wanted: dict[str, int | str | None],
        *,
        query: str = "",
        drafts_only: bool = False,
        limit: int = SERVER_PAGE,
    ) -> dict[str, ServerPage]:
        """A page of servers (by name, filtered as `list_servers` filters) of each registry in
        `wanted`, which maps a slug to where its page starts: an offset, or the name of a server
        the page should hold near its middle (None: the first page). Each page is read through
        the registry's index: its cost is the page's, not the registry's size (the counts read
        names alone)."""
        with self.store.reading() as db:
            org_row, _member = self.services.access.org_row(db, actor, org)
            ids = {
                row["slug"]: row["id"]
                for row in db.query(
                    "SELECT id, slug FROM registries WHERE org_id = ?", [org_row["id"]]
                )
            }
            where, params = "registry_id = :r", {"q": query, "limit": limit}
            if query:
                where += " AND instr(lower(name), lower(:q)) > 0"
            if drafts_only:
                where += " AND status = 'draft'"
            pages = {}
            for slug, around in wanted.items():
                if slug not in ids:
                    continue
                params["r"] = ids[slug]
                total = db.execute(
                    f"SELECT count(*) FROM servers WHERE {where}", params
                ).fetchone()[0]
                offset = around if isinstance(around, int) else 0
                if isinstance(around, str):
                    before = db.execute(
                        f"SELECT count(*) FROM servers WHERE {where} AND name < :around",
                        {**params, "around": around},
                    ).fetchone()[0]
                    offset = max(0, min(before - limit // 2, total - limit))
                rows = db.execute(
                    f"SELECT name, version, description, status, problems, {FORK_STATE} "
                    f"FROM servers WHERE {where} ORDER BY name LIMIT :limit OFFSET :offset",
                    {**params, "offset": offset},
                )
                lines = [
                    ServerLine(n, v, d, st, [] if p == "[]" else json.loads(p), fork or "")
                    for n, v, d, st, p, fork in rows
                ]
                pages[slug] = ServerPage(lines, offset, total)
            return pages

    def drafts(self, actor: str, org: str, *, query: str = "") -> list[tuple[str, str]]:
        """(registry slug, server name) of every draft of the org, in the order
        `list_registries` and `list_servers` show them; `query` filters names as `list_servers`
        does."""
        with self.store.reading() as db:
            org_row, _member = self.services.access.org_row(db, actor, org)
            sql = (
                "SELECT r.slug, s.name FROM servers s JOIN registries r ON r.id = s.registry_id "
                "WHERE r.org_id = ? AND s.status = 'draft'"
            )
            params: list[Any] = [org_row["id"]]
            if query:
                sql += " AND instr(lower(s.name), lower(?)) > 0"
                params.append(query)
            sql += " ORDER BY r.name COLLATE NOCASE, r.slug, s.name"
            return [(row["slug"], row["name"]) for row in db.query(sql, params)]

    def get_server(self, actor: str, scope: Scope) -> Server:
        """The server `scope` names."""
        registry_slug, name = _server_of(scope)
        with self.store.reading() as db:
            org, _member = self.services.access.org_row(db, actor, scope.org)
            reg = self.registry_row(db, org, registry_slug)
            return model_from_row(Server, self._server_row(db, reg, name), _SERVER_JSON)

    def add_server(
        self, actor: str, scope: Scope, document: Any, *, allow_draft: bool = False
    ) -> Server:
        """Add one server (either shape) to the registry `scope` names. Faults refuse it,
        unless `allow_draft` keeps it as one."""
        registry_slug = _registry_of(scope)
        document, _notes = to_current(document)
        name = server_name_of(document)
        if name is None:
            raise InvalidInput("a server needs a name, e.g. io.github.user/weather")
        problems = validate(document)
        if problems and not allow_draft:
            raise InvalidInput(_problems_message(name, problems))
        gate = {"document": document, "allow_draft": allow_draft}
        self.services.approvals.gate(actor, scope, "server.add", gate)
        with self.store.transaction() as db:
            org, _member = self.writer(db, actor, scope.org, "add a server")
            reg = self.registry_row(db, org, registry_slug)
            if self._server_exists(db, reg["id"], name):
                raise Conflict(f"server '{name}' is already in registry '{registry_slug}'")
            server_id = self.insert_server(db, reg["id"], name, document, problems)
            self.services.server_versions.publish_first(db, reg["id"], name, actor)
            self.services.audit.record(
                db,
                actor,
                org,
                "server.add",
                "server",
                server_id,
                name,
                {"registry": reg["slug"], "draft": bool(problems)},
            )
            return self._server_by_id(db, server_id)

    def edit_server(self, actor: str, scope: Scope, document: Any) -> ServerEdit:
        """Replace the document of the server `scope` names. An invalid document is refused:
        nothing invalid is saved. Says whether the server was a draft and its old name, so a
        caller can report the change without reading the server again."""
        registry_slug, name = _server_of(scope)
        document, _notes = to_current(document)
        problems = validate(document)
        if problems:
            raise InvalidInput(_problems_message(server_name_of(document) or name, problems))
        new_name = server_name_of(document) or name
        self.services.approvals.gate(actor, scope, "server.edit", {"document": document})
        with self.store.transaction() as db:
            org, _member = self.writer(db, actor, scope.org, "edit a server")
            reg = self.registry_row(db, org, registry_slug)
            row = self._server_row(db, reg, name)
            if new_name != name and self._server_exists(db, reg["id"], new_name):
                raise Conflict(f"server '{new_name}' is already in registry '{registry_slug}'")
            self.services.server_versions.refuse_fork_edit(db, reg["id"], name)
            db.table("servers").update(row["id"], self.server_columns(new_name, document, []))
            self.services.server_versions.publish_first(db, reg["id"], new_name, actor)
            metadata: dict[str, Any] = {
                "registry": reg["slug"],
                "was_draft": row["status"] == "draft",
            }
            if new_name != name:
                metadata["renamed_from"] = name
            self.services.audit.record(
                db, actor, org, "server.edit", "server", row["id"], new_name, metadata
            )
            return ServerEdit(
                self._server_by_id(db, row["id"]),
                was_draft=row["status"] == "draft",
                renamed_from=name if new_name != name else None,
            )

    def server_contents(self, actor: str, scope: Scope, *, check: bool = False) -> DeletionReport:
        """What removing the server would remove (for the confirmation). With `check`, first
        refuse as `remove_server` would."""
        registry_slug, name = _server_of(scope)
        with self.store.reading() as db:
            if check:
                org, member = self.writer(db, actor, scope.org, "remove a server")
                reg = self.registry_row(db, org, registry_slug)
                row = self._server_row(db, reg, name)
                self._guard_server_secrets(db, member, reg, row)
            else:
                org, _member = self.services.access.org_row(db, actor, scope.org)
                row = self._server_row(db, self.registry_row(db, org, registry_slug), name)
            return DeletionReport(servers=1, variables=self._server_variables(db, row["id"]))

    def _server_variables(self, db, server_id: int) -> int:
        sql = "SELECT count(*) AS n FROM variables WHERE server_id = ?"
        return exactly_one(db, sql, [server_id])["n"]

    def remove_server(self, actor: str, scope: Scope) -> DeletionReport:
        """Remove the server with its server-scope keys, history and all: so a server holding
        secrets also needs `secrets:write` (admins have it)."""
        registry_slug, name = _server_of(scope)
        self.services.approvals.gate(actor, scope, "server.remove", {})
        with self.store.transaction() as db:
            org, member = self.writer(db, actor, scope.org, "remove a server")
            reg = self.registry_row(db, org, registry_slug)
            row = self._server_row(db, reg, name)
            self._guard_server_secrets(db, member, reg, row)
            variables = self._server_variables(db, row["id"])
            db.execute("DELETE FROM servers WHERE id = ?", [row["id"]])
            report = DeletionReport(servers=1, variables=variables)
            self.services.audit.record(
                db,
                actor,
                org,
                "server.remove",
                "server",
                row["id"],
                name,
                {"registry": reg["slug"], "variables": variables},
            )
            return report

    def move_server(self, actor: str, scope: Scope, to_registry: str) -> Server:
        """Move a server (with its server-scope variables) to another registry of the same org."""
        registry_slug, name = _server_of(scope)
        self.services.approvals.gate(actor, scope, "server.move", {"to": to_registry})
        with self.store.transaction() as db:
            org, _member = self.writer(db, actor, scope.org, "move a server")
            source = self.registry_row(db, org, registry_slug)
            target = self.registry_row(db, org, to_registry)
            row = self._server_row(db, source, name)
            if source["id"] == target["id"]:
                raise InvalidInput(f"server '{name}' is already in registry '{to_registry}'")
            if self._server_exists(db, target["id"], name):
                raise Conflict(f"registry '{to_registry}' already has a server named '{name}'")
            db.table("servers").update(
                row["id"], {"registry_id": target["id"], "updated_at": self.now()}
            )
            self.services.audit.record(
                db,
                actor,
                org,
                "server.move",
                "server",
                row["id"],
                name,
                {"from": source["slug"], "to": target["slug"]},
            )
            return self._server_by_id(db, row["id"])

    def import_servers(
        self,
        actor: str,
        scope: Scope,
        entries: list[Any],
        *,
        strict: bool = False,
        replace: bool = False,
        source: str = "",
        origins: list[tuple[str, int]] | None = None,
    ) -> ImportReport:
        """Import entries of either shape in one transaction: see `server_transfer`."""
        return server_transfer.import_servers(
            self,
            actor,
            scope,
            entries,
            strict=strict,
            replace=replace,
            source=source,
            origins=origins,
        )

    def export_servers(self, actor: str, scope: Scope) -> dict[str, Any] | list[dict[str, Any]]:
        """Current-shape server.json of a server or a registry's: see `server_transfer`."""
        return server_transfer.export_servers(self, actor, scope)

    # --- helpers -------------------------------------------------------------------------

    def writer(self, db, actor: str, org_slug: str, doing: str) -> tuple[dict, Membership]:
        authority = self.services.approvals.authority(actor)
        org, member = self.services.access.org_row(db, authority, org_slug)
        self.services.access.require(member, "registries:write", doing)
        return org, member

    def _guard_registry_delete(self, db, member: Membership, reg: dict) -> None:
        """A registry that requires approval is not a writer's to delete (a request to delete
        it would go with it); deleting one deletes the secrets of its scope and of its
        servers' scopes."""
        if reg["require_approval"] and not member.allows("registries:approve"):
            raise PermissionDenied(
                f"registry {reg['slug']} requires approval: ask an admin or an approver to "
                "delete it"
            )
        self._guard_secrets(
            db,
            member,
            f"delete registry '{reg['slug']}' in '{member.org_slug}'",
            "{t}.registry_id = :r "
            "OR {t}.server_id IN (SELECT id FROM servers WHERE registry_id = :r)",
            {"r": reg["id"]},
        )

    def _guard_server_secrets(self, db, member: Membership, reg: dict, server: dict) -> None:
        self._guard_secrets(
            db,
            member,
            f"remove server '{server['name']}' from registry '{reg['slug']}' "
            f"in '{member.org_slug}'",
            "{t}.server_id = :s",
            {"s": server["id"]},
        )

    def _guard_secrets(self, db, member: Membership, doing: str, where: str, params) -> None:
        """The keys of a deleted scope go with their history (ON DELETE CASCADE), beyond any
        rollback: for secrets that is `secrets:write`'s to decide, not `registries:write`'s.
        Counts the secrets set there and the secrets only kept in history (unset ones)."""
        if member.allows("secrets:write"):
            return
        held = exactly_one(
            db,
            f"""
            SELECT
              (SELECT count(*) FROM variables v
                 WHERE v.kind = 'secret' AND ({where.format(t="v")})) AS current,
              (SELECT count(*) FROM (
                 SELECT DISTINCT h.registry_id, h.server_id, h.key FROM variable_versions h
                 WHERE h.kind = 'secret' AND ({where.format(t="h")})
                   AND NOT EXISTS (
                     SELECT 1 FROM variables v WHERE v.kind = 'secret' AND v.org_id = h.org_id
                       AND v.registry_id IS h.registry_id AND v.server_id IS h.server_id
                       AND v.key = h.key))) AS unset
            """,
            params,
        )
        current, unset = held["current"], held["unset"]
        if not current and not unset:
            return
        what = [plural(current, "secret")] if current else []
        if unset:
            what.append(f"the history of {plural(unset, 'unset secret')}")
        raise PermissionDenied(
            f"you ({member.email}) cannot {doing}: it holds {' and '.join(what)}, and deleting "
            "secrets with their history needs the admin role or the grant 'secrets:write'"
        )

    def _exists(self, db, org_id: int, slug: str) -> bool:
        return bool(
            one(db, "SELECT 1 FROM registries WHERE org_id = ? AND slug = ?", [org_id, slug])
        )

    def registry_row(self, db, org: dict, slug: str) -> dict:
        """The row of the registry `slug` of `org`; NotFound when it has none."""
        row = one(db, "SELECT * FROM registries WHERE org_id = ? AND slug = ?", [org["id"], slug])
        if row is None:
            raise NotFound(f"no registry {slug!r} in '{org['slug']}'")
        return row

    def _server_exists(self, db, registry_id: int, name: str) -> bool:
        return bool(
            one(db, "SELECT 1 FROM servers WHERE registry_id = ? AND name = ?", [registry_id, name])
        )

    def _server_row(self, db, reg: dict, name: str) -> dict:
        row = one(db, "SELECT * FROM servers WHERE registry_id = ? AND name = ?", [reg["id"], name])
        if row is None:
            raise NotFound(f"no server {name!r} in registry '{reg['slug']}'")
        return row

    def _server_by_id(self, db, server_id: int) -> Server:
        return model_from_row(
            Server, exactly_one(db, "SELECT * FROM servers WHERE id = ?", [server_id]), _SERVER_JSON
        )

    def server_columns(self, name: str, document: dict, problems: list[Problem]) -> dict:
        def text(key: str) -> str:
            value = document.get(key)
            return value if isinstance(value, str) else ""

        return {
            "name": name,
            "version": text("version"),
            "description": text("description"),
            "document": json.dumps(document, ensure_ascii=False),
            "status": "draft" if problems else "valid",
            "problems": json.dumps([p.as_dict() for p in problems]),
            "updated_at": self.now(),
        }

    def insert_server(self, db, registry_id: int, name: str, document: dict, problems) -> int:
        row = self.server_columns(name, document, problems)
        row.update(registry_id=registry_id, created_at=row["updated_at"])
        # one statement, not sqlite-utils' insert (which plans the table each time): an import
        # inserts thousands
        columns = ", ".join(row)
        marks = ", ".join(f":{column}" for column in row)
        cursor = db.execute(f"INSERT INTO servers ({columns}) VALUES ({marks})", row)
        return int(cursor.lastrowid or 0)

    def _registry_contents(self, db, registry_id: int) -> RegistryDeletion:
        row = exactly_one(
            db,
            """
            SELECT
              (SELECT count(*) FROM servers WHERE registry_id = :r) AS servers,
              (SELECT count(*) FROM variables WHERE registry_id = :r
                 OR server_id IN (SELECT id FROM servers WHERE registry_id = :r)) AS variables
            """,
            {"r": registry_id},
        )
        # open requests on it, or moving a server into it: deleting it closes them
        requests = self.services.approvals.open_touching(db, registry_id)
        return RegistryDeletion(registries=1, requests=requests, **row)


def _problems_message(name: str, problems: list[Problem]) -> str:
    shown = "; ".join(str(p) for p in problems[:4])
    more = f"; and {len(problems) - 4} more" if len(problems) > 4 else ""
    return f"server '{name}' is not valid: {shown}{more}"


def _server_of(scope: Scope) -> tuple[str, str]:
    """(registry slug, server name) of a server's scope."""
    if scope.registry is None or scope.server is None:
        raise InvalidInput(f"name a server, not {scope.label}")
    return scope.registry, scope.server
