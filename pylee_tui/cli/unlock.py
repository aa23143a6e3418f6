"""Opening the vault for a command: only when the service says the command needs the vault's
key, and only after every other check has passed. The key (a local vault's, or against a team
server the member's team key) comes from the unlock agent when it holds it, else from
PYLEE_PASSPHRASE, else from a prompt on a terminal."""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

from pylee_tui.services import VaultLocked

from .context import Context
from .parser import PROG
from .prompt import PASSPHRASE_ENV, read_passphrase, stdin_is_tty

NO_VAULT = f"the vault has no passphrase yet: the first `{PROG} secret set` creates it"
LOCKED_HINT = f"the vault is locked: start the agent (`{PROG} agent start`) or set {PASSPHRASE_ENV}"
TEAM_LOCKED_HINT = (
    f"your team key is locked: start the agent (`{PROG} agent start`) or set {PASSPHRASE_ENV} "
    f"to its passphrase (the one `{PROG} join` asked for)"
)


def note_vault_created(ctx: Context) -> None:
    ctx.err.write(
        f"{PROG}: created the vault with this passphrase; keep it safe: it cannot be recovered\n"
    )


def open_vault(ctx: Context, create: bool = False) -> None:
    """Unlock the vault (agent, PYLEE_PASSPHRASE, prompt); with `create`, make it first when it
    has none (then a passphrase is needed: the agent holds keys of existing vaults only)."""
    vault = ctx.services.vault
    if vault.initialized():
        from pylee_tui.agent.client import unlock_from_agent

        if unlock_from_agent(vault):  # a local vault's key or the member's team key
            return
        if not os.environ.get(PASSPHRASE_ENV) and not stdin_is_tty():
            raise VaultLocked(TEAM_LOCKED_HINT if ctx.remote else LOCKED_HINT)
        vault.unlock(read_passphrase(PASSPHRASE_ENV, "Vault passphrase: "))
        return
    if not create:
        raise VaultLocked(NO_VAULT)
    passphrase = read_passphrase(
        PASSPHRASE_ENV, "The vault has no passphrase yet; choose one: ", new=True
    )
    if vault.unlock_or_initialize(ctx.user, passphrase):
        note_vault_created(ctx)


def with_vault(ctx: Context, action: Callable[[], Any], create: bool = False) -> Any:
    """Run `action`; only if it needs the vault's key, ask for the passphrase and run it again.
    So every other check (scope, key, permission) is made before anyone is asked anything, and
    a refused attempt changes nothing (the service's transaction rolls back)."""
    try:
        return action()
    except VaultLocked:
        pass
    open_vault(ctx, create)
    return action()
