"""`login` and `whoami`: who the CLI acts as in this store."""

from __future__ import annotations

from .context import Context
from .parser import Commands


def cmd_login(ctx: Context) -> int:
    email = ctx.services.identity.save(ctx.args.email)
    ctx.out.write(f"Saved {email} as the acting user for {ctx.store.path}\n")
    return 0


def cmd_whoami(ctx: Context) -> int:
    ctx.out.write(ctx.user + "\n")
    return 0


def register(commands: Commands) -> None:
    p = commands.command("login", cmd_login, "save EMAIL as the acting user of this database")
    p.add_argument("email", metavar="EMAIL")
    commands.command("whoami", cmd_whoami, "print the acting user")
