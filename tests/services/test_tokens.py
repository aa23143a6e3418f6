"""TokenService: a team server's logins. Enrolment codes (single use, seven days, one live per
email), API tokens (ninety days, revocable, dead once their person belongs nowhere), and that the
database holds only their hashes."""

from __future__ import annotations

import hashlib
import re
import sqlite3
import threading
from pathlib import Path

import pytest

from pylee_tui.services import (
    Conflict,
    InvalidInput,
    NotFound,
    PermissionDenied,
    Services,
    Unauthenticated,
)
from pylee_tui.services.tokens import BAD_CODE, BAD_KEY, BAD_TOKEN, IssuedToken, TokenInfo
from pylee_tui.store import Store
from pylee_tui.team.sealing import new_key_pair
from tests.support import ANN, BOB, CARL, Clock

KEY_A = bytes(range(32))
KEY_B = bytes(range(1, 33))


def invite_code(services: Services, email: str, org: str = "acme") -> str:
    """What an invitation will do: a membership and, in the same transaction, a code."""
    services.members.invite(ANN, org, email)
    with services.store.transaction() as db:
        return services.tokens.issue_code(db, email, by=ANN)


def refused_token(services: Services, token: object) -> str:
    with pytest.raises(Unauthenticated) as caught:
        services.tokens.authenticate(token)  # type: ignore[arg-type]
    return str(caught.value)


@pytest.fixture
def admin(services: Services) -> IssuedToken:
    """ann initialised the server, enrolled, and created acme."""
    issued = services.tokens.enrol(services.tokens.init_server(ANN), KEY_A, "laptop")
    services.orgs.create(ANN, "Acme")
    return issued


# --- codes -----------------------------------------------------------------------------------


def test_init_server_makes_the_first_admin_once(services: Services) -> None:
    code = services.tokens.init_server(" Ann@Example.COM ")
    assert re.fullmatch(r"[A-Z2-7]{5}(-[A-Z2-7]{5}){3}", code)
    issued = services.tokens.enrol(code, KEY_A)
    assert issued.email == ANN
    assert services.tokens.is_server_admin(ANN)
    # an admin's token works without any membership
    assert services.tokens.authenticate(issued.token) == ANN
    with pytest.raises(Conflict, match="already initialised"):
        services.tokens.init_server(BOB)
    assert not services.tokens.is_server_admin(BOB)


def test_init_server_refuses_once_any_code_was_handed_out(services: Services) -> None:
    with services.store.transaction() as db:
        services.tokens.issue_code(db, BOB, by=ANN)
    with pytest.raises(Conflict, match="already initialised"):
        services.tokens.init_server(ANN)


def test_init_server_refuses_a_bad_email(services: Services) -> None:
    with pytest.raises(InvalidInput):
        services.tokens.init_server("not-an-email")
    assert services.tokens.init_server(ANN)  # nothing was kept by the refusal


def test_a_code_is_accepted_in_any_case_without_its_dashes(services: Services) -> None:
    code = services.tokens.init_server(ANN)
    assert services.tokens.enrol(f"  {code.replace('-', '').lower()} ", KEY_A).email == ANN


def test_a_code_is_single_use(services: Services, admin: IssuedToken) -> None:
    code = invite_code(services, BOB)
    assert services.tokens.enrol(code, KEY_B).email == BOB
    with pytest.raises(Unauthenticated) as caught:
        services.tokens.enrol(code, KEY_B)
    assert str(caught.value) == BAD_CODE


def test_a_code_lives_seven_days(services: Services, clock: Clock, admin: IssuedToken) -> None:
    code = invite_code(services, BOB)
    late = invite_code(services, CARL)
    clock.advance(days=7, seconds=-1)
    assert services.tokens.enrol(code, KEY_B).email == BOB
    clock.advance(seconds=1)
    with pytest.raises(Unauthenticated) as caught:
        services.tokens.enrol(late, KEY_B)
    assert str(caught.value) == BAD_CODE


def test_a_new_code_expires_the_older_one(services: Services, admin: IssuedToken) -> None:
    first = invite_code(services, BOB)
    with services.store.transaction() as db:
        second = services.tokens.issue_code(db, BOB, by=ANN)
    with pytest.raises(Unauthenticated):
        services.tokens.enrol(first, KEY_B)
    assert services.tokens.enrol(second, KEY_B).email == BOB


