"""Checks and calls: each server started (or reached) with its effective configuration,
initialized and asked what it offers; the last result per server kept (state, when, by whom,
tools with their input schemas, resources, prompts) with one `server.check` event a run; the
context its tool definitions cost (≈ tokens); one tool called, its arguments checked against
its input schema first.

API (what the CLI and the app use):
- `check(actor, scope, servers=None, *, timeout, parallel, progress) -> list[CheckResult]`
- `last_results(actor, registry scope) -> {server name: CheckResult}` (badges)
- `last_result(actor, server scope) -> CheckResult | None`, `tools(actor, server scope)`
- `registry_tokens(actor, registry scope) -> int` (≈ tokens of every checked server's tools)
- `call(actor, server scope, tool, arguments, *, text_arguments, timeout) -> CallResult`
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import Any

from pylee_tui.runtime.probe import (
    STATES,
    CallResult,
    CheckResult,
    Job,
    Problem,
    Refused,
    context_tokens,
    tool_tokens,
)
from pylee_tui.services.base import Service, one
from pylee_tui.services.errors import InvalidInput, NotFound, PyleeError
from pylee_tui.services.launch import Launch, MissingConfiguration, MissingRuntime
from pylee_tui.services.scope import Scope

__all__ = [
    "STATES",
    "CallFailed",
    "CallResult",
    "CheckResult",
    "CheckService",
    "context_tokens",
    "tool_tokens",
]

Progress = Callable[[int, int, CheckResult], None]


class CallFailed(PyleeError):
    """The server could not be called: `state` says why as a check would (failed, timeout...)."""

    def __init__(self, server: str, state: str, detail: str) -> None:
        self.server, self.state, self.detail = server, state, detail
        super().__init__(f"{server}: {state}: {detail}")


class CheckService(Service):
    def check(
        self,
        actor: str,
        scope: Scope,
        servers: list[str] | None = None,
        *,
        timeout: float = 30.0,
        parallel: int = 4,
        progress: Progress | None = None,
        isolated: bool = False,
    ) -> list[CheckResult]:
        """Check the servers `scope` names (an org: every registry; a registry; a server), or
        only `servers` of a registry, at most `parallel` at once, `timeout` seconds each;
        `progress(done, total, result)` after each. Each result is stored as the server's last;
        one `server.check` event names the servers and their states. VaultLocked is raised
        before any server starts when one needs a secret and the vault is locked. `isolated`
        (the app) checks them in a child process, so none of the work holds the caller's
        interpreter (its UI) up."""
        if timeout <= 0:
            raise InvalidInput("the timeout must be a positive number of seconds")
        if parallel < 1:
            raise InvalidInput("--parallel must be at least 1")
        targets = self._targets(actor, scope, servers)
        if not targets:  # nothing ran: nothing to keep, no event
            return []
        jobs = [self._job(actor, Scope(scope.org, reg, name)) for reg, name in targets]
        results = self._probe(
            jobs, timeout=timeout, parallel=parallel, progress=progress, isolated=isolated
        )
        results = [
            _masked(_with(result, registry=reg), job)
            for result, job, (reg, _name) in zip(results, jobs, targets, strict=True)
        ]
        return self._store(actor, scope.org, results)

    def last_results(self, actor: str, scope: Scope) -> dict[str, CheckResult]:
        """The last check of each checked server of the registry `scope` names, by name."""
        if scope.registry is None:
            raise InvalidInput("name the registry: --registry")
        with self.store.reading() as db:
            org, _member = self.services.access.org_row(db, actor, scope.org)
            reg = self.services.registries.registry_row(db, org, scope.registry)
            rows = db.query(
                "SELECT s.name, c.* FROM servers s JOIN server_checks c ON c.server_id = s.id "
                "WHERE s.registry_id = ? ORDER BY s.name",
                [reg["id"]],
            )
            return {row["name"]: _from_row(row, scope.registry) for row in rows}

    def last_result(self, actor: str, scope: Scope) -> CheckResult | None:
        """The last check of the server `scope` names, or None when it was never checked."""
        server = self.services.registries.get_server(actor, scope)
        with self.store.reading() as db:
            row = one(
                db,
                "SELECT ? AS name, * FROM server_checks WHERE server_id = ?",
                [server.name, server.id],
            )
        return None if row is None else _from_row(row, scope.registry or "")

    def tools(self, actor: str, scope: Scope) -> list[dict[str, Any]]:
        """The tools the server offered at its last check ({name, title, description,
        input_schema}; `tool_tokens(tool)` is one's ≈ tokens); [] when never checked."""
        result = self.last_result(actor, scope)
        return [] if result is None else list(result.tools)

    def registry_tokens(self, actor: str, scope: Scope) -> int:
        """≈ tokens the tool definitions of every checked server of the registry take."""
        return sum(r.tokens for r in self.last_results(actor, scope).values())

    def call(
        self,
        actor: str,
        scope: Scope,
        tool: str,
        arguments: Mapping[str, Any] | None = None,
        *,
        text_arguments: Mapping[str, str] | None = None,
        timeout: float = 60.0,
        isolated: bool = False,
    ) -> CallResult:
        """Call `tool` of the server `scope` names. `arguments` go as given; `text_arguments`
        (a form's fields, `--arg key=value`) are typed by the tool's input schema first:
        integer, number and boolean parsed, else text. Every argument is checked against the
        schema before the call: InvalidInput with one line per problem, nothing called. A
        server that cannot be reached is CallFailed; an error the tool reports is a result
        with `is_error`. `isolated` (the app) calls it from a child process."""
        import anyio

        from pylee_tui.runtime.probe import call_tool

        launch = self._launch(actor, scope, "call")
        given = dict(arguments or {})

        def prepare(definition: dict[str, Any]) -> dict[str, Any]:
            schema = definition.get("input_schema") or {}
            values = {**given, **typed_arguments(schema, text_arguments or {})}
            problems = argument_problems(schema, values)
            if problems:
                raise Refused("\n".join(f"{tool}: {p}" for p in problems))
            return values

        try:
            if isolated:
                from pylee_tui.runtime.child import call_isolated

                return call_isolated(launch, tool, given, text_arguments or {}, timeout)
            return anyio.run(lambda: call_tool(launch, tool, prepare, timeout))
        except Refused as exc:
            raise InvalidInput(launch.mask(str(exc))) from None
        except Problem as problem:
            raise CallFailed(launch.server, problem.state, problem.detail) from None

    def form_problems(
        self, tool: Mapping[str, Any], text_arguments: Mapping[str, str]
    ) -> list[str]:
        """What the tool's input schema (as its last check gave it) refuses in a form's fields,
        one line each (`tool: problem`), before anything is started; `call` checks again
        against the schema the server gives when it is called."""
        schema = tool.get("input_schema") or {}
        values = typed_arguments(schema, text_arguments)
        name = str(tool.get("name", ""))
        return [f"{name}: {problem}" for problem in argument_problems(schema, values)]

    # --- helpers -----------------------------------------------------------------------------

    def _launch(self, actor: str, scope: Scope, purpose: Any) -> Launch:
        try:
            return self.services.launch.launch(actor, scope, purpose=purpose)
        except MissingConfiguration as exc:
            raise CallFailed(exc.server, "missing-config", str(exc)) from None

    def _targets(
        self, actor: str, scope: Scope, servers: list[str] | None
    ) -> list[tuple[str, str]]:
        if scope.server is not None:
            if scope.registry is None:
                raise InvalidInput("a server is named within its registry: --registry")
            return [(scope.registry, scope.server)]
        if servers and scope.registry is None:
            raise InvalidInput("name the registry of those servers: --registry")
        registries = (
            [scope.registry]
            if scope.registry is not None
            else [r.slug for r in self.services.registries.list_registries(actor, scope.org)]
        )
        found: list[tuple[str, str]] = []
        for registry in registries:
            names = [
                s.name
                for s in self.services.registries.list_servers(actor, Scope(scope.org, registry))
            ]
            if servers:
                unknown = [n for n in servers if n not in names]
                if unknown:
                    raise NotFound(
                        f"no server {', '.join(map(repr, unknown))} in registry '{registry}'"
                    )
                names = [n for n in names if n in servers]
            found += [(registry, name) for name in names]
        return found

    def _job(self, actor: str, scope: Scope) -> Job:
        name = scope.server or ""
        try:
            return Job(launch=self.services.launch.launch(actor, scope, purpose="check"))
        except MissingConfiguration as exc:
            detail = f"needs {', '.join(exc.keys)}"
            return Job(
                result=CheckResult(name, "missing-config", detail, missing_keys=tuple(exc.keys))
            )
        except MissingRuntime as exc:
            return Job(result=CheckResult(name, "missing-runtime", str(exc), command=exc.command))
        except InvalidInput as exc:  # a draft, nothing to launch
            return Job(result=CheckResult(name, "failed", str(exc)))

    def _probe(self, jobs: list[Job], *, isolated: bool, **options: Any) -> list[CheckResult]:
        if isolated:
            from pylee_tui.runtime.child import probe_all_isolated

            return probe_all_isolated(jobs, **options)
        from pylee_tui.runtime.probe import probe_all

        return probe_all(jobs, **options)

    def _store(self, actor: str, org_slug: str, results: list[CheckResult]) -> list[CheckResult]:
        """Keep the results (where: a team server's client sends them to the server)."""
        return self.record(actor, org_slug, results)

    def record(self, actor: str, org_slug: str, results: list[CheckResult]) -> list[CheckResult]:
        """Keep each result as its server's last check, as the actor's, now; one `server.check`
        event. (A team server keeps what a member's machine saw: their check, in their name.)"""
        if not results:
            raise InvalidInput("no check result to keep")
        now = self.now()
        stored: list[CheckResult] = []
        with self.store.transaction() as db:
            org, _member = self.services.access.org_row(db, actor, org_slug)
            for result in results:
                result = _with(result, checked_at=now, checked_by=actor)
                row = one(
                    db,
                    "SELECT s.id FROM servers s JOIN registries r ON r.id = s.registry_id "
                    "WHERE r.org_id = ? AND r.slug = ? AND s.name = ?",
                    [org["id"], result.registry, result.server],
                )
                if row is not None:  # removed while it was checked: nothing to keep
                    db.execute(
                        "INSERT OR REPLACE INTO server_checks (server_id, state, checked_at, "
                        "checked_by, summary, tools, resources, prompts) "
                        "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                        [
                            row["id"],
                            result.state,
                            now,
                            actor,
                            json.dumps(result.summary(), sort_keys=True),
                            json.dumps(list(result.tools), sort_keys=True),
                            json.dumps(list(result.resources), sort_keys=True),
                            json.dumps(list(result.prompts), sort_keys=True),
                        ],
                    )
                stored.append(result)
            registries = sorted({r.registry for r in stored})
            self.services.audit.record(
                db,
                actor,
                org,
                "server.check",
                "org",
                org["id"],
                registries[0] if len(registries) == 1 else org["slug"],
                {
                    "registries": registries,
                    "servers": [
                        {"registry": r.registry, "server": r.server, "state": r.state}
                        for r in stored
                    ],
                },
            )
        return stored


