"""`vault status --org`, `vault share` and `vault rotate` against a team server: an org's
secrets key in the end-to-end vault (`team.vault_client`). Registered into the `vault` group
(`cli.vault`); against a local store they say where they work."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any

from pylee_tui.services.errors import InvalidInput, VaultLocked

from .output import emit_json, emit_table
from .parser import PROG
from .prompt import PASSPHRASE_ENV, read_passphrase, stdin_is_tty

if TYPE_CHECKING:
    from pylee_tui.services.team_vault import VaultState
    from pylee_tui.team.vault_client import RemoteVault

    from .context import Context
    from .parser import Commands

LOCAL = (
    "an org's secrets key lives on a team server: run this against one "
    f"(`{PROG} join URL CODE`, or --server URL)"
)
NO_TERMINAL = (
    f"your team key's passphrase is needed: set {PASSPHRASE_ENV} (there is no terminal to ask on)"
)


def passphrase_source() -> str:
    """The team key's passphrase, for a key change a command makes on its way (a removal that
    rotates the org's key): PYLEE_PASSPHRASE, else a prompt; VaultLocked without either, so the
    change is left for `vault rotate` rather than failing the command."""
    if not os.environ.get(PASSPHRASE_ENV) and not stdin_is_tty():
        raise VaultLocked(NO_TERMINAL)
    return read_passphrase(PASSPHRASE_ENV, "Passphrase of your team key: ")


def attach(ctx: Context) -> None:
    """Against a team server: let the client ask for the team key's passphrase when a command
    needs it for the org's key (membership changes share or rotate it)."""
    if getattr(ctx, "remote", False):
        team_vault(ctx).passphrase = passphrase_source


def print_notes(ctx: Context) -> None:
    """What the client did to an org's key along the way, or left to do: one line each."""
    if getattr(ctx, "remote", False):
        for note in team_vault(ctx).take_notes():
            ctx.err.write(f"{PROG}: {note}\n")


def team_vault(ctx: Context) -> RemoteVault:
    if not getattr(ctx, "remote", False):
        raise InvalidInput(LOCAL)
    vault: RemoteVault = ctx.services.vault  # type: ignore[assignment]
    return vault


# --- commands ---------------------------------------------------------------------------------


def cmd_team_status(ctx: Context) -> int:
    """`vault status` against a team server: the org's secrets key."""
    org = getattr(ctx.args, "org", None)
    if not org:
        raise InvalidInput(f"against a team server, name the org: {PROG} vault status --org SLUG")
    state = team_vault(ctx).org_status(org)
    if ctx.args.json:
        emit_json(state_json(state), ctx.out)
        return 0
    if state.generation == 0:
        ctx.out.write(
            f"Org {state.org} has no secrets key yet: an admin's first `{PROG} secret set` "
            f"makes it (or `{PROG} vault share --org {state.org}`).\n"
        )
    else:
        yours = "It is shared with you." if state.shared_with_you else "It is not shared with you."
        ctx.out.write(
            f"Org {state.org}: secrets key generation {state.generation} (fingerprint "
            f"{fingerprint(state)}); {state.sealed} sealed value(s), kept versions included. "
            f"{yours}\n"
        )
    emit_table(
        ["READER", "ROLE", "JOINED", "HAS THE KEY"],
        [
            (
                r.email,
                r.role,
                "yes" if r.public_key is not None else "no",
                "yes" if r.wrapped else "no",
            )
            for r in state.readers
        ],
        ctx.out,
    )
    _advice(ctx, state)
    return 0


def cmd_vault_share(ctx: Context) -> int:
    vault = team_vault(ctx)
    vault.passphrase = passphrase_source
    org = ctx.args.org
    before = vault.org_status(org)
    state = vault.share(org)
    if before.generation == 0:
        ctx.out.write(
            f"Made the secrets key of {state.org} (generation {state.generation}, fingerprint "
            f"{fingerprint(state)}), shared with {_names(_holders(state))}.\n"
        )
    elif before.lacking:
        ctx.out.write(f"Shared the secrets key of {state.org} with {_names(before.lacking)}.\n")
    else:
        ctx.out.write(
            f"Nothing to share: every reader of {state.org} who has joined holds its key.\n"
        )
    _advice(ctx, state)
    return 0


def cmd_vault_rotate(ctx: Context) -> int:
    vault = team_vault(ctx)
    vault.passphrase = passphrase_source
    org = ctx.args.org
    before = vault.org_status(org)
    state = vault.rotate(org)
    ctx.out.write(
        f"Rotated the secrets key of {state.org}: generation {state.generation} (fingerprint "
        f"{fingerprint(state)}), {state.sealed} sealed value(s) re-sealed (kept versions "
        "included), shared with "
        f"{_names(_holders(state))}"
        + (f"; {_names(before.stale)} no longer hold(s) it" if before.stale else "")
        + ".\n"
    )
    _advice(ctx, state)
    return 0


# --- output -----------------------------------------------------------------------------------


def fingerprint(state: VaultState) -> str:
    from pylee_tui.team.sealing import fingerprint as of

    return of(bytes(state.public_key)) if state.public_key is not None else "-"


def state_json(state: VaultState) -> dict[str, Any]:
    return {
        "org": state.org,
        "generation": state.generation,
        "fingerprint": fingerprint(state) if state.public_key is not None else None,
        "sealed": state.sealed,
        "unsealed": state.unsealed,
        "shared_with_you": state.shared_with_you,
        "readers": [
            {
                "email": r.email,
                "role": r.role,
                "joined": r.public_key is not None,
                "has_key": r.wrapped,
            }
            for r in state.readers
        ],
        "stale": state.stale,
        "lacking": state.lacking,
    }


def _holders(state: VaultState) -> list[str]:
    return [r.email for r in state.readers if r.wrapped]


def _names(emails: Any) -> str:
    names = list(emails)
    return ", ".join(names) if names else "nobody"


def _advice(ctx: Context, state: VaultState) -> None:
    org = state.org
    if state.stale:
        ctx.out.write(
            f"Due a rotation: {_names(state.stale)} hold(s) the key and no longer read secrets: "
            f"{PROG} vault rotate --org {org}\n"
        )
    if state.generation and state.lacking:
        ctx.out.write(
            f"Not shared yet with {_names(state.lacking)}: {PROG} vault share --org {org}\n"
        )
    waiting = [r.email for r in state.readers if r.public_key is None]
    if waiting:
        ctx.out.write(
            f"Not joined yet: {_names(waiting)} (share the key once they have: "
            f"{PROG} vault share --org {org})\n"
        )
    if state.unsealed:
        ctx.out.write(
            f"{state.unsealed} secret value(s) of {org} were encrypted by this store's local "
            "vault before it served a team and cannot be read here: set them again\n"
        )


def register_actions(vault: Commands) -> None:
    """`vault share` and `vault rotate` (called by `cli.vault` with its group)."""
    p = vault.command(
        "share",
        cmd_vault_share,
        "against a team server: share the org's secrets key with every reader who lacks it "
        f"(makes the key when there is none); your team key's passphrase from {PASSPHRASE_ENV} "
        "or a prompt",
    )
    p.add_argument("--org", metavar="SLUG", required=True, help="the organization")
    p = vault.command(
        "rotate",
        cmd_vault_rotate,
        "against a team server: a new secrets key for the org, every secret re-sealed to it and "
        "shared with exactly its readers",
    )
    p.add_argument("--org", metavar="SLUG", required=True, help="the organization")
