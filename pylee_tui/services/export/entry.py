"""One server's entry in a client's config: which keys it needs, whether they are usable, then
the entry itself (the launch rule's command, or the remote), values by the client's rules."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from pylee_tui.server_json import dicts, launch_target, package_argv
from pylee_tui.services.errors import InvalidInput
from pylee_tui.services.export.clients.base import ClientFormat
from pylee_tui.services.export.names import env_key_for
from pylee_tui.services.export.plan import ExportPlan
from pylee_tui.services.resolver import REFERENCE, Declared, EffectiveConfig, declared_environment

# a server's secrets in plain text, by key (None: not readable), when they are inlined
Revealed = Mapping[str, str | None] | None
_TEMPLATE = re.compile(r"\{([A-Za-z_][A-Za-z0-9_.-]*)\}")


class EntryBuilder:
    """One server's client entry: collect what it needs, then build it for the plan's client."""

    def __init__(
        self,
        plan: ExportPlan,
        entry_name: str,
        document: dict[str, Any],
        config: EffectiveConfig,
        client: ClientFormat | None = None,
    ):
        self.plan = plan
        self.client = client if client is not None else plan.format
        self.entry_name = entry_name
        self.document = document
        self.config = config
        self.package, self.remote = launch_target(document)
        self.env_names: list[str] = []
        self.defaults: dict[str, str] = {}
        self.declared_secret: set[str] = set()
        self.header_items: list[dict[str, Any]] = []
        self.secret_keys: set[str] = set()
        self.missing: list[str] = []
        self.problems: list[str] = []
        self.server_name = str(document.get("name"))

    # which keys the entry uses, and whether they are usable
    def collect(self) -> None:
        if self.package is None and self.remote is None:
            self.problems.append(self._nothing_to_launch())
            return
        declared: list[Declared] = []
        if self.package is not None:
            # the resolver's reading of declared variables, for the one package exported
            declared = declared_environment({"packages": [self.package]})
            transport = self.package.get("transport")
            if isinstance(transport, dict):
                self.header_items = dicts(transport.get("headers"))
        elif self.remote is not None:
            self.header_items = dicts(self.remote.get("headers"))
        own = [e.key for e in self.config.defined_at("server")]
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
            if header.get("isSecret") is True:  # its template's names are the secret's
                self.declared_secret.update(self._header_keys(header))
        for arg in self._templated_arguments():
            for name, spec in arg["variables"].items():
                key = env_key_for(name)
                if isinstance(spec, dict) and spec.get("isSecret") is True:
                    self.declared_secret.add(key)
                if key not in self.env_names:
                    self._check(key, required=True)

    def _templated_arguments(self) -> list[dict[str, Any]]:
        """The package's arguments whose value is a template over declared `variables`."""
        if self.package is None:
            return []
        args = [
            *dicts(self.package.get("runtimeArguments")),
            *dicts(self.package.get("packageArguments")),
        ]
        return [a for a in args if isinstance(a.get("variables"), dict) and a["variables"]]

    def _nothing_to_launch(self) -> str:
        types = [p.get("registryType") for p in dicts(self.document.get("packages"))]
        unknown = next((t for t in types if t), None)
        if unknown is not None:
            return f"{self.server_name}: cannot launch a package from registry type {unknown!r}"
        return f"{self.server_name} has no package or remote to launch"

    def _header_keys(self, header: dict[str, Any]) -> list[str]:
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
    def value(self, key: str, revealed: Revealed, inline: bool) -> str | None:
        entry = self.config.get(key)
        if entry is None:
            if key in self.defaults:
                return self.defaults[key]
            if key in self.missing:
                self.plan.placeholders.append(f"{self.entry_name}: {key}")
                return self.client.placeholder(self, key, secret=key in self.declared_secret)
            return None
        return self._render(key, revealed, inline)

    def _render(self, key: str, revealed: Revealed, inline: bool, depth: int = 0) -> str:
        entry = self.config.get(key)
        assert entry is not None  # callers look the key up first
        if entry.kind == "secret":
            if inline and revealed is not None:
                plain = revealed.get(key)
                if plain is None:
                    raise InvalidInput(f"{self.server_name}: {key} cannot be read to inline it")
                self.plan.inlined_secrets.append(f"{self.entry_name}: {key}")
                self.plan.secret_values.append(plain)
                return plain
            if key not in self.plan.referenced:
                self.plan.referenced.append(key)
            return self.client.secret_reference(self, key, entry.source)
        raw = entry.raw or ""

        def sub(match: re.Match[str]) -> str:
            name = match.group(1)
            if self.config.get(name) is None or depth > 10:
                return match.group(0)
            return self._render(name, revealed, inline, depth + 1)

        return REFERENCE.sub(sub, raw)

    def build(self, revealed: Revealed, inline: bool) -> dict[str, Any]:
        env = {}
        for name in self.env_names:
            value = self.value(name, revealed, inline)
            if value is not None:
                env[name] = value
        headers = {}
        for header in self.header_items:
            header_name = header.get("name")
            if not isinstance(header_name, str) or not header_name:
                continue
            value = self._header_value(header, revealed, inline)
            if value is not None:
                headers[header_name] = value
        return self._entry(env, headers, revealed, inline)

    def _header_value(self, header: dict[str, Any], revealed: Revealed, inline: bool) -> str | None:
        template = header.get("value")
        if isinstance(template, str) and template:

            def sub(match: re.Match[str]) -> str:
                rendered = self.value(env_key_for(match.group(1)), revealed, inline)
                return rendered if rendered is not None else match.group(0)

            return _TEMPLATE.sub(sub, template)
        return self.value(env_key_for(header["name"]), revealed, inline)

    def _rendered_package(self, revealed: Revealed, inline: bool) -> dict[str, Any]:
        """The package with each templated argument's `{name}` as the key's value for this
        client (a reference, a placeholder, or inlined), as a header's template is."""
        assert self.package is not None
        package = dict(self.package)
        for field in ("runtimeArguments", "packageArguments"):
            args = []
            for arg in dicts(package.get(field)):
                names = arg.get("variables")
                value = arg.get("value")
                if isinstance(names, dict) and names and isinstance(value, str):

                    def sub(match: re.Match[str], names: dict[str, Any] = names) -> str:
                        if match.group(1) not in names:
                            return match.group(0)
                        rendered = self.value(env_key_for(match.group(1)), revealed, inline)
                        return rendered if rendered is not None else match.group(0)

                    arg = {**arg, "value": _TEMPLATE.sub(sub, value)}
                args.append(arg)
            if field in package:
                package[field] = args
        return package

    def _entry(
        self, env: dict[str, str], headers: dict[str, str], revealed: Revealed, inline: bool
    ) -> dict[str, Any]:
        if self.package is not None:
            argv = package_argv(self._rendered_package(revealed, inline), list(env))
            entry = self.client.command_entry(argv, env)
            transport = self.package.get("transport")
            if isinstance(transport, dict) and transport.get("type") not in (None, "stdio"):
                self.plan.warnings.append(
                    f"{self.entry_name}: the package serves {transport.get('type')} at "
                    f"{transport.get('url', 'a local URL')}; exported as a stdio command"
                )
            return entry
        assert self.remote is not None  # collect() stopped a server with neither
        self.warn_secret_headers()
        return self.client.remote_entry(
            str(self.remote.get("url", "")), self.remote.get("type"), headers
        )

    def warn_secret_headers(self) -> None:
        """Whoever can edit the server.json chooses a remote's URL: say where secrets go."""
        if self.remote is None:
            return
        sent = sorted(
            {
                key
                for header in self.header_items
                for key in self._header_keys(header)
                if key in self.secret_keys
            }
        )
        if sent:
            self.plan.warnings.append(
                f"{self.entry_name}: secret {', '.join(sent)} is sent to "
                f"{self.remote.get('url', '')} in a header"
            )
