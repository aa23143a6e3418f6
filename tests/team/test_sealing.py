"""team/sealing.py: secrets sealed to an org's public key, the org key wrapped for each reader,
a member's private key under their passphrase, rotation — and what a member who holds everything
but a reader's key still cannot open."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from pylee_tui import crypto
from pylee_tui.crypto import CryptoError, KdfParams, Undecryptable, WrongPassphrase
from pylee_tui.services import tokens
from pylee_tui.team import sealing
from pylee_tui.team.sealing import KeyPair

DATA = Path(__file__).resolve().parent.parent / "data" / "team" / "sealing_v2.json"
CHEAP = {"iterations": 1, "lanes": 1, "memory_kib": 8}
AAD = sealing.secret_aad(1, "org", 1, "GITHUB_TOKEN", 1)
# X25519 points of small order: a "public key" any of these would make a shared secret of zeros
LOW_ORDER = [
    "00" * 32,
    "01" + "00" * 31,
    "e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800",
    "5f9c95bca3508c24b1d0b1559c83ef5b04445cc4581c8e86d8224eddd09f1157",
    "ec" + "ff" * 30 + "7f",
]


def cheap_params(**overrides: int) -> KdfParams:
    cost = {**CHEAP, **overrides}
    return KdfParams(
        salt=b"0123456789abcdef",
        iterations=cost["iterations"],
        lanes=cost["lanes"],
        memory_kib=cost["memory_kib"],
    )


# --- key pairs and fingerprints ---------------------------------------------------------------


def test_a_key_pair_is_two_raw_32_byte_keys_and_fresh_each_time() -> None:
    pairs = [sealing.new_key_pair() for _ in range(20)]
    assert all(len(p.private) == 32 and len(p.public) == 32 for p in pairs)
    assert len({p.private for p in pairs}) == 20
    assert all(sealing.public_key_of(p.private) == p.public for p in pairs)


def test_a_printed_key_pair_shows_its_fingerprint_not_its_private_key() -> None:
    pair = sealing.new_key_pair()
    shown = repr(pair) + str(pair)
    assert pair.private.hex() not in shown and repr(pair.private) not in shown
    assert sealing.fingerprint(pair.public) in shown


def test_fingerprint_is_short_grouped_hex_and_tells_keys_apart() -> None:
    one, two = sealing.new_key_pair(), sealing.new_key_pair()
    shown = sealing.fingerprint(one.public)
    groups = shown.split(" ")
    assert len(groups) == 5 and all(len(g) == 4 for g in groups)
    assert all(c in "0123456789abcdef " for c in shown)
    assert sealing.fingerprint(one.public) == shown
    assert sealing.fingerprint(two.public) != shown
    with pytest.raises(CryptoError, match="32 bytes"):
        sealing.fingerprint(one.public[:31])


def test_the_server_stores_the_fingerprint_a_member_sees_on_their_machine() -> None:
    """services/tokens.py keeps its own copy (a service may not import team/): they must agree,
    or a member comparing fingerprints by eye would see two different keys."""
    for _ in range(10):
        public = sealing.new_key_pair().public
        assert tokens.key_fingerprint(public) == sealing.fingerprint(public)


@pytest.mark.parametrize("point", LOW_ORDER)
def test_a_low_order_public_key_is_refused_for_storing_and_for_sealing(point: str) -> None:
    with pytest.raises(CryptoError, match="low-order"):
        sealing.check_public_key(bytes.fromhex(point))
    with pytest.raises(CryptoError, match="low-order"):
        sealing.seal(bytes.fromhex(point), b"value", AAD)


def test_check_public_key_accepts_a_real_key_and_refuses_a_wrong_length() -> None:
    public = sealing.new_key_pair().public
    assert sealing.check_public_key(public) == public
    for bad in (public[:31], public + b"\x00", b""):
        with pytest.raises(CryptoError, match="32 bytes"):
            sealing.check_public_key(bad)


# --- sealed boxes -----------------------------------------------------------------------------


@pytest.mark.parametrize("value", ["ghp_secret", "", "päss wörd ✓ 🔑", "x" * 65536])
def test_a_sealed_secret_opens_with_the_org_private_key(value: str) -> None:
    org = sealing.new_key_pair()
    blob = sealing.seal_secret(org.public, value, AAD)
    assert blob[:1] == b"\x02"
    assert value.encode() not in blob or value == ""
    assert sealing.open_secret(org.private, blob, AAD) == value


def test_every_seal_uses_a_fresh_ephemeral_key_and_nonce() -> None:
    org = sealing.new_key_pair()
    blobs = [sealing.seal(org.public, b"same value", AAD) for _ in range(30)]
    assert len({b[1:33] for b in blobs}) == 30  # ephemeral public keys
    assert len({b[33:45] for b in blobs}) == 30  # nonces
    assert all(sealing.open_sealed(org.private, b, AAD) == b"same value" for b in blobs)


def test_a_member_with_the_whole_database_and_their_own_keys_cannot_open_anything() -> None:
    """secrets:write without reveal: the member holds the org PUBLIC key, every sealed secret,
    every wrapped org key (for the admins) and their own key pair. No key they hold opens any."""
    org = sealing.new_key_pair()
    admins = {"ann@example.com": sealing.new_key_pair(), "bob@example.com": sealing.new_key_pair()}
    member = sealing.new_key_pair()
    aads = [sealing.secret_aad(1, "org", 1, f"KEY_{i}", 1) for i in range(3)]
    secrets = [sealing.seal_secret(org.public, f"value {i}", aad) for i, aad in enumerate(aads)]
    wraps = {
        email: sealing.wrap_for(pair.public, org.private, 1, 1, email)
        for email, pair in admins.items()
    }
    # everything the member can read: their keys, the org public key, the admins' public keys,
    # and every 32-byte run of every stored blob (ephemeral keys, nonces, ciphertext)
    held = [member.private, member.public, org.public, *(p.public for p in admins.values())]
    for blob in [*secrets, *wraps.values()]:
        held += [blob[i : i + 32] for i in range(0, len(blob) - 31)]
    for key in held:
        for blob, aad in zip(secrets, aads, strict=True):
            with pytest.raises(Undecryptable):
                sealing.open_secret(key, blob, aad)
        for email, wrap in wraps.items():
            with pytest.raises(Undecryptable):
                sealing.unwrap_for(key, wrap, 1, 1, email)
    # ...while the admins' own keys do open them: the test above is not vacuous
    for email, pair in admins.items():
        org_private = sealing.unwrap_for(pair.private, wraps[email], 1, 1, email)
        assert sealing.open_secret(org_private, secrets[2], aads[2]) == "value 2"


def test_a_sealed_value_moved_to_another_row_or_generation_does_not_open() -> None:
    org = sealing.new_key_pair()
    blob = sealing.seal_secret(org.public, "ghp_secret", AAD)
    for other in (
        sealing.secret_aad(2, "org", 1, "GITHUB_TOKEN", 1),
        sealing.secret_aad(1, "user", 1, "GITHUB_TOKEN", 1),
        sealing.secret_aad(1, "org", 2, "GITHUB_TOKEN", 1),
        sealing.secret_aad(1, "org", 1, "OTHER_TOKEN", 1),
        sealing.secret_aad(1, "org", 1, "GITHUB_TOKEN", 2),
        crypto.associated_data(1, "org", 1, "GITHUB_TOKEN"),
        b"",
    ):
        with pytest.raises(Undecryptable) as caught:
            sealing.open_secret(org.private, blob, other)
        assert "ghp_secret" not in str(caught.value)


def test_an_altered_sealed_value_does_not_open_wherever_it_is_altered() -> None:
    org = sealing.new_key_pair()
    blob = sealing.seal(org.public, b"ghp_secret", AAD)
    # format byte, ephemeral key, nonce, ciphertext, tag
    for position in (0, 1, 20, 32, 33, 44, 45, len(blob) - 17, len(blob) - 1):
        altered = bytearray(blob)
        altered[position] ^= 0x01
        with pytest.raises(Undecryptable):
            sealing.open_sealed(org.private, bytes(altered), AAD)


def test_a_truncated_or_extended_sealed_value_does_not_open() -> None:
    org = sealing.new_key_pair()
    blob = sealing.seal(org.public, b"ghp_secret", AAD)
    for length in range(len(blob)):
        with pytest.raises(Undecryptable):
            sealing.open_sealed(org.private, blob[:length], AAD)
    with pytest.raises(Undecryptable):
        sealing.open_sealed(org.private, blob + b"\x00", AAD)


def test_opening_with_something_that_is_not_a_private_key_is_undecryptable() -> None:
    org = sealing.new_key_pair()
    blob = sealing.seal(org.public, b"v", AAD)
    for bad in (org.private[:31], b"", org.private + b"\x00"):
        with pytest.raises(Undecryptable, match="not a private key"):
            sealing.open_sealed(bad, blob, AAD)
    with pytest.raises(Undecryptable, match="truncated"):
        sealing.open_sealed(org.private, "not bytes", AAD)  # type: ignore[arg-type]


def test_a_sealed_value_that_is_not_text_is_undecryptable_as_a_secret() -> None:
    org = sealing.new_key_pair()
    blob = sealing.seal(org.public, b"\xff\xfe", AAD)
    with pytest.raises(Undecryptable, match="not text"):
        sealing.open_secret(org.private, blob, AAD)


@pytest.mark.parametrize("generation", [0, -1, True, 1.0, "1"])
def test_a_generation_is_a_whole_number_from_one(generation: object) -> None:
    with pytest.raises(CryptoError, match="generation"):
        sealing.secret_aad(1, "org", 1, "K", generation)  # type: ignore[arg-type]
    with pytest.raises(CryptoError, match="generation"):
        sealing.wrap_aad(1, generation, "ann@example.com")  # type: ignore[arg-type]


# --- the org key wrapped for a reader ---------------------------------------------------------


def test_a_wrapped_org_key_opens_only_for_its_reader_and_binding() -> None:
    org, ann, bob = sealing.new_key_pair(), sealing.new_key_pair(), sealing.new_key_pair()
    wrap = sealing.wrap_for(ann.public, org.private, 5, 2, "ann@example.com")
    assert org.private not in wrap
    assert sealing.unwrap_for(ann.private, wrap, 5, 2, "ann@example.com") == org.private
    # the email is bound as stored (lower case), whatever case a caller passes
    assert sealing.unwrap_for(ann.private, wrap, 5, 2, " Ann@Example.com") == org.private
    for key, org_id, generation, email in (
        (bob.private, 5, 2, "ann@example.com"),  # another reader's key
        (org.private, 5, 2, "ann@example.com"),  # the org key itself
        (ann.private, 6, 2, "ann@example.com"),  # another org
        (ann.private, 5, 1, "ann@example.com"),  # an older generation
        (ann.private, 5, 3, "ann@example.com"),  # a newer one
        (ann.private, 5, 2, "bob@example.com"),  # handed to someone else
    ):
        with pytest.raises(Undecryptable):
            sealing.unwrap_for(key, wrap, org_id, generation, email)


def test_a_wrap_is_bound_to_its_reader_even_when_resealed_for_another() -> None:
    """Bob cannot take a wrap the server holds for Ann and pass it off as his: the email in the
    binding differs, so it opens for nobody under Bob's name."""
    org, ann = sealing.new_key_pair(), sealing.new_key_pair()
    wrap = sealing.wrap_for(ann.public, org.private, 5, 2, "ann@example.com")
    with pytest.raises(Undecryptable):
        sealing.unwrap_for(ann.private, wrap, 5, 2, "bob@example.com")


