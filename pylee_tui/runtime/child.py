"""Checks and calls in a child process, for the app.

A check runs the MCP SDK, an event loop and JSON parsing for every message a server sends; in
a worker thread of the app all of that (and the SDK's 0.6 s of imports, the first time) holds
the interpreter's lock the UI needs, and the keys stalled for 200-700 ms. In a child process
it holds nothing of ours: the app's worker only waits on a pipe.

The request (the launches, secrets included) goes to the child on its stdin, never in its argv
or environment; the answers come back one JSON line each on its stdout: a check's result as
soon as the server has answered (the app's progress bar follows them), then the end."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, fields
from typing import Any

from pylee_tui.runtime.probe import CallResult, CheckResult, Job, Problem, Refused, Tally
from pylee_tui.services.errors import PyleeError
from pylee_tui.services.launch import NOT_INHERITED, Launch
from pylee_tui.services.scope import Scope

# the fields JSON gives back as lists: tools, resources, prompts, missing keys, stderr's tail
_TUPLES = {f.name for f in fields(CheckResult) if f.default == ()}


def probe_all_isolated(
    jobs: Sequence[Job],
    *,
    timeout: float = 30.0,
    parallel: int = 4,
    progress: Callable[[int, int, CheckResult], None] | None = None,
) -> list[CheckResult]:
    """What `probe.probe_all` answers, each server checked by a child process."""
    tally = Tally(jobs, progress)
    if tally.to_start:
        request = {
            "do": "check",
            "timeout": timeout,
            "parallel": parallel,
            "jobs": {str(i): launch_to_json(launch) for i, launch in tally.to_start.items()},
        }
        for answer in _exchange(request, list(tally.to_start.values())):
            if "index" in answer:
                tally.land(int(answer["index"]), result_from_json(answer["result"]))
    return tally.answers()


def call_isolated(
    launch: Launch,
    tool: str,
    arguments: Mapping[str, Any],
    text_arguments: Mapping[str, str],
    timeout: float = 60.0,
) -> CallResult:
    """What `probe.call_tool` answers, the server called by a child process; the arguments are
    typed and checked against the tool's schema there (Refused: nothing called)."""
    request = {
        "do": "call",
        "launch": launch_to_json(launch),
        "tool": tool,
        "arguments": dict(arguments),
        "text_arguments": dict(text_arguments),
        "timeout": timeout,
    }
    for answer in _exchange(request, [launch]):
        if "refused" in answer:
            raise Refused(answer["refused"])
        if "problem" in answer:
            problem = answer["problem"]
            raise Problem(problem["state"], problem["detail"], **problem.get("extra", {}))
        if "call" in answer:
            found = answer["call"]
            return CallResult(**{**found, "content": tuple(found.get("content") or ())})
    raise PyleeError(f"{launch.server}: the call gave no answer")


def _exchange(request: dict[str, Any], launches: list[Launch]) -> Any:
    """Start the child, hand it `request`, yield its answers as they come."""
    env = {k: v for k, v in os.environ.items() if k not in NOT_INHERITED}
    with tempfile.TemporaryFile("w+", encoding="utf-8", errors="replace") as errors:
        child = subprocess.Popen(
            [sys.executable, "-m", "pylee_tui.runtime.child"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=errors,
            env=env,
            text=True,
            encoding="utf-8",
        )
        assert child.stdin is not None and child.stdout is not None
        try:
            child.stdin.write(json.dumps(request))
            child.stdin.close()
            ended = False
            for line in child.stdout:
                answer = json.loads(line)
                if answer.get("end"):
                    ended = True
                    break
                yield answer
        finally:
            child.stdout.close()
            status = child.wait()
        if not ended or status != 0:
            errors.seek(0)
            last = [line for line in errors.read().splitlines() if line.strip()][-1:]
            said = last[0] if last else f"exit status {status}"
            for launch in launches:
                said = launch.mask(said)
            raise PyleeError(f"the check could not run: {said[:200]}")


# --- what crosses the pipe -------------------------------------------------------------------


def launch_to_json(launch: Launch) -> dict[str, Any]:
    data = asdict(launch)
    data["env"], data["headers"] = dict(launch.env), dict(launch.headers)
    return data


def launch_from_json(data: Mapping[str, Any]) -> Launch:
    return Launch(
        server=data["server"],
        scope=Scope(**data["scope"]),
        kind=data["kind"],
        argv=tuple(data["argv"]),
        env=dict(data["env"]),
        url=data["url"],
        transport=data["transport"],
        headers=dict(data["headers"]),
        secret_keys=tuple(data["secret_keys"]),
        secret_values=tuple(data["secret_values"]),
        warnings=tuple(data["warnings"]),
    )


def result_to_json(result: CheckResult) -> dict[str, Any]:
    return asdict(result)


def result_from_json(data: Mapping[str, Any]) -> CheckResult:
    values: dict[str, Any] = {k: tuple(v) if k in _TUPLES else v for k, v in data.items()}
    return CheckResult(**values)


# --- the child ---------------------------------------------------------------------------


def _say(answer: dict[str, Any]) -> None:
    sys.stdout.write(json.dumps(answer) + "\n")
    sys.stdout.flush()


def main() -> int:
    request = json.loads(sys.stdin.read())
    if request["do"] == "check":
        _check(request)
    else:
        _call(request)
    _say({"end": True})
    return 0


def _check(request: dict[str, Any]) -> None:
    """Each server checked, `parallel` at once; each result said as soon as it is known."""
    import anyio

    from pylee_tui.runtime.probe import probe

    async def run() -> None:
        limiter = anyio.CapacityLimiter(max(1, int(request["parallel"])))

        async def one(index: str, launch: Launch) -> None:
            async with limiter:
                result = await probe(launch, request["timeout"])
            _say({"index": index, "result": result_to_json(result)})

        async with anyio.create_task_group() as tg:
            for index, data in request["jobs"].items():
                tg.start_soon(one, index, launch_from_json(data))

    anyio.run(run)


def _call(request: dict[str, Any]) -> None:
    import anyio

    from pylee_tui.runtime.probe import call_tool
    from pylee_tui.services.checks import argument_problems, typed_arguments

    launch = launch_from_json(request["launch"])
    tool = request["tool"]

    def prepare(definition: dict[str, Any]) -> dict[str, Any]:
        schema = definition.get("input_schema") or {}
        values = {**request["arguments"], **typed_arguments(schema, request["text_arguments"])}
        problems = argument_problems(schema, values)
        if problems:
            raise Refused("\n".join(f"{tool}: {p}" for p in problems))
        return values

    try:
        result = anyio.run(lambda: call_tool(launch, tool, prepare, request["timeout"]))
    except Refused as exc:
        _say({"refused": str(exc)})
    except Problem as problem:
        extra = {k: v for k, v in problem.extra.items() if isinstance(v, str | int | None)}
        _say({"problem": {"state": problem.state, "detail": problem.detail, "extra": extra}})
    else:
        _say({"call": {**asdict(result), "content": list(result.content)}})


if __name__ == "__main__":
    sys.exit(main())
