"""Checking servers: each one started (or reached), initialized, its tools (every page),
resources and prompts listed, within a time per server, several at once; each ends in one
honest state (`STATES`), its reason told with every secret masked. Also calling one tool."""

from __future__ import annotations

import json
import math
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, replace
from typing import Any

import anyio

from pylee_tui.runtime.session import Seen, clip, leaves, open_session
from pylee_tui.services.launch import Launch

STATES = (
    "ok",
    "missing-config",
    "missing-runtime",
    "needs-auth",
    "failed",
    "timeout",
    "protocol-error",
)
# exit status a shell gives a command it cannot find
NOT_FOUND_STATUS = 127


@dataclass(frozen=True)
class CheckResult:
    """How one server answered a check. `state` is one of STATES; `detail` is one line (masked)
    saying why, or what answered. Tools are dicts {name, title, description, input_schema};
    resources {uri, name, description, mime_type}; prompts {name, description, arguments}.
    `registry`, `checked_at` and `checked_by` are filled by the service."""

    server: str
    state: str
    detail: str = ""
    registry: str = ""
    server_name: str = ""  # what the server calls itself (initialize's serverInfo)
    server_version: str = ""
    protocol_version: str = ""
    init_ms: int | None = None  # time to initialize, process start included
    elapsed_ms: int | None = None  # the whole check
    tools: tuple[dict[str, Any], ...] = ()
    resources: tuple[dict[str, Any], ...] = ()
    prompts: tuple[dict[str, Any], ...] = ()
    missing_keys: tuple[str, ...] = ()
    command: str = ""  # missing-runtime: the command not on PATH
    exit_status: int | None = None  # failed: how the process ended
    stderr_tail: tuple[str, ...] = ()  # failed: its last lines, masked
    checked_at: str = ""
    checked_by: str = ""

    @property
    def ok(self) -> bool:
        return self.state == "ok"

    @property
    def tokens(self) -> int:
        """≈ tokens the tool definitions take in a model's context (characters ÷ 4)."""
        return context_tokens(self.tools)

    def summary(self) -> dict[str, Any]:
        """Everything but the tools, resources and prompts, as stored and as `--json` prints."""
        data = asdict(self)
        for name in ("tools", "resources", "prompts"):
            data.pop(name)
        data["counts"] = {
            "tools": len(self.tools),
            "resources": len(self.resources),
            "prompts": len(self.prompts),
        }
        data["tokens"] = self.tokens
        return data

    def as_json(self) -> dict[str, Any]:
        return {
            **self.summary(),
            "tools": list(self.tools),
            "resources": list(self.resources),
            "prompts": list(self.prompts),
        }

    @classmethod
    def from_stored(
        cls, summary: dict[str, Any], tools: list, resources: list, prompts: list
    ) -> CheckResult:
        known = {f for f in cls.__dataclass_fields__ if f not in ("tools", "resources", "prompts")}
        data = {k: v for k, v in summary.items() if k in known}
        for name in ("missing_keys", "stderr_tail"):
            data[name] = tuple(data.get(name) or ())
        return cls(**data, tools=tuple(tools), resources=tuple(resources), prompts=tuple(prompts))


def tool_tokens(tool: dict[str, Any]) -> int:
    """≈ tokens one tool definition takes: name, description and input schema, ÷ 4."""
    return math.ceil(tool_chars(tool) / 4)


def tool_chars(tool: dict[str, Any]) -> int:
    schema = json.dumps(tool.get("input_schema") or {}, ensure_ascii=False, sort_keys=True)
    return len(tool.get("name") or "") + len(tool.get("description") or "") + len(schema)


def context_tokens(tools: Sequence[dict[str, Any]]) -> int:
    """≈ tokens a list of tool definitions takes (characters ÷ 4, rounded up)."""
    return math.ceil(sum(tool_chars(t) for t in tools) / 4)


