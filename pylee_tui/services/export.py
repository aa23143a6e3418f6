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

import contextlib
import difflib
import json
import os
import re
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from pylee_tui.server_json import dicts
from pylee_tui.services.base import Service
from pylee_tui.services.errors import Conflict, InvalidInput
from pylee_tui.services.resolver import MASK, REFERENCE, EffectiveConfig

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
        for value in sorted(self.secret_values, key=len, reverse=True):
            if value:
                text = text.replace(json.dumps(value)[1:-1], MASK)
        return text


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
    ) -> ExportPlan:
        if client not in CLIENTS:
            raise InvalidInput(f"unknown client {client!r}: use one of {', '.join(CLIENTS)}")
        if inline_secrets and client == "vscode":
            raise InvalidInput(
                "VS Code keeps secrets in its own prompt store (inputs); --inline-secrets "
                "is for Claude Desktop and Cursor"
            )
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
        plan = ExportPlan(client, org_slug, registry_slug, {}, {})
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
                + " (set them in the vault, or pass --allow-missing for placeholders)"
            )
        secrets_needed = sorted({k for b in builders.values() for k in b.secret_keys})
        if client == "claude" and secrets_needed and not inline_secrets:
            raise InvalidInput(
                "Claude Desktop takes literal values only, so exporting would write "
                f"{len(secrets_needed)} secret(s) ({', '.join(secrets_needed)}) in plain text; "
                "pass --inline-secrets to write them (the file is written 0600)"
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
        path: Path,
        dry_run: bool = False,
        replace_file: bool = False,
    ) -> InstallResult:
        """Merge the plan into the client's config at `path`: entries pylee-tui wrote there
        before are replaced or removed, everything else is kept; the old file is kept as
        `<name>.bak`; the new one is written atomically. With `replace_file`, the file becomes
        exactly the plan (`--out` to a new file)."""
        path = Path(path).expanduser()
        old_text = _read_config(path)
        existing = _parse_config(path, old_text) if old_text is not None else {}
        owned = set(self._owned(path))
        key = plan.servers_key
        current = existing.get(key, {})
        if not isinstance(current, dict):
            raise InvalidInput(f"{path}: '{key}' is not an object; fix it by hand first")
        foreign = [name for name in current if name not in owned]
        clash = [n for n in plan.entries if n in foreign]
        if clash:
            # entry names were chosen before the file was read: choose again around the clash
            raise _Clash(foreign)
        if replace_file:
            merged: dict[str, Any] = plan.document()
            kept: list[str] = []
        else:
            merged = dict(existing)
            servers = {n: v for n, v in current.items() if n not in owned}
            kept = list(servers)
            servers.update(plan.entries)
            merged[key] = servers
            if plan.client == "vscode":
                inputs = existing.get("inputs", [])
                if not isinstance(inputs, list):
                    raise InvalidInput(f"{path}: 'inputs' is not a list; fix it by hand first")
                owned_inputs = set(self._owned(path, "inputs"))
                ours = {i["id"] for i in plan.inputs}
                merged_inputs = [
                    i
                    for i in inputs
                    if not (isinstance(i, dict) and i.get("id") in owned_inputs | ours)
                ]
                merged_inputs += plan.inputs
                if merged_inputs:
                    merged["inputs"] = merged_inputs
                else:
                    merged.pop("inputs", None)
        new_text = json.dumps(merged, indent=2, ensure_ascii=False) + "\n"
        diff = "".join(
            difflib.unified_diff(
                _lines(old_text or ""),
                _lines(new_text),
                fromfile=str(path) if old_text is not None else "/dev/null",
                tofile=str(path),
            )
        )
        previous = set(current) & owned
        result = InstallResult(
            path=path,
            written=False,
            diff=plan.mask(diff),
            backup=None,
            added=sorted(set(plan.entries) - previous),
            replaced=sorted(set(plan.entries) & previous),
            removed=sorted(previous - set(plan.entries)),
            kept=sorted(kept),
        )
        if dry_run:
            return result
        if old_text is not None and old_text == new_text:
            self._remember(actor, plan, path)
            return result
        backup = None
        if old_text is not None:
            backup = path.with_name(path.name + ".bak")
            write_atomic(backup, old_text, mode=_mode_of(path))
        mode = plan.file_mode if old_text is None else min_mode(_mode_of(path), plan.file_mode)
        write_atomic(path, new_text, mode=mode)
        self._remember(actor, plan, path)
        result.written = True
        result.backup = backup
        return result

    def install_with_names(
        self, path: Path, *, dry_run: bool = False, replace_file: bool = False, **plan_args
    ) -> tuple[ExportPlan, InstallResult]:
        """`plan` then `install`, choosing entry names around the file's foreign entries."""
        taken: set[str] = set()
        for _attempt in range(2):
            plan = self.plan(taken=taken, **plan_args)
            try:
                return plan, self.install(plan_args["actor"], plan, path, dry_run, replace_file)
            except _Clash as clash:
                taken = set(clash.names)
        raise Conflict(f"cannot choose entry names that do not clash in {path}")

    def _owned(self, path: Path, what: str = "servers") -> list[str]:
        data = self.services.settings.get(_owner_key(path, what))
        try:
            names = json.loads(data) if data else []
        except ValueError:
            return []
        return [n for n in names if isinstance(n, str)]

    def _remember(self, actor: str, plan: ExportPlan, path: Path) -> None:
        with self.store.transaction() as db:
            for what, names in (
                ("servers", sorted(plan.entries)),
                ("inputs", sorted(i["id"] for i in plan.inputs)),
            ):
                db.execute(
                    "INSERT INTO settings (key, value) VALUES (?, ?) "
                    "ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                    [_owner_key(path, what), json.dumps(names)],
                )
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
                    "path": str(path),
                    "servers": sorted(plan.servers.values()),
                    "inlined_secrets": len(plan.inlined_secrets),
                },
            )

    def record_print(self, actor: str, plan: ExportPlan) -> None:
        """An export printed to stdout is still an export (audited, nothing remembered)."""
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
                    "path": "-",
                    "servers": sorted(plan.servers.values()),
                    "inlined_secrets": len(plan.inlined_secrets),
                },
            )


