"""Drift: what each export wrote, entry by entry, against what the client's file holds now
(`status`), the file brought back in line (`sync`), and a hand change taken back into the
registry (`adopt`, in adopt.py)."""

from __future__ import annotations

import difflib
import json
import re
from collections.abc import Collection
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pylee_tui.services.base import Service
from pylee_tui.services.clients.model import (
    CHANGED,
    FOREIGN,
    IN_SYNC,
    MISSING,
    STALE,
    AdoptResult,
    DriftEntry,
    DriftFile,
)
from pylee_tui.services.clients.scan import read_client_file
from pylee_tui.services.errors import InvalidInput, NotFound, PermissionDenied, PyleeError
from pylee_tui.services.export.clients import client_format
from pylee_tui.services.export.codec import parse_document
from pylee_tui.services.export.configfile import MASK_IN_FILE, mode_of, write_config
from pylee_tui.services.export.owners import key_of, read_owners
from pylee_tui.services.export.plan import ExportPlan, InstallResult
from pylee_tui.services.export.written import (
    Written,
    mask_like,
    pending_paths,
    read_written,
)
from pylee_tui.services.resolver import MASK
from pylee_tui.services.scope import Scope

if TYPE_CHECKING:
    from pylee_tui.services.clients.adopt import AdoptPlan

# a name whose value is a secret (an env key or header the user added by hand)
SECRET_NAME = re.compile(r"TOKEN|KEY|SECRET|PASSWORD|AUTH", re.IGNORECASE)
_Registry = tuple[str, str, int | None]  # org, registry, registry id