class Refused(Exception):
    """A call refused before it was made (no such tool, arguments its schema rejects)."""


class Problem(Exception):
    """A server that did not answer as a server should: its state and one line why."""

    def __init__(self, state: str, detail: str, **extra: Any) -> None:
        super().__init__(detail)
        self.state, self.detail, self.extra = state, detail, extra


def explain(seen: Seen, errors: Sequence[BaseException], timeout: float) -> Problem:
    """The state and reason for what went wrong talking to a server (errors from the SDK,
    ungrouped), from the most telling evidence: an auth challenge, a line that was not
    JSON-RPC, a process that ended, an HTTP failure, the clock."""
    from mcp.shared.exceptions import MCPError
    from mcp_types import CONNECTION_CLOSED, REQUEST_TIMEOUT

    launch = seen.launch
    if seen.http_status == 401 or seen.www_authenticate:
        challenge = (
            f" ({clip(launch.mask(seen.www_authenticate), 80)})" if seen.www_authenticate else ""
        )
        return Problem(
            "needs-auth",
            f"HTTP {seen.http_status or 401}: the server asks for credentials{challenge}",
        )
    if seen.bad_output:
        return Problem("protocol-error", seen.bad_output)
    tail, status = seen.stderr_tail()
    codes = {e.code for e in errors if isinstance(e, MCPError)}
    if launch.kind == "stdio" and status not in (None, 0):
        if status == NOT_FOUND_STATUS and any("not found" in line for line in tail[-2:]):
            return Problem(
                "missing-runtime", f"{launch.argv[0]} is not on PATH", command=launch.argv[0]
            )
        last = f": {tail[-1]}" if tail else ""
        return Problem(
            "failed", f"exited with status {status}{last}", exit_status=status, stderr_tail=tail
        )
    if REQUEST_TIMEOUT in codes or any(isinstance(e, TimeoutError) for e in errors):
        return Problem("timeout", f"no answer within {timeout:g} s")
    if launch.kind == "stdio" and CONNECTION_CLOSED in codes:
        last = f": {tail[-1]}" if tail else ""
        return Problem(
            "failed", f"closed the connection{last}", exit_status=status, stderr_tail=tail
        )
    if seen.http_status is not None:
        return Problem(
            "failed", f"HTTP {seen.http_status} from {clip(launch.mask(launch.url), 100)}"
        )
    for error in errors:
        if isinstance(error, FileNotFoundError) and launch.kind == "stdio":
            return Problem(
                "missing-runtime", f"{launch.argv[0]} is not on PATH", command=launch.argv[0]
            )
    import httpx2

    for error in errors:
        if isinstance(error, httpx2.HTTPStatusError):
            code = error.response.status_code
            state = "needs-auth" if code == 401 else "failed"
            return Problem(state, f"HTTP {code} from {clip(launch.mask(launch.url), 100)}")
        if isinstance(error, httpx2.TransportError):
            why = clip(launch.mask(str(error) or type(error).__name__), 100)
            return Problem("failed", f"cannot reach {clip(launch.mask(launch.url), 100)}: {why}")
    for error in errors:
        if isinstance(error, MCPError):
            return Problem(
                "protocol-error", clip(launch.mask(f"the server answered: {error.message}"), 160)
            )
    error = errors[0] if errors else RuntimeError("no answer")
    text = clip(launch.mask(f"{type(error).__name__}: {error}"), 160)
    return Problem("failed", text, exit_status=status, stderr_tail=tail)


async def _all_pages(fetch: Callable[..., Any], items: str) -> list[Any]:
    from mcp_types import PaginatedRequestParams

    found: list[Any] = []
    cursor: str | None = None
    for _page in range(1000):  # a server whose cursor never ends still ends here
        page = await fetch(params=PaginatedRequestParams(cursor=cursor) if cursor else None)
        found.extend(getattr(page, items))
        cursor = page.next_cursor
        if not cursor:
            break
    return found


