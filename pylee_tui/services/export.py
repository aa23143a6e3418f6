"""Export a registry's servers to an MCP client's config: Claude Desktop, VS Code, Cursor.

What gets built (per server, from its first package, else its first remote):
- npm   -> `npx -y [runtime args] identifier@version [package args]`
- pypi  -> `uvx [runtime args] identifier==version [package args]`
- oci   -> `docker run -i --rm [runtime args] -e KEY ... image:version [package args]`
- nuget -> `dnx [runtime args] identifier@version --yes [package args]`
- remote -> `url` + `headers` (VS Code `type` http/sse); Claude Desktop only launches commands, so
  a remote goes through `npx -y mcp-remote URL --header "Name:${ENV}"` with the value in `env`.

The environment of an entry: every environment variable the server declares, plus every key
defined at the server's own scope; values come from the effective configuration (the vault).
Org and registry keys the server does not declare stay out of it.

Secrets per client:
- VS Code: each secret becomes an `inputs` entry (`promptString`, `password: true`) referenced as
  `${input:id}`; no secret value is written.
- Cursor: `${env:KEY}` references (the key must be in Cursor's environment) unless
  `inline_secrets`.
- Claude Desktop takes literal values only: secrets are written only with `inline_secrets`
  (the file is then written 0600); without it the export is refused and says why.

Missing required variables stop the export with the list, unless `allow_missing` (then a
placeholder per client: a VS Code prompt, a Cursor `${env:KEY}`, a Claude `<set KEY>`).
"""

from __future__ import annotations

import difflib
import json
import os
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from pylee_tui.server_json import dicts
from pylee_tui.services.base import Service
from pylee_tui.services.config_files import (
    bom_of,
    check_target,
    file_identity,
    link_target,
    min_mode,
    mode_of,
    parse_config,
    read_config,
    refuse_workspace_link,
    remove_stale_temps,
    write_config,
)
from pylee_tui.services.config_files import write_atomic as write_atomic  # the CLI's writer
from pylee_tui.services.errors import Conflict, InvalidInput
from pylee_tui.services.resolver import (
    MASK,
    REFERENCE,
    Declared,
    EffectiveConfig,
    declared_environment,
)

Client = Literal["claude", "vscode", "cursor"]
CLIENTS: tuple[str, ...] = ("claude", "vscode", "cursor")
CLIENT_NAMES = {"claude": "Claude Desktop", "vscode": "VS Code", "cursor": "Cursor"}
ENTRY_NAME = re.compile(r"^[a-zA-Z][a-zA-Z0-9_-]*$")
MCP_REMOTE = "mcp-remote"
_TEMPLATE = re.compile(r"\{([A-Za-z_][A-Za-z0-9_.-]*)\}")


# --- names -----------------------------------------------------------------------------------


def base_entry_name(server_name: str) -> str:
    """`io.github.user/weather` -> `weather`, made valid for every client
    (VS Code's `^[a-zA-Z][a-zA-Z0-9_-]*$` is the strictest)."""
    tail = server_name.rsplit("/", 1)[-1]
    name = re.sub(r"[^a-zA-Z0-9_-]+", "-", tail).strip("-_")
    if not name or not name[0].isalpha():
        name = f"mcp-{name}" if name else "mcp-server"
    return name


def entry_names(server_names: list[str], taken: set[str] = frozenset()) -> dict[str, str]:
    """A distinct entry name per server: in server-name order, a repeat gets -2, -3, ...
    Names in `taken` (entries in the target file that pylee-tui does not own) are avoided."""
    used = {t.lower() for t in taken}
    names: dict[str, str] = {}
    for server in sorted(server_names):
        base = base_entry_name(server)
        candidate, n = base, 1
        while candidate.lower() in used:
            n += 1
            candidate = f"{base}-{n}"
        used.add(candidate.lower())
        names[server] = candidate
    return names


def env_key_for(name: str) -> str:
    """A header or template variable name as a vault key: `X-API-Key` -> `X_API_KEY`."""
    key = re.sub(r"[^A-Za-z0-9]+", "_", name).strip("_").upper()
    return key if key and not key[0].isdigit() else f"_{key}"


# --- plans -----------------------------------------------------------------------------------