class DriftService(Service):
    def status(self, actor: str, *, paths: Collection[Path] | None = None) -> list[DriftFile]:
        """Every file an export wrote (or those of `paths`), entry by entry: in sync, changed
        by hand (diff written → now), missing, stale (the registry's export differs now: diff
        now → export), or foreign (not written by an export). Entries of a registry `actor`
        cannot read keep their state from the file alone, without a diff and never stale.
        Secret values are masked in every diff."""
        with self.store.reading() as db:
            recorded = read_written(db, paths)
            pending = pending_paths(db)
        files = []
        for key, records in recorded.items():
            files.append(self._file_status(actor, Path(key), records, key in pending))
        return files

    def _file_status(
        self, actor: str, path: Path, records: list[Written], pending: bool
    ) -> DriftFile:
        client = records[0].client
        fmt = client_format(client)
        if pending:
            return DriftFile(
                client,
                path,
                (),
                "an export to this file was interrupted: sync it to record what it holds",
            )
        try:
            text = read_client_file(path)
            if text is None:
                return DriftFile(client, path, (), "the file is gone")
            document = parse_document(fmt, path, text).document
        except PyleeError as exc:
            return DriftFile(client, path, (), str(exc).splitlines()[0])
        current = fmt.server_groups(document).get("", {})
        readable: dict[_Registry, bool] = {}
        expected = self._expected(actor, path, records, current, readable)
        entries: list[DriftEntry] = []
        for record in records:
            owner = {"org": record.org, "registry": record.registry, "server": record.server}
            allowed = readable[_registry_of(record)]
            if record.name not in current:
                entries.append(DriftEntry(record.name, MISSING, **owner))
                continue
            now = mask_like(current[record.name], record.entry)
            if now != record.entry:
                diff = entry_diff(record, record.entry, shown(now, record.entry)) if allowed else ""
                entries.append(DriftEntry(record.name, CHANGED, diff=diff, **owner))
                continue
            export = expected.get(record.name)
            if allowed and export is not None and export != record.entry:
                diff = export if isinstance(export, str) else entry_diff(record, now, export, True)
                entries.append(DriftEntry(record.name, STALE, diff=diff, **owner))
                continue
            entries.append(DriftEntry(record.name, IN_SYNC, **owner))
        names = {r.name for r in records}
        for name in current:
            if name not in names:
                entries.append(DriftEntry(name, FOREIGN))
        return DriftFile(client, path, tuple(entries))

    def _expected(
        self,
        actor: str,
        path: Path,
        records: list[Written],
        current: dict[str, Any],
        readable: dict[_Registry, bool],
    ) -> dict[str, Any]:
        """What an export of each record's registry would write for its server now (masked,
        by entry name); a text saying why when there is none (the server removed, a draft)."""
        with self.store.reading() as db:
            owned = read_owners(db, path)
        groups: dict[tuple[_Registry, str, str], list[Written]] = {}
        for record in records:
            groups.setdefault((_registry_of(record), record.client, record.secrets), []).append(
                record
            )
        expected: dict[str, Any] = {}
        for (registry, client, mode), group in groups.items():
            org, slug, _id = registry
            scope = Scope(org, slug)
            try:
                servers = {s.name: s for s in self.services.registries.list_servers(actor, scope)}
            except (NotFound, PermissionDenied):
                readable[registry] = False
                continue
            readable[registry] = True
            wanted = []
            for record in group:
                server = servers.get(record.server)
                if server is None:
                    expected[record.name] = f"# {record.server} was removed from {org}/{slug}\n"
                elif server.status != "valid":
                    expected[record.name] = f"# {record.server} is a draft now in {org}/{slug}\n"
                else:
                    wanted.append(record)
            if not wanted:
                continue
            ours = {r.name for r in group}
            taken = [n for n in current if n not in ours]
            inputs = [i for i, o in owned["inputs"].items() if o and o.get("registry") != slug]
            try:
                plan = self.services.export.plan(
                    actor,
                    scope,
                    client,
                    servers=[r.server for r in wanted],
                    secrets=mode,
                    allow_missing=True,
                    taken=taken,
                    taken_inputs=inputs,
                    masked_secrets=True,
                )
            except PyleeError as exc:
                for record in wanted:
                    expected[record.name] = f"# cannot export it now: {exc}\n"
                continue
            by_server = {server: name for name, server in plan.servers.items()}
            for record in wanted:
                name = by_server.get(record.server)
                if name is not None:
                    expected[record.name] = plan.entries[name]
        return expected

    # --- sync ---------------------------------------------------------------------------------

    def sync(
        self,
        actor: str,
        path: Path,
        *,
        entries: Collection[str] | None = None,
        dry_run: bool = False,
        client: str | None = None,
    ) -> list[tuple[ExportPlan, InstallResult]]:
        """Export again every registry recorded in the file at `path`, in its recorded client
        and secrets mode, for the servers recorded (or those of `entries`): a hand edit is
        overwritten (the file before the sync is kept as `<name>.bak`), a missing entry comes
        back, a stale one is brought up to date, a server removed from its registry leaves the
        file. The vault is needed only when a registry was exported with inline secrets.
        `client`, when given, must be the client the file was exported for."""
        path = Path(path).expanduser()
        records = self._records(path, client)
        if entries is not None:
            unknown = sorted(set(entries) - {r.name for r in records})
            if unknown:
                raise InvalidInput(f"no entry {', '.join(unknown)} was exported to {path}")
            records = [r for r in records if r.name in entries]
        groups: dict[tuple[_Registry, str, str], list[str]] = {}
        for record in records:
            key = (_registry_of(record), record.client, record.secrets)
            groups.setdefault(key, []).append(record.server)
        old_text = None if dry_run else read_client_file(path)
        done: list[tuple[ExportPlan, InstallResult]] = []
        for (registry, client, mode), servers in groups.items():
            org, slug, _id = registry
            scope = Scope(org, slug)
            present = {s.name for s in self.services.registries.list_servers(actor, scope)}
            kept = [s for s in dict.fromkeys(servers) if s in present]
            done.append(
                self.services.export.install_with_names(
                    actor,
                    scope,
                    client,
                    path,
                    dry_run=dry_run,
                    servers=kept or None,
                    secrets=mode,
                    allow_missing=True,
                )
            )
        written = [result for _plan, result in done if result.written]
        if old_text is not None and len(written) > 1:
            # each export kept the file before it: the backup is the file before the sync
            target = written[0].backup
            if target is not None:
                write_config(target, old_text, mode_of(target))
                for result in written:
                    result.backup = target
        return done

    def _records(self, path: Path, client: str | None = None) -> list[Written]:
        with self.store.reading() as db:
            recorded = read_written(db, [path])
        records = recorded.get(key_of(path), [])
        if not records:
            raise InvalidInput(f"no export to {path} is recorded: export to it first")
        if client is not None and records[0].client != client:
            raise InvalidInput(f"{path} was exported for {records[0].client}, not {client}")
        return records

    # --- adopt --------------------------------------------------------------------------------

    def adopt(
        self, actor: str, path: Path, entry: str, *, client: str | None = None
    ) -> AdoptResult:
        """Take the hand change of the entry `entry` of the file at `path` back into the
        registry as an edit of its server (and its server-scope variables); then the entry is
        recorded as written, in sync. Only an entry changed by hand can be adopted; a change
        that cannot be said in the server's terms is refused, nothing written."""
        from pylee_tui.services.clients.adopt import adopt_result, plan_adopt

        path = Path(path).expanduser()
        records = {r.name: r for r in self._records(path, client)}
        record = records.get(entry)
        if record is None:
            raise InvalidInput(f"no entry {entry} was exported to {path}")
        state = next(
            (
                e.state
                for f in self.status(actor, paths=[path])
                for e in f.entries
                if e.name == entry
            ),
            None,
        )
        if state != CHANGED:
            raise InvalidInput(
                f"{entry} is {state or 'unreadable'}: only an entry changed by hand can be adopted"
            )
        plan = plan_adopt(self.services, actor, path, record)
        self._apply_adopt(actor, record, plan)
        return adopt_result(record, plan)

    def _apply_adopt(self, actor: str, record: Written, plan: AdoptPlan) -> None:
        """The edit made and the entry recorded as written, all or nothing (a local store's:
        one transaction)."""
        from pylee_tui.services.clients.adopt import apply_adopt

        apply_adopt(self.services, actor, record, plan)


