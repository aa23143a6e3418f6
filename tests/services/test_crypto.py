"""crypto.py: the envelope (AES-256-GCM secrets under a random data key, the data key wrapped under
an Argon2id-derived key) and its failure modes, plus the production KDF parameters."""

from __future__ import annotations

import ast
import inspect
import json

import pytest

from pylee_tui import crypto
from pylee_tui.services import Services

# captured at import, before the autouse `cheap_kdf` fixture replaces it for each test
IMPORTED_DEFAULT_KDF = dict(crypto.DEFAULT_KDF)

AAD = crypto.associated_data(1, "org", 1, "GITHUB_TOKEN")
CHEAP = {"iterations": 1, "lanes": 1, "memory_kib": 8}


def params(**overrides) -> crypto.KdfParams:
    return crypto.KdfParams(salt=b"0123456789abcdef", **{**CHEAP, **overrides})


@pytest.mark.parametrize("plaintext", ["ghp_secret", "", "päss wörd ✓ 🔑", "x" * 65536])
def test_encrypt_decrypt_round_trip(plaintext: str) -> None:
    key = crypto.new_data_key()
    assert len(key) == 32
    blob = crypto.encrypt(key, plaintext, AAD)
    assert plaintext.encode() not in blob or plaintext == ""
    assert crypto.decrypt(key, blob, AAD) == plaintext


def test_every_encryption_uses_a_fresh_nonce() -> None:
    key = crypto.new_data_key()
    blobs = {crypto.encrypt(key, "same value", AAD) for _ in range(50)}
    assert len(blobs) == 50
    nonces = {b[1 : 1 + crypto.NONCE_BYTES] for b in blobs}
    assert len(nonces) == 50


def test_wrap_unwrap_and_a_wrong_passphrase() -> None:
    p = params()
    data_key = crypto.new_data_key()
    wrapped = crypto.wrap_key(data_key, crypto.derive_key("correct horse", p))
    assert data_key not in wrapped
    assert crypto.unwrap_key(wrapped, crypto.derive_key("correct horse", p)) == data_key
    with pytest.raises(crypto.WrongPassphrase, match="wrong vault passphrase"):
        crypto.unwrap_key(wrapped, crypto.derive_key("correct horsf", p))
    # the same passphrase under another salt is another key
    other_salt = crypto.KdfParams(salt=b"fedcba9876543210", **CHEAP)
    with pytest.raises(crypto.WrongPassphrase):
        crypto.unwrap_key(wrapped, crypto.derive_key("correct horse", other_salt))


def test_derive_key_depends_on_every_parameter() -> None:
    keys = {
        crypto.derive_key("passphrase", params()),
        crypto.derive_key("passphrase", params(iterations=2)),
        crypto.derive_key("passphrase", params(memory_kib=16)),
        crypto.derive_key("passphrase", params(lanes=2, memory_kib=16)),
        crypto.derive_key("passphrase", params(memory_kib=24)),
        crypto.derive_key("passphrasf", params()),
    }
    assert len(keys) == 6 and all(len(k) == 32 for k in keys)


def test_a_secret_under_another_data_key_does_not_decrypt() -> None:
    blob = crypto.encrypt(crypto.new_data_key(), "value", AAD)
    with pytest.raises(crypto.Undecryptable):
        crypto.decrypt(crypto.new_data_key(), blob, AAD)


def test_any_altered_byte_is_detected() -> None:
    key = crypto.new_data_key()
    blob = crypto.encrypt(key, "a secret value", AAD)
    for i in range(len(blob)):
        altered = bytearray(blob)
        altered[i] ^= 0x01
        with pytest.raises(crypto.Undecryptable) as caught:
            crypto.decrypt(key, bytes(altered), AAD)
        assert "a secret value" not in str(caught.value)
    for cut in (blob[:-1], blob[:10], b"", blob + b"x"):
        with pytest.raises(crypto.Undecryptable):
            crypto.decrypt(key, cut, AAD)


@pytest.mark.parametrize(
    "other",
    [
        crypto.associated_data(2, "org", 1, "GITHUB_TOKEN"),  # another org
        crypto.associated_data(1, "registry", 1, "GITHUB_TOKEN"),  # another scope kind
        crypto.associated_data(1, "org", 2, "GITHUB_TOKEN"),  # another scope row
        crypto.associated_data(1, "org", 1, "GITHUB_TOKEN2"),  # another key
        b"",
    ],
)
def test_a_ciphertext_is_bound_to_its_row(other: bytes) -> None:
    key = crypto.new_data_key()
    blob = crypto.encrypt(key, "value", AAD)
    with pytest.raises(crypto.Undecryptable, match="moved from another key"):
        crypto.decrypt(key, blob, other)


