"""The vault's keys and encryption. No database, no UI: bytes in, bytes out.

Envelope encryption:
- one random 256-bit *data key* encrypts every secret value with AES-256-GCM, a fresh 12-byte
  nonce per write, and associated data naming the row (org, scope, key), so a ciphertext copied
  to another row fails to decrypt;
- the data key is stored only *wrapped*: encrypted with AES-256-GCM under a key derived from the
  vault passphrase with Argon2id. The KDF parameters and salt are stored beside the wrapped key,
  so changing the passphrase re-wraps the data key and touches no secret.

Every failure is a `CryptoError` whose message names no secret.
"""

from __future__ import annotations

import base64
import os
from dataclasses import asdict, dataclass
from typing import Any, TypedDict

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.argon2 import Argon2id

KEY_BYTES = 32
NONCE_BYTES = 12
SALT_BYTES = 16
# A format byte in front of every blob, so a later format can be told apart.
SECRET_FORMAT = b"\x01"
WRAP_FORMAT = b"\x01"
WRAP_AAD = b"pylee-tui vault data key v1"
# the most a stored KDF setting may ask for (the defaults are 3 passes, 4 lanes, 64 MiB)
MAX_ITERATIONS = 32
MAX_LANES = 16
MAX_MEMORY_KIB = 1024 * 1024


class CryptoError(Exception):
    """Something could not be decrypted or derived; the message is safe to show."""


class WrongPassphrase(CryptoError):
    pass


class Undecryptable(CryptoError):
    """A ciphertext that fails authentication: altered, truncated or moved from another row."""


@dataclass(frozen=True)
class KdfParams:
    """Argon2id parameters, stored with the wrapped key (memory in KiB)."""

    salt: bytes
    iterations: int = 3
    lanes: int = 4
    memory_kib: int = 64 * 1024
    algorithm: str = "argon2id"

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["salt"] = base64.b64encode(self.salt).decode("ascii")
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> KdfParams:
        if data.get("algorithm") != "argon2id":
            raise CryptoError(f"unknown key derivation {data.get('algorithm')!r}")
        try:
            params = cls(
                salt=base64.b64decode(data["salt"], validate=True),
                iterations=int(data["iterations"]),
                lanes=int(data["lanes"]),
                memory_kib=int(data["memory_kib"]),
            )
        except (KeyError, TypeError, ValueError, OverflowError):
            raise CryptoError("the vault's key derivation parameters are damaged") from None
        # parameters come from the database file: bound them, so an edited file cannot make
        # unlocking allocate gigabytes or run for hours
        if not (
            len(params.salt) >= SALT_BYTES
            and 1 <= params.iterations <= MAX_ITERATIONS
            and 1 <= params.lanes <= MAX_LANES
            and 8 * params.lanes <= params.memory_kib <= MAX_MEMORY_KIB
        ):
            raise CryptoError("the vault's key derivation parameters are out of bounds")
        return params


class KdfCost(TypedDict):
    """How hard Argon2id works: the tunable part of KdfParams."""

    iterations: int
    lanes: int
    memory_kib: int


# RFC 9106's second recommended option (64 MiB, 3 passes, 4 lanes): about 0.1 s here.
# Tests replace this with cheap parameters; the stored parameters are always what unlock uses.
DEFAULT_KDF: KdfCost = {"iterations": 3, "lanes": 4, "memory_kib": 64 * 1024}


def new_kdf_params() -> KdfParams:
    return KdfParams(salt=os.urandom(SALT_BYTES), **DEFAULT_KDF)


def derive_key(passphrase: str, params: KdfParams) -> bytes:
    """The key-encryption key for a passphrase. Slow on purpose: call it off the UI thread."""
    kdf = Argon2id(
        salt=params.salt,
        length=KEY_BYTES,
        iterations=params.iterations,
        lanes=params.lanes,
        memory_cost=params.memory_kib,
    )
    return kdf.derive(passphrase.encode("utf-8"))


def new_data_key() -> bytes:
    return AESGCM.generate_key(bit_length=256)


def wrap_key(data_key: bytes, kek: bytes) -> bytes:
    nonce = os.urandom(NONCE_BYTES)
    return WRAP_FORMAT + nonce + AESGCM(kek).encrypt(nonce, data_key, WRAP_AAD)


def unwrap_key(wrapped: bytes, kek: bytes) -> bytes:
    """The data key; WrongPassphrase when the key-encryption key does not open it."""
    if len(wrapped) < 1 + NONCE_BYTES or wrapped[:1] != WRAP_FORMAT:
        raise CryptoError("the vault's wrapped key is damaged")
    nonce, body = wrapped[1 : 1 + NONCE_BYTES], wrapped[1 + NONCE_BYTES :]
    try:
        key = AESGCM(kek).decrypt(nonce, body, WRAP_AAD)
    except InvalidTag:
        raise WrongPassphrase("wrong vault passphrase") from None
    if len(key) != KEY_BYTES:
        raise CryptoError("the vault's wrapped key is damaged")
    return key


def associated_data(org_id: int, scope: str, scope_id: int, key: str) -> bytes:
    """What a secret's ciphertext is bound to: its org, its scope (kind and row id) and its key."""
    return f"pylee-tui secret v1\x00org={org_id}\x00{scope}={scope_id}\x00key={key}".encode()


def encrypt(data_key: bytes, plaintext: str, aad: bytes) -> bytes:
    nonce = os.urandom(NONCE_BYTES)
    return SECRET_FORMAT + nonce + AESGCM(data_key).encrypt(nonce, plaintext.encode("utf-8"), aad)


def decrypt(data_key: bytes, blob: bytes, aad: bytes) -> str:
    if not isinstance(blob, bytes | bytearray) or len(blob) < 1 + NONCE_BYTES + 16:
        raise Undecryptable("the stored ciphertext is truncated")
    if blob[:1] != SECRET_FORMAT:
        raise Undecryptable("the stored ciphertext has an unknown format")
    nonce, body = bytes(blob[1 : 1 + NONCE_BYTES]), bytes(blob[1 + NONCE_BYTES :])
    try:
        return AESGCM(data_key).decrypt(nonce, body, aad).decode("utf-8")
    except InvalidTag:
        raise Undecryptable(
            "the stored ciphertext does not authenticate (altered, or moved from another key)"
        ) from None
