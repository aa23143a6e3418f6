"""The export service: plan a registry's export for a client, then write it into the client's
config file (merged, backed up, atomically) and remember whose each entry is."""

from __future__ import annotations

import difflib
import os
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pylee_tui.files import remove_stale_temps
from pylee_tui.services.base import Service
from pylee_tui.services.errors import Conflict, InvalidInput
from pylee_tui.services.export import owners as records
from pylee_tui.services.export.clients import (
    WORKSPACE_FOLDERS,
    client_format,
)
from pylee_tui.services.export.codec import parse_document, rewrite
from pylee_tui.services.export.configfile import (
    SecretMatcher,
    check_target,
    diff_lines,
    file_identity,
    link_target,
    mask_everywhere,
    mask_json,
    min_mode,
    mode_of,
    read_config,
    refuse_workspace_link,
    write_config,
)
from pylee_tui.services.export.entry import EntryBuilder
from pylee_tui.services.export.launcher import (
    LAUNCHER_NOTE,
    launcher_entry,
    pylee_command,
    store_options,
)
from pylee_tui.services.export.merge import Clash, Merge, Owners, merge
from pylee_tui.services.export.names import entry_names
from pylee_tui.services.export.plan import ExportPlan, InstallResult
from pylee_tui.services.export.written import mask_entry, record_entries
from pylee_tui.services.resolver import MASK
from pylee_tui.services.scope import Scope

# how many times an export merges again into a file another program rewrote meanwhile
WRITE_ATTEMPTS = 3


class _ChangedMeanwhile(Exception):
    """The file changed between the export's read and its write: nothing was written."""


