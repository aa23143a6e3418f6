"""A server's published versions: publish the working copy (the servers row) as an immutable
semver version, list and diff them, roll back to one, and pin the version a registry uses.

Exports and `run` read the document a registry uses through here: the pinned version, else the
latest published one; a forked server's, its upstream's (see services/forks.py)."""

from __future__ import annotations

import difflib
import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from pylee_tui.services.base import Service, one
from pylee_tui.services.errors import Conflict, InvalidInput, NotFound
from pylee_tui.services.scope import Scope
from pylee_tui.services.semver import BUMPS, Bump, Version, first_version, parse
from pylee_tui.services.version_bump import Suggestion, suggest_bump

WORKING = "draft"  # what `diff` calls the working copy (the unpublished changes)


@dataclass(frozen=True)
class PublishedVersion:
    version: str
    published_at: datetime
    published_by: str  # '' : published when the store was migrated


@dataclass(frozen=True)
class VersionState:
    """A server's versions as its registry sees them. For a forked server, `versions` are its
    upstream's and `changed` is always False (it has no working copy of its own)."""

    server: str
    versions: list[PublishedVersion]  # oldest first
    pinned: str | None
    changed: bool  # the working copy differs from the latest version (besides its version)
    draft: bool  # the working copy is invalid: it cannot be published
    suggestion: Suggestion
    next_version: str | None  # what `publish` would publish now (None: nothing to publish)
    upstream: str | None = None  # a forked server's upstream, org/registry/name
    gone: bool = False  # a forked server whose upstream was removed

    @property
    def latest(self) -> str | None:
        return self.versions[-1].version if self.versions else None

    @property
    def in_use(self) -> str | None:
        """The version exports and `run` use."""
        return self.pinned or self.latest

    @property
    def behind(self) -> bool:
        return self.pinned is not None and self.pinned != self.latest


@dataclass(frozen=True)
class Published:
    server: str
    version: str
    previous: str | None
    bump: Bump | None
    reasons: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Resolved:
    """The document a registry uses for a server (None: none it can use, and why)."""

    document: dict[str, Any] | None
    version: str | None
    reason: str = ""


def _loads(text: str) -> dict[str, Any]:
    value = json.loads(text)
    return value if isinstance(value, dict) else {}


def _without_version(document: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in document.items() if k != "version"}


