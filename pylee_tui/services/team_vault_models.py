"""What the team vault keeps and hands out: its limits, its messages, and the values that travel
between a team server and its members' machines (keys and blobs as bytes, base64 in JSON). The
rules are `services.team_vault`'s; the cryptography is `team.sealing`'s."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from pydantic import Base64Bytes

from pylee_tui.fields import VARIABLE_VALUE_MAX_BYTES
from pylee_tui.services.base import one

if TYPE_CHECKING:
    import sqlite_utils

KEY_BYTES = 32  # a raw X25519 key
SEALED_FORMAT = b"\x02"  # team.sealing.SEALED_FORMAT (a local vault's ciphertext starts \x01)
SEALED_OVERHEAD = 1 + KEY_BYTES + 12 + 16  # format, ephemeral key, nonce, tag
MAX_SEALED_BYTES = VARIABLE_VALUE_MAX_BYTES + SEALED_OVERHEAD
WRAP_BYTES = SEALED_OVERHEAD + KEY_BYTES  # a sealed org private key

TEAM_SECRETS_SEALED = (
    "secrets reach a team server sealed by the member's machine: set them with "
    "`pylee-tui secret set` against the server"
)
KEY_CHANGED = "the org's key changed meanwhile: try again"
SECRETS_CHANGED = "the org's secrets changed meanwhile: nothing was rotated; try again"
READERS_CHANGED = "who may read the org's secrets changed meanwhile: nothing was written; try again"


def no_key_shared(org: str) -> str:
    return (
        f"you may not read secrets in {org} (no key was shared with you: ask an admin to run "
        f"`pylee-tui vault share --org {org}`)"
    )


def is_team_store(db: sqlite_utils.Database) -> bool:
    """Whether this store is a team server's (`serve init` ran: it knows people)."""
    return one(db, "SELECT 1 AS x FROM people LIMIT 1") is not None


def is_sealed(blob: object) -> bool:
    """Whether a stored ciphertext is a team vault's sealed blob (not the local vault's)."""
    return isinstance(blob, bytes | bytearray | memoryview) and bytes(blob[:1]) == SEALED_FORMAT


# --- what travels -------------------------------------------------------------------------


@dataclass(frozen=True)
class Reader:
    """A member who may read the org's secrets, and whether the current key is shared with them
    (to the key they enrolled with: `public_key`, None before they enrol)."""

    email: str
    role: str
    public_key: Base64Bytes | None
    wrapped: bool


@dataclass(frozen=True)
class VaultState:
    """An org's team vault: its key's generation (0: none yet) and public half, who reads, who
    still holds the key without reading (`stale`: a rotation is due), how many values are sealed
    to it, and how many secrets a local vault encrypted before the store served a team."""

    org: str
    org_id: int
    generation: int
    public_key: Base64Bytes | None
    readers: list[Reader]
    stale: list[str]
    sealed: int
    unsealed: int
    shared_with_you: bool

    @property
    def lacking(self) -> list[str]:
        """Readers with an enrolled key the current key is not shared with yet."""
        return [r.email for r in self.readers if r.public_key is not None and not r.wrapped]


@dataclass(frozen=True)
class SealTarget:
    """Where and to what a value for `key` at a scope is sealed: the aad's parts (org id, scope
    kind and row id, key, generation) and the public key. `personal`: the user scope, sealed to
    the member's own key (generation 0). `public_key` None: the org has no key yet; one who may
    read secrets (`may_init`) makes it."""

    org: str
    org_id: int
    scope: str
    scope_id: int
    key: str
    generation: int
    public_key: Base64Bytes | None
    personal: bool
    may_init: bool


@dataclass(frozen=True)
class SealedSecret:
    """A key's stored value for its reader: a variable's value, or a secret's sealed blob and
    what opens it (the aad's parts; `personal`: sealed to the reader's own key)."""

    org: str
    org_id: int
    scope: str
    scope_id: int
    key: str
    kind: str
    generation: int
    personal: bool
    blob: Base64Bytes | None = None
    value: str | None = None


@dataclass(frozen=True)
class OrgKeyWrap:
    """The org's current private key wrapped for the asking reader, and its public half."""

    org_id: int
    generation: int
    public_key: Base64Bytes
    wrapped: Base64Bytes


@dataclass(frozen=True)
class Wrap:
    """The org's private key sealed to one reader's `public_key` (an admin's client makes it)."""

    email: str
    public_key: Base64Bytes
    wrapped: Base64Bytes


@dataclass(frozen=True)
class SealedRow:
    """One sealed value of the org (a current key or a kept version), for a rotation."""

    table: Literal["variables", "variable_versions"]
    id: int
    scope: str
    scope_id: int
    key: str
    blob: Base64Bytes


@dataclass(frozen=True)
class SealedRows:
    generation: int
    rows: list[SealedRow]


@dataclass(frozen=True)
class Resealed:
    """A sealed row's blob sealed again to the next generation's key."""

    table: Literal["variables", "variable_versions"]
    id: int
    blob: Base64Bytes
