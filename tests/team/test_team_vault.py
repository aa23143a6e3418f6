"""The end-to-end vault through a real team server: members seal and open secrets on their own
machines (RemoteServices with their own key), the server keeps blobs it cannot open, and an
admin's client shares the org's key with new readers and rotates it when one leaves."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from pylee_tui import crypto
from pylee_tui.services import (
    Conflict,
    InvalidInput,
    PermissionDenied,
    Scope,
    SecretUnreadable,
    Unauthenticated,
    VaultLocked,
    WrongPassphrase,
)
from pylee_tui.services.team_vault import Resealed, Wrap
from pylee_tui.team import sealing
from pylee_tui.team.remote import RemoteServices
from tests.support import ANN, BOB, CARL
from tests.team.conftest import TeamServer

ORG = Scope("acme")
VALUE = "tok-3f9a-plaintext-never-stored"


@dataclass
class Member:
    """A person on their own machine: their key pair and their client of the server."""

    email: str
    keys: sealing.KeyPair
    passphrase: str
    remote: RemoteServices

    def unlocked(self) -> RemoteServices:
        if not self.remote.vault.unlocked:
            self.remote.vault.unlock(self.passphrase)
        return self.remote


@pytest.fixture
def people(team: TeamServer) -> Iterator[dict[str, Member]]:
    opened: dict[str, Member] = {}
    yield opened
    for member in opened.values():
        member.remote.close()


def join(team: TeamServer, people: dict[str, Member], email: str) -> Member:
    """`email` enrols with a key pair of their own (as `join` does: the private key protected
    by their passphrase)."""
    keys = sealing.new_key_pair()
    with team.services.store.transaction() as db:
        code = team.services.tokens.issue_code(db, email, ANN)
    issued = team.services.tokens.enrol(code, keys.public)
    passphrase = f"passphrase of {email}"
    remote = RemoteServices(
        team.url,
        issued.token,
        protected_key=sealing.protect(keys.private, passphrase),
        public_key=keys.public,
    )
    people[email] = Member(email, keys, passphrase, remote)
    return people[email]


def acme(team: TeamServer, people: dict[str, Member]) -> tuple[Member, Member, Member]:
    """Ann (admin) with Bob (member, secrets:write) and Carl (admin) in org acme."""
    ann = join(team, people, ANN)
    ann.remote.orgs.create(ANN, "Acme", slug="acme")
    ann.remote.members.invite(ANN, "acme", BOB)
    ann.remote.members.invite(ANN, "acme", CARL, role="admin")
    bob, carl = join(team, people, BOB), join(team, people, CARL)
    bob.remote.members.accept(BOB, "acme")
    carl.remote.members.accept(CARL, "acme")
    ann.remote.members.grant(ANN, "acme", BOB, "secrets:write")
    # the org's key was made with the org (for ann); carl joined after: ann's client shares it
    ann.unlocked().vault.share("acme")
    ann.remote.vault.lock()
    ann.remote.vault.take_notes()  # what the grant left to do before the share: done now
    return ann, bob, carl


def stored_bytes(team: TeamServer) -> bytes:
    """The server's database and its write-ahead log, as a disk would show them."""
    path = Path(team.services.store.path)
    return b"".join(p.read_bytes() for p in (path, Path(f"{path}-wal")) if p.exists())


def org_private(team: TeamServer, member: Member, generation: int | None = None) -> bytes:
    """The org key as `member` unwraps it from what the server stores for them."""
    org_id, current = team.services.store.rows("SELECT org_id, max(generation) AS g FROM org_keys")[
        0
    ].values()
    generation = generation or current
    wrapped = team.services.store.rows(
        "SELECT wrapped FROM org_key_wraps WHERE org_id = ? AND generation = ? AND email = ?",
        [org_id, generation, member.email],
    )[0]["wrapped"]
    return sealing.unwrap_for(member.keys.private, wrapped, org_id, generation, member.email)


def sealed_blobs(team: TeamServer) -> list[bytes]:
    rows = team.services.store.rows(
        "SELECT encrypted_value FROM variables WHERE encrypted_value IS NOT NULL UNION ALL "
        "SELECT encrypted_value FROM variable_versions WHERE encrypted_value IS NOT NULL"
    )
    return [bytes(r["encrypted_value"]) for r in rows]


