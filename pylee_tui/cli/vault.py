"""`var`, `secret` and `vault`: plain variables and encrypted secrets at an org, registry or
server, their history, and the vault's passphrase."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from pylee_tui.services import (
    Conflict,
    InvalidInput,
    NotFound,
    PyleeError,
    VaultLocked,
)

from .context import Context
from .files import read_stdin_value
from .output import cell, emit_json, emit_table, stream_json, variable_json, when
from .parser import PROG, Commands, json_flag, key_argument, positive_int, scope_options
from .prompt import (
    NEW_PASSPHRASE_ENV,
    PASSPHRASE_ENV,
    PASSPHRASE_HELP,
    ask_twice,
    read_passphrase,
    stdin_is_tty,
)
from .scope import (
    defined,
    inherited_note,
    overrides_note,
    scope_flags,
    scope_of,
    user_option,
    valid_key,
    versions_of,
    where,
)
from .unlock import NO_VAULT, with_vault

if TYPE_CHECKING:
    from pylee_tui.services.variables import Kind


def deleted_keys_out(ctx: Context, kind: Kind) -> int:
    """`var list --deleted` / `secret list --deleted`: keys deleted at exactly this scope, with
    the version that brings each back."""
    scope = scope_of(ctx)
    found = ctx.services.variables.deleted(ctx.user, scope, kind=kind)
    group = "var" if kind == "variable" else "secret"
    if ctx.args.json:
        items = []
        for d in found:
            item: dict[str, Any] = {
                "key": d.key,
                "scope": scope.level,
                "deleted_at": d.deleted_at.isoformat(),
                "deleted_by": d.deleted_by,
                "deleted_version": d.version,
                "restore_version": d.restores,
            }
            if kind == "variable":
                item["value"] = d.value
            items.append(item)
        stream_json(items, ctx.raw_out)
        return 0
    if not found:
        ctx.out.write(f"No deleted {kind}s at {where(scope)}.\n")
        return 0
    headers = ["KEY", "DELETED", "BY", "ROLL BACK TO"]
    rows = [[d.key, when(d.deleted_at), d.deleted_by, d.restores or ""] for d in found]
    if kind == "variable":
        headers.insert(1, "LAST VALUE")
        for row, d in zip(rows, found, strict=True):
            row.insert(1, cell(d.value, 40))
    emit_table(headers, rows, ctx.out)
    ctx.out.write(f"\nBring one back: {PROG} {group} rollback KEY VERSION {scope_flags(scope)}\n")
    return 0


def check_rollback(ctx: Context, key: str, version: int, kind: Kind) -> None:
    """Refuse a rollback to a version that is not kept, or that is of the other kind."""
    command = "var" if kind == "variable" else "secret"
    scope = scope_of(ctx)
    target = next((v for v in versions_of(ctx, key, kind) if v.version == version), None)
    if target is None:
        raise NotFound(
            f"{key} at {where(scope)} has no version {version}; see {PROG} {command} history "
            f"{key} {scope_flags(scope)}"
        )
    if target.kind == kind:
        return
    if kind == "variable":
        raise PyleeError(
            f"version {version} of {key} is a secret: use {PROG} secret rollback {key} "
            f"{version} {scope_flags(scope)}"
        )
    raise PyleeError(f"version {version} of {key} is a variable, not a secret")


# --- var -------------------------------------------------------------------------------------


def cmd_var_list(ctx: Context) -> int:
    if ctx.args.deleted:
        return deleted_keys_out(ctx, "variable")
    scope = scope_of(ctx)
    variables = ctx.services.variables.list_keys(ctx.user, scope, kind="variable")
    if ctx.args.json:
        stream_json(map(variable_json, variables), ctx.raw_out)
        return 0
    if not variables:
        ctx.out.write(
            f"No variables at {where(scope)}. Set one: {PROG} var set KEY VALUE "
            f"{scope_flags(scope)}\n"
        )
        return 0
    emit_table(
        ["KEY", "VALUE", "UPDATED", "BY"],
        [(v.key, cell(v.value, 60), when(v.updated_at), v.updated_by) for v in variables],
        ctx.out,
    )
    return 0


def cmd_var_set(ctx: Context) -> int:
    scope = scope_of(ctx)
    key = ctx.args.key
    ctx.services.variables.set_key(ctx.user, scope, key, ctx.args.value)
    ctx.out.write(f"Set {key} at {where(scope)}{overrides_note(ctx, key)}.\n")
    return 0


def cmd_var_get(ctx: Context) -> int:
    found = defined(ctx, ctx.args.key, "variable")
    ctx.value_out.write(f"{found.value}\n")
    return 0


def cmd_var_unset(ctx: Context) -> int:
    scope = scope_of(ctx)
    key = defined(ctx, ctx.args.key, "variable").key
    ctx.services.variables.unset(ctx.user, scope, key, kind="variable")
    ctx.out.write(
        f"Unset {key} at {where(scope)}{inherited_note(ctx, key)}. Its history is kept: "
        f"{PROG} var history {key} {scope_flags(scope)}\n"
    )
    return 0


def cmd_var_history(ctx: Context) -> int:
    return show_history(ctx, "variable")


def show_history(ctx: Context, kind: Kind) -> int:
    """`var history` / `secret history`: every version of a key at the scope. A version written
    as the other kind says so; no secret's value is ever listed, nor any value by `secret`."""
    scope = scope_of(ctx)
    key = valid_key(ctx.args.key)
    versions = versions_of(ctx, key, kind)
    values = kind == "variable"
    if ctx.args.json:
        items = []
        for v in versions:
            item: dict[str, Any] = {
                "version": v.version,
                "action": v.action,
                "kind": v.kind,
                "created_at": v.created_at.isoformat(),
                "created_by": v.created_by,
                "current": v.current,
            }
            if values and v.kind == "variable":
                item["value"] = v.value
            items.append(item)
        stream_json(items, ctx.raw_out)
        return 0
    headers = ["VERSION", "ACTION", "WHEN", "WHO", *(["VALUE"] if values else []), "CURRENT"]
    rows = []
    for v in versions:
        value = [cell(v.value, 40) if v.kind == "variable" else ""] if values else []
        rows.append(
            (
                v.version,
                v.action if v.kind == kind else f"{v.action} (as a {v.kind})",
                when(v.created_at),
                v.created_by,
                *value,
                "current" if v.current else "",
            )
        )
    emit_table(headers, rows, ctx.out)
    command = "var" if values else "secret"
    ctx.out.write(f"\nRoll back: {PROG} {command} rollback {key} VERSION {scope_flags(scope)}\n")
    return 0


