"""The team vault's keys: sealing to a public key, wrapping the org key for a reader, and a
member's private key at rest. No database, no network, no UI: bytes in, bytes out.

- Every org has an X25519 key pair. A secret is *sealed* to the org's public key (an anonymous
  sealed box: an ephemeral key pair, ECDH, HKDF-SHA256, AES-256-GCM), so anyone holding the public
  key can write a secret and only the org's private key reads one.
- The org's private key is sealed to each reader's personal public key (`wrap_for`), bound to the
  org, the org key's generation and the reader's email.
- A member's private key stays on their machine, encrypted under their own passphrase with
  Argon2id (`protect`), the KDF parameters inside the blob and bounded when read.

Every failure is a `crypto.CryptoError` (`Undecryptable`, `WrongPassphrase`) whose message names no
secret; keys are raw 32-byte strings throughout.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from pylee_tui import crypto
from pylee_tui.crypto import CryptoError, KdfParams, Undecryptable, WrongPassphrase

KEY_BYTES = 32
NONCE_BYTES = crypto.NONCE_BYTES
TAG_BYTES = 16
# crypto.SECRET_FORMAT (b"\x01") marks a local vault ciphertext; a sealed box has its own byte
SEALED_FORMAT = b"\x02"
SEAL_INFO = b"pylee-tui sealed box v2"
SEALED_OVERHEAD = 1 + KEY_BYTES + NONCE_BYTES + TAG_BYTES
# a member's protected private key: format byte, header length (2 bytes), JSON header, nonce, body
PROTECTED_FORMAT = b"\x03"
PROTECTED_VERSION = 1
PROTECTED_AAD = b"pylee-tui member private key v1\x00"
MAX_HEADER_BYTES = 4096


@dataclass(frozen=True)
class KeyPair:
    """An X25519 key pair as raw bytes (32 each). The private half never goes to a server."""

    private: bytes
    public: bytes

    def __repr__(self) -> str:  # a key pair printed in a log or traceback shows no private key
        return f"KeyPair(public={fingerprint(self.public)!r})"


def new_key_pair() -> KeyPair:
    key = X25519PrivateKey.generate()
    return KeyPair(private=key.private_bytes_raw(), public=key.public_key().public_bytes_raw())


def public_key_of(private: bytes) -> bytes:
    """The public half of a raw private key (a client keeps only the private key)."""
    return _private_key(private).public_key().public_bytes_raw()


def check_public_key(public: bytes) -> bytes:
    """`public` when it is a usable X25519 public key, else CryptoError: what a server checks
    before storing a key it received (a low-order point would make every seal to it readable)."""
    peer = _public_key(public)
    try:
        X25519PrivateKey.generate().exchange(peer)
    except ValueError:
        raise CryptoError("this public key is not usable (a low-order point)") from None
    return bytes(public)


def fingerprint(public: bytes) -> str:
    """A short human form of a public key to compare by eye: 'ab12 cd34 ef56 7890 1a2b'
    (the first 80 bits of its SHA-256)."""
    digest = hashlib.sha256(_public_key_bytes(public)).hexdigest()[:20]
    return " ".join(digest[i : i + 4] for i in range(0, len(digest), 4))


# --- sealed boxes ----------------------------------------------------------------------------


def seal(public: bytes, plaintext: bytes, aad: bytes) -> bytes:
    """`plaintext` readable only by the holder of the private key matching `public`.
    The blob is SEALED_FORMAT + ephemeral public key + nonce + AES-256-GCM ciphertext."""
    recipient = _public_key(public)
    ephemeral = X25519PrivateKey.generate()
    ephemeral_public = ephemeral.public_key().public_bytes_raw()
    try:
        shared = ephemeral.exchange(recipient)
    except ValueError:
        raise CryptoError("cannot seal to this public key (a low-order point)") from None
    key = _box_key(shared, ephemeral_public, recipient.public_bytes_raw())
    nonce = os.urandom(NONCE_BYTES)
    return SEALED_FORMAT + ephemeral_public + nonce + AESGCM(key).encrypt(nonce, plaintext, aad)


def open_sealed(private: bytes, blob: bytes, aad: bytes) -> bytes:
    """The plaintext `seal` sealed; Undecryptable for a wrong key, other aad, altered or
    truncated blob, or a private key that is not one."""
    if not isinstance(blob, bytes | bytearray) or len(blob) < SEALED_OVERHEAD:
        raise Undecryptable("the sealed value is truncated")
    blob = bytes(blob)
    if blob[:1] != SEALED_FORMAT:
        raise Undecryptable("the sealed value has an unknown format")
    try:
        own = _private_key(private)
    except CryptoError:
        raise Undecryptable("the key given to open a sealed value is not a private key") from None
    ephemeral_public = blob[1 : 1 + KEY_BYTES]
    nonce = blob[1 + KEY_BYTES : 1 + KEY_BYTES + NONCE_BYTES]
    body = blob[1 + KEY_BYTES + NONCE_BYTES :]
    try:
        shared = own.exchange(X25519PublicKey.from_public_bytes(ephemeral_public))
    except ValueError:
        raise Undecryptable("the sealed value is damaged") from None
    key = _box_key(shared, ephemeral_public, own.public_key().public_bytes_raw())
    try:
        return AESGCM(key).decrypt(nonce, body, aad)
    except InvalidTag:
        raise Undecryptable(
            "the sealed value does not open with this key (another key, altered, or moved "
            "from another place)"
        ) from None


def _box_key(shared: bytes, ephemeral_public: bytes, recipient_public: bytes) -> bytes:
    info = SEAL_INFO + b"\x00" + ephemeral_public + recipient_public
    return HKDF(algorithm=hashes.SHA256(), length=KEY_BYTES, salt=None, info=info).derive(shared)


# --- secrets and the org key -----------------------------------------------------------------


def secret_aad(org_id: int, scope: str, scope_id: int, key: str, generation: int) -> bytes:
    """What a team secret is bound to: the row (as crypto.associated_data names it) and the
    generation of the org key it is sealed to, so a blob from before a rotation cannot be
    passed off as current."""
    _check_generation(generation)
    return crypto.associated_data(org_id, scope, scope_id, key) + (
        f"\x00org-key-generation={generation}".encode()
    )


def seal_secret(org_public: bytes, value: str, aad: bytes) -> bytes:
    return seal(org_public, value.encode("utf-8"), aad)


def open_secret(org_private: bytes, blob: bytes, aad: bytes) -> str:
    plaintext = open_sealed(org_private, blob, aad)
    try:
        return plaintext.decode("utf-8")
    except UnicodeDecodeError:
        raise Undecryptable("the sealed secret is not text") from None


def wrap_aad(org_id: int, generation: int, reader_email: str) -> bytes:
    """What a wrapped org key is bound to: the org, the key's generation and its reader."""
    _check_generation(generation)
    email = reader_email.strip().lower()
    return (
        f"pylee-tui org key v1\x00org={org_id}\x00generation={generation}\x00reader={email}"
    ).encode()