def test_associated_data_cannot_be_confused_across_fields() -> None:
    # org 1 / scope id 12 must not equal org 11 / scope id 2, and so on
    assert crypto.associated_data(1, "org", 12, "K") != crypto.associated_data(11, "org", 2, "K")
    assert crypto.associated_data(1, "server", 1, "K") != crypto.associated_data(1, "org", 1, "K")


def test_a_damaged_wrapped_key_is_a_crypto_error() -> None:
    kek = crypto.derive_key("passphrase", params())
    with pytest.raises(crypto.CryptoError, match="damaged"):
        crypto.unwrap_key(b"\x02" + b"\x00" * 60, kek)
    with pytest.raises(crypto.CryptoError, match="damaged"):
        crypto.unwrap_key(b"\x01abc", kek)


def test_kdf_params_json_round_trip() -> None:
    p = crypto.new_kdf_params()
    data = json.loads(json.dumps(p.to_json()))
    assert data["algorithm"] == "argon2id"
    assert crypto.KdfParams.from_json(data) == p
    assert len(p.salt) == crypto.SALT_BYTES
    assert crypto.new_kdf_params().salt != p.salt  # a fresh salt every time


@pytest.mark.parametrize(
    "damage",
    [
        {"algorithm": "scrypt"},
        {"salt": "not base64!"},
        {"iterations": "three"},
        {"memory_kib": None},
    ],
)
def test_damaged_kdf_params_are_refused(damage: dict) -> None:
    data = {**params().to_json(), **damage}
    with pytest.raises(crypto.CryptoError):
        crypto.KdfParams.from_json(data)
    data = params().to_json()
    del data["lanes"]
    with pytest.raises(crypto.CryptoError, match="damaged"):
        crypto.KdfParams.from_json(data)


def _source_default_kdf() -> dict:
    """DEFAULT_KDF as written in crypto.py (the test fixture replaces the live value)."""
    tree = ast.parse(inspect.getsource(crypto))
    for node in tree.body:
        target = getattr(node, "target", None) or (getattr(node, "targets", None) or [None])[0]
        if isinstance(target, ast.Name) and target.id == "DEFAULT_KDF":
            # our own source: a dict of int expressions such as 64 * 1024
            return eval(compile(ast.Expression(node.value), "crypto.py", "eval"), {})
    raise AssertionError("DEFAULT_KDF not found in crypto.py")


def test_production_kdf_defaults_are_argon2id_64_mib_3_passes() -> None:
    written = _source_default_kdf()
    assert written == IMPORTED_DEFAULT_KDF
    assert crypto.DEFAULT_KDF == CHEAP  # the autouse fixture is in force here, not in production
    assert written["memory_kib"] >= 64 * 1024
    assert written["iterations"] >= 3
    assert written["lanes"] >= 1
    real = crypto.KdfParams(salt=b"0123456789abcdef", **written)
    assert real.to_json()["algorithm"] == "argon2id"


def test_a_vault_stores_the_parameters_it_was_derived_with(
    services: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    services.orgs.create("ann@example.com", "Acme")
    services.vault.initialize("ann@example.com", "correct horse battery")
    row = services.store.db.execute("SELECT kdf, wrapped_key FROM vault").fetchone()
    stored = crypto.KdfParams.from_json(json.loads(row[0]))
    assert (stored.iterations, stored.lanes, stored.memory_kib) == (1, 1, 8)
    assert len(stored.salt) == crypto.SALT_BYTES
    data_key = crypto.unwrap_key(row[1], crypto.derive_key("correct horse battery", stored))
    assert data_key == services.vault.data_key()
    # the stored parameters, not today's defaults, are what unlock uses
    monkeypatch.setattr(crypto, "DEFAULT_KDF", {"iterations": 2, "lanes": 2, "memory_kib": 32})
    services.vault.lock()
    services.vault.unlock("correct horse battery")
    assert services.vault.data_key() == data_key


@pytest.mark.parametrize(
    "change",
    [
        {"memory_kib": 8 * 1024 * 1024},
        {"iterations": 1_000_000},
        {"lanes": 4096},
        {"memory_kib": -1},
        {"iterations": 0},
        {"iterations": 1e30},
        {"salt": "c2hvcnQ="},
    ],
    ids=lambda c: next(iter(c)) + "=" + str(next(iter(c.values()))),
)
def test_stored_kdf_parameters_out_of_bounds_are_refused_before_deriving(change) -> None:
    """An edited database must not make unlocking allocate gigabytes or run for hours."""
    data = crypto.KdfParams(salt=b"0123456789abcdef", iterations=3, lanes=4, memory_kib=65536)
    data = {**data.to_json(), **change}
    with pytest.raises(crypto.CryptoError, match="out of bounds|damaged"):
        crypto.KdfParams.from_json(data)