def cmd_var_rollback(ctx: Context) -> int:
    scope = scope_of(ctx)
    key, version = valid_key(ctx.args.key), ctx.args.version
    check_rollback(ctx, key, version, "variable")
    done = ctx.services.variables.rollback(ctx.user, scope, key, version)
    ctx.out.write(
        f"Rolled {key} at {where(scope)} back to version {version}; "
        f"its value is now version {done.version}.\n"
    )
    return 0


# --- secret ----------------------------------------------------------------------------------


def secret_value(ctx: Context, key: str) -> str:
    """From --value, else stdin when it is not a terminal, else typed twice without echo."""
    if ctx.args.value is not None:
        value = ctx.args.value
    elif stdin_is_tty():
        value = ask_twice(f"Value of {key} (hidden): ", "values")
    else:
        value = read_stdin_value()
    if value == "":
        raise InvalidInput("empty value: a secret cannot be empty; nothing was stored")
    return value


def cmd_secret_set(ctx: Context) -> int:
    scope = scope_of(ctx)
    key = valid_key(ctx.args.key)
    # everything that can be checked before a value or passphrase is asked for
    existing = ctx.services.variables.list_keys(ctx.user, scope)
    if any(v.key == key and v.kind == "variable" for v in existing):
        raise Conflict(
            f"{key} is a variable at {where(scope)}; unset it before making it a secret: "
            f"{PROG} var unset {key} {scope_flags(scope)}"
        )
    ctx.services.variables.check_write(ctx.user, scope, "secret")
    value = secret_value(ctx, key)
    with_vault(
        ctx,
        lambda: ctx.services.variables.set_key(ctx.user, scope, key, value, kind="secret"),
        create=True,
    )
    ctx.out.write(f"Set secret {key} at {where(scope)}{overrides_note(ctx, key)}.\n")
    if ctx.args.value is not None:  # after the outcome: a failure stays one line
        ctx.err.write(
            f"{PROG}: warning: --value leaves the secret in your shell history and the process "
            "list; pipe it on stdin or type it at the prompt instead\n"
        )
    return 0


