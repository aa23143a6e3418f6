"""Scan and import: the client config files on this machine, and their servers as a registry's."""

from __future__ import annotations

from collections.abc import Callable, Collection
from pathlib import Path
from typing import Any

from pylee_tui.services.approvals import ChangeRequested
from pylee_tui.services.base import Service
from pylee_tui.services.clients import importer, sealed
from pylee_tui.services.clients.model import (
    AdoptChange,
    FoundFile,
    ImportDone,
    ImportItem,
    ImportPlan,
    ImportResult,
    ImportTargets,
    SealedItem,
)
from pylee_tui.services.clients.scan import config_path, read_file
from pylee_tui.services.errors import Conflict, InvalidInput
from pylee_tui.services.export import owners as records
from pylee_tui.services.export.clients import FORMATS, client_format
from pylee_tui.services.export.merge import Owners
from pylee_tui.services.export.plan import InstallResult
from pylee_tui.services.scope import Scope
from pylee_tui.services.variables import WRITE_PERMISSIONS

REWRITE_MODES = ("launcher", "reference")


class ClientsService(Service):
    def scan(
        self, *, home: Path | None = None, cwd: Path | None = None, platform: str | None = None
    ) -> list[FoundFile]:
        """Every client's file at each of its scopes, in the clients' order: not there
        (`exists=False`), unreadable (`problem`), or its entries (whose each is: `ours` by the
        export's records, `launcher` when it starts `pylee-tui run`)."""
        found: list[FoundFile] = []
        for fmt in FORMATS.values():
            for scope in fmt.scopes:
                try:
                    path = config_path(fmt, scope, home, cwd, platform)
                except (InvalidInput, RuntimeError, OSError) as exc:
                    problem = " ".join(str(exc).split()) or "no config folder on this system"
                    found.append(
                        FoundFile(fmt.key, fmt.title, scope, Path(), False, problem=problem)
                    )
                    continue
                found.append(read_file(fmt, scope, path, self._owners(path))[0])
        return found

    def _owners(self, path: Path) -> Owners:
        with self.store.reading() as db:
            return records.read_owners(db, path)["servers"]

    # --- import -------------------------------------------------------------------------------

    def plan_import(
        self,
        actor: str,
        client: str,
        scope: str | None,
        *,
        org: str,
        registry: str,
        file: Path | None = None,
        entries: Collection[str] | None = None,
        secret_names: Collection[str] = (),
        home: Path | None = None,
        cwd: Path | None = None,
        platform: str | None = None,
    ) -> ImportPlan:
        """What importing the client's file (its `scope`'s, or `file`) into the registry would
        do, entry by entry (`entries`: only these). Nothing is written. Refused in one line: an
        unknown client or scope, a missing or unreadable file, an unknown registry or entry."""
        fmt = client_format(client)
        chosen_scope = fmt.check_scope(scope)
        path = Path(file).expanduser() if file is not None else None
        if path is None:
            path = config_path(fmt, chosen_scope, home, cwd, platform)
        self.services.registries.get_registry(actor, Scope(org, registry))
        found, _document, _text = read_file(fmt, chosen_scope, path, self._owners(path))
        if not found.exists:
            raise InvalidInput(f"no {fmt.title} config at {path}")
        if found.problem is not None:
            raise InvalidInput(found.problem)
        names = [f.name for f in found.entries]
        if entries:
            unknown = [e for e in entries if e not in names]
            if unknown:
                has = ", ".join(names) or "none"
                raise InvalidInput(f"no entry {', '.join(unknown)} in {path} (it has: {has})")
        taken: set[str] = set()
        items: list[ImportItem] = []
        for entry in found.entries:
            if entries and entry.name not in entries:
                continue
            item = importer.plan_item(fmt, entry, secret_names, taken)
            item.group = entry.group
            items.append(item)
        return ImportPlan(client, chosen_scope, path, org, registry, items)

    def apply_import(self, actor: str, plan: ImportPlan, *, replace: bool = False) -> ImportResult:
        """Create the plan's servers, their variables (server scope) and secrets (the vault,
        server scope), in one transaction: all or nothing. A server of the same name refuses the
        import with the list, unless `replace`. Secrets need the unlocked vault (VaultLocked
        before anything is written). What `check_import` refuses (a writer on a registry that
        requires approval, a permission missing) is refused first."""
        items = [i for i in plan.items if i.skipped is None]
        if not items:
            raise InvalidInput(f"nothing to import from {plan.path}: every entry was skipped")
        self.check_import(actor, plan)
        scope = Scope(plan.org, plan.registry)
        if plan.secret_count:
            self._secrets_ready()
        existing = {s.name for s in self.services.registries.list_servers(actor, scope)}
        clash = [i.server for i in items if i.server in existing]
        if clash and not replace:
            raise Conflict(
                f"already in registry '{plan.registry}': {', '.join(clash)} (replace them to "
                "import over them)"
            )
        result = ImportResult(plan, [], [], [], [], [])
        try:
            self._import(actor, plan, items, clash, result)
        except ChangeRequested:
            # approval was turned on meanwhile: the request was rolled back with the rest
            raise _needs_approver(plan) from None
        return result

    def _secrets_ready(self) -> None:
        """VaultLocked now, not halfway through the import (a local vault encrypts here)."""
        self.services.vault.data_key()

    def check_import(self, actor: str, plan: ImportPlan) -> None:
        """Refuse in one line, before anything is written or the passphrase asked for, an
        import the actor could not make at once: into a registry that requires approval by a
        member who may write to registries but not approve (InvalidInput: an import's keys
        cannot wait in a change request), or without a permission its writes need (the servers',
        and the variables' and secrets' for what it stores: PermissionDenied, in the words the
        write would use)."""
        items = [i for i in plan.items if i.skipped is None]
        self.check_writes(
            actor,
            plan.org,
            plan.registry,
            any(i.variables for i in items),
            any(i.secrets for i in items),
        )

    def check_writes(
        self, actor: str, org: str, registry: str, variables: bool, secrets: bool
    ) -> None:
        """`check_import` for an import into `org`/`registry` storing variables, secrets."""
        allowed = self.services.access.allowed(actor, org)
        if (
            "registries:write" in allowed
            and "registries:approve" not in allowed
            and self.services.approvals.requires_approval(actor, Scope(org, registry))
        ):
            raise sealed.needs_approver(org, registry)
        needs = [("registries:write", "import servers")]
        for kind, stored in (("variable", variables), ("secret", secrets)):
            if stored:
                needs.append(WRITE_PERMISSIONS[kind])
        for permission, doing in needs:
            if permission not in allowed:
                self.services.access.check(actor, org, permission, doing)

    def _import(
        self,
        actor: str,
        plan: ImportPlan,
        items: list[ImportItem],
        replacing: list[str],
        result: ImportResult,
    ) -> None:
        """The servers, then their keys, in one transaction (see `apply_import`)."""

        def secrets(item: ImportItem, where: Scope) -> list[str]:
            for key, value in item.secrets.items():
                self.services.variables.set_key(actor, where, key, value, kind="secret")
            return list(item.secrets)

        with self.store.transaction():
            self.write_items(
                actor,
                Scope(plan.org, plan.registry),
                f"{plan.client} {plan.path}",
                items,
                replacing,
                result,
                secrets,
            )

    def write_items(
        self,
        actor: str,
        scope: Scope,
        source: str,
        items: list[ImportItem],
        replacing: Collection[str],
        result: ImportResult | ImportDone,
        secrets: Callable[[ImportItem, Scope], list[str]],
    ) -> None:
        """Inside the caller's transaction: the items' servers (those of `replacing` replaced,
        any other already there: Conflict), then each one's variables, then its secrets as
        `secrets` writes them (the keys it wrote)."""
        report = self.services.registries.import_servers(
            actor, scope, [i.document for i in items], replace=True, source=source
        )
        for item, outcome in zip(items, report.outcomes, strict=True):
            if outcome.outcome not in ("imported", "draft", "replaced", "replaced-draft"):
                raise InvalidInput(
                    f"{item.entry}: cannot import {item.server}: {'; '.join(outcome.reasons)}"
                )
            if outcome.outcome.startswith("replaced") and item.server not in replacing:
                raise Conflict(
                    f"{item.server} was added to registry '{scope.registry}' meanwhile: "
                    "nothing was imported; run the import again"
                )
            (result.updated if item.server in replacing else result.created).append(item.server)
            if outcome.outcome in ("draft", "replaced-draft"):
                result.drafts.append(item.server)
            where = Scope(scope.org, scope.registry, item.server)
            for key, value in item.variables.items():
                self.services.variables.set_key(actor, where, key, value, kind="variable")
                result.variables_stored.append(f"{item.server}: {key}")
            result.secrets_stored.extend(f"{item.server}: {key}" for key in secrets(item, where))

    # --- a team server's side: the secrets arrive sealed (clients/sealed.py) ------------------

    def import_targets(
        self,
        actor: str,
        org: str,
        registry: str,
        items: list[SealedItem],
        replacing: list[str],
        source: str = "",
    ) -> ImportTargets:
        """(A team server) What the secrets of `items` are sealed to before `import_sealed`:
        the org's key and the id each server will have (the import made and rolled back: no
        trace of it is left). Refused as the import itself would be."""
        return sealed.import_targets(self, actor, org, registry, items, replacing, source)

    def import_sealed(
        self,
        actor: str,
        org: str,
        registry: str,
        items: list[SealedItem],
        replacing: list[str],
        source: str = "",
        generation: int = 0,
        server_ids: dict[str, int] | None = None,
    ) -> ImportDone:
        """(A team server) The import of `items` in one transaction: servers, variables, and
        each secret as sealed on the member's machine to what `import_targets` named. A key or a
        server id that changed since: Conflict (KEY_CHANGED or IDS_CHANGED), nothing written."""
        return sealed.import_sealed(
            self, actor, org, registry, items, replacing, source, generation, server_ids or {}
        )

    def adopt_sealed(self, actor: str, scope: Scope, change: AdoptChange) -> str | None:
        """(A team server) A hand edit of an exported entry (`clients adopt`) applied in one
        transaction, its secrets sealed on the member's machine; the version published (None:
        the document did not change)."""
        return sealed.adopt_sealed(self, actor, scope, change)

    # --- rewrite ------------------------------------------------------------------------------

    def rewrite_file(self, actor: str, plan: ImportPlan, secrets: str) -> InstallResult:
        """After `apply_import`: the imported entries of the client's file written again by an
        export of their servers in the `launcher` or `reference` form, under their own names;
        every other entry, key and comment is kept, the old file kept as `<file>.bak`. So the
        plaintext values leave the file. Drafts (nothing to export) stay as they were."""
        if secrets not in REWRITE_MODES:
            raise InvalidInput(
                f"rewrite to the launcher or reference form, not {secrets!r}: the point is "
                "that no secret value stays in the file"
            )
        fmt = client_format(plan.client)
        fmt.check_request(secrets)
        scope = Scope(plan.org, plan.registry)
        items, _left = self._rewritable(actor, plan)
        if not items:
            raise InvalidInput(f"no imported entry of {plan.path} can be written back by an export")
        registry = self.services.registries.get_registry(actor, scope)
        with self.store.transaction() as db:
            before = records.read_owners(db, plan.path)
            owners: Owners = dict(before["servers"])
            for item in items:
                owners[item.entry] = {
                    "org": plan.org,
                    "registry": registry.slug,
                    "registry_id": registry.id,
                    "server": item.server,
                }
            records.record_owners(db, plan.path, owners, None)
        try:
            _plan, result = self.services.export.install_with_names(
                actor,
                scope,
                plan.client,
                plan.path,
                servers=[i.server for i in items],
                secrets=secrets,
                allow_missing=True,
            )
        except BaseException:
            with self.store.transaction() as db:  # the entries are the user's again
                records.record_owners(db, plan.path, before["servers"], None)
            raise
        return result

    def left_by_rewrite(self, actor: str, plan: ImportPlan) -> list[str]:
        """The imported entries a rewrite leaves holding secret values, one line each saying
        why: a draft has nothing to launch, a Claude Code project's own entry is not in the part
        of the file an export writes; and any imported entry of the file as it is now that still
        holds one of the values the import took for a secret (so no line means none is left)."""
        _items, left = self._rewritable(actor, plan)
        lines = []
        for item in left:
            if not item.secrets:
                continue
            why = "a draft" if item.group == "" else f"a server of project {item.group} only"
            lines.append(
                f"{item.entry} ({why}) still holds {', '.join(sorted(item.secrets))} in plain "
                f"text: fix it or remove the value from {plan.path} by hand"
            )
        said = {i.entry for i in left if i.secrets}
        fmt = client_format(plan.client)
        try:
            found, _document, _text = read_file(fmt, plan.scope, plan.path, {})
        except (InvalidInput, OSError):
            return lines
        now = {(f.group, f.name): f.entry for f in found.entries}
        for item in plan.items:
            entry = now.get((item.group, item.entry))
            if item.skipped is not None or item.entry in said or entry is None:
                continue
            text = "\n".join(
                [
                    entry.command or "",
                    *entry.args,
                    entry.url or "",
                    *entry.env.values(),
                    *entry.headers.values(),
                ]
            )
            kept = sorted(k for k, v in item.secrets.items() if v and v in text)
            if kept:
                lines.append(
                    f"{item.entry} still holds {', '.join(kept)} in plain text after the "
                    f"rewrite: remove the value from {plan.path} by hand"
                )
        return lines

    def _rewritable(
        self, actor: str, plan: ImportPlan
    ) -> tuple[list[ImportItem], list[ImportItem]]:
        """The imported items a rewrite writes again (valid servers in the file's main
        object), and the others."""
        scope = Scope(plan.org, plan.registry)
        valid = {
            s.name
            for s in self.services.registries.list_servers(actor, scope)
            if s.status == "valid"
        }
        imported = [i for i in plan.items if i.skipped is None]
        items = [i for i in imported if i.group == "" and i.server in valid]
        return items, [i for i in imported if i not in items]


def _needs_approver(plan: ImportPlan) -> InvalidInput:
    return sealed.needs_approver(plan.org, plan.registry)


def plan_json(plan: ImportPlan) -> dict[str, Any]:
    """The plan as `clients import --json` and the app show it: no secret value."""
    return {
        "client": plan.client,
        "scope": plan.scope,
        "path": str(plan.path),
        "org": plan.org,
        "registry": plan.registry,
        "items": [
            {
                "entry": i.entry,
                "server": i.server,
                "kind": i.kind,
                "variables": sorted(i.variables),
                "secrets": sorted(i.secrets),
                "references": i.references,
                "notes": i.notes,
                "skipped": i.skipped,
            }
            for i in plan.items
        ],
    }