@pytest.mark.parametrize("code", ["", "   ", "AAAAA-AAAAA-AAAAA-AAAAA", "x" * 10_000])
def test_an_unknown_code_is_refused_with_the_same_message(services: Services, code: str) -> None:
    services.tokens.init_server(ANN)
    with pytest.raises(Unauthenticated) as caught:
        services.tokens.enrol(code, KEY_A)
    assert str(caught.value) == BAD_CODE


@pytest.mark.parametrize(
    ("key", "label", "message"),
    [
        (b"short", "", "32 bytes"),
        (KEY_A + b"x", "", "32 bytes"),
        (KEY_A, "bad\x1b[31mlabel", "control characters"),
        (KEY_A, "l" * 81, "at most 80"),
    ],
)
def test_a_bad_key_or_label_keeps_the_code(
    services: Services, key: bytes, label: str, message: str
) -> None:
    code = services.tokens.init_server(ANN)
    with pytest.raises(InvalidInput, match=message):
        services.tokens.enrol(code, key, label)
    assert services.tokens.enrol(code, KEY_A).email == ANN


# X25519 points of small order (and non-canonical encodings of them): the shared secret with
# any private key is all zeros, so a box sealed to one is open to anyone
LOW_ORDER_POINTS = [
    bytes(32),
    (1).to_bytes(32, "little"),
    bytes.fromhex("e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800"),
    bytes.fromhex("5f9c95bca3508c24b1d0b1559c83ef5b04445cc4581c8e86d8224eddd09f1157"),
    bytes.fromhex("ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f"),  # p - 1
    bytes.fromhex("edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f"),  # p
    bytes.fromhex("eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f"),  # p + 1
    bytes(31) + b"\x80",  # 0 with the top bit set (X25519 ignores it)
]


@pytest.mark.parametrize("point", LOW_ORDER_POINTS, ids=lambda p: p.hex()[:8])
def test_a_low_order_public_key_is_refused_and_the_code_stays_good(
    services: Services, point: bytes
) -> None:
    code = services.tokens.init_server(ANN)
    with pytest.raises(InvalidInput) as caught:
        services.tokens.enrol(code, point)
    assert str(caught.value) == BAD_KEY
    assert "\n" not in BAD_KEY
    assert services.tokens.enrol(code, new_key_pair().public).email == ANN  # not spent
    assert services.tokens.person_key(ANN, ANN) != point


