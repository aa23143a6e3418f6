"""`call`: call one tool of a server and print what it answers (text as text, the rest as
JSON); its arguments are checked against the tool's input schema before the call."""

from __future__ import annotations

import json
from typing import Any

from pylee_tui.safe_text import escape_json
from pylee_tui.services import InvalidInput, Scope

from .check import seconds
from .context import Context
from .output import emit_json
from .parser import PROG, Commands, json_flag, registry_options
from .unlock import with_vault


def parse_pairs(pairs: list[str]) -> dict[str, str]:
    found: dict[str, str] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise InvalidInput(f"--arg takes key=value, not {pair!r}")
        found[key.strip()] = value
    return found


def parse_json_args(text: str | None) -> dict[str, Any]:
    if not text:
        return {}
    try:
        value = json.loads(text)
    except ValueError as exc:
        raise InvalidInput(f"--json-args is not JSON: {exc}") from None
    if not isinstance(value, dict):
        raise InvalidInput("--json-args must be a JSON object of the tool's arguments")
    return value


def cmd_call(ctx: Context) -> int:
    a = ctx.args
    text_arguments = parse_pairs(a.arg or [])
    arguments = parse_json_args(a.json_args)
    try:
        result = with_vault(
            ctx,
            lambda: ctx.services.checks.call(
                ctx.user,
                Scope(a.org, a.registry, a.name),
                a.tool,
                arguments,
                text_arguments=text_arguments,
                timeout=a.timeout,
            ),
        )
    except InvalidInput as exc:  # one line per problem of the arguments
        for line in str(exc).splitlines():
            ctx.err.write(f"{PROG}: {' '.join(line.split())}\n")
        return 1
    if a.json:
        emit_json(result.as_json(), ctx.out)
        return 1 if result.is_error else 0
    if result.is_error:
        ctx.err.write(f"{PROG}: {a.tool} failed: {' '.join(result.text.split())}\n")
        return 1
    if result.text:
        ctx.out.write(result.text.rstrip("\n") + "\n")
    for item in result.content:
        ctx.out.write(escape_json(json.dumps(item, indent=2, ensure_ascii=False)) + "\n")
    if not result.text and not result.content and result.structured is not None:
        ctx.out.write(
            escape_json(json.dumps(result.structured, indent=2, ensure_ascii=False)) + "\n"
        )
    return 0


def register(commands: Commands) -> None:
    p = commands.command("call", cmd_call, "call one tool of a server and print its result")
    p.add_argument("name", metavar="SERVER", help="the server's name")
    p.add_argument("tool", metavar="TOOL", help="the tool's name (see `check --json`)")
    registry_options(p)
    p.add_argument(
        "--arg",
        metavar="KEY=VALUE",
        action="append",
        help="an argument, typed by the tool's schema (repeatable)",
    )
    p.add_argument("--json-args", metavar="JSON", help="the arguments as one JSON object")
    p.add_argument("--timeout", metavar="S", type=seconds, default=60.0, help="seconds (60)")
    json_flag(p)