class ServerVersionService(Service):
    # --- reading -------------------------------------------------------------------------

    def state(self, actor: str, scope: Scope) -> VersionState:
        with self.store.reading() as db:
            _org, _reg, row = self._row(db, actor, scope)
            return self._state(db, row)

    def document(self, actor: str, scope: Scope, version: str) -> dict[str, Any]:
        """The document of one published version (`draft`: the working copy)."""
        with self.store.reading() as db:
            _org, _reg, row = self._row(db, actor, scope)
            return self._document_of(db, row, version)

    def diff(self, actor: str, scope: Scope, old: str, new: str) -> str:
        """A unified diff of two versions' documents (either may be `draft`, the working
        copy); empty when they are the same."""
        with self.store.reading() as db:
            _org, _reg, row = self._row(db, actor, scope)
            before, after = self._document_of(db, row, old), self._document_of(db, row, new)

        def lines(document: dict[str, Any]) -> list[str]:
            return json.dumps(document, indent=2, ensure_ascii=False, sort_keys=True).splitlines()

        return "\n".join(
            difflib.unified_diff(
                lines(before),
                lines(after),
                f"{row['name']}@{old}",
                f"{row['name']}@{new}",
                n=3,
                lineterm="",
            )
        )

    def resolved(self, actor: str, scope: Scope) -> dict[str, Resolved]:
        """Server name -> the document the registry `scope` names uses for it (exports)."""
        with self.store.reading() as db:
            org, _member = self.services.access.org_row(db, actor, scope.org)
            reg = self.services.registries.registry_row(db, org, scope.registry or "")
            rows = db.query(
                "SELECT * FROM servers WHERE registry_id = ? ORDER BY name", [reg["id"]]
            )
            return {row["name"]: self._resolve(db, row) for row in rows}

    def resolved_one(self, actor: str, scope: Scope) -> Resolved:
        """The document the registry uses for the server `scope` names (`run`)."""
        with self.store.reading() as db:
            _org, _reg, row = self._row(db, actor, scope)
            return self._resolve(db, row)

    # --- writing -------------------------------------------------------------------------

    def publish(
        self, actor: str, scope: Scope, *, bump: Bump | None = None, version: str | None = None
    ) -> Published:
        """Publish the working copy as a new version: `version`, else the latest bumped by
        `bump`, else by the suggested bump (the first version: the document's own when it is
        semver, else 1.0.0). Refuses a draft, a version not greater than the latest, and a
        working copy with nothing new to publish."""
        gate = {"bump": bump, "version": version}
        self.services.approvals.gate(actor, scope, "server.publish", gate)
        with self.store.transaction() as db:
            org, reg, row = self._row(db, actor, scope, write="publish a server version")
            target, state = self.publishable(db, row, bump=bump, version=version)
            published = self._publish(
                db,
                row,
                _loads(row["document"]),
                target,
                actor,
                bump if version is None else None,
                state.suggestion,
            )
            self.services.audit.record(
                db,
                actor,
                org,
                "server.publish",
                "server",
                row["id"],
                row["name"],
                {"registry": reg["slug"], "version": target, "previous": state.latest},
            )
            return published

    def rollback(
        self,
        actor: str,
        scope: Scope,
        version: str,
        *,
        bump: Bump | None = None,
        new_version: str | None = None,
        discard: bool = False,
    ) -> Published:
        """Publish the content of `version` as a new version, greater than the latest (as
        `publish` picks it), and make it the working copy. Unpublished changes are refused
        unless `discard` (they would be lost). On a registry that requires approval, a
        writer's rollback is a change request, as a publication is."""
        gate = {"to": version, "bump": bump, "version": new_version, "discard": discard}
        self.services.approvals.gate(actor, scope, "server.rollback", gate)
        with self.store.transaction() as db:
            org, reg, row = self._row(db, actor, scope, write="roll back a server")
            old, target, suggestion = self.rollbackable(
                db, row, version, bump=bump, new_version=new_version, discard=discard
            )
            published = self._publish(db, row, old, target, actor, bump, suggestion)
            self.services.audit.record(
                db,
                actor,
                org,
                "server.rollback",
                "server",
                row["id"],
                row["name"],
                {"registry": reg["slug"], "version": target, "from": version},
            )
            return published

    def pin(self, actor: str, scope: Scope, version: str) -> VersionState:
        """Make the registry use `version` of the server (a forked server: of its upstream)
        until unpinned, whatever is published after it. On a registry that requires approval
        (a fork's pin changes the fork registry), a writer's pin becomes a change request."""
        self.services.approvals.gate(actor, scope, "server.pin", {"version": version})
        with self.store.transaction() as db:
            org, reg, row = self._row(db, actor, scope, write="pin a server version")
            source = self._source_id(db, row)
            if source is None:
                raise InvalidInput(f"server '{row['name']}' is gone upstream: nothing to pin")
            version = self._existing(db, source, version, row["name"])
            db.execute(
                "INSERT OR REPLACE INTO server_pins (server_id, version, pinned_at, pinned_by) "
                "VALUES (?, ?, ?, ?)",
                [row["id"], version, self.now(), actor],
            )
            return self._pin_changed(db, actor, org, reg, row, {"version": version})

    def unpin(self, actor: str, scope: Scope) -> VersionState:
        """Follow the latest published version again (gated as `pin` is)."""
        self.services.approvals.gate(actor, scope, "server.unpin", {})
        with self.store.transaction() as db:
            org, reg, row = self._row(db, actor, scope, write="unpin a server version")
            pinned = one(db, "SELECT version FROM server_pins WHERE server_id = ?", [row["id"]])
            if pinned is None:
                raise InvalidInput(f"server '{row['name']}' is not pinned")
            db.execute("DELETE FROM server_pins WHERE server_id = ?", [row["id"]])
            change = {"version": None, "was": pinned["version"]}
            return self._pin_changed(db, actor, org, reg, row, change)

    def _pin_changed(
        self, db: Any, actor: str, org: Any, reg: Any, row: Any, change: dict[str, Any]
    ) -> VersionState:
        """After a pin or an unpin: the server row follows it, and it is audited."""
        self.mirror(db, row["id"])
        self.services.audit.record(
            db,
            actor,
            org,
            "server.pin",
            "server",
            row["id"],
            row["name"],
            {"registry": reg["slug"], **change},
        )
        return self._state(db, row)

    # --- for other services, inside their transaction ------------------------------------

    def publishable(
        self, db: Any, row: dict, *, bump: Bump | None, version: str | None
    ) -> tuple[str, VersionState]:
        """The version publishing the server's working copy makes, with its state; refuses
        a forked server, a draft, nothing new to publish and a version not greater than the
        latest (a change request for it is refused the same way)."""
        self._refuse_fork(db, row, "publish")
        if row["status"] != "valid":
            raise InvalidInput(
                f"server '{row['name']}' is a draft: fix its problems before publishing it"
            )
        state = self._state(db, row)
        if state.versions and not state.changed and version is None and bump is None:
            raise InvalidInput(
                f"nothing to publish: server '{row['name']}' is as its latest version "
                f"{state.latest} has it (rollback publishes an older version's content)"
            )
        return self._target(state, state.suggestion, bump, version, row), state

    def rollbackable(
        self,
        db: Any,
        row: dict,
        version: str,
        *,
        bump: Bump | None,
        new_version: str | None,
        discard: bool,
    ) -> tuple[dict[str, Any], str, Suggestion]:
        """(the content of `version`, the version rolling back to it makes, why) or the
        refusal: a forked server, no such version, unpublished changes not discarded, nothing
        to roll back (a change request for it is refused the same way)."""
        self._refuse_fork(db, row, "roll back")
        state = self._state(db, row)
        old = self._version_document(db, row["id"], version)
        if state.changed and not discard:
            raise Conflict(
                f"server '{row['name']}' has unpublished changes; publish them first, or "
                "discard them with the rollback"
            )
        latest = self._version_document(db, row["id"], state.latest or version)
        suggestion = suggest_bump(latest, old)
        if suggestion.bump is None and not state.changed:
            raise InvalidInput(
                f"nothing to roll back: {version} is the latest version"
                if version == state.latest
                else f"nothing to roll back: {state.latest}, the latest version, has the "
                f"content of {version}"
            )
        if suggestion.bump is None:
            suggestion = Suggestion("patch", [f"the content of {version}"])
        return old, self._target(state, suggestion, bump, new_version, row), suggestion

    def publish_first(self, db: Any, registry_id: int, name: str, actor: str) -> None:
        """A new (or newly valid) server's first version: its document as it is, at its own
        version when that is semver, else 1.0.0. Nothing when it is a draft, a forked server,
        or already has a version."""
        row = one(
            db, "SELECT * FROM servers WHERE registry_id = ? AND name = ?", [registry_id, name]
        )
        if row is None or row["status"] != "valid" or self._upstream(db, row["id"]) is not None:
            return
        if one(db, "SELECT 1 FROM server_versions WHERE server_id = ?", [row["id"]]):
            return
        db.execute(
            "INSERT INTO server_versions (server_id, version, document, published_at, "
            "published_by) VALUES (?, ?, ?, ?, ?)",
            [row["id"], first_version(row["version"]), row["document"], self.now(), actor],
        )

    def refuse_fork_edit(self, db: Any, registry_id: int, name: str) -> None:
        """A forked server's document is its upstream's: editing it here is refused."""
        row = one(
            db, "SELECT * FROM servers WHERE registry_id = ? AND name = ?", [registry_id, name]
        )
        if row is not None:
            self._refuse_fork(db, row, "edit")

    def mirror(self, db: Any, server_id: int) -> None:
        """Keep a forked server's row (what lists, the vault and the checks read) holding the
        upstream document it uses: its pinned version, else the latest. Nothing for a server of
        one's own."""
        upstream = self._upstream(db, server_id)
        if upstream is None or upstream["upstream_id"] is None:
            return
        row = one(db, "SELECT * FROM servers WHERE id = ?", [server_id])
        assert row is not None
        resolved = self._resolve(db, row)
        if resolved.document is None:
            return
        db.execute(
            "UPDATE servers SET document = ?, version = ?, description = ? WHERE id = ?",
            [
                json.dumps(resolved.document, ensure_ascii=False),
                resolved.version or "",
                str(resolved.document.get("description") or ""),
                server_id,
            ],
        )

    # --- helpers -------------------------------------------------------------------------

    def _row(
        self, db: Any, actor: str, scope: Scope, *, write: str | None = None
    ) -> tuple[dict, dict, dict]:
        if scope.registry is None or scope.server is None:
            raise InvalidInput(f"name a server, not {scope.label}")
        # a write during an approval's replay of the actor's request: the approver's rights
        authority = self.services.approvals.authority(actor) if write else actor
        org, member = self.services.access.org_row(db, authority, scope.org)
        if write is not None:
            self.services.access.require(member, "registries:write", write)
        reg = self.services.registries.registry_row(db, org, scope.registry)
        row = one(
            db,
            "SELECT * FROM servers WHERE registry_id = ? AND name = ?",
            [reg["id"], scope.server],
        )
        if row is None:
            raise NotFound(f"no server {scope.server!r} in registry '{reg['slug']}'")
        return org, reg, row

    def _upstream(self, db: Any, server_id: int) -> dict | None:
        return one(db, "SELECT * FROM server_upstreams WHERE server_id = ?", [server_id])

    def _source_id(self, db: Any, row: dict) -> int | None:
        """The server whose versions this one uses: its upstream's (None: gone), or its own."""
        upstream = self._upstream(db, row["id"])
        return row["id"] if upstream is None else upstream["upstream_id"]

    def _refuse_fork(self, db: Any, row: dict, doing: str) -> None:
        upstream = self._upstream(db, row["id"])
        if upstream is not None:
            raise InvalidInput(
                f"server '{row['name']}' is forked from {upstream['upstream_label']}: it cannot "
                f"{doing} here; it follows its upstream's versions (pin one to stay on it)"
            )

    def _versions(self, db: Any, server_id: int | None) -> list[PublishedVersion]:
        if server_id is None:
            return []
        return [
            PublishedVersion(
                r["version"], datetime.fromisoformat(r["published_at"]), r["published_by"]
            )
            for r in db.query(
                "SELECT version, published_at, published_by FROM server_versions "
                "WHERE server_id = ? ORDER BY id",
                [server_id],
            )
        ]

    def _version_document(self, db: Any, server_id: int, version: str) -> dict[str, Any]:
        row = one(
            db,
            "SELECT document FROM server_versions WHERE server_id = ? AND version = ?",
            [server_id, version],
        )
        if row is None:
            raise NotFound(f"no published version {version!r}")
        return _loads(row["document"])

    def _existing(self, db: Any, server_id: int, version: str, name: str) -> str:
        if (
            one(
                db,
                "SELECT 1 FROM server_versions WHERE server_id = ? AND version = ?",
                [server_id, version],
            )
            is None
        ):
            raise NotFound(f"server '{name}' has no published version {version!r}")
        return version

    def _document_of(self, db: Any, row: dict, version: str) -> dict[str, Any]:
        if version == WORKING:
            return _loads(row["document"])
        source = self._source_id(db, row)
        if source is None:
            raise NotFound(f"server '{row['name']}' is gone upstream: its versions went with it")
        try:
            return self._version_document(db, source, version)
        except NotFound:
            raise NotFound(f"server '{row['name']}' has no published version {version!r}") from None

    def _state(self, db: Any, row: dict) -> VersionState:
        upstream = self._upstream(db, row["id"])
        source = row["id"] if upstream is None else upstream["upstream_id"]
        versions = self._versions(db, source)
        pin = one(db, "SELECT version FROM server_pins WHERE server_id = ?", [row["id"]])
        pinned = pin["version"] if pin else None
        draft = row["status"] != "valid"
        if upstream is not None:
            return VersionState(
                row["name"],
                versions,
                pinned,
                False,
                draft,
                Suggestion(None),
                None,
                upstream=upstream["upstream_label"],
                gone=upstream["upstream_id"] is None,
            )
        working = _loads(row["document"])
        if not versions:
            suggestion = Suggestion(None, ["the first version"])
            next_version = None if draft else first_version(row["version"])
            return VersionState(row["name"], [], pinned, True, draft, suggestion, next_version)
        latest = self._version_document(db, row["id"], versions[-1].version)
        changed = _without_version(latest) != _without_version(working)
        suggestion = suggest_bump(latest, working) if changed else Suggestion(None)
        next_version = None
        latest_version = parse(versions[-1].version)
        if changed and not draft and suggestion.bump and latest_version is not None:
            next_version = str(latest_version.bumped(suggestion.bump))
        return VersionState(row["name"], versions, pinned, changed, draft, suggestion, next_version)

    def _target(
        self,
        state: VersionState,
        suggestion: Suggestion,
        bump: Bump | None,
        version: str | None,
        row: dict,
    ) -> str:
        latest = parse(state.latest) if state.latest else None
        if version is not None:
            wanted = parse(version)
            if wanted is None:
                raise InvalidInput(f"{version!r} is not a semantic version (e.g. 1.2.0)")
            if latest is not None and not wanted > latest:
                raise InvalidInput(
                    f"version {wanted} is not greater than the latest, {state.latest}"
                )
            if any(parse(v.version) == wanted for v in state.versions):
                raise Conflict(f"version {wanted} of '{row['name']}' is already published")
            return str(wanted)
        if bump is not None and bump not in BUMPS:
            raise InvalidInput(f"a bump is one of {', '.join(BUMPS)}, not {bump!r}")
        if latest is None:
            if state.latest is not None:  # published before semver was the rule: start over
                return str(Version(1, 0, 0) if bump is None else Version(1, 0, 0).bumped(bump))
            return first_version(row["version"])
        return str(latest.bumped(bump or suggestion.bump or "patch"))

    def _publish(
        self,
        db: Any,
        row: dict,
        document: dict[str, Any],
        version: str,
        actor: str,
        bump: Bump | None,
        suggestion: Suggestion,
    ) -> Published:
        previous = one(
            db,
            "SELECT version FROM server_versions WHERE server_id = ? ORDER BY id DESC",
            [row["id"]],
        )
        document = {**document, "version": version}
        text = json.dumps(document, ensure_ascii=False)
        now = self.now()
        db.execute(
            "INSERT INTO server_versions (server_id, version, document, published_at, "
            "published_by) VALUES (?, ?, ?, ?, ?)",
            [row["id"], version, text, now, actor],
        )
        db.execute(
            "UPDATE servers SET document = ?, version = ?, description = ?, updated_at = ? "
            "WHERE id = ?",
            [text, version, str(document.get("description") or ""), now, row["id"]],
        )
        for follower in db.execute(
            "SELECT server_id FROM server_upstreams WHERE upstream_id = ?", [row["id"]]
        ).fetchall():
            self.mirror(db, follower[0])
        return Published(
            row["name"],
            version,
            previous["version"] if previous else None,
            bump or suggestion.bump,
            suggestion.reasons,
        )

    def _resolve(self, db: Any, row: dict) -> Resolved:
        upstream = self._upstream(db, row["id"])
        if upstream is not None and upstream["upstream_id"] is None:
            return Resolved(None, None, f"gone upstream ({upstream['upstream_label']})")
        source = row["id"] if upstream is None else upstream["upstream_id"]
        pin = one(db, "SELECT version FROM server_pins WHERE server_id = ?", [row["id"]])
        if pin is not None:
            found = one(
                db,
                "SELECT version, document FROM server_versions WHERE server_id = ? AND version = ?",
                [source, pin["version"]],
            )
        else:
            found = one(
                db,
                "SELECT version, document FROM server_versions WHERE server_id = ? "
                "ORDER BY id DESC LIMIT 1",
                [source],
            )
        if found is not None:
            return Resolved(_loads(found["document"]), found["version"])
        if upstream is None and row["status"] == "valid":
            # a valid server never published (made by something that does not publish):
            # its working copy, as before versions
            return Resolved(_loads(row["document"]), row["version"] or None)
        if upstream is not None:
            return Resolved(None, None, "nothing published upstream")
        return Resolved(None, None, "a draft (fix its problems first)")