def _tool(tool: Any) -> dict[str, Any]:
    return {
        "name": tool.name,
        "title": getattr(tool, "title", None) or "",
        "description": tool.description or "",
        "input_schema": tool.input_schema or {},
    }


def _resource(resource: Any) -> dict[str, Any]:
    return {
        "uri": str(resource.uri),
        "name": resource.name,
        "description": resource.description or "",
        "mime_type": resource.mime_type or "",
    }


def _prompt(prompt: Any) -> dict[str, Any]:
    return {
        "name": prompt.name,
        "description": prompt.description or "",
        "arguments": [
            {"name": a.name, "description": a.description or "", "required": bool(a.required)}
            for a in prompt.arguments or []
        ],
    }


async def list_tools(session: Any) -> list[dict[str, Any]]:
    return [_tool(t) for t in await _all_pages(session.list_tools, "tools")]


async def probe(launch: Launch, timeout: float = 30.0) -> CheckResult:
    """Start (or reach) the server, initialize it and list what it offers, within `timeout`
    seconds. Never raises for anything the server does; the result holds no secret."""
    missing = launch.runtime_missing(launch.environment().get("PATH"))
    if missing:
        return CheckResult(
            launch.server, "missing-runtime", f"{missing} is not on PATH", command=missing
        )
    seen = Seen(launch)
    started = time.perf_counter()
    result: CheckResult | None = None
    errors: list[BaseException] = []
    with anyio.move_on_after(timeout) as scope:
        seen.abort = scope
        try:
            async with open_session(launch, seen, timeout) as session:
                init = await session.initialize()
                init_ms = round((time.perf_counter() - started) * 1000)
                capabilities = init.capabilities
                tools = await list_tools(session) if capabilities.tools else []
                resources = (
                    [_resource(r) for r in await _all_pages(session.list_resources, "resources")]
                    if capabilities.resources
                    else []
                )
                prompts = (
                    [_prompt(p) for p in await _all_pages(session.list_prompts, "prompts")]
                    if capabilities.prompts
                    else []
                )
                result = CheckResult(
                    launch.server,
                    "ok",
                    clip(
                        launch.mask(
                            f"{init.server_info.name} {init.server_info.version or ''}"
                        ).strip(),
                        120,
                    ),
                    server_name=launch.mask(init.server_info.name),
                    server_version=launch.mask(init.server_info.version or ""),
                    protocol_version=str(init.protocol_version),
                    init_ms=init_ms,
                    tools=tuple(tools),
                    resources=tuple(resources),
                    prompts=tuple(prompts),
                )
        except* Exception as group:
            errors = list(leaves(group))
    elapsed = round((time.perf_counter() - started) * 1000)
    if result is not None and not seen.bad_output:
        return replace(result, elapsed_ms=elapsed)
    if scope.cancelled_caught and not seen.bad_output and not errors:
        errors = [TimeoutError()]
    problem = explain(seen, errors, timeout)
    return CheckResult(
        launch.server, problem.state, problem.detail, elapsed_ms=elapsed, **_extra(problem)
    )


def _extra(problem: Problem) -> dict[str, Any]:
    extra = dict(problem.extra)
    if "stderr_tail" in extra:
        extra["stderr_tail"] = tuple(extra["stderr_tail"])
    return extra


@dataclass
class Job:
    """One server to check: its launch, or the result it already has (it could not launch)."""

    launch: Launch | None = None
    result: CheckResult | None = None


class Tally:
    """The results of a run of jobs in the jobs' order, and the progress told as each lands
    (those known before any server starts first)."""

    def __init__(
        self, jobs: Sequence[Job], progress: Callable[[int, int, CheckResult], None] | None
    ) -> None:
        self.results: list[CheckResult | None] = [job.result for job in jobs]
        self.progress, self.finished = progress, 0
        self.to_start = {
            i: job.launch
            for i, job in enumerate(jobs)
            if job.result is None and job.launch is not None
        }
        for result in self.results:
            if result is not None:
                self._told(result)

    def land(self, index: int, result: CheckResult) -> None:
        self.results[index] = result
        self._told(result)

    def _told(self, result: CheckResult) -> None:
        self.finished += 1
        if self.progress is not None:
            self.progress(self.finished, len(self.results), result)

    def answers(self) -> list[CheckResult]:
        return [r for r in self.results if r is not None]


