"""Variables at org, registry or server scope.

The foundation's part: plain variables at org and registry scope (used by the demo and onboarding).
The vault issue brings secrets, inheritance resolution, history and encryption.
"""

from __future__ import annotations

from pylee_tui.models import Variable
from pylee_tui.services.base import Service, model_from_row, one, valid
from pylee_tui.services.errors import Conflict, NotFound


class VariableService(Service):
    def list(self, actor: str, org_slug: str, registry_slug: str | None = None) -> list[Variable]:
        with self.store.reading() as db:
            org, _member = self.services.access.org_row(db, org_slug, actor)
            registry_id = self._registry_id(db, org, registry_slug)
            rows = db.query(
                "SELECT id, org_id, registry_id, server_id, scope, key, kind, "
                "CASE kind WHEN 'variable' THEN value END AS value, created_at, updated_at, "
                "updated_by FROM variables WHERE org_id = ? AND registry_id IS ? "
                "AND server_id IS NULL ORDER BY key",
                [org["id"], registry_id],
            )
            return [model_from_row(Variable, r) for r in rows]

    def count(self, actor: str, org_slug: str) -> int:
        """Variables and secrets at every scope of the org."""
        with self.store.reading() as db:
            org, _member = self.services.access.org_row(db, org_slug, actor)
            return one(db, "SELECT count(*) AS n FROM variables WHERE org_id = ?", [org["id"]])["n"]

    def set_variable(
        self, actor: str, org_slug: str, key: str, value: str, registry_slug: str | None = None
    ) -> Variable:
        key = valid("variable_key", key)
        value = valid("variable_value", value)
        now = self.now()
        with self.store.transaction() as db:
            org, member = self.services.access.org_row(db, org_slug, actor)
            self.services.access.require(member, "variables:write", "set variables")
            registry_id = self._registry_id(db, org, registry_slug)
            scope = "registry" if registry_id else "org"
            existing = one(
                db,
                "SELECT * FROM variables WHERE org_id = ? AND registry_id IS ? "
                "AND server_id IS NULL AND key = ?",
                [org["id"], registry_id, key],
            )
            if existing and existing["kind"] == "secret":
                raise Conflict(
                    f"{key} is a secret at this scope; unset it before making it a variable"
                )
            if existing:
                db["variables"].update(
                    existing["id"], {"value": value, "updated_at": now, "updated_by": actor}
                )
                var_id = existing["id"]
            else:
                var_id = (
                    db["variables"]
                    .insert(
                        {
                            "org_id": org["id"],
                            "registry_id": registry_id,
                            "server_id": None,
                            "scope": scope,
                            "key": key,
                            "kind": "variable",
                            "value": value,
                            "encrypted_value": None,
                            "created_at": now,
                            "updated_at": now,
                            "updated_by": actor,
                        }
                    )
                    .last_pk
                )
            self.services.audit.record(
                db,
                actor=actor,
                action="variable.set",
                org_id=org["id"],
                org_slug=org["slug"],
                target_type="variable",
                target_id=var_id,
                target_label=key,
                metadata={"scope": scope, "registry": registry_slug},
            )
            return model_from_row(
                Variable, one(db, "SELECT * FROM variables WHERE id = ?", [var_id])
            )

    def _registry_id(self, db, org: dict, registry_slug: str | None) -> int | None:
        if not registry_slug:
            return None
        row = one(
            db,
            "SELECT id FROM registries WHERE org_id = ? AND slug = ?",
            [org["id"], registry_slug],
        )
        if row is None:
            raise NotFound(f"no registry '{registry_slug}' in '{org['slug']}'")
        return row["id"]