def test_a_writer_seals_what_only_readers_open_and_the_server_never_holds_it(
    team: TeamServer, people: dict[str, Member]
) -> None:
    ann, bob, carl = acme(team, people)
    # the org's key was made with the org, and shared with every admin who has joined
    ann.remote.variables.set_key(ANN, ORG, "FIRST", "first-value", kind="secret")
    state = ann.remote.vault.org_status("acme")
    assert (state.generation, [(r.email, r.wrapped) for r in state.readers]) == (
        1,
        [(ANN, True), (CARL, True)],
    )

    written = bob.remote.variables.set_key(BOB, ORG, "API_TOKEN", VALUE, kind="secret")
    assert (written.key, written.kind, written.value) == ("API_TOKEN", "secret", None)
    assert not bob.remote.vault.unlocked  # sealing needs only the org's public key
    with pytest.raises(PermissionDenied, match=r"cannot reveal secrets in 'acme': it needs"):
        bob.unlocked().variables.reveal(BOB, ORG, "API_TOKEN")

    assert carl.unlocked().variables.reveal(CARL, ORG, "API_TOKEN") == VALUE
    assert ann.unlocked().variables.reveal(ANN, ORG, "FIRST") == "first-value"
    reads = [
        (e.action, e.actor, e.target_label)
        for e in team.services.audit.list_for_org(ANN, "acme")
        if e.action.startswith(("secret.", "vault."))
    ]
    assert ("secret.reveal", CARL, "API_TOKEN") in reads
    assert ("vault.key.create", ANN, "acme") in reads

    disk = stored_bytes(team)
    for plaintext in (VALUE, "first-value"):
        assert plaintext.encode() not in disk
    assert org_private(team, ann) not in disk
    for member in (ann, bob, carl):
        assert member.keys.private not in disk


def test_reveal_asks_for_the_passphrase_only_after_the_checks(
    team: TeamServer, people: dict[str, Member]
) -> None:
    ann, bob, carl = acme(team, people)
    ann.remote.variables.set_key(ANN, ORG, "API_TOKEN", VALUE, kind="secret")
    with pytest.raises(PermissionDenied, match="cannot reveal secrets"):
        bob.remote.variables.reveal(BOB, ORG, "API_TOKEN")  # before any passphrase
    with pytest.raises(VaultLocked, match="your team key is locked"):
        carl.remote.variables.reveal(CARL, ORG, "API_TOKEN")
    with pytest.raises(WrongPassphrase, match="wrong passphrase for your team key"):
        carl.remote.vault.unlock("not it")
    reveals = [
        e for e in team.services.audit.list_for_org(ANN, "acme") if e.action == "secret.reveal"
    ]
    assert reveals == []  # refused and locked attempts read nothing
    assert carl.unlocked().variables.reveal(CARL, ORG, "API_TOKEN") == VALUE
    carl.remote.close()
    assert not carl.remote.vault.unlocked  # closing forgets the keys
    # a plain variable is read without any key
    ann.remote.variables.set_key(ANN, ORG, "LOG_LEVEL", "debug")
    assert bob.remote.variables.reveal(BOB, ORG, "LOG_LEVEL") == "debug"
    assert not bob.remote.vault.unlocked


def test_a_writer_with_the_whole_database_and_their_own_key_cannot_decrypt(
    team: TeamServer, people: dict[str, Member]
) -> None:
    ann, bob, _carl = acme(team, people)
    ann.remote.variables.set_key(ANN, ORG, "FIRST", "first-value", kind="secret")
    bob.remote.variables.set_key(BOB, ORG, "API_TOKEN", VALUE, kind="secret")
    org_id = team.services.store.rows("SELECT id FROM organizations")[0]["id"]
    blobs = sealed_blobs(team)
    assert len(blobs) >= 2
    wraps = [
        bytes(r["wrapped"]) for r in team.services.store.rows("SELECT wrapped FROM org_key_wraps")
    ]
    public = [
        bytes(r["public_key"]) for r in team.services.store.rows("SELECT public_key FROM org_keys")
    ]
    # every key Bob holds or can find: his own private key, and every public key stored
    for key in [bob.keys.private, *public]:
        for blob in blobs + wraps:
            for scope, scope_id in (("org", org_id), ("user", 1)):
                for aad in (
                    sealing.secret_aad(org_id, scope, scope_id, "API_TOKEN", 1),
                    sealing.wrap_aad(org_id, 1, BOB),
                    b"",
                ):
                    with pytest.raises(crypto.Undecryptable):
                        sealing.open_sealed(key, blob, aad)
    # nor does the server hand him a wrap
    with pytest.raises(PermissionDenied):
        bob.remote.team_vault.my_wrap(BOB, "acme")