def wrap_for(
    reader_public: bytes, org_private: bytes, org_id: int, generation: int, reader_email: str
) -> bytes:
    """The org's private key sealed to one reader (an admin's client makes it for each reader)."""
    _private_key(org_private)
    return seal(reader_public, bytes(org_private), wrap_aad(org_id, generation, reader_email))


def unwrap_for(
    reader_private: bytes, blob: bytes, org_id: int, generation: int, reader_email: str
) -> bytes:
    """The org's private key from a wrap made for this reader and binding; Undecryptable else."""
    org_private = open_sealed(reader_private, blob, wrap_aad(org_id, generation, reader_email))
    if len(org_private) != KEY_BYTES:
        raise Undecryptable("the wrapped org key is damaged")
    return org_private


def rotate(
    old_private: bytes, sealed: Iterable[tuple[bytes, bytes, bytes]], new_public: bytes
) -> list[bytes]:
    """Each (blob, old_aad, new_aad) opened with the old org key and sealed to the new public key
    under new_aad, in order. All or nothing: the first blob that does not open raises
    Undecryptable naming its position, and nothing is returned."""
    _public_key(new_public)
    resealed = []
    for position, (blob, old_aad, new_aad) in enumerate(sealed, start=1):
        try:
            plaintext = open_sealed(old_private, blob, old_aad)
        except Undecryptable as exc:
            raise Undecryptable(f"sealed value {position} does not open: {exc}") from None
        resealed.append(seal(new_public, plaintext, new_aad))
    return resealed


