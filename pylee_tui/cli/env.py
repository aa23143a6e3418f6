"""`env`: the effective configuration of a scope (org ⊕ registry ⊕ server), with where each key
comes from, as a table, JSON or dotenv."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .context import Context
from .output import cell, dotenv, emit_json, emit_table, entry_json
from .parser import PROG, Commands, scope_options
from .prompt import PASSPHRASE_HELP
from .scope import scope_flags, scope_of, where
from .unlock import with_vault

if TYPE_CHECKING:
    from pylee_tui.services.environments import MissingSecret
    from pylee_tui.services.resolver import EffectiveConfig


def env_json(ctx: Context, config: EffectiveConfig) -> dict[str, Any]:
    scope = scope_of(ctx)
    found = {
        "scope": {"org": scope.org, "registry": scope.registry, "server": scope.server},
        "revealed": ctx.args.reveal,
        "entries": [entry_json(e, ctx.args.reveal) for e in config.entries],
        "missing": [
            {"name": d.name, "description": d.description, "secret": d.secret}
            for d in config.missing
        ],
        "warnings": config.warnings,
        "problems": config.problems,
    }
    cloned = cloned_missing(ctx, config)
    if cloned:  # only in an org made by `org clone`
        found["cloned_without_value"] = [
            {"key": m.key, "scope": m.scope, "registry": m.registry, "server": m.server}
            for m in cloned
        ]
    return found


def cloned_missing(ctx: Context, config: EffectiveConfig) -> list[MissingSecret]:
    """The secrets a clone left without a value that this scope would inherit, still unset."""
    found = ctx.services.environments.missing_secrets(ctx.user, scope_of(ctx))
    return [m for m in found if m.key not in config]


def env_table(ctx: Context, config: EffectiveConfig) -> None:
    out, reveal = ctx.out, ctx.args.reveal
    if config.entries:
        emit_table(
            ["KEY", "KIND", "VALUE", "SOURCE", "OVERRIDES"],
            [
                (
                    e.key,
                    e.kind,
                    cell(e.value if reveal and e.value is not None else e.display, 60),
                    cell(e.source, 0),
                    ", ".join(cell(s, 0) for s in e.overrides) or "-",
                )
                for e in config.entries
            ],
            out,
        )
    else:
        scope = scope_of(ctx)
        out.write(
            f"Nothing is set for {where(scope)}. Set a variable: {PROG} var set KEY VALUE "
            f"{scope_flags(scope)}\n"
        )
    if not reveal and any(e.embeds_secret or e.kind == "secret" for e in config.entries):
        out.write(
            "\nSecrets are masked; --reveal prints them (admins, with the vault passphrase).\n"
        )
    for title, items in (("Warnings", config.warnings), ("Problems", config.problems)):
        if items:
            out.write(f"\n{title} ({len(items)}):\n")
            for item in items:
                out.write(f"  {cell(item, 0)}\n")
    cloned = cloned_missing(ctx, config)
    cloned_names = {m.key for m in cloned}
    if config.missing:
        out.write(
            f"\nMissing ({len(config.missing)}): required by server {cell(ctx.args.server, 0)}, "
            "not set and without a default:\n"
        )
        for d in config.missing:
            text = cell(d.name, 0) + (" (secret)" if d.secret else "")
            if d.name in cloned_names:
                text += " (cloned without value)"
            out.write(
                f"  {text}" + (f": {cell(d.description, 60)}" if d.description else "") + "\n"
            )
    declared = {d.name for d in config.missing}
    rest = [m for m in cloned if m.key not in declared]
    if rest:
        out.write(f"\nMissing (cloned without value) ({len(rest)}): {PROG} secret set KEY at:\n")
        for m in rest:
            out.write(f"  {cell(m.key, 0)}  at {cell(m.where, 0)}\n")


def cmd_env(ctx: Context) -> int:
    scope = scope_of(ctx)
    reveal = ctx.args.reveal

    def effective() -> EffectiveConfig:
        return ctx.services.variables.effective(ctx.user, scope, reveal=reveal)

    config = with_vault(ctx, effective) if reveal else effective()
    output = ctx.args.format or "table"
    if output == "json":
        emit_json(env_json(ctx, config), ctx.out)
    elif output == "dotenv":
        ctx.value_out.write(dotenv(where(scope), config))
    else:
        env_table(ctx, config)
    return 0


def register(commands: Commands) -> None:
    p = commands.command(
        "env", cmd_env, "the effective configuration of a scope, with where each key comes from"
    )
    scope_options(p)
    p.add_argument(
        "--reveal", action="store_true", help=f"secrets in plaintext (admins); {PASSPHRASE_HELP}"
    )
    output = p.add_mutually_exclusive_group()
    output.add_argument(
        "--format", choices=("table", "json", "dotenv"), default=None, help="default: table"
    )
    output.add_argument(
        "--json", dest="format", action="store_const", const="json", help="= --format json"
    )
    p.add_argument(
        "--raw",
        action="store_true",
        help="dotenv values byte for byte even to a terminal (default: only to a pipe or file)",
    )