def test_removing_an_admin_rotates_the_key_and_reseals_every_secret(
    team: TeamServer, people: dict[str, Member]
) -> None:
    ann, bob, carl = acme(team, people)
    ann.remote.variables.set_key(ANN, ORG, "API_TOKEN", "version-one", kind="secret")
    ann.remote.variables.set_key(ANN, ORG, "API_TOKEN", VALUE, kind="secret")
    assert carl.unlocked().variables.reveal(CARL, ORG, "API_TOKEN") == VALUE
    carls_old_key = org_private(team, carl)

    ann.remote.vault.passphrase = lambda: ann.passphrase  # the CLI asks; here it is known
    ann.remote.members.remove(ANN, "acme", CARL)
    notes = ann.remote.vault.take_notes()
    assert len(notes) == 1 and "rotated the secrets key of acme (generation 2)" in notes[0]
    assert CARL in notes[0]

    state = ann.remote.vault.org_status("acme")
    assert (state.generation, state.stale, [r.email for r in state.readers]) == (2, [], [ANN])
    assert team.services.store.rows("SELECT DISTINCT generation FROM org_key_wraps") == [
        {"generation": 2}
    ]
    # every sealed value, kept versions included, is new: Carl's old key opens none of them
    org_id = state.org_id
    for blob in sealed_blobs(team):
        for generation in (1, 2):
            with pytest.raises(crypto.Undecryptable):
                sealing.open_sealed(
                    carls_old_key,
                    blob,
                    sealing.secret_aad(org_id, "org", org_id, "API_TOKEN", generation),
                )
    with pytest.raises(Unauthenticated):
        carl.remote.orgs.list_orgs(CARL)

    # the history was re-sealed too: a rollback to version 1 reads back
    assert ann.remote.variables.reveal(ANN, ORG, "API_TOKEN") == VALUE
    ann.remote.variables.rollback(ANN, ORG, "API_TOKEN", 1)
    assert ann.remote.variables.reveal(ANN, ORG, "API_TOKEN") == "version-one"
    # writers seal to the new key
    bob.remote.variables.set_key(BOB, ORG, "LATER", "later-value", kind="secret")
    assert ann.remote.variables.reveal(ANN, ORG, "LATER") == "later-value"
    disk = stored_bytes(team)
    assert b"version-one" not in disk and VALUE.encode() not in disk
    for key in (carls_old_key, org_private(team, ann), ann.keys.private, carl.keys.private):
        assert key not in disk  # no org key of any generation, no member's key


def test_a_removal_without_the_admins_passphrase_leaves_a_rotation_due(
    team: TeamServer, people: dict[str, Member]
) -> None:
    ann, _bob, _carl = acme(team, people)
    ann.remote.variables.set_key(ANN, ORG, "API_TOKEN", VALUE, kind="secret")
    ann.remote.members.remove(ANN, "acme", CARL)
    assert ann.remote.vault.take_notes() == [
        f"{CARL} still hold(s) the secrets key of acme: rotate it with "
        "`pylee-tui vault rotate --org acme`"
    ]
    assert ann.remote.vault.org_status("acme").stale == [CARL]
    ann.unlocked().vault.rotate("acme")
    state = ann.remote.vault.org_status("acme")
    assert (state.generation, state.stale) == (2, [])
    assert ann.remote.variables.reveal(ANN, ORG, "API_TOKEN") == VALUE


def test_making_a_member_admin_shares_the_key_and_they_read(
    team: TeamServer, people: dict[str, Member]
) -> None:
    ann, bob, _carl = acme(team, people)
    ann.remote.variables.set_key(ANN, ORG, "API_TOKEN", VALUE, kind="secret")
    ann.unlocked()
    ann.remote.members.change_role(ANN, "acme", BOB, "admin")
    assert ann.remote.vault.take_notes() == [f"shared the secrets key of acme with {BOB}"]
    assert bob.unlocked().variables.reveal(BOB, ORG, "API_TOKEN") == VALUE

    # demoted again: his wrap is stale until the rotation the admin's client makes at once
    ann.remote.members.change_role(ANN, "acme", BOB, "member")
    assert "rotated the secrets key of acme" in ann.remote.vault.take_notes()[0]
    with pytest.raises(PermissionDenied, match="cannot reveal secrets"):
        bob.remote.variables.reveal(BOB, ORG, "API_TOKEN")


def test_a_reader_without_a_shared_key_is_told_to_ask_an_admin(
    team: TeamServer, people: dict[str, Member]
) -> None:
    ann, bob, _carl = acme(team, people)
    ann.remote.variables.set_key(ANN, ORG, "API_TOKEN", VALUE, kind="secret")
    ann.remote.members.change_role(ANN, "acme", BOB, "admin")  # Ann's key locked: not shared
    assert "share it with `pylee-tui vault share --org acme`" in ann.remote.vault.take_notes()[0]
    with pytest.raises(PermissionDenied, match=r"you may not read secrets in acme \(no key was"):
        bob.unlocked().variables.reveal(BOB, ORG, "API_TOKEN")
    ann.unlocked().vault.share("acme")
    assert bob.remote.variables.reveal(BOB, ORG, "API_TOKEN") == VALUE


