"""Where a var, secret or env command acts (--org, --registry, --server, or --user: your own
overrides in the org), said back in words and as flags a user can copy, and the key being asked
about at that scope."""

from __future__ import annotations

import argparse
import shlex
from typing import TYPE_CHECKING, Any

from pylee_tui.fields import clean
from pylee_tui.services import InvalidInput, PyleeError, Scope

from .context import Context
from .output import cell
from .parser import PROG

if TYPE_CHECKING:
    from pylee_tui.models import Variable, VariableVersion
    from pylee_tui.services.variables import Kind


def scope_of(ctx: Context) -> Scope:
    """The scope --org, --registry and --server name (or --user: the acting user's own)."""
    return Scope(
        ctx.args.org, ctx.args.registry, ctx.args.server, user=getattr(ctx.args, "user", False)
    )


def user_option(p: Any) -> None:
    """--user: the acting user's own overrides in the org (after `scope_options`)."""
    p.add_argument(
        "--user",
        action="store_true",
        help="your own overrides in the org (theirs alone: they win over every scope for you)",
    )
    scope_check = p.get_default("check")

    def check(args: argparse.Namespace) -> None:
        if scope_check is not None:
            scope_check(args)
        if args.user and args.registry:
            p.error("--user is your own scope in the org: it takes no --registry or --server")

    p.set_defaults(check=check)


def where(scope: Scope) -> str:
    if scope.user:
        return f"your overrides in {scope.org}"
    if scope.server:
        return f"server {cell(scope.server, 0)} in registry {scope.registry} of {scope.org}"
    if scope.registry:
        return f"registry {scope.registry} of {scope.org}"
    return f"org {scope.org}"


def scope_flags(scope: Scope) -> str:
    """The scope options again, for a command line the user can copy."""
    flags = ["--org", scope.org]
    if scope.user:
        flags.append("--user")
    if scope.registry:
        flags += ["--registry", scope.registry]
    if scope.server:
        flags += ["--server", scope.server]
    return shlex.join(flags)


def valid_key(key: str) -> str:
    try:
        return clean("variable_key", key)
    except ValueError as exc:
        raise InvalidInput(str(exc)) from None


def overrides_note(ctx: Context, key: str) -> str:
    """'; it overrides org acme' when the key just set hides a less specific definition."""
    scope = scope_of(ctx)
    if scope.level == "org":
        return ""
    entry = ctx.services.variables.effective(ctx.user, scope).get(key)
    if entry is None or not entry.overrides:
        return ""
    return f"; it overrides {', '.join(cell(s, 0) for s in entry.overrides)}"


def inherited_note(ctx: Context, key: str) -> str:
    """'; KEY now comes from org acme' when removing a key uncovers a less specific one."""
    scope = scope_of(ctx)
    if scope.level == "org":
        return ""
    entry = ctx.services.variables.effective(ctx.user, scope).get(key)
    return f"; {key} now comes from {cell(entry.source, 0)}" if entry is not None else ""


def defined(ctx: Context, key: str, kind: Kind) -> Variable:
    """The key at exactly this scope, which must be of `kind` (else: which command to use)."""
    scope = scope_of(ctx)
    found = ctx.services.variables.get_key(ctx.user, scope, key)
    if found.kind != kind:
        action = ctx.args.secret_command if kind == "secret" else ctx.args.var_command
        group = "var" if found.kind == "variable" else "secret"
        raise PyleeError(
            f"{key} at {where(scope)} is a {found.kind}, not a {kind}: use "
            f"{PROG} {group} {action} {key} {scope_flags(scope)}"
        )
    return found


def versions_of(ctx: Context, key: str, kind: Kind) -> list[VariableVersion]:
    """The kept versions of `key` at the scope, refused when it was never of this kind (the
    other command is named)."""
    scope = scope_of(ctx)
    versions = ctx.services.variables.history(ctx.user, scope, key)
    if not any(v.kind == kind for v in versions):
        never, other = (
            ("has only ever been a secret", "secret")
            if kind == "variable"
            else ("has never been a secret", "var")
        )
        raise PyleeError(
            f"{key} at {where(scope)} {never}; see {PROG} {other} history "
            f"{key} {scope_flags(scope)}"
        )
    return versions
