"""A team server's side of `clients import` and `clients adopt`: the same writes as a local
store makes, in one transaction each, but every secret arrives sealed by the member's machine
(the end-to-end vault: the server never sees a value, `services.team_vault`).

A sealed value is bound to its row: the org, the scope's kind and id, the key and the org key's
generation. An imported server has no id until the import makes it, so an import is two calls:
`import_targets` makes the import and rolls it back, answering the id each server gets and the
org's key; the member's machine seals each secret to those; `import_sealed` makes the import
again, in one transaction, and refuses it whole (Conflict, nothing written) when a server's id
or the org's key is not what the secrets were sealed to (someone wrote meanwhile: the client
asks again and retries).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from pylee_tui.services.approvals import ChangeRequested
from pylee_tui.services.clients.model import (
    AdoptChange,
    ImportDone,
    ImportItem,
    ImportTargets,
    SealedItem,
)
from pylee_tui.services.errors import Conflict, InvalidInput
from pylee_tui.services.scope import Scope

if TYPE_CHECKING:
    from pylee_tui.services.clients.service import ClientsService

# the ids the servers of an import get changed since `import_targets` (another write meanwhile)
IDS_CHANGED = "the registry changed while the secrets were sealed: try again"


class _Rehearsed(Exception):
    """Rolls back an import made only to learn its servers' ids."""

    def __init__(self, ids: dict[str, int]):
        super().__init__("rehearsed")
        self.ids = ids


def import_targets(
    clients: ClientsService,
    actor: str,
    org: str,
    registry: str,
    items: list[SealedItem],
    replacing: list[str],
    source: str,
) -> ImportTargets:
    services = clients.services
    _check(clients, actor, org, registry, items)
    try:
        with clients.store.transaction():
            _write(clients, actor, org, registry, items, replacing, source, None)
            raise _Rehearsed(_ids(clients, actor, org, registry, items))
    except _Rehearsed as done:
        ids = done.ids
    except ChangeRequested:
        raise needs_approver(org, registry) from None
    state = services.team_vault.status(actor, org)
    allowed = services.access.allowed(actor, org)
    return ImportTargets(
        org_id=state.org_id,
        generation=state.generation,
        public_key=state.public_key,
        may_init="secrets:reveal" in allowed,
        server_ids=ids,
    )


def import_sealed(
    clients: ClientsService,
    actor: str,
    org: str,
    registry: str,
    items: list[SealedItem],
    replacing: list[str],
    source: str,
    generation: int,
    server_ids: dict[str, int],
) -> ImportDone:
    _check(clients, actor, org, registry, items)
    for item in items:
        if set(item.sealed) != set(item.secret_keys):
            raise InvalidInput(f"{item.entry}: every secret travels sealed, and only those")
    done = ImportDone()
    try:
        with clients.store.transaction():
            _write(
                clients,
                actor,
                org,
                registry,
                items,
                replacing,
                source,
                (done, generation, server_ids),
            )
    except ChangeRequested:
        raise needs_approver(org, registry) from None
    return done


def adopt_sealed(
    clients: ClientsService, actor: str, scope: Scope, change: AdoptChange
) -> str | None:
    from pylee_tui.services.clients.adopt import Edit, adopt_needs_approver, apply_edit

    services = clients.services
    edit = Edit(
        document=change.document or {},
        document_changed=change.document is not None,
        set_variables=dict(change.set_variables),
        set_secrets={key: "" for key in change.sealed},  # the keys: values are the blobs
        unset=list(change.unset),
    )

    def secrets(key: str, _value: str) -> None:
        services.team_vault.put_sealed(actor, scope, key, change.sealed[key], change.generation)

    try:
        with clients.store.transaction():
            return apply_edit(services, actor, scope, edit, secrets)
    except ChangeRequested:
        raise adopt_needs_approver(scope) from None


def _check(
    clients: ClientsService, actor: str, org: str, registry: str, items: list[SealedItem]
) -> None:
    if not items:
        raise InvalidInput("nothing to import: every entry was skipped")
    clients.check_writes(
        actor,
        org,
        registry,
        any(i.variables for i in items),
        any(i.secret_keys for i in items),
    )


def _write(
    clients: ClientsService,
    actor: str,
    org: str,
    registry: str,
    items: list[SealedItem],
    replacing: list[str],
    source: str,
    sealing: tuple[ImportDone, int, dict[str, int]] | None,
) -> None:
    """The import inside the caller's transaction; with `sealing` (what is filled in, the org
    key's generation and the servers' ids the secrets were sealed to), the sealed secrets are
    written, each server's id checked first (a rehearsal writes none)."""
    services = clients.services
    by_server = {i.server: i for i in items}

    def secrets(item: ImportItem, where: Scope) -> list[str]:
        blobs = by_server[item.server].sealed
        if sealing is None or not blobs:
            return []
        _done, generation, server_ids = sealing
        if services.registries.get_server(actor, where).id != server_ids.get(item.server):
            raise Conflict(IDS_CHANGED)
        for key, blob in blobs.items():
            services.team_vault.put_sealed(actor, where, key, blob, generation)
        return list(blobs)

    plain = [
        ImportItem(i.entry, i.server, "", i.document, variables=dict(i.variables)) for i in items
    ]
    done = ImportDone() if sealing is None else sealing[0]
    clients.write_items(actor, Scope(org, registry), source, plain, replacing, done, secrets)


def _ids(
    clients: ClientsService, actor: str, org: str, registry: str, items: list[SealedItem]
) -> dict[str, int]:
    registries = clients.services.registries
    return {
        i.server: registries.get_server(actor, Scope(org, registry, i.server)).id for i in items
    }


def needs_approver(org: str, registry: str) -> InvalidInput:
    """An import into a registry that requires approval, by a member who may not approve."""
    return InvalidInput(
        f"registry {org}/{registry} requires approval: import the file with an "
        "approver, or ask one to approve a `server import` of its servers; nothing was imported"
    )