def test_a_members_own_secret_is_sealed_to_their_key_alone(
    team: TeamServer, people: dict[str, Member]
) -> None:
    ann, bob, _carl = acme(team, people)
    mine = Scope("acme", user=True)
    bob.remote.variables.set_key(BOB, mine, "MY_TOKEN", "bobs-own-value", kind="secret")
    assert bob.unlocked().variables.reveal(BOB, mine, "MY_TOKEN") == "bobs-own-value"
    blob = bytes(
        team.services.store.rows("SELECT encrypted_value FROM user_variables")[0]["encrypted_value"]
    )
    ann.unlocked().vault.share("acme")  # the org key exists; it does not open Bob's own value
    with pytest.raises(crypto.Undecryptable):
        sealing.open_sealed(org_private(team, ann), blob, b"")
    assert b"bobs-own-value" not in stored_bytes(team)


def test_the_server_refuses_blobs_at_an_old_generation_and_partial_rotations(
    team: TeamServer, people: dict[str, Member]
) -> None:
    ann, _bob, _carl = acme(team, people)
    ann.remote.variables.set_key(ANN, ORG, "API_TOKEN", VALUE, kind="secret")
    ann.remote.variables.set_key(ANN, ORG, "OTHER", "other", kind="secret")
    vault = ann.unlocked().team_vault
    target = vault.seal_target(ANN, ORG, "API_TOKEN")
    old_blob = sealing.seal_secret(target.public_key, "stale", b"x")
    ann.remote.vault.rotate("acme")
    with pytest.raises(Conflict, match="the org's key changed meanwhile: try again"):
        vault.put_sealed(ANN, ORG, "API_TOKEN", old_blob, target.generation)

    rows = vault.sealed_rows(ANN, "acme")
    pair = sealing.new_key_pair()
    wraps = [Wrap(ANN, ann.keys.public, sealing.wrap_for(ann.keys.public, pair.private, 1, 3, ANN))]
    partial = [Resealed(r.table, r.id, r.blob) for r in rows.rows[1:]]
    with pytest.raises(Conflict, match="the org's secrets changed meanwhile"):
        vault.rotate(ANN, "acme", rows.generation, pair.public, wraps, partial)
    with pytest.raises(Conflict, match="who may read the org's secrets changed"):
        vault.rotate(ANN, "acme", rows.generation, pair.public, [], partial)
    with pytest.raises(InvalidInput, match="must be a sealed box"):
        vault.put_sealed(ANN, ORG, "API_TOKEN", b"plaintext-value", rows.generation)
    assert vault.status(ANN, "acme").generation == rows.generation
    assert ann.remote.variables.reveal(ANN, ORG, "API_TOKEN") == VALUE


def test_a_secret_reaches_a_team_store_only_sealed(team: TeamServer) -> None:
    team.services.orgs.create(ANN, "Acme", slug="acme")
    with pytest.raises(InvalidInput, match="sealed by the member's machine"):
        team.services.variables.set_key(ANN, ORG, "API_TOKEN", VALUE, kind="secret")
    assert team.services.variables.list_keys(ANN, ORG) == []


def test_a_sealed_value_is_not_opened_by_the_servers_own_services(
    team: TeamServer, people: dict[str, Member]
) -> None:
    ann, _bob, _carl = acme(team, people)
    ann.remote.variables.set_key(ANN, ORG, "API_TOKEN", VALUE, kind="secret")
    with pytest.raises(SecretUnreadable, match="sealed by the team vault"):
        team.services.variables.reveal(ANN, ORG, "API_TOKEN")