@dataclass
class ExportPlan:
    """What an export would write: the client's servers (and VS Code inputs), and why."""

    client: str
    org: str
    registry: str
    entries: dict[str, dict[str, Any]]  # entry name -> client entry
    servers: dict[str, str]  # entry name -> server name
    inputs: list[dict[str, Any]] = field(default_factory=list)
    inlined_secrets: list[str] = field(default_factory=list)  # "entry: KEY"
    placeholders: list[str] = field(default_factory=list)  # "entry: KEY" (allow_missing)
    warnings: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)  # drafts, nothing to launch
    secret_values: list[str] = field(default_factory=list, repr=False)  # to mask in diffs
    input_ids: dict[tuple[str, str], str] = field(default_factory=dict, repr=False)
    registry_id: int | None = None
    registry_servers: set[str] = field(default_factory=set, repr=False)  # drafts included
    partial: bool = False  # only the servers named (--server), not the whole registry
    taken_inputs: set[str] = field(default_factory=set, repr=False)  # input ids to avoid

    @property
    def servers_key(self) -> str:
        return "servers" if self.client == "vscode" else "mcpServers"

    @property
    def file_mode(self) -> int:
        return 0o600 if self.inlined_secrets else 0o644

    def document(self) -> dict[str, Any]:
        """The config as a fresh file would hold it."""
        doc: dict[str, Any] = {self.servers_key: dict(self.entries)}
        if self.client == "vscode" and self.inputs:
            doc["inputs"] = list(self.inputs)
        return doc

    def mask(self, text: str) -> str:
        """The text with every inlined secret masked, as JSON writes it either way (escaped
        to ASCII, or as is)."""
        for value in sorted(self.secret_values, key=len, reverse=True):
            if value:
                for encoded in (json.dumps(value, ensure_ascii=False), json.dumps(value)):
                    text = text.replace(encoded[1:-1], MASK)
        return text

    def owner(self, server: str | None = None) -> dict[str, Any]:
        """Who an entry (with its server) or an input written by this plan belongs to."""
        owner: dict[str, Any] = {
            "org": self.org,
            "registry": self.registry,
            "registry_id": self.registry_id,
        }
        if server is not None:
            owner["server"] = server
        return owner

    def owns(self, owner: dict[str, Any] | None) -> bool:
        """Whether an entry recorded with `owner` belongs to this plan's registry. Ownership
        recorded as a bare list of names (no owner) counts as this registry's."""
        if owner is None:
            return True
        if owner.get("registry_id") is not None and self.registry_id is not None:
            return owner["registry_id"] == self.registry_id
        return owner.get("org") == self.org and owner.get("registry") == self.registry


@dataclass
class InstallResult:
    path: Path
    written: bool
    diff: str
    backup: Path | None
    added: list[str]
    replaced: list[str]
    removed: list[str]
    kept: list[str]  # entries of the file pylee-tui does not own


