"""`push` and `pull`: move an org between a local store and a team server (`team.transfer`).

Both open their own two stores: the local one (--db, PYLEE_DB or the default) and the server of
the saved login (--server URL, PYLEE_SERVER or the login's own). Progress goes to stderr, the
summary to stdout; a failure is one line saying what was copied and how to finish or remove it.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TextIO, cast

from pylee_tui.safe_text import SafeWriter

from .parser import PROG, CliParser, Commands, org_option
from .prompt import PASSPHRASE_ENV, read_passphrase, stdin_is_tty

if TYPE_CHECKING:
    from pylee_tui.services import Services
    from pylee_tui.team.login import SavedLogin
    from pylee_tui.team.remote import RemoteServices
    from pylee_tui.team.transfer import Copied, OrgCopy

PUSH_HELP = (
    "copy a local org to a team server (you become its admin; secrets re-sealed on this "
    "machine; members not copied)"
)
PULL_HELP = "copy an org of a team server into the local store (secrets into the local vault)"
NOT_CARRIED = (
    "Not copied: personal overrides, change requests, the audit log and each key's earlier "
    "values; published versions are dated now, by you."
)


def _login(args: argparse.Namespace) -> SavedLogin:
    """The saved login for the server named (--server, PYLEE_SERVER) or saved."""
    from pylee_tui.services.errors import InvalidInput
    from pylee_tui.team import login
    from pylee_tui.team.remote import server_url

    from .remote_guard import SERVER_ENV

    url = getattr(args, "team_server", None) or os.environ.get(SERVER_ENV) or None
    saved = login.load()
    if url is not None:
        wanted = server_url(url)
        if saved is None or saved.url != wanted:
            raise InvalidInput(f"no login for {wanted}: run `{PROG} join {wanted} CODE` first")
    if saved is None:
        raise InvalidInput(
            f"no team login on this machine: run `{PROG} join URL CODE` first (or give --server)"
        )
    return saved


class Stores:
    """The local store's services and the team server's, closed together."""

    def __init__(self, args: argparse.Namespace):
        from pylee_tui.services import Services
        from pylee_tui.store import Store, resolve_db_path
        from pylee_tui.team.remote import RemoteServices

        saved = _login(args)
        self.path = resolve_db_path(args.db)
        self.store = Store(self.path)
        self.local = Services(self.store)
        try:
            # the local acting user: --as, PYLEE_USER or `login`'s, else the team login's email
            explicit = self.local.identity.resolve(args.as_user, os.environ.get("PYLEE_USER"))
            self.user = explicit or saved.email
            self.remote: RemoteServices = RemoteServices.from_login(saved)
        except BaseException:
            self.store.close()
            raise
        self.url = self.remote.url
        self.email = saved.email

    def close(self) -> None:
        self.remote.close()
        self.store.close()


def _unlock_local(services: Services, user: str, *, create: bool) -> Callable[[], object]:
    """Open the local vault now (the agent's key, else PYLEE_PASSPHRASE, else a prompt); with
    `create`, a store with no vault gets its passphrase now and the vault is made by the returned
    call, once the new org (whose admin may make it) exists."""
    from pylee_tui.agent.client import unlock_from_agent
    from pylee_tui.services.errors import VaultLocked

    from .unlock import LOCKED_HINT, NO_VAULT

    vault = services.vault
    if vault.initialized():
        if not unlock_from_agent(vault):
            if not os.environ.get(PASSPHRASE_ENV) and not stdin_is_tty():
                raise VaultLocked(LOCKED_HINT)
            vault.unlock(read_passphrase(PASSPHRASE_ENV, "Local vault passphrase: "))
        return lambda: None
    if not create:
        raise VaultLocked(NO_VAULT)
    passphrase = read_passphrase(
        PASSPHRASE_ENV, "The local vault has no passphrase yet; choose one: ", new=True
    )
    return lambda: None if vault.unlocked else vault.unlock_or_initialize(user, passphrase)


def _slug(given: str | None) -> str | None:
    """The new org's slug, checked before anything is opened (None: the source's)."""
    from pylee_tui.services.base import valid

    return valid("slug", given) if given is not None else None


def _read(read_org: Callable[..., OrgCopy], source: Any, actor: str, org: str, where: str) -> Any:
    """The source org as `read_org` reads it; an org it does not hold, said with where."""
    from pylee_tui.services.errors import NotFound

    try:
        return read_org(source, actor, org)
    except NotFound as exc:
        raise NotFound(f"{where}: {exc}") from None


def _stopped(exc: Any, *, where: str, undo: str) -> str:
    copied: Copied = exc.copied
    return (
        f"stopped at {exc.step}: {exc}; copied so far to {where}: org {copied.slug} with "
        f"{copied.describe()}; "
        f"finish by hand, or remove it with `{undo}` and run this again"
    )


def _summary(out: TextIO, copied: Copied, plan: OrgCopy, where: str) -> None:
    out.write(f"Copied org {plan.slug} to {where} as {copied.slug}: {copied.describe()}.\n")
    for key in copied.missing:
        out.write(f"  unset: secret {key.key} at {key.where}\n")
    for reason in copied.why_missing:
        out.write(f"  (unset because: {reason})\n")
    for note in copied.notes:
        out.write(f"  note: {note}\n")


def _sealed(copied: Copied, how: str) -> str:
    unset = f"; {len(copied.missing)} left unset" if copied.missing else ""
    from pylee_tui.summaries import plural

    return f"{plural(copied.secrets, 'secret')} sealed {how}{unset}.\n"


def _plan_lines(err: TextIO, plan: OrgCopy) -> None:
    err.write(f"{PROG}: org {plan.slug}: {plan.describe()}\n")


def cmd_push(parser: CliParser, args: argparse.Namespace, out: TextIO) -> int:
    from pylee_tui.services.errors import PyleeError
    from pylee_tui.team.transfer import CopyStopped, OrgExists, copy_org, read_org

    err = cast(TextIO, SafeWriter(sys.stderr))
    wanted = _slug(args.as_slug)
    stores = Stores(args)
    try:
        plan = _read(
            read_org, stores.local, stores.user, args.org, f"the local store {stores.path}"
        )
        slug = wanted or plan.slug
        _plan_lines(err, plan)
        if args.dry_run:
            out.write(
                f"Would copy org {plan.slug} to {stores.url} as {slug}: {plan.describe()}. "
                "Nothing was sent.\n"
            )
            for note in plan.notes:
                out.write(f"  note: {note}\n")
            return 0
        if plan.secrets:  # before anything is made: a locked vault stops here
            _unlock_local(stores.local, stores.user, create=False)

        def progress(line: str) -> None:
            err.write(f"{PROG}: {line}\n")

        progress(f"pushing org {plan.slug} to {stores.url} as {slug}")

        try:
            copied = copy_org(
                stores.local, stores.user, stores.remote, stores.email, plan,
                slug=slug, progress=progress,
            )  # fmt: skip
        except OrgExists:
            raise PyleeError(
                f"org {slug} already exists on {stores.url}: nothing was pushed (push it under "
                "another slug with --as-slug SLUG)"
            ) from None
        except CopyStopped as exc:
            undo = f"{PROG} --server {stores.url} org delete {slug} --yes"
            raise PyleeError(_stopped(exc, where=stores.url, undo=undo)) from None
        _summary(out, copied, plan, stores.url)
        out.write(_sealed(copied, "to the new org's key, on this machine"))
        others = f" ({plan.members} other member(s) of {plan.slug} here)" if plan.members else ""
        out.write(
            f"Members are not pushed{others}: you are the org's only member there; invite "
            f"people with `{PROG} --server {stores.url} member invite EMAIL --org {slug}`.\n"
        )
        out.write(NOT_CARRIED + "\n")
        return 0
    finally:
        stores.close()


def cmd_pull(parser: CliParser, args: argparse.Namespace, out: TextIO) -> int:
    from pylee_tui.services.errors import PyleeError
    from pylee_tui.team.transfer import CopyStopped, OrgExists, copy_org, mark_missing, read_org

    err = cast(TextIO, SafeWriter(sys.stderr))
    wanted = _slug(args.into_slug)
    stores = Stores(args)
    try:
        plan = _read(read_org, stores.remote, stores.email, args.org, stores.url)
        slug = wanted or plan.slug
        _plan_lines(err, plan)
        before_secrets = None
        if plan.secrets and _open_team_key(stores, plan.slug):
            before_secrets = _unlock_local(stores.local, stores.user, create=True)
        where = f"the local store ({stores.path})"

        def progress(line: str) -> None:
            err.write(f"{PROG}: {line}\n")

        progress(f"pulling org {plan.slug} from {stores.url} into {where} as {slug}")

        try:
            copied = copy_org(
                stores.remote, stores.email, stores.local, stores.user, plan, slug=slug,
                progress=progress, on_missing=mark_missing(stores.local, stores.user, plan.slug),
                before_secrets=before_secrets,
            )  # fmt: skip
        except OrgExists:
            raise PyleeError(
                f"org {slug} already exists in {where}: nothing was pulled (pull it under "
                "another slug with --into-slug SLUG)"
            ) from None
        except CopyStopped as exc:
            undo = f"{PROG} --db {stores.path} org delete {slug} --yes"
            raise PyleeError(_stopped(exc, where=where, undo=undo)) from None
        _summary(out, copied, plan, where)
        out.write(_sealed(copied, "into the local vault"))
        if copied.missing:
            out.write(
                f"`{PROG} env --org {slug}` (with --registry, --server) lists the unset secrets "
                f"as missing until set: `{PROG} secret set KEY --org {slug}`.\n"
            )
        out.write(
            f"Members are not pulled: you are the only member (admin) of the local copy; the "
            f"org on {stores.url} is unchanged.\n"
        )
        out.write(NOT_CARRIED + "\n")
        return 0
    finally:
        stores.close()


def _open_team_key(stores: Stores, org: str) -> bool:
    """Open the member's team key when the org's key is shared with them, so that they may read
    its secrets; False (no passphrase asked for) when it is not: the secrets are left unset."""
    from pylee_tui.services.errors import PyleeError

    from .team_vault import passphrase_source

    try:
        state = stores.remote.vault.org_status(org)
    except PyleeError:
        return False
    if not (state.generation and state.shared_with_you):
        if stores.email in state.lacking:
            sys.stderr.write(
                f"{PROG}: the secrets key of {org} is not shared with you yet (ask an admin for "
                f"`{PROG} vault share --org {org}`): its secrets are left unset\n"
            )
        return False
    stores.remote.vault.unlock(passphrase_source())
    return True


def register(commands: Commands) -> None:
    p = commands.command("push", cmd_push, PUSH_HELP)
    _server_option(p)
    org_option(p)
    p.add_argument(
        "--as-slug", metavar="SLUG", help="the org's slug on the server (default: its own)"
    )
    p.add_argument("--dry-run", action="store_true", help="say what would be copied; send nothing")
    p.set_defaults(without_store=True)
    p = commands.command("pull", cmd_pull, PULL_HELP)
    _server_option(p)
    org_option(p)
    p.add_argument("--into-slug", metavar="SLUG", help="the local org's slug (default: its own)")
    p.set_defaults(without_store=True)


def _server_option(p: CliParser) -> None:
    p.add_argument(
        "--server",
        dest="team_server",
        metavar="URL",
        default=argparse.SUPPRESS,
        help="the team server, as your saved login (env PYLEE_SERVER; default: the login's)",
    )