def cmd_secret_get(ctx: Context) -> int:
    from pylee_tui.services.resolver import MASK

    scope = scope_of(ctx)
    key = defined(ctx, ctx.args.key, "secret").key
    if not ctx.args.reveal:
        ctx.out.write(
            f"{MASK}\n({key} is a secret at {where(scope)}; print it with: "
            f"{PROG} secret get {key} {scope_flags(scope)} --reveal)\n"
        )
        return 0
    value = with_vault(ctx, lambda: ctx.services.variables.reveal(ctx.user, scope, key))
    ctx.value_out.write(f"{value}\n")
    return 0


def cmd_secret_list(ctx: Context) -> int:
    if ctx.args.deleted:
        return deleted_keys_out(ctx, "secret")
    scope = scope_of(ctx)
    secrets = ctx.services.variables.list_keys(ctx.user, scope, kind="secret")
    if ctx.args.json:
        stream_json(map(variable_json, secrets), ctx.raw_out)
        return 0
    if not secrets:
        ctx.out.write(
            f"No secrets at {where(scope)}. Set one: {PROG} secret set KEY "
            f"{scope_flags(scope)} (the value from stdin or a prompt)\n"
        )
        return 0
    emit_table(
        ["KEY", "UPDATED", "BY"],
        [(v.key, when(v.updated_at), v.updated_by) for v in secrets],
        ctx.out,
    )
    return 0


def cmd_secret_unset(ctx: Context) -> int:
    scope = scope_of(ctx)
    key = defined(ctx, ctx.args.key, "secret").key
    ctx.services.variables.unset(ctx.user, scope, key, kind="secret")
    ctx.out.write(
        f"Unset secret {key} at {where(scope)}{inherited_note(ctx, key)}. Its history is "
        f"kept: {PROG} secret history {key} {scope_flags(scope)}\n"
    )
    return 0


def cmd_secret_history(ctx: Context) -> int:
    return show_history(ctx, "secret")


def cmd_secret_rollback(ctx: Context) -> int:
    scope = scope_of(ctx)
    key, version = valid_key(ctx.args.key), ctx.args.version
    check_rollback(ctx, key, version, "secret")
    done = with_vault(
        ctx,
        lambda: ctx.services.variables.rollback(ctx.user, scope, key, version),
    )
    ctx.out.write(
        f"Rolled secret {key} at {where(scope)} back to version {version}; "
        f"its value is now version {done.version}.\n"
    )
    return 0


# --- vault -----------------------------------------------------------------------------------


def cmd_vault_status(ctx: Context) -> int:
    if getattr(ctx, "remote", False):  # a team server: an org's secrets key (cli.team_vault)
        from .team_vault import cmd_team_status

        return cmd_team_status(ctx)
    initialized = ctx.services.vault.initialized()
    if ctx.args.json:
        emit_json({"initialized": initialized}, ctx.out)
    elif initialized:
        ctx.out.write(
            f"The vault has a passphrase. Secret values are read and written with it "
            f"({PASSPHRASE_ENV}, or a prompt in a terminal); change it: {PROG} vault passwd\n"
        )
    else:
        ctx.out.write(
            f"The vault has no passphrase yet; the first `{PROG} secret set` creates it.\n"
        )
    return 0


def cmd_vault_passwd(ctx: Context) -> int:
    if getattr(ctx, "remote", False):  # a team server: the passphrase of the member's team key
        return team_passwd(ctx)
    vault = ctx.services.vault
    user = ctx.user
    if not vault.initialized():
        raise VaultLocked(f"{NO_VAULT}; there is no passphrase to change")
    vault.check_change_passphrase(user)  # refused before any passphrase is asked for
    old = read_passphrase(PASSPHRASE_ENV, "Current vault passphrase: ")
    vault.unlock(old)  # a wrong one fails here, before the new one is asked for
    new = read_passphrase(NEW_PASSPHRASE_ENV, "New vault passphrase: ", new=True)
    if new == old:
        raise InvalidInput("the new passphrase is the same as the current one; nothing was changed")
    vault.change_passphrase(user, old, new)
    ctx.out.write(
        "Changed the vault passphrase; every secret is kept, and the old passphrase no longer "
        "opens the vault.\n"
    )
    return 0


