"""Approvals: a registry may require them. Then a change to its servers by a member who may write
(`registries:write`) but not approve becomes a change request with a diff, and nothing changes
until an admin, or a member with `registries:approve`, approves it (which replays the change in
one transaction, as the requester with the approver's authority) or rejects it with a comment.

The registries' write methods call `gate` first: it lets the change go ahead, or records the
request and raises `ChangeRequested` (a PyleeError, so every caller shows its one line)."""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from pylee_tui.services.access import Membership
from pylee_tui.services.approval_drafts import (
    BUILDERS,
    PINNED,
    Draft,
    pin_fingerprint,
    registry_fingerprint,
    registry_row,
    server_row,
)
from pylee_tui.services.base import Service, one
from pylee_tui.services.change_diff import capped, fingerprint
from pylee_tui.services.errors import (
    Conflict,
    InvalidInput,
    NotFound,
    PermissionDenied,
    PyleeError,
)
from pylee_tui.services.scope import Scope

if TYPE_CHECKING:
    from pylee_tui.services import Services

__all__ = ["MAX_ID", "STATES", "ApprovalService", "ChangeRequest", "ChangeRequested"]

STATES = ("open", "approved", "rejected")
MAX_COMMENT = 1000
MAX_ID = 2**63 - 1  # the largest request number SQLite can hold

_SELECT = """
    SELECT c.*, o.slug AS org_slug, r.slug AS registry_slug
    FROM change_requests c
    JOIN organizations o ON o.id = c.org_id
    JOIN registries r ON r.id = c.registry_id
"""

# a request on a registry, or one moving a server into it (two parameters: the registry's id)
_TOUCHING = (
    "(c.registry_id = ? OR (c.operation = 'server.move' AND json_extract(c.params, '$.to_id') = ?))"
)


@dataclass(frozen=True)
class ChangeRequest:
    """A change kept for approval: what it does (`summary`, `diff`) and who decided what."""

    id: int
    org: str
    registry: str
    operation: str  # server.add|edit|remove|move|import|publish|rollback|pin|unpin, registry.edit
    target: str  # the server's name ("" for an import or a registry edit)
    summary: str
    diff: str
    state: str  # open | approved | rejected
    requested_by: str
    requested_at: str
    decided_by: str | None
    decided_at: str | None
    comment: str

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> ChangeRequest:
        return cls(
            id=row["id"],
            org=row["org_slug"],
            registry=row["registry_slug"],
            operation=row["operation"],
            target=row["target"],
            summary=row["summary"],
            diff=row["diff"],
            state=row["state"],
            requested_by=row["requested_by"],
            requested_at=row["requested_at"],
            decided_by=row["decided_by"],
            decided_at=row["decided_at"],
            comment=row["comment"],
        )

    def as_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "org": self.org,
            "registry": self.registry,
            "operation": self.operation,
            "target": self.target,
            "summary": self.summary,
            "state": self.state,
            "requested_by": self.requested_by,
            "requested_at": self.requested_at,
            "decided_by": self.decided_by,
            "decided_at": self.decided_at,
            "comment": self.comment,
            "diff": self.diff,
        }


class ChangeRequested(PyleeError):
    """The change was not made: it waits for approval as change request `request.id`."""

    def __init__(self, request: ChangeRequest):
        super().__init__(f"Change request #{request.id} opened for approval: {request.summary}")
        self.request = request


