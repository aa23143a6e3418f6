"""The append-only audit log: every mutating service call writes one event in its transaction."""

from __future__ import annotations

import json
from typing import Any

from pylee_tui.models import AuditEvent
from pylee_tui.services.base import Service, model_from_row
from pylee_tui.services.errors import InvalidInput

# the most events one listing returns (SQLite takes a 64-bit LIMIT; a person never needs more)
LIMIT_MAX = 100_000
# metadata keys that must never carry a value into the log
_FORBIDDEN_KEYS = {"value", "secret", "passphrase", "plaintext"}


class AuditService(Service):
    def record(
        self,
        db,
        *,
        actor: str,
        action: str,
        org_id: int | None,
        org_slug: str | None,
        target_type: str,
        target_id: Any = None,
        target_label: str = "",
        metadata: dict[str, Any] | None = None,
    ) -> None:
        """Append one event. Call inside the transaction of the change it describes."""
        metadata = metadata or {}
        leaked = _FORBIDDEN_KEYS & set(metadata)
        if leaked:
            raise ValueError(f"audit metadata must not carry values: {sorted(leaked)}")
        db["audit_events"].insert(
            {
                "org_id": org_id,
                "org_slug": org_slug,
                "actor": actor,
                "action": action,
                "target_type": target_type,
                "target_id": None if target_id is None else str(target_id),
                "target_label": target_label,
                "created_at": self.now(),
                "metadata": json.dumps(metadata, sort_keys=True),
            }
        )

    def record_in_org(
        self,
        db,
        org: dict,
        *,
        actor: str,
        action: str,
        target_type: str,
        target_id: Any,
        target_label: str,
        metadata: dict[str, Any] | None = None,
    ) -> None:
        """`record` for a change inside `org` (an organizations row)."""
        self.record(
            db,
            actor=actor,
            action=action,
            org_id=org["id"],
            org_slug=org["slug"],
            target_type=target_type,
            target_id=target_id,
            target_label=target_label,
            metadata=metadata,
        )

    def list_for_org(
        self, actor: str, org_slug: str, *, limit: int | None = None, query: str = ""
    ) -> list[AuditEvent]:
        """Events of one org, newest first; any member of the org may read them."""
        with self.store.reading() as db:
            org, _member = self.services.access.org_row(db, org_slug, actor)
            return self._select(db, "org_id = ?", [org["id"]], limit, query)

    def list_by_actor(self, actor: str, *, limit: int | None = None) -> list[AuditEvent]:
        """Your own events across every org, deleted ones included, newest first."""
        with self.store.reading() as db:
            return self._select(db, "actor = ?", [actor], limit, "")

    def _select(self, db, where: str, params: list[Any], limit: int | None, query: str):
        if limit is not None and (
            isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= LIMIT_MAX
        ):
            big = isinstance(limit, int) and limit.bit_length() > 64
            shown = "a number too large for the store" if big else repr(limit)
            raise InvalidInput(f"limit must be from 1 to {LIMIT_MAX:,} (got {shown})")
        sql = f"SELECT * FROM audit_events WHERE {where}"
        if query:
            sql += (
                " AND (actor LIKE ? OR action LIKE ? OR target_label LIKE ? OR target_type LIKE ?)"
            )
            params = [*params, *([f"%{query}%"] * 4)]
        sql += " ORDER BY id DESC"
        if limit is not None:
            sql += f" LIMIT {int(limit)}"
        return [model_from_row(AuditEvent, r, ("metadata",)) for r in db.query(sql, params)]