def test_an_effective_configuration_is_opened_on_the_readers_machine(
    team: TeamServer, people: dict[str, Member]
) -> None:
    ann, bob, carl = acme(team, people)
    ann.remote.variables.set_key(ANN, ORG, "API_TOKEN", VALUE, kind="secret")
    ann.remote.variables.set_key(ANN, ORG, "API_URL", "https://api.example.com/?t=${API_TOKEN}")
    ann.remote.variables.set_key(ANN, ORG, "LOG_LEVEL", "debug")
    mine = Scope("acme", user=True)
    bob.remote.variables.set_key(BOB, mine, "MY_TOKEN", "bobs-own-value", kind="secret")

    masked = carl.remote.variables.effective(CARL, ORG)
    assert masked.get("API_URL").value is None  # type: ignore[union-attr]
    config = carl.unlocked().variables.effective(CARL, ORG, reveal=True)
    assert config.get("API_TOKEN").value == VALUE  # type: ignore[union-attr]
    assert config.get("API_URL").value == f"https://api.example.com/?t={VALUE}"  # type: ignore[union-attr]
    assert config.get("LOG_LEVEL").value == "debug"  # type: ignore[union-attr]
    assert carl.remote.variables.reveal_effective(CARL, ORG, "API_URL") == (
        f"https://api.example.com/?t={VALUE}"
    )
    assert carl.remote.variables.reveal_effective(CARL, ORG, "LOG_LEVEL") == "debug"

    with pytest.raises(PermissionDenied, match="cannot reveal secrets"):
        bob.remote.variables.effective(BOB, ORG, reveal=True)
    with pytest.raises(PermissionDenied, match="cannot reveal secrets"):
        bob.remote.variables.reveal_effective(BOB, ORG, "API_URL")
    # his own secret needs no grant, as locally
    assert bob.unlocked().variables.reveal_effective(BOB, ORG, "MY_TOKEN") == "bobs-own-value"

    events = [
        (e.action, e.actor, e.target_label, e.metadata.get("keys"), e.metadata.get("via"))
        for e in team.services.audit.list_for_org(ANN, "acme")
        if e.action in ("secret.export", "secret.reveal")
    ]
    assert ("secret.export", CARL, "org acme", ["API_TOKEN"], None) in events
    assert ("secret.reveal", CARL, "API_TOKEN", None, "API_URL") in events
    assert b"bobs-own-value" not in stored_bytes(team)
    assert VALUE.encode() not in stored_bytes(team)


def test_an_admin_who_accepts_is_told_to_ask_for_the_key(
    team: TeamServer, people: dict[str, Member]
) -> None:
    ann = join(team, people, ANN)
    ann.remote.orgs.create(ANN, "Acme", slug="acme")
    ann.remote.variables.set_key(ANN, ORG, "API_TOKEN", VALUE, kind="secret")
    ann.remote.members.invite(ANN, "acme", CARL, role="admin")
    carl = join(team, people, CARL)
    carl.remote.members.accept(CARL, "acme")
    assert carl.remote.vault.take_notes() == [
        "the secrets key of acme is not shared with you yet: ask an admin to run "
        "`pylee-tui vault share --org acme`"
    ]
    ann.unlocked().vault.share("acme")
    assert carl.unlocked().variables.reveal(CARL, ORG, "API_TOKEN") == VALUE


def test_rotations_and_writes_racing_lose_nothing(
    team: TeamServer, people: dict[str, Member]
) -> None:
    ann, bob, carl = acme(team, people)
    ann.remote.variables.set_key(ANN, ORG, "API_TOKEN", "round-0", kind="secret")
    ann.unlocked()
    carl.unlocked()
    rounds = 4
    barrier = threading.Barrier(3, timeout=30)
    failures: list[BaseException] = []

    def each_round(act: Callable[[int], object]) -> Callable[[], None]:
        def run() -> None:
            for number in range(1, rounds + 1):
                try:
                    barrier.wait()
                    act(number)
                except BaseException as exc:  # the test reports every one
                    failures.append(exc)

        return run

    threads = [
        threading.Thread(target=each_round(lambda _n: ann.remote.vault.rotate("acme"))),
        threading.Thread(target=each_round(lambda _n: carl.remote.vault.rotate("acme"))),
        threading.Thread(
            target=each_round(
                lambda n: bob.remote.variables.set_key(
                    BOB, ORG, "API_TOKEN", f"round-{n}", kind="secret"
                )
            )
        ),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert failures == []
    # both admins' rotations all happened, one after the other; every value opens
    state = ann.remote.vault.org_status("acme")
    assert (state.generation, state.stale) == (1 + 2 * rounds, [])
    assert ann.remote.variables.reveal(ANN, ORG, "API_TOKEN") == f"round-{rounds}"
    key = org_private(team, ann)
    rows = ann.remote.team_vault.sealed_rows(ANN, "acme")
    for row in rows.rows:
        aad = sealing.secret_aad(state.org_id, row.scope, row.scope_id, row.key, state.generation)
        assert sealing.open_secret(key, row.blob, aad).startswith("round-")
    rotations = [
        e for e in team.services.audit.list_for_org(ANN, "acme") if e.action == "vault.key.rotate"
    ]
    assert len(rotations) == 2 * rounds
