"""The member's side of the team vault: every seal, open, wrap and rotation happens here, on the
member's machine, with `team.sealing`; the server (`services.team_vault`) only keeps blobs.

`RemoteVault` stands where `Services.vault` stands for the CLI (`initialized`, `unlocked`,
`unlock(passphrase)`, `lock`): unlocking opens the member's own private key, saved by `join`
under their passphrase. Writing a secret needs no unlock (it is sealed to the org's public key,
or to the member's own for their user scope); reading one does (the org's private key comes
wrapped to the reader's key). An admin's client makes the org's first key when it writes the
org's first secret, shares the key with readers who lack it and rotates it when someone who held
it no longer reads (`reconcile`, after each membership change made through `RemoteServices`).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import TYPE_CHECKING, Literal

from pylee_tui import crypto
from pylee_tui.services.base import valid
from pylee_tui.services.errors import (
    Conflict,
    InvalidInput,
    PyleeError,
    SecretUnreadable,
    VaultLocked,
    WrongPassphrase,
)
from pylee_tui.services.team_vault_models import (
    KEY_CHANGED,
    SECRETS_CHANGED,
    OrgKeyWrap,
    Reader,
    Resealed,
    SealedRows,
    SealedSecret,
    VaultState,
    Wrap,
)
from pylee_tui.services.vault import VaultStatus
from pylee_tui.team import sealing

if TYPE_CHECKING:
    from pylee_tui.models import Variable
    from pylee_tui.services.resolver import EffectiveConfig
    from pylee_tui.services.scope import Scope
    from pylee_tui.team.remote import RemoteService

LOCKED = (
    "your team key is locked: give its passphrase (the one `pylee-tui join` asked for) in "
    "PYLEE_PASSPHRASE or at the prompt"
)
NO_KEY_HERE = "there is no team key on this machine: `pylee-tui join` the server again"
ATTEMPTS = 3  # a key rotated or made by someone else meanwhile: read again and retry


def no_org_key(org: str) -> Conflict:
    """A secret written to an org that has no key yet, by someone who may not make it."""
    return Conflict(
        f"org {org} has no secrets key yet: an admin makes it by setting its first secret, or "
        f"with `pylee-tui vault share --org {org}`"
    )


def personal_aad(org_id: int, member_id: int, key: str) -> bytes:
    """What a secret of a member's own (the user scope, sealed to their key) is bound to."""
    return crypto.associated_data(org_id, "user", member_id, key) + b"\x00sealed-to-member"