def team_passwd(ctx: Context) -> int:
    """`vault passwd` against a team server: the saved login's private key re-protected under a
    new passphrase, on this machine only (the key pair is the same: nothing goes to the server)."""
    from pylee_tui.team import login

    from .remote_guard import team_login

    saved = team_login(ctx.args)
    assert saved is not None  # ctx.remote: the command runs as this login
    old = read_passphrase(PASSPHRASE_ENV, "Current passphrase of your team key: ")
    from pylee_tui.team.sealing import unprotect

    unprotect(saved.protected_private_key, old)  # a wrong one fails before the new is asked for
    new = read_passphrase(NEW_PASSPHRASE_ENV, "New passphrase for your team key: ", new=True)
    if new == old:
        raise InvalidInput("the new passphrase is the same as the current one; nothing was changed")
    login.change_passphrase(saved, old, new)
    ctx.out.write(
        f"Changed the passphrase of your team key for {saved.url} ({saved.email}); the old "
        "passphrase no longer opens it. Nothing was sent to the server.\n"
    )
    return 0


# --- the parser ------------------------------------------------------------------------------


def raw_flag(p, what: str = "the value") -> None:
    p.add_argument(
        "--raw",
        action="store_true",
        help=f"write {what} byte for byte even to a terminal (default: only to a pipe or file)",
    )


def register(commands: Commands) -> None:
    var = commands.group("var", "plain variables of an org, registry or server")
    p = var.command("list", cmd_var_list, "list the variables set at exactly this scope")
    scope_options(p)
    user_option(p)
    json_flag(p)
    p.add_argument(
        "--deleted", action="store_true", help="list the variables deleted here (to roll back)"
    )
    p = var.command("set", cmd_var_set, "set a variable (admins); a new version each time")
    key_argument(p)
    p.add_argument("value", metavar="VALUE", help="the value (one starting with - goes after --)")
    scope_options(p)
    user_option(p)
    p = var.command("get", cmd_var_get, "print a variable's value as written at this scope")
    key_argument(p)
    scope_options(p)
    user_option(p)
    raw_flag(p)
    p = var.command("unset", cmd_var_unset, "remove a variable from this scope (admins)")
    key_argument(p)
    scope_options(p)
    user_option(p)
    p = var.command("history", cmd_var_history, "the kept versions of a variable, newest first")
    key_argument(p)
    scope_options(p)
    user_option(p)
    json_flag(p)
    p = var.command("rollback", cmd_var_rollback, "set an earlier version again (admins)")
    key_argument(p)
    p.add_argument("version", metavar="VERSION", type=positive_int, help="see `var history`")
    scope_options(p)
    user_option(p)

    secret = commands.group("secret", "encrypted secrets (the vault)")
    p = secret.command(
        "list", cmd_secret_list, "list the secrets at this scope (never their values)"
    )
    scope_options(p)
    user_option(p)
    json_flag(p)
    p.add_argument(
        "--deleted", action="store_true", help="list the secrets deleted here (to roll back)"
    )
    p = secret.command(
        "set",
        cmd_secret_set,
        f"set a secret from stdin or a hidden prompt; {PASSPHRASE_HELP} (the first creates the "
        "vault)",
    )
    key_argument(p)
    scope_options(p)
    user_option(p)
    p.add_argument("--value", metavar="V", help="the value (lands in shell history: avoid)")
    p = secret.command("get", cmd_secret_get, "show a secret masked, or its value with --reveal")
    key_argument(p)
    scope_options(p)
    user_option(p)
    p.add_argument(
        "--reveal",
        action="store_true",
        help=f"print the value (admins; your own with --user); {PASSPHRASE_HELP}",
    )
    raw_flag(p)
    p = secret.command("unset", cmd_secret_unset, "remove a secret from this scope")
    key_argument(p)
    scope_options(p)
    user_option(p)
    p = secret.command("history", cmd_secret_history, "the kept versions of a secret, newest first")
    key_argument(p)
    scope_options(p)
    user_option(p)
    json_flag(p)
    p = secret.command(
        "rollback", cmd_secret_rollback, f"set an earlier version again; {PASSPHRASE_HELP}"
    )
    key_argument(p)
    p.add_argument("version", metavar="VERSION", type=positive_int, help="see `secret history`")
    scope_options(p)
    user_option(p)

    vault = commands.group("vault", "the vault's passphrase")
    p = vault.command(
        "status",
        cmd_vault_status,
        "whether the vault has a passphrase yet; against a team server, an org's secrets key",
    )
    json_flag(p)
    p.add_argument("--org", metavar="SLUG", help="against a team server: the organization")
    vault.command(
        "passwd",
        cmd_vault_passwd,
        f"change the vault passphrase (against a team server: your team key's, in the saved "
        f"login): the current from {PASSPHRASE_ENV}, the new from {NEW_PASSPHRASE_ENV}, else "
        "prompts",
    )
    from .team_vault import register_actions  # vault share, vault rotate (team server)

    register_actions(vault)