def test_only_a_private_key_can_be_wrapped() -> None:
    ann = sealing.new_key_pair()
    with pytest.raises(CryptoError, match="32 bytes"):
        sealing.wrap_for(ann.public, b"short", 1, 1, "ann@example.com")


# --- a member's private key at rest -----------------------------------------------------------


def test_a_protected_private_key_opens_with_its_passphrase_only() -> None:
    pair = sealing.new_key_pair()
    blob = sealing.protect(pair.private, "correct horse", cheap_params())
    assert pair.private not in blob and b"correct horse" not in blob
    assert sealing.unprotect(blob, "correct horse") == pair.private
    for wrong in ("correct horsE", "correct horse ", ""):
        with pytest.raises(WrongPassphrase) as caught:
            sealing.unprotect(blob, wrong)
        assert "horse" not in str(caught.value)


def test_protect_uses_the_default_kdf_and_the_blob_keeps_its_own_parameters(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    private = sealing.new_key_pair().private
    monkeypatch.setattr(crypto, "DEFAULT_KDF", {"iterations": 2, "lanes": 2, "memory_kib": 32})
    blob = sealing.protect(private, "pass")
    assert b'"iterations": 2' in blob and b'"memory_kib": 32' in blob
    # a later change of the defaults does not lock the member out of the key they saved
    monkeypatch.setattr(crypto, "DEFAULT_KDF", dict(CHEAP))
    assert sealing.unprotect(blob, "pass") == private


def test_protect_refuses_an_empty_passphrase_or_parameters_it_could_not_read_back() -> None:
    private = sealing.new_key_pair().private
    with pytest.raises(CryptoError, match="passphrase"):
        sealing.protect(private, "", cheap_params())
    with pytest.raises(CryptoError, match="out of bounds"):
        sealing.protect(private, "pass", cheap_params(memory_kib=4 * 1024 * 1024))
    with pytest.raises(CryptoError, match="32 bytes"):
        sealing.protect(private[:16], "pass", cheap_params())


def _edit_header(blob: bytes, edit: Callable[[dict[str, Any]], object]) -> bytes:
    size = int.from_bytes(blob[1:3], "big")
    header = json.loads(blob[3 : 3 + size])
    edit(header)
    new = json.dumps(header).encode()
    return blob[:1] + len(new).to_bytes(2, "big") + new + blob[3 + size :]


@pytest.mark.parametrize(
    "edit",
    [
        pytest.param(lambda h: h["kdf"].update(memory_kib=4 * 1024 * 1024), id="4 GiB"),
        pytest.param(lambda h: h["kdf"].update(iterations=10**9), id="a billion passes"),
        pytest.param(lambda h: h["kdf"].update(lanes=0), id="no lanes"),
        pytest.param(lambda h: h["kdf"].update(salt="c2hvcnQ="), id="short salt"),
        pytest.param(lambda h: h["kdf"].update(algorithm="scrypt"), id="another kdf"),
        pytest.param(lambda h: h["kdf"].pop("salt"), id="no salt"),
        pytest.param(lambda h: h.update(kdf="argon2id"), id="kdf not an object"),
        pytest.param(lambda h: h.update(version=2), id="a later version"),
    ],
)
def test_edited_kdf_parameters_are_refused_before_any_key_is_derived(
    edit: Callable[[dict[str, Any]], object], monkeypatch: pytest.MonkeyPatch
) -> None:
    blob = sealing.protect(sealing.new_key_pair().private, "hunter2-phrase", cheap_params())
    edited = _edit_header(blob, edit)

    def no_derivation(*args: object) -> bytes:
        raise AssertionError("derived a key from parameters it should have refused")

    monkeypatch.setattr(crypto, "derive_key", no_derivation)
    with pytest.raises(CryptoError) as caught:
        sealing.unprotect(edited, "hunter2-phrase")
    assert not isinstance(caught.value, WrongPassphrase)
    assert "hunter2" not in str(caught.value)


def test_a_header_edited_within_bounds_does_not_open_either() -> None:
    private = sealing.new_key_pair().private
    blob = sealing.protect(private, "pass", cheap_params())
    edited = _edit_header(blob, lambda h: h["kdf"].update(iterations=2))
    with pytest.raises(WrongPassphrase):
        sealing.unprotect(edited, "pass")


@pytest.mark.parametrize(
    "blob",
    [
        pytest.param(b"", id="empty"),
        pytest.param(b"\x03", id="format byte only"),
        pytest.param(b"\x01\x00\x02{}" + bytes(40), id="another format"),
        pytest.param(b"\x03\xff\xff" + bytes(70000), id="header too long"),
        pytest.param(b"\x03\x00\x05{}" + bytes(40), id="header longer than the blob says"),
        pytest.param(b"\x03\x00\x04\xff\xfe{}" + bytes(40), id="header not utf-8"),
        pytest.param(b"\x03\x00\x02[]" + bytes(40), id="header not an object"),
    ],
)
def test_a_damaged_protected_key_is_a_clear_crypto_error(blob: bytes) -> None:
    with pytest.raises(CryptoError, match="protected private key") as caught:
        sealing.unprotect(blob, "pass")
    assert not isinstance(caught.value, WrongPassphrase)


def test_a_truncated_protected_key_is_damaged_or_does_not_open() -> None:
    blob = sealing.protect(sealing.new_key_pair().private, "pass", cheap_params())
    for length in range(len(blob)):
        with pytest.raises(CryptoError):
            sealing.unprotect(blob[:length], "pass")


# --- rotation ---------------------------------------------------------------------------------


def test_rotation_reseals_every_secret_and_the_old_key_opens_none_of_the_new_blobs() -> None:
    old, new = sealing.new_key_pair(), sealing.new_key_pair()
    keys = ["A", "B", "C"]
    old_aads = [sealing.secret_aad(1, "org", 1, k, 1) for k in keys]
    new_aads = [sealing.secret_aad(1, "org", 1, k, 2) for k in keys]
    pairs = zip(keys, old_aads, strict=True)
    blobs = [sealing.seal_secret(old.public, f"value {k}", a) for k, a in pairs]
    resealed = sealing.rotate(old.private, zip(blobs, old_aads, new_aads, strict=True), new.public)
    assert len(resealed) == 3
    for key, blob, new_aad, old_aad in zip(keys, resealed, new_aads, old_aads, strict=True):
        assert sealing.open_secret(new.private, blob, new_aad) == f"value {key}"
        with pytest.raises(Undecryptable):
            sealing.open_secret(old.private, blob, new_aad)
        with pytest.raises(Undecryptable):  # nor can it pass as a generation-1 secret
            sealing.open_secret(new.private, blob, old_aad)


def test_rotation_is_all_or_nothing_and_names_the_blob_that_does_not_open() -> None:
    old, new, stranger = sealing.new_key_pair(), sealing.new_key_pair(), sealing.new_key_pair()
    aad1, aad2 = sealing.secret_aad(1, "org", 1, "A", 1), sealing.secret_aad(1, "org", 1, "A", 2)
    good = sealing.seal_secret(old.public, "ghp_secret", aad1)
    foreign = sealing.seal_secret(stranger.public, "other", aad1)
    with pytest.raises(Undecryptable, match="sealed value 2 does not open") as caught:
        sealing.rotate(old.private, [(good, aad1, aad2), (foreign, aad1, aad2)], new.public)
    assert "ghp_secret" not in str(caught.value)
    with pytest.raises(CryptoError, match="32 bytes"):
        sealing.rotate(old.private, [(good, aad1, aad2)], new.public[:8])
    assert sealing.rotate(old.private, [], new.public) == []


# --- blobs written by this version keep opening -----------------------------------------------


def test_blobs_saved_by_this_version_still_open() -> None:
    """Members keep a protected key on disk and the server keeps sealed secrets and wraps: a
    change to the formats that stops these opening would lock every team out of its vault."""
    data = json.loads(DATA.read_text(encoding="utf-8"))
    org_private = bytes.fromhex(data["org_private"])
    reader_private = bytes.fromhex(data["reader_private"])
    assert sealing.public_key_of(org_private).hex() == data["org_public"]
    assert (
        sealing.fingerprint(bytes.fromhex(data["org_public"]))
        == (data["fingerprint_of_org_public"])
    )
    protected = data["protected"]
    assert (
        sealing.unprotect(bytes.fromhex(protected["blob"]), protected["passphrase"])
        == reader_private
    )
    wrap = data["wrap"]
    assert (
        sealing.unwrap_for(
            reader_private,
            bytes.fromhex(wrap["blob"]),
            wrap["org_id"],
            wrap["generation"],
            wrap["reader_email"],
        )
        == org_private
    )
    secret = data["secret"]
    aad = sealing.secret_aad(
        secret["org_id"], secret["scope"], secret["scope_id"], secret["key"], secret["generation"]
    )
    assert sealing.open_secret(org_private, bytes.fromhex(secret["blob"]), aad) == secret["value"]


def test_key_pair_is_frozen() -> None:
    pair = sealing.new_key_pair()
    with pytest.raises(AttributeError):
        pair.private = b"x" * 32  # type: ignore[misc]
    assert KeyPair(pair.private, pair.public) == pair
