"""What starting a server takes: its launch command (the one launch rule: npx / uvx / docker /
dnx) or its remote, with the environment and headers its effective configuration gives it,
secrets decrypted. `run`, `check` and `call` start servers from a `Launch`; the export's
launcher entries run `pylee-tui run`, which starts one the same way.

A `Launch` is built by the export's own entry builder, in inline mode: a server gets from `run`
exactly what an export with inline secrets would have written into a client's file, and
nothing else (org and registry keys the server does not declare stay out)."""

from __future__ import annotations

import os
import shutil
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from pylee_tui.server_json import package_argv
from pylee_tui.services.base import Service
from pylee_tui.services.errors import InvalidInput, PyleeError
from pylee_tui.services.export.clients.base import JsonClient
from pylee_tui.services.export.entry import EntryBuilder
from pylee_tui.services.export.plan import ExportPlan
from pylee_tui.services.scope import Scope

if TYPE_CHECKING:
    from pylee_tui.models import Server

Purpose = Literal["run", "check", "call"]
# what a server's process never inherits from ours: the vault's passphrase
NOT_INHERITED = ("PYLEE_PASSPHRASE", "PYLEE_NEW_PASSPHRASE")
# where a runtime comes from, for the line that says it is missing
RUNTIMES = {
    "npx": "Node.js (https://nodejs.org)",
    "uvx": "uv (https://docs.astral.sh/uv/)",
    "docker": "Docker (https://docs.docker.com/get-docker/)",
    "dnx": "the .NET SDK 10 (https://dotnet.microsoft.com)",
}
MASK = "••••••"


class MissingConfiguration(PyleeError):
    """Required keys of a server are not set anywhere in its effective configuration."""

    def __init__(self, server: str, keys: list[str]) -> None:
        self.server, self.keys = server, keys
        super().__init__(
            f"{server} needs {', '.join(keys)}: set "
            f"{'it' if len(keys) == 1 else 'them'} at the org, registry or server scope"
        )


class MissingRuntime(PyleeError):
    """The command that starts a server is not on PATH."""

    def __init__(self, server: str, command: str) -> None:
        self.server, self.command = server, command
        where = RUNTIMES.get(command)
        hint = f"; it comes with {where}" if where else ""
        super().__init__(f"{server} is started with {command}, which is not on PATH{hint}")


@dataclass(frozen=True)
class Launch:
    """How to start one server. `env` and `headers` hold plaintext: never print them, never
    put them in argv; `mask` hides every secret value in a text (stderr, an error)."""

    server: str
    scope: Scope
    kind: Literal["stdio", "remote"]
    argv: tuple[str, ...] = ()  # stdio
    env: Mapping[str, str] = field(default_factory=dict, repr=False)
    url: str = ""  # remote
    transport: str = ""  # remote: streamable-http or sse
    headers: Mapping[str, str] = field(default_factory=dict, repr=False)
    secret_keys: tuple[str, ...] = ()
    secret_values: tuple[str, ...] = field(default=(), repr=False)
    warnings: tuple[str, ...] = ()

    @property
    def command_line(self) -> str:
        """What is started, as a person reads it: the command, or the transport and URL."""
        return " ".join(self.argv) if self.kind == "stdio" else f"{self.transport} {self.url}"

    def mask(self, text: str) -> str:
        for value in sorted(self.secret_values, key=len, reverse=True):
            if value:
                text = text.replace(value, MASK)
        return text

    def environment(self, base: Mapping[str, str] | None = None) -> dict[str, str]:
        """The process environment a stdio server starts with: `base` (ours by default)
        without the vault's passphrase, then the server's keys."""
        env = {k: v for k, v in (os.environ if base is None else base).items()}
        for name in NOT_INHERITED:
            env.pop(name, None)
        env.update(self.env)
        return env

    def runtime_missing(self, path: str | None = None) -> str | None:
        """The command that starts the server when it is not found on PATH, else None."""
        if self.kind != "stdio":
            return None
        command = self.argv[0]
        if os.sep in command:
            return None if os.access(command, os.X_OK) else command
        return None if shutil.which(command, path=path) else command


@dataclass(frozen=True)
class LaunchPreview:
    """What `run` would start, without decrypting anything: for a screen to show."""

    server: str
    command_line: str  # the command `run` executes, or the transport and URL of a remote
    missing: tuple[str, ...] = ()  # required keys not set: run would refuse
    secret_keys: tuple[str, ...] = ()  # the secrets it would pass (names only)
    problems: tuple[str, ...] = ()  # why nothing can be started