def probe_all(
    jobs: Sequence[Job],
    *,
    timeout: float = 30.0,
    parallel: int = 4,
    progress: Callable[[int, int, CheckResult], None] | None = None,
) -> list[CheckResult]:
    """Check every job, at most `parallel` at once, in one event loop; `progress(done, total,
    result)` after each. Results come back in the jobs' order."""
    tally = Tally(jobs, progress)

    async def main() -> None:
        limiter = anyio.CapacityLimiter(max(1, parallel))

        async def one(index: int, launch: Launch) -> None:
            async with limiter:
                result = await probe(launch, timeout)
            tally.land(index, result)

        async with anyio.create_task_group() as tg:
            for index, launch in tally.to_start.items():
                tg.start_soon(one, index, launch)

    if tally.to_start:
        anyio.run(main)
    return tally.answers()


# --- calling one tool ----------------------------------------------------------------------


@dataclass(frozen=True)
class CallResult:
    """What a tool answered: its text content joined as `text`, every other content item (an
    image, a resource...) as JSON in `content`, its structured content, and whether the server
    called it an error (then `text` is the server's error text)."""

    server: str
    tool: str
    is_error: bool
    text: str
    content: tuple[dict[str, Any], ...] = ()
    structured: dict[str, Any] | None = None

    def as_json(self) -> dict[str, Any]:
        return {**asdict(self), "content": list(self.content)}


async def call_tool(
    launch: Launch,
    tool: str,
    prepare: Callable[[dict[str, Any]], dict[str, Any]],
    timeout: float = 60.0,
) -> CallResult:
    """Start (or reach) the server, list its tools, let `prepare(tool)` turn the caller's
    arguments into the ones to send (it raises Refused: nothing is called), call the tool.
    A server that does not answer as one raises Problem (state, masked reason)."""
    missing = launch.runtime_missing(launch.environment().get("PATH"))
    if missing:
        raise Problem("missing-runtime", f"{missing} is not on PATH", command=missing)
    seen = Seen(launch)
    refused: BaseException | None = None
    errors: list[BaseException] = []
    answer: CallResult | None = None
    with anyio.move_on_after(timeout) as scope:
        seen.abort = scope
        try:
            async with open_session(launch, seen, timeout) as session:
                await session.initialize()
                tools = {t["name"]: t for t in await list_tools(session)}
                if tool not in tools:
                    offered = ", ".join(sorted(tools)) or "none"
                    raise Refused(f"{launch.server} has no tool {tool!r} (it offers: {offered})")
                arguments = prepare(tools[tool])
                result = await session.call_tool(tool, arguments)
                answer = _call_result(launch, tool, result)
        except* Refused as group:
            refused = next(iter(leaves(group)))
        except* Exception as group:
            errors = list(leaves(group))
    if refused is not None:
        raise refused
    if answer is not None:
        return answer
    if scope.cancelled_caught and not seen.bad_output and not errors:
        errors = [TimeoutError()]
    raise explain(seen, errors, timeout)


def _call_result(launch: Launch, tool: str, result: Any) -> CallResult:
    texts: list[str] = []
    others: list[dict[str, Any]] = []
    for item in result.content:
        if getattr(item, "type", None) == "text":
            texts.append(item.text)
        else:
            others.append(item.model_dump(mode="json", by_alias=True, exclude_none=True))
    return CallResult(
        launch.server,
        tool,
        bool(result.is_error),
        "\n".join(texts),
        tuple(others),
        result.structured_content,
    )