class ExportService(Service):
    def plan(
        self,
        actor: str,
        scope: Scope,
        client: str,
        *,
        servers: list[str] | None = None,
        secrets: str | None = None,
        inline_secrets: bool = False,
        allow_missing: bool = False,
        taken: Iterable[str] = frozenset(),
        taken_inputs: Iterable[str] = frozenset(),
        masked_secrets: bool = False,
    ) -> ExportPlan:
        """What exporting the registry `scope` names (or the `servers` named) to `client` would
        write.

        Each server's entry is built by `server_json`'s launch rule (its first package a client
        can start, else its first remote). Its environment: every variable the server declares,
        plus every key defined at the server's own scope, values from the effective
        configuration; org and registry keys the server does not declare stay out. Missing
        required variables stop the export with the list, unless `allow_missing` (then the
        client's placeholder). `taken` and `taken_inputs` are names to avoid.

        `secrets` is the mode (`SECRETS_MODES`): `launcher` entries start `pylee-tui run` and
        hold no value (nothing is decrypted, the vault may stay locked), `reference` names
        secrets the client's way, `inline` writes their values. None: the client's default;
        `inline_secrets` is the same as `secrets="inline"`. With `masked_secrets`, an inline
        export writes the mask for each secret and decrypts nothing (what drift compares)."""
        fmt = client_format(client)
        mode = secrets_mode(fmt.default_secrets, secrets, inline_secrets)
        fmt.check_request(mode)
        inline_secrets = mode == "inline"
        registry = self.services.registries.get_registry(actor, scope)
        org_slug, registry_slug = scope.org, registry.slug
        all_servers = {s.name: s for s in self.services.registries.list_servers(actor, scope)}
        if servers:
            unknown = [n for n in servers if n not in all_servers]
            if unknown:
                raise InvalidInput(f"no server {', '.join(unknown)} in registry '{registry_slug}'")
            chosen = {n: all_servers[n] for n in dict.fromkeys(servers)}
        else:
            chosen = all_servers
        configs = self.services.variables.effective_for_servers(actor, scope)
        plan = ExportPlan(
            client,
            org_slug,
            registry_slug,
            {},
            {},
            registry_id=registry.id,
            registry_servers=set(all_servers),
            partial=bool(servers),
            taken_inputs=set(taken_inputs),
            secrets=mode,
        )
        # the version the registry uses (pinned, else the latest published; a fork's upstream's)
        used = self.services.server_versions.resolved(actor, scope)
        exportable = {}
        for name, server in sorted(chosen.items()):
            found = used.get(name)
            if found is None or found.document is None:
                why = found.reason if found else "a draft (fix its problems first)"
                plan.skipped.append(f"{name}: {why}")
                continue
            exportable[name] = server.model_copy(update={"document": found.document})
        if servers and plan.skipped:
            drafts = all("a draft" in s for s in plan.skipped)
            raise InvalidInput(
                f"cannot export {'drafts' if drafts else 'them'}: " + "; ".join(plan.skipped)
            )
        if not exportable:
            raise InvalidInput(f"registry '{registry_slug}' has no valid server to export")
        names = entry_names(list(exportable), taken)
        builders: dict[str, EntryBuilder] = {}
        for server_name, server in exportable.items():
            builder = EntryBuilder(plan, names[server_name], server.document, configs[server_name])
            builders[server_name] = builder
            builder.collect()
        problems = [p for b in builders.values() for p in b.problems]
        if problems:
            raise InvalidInput("cannot export: " + "; ".join(problems))
        missing = {b.server_name: b.missing for b in builders.values() if b.missing}
        listed = "; ".join(f"{server}: {', '.join(keys)}" for server, keys in missing.items())
        if missing and not allow_missing:
            raise InvalidInput(
                f"missing required variables: {listed} (set them in the vault, or allow "
                "missing variables for placeholders)"
            )
        if mode == "launcher":
            self._launcher_entries(actor, plan, builders)
            if missing:
                plan.warnings.append(
                    f"missing required variables: {listed}; `run` refuses to start "
                    "these servers until they are set"
                )
            plan.notes.append(LAUNCHER_NOTE)
            return plan
        secrets_needed = sorted({k for b in builders.values() for k in b.secret_keys})
        revealed: dict[str, dict[str, str | None]] = {}
        if inline_secrets and secrets_needed and masked_secrets:
            revealed = {name: dict.fromkeys(b.secret_keys, MASK) for name, b in builders.items()}
        elif inline_secrets and secrets_needed:
            # one pass: each secret decrypted once, one event per server naming its keys
            revealed = self.services.variables.reveal_for_servers(
                actor,
                Scope(org_slug, registry_slug),
                {name: b.secret_keys for name, b in builders.items() if b.secret_keys},
            )
        for server_name, builder in builders.items():
            entry = builder.build(revealed.get(server_name), inline_secrets)
            plan.entries[builder.entry_name] = entry
            plan.servers[builder.entry_name] = server_name
        if plan.inlined_secrets:
            plan.warnings.append(
                f"{len(plan.inlined_secrets)} secret value(s) written in plain text "
                f"({', '.join(plan.inlined_secrets)}); keep this file private"
            )
        if plan.placeholders:
            plan.warnings.append(
                "placeholders for missing required variables: " + ", ".join(plan.placeholders)
            )
        if plan.referenced:
            plan.notes.append(fmt.reference_note(sorted(plan.referenced)))
        return plan

    def _launcher_entries(
        self, actor: str, plan: ExportPlan, builders: dict[str, EntryBuilder]
    ) -> None:
        """Each entry starts `pylee-tui run` for its server against this store
        (`launcher_target`): no value is read, so none is decrypted."""
        command, where = pylee_command(), self.launcher_target(actor)
        for server_name, builder in builders.items():
            plan.entries[builder.entry_name] = launcher_entry(command, where, builder)
            plan.servers[builder.entry_name] = server_name

    def launcher_target(self, actor: str) -> list[str]:
        """The options a launcher entry names its store with: this file, as `actor`."""
        return store_options(self.store.path, actor)

    # --- files --------------------------------------------------------------------------------

    def install(
        self,
        actor: str,
        plan: ExportPlan,
        path: Path | str,
        *,
        dry_run: bool = False,
        replace_file: bool = False,
    ) -> InstallResult:
        """Merge the plan into the client's config at `path`. Entries are owned per entry
        (org, registry, server): this registry's are replaced, or removed when their server
        is gone from the registry or, for a whole-registry export, is not exported (a draft);
        a `--server` export keeps the registry's other entries. Entries and VS Code inputs of
        another registry or of the user are kept, and ours are named around them. The old file
        is kept as `<name>.bak`; the new one is written atomically, through a symlink to its
        target. With `replace_file`, the file becomes exactly the plan.

        Another program may rewrite the file meanwhile (Claude Code its `~/.claude.json`):
        just before the new file takes its place, the file is checked to hold still what was
        read; if not, the export merges again from what it holds now (WRITE_ATTEMPTS in all),
        then refuses (Conflict), the file left as the other program wrote it."""
        if isinstance(path, str) and not path.strip():
            raise InvalidInput("no file name to write the export to")
        path = Path(path).expanduser()
        refuse_workspace_link(path, WORKSPACE_FOLDERS)
        target = link_target(path)
        check_target(path, target, create_parent=_is_usual_place(path, plan.client))
        for _attempt in range(WRITE_ATTEMPTS):
            try:
                return self._install_once(actor, plan, path, target, dry_run, replace_file)
            except _ChangedMeanwhile:
                continue  # another program wrote the file: merge again from what it holds now
        raise Conflict(f"{path} changed while it was being written; nothing was written: try again")

    def _install_once(
        self,
        actor: str,
        plan: ExportPlan,
        path: Path,
        target: Path,
        dry_run: bool,
        replace_file: bool,
    ) -> InstallResult:
        """One read, merge and write of the file; `_ChangedMeanwhile` when the file is no
        longer the one read just before the new one would take its place (nothing written)."""
        old_text = read_config(path)
        fmt = plan.format
        parsed = parse_document(fmt, path, old_text) if old_text is not None else None
        existing = parsed.document if parsed is not None else {}
        with self.store.reading() as db:
            owned = records.read_owners(db, path)
        owners, input_owners = owned["servers"], owned["inputs"]
        merged = merge(plan, path, existing, owners, input_owners, replace_file)
        new_text, comments_kept = rewrite(fmt, old_text, merged.document)
        diff = _masked_diff(plan, path, old_text, new_text, existing, merged, owners, parsed)
        comments_dropped = parsed is not None and parsed.comments and not comments_kept
        if comments_dropped:
            warning = (
                f"{path} holds comments, which are not kept: its syntax goes beyond what can "
                f"be edited in place, so it is written afresh (the previous one is kept as "
                f"{target.name}.bak)"
            )
            if warning not in plan.warnings:  # said once, however many attempts
                plan.warnings.append(warning)
        result = InstallResult(
            path=path,
            written=False,
            diff=diff,
            backup=None,
            added=sorted(set(plan.entries) - set(merged.replaced)),
            replaced=sorted(merged.replaced),
            removed=sorted(merged.removed),
            kept=sorted(merged.kept),
            comments_dropped=comments_dropped,
        )
        if dry_run:
            return result
        backup = target.with_name(target.name + ".bak")  # beside the file a symlink points to
        for written in (target, backup):  # what a killed export left (inlined secrets, say)
            remove_stale_temps(written)
        if old_text is not None and old_text == new_text:
            self._remember(actor, plan, path, merged)
            return result
        if old_text is not None:
            write_config(backup, old_text, mode_of(target))
        mode = plan.file_mode if old_text is None else min_mode(mode_of(target), plan.file_mode)
        before = {"servers": owners, "inputs": input_owners}

        def intend(tmp: Path) -> None:  # the new file is whole and not yet in place
            after = {"servers": merged.owners, "inputs": merged.input_owners}
            with self.store.transaction() as db:
                records.record_intent(db, path, file_identity(tmp), before, after)
            # a client rewrites its own file at any time (Claude Code its ~/.claude.json):
            # checked last, after the intent, so that nothing it wrote since the read is lost
            if not _still(path, old_text):
                with self.store.transaction() as db:  # the intent withdrawn: the owners as read
                    records.record_owners(db, path, owners, input_owners)
                raise _ChangedMeanwhile

        write_config(target, new_text, mode, shown=path, before_replace=intend)
        self._remember(actor, plan, path, merged)
        result.written = True
        result.backup = backup if old_text is not None else None
        return result

    def install_with_names(
        self,
        actor: str,
        scope: Scope,
        client: str,
        path: Path | str,
        *,
        dry_run: bool = False,
        replace_file: bool = False,
        servers: list[str] | None = None,
        secrets: str | None = None,
        inline_secrets: bool = False,
        allow_missing: bool = False,
    ) -> tuple[ExportPlan, InstallResult]:
        """`plan` then `install`, choosing entry names and input ids around the file's
        entries and inputs that are not this registry's."""
        taken: set[str] = set()
        taken_inputs: set[str] = set()
        for _attempt in range(2):
            plan = self.plan(
                actor,
                scope,
                client,
                servers=servers,
                secrets=secrets,
                inline_secrets=inline_secrets,
                allow_missing=allow_missing,
                taken=taken,
                taken_inputs=taken_inputs,
            )
            try:
                return plan, self.install(
                    actor, plan, path, dry_run=dry_run, replace_file=replace_file
                )
            except Clash as clash:
                taken, taken_inputs = set(clash.names), set(clash.inputs)
        raise Conflict(f"cannot choose entry names that do not clash in {path}")

    def _remember(self, actor: str, plan: ExportPlan, path: Path, merged: Merge) -> None:
        inputs = merged.input_owners if plan.format.has_inputs else None
        matcher = SecretMatcher(plan.secret_values)
        entries = {name: mask_entry(entry, matcher) for name, entry in plan.entries.items()}
        owners = {name: plan.owner(server) for name, server in plan.servers.items()}
        with self.store.transaction() as db:  # the owners, what was written and the event
            records.record_owners(db, path, merged.owners, inputs)
            record_entries(
                db,
                path,
                client=plan.client,
                secrets=plan.secrets,
                entries=entries,
                owners=owners,
                keep=set(merged.owners),
                scope=scope_of(path, plan.client),
                now=self.now(),
                actor=actor,
            )
            self.record_export(actor, plan, str(path))

    def record_export(self, actor: str, plan: ExportPlan, path: str = "-") -> None:
        """The audit event of an export written to `path`; an export printed to stdout ("-")
        is still an export (audited, nothing remembered)."""
        self.record_event(
            actor,
            ExportEvent(
                org=plan.org,
                registry=plan.registry,
                client=plan.client,
                path=path,
                servers=sorted(plan.servers.values()),
                secrets=plan.secrets,
                inlined_secrets=len(plan.inlined_secrets),
            ),
        )

    def record_event(self, actor: str, event: ExportEvent) -> None:
        """One `registry.export` event (a team server records the exports its members' machines
        write: what was written where, never a value)."""
        metadata = {
            "client": event.client,
            "path": event.path,
            "servers": sorted(event.servers),
            "secrets": event.secrets,
            "inlined_secrets": event.inlined_secrets,
        }
        with self.store.transaction() as db:
            org, _member = self.services.access.org_row(db, actor, event.org)
            self.services.registries.registry_row(db, org, event.registry)
            self.services.audit.record(
                db,
                actor,
                org,
                "registry.export",
                "registry",
                event.registry,
                event.registry,
                metadata,
            )