# --- a member's private key at rest ----------------------------------------------------------


def protect(private: bytes, passphrase: str, params: KdfParams | None = None) -> bytes:
    """The private key encrypted under the passphrase (Argon2id, then AES-256-GCM). The blob
    carries its KDF parameters: PROTECTED_FORMAT, 2-byte header length, JSON header, nonce,
    ciphertext; the header is authenticated with the ciphertext."""
    _private_key(private)
    if not isinstance(passphrase, str) or not passphrase:
        raise CryptoError("a private key needs a passphrase")
    params = params or crypto.new_kdf_params()
    # what is written must read back: the same bounds unprotect applies
    KdfParams.from_json(params.to_json())
    header = json.dumps(
        {"version": PROTECTED_VERSION, "kdf": params.to_json()}, sort_keys=True
    ).encode("utf-8")
    kek = crypto.derive_key(passphrase, params)
    nonce = os.urandom(NONCE_BYTES)
    body = AESGCM(kek).encrypt(nonce, bytes(private), PROTECTED_AAD + header)
    return PROTECTED_FORMAT + len(header).to_bytes(2, "big") + header + nonce + body


def unprotect(blob: bytes, passphrase: str) -> bytes:
    """The private key `protect` encrypted; WrongPassphrase when the passphrase does not open it,
    CryptoError for a damaged blob or KDF parameters beyond crypto's bounds (checked before any
    key derivation runs)."""
    header, params, nonce, body = _read_protected(blob)
    if not isinstance(passphrase, str) or not passphrase:
        raise WrongPassphrase("wrong passphrase for your team key")
    kek = crypto.derive_key(passphrase, params)
    try:
        private = AESGCM(kek).decrypt(nonce, body, PROTECTED_AAD + header)
    except InvalidTag:
        raise WrongPassphrase("wrong passphrase for your team key") from None
    if len(private) != KEY_BYTES:
        raise CryptoError("the protected private key is damaged")
    return private


def _read_protected(blob: bytes) -> tuple[bytes, KdfParams, bytes, bytes]:
    damaged = "the protected private key is damaged"
    if not isinstance(blob, bytes | bytearray) or len(blob) < 3:
        raise CryptoError(damaged)
    blob = bytes(blob)
    if blob[:1] != PROTECTED_FORMAT:
        raise CryptoError("the protected private key has an unknown format")
    size = int.from_bytes(blob[1:3], "big")
    if size > MAX_HEADER_BYTES or len(blob) < 3 + size + NONCE_BYTES + TAG_BYTES:
        raise CryptoError(damaged)
    header = blob[3 : 3 + size]
    try:
        data: Any = json.loads(header.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        raise CryptoError(damaged) from None
    if not isinstance(data, dict) or not isinstance(data.get("kdf"), dict):
        raise CryptoError(damaged)
    if data.get("version") != PROTECTED_VERSION:
        raise CryptoError("the protected private key was written by another version")
    try:
        params = KdfParams.from_json(data["kdf"])
    except CryptoError:
        # crypto's messages speak of the vault; this blob is the member's own key
        raise CryptoError(
            "the protected private key's key derivation parameters are damaged or out of bounds"
        ) from None
    rest = blob[3 + size :]
    return header, params, rest[:NONCE_BYTES], rest[NONCE_BYTES:]


# --- raw key checks --------------------------------------------------------------------------


def _check_generation(generation: int) -> None:
    if isinstance(generation, bool) or not isinstance(generation, int) or generation < 1:
        raise CryptoError("an org key generation is a whole number from 1")


def _public_key_bytes(public: bytes) -> bytes:
    if not isinstance(public, bytes | bytearray) or len(public) != KEY_BYTES:
        raise CryptoError(f"a public key is {KEY_BYTES} bytes")
    return bytes(public)


def _public_key(public: bytes) -> X25519PublicKey:
    return X25519PublicKey.from_public_bytes(_public_key_bytes(public))


def _private_key(private: bytes) -> X25519PrivateKey:
    if not isinstance(private, bytes | bytearray) or len(private) != KEY_BYTES:
        raise CryptoError(f"a private key is {KEY_BYTES} bytes")
    return X25519PrivateKey.from_private_bytes(bytes(private))
