"""`check`: start (or reach) servers with their effective configuration and say, for each,
one honest state, what it offers and what its tools cost in context (≈ tokens)."""

from __future__ import annotations

import argparse
import functools
from typing import TYPE_CHECKING, Any

from pylee_tui.services import Scope
from pylee_tui.summaries import plural

from .context import Context
from .output import cell, emit_json, emit_table
from .parser import CliParser, Commands, json_flag, org_option, positive_int
from .unlock import with_vault

if TYPE_CHECKING:
    from pylee_tui.services.checks import CheckResult

BAR_WIDTH = 20


def seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of seconds") from None
    if not 0 < value <= 3600:
        raise argparse.ArgumentTypeError(f"must be more than 0 and at most 3600 (got {text})")
    return value


def check_servers_named(parser: CliParser, args: argparse.Namespace) -> None:
    if args.server and not args.registry:
        parser.error("naming servers needs --registry: a server is named within its registry")


def detail(result: CheckResult) -> str:
    if result.state == "ok":
        return f"{result.server_name} {result.server_version} ({result.protocol_version})"
    return result.detail


def cmd_check(ctx: Context) -> int:
    a = ctx.args
    err = ctx.err
    show_bar = not a.json and err.isatty()

    def progress(done: int, total: int, result: CheckResult) -> None:
        if show_bar:
            filled = BAR_WIDTH * done // max(total, 1)
            bar = "█" * filled + "·" * (BAR_WIDTH - filled)
            err.write(f"\r{bar} {done}/{total} {cell(result.server, 40):<40}")
            err.flush()

    results = with_vault(
        ctx,
        lambda: ctx.services.checks.check(
            ctx.user,
            Scope(a.org, a.registry),
            a.server or None,
            timeout=a.timeout,
            parallel=a.parallel,
            progress=progress,
        ),
    )
    if show_bar:
        err.write("\r" + " " * (BAR_WIDTH + 50) + "\r")
    if a.json:
        emit_json([r.as_json() for r in results], ctx.out)
        return 0 if all(r.ok for r in results) else 1
    if not results:
        ctx.out.write("No servers to check.\n")
        return 0
    registries = sorted({r.registry for r in results})
    rows: list[tuple[Any, ...]] = []
    for r in results:
        name = r.server if len(registries) == 1 else f"{r.registry}/{r.server}"
        rows.append(
            (
                cell(name, 40),
                r.state,
                cell(detail(r), 60),
                len(r.tools) if r.ok else "",
                f"≈{r.tokens:,}" if r.ok else "",
                "" if r.elapsed_ms is None else f"{r.elapsed_ms:,}",
            )
        )
    emit_table(["SERVER", "STATE", "DETAIL", "TOOLS", "TOKENS", "MS"], rows, ctx.out)
    for r in results:
        if r.stderr_tail:
            ctx.out.write(f"\n{cell(r.server, 0)} stderr (last lines):\n")
            for line in r.stderr_tail:
                ctx.out.write(f"  {cell(line, 0)}\n")
    ok = sum(1 for r in results if r.ok)
    tokens = {reg: sum(r.tokens for r in results if r.registry == reg) for reg in registries}
    totals = ", ".join(f"{reg} ≈{n:,} tokens" for reg, n in tokens.items())
    ctx.out.write(f"\n{ok} of {plural(len(results), 'server')} ok; tool definitions: {totals}\n")
    return 0 if ok == len(results) else 1


def register(commands: Commands) -> None:
    p = commands.command(
        "check", cmd_check, "start each server, list its tools, resources and prompts"
    )
    org_option(p)
    p.add_argument("--registry", metavar="SLUG", help="one registry (default: every one)")
    p.add_argument("server", metavar="SERVER", nargs="*", help="only these servers")
    json_flag(p)
    p.add_argument(
        "--timeout", metavar="S", type=seconds, default=30.0, help="seconds per server (30)"
    )
    p.add_argument(
        "--parallel", metavar="N", type=positive_int, default=4, help="servers at once (4)"
    )
    p.set_defaults(check=functools.partial(check_servers_named, p))