class ExportService(Service):
    def plan(
        self,
        actor: str,
        org_slug: str,
        registry_slug: str,
        client: str,
        servers: list[str] | None = None,
        inline_secrets: bool = False,
        allow_missing: bool = False,
        taken: set[str] = frozenset(),
        taken_inputs: set[str] = frozenset(),
    ) -> ExportPlan:
        if client not in CLIENTS:
            raise InvalidInput(f"unknown client {client!r}: use one of {', '.join(CLIENTS)}")
        if inline_secrets and client == "vscode":
            raise InvalidInput(
                "VS Code keeps secrets in its own prompt store (inputs); inline secrets "
                "are for Claude Desktop and Cursor"
            )
        registry = self.services.registries.get(actor, org_slug, registry_slug)
        all_servers = {
            s.name: s for s in self.services.registries.list_servers(actor, org_slug, registry_slug)
        }
        if servers:
            unknown = [n for n in servers if n not in all_servers]
            if unknown:
                raise InvalidInput(f"no server {', '.join(unknown)} in registry '{registry_slug}'")
            chosen = {n: all_servers[n] for n in dict.fromkeys(servers)}
        else:
            chosen = all_servers
        configs = self.services.variables.effective_for_servers(actor, org_slug, registry_slug)
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
        )
        exportable = {}
        for name, server in sorted(chosen.items()):
            if server.status != "valid":
                plan.skipped.append(f"{name}: a draft (fix its problems first)")
                continue
            exportable[name] = server
        if servers and plan.skipped:
            raise InvalidInput("cannot export drafts: " + "; ".join(plan.skipped))
        if not exportable:
            raise InvalidInput(f"registry '{registry_slug}' has no valid server to export")
        names = entry_names(list(exportable), taken)
        builders: dict[str, _EntryBuilder] = {}
        for server_name, server in exportable.items():
            builder = _EntryBuilder(plan, names[server_name], server.document, configs[server_name])
            builders[server_name] = builder
            builder.collect()
        problems = [p for b in builders.values() for p in b.problems]
        if problems:
            raise InvalidInput("cannot export: " + "; ".join(problems))
        missing = {b.server_name: b.missing for b in builders.values() if b.missing}
        if missing and not allow_missing:
            raise InvalidInput(
                "missing required variables: "
                + "; ".join(f"{server}: {', '.join(keys)}" for server, keys in missing.items())
                + " (set them in the vault, or allow missing variables for placeholders)"
            )
        secrets_needed = sorted({k for b in builders.values() for k in b.secret_keys})
        if client == "claude" and secrets_needed and not inline_secrets:
            raise InvalidInput(
                "Claude Desktop takes literal values only, so exporting would write "
                f"{len(secrets_needed)} secret(s) ({', '.join(secrets_needed)}) in plain text; "
                "allow inline secrets to write them (the file is written 0600)"
            )
        revealed: dict[str, EffectiveConfig] = {}
        if inline_secrets and secrets_needed:
            for server_name, builder in builders.items():
                if builder.secret_keys:
                    revealed[server_name] = self.services.variables.effective(
                        actor, org_slug, registry_slug, server_name, reveal=True
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
        return plan

    # --- files --------------------------------------------------------------------------------

    def install(
        self,
        actor: str,
        plan: ExportPlan,
        path: Path | str,
        dry_run: bool = False,
        replace_file: bool = False,
    ) -> InstallResult:
        """Merge the plan into the client's config at `path`. Entries are owned per entry
        (org, registry, server): this registry's are replaced, or removed when their server
        is gone from the registry or, for a whole-registry export, is not exported (a draft);
        a `--server` export keeps the registry's other entries. Entries and VS Code inputs of
        another registry or of the user are kept, and ours are named around them. The old file
        is kept as `<name>.bak`; the new one is written atomically, through a symlink to its
        target. With `replace_file`, the file becomes exactly the plan."""
        if isinstance(path, str) and not path.strip():
            raise InvalidInput("no file name to write the export to")
        path = Path(path).expanduser()
        refuse_workspace_link(path)
        target = link_target(path)
        check_target(path, target, create_parent=_is_usual_place(path, plan.client))
        old_text = read_config(path)
        existing = parse_config(path, old_text) if old_text is not None else {}
        owners = self._owners(path, "servers")
        input_owners = self._owners(path, "inputs")
        merge = _merge(plan, path, existing, owners, input_owners, replace_file)
        new_text = bom_of(old_text) + json.dumps(merge.document, indent=2, ensure_ascii=False)
        new_text += "\n"
        # the diff is of masked texts: no secret value, inlined now or earlier, is shown
        secrets = [v for v in plan.secret_values if v]
        public = {
            v for e in plan.entries.values() for v in _env_values(e) if not _holds(v, secrets)
        }
        current = existing.get(plan.servers_key, {})
        hidden = {v for n, e in current.items() if n in owners for v in _env_values(e)} - public
        fromfile = str(path) if old_text is not None else "/dev/null"
        diff = "".join(
            difflib.unified_diff(
                _lines(_mask_json(old_text or "", secrets, hidden, existing, merge.document)),
                _lines(_mask_json(new_text, secrets, hidden)),
                fromfile=fromfile,
                tofile=str(path),
            )
        )
        if not diff and old_text != new_text:  # two secret values swapped, say
            diff = f"--- {fromfile}\n+++ {path}\n# only masked secret values change\n"
        result = InstallResult(
            path=path,
            written=False,
            diff=diff,
            backup=None,
            added=sorted(set(plan.entries) - set(merge.replaced)),
            replaced=sorted(merge.replaced),
            removed=sorted(merge.removed),
            kept=sorted(merge.kept),
        )
        if dry_run:
            return result
        backup = target.with_name(target.name + ".bak")  # beside the file a symlink points to
        for written in (target, backup):  # what a killed export left (inlined secrets, say)
            remove_stale_temps(written)
        if old_text is not None and old_text == new_text:
            self._remember(actor, plan, path, merge)
            return result
        if old_text is not None:
            write_config(backup, old_text, mode_of(target))
        mode = plan.file_mode if old_text is None else min_mode(mode_of(target), plan.file_mode)

        def intend(tmp: Path) -> None:  # the new file is whole and not yet in place
            self._intend(path, tmp, {"servers": owners, "inputs": input_owners}, merge)

        write_config(target, new_text, mode, shown=path, before_replace=intend)
        self._remember(actor, plan, path, merge)
        result.written = True
        result.backup = backup if old_text is not None else None
        return result

    def install_with_names(
        self, path: Path, *, dry_run: bool = False, replace_file: bool = False, **plan_args
    ) -> tuple[ExportPlan, InstallResult]:
        """`plan` then `install`, choosing entry names and input ids around the file's
        entries and inputs that are not this registry's."""
        taken: set[str] = set()
        taken_inputs: set[str] = set()
        for _attempt in range(2):
            plan = self.plan(taken=taken, taken_inputs=taken_inputs, **plan_args)
            try:
                return plan, self.install(plan_args["actor"], plan, path, dry_run, replace_file)
            except _Clash as clash:
                taken, taken_inputs = set(clash.names), set(clash.inputs)
        raise Conflict(f"cannot choose entry names that do not clash in {path}")

    def _owners(self, path: Path, what: str = "servers") -> dict[str, dict[str, Any] | None]:
        """Who owns each entry (or input) pylee-tui wrote to the file: name -> owner. An older
        record, a bare list of names, gives no owner (None: counted as the exporter's).

        An export killed between renaming the new file into place and recording its owners
        left its intent (`_intend`): if the file is the one it wrote, the intent's owners are
        the file's; if not (killed before the rename, or the file replaced since), the owners
        before it and the ones it meant, together (so none of ours is ever taken for the
        user's: the names it meant are not in the old file, or were ours already)."""
        intent = self._intent(path)
        if intent is None:
            return _owner_map(self.services.settings.get(_owner_key(path, what)))
        before, after = intent["before"].get(what), intent["after"].get(what)
        if intent["file"] == file_identity(path):
            return _owner_map(after)
        return {**_owner_map(after), **_owner_map(before)}

    def _intent(self, path: Path) -> dict[str, Any] | None:
        data = self.services.settings.get(_intent_key(path))
        try:
            intent = json.loads(data) if data else None
        except ValueError:
            return None
        shaped = (
            isinstance(intent, dict)
            and isinstance(intent.get("before"), dict)
            and isinstance(intent.get("after"), dict)
        )
        return intent if shaped else None

    def _intend(self, path: Path, tmp: Path, before: dict[str, Any], merge: _Merge) -> None:
        """Before the new file replaces the old one, record (committed) which file it is and
        the owners of both: whenever the export is killed, the next one knows the file's."""
        intent = {
            "file": file_identity(tmp),
            "before": before,
            "after": {"servers": merge.owners, "inputs": merge.input_owners},
        }
        self.services.settings.set(_intent_key(path), json.dumps(intent, sort_keys=True))

    def _remember(self, actor: str, plan: ExportPlan, path: Path, merge: _Merge) -> None:
        with self.store.transaction() as db:
            records = [("servers", merge.owners)]
            if plan.client == "vscode":
                records.append(("inputs", merge.input_owners))
            for what, owners in records:  # nested: part of this one transaction
                self.services.settings.set(
                    _owner_key(path, what), json.dumps(owners, sort_keys=True)
                )
            db.execute("DELETE FROM settings WHERE key = ?", [_intent_key(path)])
            self._audit(actor, plan, str(path))

    def record_print(self, actor: str, plan: ExportPlan) -> None:
        """An export printed to stdout is still an export (audited, nothing remembered)."""
        self._audit(actor, plan, "-")

    def _audit(self, actor: str, plan: ExportPlan, path: str) -> None:
        with self.store.transaction() as db:
            org, _member = self.services.access.org_row(db, plan.org, actor)
            self.services.audit.record_in_org(
                db,
                org,
                actor=actor,
                action="registry.export",
                target_type="registry",
                target_id=plan.registry,
                target_label=plan.registry,
                metadata={
                    "client": plan.client,
                    "path": path,
                    "servers": sorted(plan.servers.values()),
                    "inlined_secrets": len(plan.inlined_secrets),
                },
            )


class _Clash(Exception):
    """Entry names or input ids of the plan are taken in the file: plan again around them."""

    def __init__(self, names: list[str], inputs: list[str] = ()):
        super().__init__("entry names clash")
        self.names = list(names)
        self.inputs = list(inputs)


@dataclass
class _Merge:
    """The file's new content and what happened to each entry and input."""

    document: dict[str, Any]
    replaced: list[str]
    removed: list[str]
    kept: list[str]  # entries that are not this export's: the user's, another registry's, or
    # this registry's not named by a --server export
    owners: dict[str, dict[str, Any] | None]  # entry -> owner, for every entry pylee-tui wrote
    input_owners: dict[str, dict[str, Any] | None]


def _merge(
    plan: ExportPlan,
    path: Path,
    existing: dict[str, Any],
    owners: dict[str, dict[str, Any] | None],
    input_owners: dict[str, dict[str, Any] | None],
    replace_file: bool,
) -> _Merge:
    key = plan.servers_key
    current = existing.get(key, {})
    if not isinstance(current, dict):
        raise InvalidInput(f"{path}: '{key}' is not an object; fix it by hand first")
    exported = set(plan.servers.values())
    servers: dict[str, Any] = {}
    new_owners: dict[str, dict[str, Any] | None] = {}
    replaced: list[str] = []
    removed: list[str] = []
    kept: list[str] = []
    for name, entry in current.items():
        owner = owners.get(name) if name in owners else _FOREIGN
        if owner is not _FOREIGN and plan.owns(owner):
            server = owner.get("server") if owner else None
            still_here = server is not None and server in plan.registry_servers
            if not (plan.partial and still_here and server not in exported):
                (replaced if name in plan.entries else removed).append(name)
                continue
            # a --server export that did not name this server: it stays, still ours
        kept.append(name)
        servers[name] = entry
        if owner is not _FOREIGN:
            new_owners[name] = owner
    if replace_file:
        document = plan.document()
        new_owners = {}
        kept = []
    else:
        taken = {n.lower() for n in kept}
        if any(n.lower() in taken for n in plan.entries):
            # entry names were chosen before the file was read: choose again around these
            raise _Clash(kept, _foreign_inputs(plan, existing, input_owners))
        document = dict(existing)
        servers.update(plan.entries)
        document[key] = servers
    for name, server in plan.servers.items():
        new_owners[name] = plan.owner(server)
    new_input_owners = dict(input_owners)
    if plan.client == "vscode" and not replace_file:
        new_input_owners = _merge_inputs(plan, path, document, servers, kept, input_owners)
    elif plan.client == "vscode":
        new_input_owners = {i["id"]: plan.owner() for i in plan.inputs}
    return _Merge(document, replaced, removed, kept, new_owners, new_input_owners)


_FOREIGN: Any = object()  # no ownership record: the user's own entry
_INPUT_REFERENCE = re.compile(r"\$\{input:([^}]+)\}")


def _foreign_inputs(
    plan: ExportPlan, existing: dict[str, Any], input_owners: dict[str, dict[str, Any] | None]
) -> list[str]:
    """Input ids in the file that are not this registry's (the user's, another registry's)."""
    inputs = existing.get("inputs", []) if plan.client == "vscode" else []
    if not isinstance(inputs, list):
        return []
    ids = [i["id"] for i in inputs if isinstance(i, dict) and isinstance(i.get("id"), str)]
    return [i for i in ids if i not in input_owners or not plan.owns(input_owners[i])]


def _merge_inputs(
    plan: ExportPlan,
    path: Path,
    document: dict[str, Any],
    servers: dict[str, Any],
    kept: list[str],
    input_owners: dict[str, dict[str, Any] | None],
) -> dict[str, dict[str, Any] | None]:
    """VS Code inputs: the user's and other registries' are kept (and ours are named around
    them); this registry's are replaced, kept while a kept entry still uses them, else removed."""
    inputs = document.get("inputs", [])
    if not isinstance(inputs, list):
        raise InvalidInput(f"{path}: 'inputs' is not a list; fix it by hand first")
    foreign = _foreign_inputs(plan, document, input_owners)
    ours = {i["id"] for i in plan.inputs}
    if {i.lower() for i in ours} & {i.lower() for i in foreign}:
        raise _Clash(kept, foreign)
    used = set(_INPUT_REFERENCE.findall(json.dumps({n: servers[n] for n in kept})))
    merged: list[Any] = []
    owners: dict[str, dict[str, Any] | None] = {}
    for item in inputs:
        ident = item.get("id") if isinstance(item, dict) else None
        if isinstance(ident, str) and ident in input_owners:
            owner = input_owners[ident]
            if plan.owns(owner) and (ident in ours or ident not in used):
                continue  # replaced below, or no longer used
            owners[ident] = owner
        merged.append(item)
    merged += plan.inputs
    for item in plan.inputs:
        owners[item["id"]] = plan.owner()
    if merged:
        document["inputs"] = merged
    else:
        document.pop("inputs", None)
    return owners


# --- one entry -------------------------------------------------------------------------------


class _EntryBuilder:
    """One server's client entry: collect what it needs, then build it for the plan's client."""

    def __init__(self, plan: ExportPlan, entry_name: str, document: dict, config: EffectiveConfig):
        self.plan = plan
        self.entry_name = entry_name
        self.document = document
        self.config = config
        self.package = next(
            (p for p in dicts(document.get("packages")) if p.get("registryType")), None
        )
        self.remote = None if self.package else next(iter(dicts(document.get("remotes"))), None)
        self.env_names: list[str] = []
        self.defaults: dict[str, str] = {}
        self.declared_secret: set[str] = set()
        self.header_items: list[dict] = []
        self.secret_keys: set[str] = set()
        self.missing: list[str] = []
        self.problems: list[str] = []
        self.server_name = str(document.get("name"))

    # which keys the entry uses, and whether they are usable
    def collect(self) -> None:
        if self.package is None and self.remote is None:
            self.problems.append(f"{self.server_name} has no package or remote to launch")
            return
        declared: list[Declared] = []
        if self.package is not None:
            # the resolver's reading of declared variables, for the one package exported
            declared = declared_environment({"packages": [self.package]})
            transport = self.package.get("transport")
            if isinstance(transport, dict):
                self.header_items = dicts(transport.get("headers"))
        else:
            self.header_items = dicts(self.remote.get("headers"))
        own = [e.key for e in self.config.entries if e.scope == "server"]
        self.env_names = list(dict.fromkeys([*(d.name for d in declared), *own]))
        required = {d.name for d in declared if d.required}
        self.declared_secret = {d.name for d in declared if d.secret}
        self.defaults = {d.name: d.default for d in declared if d.default is not None}
        for name in self.env_names:
            self._check(name, required=name in required and name not in self.defaults)
        for header in self.header_items:
            for key in self._header_keys(header):
                # a template's variables are what the header needs, so they are required too
                self._check(key, required=header.get("isRequired") is True)

    def _header_keys(self, header: dict) -> list[str]:
        value = header.get("value")
        if isinstance(value, str) and value:
            return [env_key_for(v) for v in _TEMPLATE.findall(value)]
        name = header.get("name")
        return [env_key_for(name)] if isinstance(name, str) and name else []

    def _check(self, key: str, required: bool) -> None:
        entry = self.config.get(key)
        if entry is None:
            if required:
                self.missing.append(key)
            return
        if entry.problems:
            self.problems.append(f"{self.server_name}: {key}: {'; '.join(entry.problems)}")
            return
        for warning in entry.warnings:
            self.plan.warnings.append(f"{self.entry_name}: {key}: {warning}")
        if entry.kind == "secret":
            self.secret_keys.add(key)
        for ref in self._secret_refs(key):
            self.secret_keys.add(ref)

    def _secret_refs(self, key: str, depth: int = 0) -> set[str]:
        entry = self.config.get(key)
        if entry is None or entry.kind != "variable" or depth > 10:
            return set()
        found: set[str] = set()
        for ref in entry.references:
            inner = self.config.get(ref)
            if inner is None:
                continue
            if inner.kind == "secret":
                found.add(ref)
            else:
                found |= self._secret_refs(ref, depth + 1)
        return found

    # the value of a key for this client: literal, reference, or placeholder
    def value(self, key: str, revealed: EffectiveConfig | None, inline: bool) -> str | None:
        entry = self.config.get(key)
        if entry is None:
            if key in self.defaults:
                return self.defaults[key]
            if key in self.missing:
                self.plan.placeholders.append(f"{self.entry_name}: {key}")
                return self._placeholder(key, secret=key in self.declared_secret)
            return None
        return self._render(key, revealed, inline)

    def _render(self, key: str, revealed: EffectiveConfig | None, inline: bool, depth=0) -> str:
        entry = self.config.get(key)
        if entry.kind == "secret":
            if inline and revealed is not None:
                plain = revealed.get(key)
                if plain is None or plain.value is None:
                    raise InvalidInput(f"{self.server_name}: {key} cannot be read to inline it")
                self.plan.inlined_secrets.append(f"{self.entry_name}: {key}")
                self.plan.secret_values.append(plain.value)
                return plain.value
            return self._secret_reference(key, entry.source)
        raw = entry.raw or ""

        def sub(match: re.Match[str]) -> str:
            name = match.group(1)
            if self.config.get(name) is None or depth > 10:
                return match.group(0)
            return self._render(name, revealed, inline, depth + 1)

        return REFERENCE.sub(sub, raw)

    def _secret_reference(self, key: str, source: str) -> str:
        if self.plan.client == "vscode":
            return "${input:" + self._input(key, source, password=True) + "}"
        if self.plan.client == "cursor":
            return "${env:" + key + "}"
        raise InvalidInput(f"{self.server_name}: {key} is a secret")  # claude: refused earlier

    def _placeholder(self, key: str, secret: bool) -> str:
        if self.plan.client == "vscode":
            return "${input:" + self._input(key, "missing", password=secret) + "}"
        if self.plan.client == "cursor":
            return "${env:" + key + "}"
        return f"<set {key}>"

    def _input(self, key: str, source: str, password: bool) -> str:
        """A VS Code input for a key: one per key and source, shared by the servers using it."""
        base = key.lower().replace("_", "-")
        known = self.plan.input_ids.get((key, source))
        if known is not None:
            return known
        ids = set(self.plan.input_ids.values())
        candidate = base if base not in ids else f"{base}-{self.entry_name}"
        # ids of the target file's inputs that are not ours (the user's, another registry's)
        avoid = {i.lower() for i in ids | self.plan.taken_inputs}
        stem, n = candidate, 1
        while candidate.lower() in avoid:
            n += 1
            candidate = f"{stem}-{n}"
        description = f"{key} ({'secret' if password else 'value'} from pylee {source})"
        if source == "missing":
            description = f"{key} for {self.server_name} (not set in the pylee vault)"
        item = {"type": "promptString", "id": candidate, "description": description}
        if password:
            item["password"] = True
        self.plan.inputs.append(item)
        self.plan.input_ids[(key, source)] = candidate
        return candidate

    def build(self, revealed: EffectiveConfig | None, inline: bool) -> dict[str, Any]:
        env = {}
        for name in self.env_names:
            value = self.value(name, revealed, inline)
            if value is not None:
                env[name] = value
        headers = {}
        for header in self.header_items:
            name = header.get("name")
            if not isinstance(name, str) or not name:
                continue
            value = self._header_value(header, revealed, inline)
            if value is not None:
                headers[name] = value
        return self._entry(env, headers)

    def _header_value(self, header: dict, revealed, inline: bool) -> str | None:
        template = header.get("value")
        if isinstance(template, str) and template:

            def sub(match: re.Match[str]) -> str:
                rendered = self.value(env_key_for(match.group(1)), revealed, inline)
                return rendered if rendered is not None else match.group(0)

            return _TEMPLATE.sub(sub, template)
        return self.value(env_key_for(header["name"]), revealed, inline)

    def _entry(self, env: dict[str, str], headers: dict[str, str]) -> dict[str, Any]:
        client = self.plan.client
        if self.package is not None:
            command, args = package_command(self.package, list(env))
            entry: dict[str, Any] = {}
            if client == "vscode":
                entry["type"] = "stdio"
            entry["command"] = command
            entry["args"] = args
            if env:
                entry["env"] = env
            transport = self.package.get("transport")
            if isinstance(transport, dict) and transport.get("type") not in (None, "stdio"):
                self.plan.warnings.append(
                    f"{self.entry_name}: the package serves {transport.get('type')} at "
                    f"{transport.get('url', 'a local URL')}; exported as a stdio command"
                )
            return entry
        url = str(self.remote.get("url", ""))
        kind = self.remote.get("type")
        sent = sorted(
            {
                key
                for header in self.header_items
                for key in self._header_keys(header)
                if key in self.secret_keys
            }
        )
        if sent:  # whoever can edit the server.json chooses this URL: say where secrets go
            self.plan.warnings.append(
                f"{self.entry_name}: secret {', '.join(sent)} is sent to {url} in a header"
            )
        if client == "claude":
            args = ["-y", MCP_REMOTE, url]
            env_out = {}
            for name, value in headers.items():
                var = f"HEADER_{env_key_for(name)}"
                args += ["--header", f"{name}:${{{var}}}"]
                env_out[var] = value
            entry = {"command": "npx", "args": args}
            if env_out:
                entry["env"] = env_out
            return entry
        entry = {}
        if client == "vscode":
            entry["type"] = "sse" if kind == "sse" else "http"
        entry["url"] = url
        if headers:
            entry["headers"] = headers
        return entry


def package_command(package: dict[str, Any], env_names: list[str]) -> tuple[str, list[str]]:
    registry = package.get("registryType")
    ident = str(package.get("identifier", ""))
    version = str(package.get("version", "") or "")
    runtime = argument_list(package.get("runtimeArguments"))
    rest = argument_list(package.get("packageArguments"))
    if registry == "npm":
        return "npx", ["-y", *runtime, f"{ident}@{version}" if version else ident, *rest]
    if registry == "pypi":
        return "uvx", [*runtime, f"{ident}=={version}" if version else ident, *rest]
    if registry == "oci":
        env = [token for name in env_names for token in ("-e", name)]
        image = f"{ident}:{version}" if version else ident
        return "docker", ["run", "-i", "--rm", *runtime, *env, image, *rest]
    if registry == "nuget":
        return "dnx", [*runtime, f"{ident}@{version}" if version else ident, "--yes", *rest]
    raise InvalidInput(f"cannot launch a package from registry type {registry!r}")


def argument_list(args: Any) -> list[str]:
    """Arguments as separate tokens: a named `--flag value` is two, a positional is one."""
    tokens: list[str] = []
    for arg in dicts(args):
        value = arg.get("value", arg.get("default"))
        if arg.get("type") == "named":
            name = arg.get("name")
            if not isinstance(name, str) or not name:
                continue
            tokens.append(name)
            if value not in (None, ""):
                tokens.append(str(value))
        elif value not in (None, ""):
            tokens.append(str(value))
        elif arg.get("valueHint"):
            tokens.append(f"<{arg['valueHint']}>")
    return tokens


# --- config files ----------------------------------------------------------------------------


def default_config_path(
    client: str,
    home: Path | None = None,
    cwd: Path | None = None,
    platform: str | None = None,
) -> Path:
    """Where each client reads its MCP servers from."""
    home = home or Path.home()
    platform = platform or sys.platform
    if client == "vscode":
        return (cwd or Path.cwd()) / ".vscode" / "mcp.json"
    if client == "cursor":
        return home / ".cursor" / "mcp.json"
    if client == "claude":
        if platform == "darwin":
            return (
                home / "Library" / "Application Support" / "Claude" / "claude_desktop_config.json"
            )
        if platform.startswith("win"):
            appdata = os.environ.get("APPDATA") or str(home / "AppData" / "Roaming")
            return Path(appdata) / "Claude" / "claude_desktop_config.json"
        config = os.environ.get("XDG_CONFIG_HOME") or str(home / ".config")
        return Path(config) / "Claude" / "claude_desktop_config.json"
    raise InvalidInput(f"unknown client {client!r}: use one of {', '.join(CLIENTS)}")


def render(plan: ExportPlan) -> str:
    return json.dumps(plan.document(), indent=2, ensure_ascii=False) + "\n"


def _is_usual_place(path: Path, client: str) -> bool:
    """Whether `path` is where the client reads its config (`--install`): its directory may
    be created. Elsewhere (`--out`), a missing directory is more likely a typo."""
    try:
        usual = default_config_path(client)
    except (InvalidInput, RuntimeError):
        return False
    return os.path.abspath(path) == os.path.abspath(usual)


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


def _holds(value: str, secrets: list[str]) -> bool:
    return any(secret in value for secret in secrets)


_JSON_STRING = re.compile(r'"(?:[^"\\]|\\.)*"')


MASK_IN_FILE = f"{MASK} (in the file)"  # a masked value the new file no longer holds there
_MISSING: Any = object()


def _mask_json(
    text: str,
    secrets: list[str],
    hidden: set[str],
    document: Any = _MISSING,
    new_document: Any = _MISSING,
) -> str:
    """JSON text with every one of `secrets` masked wherever a string holds it, and every
    string equal to one of `hidden` masked whole. Strings are compared decoded, so the way
    one is escaped (`\\u00e9` or `é`) does not matter; line breaks stay where they are.

    For the old side of a diff, give the text's `document` and the `new_document`: a masked
    string the new document does not hold at the same place becomes MASK_IN_FILE, so that a
    changed secret still shows as a change."""
    if not secrets and not hidden:
        return text
    ordered = sorted(set(secrets), key=len, reverse=True)
    matches = list(_JSON_STRING.finditer(text))
    values = [_decoded(m.group(0)) for m in matches]
    places: list[tuple[Any, ...] | None] | None = None
    if document is not _MISSING:
        strings = list(_strings(document))
        aligned = len(strings) == len(values) and all(
            s == v for (s, _), v in zip(strings, values, strict=True)
        )
        # duplicate keys, say: the places are unknown, every masked string counts as changed
        places = [place for _, place in strings] if aligned else [()] * len(values)
    out: list[str] = []
    last = 0
    for i, match in enumerate(matches):
        value = values[i]
        if not isinstance(value, str):
            continue
        masked = MASK if value in hidden else value
        for secret in ordered:
            masked = masked.replace(secret, MASK)
        if masked == value:
            continue
        place = places[i] if places is not None else None
        if place is not None and _at(new_document, place) != value:
            masked = MASK_IN_FILE
        out += [text[last : match.start()], json.dumps(masked, ensure_ascii=False)]
        last = match.end()
    out.append(text[last:])
    return "".join(out)


def _decoded(token: str) -> Any:
    try:
        return json.loads(token)
    except ValueError:
        return None


def _strings(value: Any, place: tuple[Any, ...] = ()):
    """The strings of a parsed JSON document in the order its text holds them, each with its
    place (None for an object key)."""
    if isinstance(value, dict):
        for key, item in value.items():
            yield key, None
            yield from _strings(item, (*place, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _strings(item, (*place, index))
    elif isinstance(value, str):
        yield value, place


def _at(document: Any, place: tuple[Any, ...]) -> Any:
    for step in place:
        try:
            document = document[step]
        except (KeyError, IndexError, TypeError):
            return _MISSING
    return document


def _lines(text: str) -> list[str]:
    """Lines for a diff; a last line without its newline still ends one."""
    lines = text.splitlines(keepends=True)
    if lines and not lines[-1].endswith("\n"):
        lines[-1] += "\n"
    return lines


def _owner_key(path: Path, what: str) -> str:
    return f"export.owned.{what}:{path.resolve()}"


def _intent_key(path: Path) -> str:
    return f"export.intent:{path.resolve()}"


def _owner_map(recorded: Any) -> dict[str, dict[str, Any] | None]:
    """Owners as recorded (JSON text, or parsed): name -> owner, or None for a bare name."""
    if isinstance(recorded, str):
        try:
            recorded = json.loads(recorded) if recorded else {}
        except ValueError:
            return {}
    if isinstance(recorded, list):
        return {n: None for n in recorded if isinstance(n, str)}
    if not isinstance(recorded, dict):
        return {}
    return {
        n: owner if isinstance(owner, dict) else None
        for n, owner in recorded.items()
        if isinstance(n, str)
    }
