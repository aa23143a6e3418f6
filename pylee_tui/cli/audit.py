"""`audit`: an org's audit log, or the acting user's own events across orgs."""

from __future__ import annotations

import functools

from pylee_tui.services.audit import LIMIT_MAX, AuditFilter

from .context import Context
from .output import audit_json, emit_table, stream_json
from .parser import Commands, json_flag, positive_int


def cmd_audit(ctx: Context) -> int:
    args = ctx.args
    where = AuditFilter(action=args.action, by=args.actor, since=args.since, until=args.until)
    audit = ctx.services.audit
    if args.org:
        stream = audit.stream_for_org(ctx.user, args.org, limit=args.limit, where=where)
    else:
        stream = audit.stream_by_actor(ctx.user, limit=args.limit, where=where)
    if ctx.args.json:
        # an org's whole log is 100,000 events and more: written as they are read
        stream_json(map(audit_json, stream), ctx.raw_out)
        return 0
    events = list(stream)  # a table is as wide as its widest cell: it needs them all
    if not events:
        ctx.out.write("No audit events.\n")
        return 0
    emit_table(
        ["TIME (UTC)", "ACTOR", "ACTION", "ORG", "TARGET"],
        [
            (
                f"{e.created_at:%Y-%m-%d %H:%M:%S}",
                e.actor,
                e.action,
                e.org_slug or "",
                f"{e.target_type} {e.target_label}".strip(),
            )
            for e in events
        ],
        ctx.out,
    )
    return 0


def register(commands: Commands) -> None:
    p = commands.command(
        "audit", cmd_audit, "the audit log of an org (or your own events without --org)"
    )
    p.add_argument("--org", metavar="SLUG")
    json_flag(p)
    p.add_argument(
        "--limit",
        type=functools.partial(positive_int, maximum=LIMIT_MAX),
        metavar="N",
        help=f"at most N events, newest first (up to {LIMIT_MAX:,})",
    )
    p.add_argument(
        "--action", metavar="A", help="only this action, or actions starting so (secret.)"
    )
    p.add_argument("--actor", metavar="EMAIL", help="only what EMAIL did")
    p.add_argument("--since", metavar="WHEN", help="from this ISO date or datetime (UTC)")
    p.add_argument(
        "--until", metavar="WHEN", help="up to this ISO date (the whole day) or datetime (UTC)"
    )