def _masked(result: CheckResult, job: Job) -> CheckResult:
    """The result with every secret value the server was started with masked wherever the
    server's own words carry it (its tools, resources and prompts, as its detail already is):
    what is kept never holds one."""
    launch = job.launch
    if launch is None or not any(launch.secret_values):
        return result

    def clean(value: Any) -> Any:
        if isinstance(value, str):
            return launch.mask(value)
        if isinstance(value, dict):
            return {clean(k): clean(v) for k, v in value.items()}
        if isinstance(value, list | tuple):
            return type(value)(clean(v) for v in value)
        return value

    return _with(
        result,
        tools=clean(result.tools),
        resources=clean(result.resources),
        prompts=clean(result.prompts),
        server_name=clean(result.server_name),
        server_version=clean(result.server_version),
    )


def _with(result: CheckResult, **changes: Any) -> CheckResult:
    from dataclasses import replace

    return replace(result, **changes)


def _from_row(row: Mapping[str, Any], registry: str) -> CheckResult:
    summary = json.loads(row["summary"] or "{}")
    summary.update(
        server=row["name"],
        registry=registry,
        state=row["state"],
        checked_at=row["checked_at"],
        checked_by=row["checked_by"],
    )
    return CheckResult.from_stored(
        summary,
        json.loads(row["tools"] or "[]"),
        json.loads(row["resources"] or "[]"),
        json.loads(row["prompts"] or "[]"),
    )


