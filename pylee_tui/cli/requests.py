"""`request list|show|approve|reject`: change requests on registries that require approval."""

from __future__ import annotations

import argparse
import functools
import re
import shutil
from collections.abc import Callable
from typing import TYPE_CHECKING

from pylee_tui.services import PyleeError

from .context import Context
from .output import cell, emit_json, emit_table, stream_json
from .parser import PROG, Commands, json_flag, positive_int

if TYPE_CHECKING:
    from pylee_tui.services.approvals import ChangeRequest

STATES = ("open", "approved", "rejected", "all")
# approvals.MAX_ID, the largest integer SQLite holds (not imported: it loads jsonschema)
MAX_NUMBER = 2**63 - 1


def request_number(text: str) -> int:
    """A request number for argparse: ASCII digits only (int() would also read '٣', '+1',
    '1_0' or ' 1'), from 1 to the largest number the store holds."""
    if re.fullmatch(r"[0-9]+", text) is None:
        shown = text if len(text) <= 24 else text[:20] + "…"
        raise argparse.ArgumentTypeError(f"{shown!r} is not a request number (digits 0-9)")
    return positive_int(text, maximum=MAX_NUMBER)


def json_when_requested(command: Callable[[Context], int]) -> Callable[[Context], int]:
    """For a command with --json whose change may wait for approval: with --json, the change
    request it opened is said in JSON (`change_request`, `state`, `summary`) on stdout, exit
    0, as the plain line is without it."""

    @functools.wraps(command)
    def run(ctx: Context) -> int:
        try:
            return command(ctx)
        except PyleeError as exc:
            request = getattr(exc, "request", None)
            if request is None or type(exc).__name__ != "ChangeRequested":
                raise
            if not getattr(ctx.args, "json", False):
                raise
            emit_json(
                {"change_request": request.id, "state": request.state, "summary": request.summary},
                ctx.out,
            )
            return 0

    return run


def cmd_request_list(ctx: Context) -> int:
    args = ctx.args
    requests = ctx.services.approvals.list_requests(
        ctx.user, args.org, registry=args.registry, state=args.state
    )
    if args.json:
        stream_json((r.as_json() for r in requests), ctx.raw_out)
        return 0
    if not requests:
        where = f" in '{args.org}'" if args.org else ""
        which = "" if args.state == "all" else f"{args.state} "
        ctx.out.write(f"No {which}change requests{where}.\n")
        return 0
    rows = [
        [
            str(r.id),
            r.state,
            r.org,
            r.registry,
            r.requested_by,
            r.requested_at[:16].replace("T", " "),
            r.summary,
        ]
        for r in requests
    ]
    width = _change_width(ctx, rows)
    for row in rows:
        row[-1] = cell(row[-1], width)
    emit_table(["#", "STATE", "ORG", "REGISTRY", "BY", "REQUESTED (UTC)", "CHANGE"], rows, ctx.out)
    return 0


def _change_width(ctx: Context, rows: list[list[str]]) -> int:
    """The CHANGE column takes the rest of the terminal's line (at least 40 cells); to a pipe
    or a file, it is whole (0: no limit)."""
    if not ctx.raw_out.isatty():
        return 0
    from rich.cells import cell_len

    headers = ["#", "STATE", "ORG", "REGISTRY", "BY", "REQUESTED (UTC)"]
    used = sum(
        max([cell_len(h)] + [cell_len(row[i]) for row in rows]) + 2 for i, h in enumerate(headers)
    )
    return max(40, shutil.get_terminal_size().columns - used)


def describe(request: ChangeRequest) -> str:
    lines = [
        f"Change request #{request.id} ({request.state}) in {request.org}/{request.registry}",
        f"Change: {request.summary}",
        f"Requested by {request.requested_by} at {request.requested_at[:19].replace('T', ' ')} UTC",
    ]
    if request.decided_by:
        decided = (request.decided_at or "")[:19].replace("T", " ")
        lines.append(f"{request.state.capitalize()} by {request.decided_by} at {decided} UTC")
    if request.comment:
        lines.append(f"Comment: {request.comment}")
    lines += ["", request.diff]
    return "\n".join(lines) + "\n"


def cmd_request_show(ctx: Context) -> int:
    request = ctx.services.approvals.get_request(ctx.user, ctx.args.number)
    if ctx.args.json:
        emit_json(request.as_json(), ctx.out)
        return 0
    ctx.out.write(describe(request))
    if request.state == "open":
        ctx.out.write(
            f"\nDecide: {PROG} request approve {request.id} [--comment C] | "
            f"{PROG} request reject {request.id} --comment C\n"
        )
    return 0


def cmd_request_approve(ctx: Context) -> int:
    request = ctx.services.approvals.approve(
        ctx.user, ctx.args.number, comment=ctx.args.comment or ""
    )
    ctx.out.write(f"Approved change request #{request.id}: {request.summary} (applied).\n")
    return 0


def cmd_request_reject(ctx: Context) -> int:
    request = ctx.services.approvals.reject(ctx.user, ctx.args.number, comment=ctx.args.comment)
    ctx.out.write(f"Rejected change request #{request.id}: {request.summary}.\n")
    return 0


def register(commands: Commands) -> None:
    request = commands.group("request", "change requests on registries that require approval")
    p = request.command("list", cmd_request_list, "list change requests (open ones by default)")
    p.add_argument("--org", metavar="SLUG", help="one organization (default: all of yours)")
    p.add_argument("--registry", metavar="SLUG", help="one registry of --org")
    p.add_argument("--state", choices=STATES, default="open", help="open (default), …, all")
    json_flag(p)
    p = request.command("show", cmd_request_show, "show a change request with its diff")
    p.add_argument("number", metavar="N", type=request_number)
    json_flag(p)
    p = request.command(
        "approve", cmd_request_approve, "approve and apply a change request (approvers)"
    )
    p.add_argument("number", metavar="N", type=request_number)
    p.add_argument("--comment", metavar="C", help="a note for the requester")
    p = request.command(
        "reject", cmd_request_reject, "reject a change request, saying why (approvers)"
    )
    p.add_argument("number", metavar="N", type=request_number)
    p.add_argument("--comment", metavar="C", required=True, help="why (the requester reads it)")
