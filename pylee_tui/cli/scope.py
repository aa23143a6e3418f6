"""Where a var, secret or env command acts (--org, --registry, --server), said back in words
and as flags a user can copy, and the key being asked about at that scope."""

from __future__ import annotations

import argparse
import shlex

from pylee_tui.models import Variable, VariableVersion, clean
from pylee_tui.services import InvalidInput, PyleeError
from pylee_tui.services.variables import Kind

from .context import Context
from .output import cell
from .parser import PROG


def scope_args(ctx: Context) -> tuple[str, str | None, str | None]:
    return ctx.args.org, ctx.args.registry, ctx.args.server


def where(args: argparse.Namespace) -> str:
    if args.server:
        return f"server {cell(args.server, 0)} in registry {args.registry} of {args.org}"
    if args.registry:
        return f"registry {args.registry} of {args.org}"
    return f"org {args.org}"


def scope_flags(args: argparse.Namespace) -> str:
    """The scope options again, for a command line the user can copy."""
    flags = ["--org", args.org]
    if args.registry:
        flags += ["--registry", args.registry]
    if args.server:
        flags += ["--server", args.server]
    return shlex.join(flags)


def valid_key(key: str) -> str:
    try:
        return clean("variable_key", key)
    except ValueError as exc:
        raise InvalidInput(str(exc)) from None


def overrides_note(ctx: Context, key: str) -> str:
    """'; it overrides org acme' when the key just set hides a less specific definition."""
    if not ctx.args.registry:
        return ""
    org, registry, server = scope_args(ctx)
    entry = ctx.services.variables.effective(ctx.user, org, registry, server).get(key)
    if entry is None or not entry.overrides:
        return ""
    return f"; it overrides {', '.join(cell(s, 0) for s in entry.overrides)}"


def inherited_note(ctx: Context, key: str) -> str:
    """'; KEY now comes from org acme' when removing a key uncovers a less specific one."""
    if not ctx.args.registry:
        return ""
    org, registry, server = scope_args(ctx)
    entry = ctx.services.variables.effective(ctx.user, org, registry, server).get(key)
    return f"; {key} now comes from {cell(entry.source, 0)}" if entry is not None else ""


def defined(ctx: Context, key: str, kind: Kind) -> Variable:
    """The key at exactly this scope, which must be of `kind` (else: which command to use)."""
    org, registry, server = scope_args(ctx)
    found = ctx.services.variables.get(ctx.user, org, key, registry, server)
    if found.kind != kind:
        action = ctx.args.secret_command if kind == "secret" else ctx.args.var_command
        group = "var" if found.kind == "variable" else "secret"
        raise PyleeError(
            f"{key} at {where(ctx.args)} is a {found.kind}, not a {kind}: use "
            f"{PROG} {group} {action} {key} {scope_flags(ctx.args)}"
        )
    return found


def versions_of(ctx: Context, key: str, kind: Kind) -> list[VariableVersion]:
    """The kept versions of `key` at the scope, refused when it was never of this kind (the
    other command is named)."""
    org, registry, server = scope_args(ctx)
    versions = ctx.services.variables.history(ctx.user, org, key, registry, server)
    if not any(v.kind == kind for v in versions):
        never, other = (
            ("has only ever been a secret", "secret")
            if kind == "variable"
            else ("has never been a secret", "var")
        )
        raise PyleeError(
            f"{key} at {where(ctx.args)} {never}; see {PROG} {other} history "
            f"{key} {scope_flags(ctx.args)}"
        )
    return versions
