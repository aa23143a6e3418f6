"""The vault's passphrase and data key: initialise, unlock, lock, change the passphrase.

One vault per store. Its data key is kept only wrapped in the database; once unlocked it lives
in this object's memory until `lock()`. Key derivation is slow on purpose (Argon2id): the TUI
calls these methods from a worker thread, never on the UI thread.

Who may: create the vault, anyone who may write secrets in some org (no secret exists yet, so
none is put at stake); change its passphrase, only an admin of every org that holds secrets,
since the new passphrase locks out everyone else (any admin while no org holds any).
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import sqlite_utils

from pylee_tui import crypto
from pylee_tui.services.access import PERMISSIONS
from pylee_tui.services.base import Service, one, valid
from pylee_tui.services.errors import (
    Conflict,
    InvalidInput,
    PermissionDenied,
    VaultLocked,
    WrongPassphrase,
)

if TYPE_CHECKING:
    from pylee_tui.services import Services


@dataclass(frozen=True)
class VaultStatus:
    initialized: bool
    unlocked: bool


class VaultService(Service):
    def __init__(self, services: Services):
        super().__init__(services)
        self._data_key: bytes | None = None
        self._guard = threading.Lock()

    # --- state --------------------------------------------------------------------------------

    def status(self) -> VaultStatus:
        return VaultStatus(initialized=self.initialized(), unlocked=self.unlocked)

    def initialized(self) -> bool:
        with self.store.reading() as db:
            return one(db, "SELECT 1 AS x FROM vault WHERE id = 1") is not None

    @property
    def unlocked(self) -> bool:
        return self._data_key is not None

    def data_key(self) -> bytes:
        key = self._data_key
        if key is None:
            if not self.initialized():
                raise VaultLocked(
                    "the vault has no passphrase yet: choose one when you create the first secret"
                )
            raise VaultLocked("the vault is locked: unlock it with its passphrase first")
        return key

    def lock(self) -> None:
        with self._guard:
            self._data_key = None

    # --- passphrase ---------------------------------------------------------------------------

    def initialize(self, actor: str, passphrase: str) -> None:
        """Create the vault: a new data key wrapped under this passphrase. Leaves it unlocked."""
        passphrase = _encodable(valid("passphrase", passphrase))
        params = crypto.new_kdf_params()
        data_key = crypto.new_data_key()
        wrapped = crypto.wrap_key(data_key, crypto.derive_key(passphrase, params))
        now = self.now()
        with self.store.transaction() as db:
            self._require(db, actor, "secrets:write", "create the vault")
            if one(db, "SELECT 1 AS x FROM vault WHERE id = 1") is not None:
                raise Conflict("the vault already has a passphrase; unlock it instead")
            db.table("vault").insert(
                {
                    "id": 1,
                    "kdf": json.dumps(params.to_json(), sort_keys=True),
                    "wrapped_key": wrapped,
                    "created_at": now,
                    "updated_at": now,
                    "updated_by": actor,
                }
            )
            # in every org: the vault guards all of their secrets, so every org's admins see
            # who created it
            for org in list(db.query("SELECT id, slug FROM organizations ORDER BY id")):
                self.services.audit.record(db, actor, org, "vault.create", "vault", None, "vault")
        with self._guard:
            self._data_key = data_key

    def unlock(self, passphrase: str) -> None:
        row = self._row()
        data_key = self._open(row, passphrase)
        with self._guard:
            self._data_key = data_key

    def unlock_with_key(self, data_key: bytes) -> None:
        """Unlock with a data key held elsewhere (the unlock agent), no passphrase: the caller
        vouches for it by this vault's `fingerprint`. A key of the wrong size is refused."""
        if not isinstance(data_key, bytes) or len(data_key) != crypto.KEY_BYTES:
            raise InvalidInput("that is not a vault data key")
        self._row()  # a vault to unlock
        with self._guard:
            self._data_key = data_key

    def fingerprint(self) -> str:
        """Names this vault as it is now: a hash of its wrapped key and KDF parameters (neither
        secret). Another store, or a new passphrase here, gives another fingerprint."""
        row = self._row()
        digest = hashlib.sha256(b"pylee-tui vault\0")
        digest.update(bytes(row["wrapped_key"]))
        digest.update(b"\0")
        digest.update(str(row["kdf"]).encode("utf-8"))
        return digest.hexdigest()

    def unlock_or_initialize(self, actor: str, passphrase: str) -> bool:
        """The CLI's first use: the same passphrase initialises the vault. True if it did."""
        if self.initialized():
            self.unlock(passphrase)
            return False
        self.initialize(actor, passphrase)
        return True

    def change_passphrase(self, actor: str, old: str, new: str) -> None:
        """Re-wrap the data key under a new passphrase (fresh salt); no secret is touched.
        Only for an admin of every org that holds secrets (`check_change_passphrase`)."""
        new = _encodable(valid("passphrase", new))
        self.check_change_passphrase(actor)  # refused before any slow key derivation
        row = self._row()
        data_key = self._open(row, old)
        params = crypto.new_kdf_params()
        wrapped = crypto.wrap_key(data_key, crypto.derive_key(new, params))
        with self.store.transaction() as db:
            self._require_passphrase_changer(db, actor)
            current = one(db, "SELECT wrapped_key FROM vault WHERE id = 1")
            if current is None or current["wrapped_key"] != row["wrapped_key"]:
                raise Conflict("the vault passphrase was changed elsewhere meanwhile; try again")
            db.table("vault").update(
                1,
                {
                    "kdf": json.dumps(params.to_json(), sort_keys=True),
                    "wrapped_key": wrapped,
                    "updated_at": self.now(),
                    "updated_by": actor,
                },
            )
            # in every org, as `vault.create` is
            for org in list(db.query("SELECT id, slug FROM organizations ORDER BY id")):
                self.services.audit.record(db, actor, org, "vault.passwd", "vault", None, "vault")
        with self._guard:
            self._data_key = data_key

    def check_change_passphrase(self, actor: str) -> None:
        """PermissionDenied unless the actor may change the passphrase (see
        `_require_passphrase_changer`), so a refused user is told before typing any passphrase."""
        with self.store.reading() as db:
            self._require_passphrase_changer(db, actor)

    # --- helpers ------------------------------------------------------------------------------

    def _row(self) -> dict[str, Any]:
        with self.store.reading() as db:
            row = one(db, "SELECT * FROM vault WHERE id = 1")
        if row is None:
            raise VaultLocked(
                "the vault has no passphrase yet: choose one when you create the first secret"
            )
        return row

    def _open(self, row: Mapping[str, Any], passphrase: str) -> bytes:
        if not isinstance(passphrase, str) or not passphrase:
            raise InvalidInput("type the vault passphrase")
        _encodable(passphrase)
        try:
            params = crypto.KdfParams.from_json(json.loads(row["kdf"]))
            return crypto.unwrap_key(row["wrapped_key"], crypto.derive_key(passphrase, params))
        except crypto.WrongPassphrase:
            raise WrongPassphrase("wrong vault passphrase; nothing was changed") from None
        except (crypto.CryptoError, ValueError) as exc:
            raise InvalidInput(f"the vault key in this store is damaged: {exc}") from None

    def _require(self, db: sqlite_utils.Database, actor: str, permission: str, doing: str) -> None:
        """The vault serves every org of the store: acting on it needs `permission` in at
        least one of them (admins have every permission)."""
        access = self.services.access
        for row in db.query(
            "SELECT org_id FROM members WHERE email = ? AND status = 'active'", [actor]
        ):
            member = access.membership(db, actor, row["org_id"])
            if member is not None and member.allows(permission):
                return
        grant = PERMISSIONS[permission]
        needs = "the admin role" if not grant else f"the admin role or the grant '{grant}'"
        raise PermissionDenied(f"you ({actor}) cannot {doing}: it needs {needs} in an organization")

    def _require_passphrase_changer(self, db: sqlite_utils.Database, actor: str) -> None:
        """A new passphrase locks out everyone who only knows the old one, so it is for an admin
        of every organization that holds secrets (a current value or a kept version: rolling
        back needs the key too). While none holds any, nobody's secret is at stake and any
        admin may (as the vault may be created by anyone who may write secrets)."""
        access = self.services.access
        holding = list(
            db.query(
                "SELECT o.id, o.slug FROM organizations o WHERE "
                "EXISTS (SELECT 1 FROM variables v "
                "WHERE v.org_id = o.id AND v.encrypted_value IS NOT NULL) "
                "OR EXISTS (SELECT 1 FROM variable_versions v "
                "WHERE v.org_id = o.id AND v.encrypted_value IS NOT NULL) "
                "ORDER BY o.slug"
            )
        )
        if not holding:
            self._require(db, actor, "secrets:reveal", "change the vault passphrase")
            return
        seen: list[str] = []  # orgs the actor belongs to without being an admin: named
        unseen = 0  # orgs the actor may not see: counted, never named
        for org in holding:
            member = access.membership(db, actor, org["id"])
            if member is None:
                unseen += 1
            elif member.role != "admin":
                seen.append(f"'{org['slug']}'")
        if not seen and not unseen:
            return
        if seen and unseen:
            which = f"{', '.join(seen)} and {unseen} other{'s' if unseen > 1 else ''}"
        elif seen:
            which = seen[0] if len(seen) == 1 else f"{', '.join(seen[:-1])} and {seen[-1]}"
        else:
            which = f"{unseen} of them"
        raise PermissionDenied(
            f"you ({actor}) cannot change the vault passphrase: it guards every organization's "
            "secrets, so it needs the admin role in each organization that holds secrets; "
            f"you are not an admin of {which}"
        )


def _encodable(passphrase: str) -> str:
    """Key derivation needs the passphrase as UTF-8; a terminal in another encoding can hand us
    undecodable bytes (lone surrogates). Say so, without echoing any of it."""
    try:
        passphrase.encode("utf-8")
    except UnicodeEncodeError:
        raise InvalidInput(
            "the vault passphrase contains bytes that are not valid text; "
            "check your terminal's character encoding (UTF-8)"
        ) from None
    return passphrase