class RemoteVault:
    """The team vault as this member's machine sees it (see the module's docstring)."""

    def __init__(
        self,
        service: RemoteService,
        whoami: Callable[[], str],
        *,
        protected_key: bytes | None = None,
        public_key: bytes | None = None,
    ):
        self._service = service
        self._whoami = whoami
        self._email: str | None = None
        self._protected = protected_key
        self._public = public_key
        self._private: bytes | None = None
        self._org_keys: dict[tuple[int, int], bytes] = {}
        # asked for the passphrase when a membership change needs this member's key (the CLI
        # sets it; without it the change is made and the key work is left in `notes`)
        self.passphrase: Callable[[], str] | None = None
        self.notes: list[str] = []

    # --- the face `cli.unlock` uses (as Services.vault) -----------------------------------

    def initialized(self) -> bool:
        return self._protected is not None

    @property
    def unlocked(self) -> bool:
        return self._private is not None

    def status(self) -> VaultStatus:
        return VaultStatus(initialized=self.initialized(), unlocked=self.unlocked)

    def unlock(self, passphrase: str) -> None:
        """Open this member's private key with their passphrase (WrongPassphrase else)."""
        if self._protected is None:
            raise VaultLocked(NO_KEY_HERE)
        try:
            private = sealing.unprotect(self._protected, passphrase)
        except crypto.WrongPassphrase:
            raise WrongPassphrase(
                "wrong passphrase for your team key; nothing was changed"
            ) from None
        except crypto.CryptoError as exc:
            raise InvalidInput(f"your saved team key is damaged ({exc}): join again") from None
        if self._public is not None and sealing.public_key_of(private) != self._public:
            raise InvalidInput("your saved team key does not match its public key: join again")
        self._private = private

    def unlock_or_initialize(self, actor: str, passphrase: str) -> bool:
        self.unlock(passphrase)
        return False

    def lock(self) -> None:
        self._private = None
        self._org_keys.clear()

    def fingerprint(self) -> str:
        """What the unlock agent holds this key under: the server, the member and the key's
        own fingerprint (never a database path: there is no local store)."""
        if self._protected is None:
            raise VaultLocked(NO_KEY_HERE)
        public = self._public if self._public is not None else self._public_of_private()
        digest = hashlib.sha256(public).hexdigest()[:32]
        return f"team:{self.server_url}|{self.email}|{digest}"

    def agent_label(self) -> str:
        """How `agent status` names this key."""
        return f"team key of {self.email} on {self.server_url}"

    @property
    def server_url(self) -> str:
        url = getattr(getattr(self._service, "_connection", None), "url", None)
        return str(url) if url else "the team server"

    def unlock_with_key(self, data_key: bytes) -> None:
        """Take the private key the unlock agent held (it must be this login's key)."""
        if self._public is not None and sealing.public_key_of(data_key) != self._public:
            raise InvalidInput("the agent's team key is not this login's key")
        self._private = bytes(data_key)

    def data_key(self) -> bytes:
        """The unlocked private key, for the unlock agent only (it keeps it in memory)."""
        return self._mine()

    def check_change_passphrase(self, actor: str) -> None:
        raise InvalidInput(
            "your team key's passphrase is the one `pylee-tui join` set: join again to choose "
            "another"
        )

    # --- secrets ------------------------------------------------------------------------------

    def put_secret(self, scope: Scope, key: str, value: str) -> Variable:
        """Seal `value` on this machine and store it at `scope` (the org's first secret, by a
        reader: its key is made first)."""
        for attempt in range(ATTEMPTS):
            blob, generation = self.seal(scope, key, value)
            try:
                return self._service.put_sealed(self.email, scope, key, blob, generation)
            except Conflict as exc:
                if KEY_CHANGED not in str(exc) or attempt == ATTEMPTS - 1:
                    raise
        raise Conflict(KEY_CHANGED)

    def seal(self, scope: Scope, key: str, value: str) -> tuple[bytes, int]:
        """`value` sealed on this machine to what the server names for `key` at `scope` (the
        member's own key for their user scope, else the org's, made first when the org has
        none and this member may make it), and that key's generation."""
        value = valid("variable_value", value)
        target = self._service.seal_target(self.email, scope, key)
        if not target.personal and target.public_key is None:
            if not target.may_init:
                raise no_org_key(target.org)
            self._init(target.org)
            target = self._service.seal_target(self.email, scope, key)
            if target.public_key is None:
                raise no_org_key(target.org)
        if target.personal:
            public = self._own_public(target.public_key)
            aad = personal_aad(target.org_id, target.scope_id, target.key)
        else:
            public = bytes(target.public_key)
            aad = sealing.secret_aad(
                target.org_id, target.scope, target.scope_id, target.key, target.generation
            )
        return sealing.seal_secret(public, value, aad), target.generation

    def reveal(
        self, scope: Scope, key: str, *, purpose: Literal["reveal", "copy"] = "reveal"
    ) -> str:
        """A key's value opened on this machine (a secret: the server audits the read)."""
        # refusals come before a passphrase is asked for; a plain variable needs none
        if (
            not self.unlocked
            and self._service.check_reveal(self.email, scope, key, purpose) == "secret"
        ):
            self._unlock_or_raise()
        for _attempt in range(ATTEMPTS):
            found = self._service.sealed(self.email, scope, key, purpose=purpose)
            if found.kind != "secret":
                return str(found.value)
            opened = self._open([found])
            if opened is not None:
                return opened[found.key]
        raise Conflict(KEY_CHANGED)

    def revealed(
        self,
        masked: EffectiveConfig,
        scope: Scope,
        keys: list[str] | None = None,
        *,
        purpose: Literal["export", "reveal", "copy"] = "export",
        via: str | None = None,
    ) -> EffectiveConfig:
        """`masked` (the scope's effective configuration as the server resolved it) with its
        winning secrets (every one, or those of `keys`) opened on this machine: their values in
        place, references through them expanded. The server audits the read."""
        from pylee_tui.team.wire import config_from_wire, config_to_wire

        if not self.unlocked and self._service.check_effective(self.email, scope, keys):
            self._unlock_or_raise()  # refusals first, then the passphrase
        for _attempt in range(ATTEMPTS):
            found = self._service.sealed_effective(
                self.email, scope, keys, purpose=purpose, via=via
            )
            values = self._open(found)
            if values is None:
                continue
            wire = config_to_wire(masked)
            winners = [
                d._replace(value=values[d.key]) if d.key in values else d for d in wire.winners
            ]
            return config_from_wire(wire.model_copy(update={"winners": winners}))
        raise Conflict(KEY_CHANGED)

    def winning_secrets(
        self,
        scope: Scope,
        keys: list[str],
        *,
        purpose: Literal["export", "reveal", "run", "check", "call"] = "reveal",
    ) -> dict[str, str]:
        """The plaintext of the secrets among `keys` that win in the scope's effective
        configuration (the member's own overrides over it), opened on this machine, by key: what
        starting a server (`run`, `check`, `call`: needs `secrets:reveal` unless every one is
        the member's own) or an export (`"export"`: needs it always) is given. The server
        refuses before anything is read, and audits the read as `secret.<purpose>`."""
        if not keys:
            return {}
        if not self.unlocked and self._service.check_effective(self.email, scope, keys):
            self._unlock_or_raise()  # refusals first, then the passphrase
        for _attempt in range(ATTEMPTS):
            found = self._service.sealed_effective(self.email, scope, keys, purpose=purpose)
            values = self._open(found)
            if values is not None:
                return values
        raise Conflict(KEY_CHANGED)

    # --- the org's key ------------------------------------------------------------------------

    def org_status(self, org: str) -> VaultState:
        return self._service.status(self.email, org)

    def share(self, org: str) -> VaultState:
        """Wrap the org's key for every reader who has enrolled and lacks it (the org's first
        key when it has none). Needs this reader's key unlocked when there is someone to share
        with."""
        state = self.org_status(org)
        if state.generation == 0:
            return self._init(org)
        lacking = [r for r in state.readers if r.public_key is not None and not r.wrapped]
        if not lacking:
            return state
        self._unlock_or_raise()
        wrap = self._service.my_wrap(self.email, org)
        org_private = self._org_private(wrap)
        wraps = self._wraps(wrap.org_id, wrap.generation, org_private, lacking)
        return self._service.add_wraps(self.email, org, wrap.generation, wraps)

    def rotate(self, org: str) -> VaultState:
        """A new key for the org: every sealed value re-sealed to it, its private half wrapped
        for exactly the current readers, in one transaction on the server (retried when the org
        changed meanwhile)."""
        self._unlock_or_raise()
        for attempt in range(ATTEMPTS):
            rows = self._service.sealed_rows(self.email, org)
            if rows.generation == 0:
                raise Conflict(f"org {org} has no secrets key to rotate yet")
            wrap = self._service.my_wrap(self.email, org)
            if wrap.generation != rows.generation:
                continue
            try:
                return self._rotate(org, wrap, rows)
            except Conflict as exc:
                retry = any(text in str(exc) for text in (KEY_CHANGED, SECRETS_CHANGED))
                if not retry or attempt == ATTEMPTS - 1:
                    raise
        raise Conflict(KEY_CHANGED)

    def reconcile(self, org: str) -> None:
        """After a membership change: share the key with new readers, rotate it when someone
        who holds it no longer reads. Never raises: what is left undone is said in `notes`."""
        try:
            state = self.org_status(org)
            if state.generation == 0 or not any(r.email == self.email for r in state.readers):
                return
            if state.stale:
                if not self._try_unlock():
                    self.notes.append(
                        f"{', '.join(state.stale)} still hold(s) the secrets key of {org}: "
                        f"rotate it with `pylee-tui vault rotate --org {org}`"
                    )
                    return
                done = self.rotate(org)
                self.notes.append(
                    f"rotated the secrets key of {org} (generation {done.generation}): "
                    f"{done.sealed} sealed value(s) re-sealed, kept versions included; "
                    f"{', '.join(state.stale)} no longer hold(s) it"
                )
            elif state.lacking:
                if not self._try_unlock():
                    self.notes.append(
                        f"{', '.join(state.lacking)} may read secrets in {org} but lack(s) its "
                        f"key: share it with `pylee-tui vault share --org {org}`"
                    )
                    return
                self.share(org)
                self.notes.append(
                    f"shared the secrets key of {org} with {', '.join(state.lacking)}"
                )
        except PyleeError as exc:
            self.notes.append(f"the secrets key of {org} was left as it was: {exc}")

    def after_create(self, org: str) -> None:
        """Having made an org (its admin, its only reader so far): make its secrets key now, so
        a member with `secrets:write` can seal a secret before any admin has set one. Needs no
        unlock (a new key pair, wrapped to the readers' public keys). Never raises: what is left
        undone is said in `notes`."""
        try:
            if self.org_status(org).generation == 0:
                self._init(org)
        except PyleeError as exc:
            self.notes.append(
                f"the secrets key of {org} was not made ({exc}): an admin makes it with "
                f"`pylee-tui vault share --org {org}`"
            )

    def after_accept(self, org: str) -> None:
        """Having joined an org as one who may read its secrets: say when its key is not shared
        with this member yet (only an admin's client can share it). Never raises."""
        try:
            state = self.org_status(org)
        except PyleeError:
            return
        if state.generation and self.email in state.lacking:
            self.notes.append(
                f"the secrets key of {org} is not shared with you yet: ask an admin to run "
                f"`pylee-tui vault share --org {org}`"
            )

    def take_notes(self) -> list[str]:
        """What `reconcile` did or left undone since the last call, once."""
        notes, self.notes = self.notes, []
        return notes

    # --- internals ----------------------------------------------------------------------------

    @property
    def email(self) -> str:
        if self._email is None:
            self._email = self._whoami()
        return self._email

    def _mine(self) -> bytes:
        if self._private is None:
            raise VaultLocked(LOCKED if self.initialized() else NO_KEY_HERE)
        return self._private

    def _try_unlock(self) -> bool:
        if self.unlocked:
            return True
        if self._protected is not None and self._from_agent():
            return True
        if self.passphrase is None or self._protected is None:
            return False
        try:
            self.unlock(self.passphrase())
        except VaultLocked:
            return False
        return True

    def _from_agent(self) -> bool:
        """The unlock agent's copy of this key, when it holds one (before any passphrase)."""
        from pylee_tui.agent.client import unlock_from_agent

        return unlock_from_agent(self)

    def _public_of_private(self) -> bytes:
        if self._private is None:
            raise VaultLocked(LOCKED)
        return sealing.public_key_of(self._private)

    def _unlock_or_raise(self) -> None:
        if not self._try_unlock():
            self._mine()

    def _own_public(self, public_key: bytes | None) -> bytes:
        if public_key is None:
            raise InvalidInput(NO_KEY_HERE)
        if self._public is not None and bytes(public_key) != self._public:
            raise Conflict(
                "the server holds another key for you than this machine's (did you join from "
                "another machine?): join again here to write your own secrets"
            )
        return bytes(public_key)

    def _open(self, found: list[SealedSecret]) -> dict[str, str] | None:
        """Each sealed secret's value by key; None when the org's key was rotated since they
        were read (read them again)."""
        values: dict[str, str] = {}
        wrap: OrgKeyWrap | None = None
        for secret in found:
            assert secret.blob is not None  # a secret always comes with its blob
            if secret.personal:
                private = self._mine()
                aad = personal_aad(secret.org_id, secret.scope_id, secret.key)
            else:
                wrap = wrap or self._service.my_wrap(self.email, secret.org)
                if wrap.generation != secret.generation:
                    return None
                private = self._org_private(wrap)
                aad = sealing.secret_aad(
                    secret.org_id, secret.scope, secret.scope_id, secret.key, secret.generation
                )
            try:
                values[secret.key] = sealing.open_secret(private, bytes(secret.blob), aad)
            except crypto.CryptoError as exc:
                raise SecretUnreadable(
                    f"{secret.key} cannot be opened with your key: {exc}"
                ) from None
        return values

    def _org_private(self, wrap: OrgKeyWrap) -> bytes:
        """The org's private key from this reader's wrap, checked against its public half."""
        cached = self._org_keys.get((wrap.org_id, wrap.generation))
        if cached is not None:
            return cached
        try:
            org_private = sealing.unwrap_for(
                self._mine(), bytes(wrap.wrapped), wrap.org_id, wrap.generation, self.email
            )
        except crypto.CryptoError as exc:
            raise SecretUnreadable(
                f"the org's key shared with you does not open with your key ({exc}): ask an "
                "admin to share it again (`pylee-tui vault share`)"
            ) from None
        if sealing.public_key_of(org_private) != bytes(wrap.public_key):
            raise SecretUnreadable(
                "the org's key shared with you does not match the org's public key: the server "
                "answered with keys that do not belong together"
            )
        self._org_keys[(wrap.org_id, wrap.generation)] = org_private
        return org_private

    def _wraps(
        self, org_id: int, generation: int, org_private: bytes, readers: list[Reader]
    ) -> list[Wrap]:
        """The org's private key wrapped for each of `readers` who has enrolled."""
        wraps = []
        for reader in readers:
            if reader.public_key is not None:
                public = bytes(reader.public_key)
                wrapped = sealing.wrap_for(public, org_private, org_id, generation, reader.email)
                wraps.append(Wrap(reader.email, public, wrapped))
        return wraps

    def _init(self, org: str) -> VaultState:
        """Make the org's first key and wrap it for its readers (someone else's first key made
        meanwhile is kept: their answer is a Conflict this reads as done)."""
        state = self.org_status(org)
        pair = sealing.new_key_pair()
        wraps = self._wraps(state.org_id, 1, pair.private, state.readers)
        try:
            done = self._service.init_key(self.email, org, pair.public, wraps)
        except Conflict as exc:
            if KEY_CHANGED not in str(exc):
                raise
            return self.org_status(org)
        self._org_keys[(state.org_id, 1)] = pair.private
        return done

    def _rotate(self, org: str, wrap: OrgKeyWrap, rows: SealedRows) -> VaultState:
        old = self._org_private(wrap)
        state = self.org_status(org)
        new, generation = sealing.new_key_pair(), rows.generation + 1
        try:
            blobs = sealing.rotate(
                old,
                [
                    (
                        bytes(row.blob),
                        sealing.secret_aad(
                            wrap.org_id, row.scope, row.scope_id, row.key, wrap.generation
                        ),
                        sealing.secret_aad(
                            wrap.org_id, row.scope, row.scope_id, row.key, generation
                        ),
                    )
                    for row in rows.rows
                ],
                new.public,
            )
        except crypto.CryptoError as exc:
            raise SecretUnreadable(f"the org's secrets cannot be re-sealed: {exc}") from None
        resealed = [
            Resealed(row.table, row.id, blob) for row, blob in zip(rows.rows, blobs, strict=True)
        ]
        wraps = self._wraps(wrap.org_id, generation, new.private, state.readers)
        done = self._service.rotate(self.email, org, wrap.generation, new.public, wraps, resealed)
        self._org_keys[(wrap.org_id, generation)] = new.private
        return done