@dataclass(frozen=True)
class ExportEvent:
    """What an export's audit event says: the registry, the client, the file (`-`: printed),
    the servers' names, the secrets mode and how many values were written inline."""

    org: str
    registry: str
    client: str
    path: str
    servers: list[str]
    secrets: str
    inlined_secrets: int


def secrets_mode(default: str, secrets: str | None, inline_secrets: bool) -> str:
    """The secrets mode asked for: `inline_secrets` is another way to say `inline`."""
    if inline_secrets:
        if secrets not in (None, "inline"):
            raise InvalidInput(f"inline secrets and the {secrets} mode: choose one")
        return "inline"
    return secrets or default


def _masked_diff(
    plan: ExportPlan,
    path: Path,
    old_text: str | None,
    new_text: str,
    existing: dict[str, Any],
    merged: Merge,
    owners: Owners,
    parsed: Any,
) -> str:
    """The change as a unified diff of masked texts: no secret value, inlined now or earlier,
    is shown."""
    secrets = [v for v in plan.secret_values if v]
    matcher = SecretMatcher(secrets)
    public = {v for e in plan.entries.values() for v in _env_values(e) if not matcher.holds(v)}
    current = existing.get(plan.servers_key, {})
    hidden = {v for n, e in current.items() if n in owners for v in _env_values(e)} - public
    fromfile = str(path) if old_text is not None else "/dev/null"
    if plan.format.file_kind != "json":  # TOML: its strings are not JSON's, mask every copy
        every = [*secrets, *hidden]
        old_masked = mask_everywhere(old_text or "", every)
        new_masked = mask_everywhere(new_text, every)
    else:
        old_masked = mask_json(old_text or "", matcher, hidden, existing, merged.document)
        new_masked = mask_json(new_text, matcher, hidden)
    if parsed is not None and parsed.comments:  # a comment may hide a string from the pattern
        old_masked = mask_everywhere(old_masked, [*secrets, *hidden])
    diff = "".join(
        difflib.unified_diff(
            diff_lines(old_masked),
            diff_lines(new_masked),
            fromfile=fromfile,
            tofile=str(path),
        )
    )
    if not diff and old_text != new_text:  # two secret values swapped, say
        diff = f"--- {fromfile}\n+++ {path}\n# only masked secret values change\n"
    return diff


