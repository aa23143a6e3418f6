"""`demo`: fill the store with sample orgs, registries, servers, members and variables."""

from __future__ import annotations

import os
import secrets
import tempfile
from pathlib import Path

from .context import Context
from .parser import PROG, Commands
from .prompt import PASSPHRASE_ENV
from .unlock import note_vault_created


def cmd_demo(ctx: Context) -> int:
    if ctx.remote:  # a team server: made here, then copied there as push does
        return remote_demo(ctx)
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


def remote_demo(ctx: Context) -> int:
    """`demo` against a team server: the demo is built in a throwaway local store (its fake
    secrets in a vault with a random passphrase), each org copied to the server as the login's
    person (`team.transfer`, as `push` does: secrets sealed on this machine to the new org's
    key), then the throwaway store deleted. Refused up front, nothing made, when a demo org's
    slug is already one of the person's orgs there."""
    from pylee_tui.services import Services
    from pylee_tui.services.demo import DEMO_ORGS, load_demo
    from pylee_tui.services.errors import PyleeError
    from pylee_tui.store import Store
    from pylee_tui.team.transfer import CopyStopped, OrgExists, copy_org, read_org

    url, user = ctx.server_url, ctx.user
    taken = {o.slug for o in ctx.services.orgs.list_orgs(user)} & {o.slug for o in DEMO_ORGS}
    if taken:
        raise PyleeError(
            f"the demo is already loaded on {url}: organization '{sorted(taken)[0]}' exists; "
            "nothing was made"
        )
    passphrase = os.environ.get(PASSPHRASE_ENV)  # the team key's, to seal with
    with_secrets = bool(passphrase)
    if passphrase:  # a wrong one stops here, before anything is made
        ctx.services.vault.unlock(passphrase)
    loaded: list[str] = []
    with tempfile.TemporaryDirectory(prefix="pylee-demo-") as tmp:
        store = Store(Path(tmp) / "demo.db")
        try:
            local = Services(store)
            throwaway = secrets.token_urlsafe(24) if with_secrets else None
            for slug in load_demo(local, user, throwaway):
                plan = read_org(local, user, slug)
                try:
                    copy_org(local, user, ctx.services, user, plan)
                except OrgExists:
                    raise PyleeError(
                        _stopped_line(url, slug, loaded, "it already exists there")
                    ) from None
                except CopyStopped as exc:
                    raise PyleeError(
                        _stopped_line(url, slug, loaded, f"stopped at {exc.step}: {exc}")
                        + f"; remove what was made with `{PROG} --server {url} org delete "
                        f"{slug} --yes`"
                    ) from None
                loaded.append(slug)
                ctx.err.write(f"{PROG}: loaded demo org {slug} onto {url}\n")
        finally:
            store.close()
    ctx.out.write(
        f"Loaded the demo onto {url}: {', '.join(loaded)}; you ({user}) are admin of each.\n"
        "Its sample members are not there (members join by invitation).\n"
    )
    if not with_secrets:
        ctx.out.write(
            f"Its secrets were left out ({PASSPHRASE_ENV}, your team key's passphrase, was not "
            f"set): set them with `{PROG} secret set`, or load the demo with it set for fake "
            "ones.\n"
        )
    else:
        ctx.out.write("Its fake secrets were sealed on this machine to each org's key.\n")
    return 0


def _stopped_line(url: str | None, slug: str, loaded: list[str], why: str) -> str:
    done = f"loaded before it: {', '.join(loaded)}" if loaded else "nothing was loaded"
    return f"demo org {slug} was not loaded onto {url} ({why}); {done}"


def register(commands: Commands) -> None:
    commands.command(
        "demo",
        cmd_demo,
        "fill the store (or a team server) with sample orgs, registries, servers and members",
    )
