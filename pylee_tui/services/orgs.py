"""Organizations: create (the creator becomes its first admin), list, edit, delete with cascade."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from pylee_tui.fields import slugify, with_suffix
from pylee_tui.services.base import (
    Service,
    exactly_one,
    model_from_row,
    named_changes,
    one,
    valid,
)
from pylee_tui.services.errors import Conflict
from pylee_tui.summaries import OrgSummary

if TYPE_CHECKING:
    import sqlite_utils

    from pylee_tui.models import DeletionReport, Organization

# Listing orgs is what a cold `pylee-tui org list` does: it reads with plain sqlite3 into
# `OrgSummary` dataclasses. The other methods load the pydantic records (`models`) when called.


class OrgService(Service):
    # --- reads ---------------------------------------------------------------------------

    def list_orgs(self, actor: str) -> list[OrgSummary]:
        """The orgs the actor is an active member of, by name, with counts and the actor's role."""
        rows = self.store.rows(
            """
            SELECT o.id, o.name, o.slug, o.description, o.created_at, m.role,
              (SELECT count(*) FROM registries r WHERE r.org_id = o.id) AS registry_count,
              (SELECT count(*) FROM members x WHERE x.org_id = o.id AND x.status = 'active')
                AS member_count,
              (SELECT group_concat(email, char(10)) FROM
                 (SELECT email FROM members a WHERE a.org_id = o.id AND a.role = 'admin'
                    AND a.status = 'active' ORDER BY email)) AS admins
            FROM organizations o
            JOIN members m ON m.org_id = o.id AND m.email = ? AND m.status = 'active'
            ORDER BY o.name COLLATE NOCASE, o.slug
            """,
            [actor],
        )
        return [OrgSummary.from_row(row) for row in rows]

    def get_org(self, actor: str, org: str) -> Organization:
        from pylee_tui.models import Organization

        with self.store.reading() as db:
            row, _member = self.services.access.org_row(db, actor, org)
            return model_from_row(Organization, row)

    def role(self, actor: str, org: str) -> str:
        with self.store.reading() as db:
            _row, member = self.services.access.org_row(db, actor, org)
            return member.role

    def contents(self, actor: str, org: str) -> DeletionReport:
        """What deleting the org would remove (for the confirmation)."""
        with self.store.reading() as db:
            row, _member = self.services.access.org_row(db, actor, org)
            return self._contents(db, row["id"])

    # --- writes --------------------------------------------------------------------------

    def create(
        self,
        actor: str,
        name: str,
        *,
        slug: str | None = None,
        description: str = "",
        overview: str = "",
    ) -> Organization:
        name = valid("name", name)
        description = valid("description", description)
        overview = valid("overview", overview)
        from pylee_tui.models import Organization

        explicit = slug is not None and slug != ""
        if explicit:
            slug = valid("slug", slug)
        now = self.now()
        with self.store.transaction() as db:
            if not explicit:
                slug = self._free_slug(db, slugify(name))
            elif one(db, "SELECT 1 FROM organizations WHERE slug = ?", [slug]):
                raise Conflict(f"slug '{slug}' is already taken; choose another slug")
            org_id = (
                db.table("organizations")
                .insert(
                    {
                        "name": name,
                        "slug": slug,
                        "description": description,
                        "overview": overview,
                        "overview_updated_at": now if overview else None,
                        "created_at": now,
                        "updated_at": now,
                    }
                )
                .last_pk
            )
            db.table("members").insert(
                {
                    "org_id": org_id,
                    "email": actor,
                    "role": "admin",
                    "status": "active",
                    "grants": "[]",
                    "invited_by": actor,
                    "invited_at": now,
                    "joined_at": now,
                }
            )
            self.services.audit.record(
                db,
                actor,
                {"id": org_id, "slug": slug},
                "org.create",
                "organization",
                org_id,
                name,
                {"slug": slug, "first_admin": actor},
            )
            return model_from_row(
                Organization, exactly_one(db, "SELECT * FROM organizations WHERE id = ?", [org_id])
            )

    def edit(
        self,
        actor: str,
        org: str,
        *,
        name: str | None = None,
        new_slug: str | None = None,
        description: str | None = None,
        overview: str | None = None,
        overview_base: datetime | None = None,
        force: bool = False,
    ) -> Organization:
        """Apply several changes in one transaction, one audit event per field that changed
        (see `named_edit.apply_edit`: `overview_base` guards the overview against lost
        updates)."""
        from pylee_tui.models import Organization
        from pylee_tui.services.named_edit import ORG, apply_edit

        changes = named_changes(
            name=name, slug=new_slug, description=description, overview=overview
        )
        with self.store.transaction() as db:
            row, member = self.services.access.org_row(db, actor, org)
            self.services.access.require(member, "org:manage", "edit the organization")
            edited = apply_edit(
                self.services,
                db,
                actor,
                ORG,
                row,
                row,
                changes,
                overview_base=overview_base,
                force=force,
            )
            return model_from_row(Organization, edited)

    def delete(self, actor: str, org: str) -> DeletionReport:
        """Delete the org and everything in it; returns what was removed. Its audit trail stays."""
        with self.store.transaction() as db:
            row, member = self.services.access.org_row(db, actor, org)
            self.services.access.require(member, "org:delete", "delete the organization")
            report = self._contents(db, row["id"])
            db.execute("DELETE FROM organizations WHERE id = ?", [row["id"]])
            self.services.audit.record(
                db,
                actor,
                row,
                "org.delete",
                "organization",
                row["id"],
                row["name"],
                report.model_dump(exclude={"organizations"}),
            )
            return report

    # --- helpers -------------------------------------------------------------------------

    def _free_slug(self, db: sqlite_utils.Database, base: str) -> str:
        """`base`, or the first of `base-2`, `base-3`, ... that no org uses."""
        candidate, n = base, 1
        while one(db, "SELECT 1 FROM organizations WHERE slug = ?", [candidate]):
            n += 1
            candidate = with_suffix(base, n)
        return candidate

    def _contents(self, db: sqlite_utils.Database, org_id: int) -> DeletionReport:
        from pylee_tui.models import DeletionReport

        row = exactly_one(
            db,
            """
            SELECT
              (SELECT count(*) FROM registries WHERE org_id = :o) AS registries,
              (SELECT count(*) FROM servers s JOIN registries r ON r.id = s.registry_id
                 WHERE r.org_id = :o) AS servers,
              (SELECT count(*) FROM members WHERE org_id = :o) AS members,
              (SELECT count(*) FROM variables WHERE org_id = :o) AS variables
            """,
            {"o": org_id},
        )
        return DeletionReport(organizations=1, **row)
