"""`demo`: fill the store with sample orgs, registries, servers, members and variables."""

from __future__ import annotations

import os

from .context import Context
from .parser import PROG, Commands
from .prompt import PASSPHRASE_ENV
from .unlock import note_vault_created


def cmd_demo(ctx: Context) -> int:
    from pylee_tui.services.demo import load_demo

    # with a passphrase, the vault is opened (or created) and the demo's fake secrets added
    had_vault = ctx.services.vault.initialized()
    slugs = load_demo(ctx.services, ctx.user, os.environ.get(PASSPHRASE_ENV) or None)
    if ctx.services.vault.unlocked and not had_vault:
        note_vault_created(ctx)
    ctx.out.write(
        f"Loaded the demo: {', '.join(slugs)}; you ({ctx.user}) are admin of each.\n"
        f"Open it with: {PROG}" + (f" --db {ctx.args.db}" if ctx.args.db else "") + "\n"
    )
    if not ctx.services.vault.unlocked:
        ctx.out.write(
            f"Its secrets were left out (the vault was not opened): set them with "
            f"`{PROG} secret set`, or load the demo with {PASSPHRASE_ENV} set for fake ones.\n"
        )
    return 0


def register(commands: Commands) -> None:
    commands.command(
        "demo", cmd_demo, "fill the store with sample orgs, registries, servers and members"
    )
