"""`pylee-tui`: launches the app, or runs a scriptable subcommand over the same services.

Errors are one line on stderr: exit 1 for a refused or invalid request, 2 for bad usage.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import sqlite3
import sys
from collections.abc import Callable, Sequence
from typing import Any, NoReturn, TextIO

from pylee_tui import __version__
from pylee_tui.models import AuditEvent, plural
from pylee_tui.services import PyleeError, Services
from pylee_tui.services.demo import load_demo
from pylee_tui.store import Store, StoreError, describe_sqlite_error, resolve_db_path

PROG = "pylee-tui"


class UsageError(Exception):
    """Bad usage: exit 2."""


class CliParser(argparse.ArgumentParser):
    """argparse, but a usage error is one line (the caller prints it and exits 2)."""

    def error(self, message: str) -> NoReturn:
        raise UsageError(f"{message} (see `{self.prog} --help`)")


# --- output helpers --------------------------------------------------------------------------


def emit_json(data: Any, out: TextIO) -> None:
    out.write(json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False) + "\n")


def emit_table(headers: Sequence[str], rows: Sequence[Sequence[Any]], out: TextIO) -> None:
    cells = [[str(c) for c in row] for row in rows]
    widths = [max([len(h)] + [len(r[i]) for r in cells]) for i, h in enumerate(headers)]
    for row in [list(headers), *cells]:
        out.write("  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip() + "\n")


def audit_json(event: AuditEvent) -> dict[str, Any]:
    return {
        "id": event.id,
        "time": event.created_at.isoformat(),
        "actor": event.actor,
        "action": event.action,
        "org": event.org_slug,
        "target_type": event.target_type,
        "target_id": event.target_id,
        "target_label": event.target_label,
        "metadata": event.metadata,
    }


# --- commands --------------------------------------------------------------------------------


class Context:
    """What a command needs: the services, the acting user (resolved lazily), the streams."""

    def __init__(self, args: argparse.Namespace, out: TextIO, err: TextIO):
        self.args = args
        self.out = out
        self.err = err
        self.store = Store(resolve_db_path(args.db))
        self.services = Services(self.store)
        self._user: str | None = None

    @property
    def user(self) -> str:
        if self._user is None:
            self._user = self.services.identity.require(
                self.args.as_user, os.environ.get("PYLEE_USER")
            )
        return self._user


def cmd_login(ctx: Context) -> int:
    email = ctx.services.identity.save(ctx.args.email)
    ctx.out.write(f"Saved {email} as the acting user for {ctx.store.path}\n")
    return 0


def cmd_whoami(ctx: Context) -> int:
    ctx.out.write(ctx.user + "\n")
    return 0


def cmd_org_list(ctx: Context) -> int:
    orgs = ctx.services.orgs.list(ctx.user)
    if ctx.args.json:
        emit_json(
            [
                {
                    "slug": o.slug,
                    "name": o.name,
                    "description": o.description,
                    "role": o.role,
                    "admins": list(o.admins),
                    "registries": o.registry_count,
                    "members": o.member_count,
                    "created_at": o.created_at.isoformat(),
                }
                for o in orgs
            ],
            ctx.out,
        )
        return 0
    if not orgs:
        ctx.out.write("No organizations yet. Create one: pylee-tui org create NAME\n")
        return 0
    emit_table(
        ["SLUG", "NAME", "ROLE", "REGISTRIES", "MEMBERS"],
        [(o.slug, o.name, o.role, o.registry_count, o.member_count) for o in orgs],
        ctx.out,
    )
    return 0


def cmd_org_create(ctx: Context) -> int:
    org = ctx.services.orgs.create(
        ctx.user, ctx.args.name, slug=ctx.args.slug, description=ctx.args.description or ""
    )
    ctx.out.write(f"Created {org.name} ({org.slug}); you are its admin.\n")
    return 0


def cmd_org_show(ctx: Context) -> int:
    org = ctx.services.orgs.get(ctx.user, ctx.args.slug)
    registries = ctx.services.registries.list(ctx.user, org.slug)
    members = ctx.services.members.list(ctx.user, org.slug)
    role = next((m.role for m in members if m.email == ctx.user), None)
    if ctx.args.json:
        emit_json(
            {
                "slug": org.slug,
                "name": org.name,
                "description": org.description,
                "overview": org.overview,
                "created_at": org.created_at.isoformat(),
                "updated_at": org.updated_at.isoformat(),
                "role": role,
                "registries": [
                    {"slug": r.slug, "name": r.name, "servers": r.server_count} for r in registries
                ],
                "members": [
                    {"email": m.email, "role": m.role, "status": m.status} for m in members
                ],
            },
            ctx.out,
        )
        return 0
    out = ctx.out
    out.write(f"{org.name} ({org.slug})\n")
    if org.description:
        out.write(f"{org.description}\n")
    out.write(f"You are: {role}\n")
    out.write(f"Created: {org.created_at:%Y-%m-%d %H:%M} UTC\n")
    out.write(f"\nRegistries ({len(registries)}):\n")
    for r in registries:
        out.write(f"  {r.slug:<24} {r.name} ({plural(r.server_count, 'server')})\n")
    out.write(f"\nMembers ({len(members)}):\n")
    for m in members:
        out.write(f"  {m.email:<32} {m.role:<7} {m.status}\n")
    if org.overview:
        out.write(f"\nOverview: {len(org.overview.splitlines())} lines of Markdown\n")
    return 0


def cmd_org_edit(ctx: Context) -> int:
    overview = None
    if ctx.args.overview_file:
        overview = read_text_file(ctx.args.overview_file)
    org = ctx.services.orgs.edit(
        ctx.user,
        ctx.args.slug,
        name=ctx.args.name,
        new_slug=ctx.args.new_slug,
        description=ctx.args.description,
        overview=overview,
    )
    ctx.out.write(f"Updated {org.name} ({org.slug}).\n")
    return 0


def cmd_org_delete(ctx: Context) -> int:
    if not ctx.args.yes:
        contents = ctx.services.orgs.contents(ctx.user, ctx.args.slug)
        raise PyleeError(
            f"deleting '{ctx.args.slug}' removes {contents.describe()}; pass --yes to confirm"
        )
    report = ctx.services.orgs.delete(ctx.user, ctx.args.slug)
    ctx.out.write(f"Deleted {ctx.args.slug} and {report.describe()}.\n")
    return 0


def cmd_audit(ctx: Context) -> int:
    if ctx.args.org:
        events = ctx.services.audit.list_for_org(ctx.user, ctx.args.org, limit=ctx.args.limit)
    else:
        events = ctx.services.audit.list_by_actor(ctx.user, limit=ctx.args.limit)
    if ctx.args.json:
        emit_json([audit_json(e) for e in events], ctx.out)
        return 0
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


def cmd_demo(ctx: Context) -> int:
    slugs = load_demo(ctx.services, ctx.user)
    ctx.out.write(
        f"Loaded the demo: {', '.join(slugs)}; you ({ctx.user}) are admin of each.\n"
        f"Open it with: {PROG}" + (f" --db {ctx.args.db}" if ctx.args.db else "") + "\n"
    )
    return 0


def positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be 1 or more (got {value})")
    return value


def one_line(message: object) -> str:
    """Errors are one line, even when they quote input that holds line breaks."""
    return " ".join(str(message).split())


def read_text_file(path: str) -> str:
    if path == "-":
        return sys.stdin.read()
    try:
        with open(path, encoding="utf-8") as fh:
            return fh.read()
    except FileNotFoundError:
        raise PyleeError(f"no such file: {path!r}") from None
    except UnicodeDecodeError:
        raise PyleeError(f"{path!r} is not UTF-8 text") from None
    except OSError as exc:
        raise PyleeError(f"cannot read {path!r}: {exc.strerror}") from None


# --- parser ----------------------------------------------------------------------------------


def build_parser() -> CliParser:
    common = CliParser(add_help=False)
    common.add_argument(
        "--db", metavar="PATH", default=argparse.SUPPRESS, help="database file (env PYLEE_DB)"
    )
    common.add_argument(
        "--as",
        dest="as_user",
        metavar="EMAIL",
        default=argparse.SUPPRESS,
        help="act as this user (env PYLEE_USER)",
    )

    parser = CliParser(
        prog=PROG,
        parents=[common],
        description="Run MCP infrastructure from the terminal. With no command, opens the app.",
    )
    parser.add_argument("--version", action="version", version=f"{PROG} {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=CliParser)

    def add(parent, name: str, func: Callable[[Context], int], help_text: str, **kw):
        p = parent.add_parser(name, parents=[common], help=help_text, description=help_text, **kw)
        p.set_defaults(func=func)
        return p

    p = add(sub, "login", cmd_login, "save EMAIL as the acting user of this database")
    p.add_argument("email", metavar="EMAIL")
    add(sub, "whoami", cmd_whoami, "print the acting user")

    org = sub.add_parser("org", help="organizations", parents=[common])
    org_sub = org.add_subparsers(dest="org_command", metavar="ACTION", parser_class=CliParser)
    org_sub.required = True
    p = add(org_sub, "list", cmd_org_list, "list the organizations you belong to")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p = add(org_sub, "create", cmd_org_create, "create an organization; you become its admin")
    p.add_argument("name", metavar="NAME")
    p.add_argument("--slug", metavar="S", help="URL-safe id (derived from NAME when omitted)")
    p.add_argument("--description", metavar="D", help="one line, up to 280 characters")
    p = add(org_sub, "show", cmd_org_show, "show one organization")
    p.add_argument("slug", metavar="SLUG")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p = add(org_sub, "edit", cmd_org_edit, "change an organization (admins)")
    p.add_argument("slug", metavar="SLUG")
    p.add_argument("--name", metavar="N")
    p.add_argument("--slug", dest="new_slug", metavar="S", help="a new slug")
    p.add_argument("--description", metavar="D")
    p.add_argument("--overview-file", metavar="F", help="Markdown overview from a file (- = stdin)")
    p = add(org_sub, "delete", cmd_org_delete, "delete an organization and all it holds (admins)")
    p.add_argument("slug", metavar="SLUG")
    p.add_argument("--yes", action="store_true", help="confirm the deletion")

    p = add(sub, "audit", cmd_audit, "the audit log of an org (or your own events without --org)")
    p.add_argument("--org", metavar="SLUG")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.add_argument("--limit", type=positive_int, metavar="N", help="at most N events, newest first")

    add(sub, "demo", cmd_demo, "fill the store with sample orgs, registries, servers and members")
    return parser


def launch_app(args: argparse.Namespace) -> int:
    """Open the app. A store that cannot be opened or a bad --as is a one-line error first."""
    path = resolve_db_path(args.db)
    store = Store(path)
    try:
        Services(store).identity.resolve(args.as_user, os.environ.get("PYLEE_USER"))
    finally:
        store.close()
    from pylee_tui.app import run_app

    return run_app(db_path=path, user=args.as_user)


def main(
    argv: Sequence[str] | None = None, out: TextIO | None = None, err: TextIO | None = None
) -> int:
    out = out or sys.stdout
    err = err or sys.stderr
    parser = build_parser()
    try:
        with contextlib.redirect_stdout(out):  # --help and --version print to `out`
            args = parser.parse_args(argv)
    except UsageError as exc:
        err.write(f"{PROG}: {one_line(exc)}\n")
        return 2
    except SystemExit as exc:  # --help and --version
        return int(exc.code or 0)
    args.db = getattr(args, "db", None)
    args.as_user = getattr(args, "as_user", None)
    ctx = None
    try:
        if args.command is None:
            return launch_app(args)
        ctx = Context(args, out, err)
        return args.func(ctx)
    except (PyleeError, StoreError) as exc:
        err.write(f"{PROG}: {one_line(exc)}\n")
        return 1
    except sqlite3.Error as exc:
        err.write(f"{PROG}: {one_line(describe_sqlite_error(exc, resolve_db_path(args.db)))}\n")
        return 1
    except KeyboardInterrupt:
        err.write(f"{PROG}: interrupted\n")
        return 130
    except Exception as exc:  # the promise is: never a traceback
        if os.environ.get("PYLEE_DEBUG"):
            raise
        err.write(
            f"{PROG}: internal error: {type(exc).__name__}: {exc} (PYLEE_DEBUG=1 shows more)\n"
        )
        return 1
    finally:
        if ctx is not None:
            ctx.store.close()


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