# --- arguments against a tool's input schema -----------------------------------------------

_TRUE, _FALSE = {"true", "yes", "1", "on"}, {"false", "no", "0", "off"}


def typed_arguments(schema: Mapping[str, Any], text: Mapping[str, str]) -> dict[str, Any]:
    """Text values typed by the property's schema: integer, number and boolean parsed (a value
    that does not parse stays text, for the schema check to name), else text as given."""
    properties = schema.get("properties") if isinstance(schema, Mapping) else None
    properties = properties if isinstance(properties, Mapping) else {}
    typed: dict[str, Any] = {}
    for key, value in text.items():
        wanted = _types_of(properties.get(key))
        typed[key] = _parse(value, wanted)
    return typed


def _types_of(prop: Any) -> list[str]:
    if not isinstance(prop, Mapping):
        return []
    kind = prop.get("type")
    kinds = [kind] if isinstance(kind, str) else list(kind) if isinstance(kind, list) else []
    for option in prop.get("anyOf") or prop.get("oneOf") or []:
        kinds += _types_of(option)
    return kinds


def _parse(value: str, kinds: list[str]) -> Any:
    for kind in kinds:
        if kind == "integer":
            try:
                return int(value)
            except ValueError:
                continue
        if kind == "number":
            try:
                return float(value) if any(c in value for c in ".eE") else int(value)
            except ValueError:
                continue
        if kind == "boolean" and value.lower() in _TRUE | _FALSE:
            return value.lower() in _TRUE
        if kind in ("object", "array"):
            try:
                return json.loads(value)
            except ValueError:
                continue
    return value


def argument_problems(schema: Mapping[str, Any], values: Mapping[str, Any]) -> list[str]:
    """One line per way `values` break the input schema, naming the argument; [] when fine."""
    import jsonschema

    if not isinstance(schema, Mapping) or not schema:
        return []
    try:
        validator_class = jsonschema.validators.validator_for(schema)
        validator = validator_class(schema)
        errors = sorted(validator.iter_errors(dict(values)), key=lambda e: list(e.path))
    except jsonschema.SchemaError as exc:
        return [f"its input schema is invalid: {exc.message}"]
    problems = []
    for error in errors:
        where = ".".join(str(p) for p in error.absolute_path)
        if error.validator == "required":
            problems.append(f"{error.message.split(' is a required')[0]} is required")
        elif error.validator == "additionalProperties":
            problems.append(f"unexpected argument: {error.message}")
        else:
            problems.append(f"{where or 'arguments'}: {_short(error.message)}")
    return problems


def _short(message: str) -> str:
    message = " ".join(message.split())
    return message if len(message) <= 160 else message[:159] + "…"