def test_one_code_raced_by_two_enrolments_has_one_winner(db_path: Path) -> None:
    """Two connections (as two server workers would have) enrol with the same code at once."""
    first = Store(db_path)
    code = Services(first).tokens.init_server(ANN)
    first.close()
    stores = [Store(db_path), Store(db_path)]
    barrier = threading.Barrier(2)
    won: list[IssuedToken] = []
    lost: list[str] = []

    def attempt(store: Store, key: bytes) -> None:
        barrier.wait()
        try:
            won.append(Services(store).tokens.enrol(code, key))
        except Unauthenticated as exc:
            lost.append(str(exc))

    threads = [
        threading.Thread(target=attempt, args=(s, k))
        for s, k in zip(stores, (KEY_A, KEY_B), strict=True)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    try:
        assert len(won) == 1
        assert lost == [BAD_CODE]
        count = stores[0].rows("SELECT count(*) AS n FROM api_tokens")[0]["n"]
        assert count == 1
    finally:
        for s in stores:
            s.close()


# --- tokens ----------------------------------------------------------------------------------


def test_a_token_is_pyl_and_43_urlsafe_characters(admin: IssuedToken) -> None:
    assert re.fullmatch(r"pyl_[A-Za-z0-9_-]{43}", admin.token)
    assert admin.token not in repr(admin)  # a log line of the result shows no token


def test_a_token_lives_ninety_days(services: Services, clock: Clock, admin: IssuedToken) -> None:
    clock.advance(days=90, seconds=-1)
    assert services.tokens.authenticate(admin.token) == ANN
    clock.advance(seconds=1)
    assert refused_token(services, admin.token) == BAD_TOKEN
    assert services.tokens.list_tokens(ANN)[0].state == "expired"


def test_every_bad_token_gets_the_same_message(services: Services, admin: IssuedToken) -> None:
    forged = admin.token[:-1] + ("A" if admin.token[-1] != "A" else "B")
    second = services.tokens.enrol(invite_code(services, BOB), KEY_B)
    services.tokens.revoke(BOB, second.token_id)
    for token in (
        "",
        "pyl_",
        forged,
        admin.token[4:],  # without its prefix
        admin.token + "x",
        "pyl_" + "A" * 10_000,
        None,
        second.token,  # revoked
    ):
        assert refused_token(services, token) == BAD_TOKEN
    assert services.tokens.authenticate(f" {admin.token}\n") == ANN  # pasted with a newline


def removal_event(
    services: Services, org: str, email: str, *, reader: str = ANN
) -> dict[str, object]:
    """The metadata of the newest removal (or revoked invitation) of `email` in `org`."""
    events = [
        e
        for e in services.audit.list_for_org(reader, org)
        if e.action in ("member.remove", "member.revoke_invitation") and e.target_label == email
    ]
    return events[0].metadata


def test_a_token_dies_with_its_last_membership_and_is_revoked(
    services: Services, clock: Clock
) -> None:
    services.tokens.init_server(ANN)
    services.orgs.create(ANN, "Acme")
    services.orgs.create(ANN, "Beta")
    bob = services.tokens.enrol(invite_code(services, BOB), KEY_B)
    assert services.tokens.authenticate(bob.token) == BOB  # invited: may enrol, then accept
    services.members.accept(BOB, "acme")
    services.members.invite(ANN, "beta", BOB)
    services.members.accept(BOB, "beta")
    assert "login" not in services.members.removal(ANN, "acme", BOB)
    services.members.remove(ANN, "acme", BOB)
    assert services.tokens.authenticate(bob.token) == BOB  # still in beta
    assert "tokens_revoked" not in removal_event(services, "acme", BOB)
    assert services.members.removal(ANN, "beta", BOB) == (
        f"removing {BOB} (member) from 'beta' ends their access to it and their login to this "
        "team server (they belong to no other org here)"
    )
    services.members.remove(ANN, "beta", BOB)
    assert refused_token(services, bob.token) == BAD_TOKEN
    [info] = services.tokens.list_tokens(BOB)
    assert (info.state, info.alive) == ("revoked", False)
    assert removal_event(services, "beta", BOB)["tokens_revoked"] == 1
    # invited again: the old token stays dead; the invitation's new code enrols them afresh
    services.members.invite(ANN, "beta", BOB)
    assert refused_token(services, bob.token) == BAD_TOKEN
    with services.store.transaction() as db:
        code = services.tokens.issue_code(db, BOB, by=ANN)
    again = services.tokens.enrol(code, KEY_B)
    assert services.tokens.authenticate(again.token) == BOB


def test_revoking_the_only_invitation_of_an_enrolled_person_revokes_their_tokens(
    services: Services, admin: IssuedToken
) -> None:
    bob = services.tokens.enrol(invite_code(services, BOB), KEY_B)
    assert services.members.removal(ANN, "acme", BOB).endswith(
        "and their login to this team server (they belong to no other org here)"
    )
    services.members.remove(ANN, "acme", BOB)  # never accepted: the invitation is revoked
    assert refused_token(services, bob.token) == BAD_TOKEN
    assert services.tokens.list_tokens(BOB)[0].state == "revoked"
    assert removal_event(services, "acme", BOB)["tokens_revoked"] == 1


def test_a_pending_invitation_elsewhere_keeps_the_tokens_until_it_lapses(
    services: Services, clock: Clock, admin: IssuedToken
) -> None:
    services.orgs.create(ANN, "Beta")
    services.orgs.create(ANN, "Gamma")
    bob = services.tokens.enrol(invite_code(services, BOB), KEY_B)
    services.members.accept(BOB, "acme")
    services.members.invite(ANN, "beta", BOB)
    assert "login" not in services.members.removal(ANN, "acme", BOB)
    services.members.remove(ANN, "acme", BOB)
    assert services.tokens.authenticate(bob.token) == BOB  # beta's invitation is pending
    services.members.invite(ANN, "gamma", BOB)
    services.members.accept(BOB, "gamma")
    clock.advance(days=8)  # beta's invitation lapsed meanwhile
    assert "their login" in services.members.removal(ANN, "gamma", BOB)
    services.members.remove(ANN, "gamma", BOB)
    assert services.tokens.list_tokens(BOB)[0].state == "revoked"


def test_a_server_admin_removed_from_an_org_keeps_their_login(
    services: Services, admin: IssuedToken
) -> None:
    services.tokens.enrol(invite_code(services, BOB), KEY_B)
    services.members.accept(BOB, "acme")
    services.members.change_role(ANN, "acme", BOB, "admin")
    assert "login" not in services.members.removal(BOB, "acme", ANN)
    services.members.remove(BOB, "acme", ANN)  # ann now belongs to no org
    assert services.tokens.authenticate(admin.token) == ANN  # she runs the server
    assert services.tokens.list_tokens(ANN)[0].state == "alive"
    assert "tokens_revoked" not in removal_event(services, "acme", ANN, reader=BOB)


def test_removing_someone_who_never_enrolled_revokes_nothing(
    services: Services, admin: IssuedToken
) -> None:
    services.members.invite(ANN, "acme", CARL)
    services.members.accept(CARL, "acme")
    services.members.remove(ANN, "acme", CARL)
    assert "tokens_revoked" not in removal_event(services, "acme", CARL)
    assert services.tokens.authenticate(admin.token) == ANN


def test_an_invitation_left_pending_past_seven_days_ends_the_token(
    services: Services, clock: Clock, admin: IssuedToken
) -> None:
    bob = services.tokens.enrol(invite_code(services, BOB), KEY_B)
    clock.advance(days=7, seconds=1)
    assert refused_token(services, bob.token) == BAD_TOKEN
    assert services.tokens.authenticate(admin.token) == ANN


def test_revoke_all_ends_every_token_of_a_person(services: Services, admin: IssuedToken) -> None:
    bob = services.tokens.enrol(invite_code(services, BOB), KEY_B, "laptop")
    with services.store.transaction() as db:
        again = services.tokens.issue_code(db, BOB, by=ANN)
    bob2 = services.tokens.enrol(again, KEY_B, "desktop")
    with services.store.transaction() as db:
        assert services.tokens.revoke_all(db, BOB) == 2
    for token in (bob.token, bob2.token):
        assert refused_token(services, token) == BAD_TOKEN
    assert services.tokens.authenticate(admin.token) == ANN


def test_last_used_is_written_at_most_once_a_minute(
    services: Services, clock: Clock, admin: IssuedToken
) -> None:
    def last_used() -> str | None:
        return services.tokens.list_tokens(ANN)[0].last_used_at

    assert last_used() is None
    services.tokens.authenticate(admin.token)
    first = last_used()
    assert first is not None
    clock.advance(seconds=59)
    services.tokens.authenticate(admin.token)
    assert last_used() == first
    clock.advance(seconds=2)
    services.tokens.authenticate(admin.token)
    assert last_used() is not None and last_used() > first  # type: ignore[operator]


def test_a_busy_store_skips_noting_the_use_but_still_authenticates(
    services: Services, clock: Clock, admin: IssuedToken, db_path: Path
) -> None:
    """Another connection (`pylee-tui --db` on the served file) holds the write lock: the token
    still works; its last use is noted on a later call."""
    services.store.conn.execute("PRAGMA busy_timeout = 50")  # not the 5 s a server waits
    other = sqlite3.connect(db_path, timeout=0.05)
    other.execute("BEGIN IMMEDIATE")
    try:
        assert services.tokens.authenticate(admin.token) == ANN
        assert services.tokens.list_tokens(ANN)[0].last_used_at is None
    finally:
        other.rollback()
        other.close()
    assert services.tokens.authenticate(admin.token) == ANN
    assert services.tokens.list_tokens(ANN)[0].last_used_at is not None


def test_list_shows_own_tokens_and_everyone_only_to_a_server_admin(
    services: Services, admin: IssuedToken
) -> None:
    bob = services.tokens.enrol(invite_code(services, BOB), KEY_B, "bob's laptop")
    mine = services.tokens.list_tokens(BOB)
    assert [(t.id, t.email, t.label, t.alive) for t in mine] == [
        (bob.token_id, BOB, "bob's laptop", True)
    ]
    with pytest.raises(PermissionDenied, match="server admin"):
        services.tokens.list_tokens(BOB, everyone=True)
    everyone = services.tokens.list_tokens(ANN, everyone=True)
    assert [t.email for t in everyone] == [BOB, ANN]  # newest first
    assert set(TokenInfo.__dataclass_fields__) == {
        "id",
        "email",
        "label",
        "created_at",
        "expires_at",
        "last_used_at",
        "revoked_at",
        "alive",
        "state",
    }


def test_revoke_own_token_or_any_as_server_admin(services: Services, admin: IssuedToken) -> None:
    bob = services.tokens.enrol(invite_code(services, BOB), KEY_B)
    with pytest.raises(NotFound, match=f"no token #{admin.token_id}"):
        services.tokens.revoke(BOB, admin.token_id)
    assert services.tokens.authenticate(admin.token) == ANN
    with pytest.raises(NotFound):
        services.tokens.revoke(BOB, 999)
    revoked = services.tokens.revoke(ANN, bob.token_id)
    assert (revoked.email, revoked.state, revoked.alive) == (BOB, "revoked", False)
    assert refused_token(services, bob.token) == BAD_TOKEN
    with pytest.raises(Conflict, match="already revoked"):
        services.tokens.revoke(ANN, bob.token_id)
    services.tokens.revoke(ANN, admin.token_id)
    assert refused_token(services, admin.token) == BAD_TOKEN


# --- people and keys -------------------------------------------------------------------------


def test_re_enrolment_replaces_the_key_and_says_so(services: Services, admin: IssuedToken) -> None:
    first = services.tokens.enrol(invite_code(services, BOB), KEY_A)
    assert not first.replaced_key
    with services.store.transaction() as db:
        same = services.tokens.issue_code(db, BOB, by=ANN)
    assert not services.tokens.enrol(same, KEY_A).replaced_key
    with services.store.transaction() as db:
        other = services.tokens.issue_code(db, BOB, by=ANN)
    assert services.tokens.enrol(other, KEY_B).replaced_key
    assert services.tokens.person_key(ANN, BOB) == KEY_B


def test_a_key_is_shown_to_co_members_only(services: Services, admin: IssuedToken) -> None:
    services.tokens.enrol(invite_code(services, BOB), KEY_B)
    services.members.accept(BOB, "acme")
    with services.store.transaction() as db:
        services.tokens.issue_code(db, CARL, by=ANN)  # known by a code, not enrolled, no org
    assert services.tokens.person_key(BOB, ANN) == KEY_A
    assert services.tokens.person_key(ANN, BOB) == KEY_B
    services.orgs.create(BOB, "Bobs")
    services.members.invite(BOB, "bobs", CARL)
    # CARL is invited to bobs but has never enrolled: not a person this server knows
    with pytest.raises(NotFound):
        services.tokens.person_key(BOB, CARL)
    with pytest.raises(NotFound, match="share an organization"):
        services.tokens.person_key(CARL, BOB)  # CARL is only invited: shares nothing yet
    services.members.remove(ANN, "acme", BOB)
    with pytest.raises(NotFound):
        services.tokens.person_key(BOB, ANN)


def test_an_admin_without_a_key_yet_has_none(services: Services) -> None:
    services.tokens.init_server(ANN)
    assert services.tokens.person_key(ANN, ANN) is None


# --- what the database keeps -----------------------------------------------------------------


def test_the_database_holds_hashes_never_codes_or_tokens(services: Services, db_path: Path) -> None:
    code = services.tokens.init_server(ANN)
    issued = services.tokens.enrol(code, KEY_A)
    services.orgs.create(ANN, "Acme")
    pending = invite_code(services, BOB)
    services.tokens.authenticate(issued.token)
    services.store.close()
    stored = b"".join(
        p.read_bytes() for p in db_path.parent.iterdir() if p.name.startswith(db_path.name)
    )
    for secret in (code, pending, issued.token):
        for form in (secret, secret.replace("-", ""), secret.lower(), secret.removeprefix("pyl_")):
            assert form.encode() not in stored
    # what is there instead: the hashes (so the scan above reads the rows it should)
    assert hashlib.sha256(issued.token.encode()).hexdigest().encode() in stored
    assert hashlib.sha256(pending.replace("-", "").encode()).hexdigest().encode() in stored