class _Clash(Exception):
    def __init__(self, names: list[str]):
        super().__init__("entry names clash")
        self.names = names


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
        declared: list[dict] = []
        if self.package is not None:
            declared = dicts(self.package.get("environmentVariables"))
            transport = self.package.get("transport")
            if isinstance(transport, dict):
                self.header_items = dicts(transport.get("headers"))
        else:
            self.header_items = dicts(self.remote.get("headers"))
        names = [d["name"] for d in declared if isinstance(d.get("name"), str)]
        own = [e.key for e in self.config.entries if e.scope == "server"]
        self.env_names = list(dict.fromkeys([*names, *own]))
        required = {d["name"] for d in declared if d.get("isRequired") is True}
        self.declared_secret = {d["name"] for d in declared if d.get("isSecret") is True}
        defaults = {
            d["name"]: d["default"]
            for d in declared
            if isinstance(d.get("default"), str) and d["default"] != ""
        }
        self.defaults = defaults
        for name in self.env_names:
            self._check(name, required=name in required and name not in defaults)
        for header in self.header_items:
            for key in self._header_keys(header):
                self._check(
                    key, required=header.get("isRequired") is True and not header.get("value")
                )

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


def _read_config(path: Path) -> str | None:
    try:
        return path.read_text("utf-8")
    except FileNotFoundError:
        return None
    except IsADirectoryError:
        raise InvalidInput(f"{path} is a directory, not a config file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise InvalidInput(f"cannot read {path}: {getattr(exc, 'strerror', None) or exc}") from None


def _parse_config(path: Path, text: str) -> dict[str, Any]:
    if not text.strip():
        return {}
    try:
        data = json.loads(text)
    except ValueError as exc:
        raise InvalidInput(
            f"{path} is not valid JSON (line {getattr(exc, 'lineno', '?')}): fix or move it; "
            "nothing was written"
        ) from None
    if not isinstance(data, dict):
        raise InvalidInput(f"{path} does not hold a JSON object; nothing was written")
    return data


def _lines(text: str) -> list[str]:
    """Lines for a diff; a last line without its newline still ends one."""
    lines = text.splitlines(keepends=True)
    if lines and not lines[-1].endswith("\n"):
        lines[-1] += "\n"
    return lines


def _mode_of(path: Path) -> int:
    try:
        return path.stat().st_mode & 0o777
    except OSError:
        return 0o644


def min_mode(a: int, b: int) -> int:
    """The stricter of two permission sets (what both allow)."""
    return a & b


def _owner_key(path: Path, what: str) -> str:
    return f"export.owned.{what}:{path.resolve()}"


def write_atomic(
    path: Path,
    text: str,
    mode: int = 0o644,
    _before_replace: Callable[[Path], None] | None = None,
) -> None:
    """Write `text` to a temporary file beside `path`, fsync it, then rename it over `path`:
    a crash at any point leaves either the old file or the new one, whole."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    tmp = Path(tmp_name)
    try:
        os.fchmod(fd, mode)
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        if _before_replace is not None:
            _before_replace(tmp)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise
    with contextlib.suppress(OSError):
        dir_fd = os.open(path.parent, os.O_DIRECTORY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)