class _Launcher(JsonClient):
    """The entry builder's client for a launch: every value literal, secrets included."""

    key = "launch"
    title = "pylee-tui run"

    def secret_reference(self, entry: Any, key: str, source: str) -> str:  # never asked
        raise InvalidInput(f"{entry.server_name}: {key} is a secret")

    def placeholder(self, entry: Any, key: str, secret: bool) -> str:  # missing refuses first
        raise InvalidInput(f"{entry.server_name}: {key} is not set")

    def config_path(
        self, home: Any, cwd: Any, platform: Any, scope: Any = None
    ) -> Any:  # nothing is written
        raise NotImplementedError


_LAUNCHER = _Launcher()


class LaunchService(Service):
    def preview(self, actor: str, scope: Scope) -> LaunchPreview:
        """The command `run` would execute for the server `scope` names (its environment's
        names decide a container's `-e NAME`s), what it misses, which secrets it would pass:
        nothing is decrypted, nothing is audited."""
        server, builder = self._builder(actor, scope)
        if builder.problems:
            return LaunchPreview(server.name, "", problems=tuple(builder.problems))
        if builder.package is not None:
            names = [
                n
                for n in builder.env_names
                if builder.config.get(n) is not None or n in builder.defaults
            ]
            line = " ".join(package_argv(builder.package, names))
        else:
            remote = builder.remote or {}
            line = f"{remote.get('type') or 'streamable-http'} {remote.get('url', '')}"
        return LaunchPreview(
            server.name,
            line,
            missing=tuple(sorted(builder.missing)),
            secret_keys=tuple(sorted(builder.secret_keys)),
        )

    def _builder(self, actor: str, scope: Scope) -> tuple[Server, EntryBuilder]:
        """The server `scope` names, and the entry builder that has collected what it needs."""
        if scope.server is None or scope.registry is None:
            raise InvalidInput("name the server to start: --org, --registry and its name")
        server = self.services.registries.get_server(actor, scope)
        # the version the registry uses (pinned, else the latest published; a fork's upstream's)
        used = self.services.server_versions.resolved_one(actor, scope)
        if used.document is None and server.status == "valid":
            raise InvalidInput(f"{server.name}: {used.reason}")
        if used.document is not None:
            server = server.model_copy(update={"document": used.document, "status": "valid"})
        config = self.services.variables.effective(actor, scope)
        plan = ExportPlan(
            client="claude",  # a plan's client by name; the builder is given ours
            org=scope.org,
            registry=scope.registry,
            entries={},
            servers={},
        )
        builder = EntryBuilder(plan, server.name, server.document, config, _LAUNCHER)
        builder.collect()
        return server, builder

    def launch(self, actor: str, scope: Scope, *, purpose: Purpose = "run") -> Launch:
        """How to start the server `scope` names, its secrets decrypted (the vault must be
        unlocked when it has any, and the actor needs `secrets:reveal`: one `secret.<purpose>`
        event names the keys). MissingConfiguration when a required key is not set; a draft
        or a server with nothing to launch is InvalidInput."""
        server, builder = self._builder(actor, scope)
        if server.status == "draft":
            raise InvalidInput(f"{server.name} is a draft: fix its server.json before running it")
        assert scope.registry is not None  # _builder refuses a scope without one
        registry_scope = Scope(scope.org, scope.registry)
        plan = builder.plan
        if builder.problems:
            raise InvalidInput("; ".join(builder.problems))
        if builder.missing:
            raise MissingConfiguration(server.name, sorted(builder.missing))
        secret_keys = sorted(builder.secret_keys)
        revealed: dict[str, str | None] = {}
        if secret_keys:
            found = self.services.variables.reveal_for_servers(
                actor, registry_scope, {server.name: secret_keys}, purpose=purpose
            )
            revealed = found.get(server.name, {})
        entry = builder.build(revealed, inline=True)
        secrets = tuple(v for v in plan.secret_values if v)
        if builder.package is not None:
            return Launch(
                server=server.name,
                scope=scope,
                kind="stdio",
                argv=(entry["command"], *entry.get("args", [])),
                env=dict(entry.get("env", {})),
                secret_keys=tuple(secret_keys),
                secret_values=secrets,
                warnings=tuple(w for w in plan.warnings if "exported as a stdio" not in w),
            )
        remote = builder.remote or {}
        transport = str(remote.get("type") or "streamable-http")
        if transport not in ("streamable-http", "sse"):
            raise InvalidInput(f"{server.name}: cannot reach a remote of type {transport!r}")
        return Launch(
            server=server.name,
            scope=scope,
            kind="remote",
            url=str(entry.get("url", "")),
            transport=transport,
            headers=dict(entry.get("headers", {})),
            secret_keys=tuple(secret_keys),
            secret_values=secrets,
            warnings=tuple(plan.warnings),
        )