def _registry_of(record: Written) -> _Registry:
    return (record.org, record.registry, record.registry_id)


def shown(now: Any, recorded: Any) -> Any:
    """The file's entry as a diff shows it: besides the inlined secrets (masked already), every
    string value under a secret-looking name (TOKEN, KEY, ...) that differs from what was
    written is masked, showing as changed: in `env` and `headers`, in any other map of the
    entry (Codex's `http_headers`, `env_http_headers`, ...), at any depth, and the entry's own
    (Codex's `bearer_token`)."""
    if not isinstance(now, dict):
        return now
    before = recorded if isinstance(recorded, dict) else {}
    out = {}
    for key, value in now.items():
        # a value as written is shown as recorded (the record holds no secret value: an
        # inlined one is masked there already); one changed by hand under a secret-looking
        # name is masked
        was = before.get(key)
        if isinstance(value, dict):
            value = shown(value, was)
        elif (
            value != was
            and isinstance(value, str)
            and SECRET_NAME.search(str(key))
            and MASK not in value
        ):
            value = MASK_IN_FILE
        out[key] = value
    return out


def entry_diff(record: Written, old: Any, new: Any, to_export: bool = False) -> str:
    """A unified diff of two (masked) entries."""

    def lines(entry: Any) -> list[str]:
        return [line + "\n" for line in json.dumps(entry, indent=2, ensure_ascii=False).split("\n")]

    old_label = "file" if to_export else "as written"
    new_label = "export" if to_export else "file"
    return "".join(
        difflib.unified_diff(
            lines(old),
            lines(new),
            fromfile=f"{record.name} ({old_label})",
            tofile=f"{record.name} ({new_label})",
        )
    )