class ApprovalService(Service):
    def __init__(self, services: Services):
        super().__init__(services)
        self._local = threading.local()  # the replay under way in this thread, if any

    # --- the setting ---------------------------------------------------------------------

    def requires_approval(self, actor: str, scope: Scope) -> bool:
        """Whether changes to the servers of the registry `scope` names need approval."""
        with self.store.reading() as db:
            org, _member = self.services.access.org_row(db, actor, scope.org)
            return bool(registry_row(db, org, _registry_slug(scope))["require_approval"])

    def set_required(self, actor: str, scope: Scope, required: bool) -> bool:
        """Turn approval on or off for a registry (admins). Open requests stay open either way.
        Returns whether it changed."""
        with self.store.transaction() as db:
            org, member = self.services.access.org_row(db, actor, scope.org)
            self.services.access.require(
                member, "org:manage", "change whether a registry requires approval"
            )
            return self.apply_required(
                db, actor, org, registry_row(db, org, _registry_slug(scope)), required
            )

    def apply_required(self, db, actor: str, org: dict, reg: dict, required: bool) -> bool:
        """Inside the caller's transaction, after its check of `org:manage`: set whether the
        registry `reg` requires approval, audited when it changed. Returns whether it did."""
        if bool(reg["require_approval"]) == required:
            return False
        db.execute(
            "UPDATE registries SET require_approval = ? WHERE id = ?",
            [int(required), reg["id"]],
        )
        self.services.audit.record(
            db,
            actor,
            org,
            "registry.approval",
            "registry",
            reg["id"],
            reg["name"],
            {"required": required},
        )
        return True

    # --- the gate ------------------------------------------------------------------------

    def authority(self, actor: str) -> str:
        """Whose permissions a registry write checks: during an approval's replay of `actor`'s
        request, the approver's; otherwise the actor's own."""
        replay = getattr(self._local, "replay", None)
        return replay[1] if replay is not None and replay[0] == actor else actor

    def gate(self, actor: str, scope: Scope, operation: str, params: dict[str, Any]) -> None:
        """Let a change to a registry's servers go ahead (return), or record it as a change
        request and raise ChangeRequested. Only a member who may write but not approve, on a
        registry that requires approval, is stopped; anyone who may not write is left to the
        write method's own refusal, and an approval's replay goes ahead."""
        if getattr(self._local, "replay", None) is not None:
            return
        with self.store.reading() as db:  # most writes go ahead: a read decides, cheaply
            if self._stopper(db, actor, scope, operation, params) is None:
                return
        with self.store.transaction() as db:
            org_row = self._stopper(db, actor, scope, operation, params)
            if org_row is None:
                return  # approval was turned off meanwhile
            draft = self._draft(db, org_row, scope, operation, params)
            request_id = self._record(db, actor, org_row, operation, draft)
            request = self._by_id(db, request_id)
        raise ChangeRequested(request)

    def _stopper(
        self, db, actor: str, scope: Scope, operation: str, params: dict[str, Any]
    ) -> dict[str, Any] | None:
        """The org's row when this change must wait for approval, else None."""
        org_row = one(db, "SELECT * FROM organizations WHERE slug = ?", [scope.org])
        if org_row is None or scope.registry is None:
            return None  # the write says NotFound in its own words
        member = self.services.access.membership(db, actor, org_row["id"])
        if (
            member is None
            or not member.allows("registries:write")
            or member.allows("registries:approve")
        ):
            return None
        slugs = [scope.registry] + ([params["to"]] if operation == "server.move" else [])
        marks = ", ".join("?" * len(slugs))
        gated = one(
            db,
            f"SELECT 1 FROM registries WHERE org_id = ? AND slug IN ({marks}) "
            "AND require_approval = 1",
            [org_row["id"], *slugs],
        )
        return org_row if gated else None

    def _draft(self, db, org: dict, scope: Scope, operation: str, params: dict[str, Any]) -> Draft:
        """The request for this change."""
        reg = registry_row(db, org, scope.registry or "")
        builder = BUILDERS.get(operation)
        if builder is None:
            raise InvalidInput(f"{operation} cannot be sent for approval")
        self._precheck(db, reg, scope, operation, params)
        return builder(db, org, reg, scope, params)

    def _precheck(self, db, reg: dict, scope: Scope, operation: str, params: dict) -> None:
        """Refuse a publication or a rollback that could only fail when approved, in the
        words the direct write uses (its checks, as the store is now)."""
        if operation not in ("server.publish", "server.rollback"):
            return
        versions = self.services.server_versions
        row = server_row(db, reg, scope.server or "")
        if operation == "server.publish":
            versions.publishable(db, row, bump=params["bump"], version=params["version"])
        else:
            versions.rollbackable(
                db,
                row,
                params["to"],
                bump=params["bump"],
                new_version=params["version"],
                discard=bool(params["discard"]),
            )

    def _record(self, db, actor: str, org: dict, operation: str, draft: Draft) -> int:
        cursor = db.execute(
            "INSERT INTO change_requests (org_id, registry_id, operation, target, summary, "
            "params, base, diff, requested_by, requested_at) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                org["id"],
                draft.registry["id"],
                operation,
                draft.target,
                draft.summary,
                json.dumps(draft.params, ensure_ascii=False),
                json.dumps(draft.base),
                capped(draft.diff),
                actor,
                self.now(),
            ],
        )
        request_id = int(cursor.lastrowid or 0)
        self.services.audit.record(
            db,
            actor,
            org,
            "request.open",
            "change_request",
            request_id,
            draft.summary,
            {"request": request_id, "operation": operation, "registry": draft.registry["slug"]},
        )
        return request_id

    # --- the requests ----------------------------------------------------------------------

    def list_requests(
        self,
        actor: str,
        org: str | None = None,
        *,
        registry: str | None = None,
        state: str = "open",
    ) -> list[ChangeRequest]:
        """Change requests, newest first: of `org` (else of every org the actor belongs to),
        of one registry, in one state ("all": any)."""
        if state != "all" and state not in STATES:
            raise InvalidInput(f"unknown state {state!r}: use one of {', '.join(STATES)} or all")
        with self.store.reading() as db:
            where, params = [], []
            if org is not None:
                org_row, _member = self.services.access.org_row(db, actor, org)
                where.append("c.org_id = ?")
                params.append(org_row["id"])
                if registry is not None:
                    where.append("c.registry_id = ?")
                    params.append(registry_row(db, org_row, registry)["id"])
            else:
                if registry is not None:
                    raise InvalidInput("a registry is named within its org: give --org too")
                where.append(
                    "c.org_id IN (SELECT org_id FROM members WHERE email = ? AND status = 'active')"
                )
                params.append(actor)
            if state != "all":
                where.append("c.state = ?")
                params.append(state)
            rows = db.query(f"{_SELECT} WHERE {' AND '.join(where)} ORDER BY c.id DESC", params)
            return [ChangeRequest.from_row(r) for r in rows]

    def open_touching(self, db, registry_id: int) -> int:
        """Inside the caller's transaction: how many open requests touch the registry (are on
        it, or move a server into it): those deleting it closes."""
        row = one(
            db,
            f"SELECT count(*) AS n FROM change_requests c WHERE c.state = 'open' AND {_TOUCHING}",
            [registry_id, registry_id],
        )
        return int(row["n"]) if row else 0

    def open_count(self, actor: str, org: str) -> int:
        """How many change requests of the org wait for a decision."""
        with self.store.reading() as db:
            org_row, _member = self.services.access.org_row(db, actor, org)
            row = one(
                db,
                "SELECT count(*) AS n FROM change_requests WHERE org_id = ? AND state = 'open'",
                [org_row["id"]],
            )
            return int(row["n"]) if row else 0

    def get_request(self, actor: str, number: int) -> ChangeRequest:
        with self.store.reading() as db:
            row, _member = self._request(db, actor, number)
            return ChangeRequest.from_row(row)

    def can_decide(self, actor: str, number: int) -> bool:
        """Whether the actor may approve the request (a UI disables what they cannot do)."""
        with self.store.reading() as db:
            row, member = self._request(db, actor, number)
        return member.allows("registries:approve") and row["requested_by"] != actor

    def approve(self, actor: str, number: int, *, comment: str = "") -> ChangeRequest:
        """Apply the request in one transaction, as its requester with the approver's authority.
        Refused when a server it touches changed since it was made, and for its own requester."""
        comment = _comment(comment)
        with self.store.transaction() as db:
            row, member = self._request(db, actor, number)
            self._decidable(row, member, "approve")
            if row["requested_by"] == actor:
                raise PermissionDenied(
                    f"you ({actor}) cannot approve your own change request #{number}: another "
                    "admin or a member with the grant 'registries:approve' decides it"
                )
            requester = self.services.access.membership(db, row["requested_by"], row["org_id"])
            if requester is None or not requester.allows("registries:write"):
                raise PermissionDenied(
                    f"cannot approve change request #{number}: {row['requested_by']} is no "
                    "longer a member who may write registries: reject the request"
                )
            stale = self._stale(db, row)
            if stale is not None:
                raise Conflict(
                    f"{stale} changed since the request was made; reject it and ask for a new one"
                )
            self._local.replay = (row["requested_by"], actor)
            try:
                self._replay(db, row)
            finally:
                self._local.replay = None
            return self._decide(db, actor, row, "approved", comment)

    def reject(self, actor: str, number: int, *, comment: str) -> ChangeRequest:
        """Close the request unapplied, saying why. Its requester may withdraw it this way too."""
        comment = _comment(comment)
        if not comment:
            raise InvalidInput("a rejection needs a comment: say why, so the requester knows")
        with self.store.transaction() as db:
            row, member = self._request(db, actor, number)
            if row["requested_by"] != actor:
                self._decidable(row, member, "reject")
            elif row["state"] != "open":
                raise Conflict(f"change request #{number} is already {row['state']}")
            return self._decide(db, actor, row, "rejected", comment)

    def close_open(
        self,
        db,
        actor: str,
        org_id: int,
        comment: str,
        *,
        registry_id: int | None = None,
        requested_by: str | None = None,
    ) -> int:
        """Inside the caller's transaction: reject the org's open requests touching one
        registry (on it, or moving a server into it) or of one requester, with `comment`
        (audited as `actor`'s). Returns how many it closed."""
        where = ["c.org_id = ?", "c.state = 'open'"]
        params: list[Any] = [org_id]
        if registry_id is not None:
            where.append(_TOUCHING)
            params += [registry_id, registry_id]
        if requested_by is not None:
            where.append("c.requested_by = ?")
            params.append(requested_by)
        rows = list(db.query(f"{_SELECT} WHERE {' AND '.join(where)} ORDER BY c.id", params))
        for row in rows:
            self._decide(db, actor, row, "rejected", comment)
        return len(rows)

    # --- helpers -------------------------------------------------------------------------

    def _request(self, db, actor: str, number: int) -> tuple[dict[str, Any], Membership]:
        # a number beyond SQLite's integers names no request (rather than overflow the query)
        row = one(db, f"{_SELECT} WHERE c.id = ?", [number]) if 0 < number <= MAX_ID else None
        member = self.services.access.membership(db, actor, row["org_id"]) if row else None
        if row is None or member is None:
            raise NotFound(f"no change request #{number} (or you are not a member of its org)")
        return row, member

    def _decidable(self, row: dict[str, Any], member: Membership, doing: str) -> None:
        self.services.access.require(
            member, "registries:approve", f"{doing} change request #{row['id']}"
        )
        if row["state"] != "open":
            raise Conflict(f"change request #{row['id']} is already {row['state']}")

    def _decide(
        self, db, actor: str, row: dict[str, Any], state: str, comment: str
    ) -> ChangeRequest:
        db.execute(
            "UPDATE change_requests SET state = ?, decided_by = ?, decided_at = ?, comment = ? "
            "WHERE id = ?",
            [state, actor, self.now(), comment, row["id"]],
        )
        action = "request.approve" if state == "approved" else "request.reject"
        org = {"id": row["org_id"], "slug": row["org_slug"]}
        metadata = {
            "request": row["id"],
            "operation": row["operation"],
            "registry": row["registry_slug"],
            "requested_by": row["requested_by"],
            "comment": comment,
        }
        self.services.audit.record(
            db, actor, org, action, "change_request", row["id"], row["summary"], metadata
        )
        return self._by_id(db, row["id"])

    def _by_id(self, db, request_id: int) -> ChangeRequest:
        row = one(db, f"{_SELECT} WHERE c.id = ?", [request_id])
        assert row is not None, "a request this transaction has just written"
        return ChangeRequest.from_row(row)

    def _stale(self, db, row: dict[str, Any]) -> str | None:
        """The name of the first server the request touches whose state differs from its state
        when the request was made, or None."""
        for registry_id, name, before, *how in json.loads(row["base"]):
            if name is None:  # the registry itself (a registry edit)
                reg = one(db, "SELECT * FROM registries WHERE id = ?", [registry_id])
                if reg is None or registry_fingerprint(reg) != before:
                    return f"registry {row['registry_slug']}"
                continue
            now = one(
                db, "SELECT * FROM servers WHERE registry_id = ? AND name = ?", [registry_id, name]
            )
            # a pin or an unpin also depends on the pin and on a fork's upstream
            state = pin_fingerprint(db, now) if how == [PINNED] else fingerprint(now)
            if state != before:
                return f"server {name}"
        return None

    def _replay(self, db, row: dict[str, Any]) -> None:
        params = json.loads(row["params"])
        requester, org = row["requested_by"], row["org_slug"]
        registries = self.services.registries
        scope = Scope(org, row["registry_slug"])
        at = Scope(org, row["registry_slug"], row["target"] or None)
        match row["operation"]:
            case "server.add":
                registries.add_server(
                    requester, scope, params["document"], allow_draft=params["allow_draft"]
                )
            case "server.edit":
                registries.edit_server(requester, at, params["document"])
            case "server.remove":
                registries.remove_server(requester, at)
            case "server.move":
                to = one(db, "SELECT slug FROM registries WHERE id = ?", [params["to_id"]])
                if to is None:
                    raise NotFound("the registry the server was to move to is gone")
                registries.move_server(requester, at, to["slug"])
            case "server.import":
                registries.import_servers(
                    requester,
                    scope,
                    params["entries"],
                    strict=params["strict"],
                    replace=params["replace"],
                    source=params["source"],
                    origins=[(f, p) for f, p in params["origins"]],
                )
            case "server.publish":
                self.services.server_versions.publish(
                    requester, at, bump=params["bump"], version=params["version"]
                )
            case "server.rollback":
                self.services.server_versions.rollback(
                    requester,
                    at,
                    params["to"],
                    bump=params["bump"],
                    new_version=params["version"],
                    discard=params["discard"],
                )
            case "server.pin":
                self.services.server_versions.pin(requester, at, params["version"])
            case "server.unpin":
                self.services.server_versions.unpin(requester, at)
            case "registry.edit":
                changes, base = params["changes"], params["base"]
                registries.edit(
                    requester,
                    scope,
                    name=changes.get("name"),
                    new_slug=changes.get("slug"),
                    description=changes.get("description"),
                    overview=changes.get("overview"),
                    overview_base=datetime.fromisoformat(base) if base else None,
                    force=params["force"],
                )
            case other:
                raise InvalidInput(f"change request #{row['id']} holds an unknown change: {other}")


def _registry_slug(scope: Scope) -> str:
    if scope.registry is None or scope.server is not None:
        raise InvalidInput(f"name a registry, not {scope.label}")
    return scope.registry


def _comment(text: str) -> str:
    text = " ".join((text or "").split())
    if len(text) > MAX_COMMENT:
        raise InvalidInput(f"a comment is at most {MAX_COMMENT} characters")
    return text
