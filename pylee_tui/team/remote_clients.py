"""`clients` against a team server: this machine's MCP client files, the team server's
registries.

Scanning, `status` and `sync` read this machine's record of the exports from the server
(`remote_export.ExportRecord`). `import` and `adopt` write the server's registries the way a
local store's do, all or nothing, each in one transaction on the server; what differs is the
secrets: each is sealed here (to the org's key, bound to the server it belongs to), so the server
never sees a value, and no unlock is needed to write one (as for `secret set`).

An import's servers have no id until it makes them, and a sealed value is bound to its server's
id: the server first makes the import and rolls it back to say which ids the servers get
(`clients.import_targets`); the secrets are sealed to those, and the import is made again
(`clients.import_sealed`), refused whole if anything moved meanwhile, and then asked again.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

from pylee_tui.services.base import valid
from pylee_tui.services.clients.drift import DriftService
from pylee_tui.services.clients.model import (
    AdoptChange,
    ImportDone,
    ImportItem,
    ImportPlan,
    ImportResult,
    ImportTargets,
    SealedItem,
)
from pylee_tui.services.clients.sealed import IDS_CHANGED
from pylee_tui.services.clients.service import ClientsService
from pylee_tui.services.errors import Conflict
from pylee_tui.services.team_vault_models import KEY_CHANGED
from pylee_tui.team import sealing
from pylee_tui.team.remote_export import ExportRecord
from pylee_tui.team.vault_client import ATTEMPTS, no_org_key

if TYPE_CHECKING:
    from pylee_tui.services.clients.adopt import AdoptPlan
    from pylee_tui.services.export.written import Written
    from pylee_tui.team.remote import RemoteService, RemoteServices


class RemoteClients(ExportRecord, ClientsService):
    """`clients scan` and `import` against a team server."""

    def check_writes(
        self, actor: str, org: str, registry: str, variables: bool, secrets: bool
    ) -> None:
        """Asked of the server (its rules, its words), before anything is read or sealed."""
        _clients(self._remote).check_writes(actor, org, registry, variables, secrets)

    def _secrets_ready(self) -> None:
        """Nothing to unlock: a secret is sealed to the org's public key."""

    def _import(
        self,
        actor: str,
        plan: ImportPlan,
        items: list[ImportItem],
        replacing: list[str],
        result: ImportResult,
    ) -> None:
        done = import_items(self._remote, plan, items, replacing)
        for name in ("created", "updated", "drafts", "secrets_stored", "variables_stored"):
            getattr(result, name).extend(getattr(done, name))


class RemoteDrift(ExportRecord, DriftService):
    """`clients status`, `sync` and `adopt` against a team server: the files exported from it,
    compared with (exported again from, adopted into) its registries."""

    def _apply_adopt(self, actor: str, record: Written, plan: AdoptPlan) -> None:
        """The edit made on the server in one transaction (new secrets sealed here), then the
        entry recorded as written in this machine's record."""
        from pylee_tui.services.export.written import rerecord

        published = adopt(self._remote, plan)
        with self.store.transaction() as db:
            rerecord(db, record, plan.written, self.now(), actor)
        if published is not None:
            plan.edit.changes.append(f"published as version {published}")


def _clients(remote: RemoteServices) -> RemoteService:
    from pylee_tui.team.remote import RemoteService

    return RemoteService(remote.connection, "clients")


def import_items(
    remote: RemoteServices, plan: ImportPlan, items: list[ImportItem], replacing: list[str]
) -> ImportDone:
    """The import made on the team server, its secrets sealed on this machine."""
    server = _clients(remote)
    me = remote.whoami()
    source = f"{plan.client} {plan.path}"
    args = (me, plan.org, plan.registry)
    travelling = [
        SealedItem(
            i.entry,
            i.server,
            i.document,
            variables=dict(i.variables),
            secret_keys=sorted(i.secrets),
        )
        for i in items
    ]
    if not any(i.secrets for i in items):
        done: ImportDone = server.import_sealed(*args, travelling, replacing, source)
        return done
    made_key = False
    for attempt in range(ATTEMPTS + 1):
        targets: ImportTargets = server.import_targets(*args, travelling, replacing, source)
        if targets.public_key is None:
            # the org has no key yet: a reader makes it (as their first `secret set` would)
            if made_key or not targets.may_init:
                raise no_org_key(plan.org)
            remote.vault.share(plan.org)
            made_key = True
            continue
        sealed = [_sealed(i, t, targets) for i, t in zip(items, travelling, strict=True)]
        try:
            done = server.import_sealed(
                *args,
                sealed,
                replacing,
                source,
                generation=targets.generation,
                server_ids=targets.server_ids,
            )
            return done
        except Conflict as exc:
            moved = any(text in str(exc) for text in (KEY_CHANGED, IDS_CHANGED))
            if not moved or attempt == ATTEMPTS:
                raise
    raise Conflict(IDS_CHANGED)


def _sealed(item: ImportItem, travelling: SealedItem, targets: ImportTargets) -> SealedItem:
    """`travelling` with `item`'s secrets sealed to the org key and server id of `targets`."""
    assert targets.public_key is not None
    public = bytes(targets.public_key)
    server_id = targets.server_ids[item.server]
    blobs: dict[str, bytes] = {}
    for key, value in item.secrets.items():
        aad = sealing.secret_aad(targets.org_id, "server", server_id, key, targets.generation)
        blobs[key] = sealing.seal_secret(public, valid("variable_value", value), aad)
    return replace(travelling, sealed=blobs)


def adopt(remote: RemoteServices, plan: AdoptPlan) -> str | None:
    """The edit of `plan` made on the team server in one transaction, each new secret sealed
    here to the org's key for the server's scope; the version published (None: none)."""
    server = _clients(remote)
    edit = plan.edit
    change = AdoptChange(
        document=edit.document if edit.document_changed else None,
        set_variables=dict(edit.set_variables),
        unset=list(edit.unset),
    )
    if not edit.set_secrets:
        published: str | None = server.adopt_sealed(remote.whoami(), plan.scope, change)
        return published
    for attempt in range(ATTEMPTS):
        change.sealed, change.generation = _seal_for(remote, plan, edit.set_secrets)
        try:
            published = server.adopt_sealed(remote.whoami(), plan.scope, change)
            return published
        except Conflict as exc:
            if KEY_CHANGED not in str(exc) or attempt == ATTEMPTS - 1:
                raise
    raise Conflict(KEY_CHANGED)


def _seal_for(
    remote: RemoteServices, plan: AdoptPlan, secrets: dict[str, str]
) -> tuple[dict[str, bytes], int]:
    """The secrets sealed for the server's scope (`RemoteVault.seal`), and the org key's
    generation they were sealed to (one for all: else the key moved meanwhile, KEY_CHANGED)."""
    blobs: dict[str, bytes] = {}
    generations: set[int] = set()
    for key, value in secrets.items():
        blobs[key], generation = remote.vault.seal(plan.scope, key, value)
        generations.add(generation)
    if len(generations) != 1:
        raise Conflict(KEY_CHANGED)
    return blobs, generations.pop()