def _still(path: Path, old_text: str | None) -> bool:
    """Whether the file at `path` still holds `old_text` (None: still absent)."""
    try:
        return read_config(path) == old_text
    except InvalidInput:  # unreadable now: changed (the next attempt says why)
        return False


def _is_usual_place(path: Path, client: str) -> bool:
    """Whether `path` is where the client reads its config (`--install`), at any of its
    scopes: its directory may be created. Elsewhere (`--out`), a missing directory is more
    likely a typo."""
    return scope_of(path, client) is not None


def scope_of(path: Path, client: str) -> str | None:
    """The scope (user, project) at which `path` is the client's own config; None: it is
    not (a file named with `--out`)."""
    fmt = client_format(client)
    for scope in fmt.scopes:
        try:
            usual = fmt.config_path(None, None, None, scope)
        except (InvalidInput, RuntimeError):
            continue
        if os.path.abspath(path) == os.path.abspath(usual):
            return scope
    return None


def _env_values(entry: Any) -> list[str]:
    """The string values of an entry's `env` and `headers`: where values, secrets included,
    are written."""
    values: list[str] = []
    if isinstance(entry, dict):
        for part in ("env", "headers"):
            items = entry.get(part)
            if isinstance(items, dict):
                values += [v for v in items.values() if isinstance(v, str) and v]
    return values
