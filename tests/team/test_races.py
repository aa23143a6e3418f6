"""Races over real HTTP (issue 18, item 5): two clients doing conflicting things at the same
moment, many rounds, each started together behind a barrier. The local rule holds as it does for
one process: exactly one of two conflicting changes wins, the org keeps an admin, the audit log
records exactly the changes made, and the loser gets the one-line refusal a local command gives —
never a 500, a 503 or "database is locked".

The server runs its handlers in uvicorn's thread pool over one Store: one SQLite connection whose
lock makes each service call (its reads and its BEGIN IMMEDIATE transaction) whole. Another
connection to the same file (`pylee-tui --db` beside a running server) waits on SQLite's busy
timeout instead of failing."""

from __future__ import annotations

import logging
import sqlite3
import threading
from collections import Counter
from collections.abc import Callable, Iterator
from functools import partial
from pathlib import Path
from typing import Any

import pytest

from pylee_tui.models import Member
from pylee_tui.services import (
    Conflict,
    InvalidInput,
    NotFound,
    PermissionDenied,
    PyleeError,
    Scope,
    Services,
    Unauthenticated,
)
from pylee_tui.services.approvals import ChangeRequested
from pylee_tui.services.tokens import BAD_CODE, BAD_KEY, BAD_TOKEN, IssuedToken
from pylee_tui.store import Store
from pylee_tui.team.api import STORE_TROUBLE
from pylee_tui.team.remote import RemoteServices, enrol
from pylee_tui.team.sealing import new_key_pair
from tests.support import ANN, BOB, CARL, server_doc
from tests.team.conftest import TeamServer

ROUNDS = 20
JOIN_DEADLINE = 30.0  # seconds: a racer still running by then fails the test
LOW_ORDER_KEY = bytes(32)


def race(*calls: Callable[[], Any]) -> list[Any]:
    """Run `calls` in threads released together; each one's result, or the exception it raised."""
    barrier = threading.Barrier(len(calls))
    outcomes: list[Any] = [None] * len(calls)

    def run(index: int, call: Callable[[], Any]) -> None:
        barrier.wait(JOIN_DEADLINE)
        try:
            outcomes[index] = call()
        except Exception as exc:  # the outcome under test
            outcomes[index] = exc

    threads = [threading.Thread(target=run, args=pair) for pair in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(JOIN_DEADLINE)
    assert not any(thread.is_alive() for thread in threads), "a racer never finished"
    return outcomes


def won(outcomes: list[Any]) -> list[int]:
    """The indexes of the calls that returned."""
    return [i for i, outcome in enumerate(outcomes) if not isinstance(outcome, Exception)]


@pytest.fixture
def quiet_server(caplog: pytest.LogCaptureFixture) -> Iterator[None]:
    """After the test: the server logged no bug and no store trouble (a 500 or 503 logs one)."""
    caplog.set_level(logging.ERROR, logger="pylee_tui.team")
    yield
    troubles = [r.getMessage() for r in caplog.records if r.name.startswith("pylee_tui.team")]
    assert troubles == []


def admins(services: Services, org: str = "acme") -> list[str]:
    """The active admins of `org`, as stored."""
    return sorted(m for m, role in _active(services, org).items() if role == "admin")


def _active(services: Services, org: str) -> dict[str, str]:
    """The active members of `org` and their roles, as stored (whoever may read them)."""
    with services.store.reading() as db:
        rows = db.query(
            "SELECT m.email, m.role FROM members m JOIN organizations o ON o.id = m.org_id "
            "WHERE o.slug = ? AND m.status = 'active'",
            [org],
        )
        return {row["email"]: row["role"] for row in rows}


def actions(services: Services, reader: str, action: str, org: str = "acme") -> list[Any]:
    """The audit events of `org` with `action`, oldest first."""
    events = services.audit.list_for_org(reader, org)
    return [event for event in reversed(events) if event.action == action]


def join(team: TeamServer, email: str, org: str = "acme", *, role: str = "member") -> None:
    """`email` (invited by ANN, or by BOB when ANN is gone) accepts and gets `role`."""
    by = ANN if ANN in _active(team.services, org) else BOB
    team.services.members.invite(by, org, email)
    team.services.members.accept(email, org)
    if role != "member":
        team.services.members.change_role(by, org, email, role)


@pytest.fixture
def two_admins(team: TeamServer) -> TeamServer:
    """acme, whose admins are ANN and BOB, both enrolled."""
    team.services.orgs.create(ANN, "Acme", slug="acme")
    join(team, BOB, role="admin")
    team.enrol(BOB)
    return team


# --- two admins against each other ------------------------------------------------------------


def test_two_admins_demoting_each_other_at_once_one_wins(
    two_admins: TeamServer, quiet_server: None
) -> None:
    team, services = two_admins, two_admins.services
    other = {ANN: BOB, BOB: ANN}
    winners: Counter[str] = Counter()
    with (
        RemoteServices(team.url, team.tokens[ANN]) as ann,
        RemoteServices(team.url, team.tokens[BOB]) as bob,
    ):
        for _ in range(ROUNDS):
            outcomes = race(
                lambda: ann.members.change_role(ANN, "acme", BOB, "member"),
                lambda: bob.members.change_role(BOB, "acme", ANN, "member"),
            )
            [index] = won(outcomes)
            winner = (ANN, BOB)[index]
            loser = other[winner]
            demoted = outcomes[index]
            assert isinstance(demoted, Member) and (demoted.email, demoted.role) == (
                loser,
                "member",
            )
            refusal = outcomes[1 - index]
            # the loser is no admin any more when its call runs: refused as any member is
            assert isinstance(refusal, PermissionDenied), repr(refusal)
            assert admins(services) == [winner]  # the org kept exactly one admin
            winners[winner] += 1
            services.members.change_role(winner, "acme", loser, "admin")  # next round
    events = actions(services, ANN, "member.role")
    assert len(events) == 1 + 2 * ROUNDS  # BOB made admin, then each round: a demotion, a promotion
    demotions = [e for e in events if e.metadata["to"] == "member"]
    assert len(demotions) == ROUNDS
    assert Counter(e.actor for e in demotions) == winners


def test_three_admins_stepping_down_at_once_leave_the_last_one_admin(
    two_admins: TeamServer, quiet_server: None
) -> None:
    """The last-admin rule under a race: of three admins demoting themselves at once, two do;
    whoever comes last is refused and stays admin."""
    team, services = two_admins, two_admins.services
    join(team, CARL, role="admin")
    team.enrol(CARL)
    people = (ANN, BOB, CARL)
    clients = [RemoteServices(team.url, team.tokens[email]) for email in people]
    try:
        for _ in range(ROUNDS // 2):
            outcomes = race(
                *(
                    partial(client.members.change_role, email, "acme", email, "member")
                    for email, client in zip(people, clients, strict=True)
                )
            )
            assert len(won(outcomes)) == 2, outcomes
            [kept] = [people[i] for i in range(3) if i not in won(outcomes)]
            refusal = outcomes[people.index(kept)]
            assert isinstance(refusal, Conflict), repr(refusal)
            assert "they are the last active admin of 'acme'" in str(refusal)
            assert admins(services) == [kept]
            for email in people:
                if email != kept:
                    services.members.change_role(kept, "acme", email, "admin")
    finally:
        for client in clients:
            client.close()
    steps = [e for e in actions(services, ANN, "member.role") if e.actor == e.target_label]
    assert len(steps) == ROUNDS  # two a round, each by the admin stepping down


def test_three_admins_demoting_each_other_in_a_ring_keep_an_admin(
    two_admins: TeamServer, quiet_server: None
) -> None:
    """ANN demotes BOB, BOB demotes CARL, CARL demotes ANN, all at once: whoever is demoted
    before acting is refused; one or two demotions happen, never all three."""
    team, services = two_admins, two_admins.services
    join(team, CARL, role="admin")
    team.enrol(CARL)
    ring = {ANN: BOB, BOB: CARL, CARL: ANN}
    clients = {email: RemoteServices(team.url, team.tokens[email]) for email in ring}
    made = 0
    try:
        for _ in range(ROUNDS // 2):
            outcomes = race(
                *(
                    partial(clients[a].members.change_role, a, "acme", b, "member")
                    for a, b in ring.items()
                )
            )
            wins = won(outcomes)
            assert len(wins) in (1, 2), outcomes
            for i, outcome in enumerate(outcomes):
                if i not in wins:
                    assert isinstance(outcome, PermissionDenied), repr(outcome)
            left = admins(services)
            assert len(left) == 3 - len(wins) and left
            made += len(wins)
            for email in ring:
                if email not in left:
                    services.members.change_role(left[0], "acme", email, "admin")
    finally:
        for client in clients.values():
            client.close()
    demotions = [e for e in actions(services, ANN, "member.role") if e.metadata["to"] == "member"]
    assert len(demotions) == made


def test_two_admins_removing_each_other_at_once_one_wins_and_the_loser_is_logged_out(
    two_admins: TeamServer, quiet_server: None
) -> None:
    team, services = two_admins, two_admins.services
    rounds = ROUNDS // 2
    for _ in range(rounds):
        with (
            RemoteServices(team.url, team.tokens[ANN]) as ann,
            RemoteServices(team.url, team.tokens[BOB]) as bob,
        ):
            outcomes = race(
                lambda: ann.members.remove(ANN, "acme", BOB),
                lambda: bob.members.remove(BOB, "acme", ANN),
            )
        [index] = won(outcomes)
        winner, loser = ((ANN, BOB), (BOB, ANN))[index]
        refusal = outcomes[1 - index]
        # the loser no longer belongs: refused at the token (BOB's died with his membership) or
        # by the org, whichever the server reached first
        assert isinstance(refusal, Unauthenticated | NotFound), repr(refusal)
        if isinstance(refusal, Unauthenticated):
            assert str(refusal) == BAD_TOKEN
        assert admins(services) == [winner]
        if loser == BOB:  # he belongs nowhere now: his token is revoked, not only unusable
            assert [t.state for t in services.tokens.list_tokens(BOB)][0] == "revoked"
        else:  # ANN runs the server: her login outlives her membership
            assert services.tokens.authenticate(team.tokens[ANN]) == ANN
        join(team, loser, role="admin")
        if loser == BOB:
            team.enrol(BOB)  # invited again: he joins with a new code
    removals = actions(services, ANN, "member.remove")
    assert len(removals) == rounds


# --- one invitation, one code ------------------------------------------------------------------


def test_the_same_invitation_accepted_twice_at_once_is_accepted_once(
    team: TeamServer, quiet_server: None
) -> None:
    services = team.services
    services.orgs.create(ANN, "Acme", slug="acme")
    services.orgs.create(ANN, "Home", slug="home")
    join(team, BOB, "home")  # so that leaving acme never ends his login
    laptop, desktop = team.enrol(BOB), team.enrol(BOB)
    with (
        RemoteServices(team.url, laptop) as first,
        RemoteServices(team.url, desktop) as second,
    ):
        for _ in range(ROUNDS):
            services.members.invite(ANN, "acme", BOB)
            outcomes = race(
                lambda: first.members.accept(BOB, "acme"),
                lambda: second.members.accept(BOB, "acme"),
            )
            [index] = won(outcomes)
            assert outcomes[index].status == "active"
            refusal = outcomes[1 - index]
            assert isinstance(refusal, Conflict), repr(refusal)
            assert str(refusal) == f"{BOB} is already a member of 'acme'"
            services.members.remove(ANN, "acme", BOB)
    assert len(actions(services, ANN, "member.accept")) == ROUNDS
    assert [t.state for t in services.tokens.list_tokens(BOB)] == ["alive", "alive"]


def test_two_admins_inviting_one_person_at_once_make_one_invitation(
    two_admins: TeamServer, quiet_server: None
) -> None:
    team, services = two_admins, two_admins.services
    with (
        RemoteServices(team.url, team.tokens[ANN]) as ann,
        RemoteServices(team.url, team.tokens[BOB]) as bob,
    ):
        for n in range(ROUNDS):
            email = f"new{n}@example.com"
            outcomes = race(
                partial(ann.members.invite, ANN, "acme", email),
                partial(bob.members.invite, BOB, "acme", email),
            )
            [index] = won(outcomes)
            assert outcomes[index].status == "invited"
            refusal = outcomes[1 - index]
            assert isinstance(refusal, Conflict), repr(refusal)
            assert str(refusal) == f"{email} already has a pending invitation to 'acme'"
    invites = actions(services, ANN, "member.invite")
    assert len([e for e in invites if e.target_label.startswith("new")]) == ROUNDS


def test_an_invitation_revoked_while_it_is_accepted_ends_revoked_either_way(
    team: TeamServer, quiet_server: None
) -> None:
    """Accept first: the new member is removed. Revoke first: the acceptance finds no
    invitation. Either way the person is out and their login is revoked with it."""
    services = team.services
    services.orgs.create(ANN, "Acme", slug="acme")
    firsts: Counter[str] = Counter()
    with RemoteServices(team.url, team.tokens[ANN]) as ann:
        for _ in range(ROUNDS):
            services.members.invite(ANN, "acme", BOB)
            with RemoteServices(team.url, team.enrol(BOB)) as bob:
                outcomes = race(
                    partial(bob.members.accept, BOB, "acme"),
                    partial(ann.members.remove, ANN, "acme", BOB),
                )
            assert not isinstance(outcomes[1], Exception), outcomes[1]
            accepted = not isinstance(outcomes[0], Exception)
            if not accepted:  # revoked first; or his token died before his call was read
                refusal = outcomes[0]
                assert isinstance(refusal, NotFound | Unauthenticated), repr(refusal)
            firsts["accept" if accepted else "remove"] += 1
            assert outcomes[1].status == "revoked"
            assert _active(services, "acme") == {ANN: "admin"}
            assert {t.state for t in services.tokens.list_tokens(BOB)} == {"revoked"}
    assert firsts["accept"] == len(actions(services, ANN, "member.accept"))
    assert firsts["accept"] == len(actions(services, ANN, "member.remove"))
    assert firsts["remove"] == len(actions(services, ANN, "member.revoke_invitation"))


def test_one_enrolment_code_used_by_two_clients_at_once_enrols_one(
    team: TeamServer, quiet_server: None
) -> None:
    """A third client presenting a low-order key at the same moment never spends the code."""
    services = team.services
    services.orgs.create(ANN, "Acme", slug="acme")
    services.members.invite(ANN, "acme", CARL)
    issued: list[IssuedToken] = []
    for _ in range(ROUNDS):
        with services.store.transaction() as db:
            code = services.tokens.issue_code(db, CARL, by=ANN)
        keys = [new_key_pair().public, new_key_pair().public]
        outcomes = race(
            partial(enrol, team.url, code, LOW_ORDER_KEY),
            partial(enrol, team.url, code, keys[0]),
            partial(enrol, team.url, code, keys[1]),
        )
        bad = outcomes[0]
        assert isinstance(bad, InvalidInput) and str(bad) == BAD_KEY
        [index] = won(outcomes)
        refusal = outcomes[3 - index]  # of the two good keys: 1 and 2
        assert isinstance(refusal, Unauthenticated) and str(refusal) == BAD_CODE
        winner: IssuedToken = outcomes[index]
        assert winner.email == CARL
        assert services.tokens.person_key(ANN, CARL) == keys[index - 1]  # the winner's key
        with RemoteServices(team.url, winner.token) as carl:
            assert carl.whoami() == CARL
        issued.append(winner)
    assert len(services.tokens.list_tokens(CARL)) == ROUNDS
    assert len({token.token_id for token in issued}) == ROUNDS


# --- one key written twice ---------------------------------------------------------------------


@pytest.mark.parametrize("where", ["org", "registry", "user"])
def test_two_writes_of_one_new_key_make_two_versions(
    two_admins: TeamServer, quiet_server: None, where: str
) -> None:
    """The local rule: the first write creates the key (version 1), the second changes it
    (version 2); over HTTP too, never a Conflict or a lost write. At the user scope the two
    writers are one person's two machines (the scope is theirs alone)."""
    team, services = two_admins, two_admins.services
    services.registries.create(ANN, "acme", "Main", slug="main")
    scope = {"org": Scope("acme"), "registry": Scope("acme", "main")}.get(
        where, Scope("acme", user=True)
    )
    second = BOB if where != "user" else ANN
    second_token = team.tokens[BOB] if where != "user" else team.enrol(ANN)
    with (
        RemoteServices(team.url, team.tokens[ANN]) as one,
        RemoteServices(team.url, second_token) as two,
    ):
        for n in range(ROUNDS):
            key = f"REGION_{n}"
            outcomes = race(
                partial(one.variables.set_key, ANN, scope, key, "from-one"),
                partial(two.variables.set_key, second, scope, key, "from-two"),
            )
            assert won(outcomes) == [0, 1], outcomes
            history = services.variables.history(ANN, scope, key)
            assert sorted(v.version for v in history) == [1, 2]
            assert sorted(v.value or "" for v in history) == ["from-one", "from-two"]
            latest = max(history, key=lambda v: v.version)
            assert services.variables.get_key(ANN, scope, key).value == latest.value
    sets = actions(services, ANN, "variable.set")
    assert len(sets) == 2 * ROUNDS
    assert Counter(e.actor for e in sets) == Counter([ANN] * ROUNDS + [second] * ROUNDS)


def test_six_writers_of_one_key_at_once_make_six_versions(
    two_admins: TeamServer, quiet_server: None
) -> None:
    team, services = two_admins, two_admins.services
    tokens = [team.tokens[ANN], team.tokens[BOB]] + [team.enrol(ANN) for _ in range(2)]
    tokens += [team.enrol(BOB) for _ in range(2)]
    clients = [RemoteServices(team.url, token) for token in tokens]
    try:
        for n in range(ROUNDS // 4):
            key = f"TIER_{n}"
            outcomes = race(
                *(
                    partial(client.variables.set_key, ANN, Scope("acme"), key, f"v{i}")
                    for i, client in enumerate(clients)
                )
            )
            assert won(outcomes) == list(range(len(clients))), outcomes
            history = services.variables.history(ANN, Scope("acme"), key)
            assert sorted(v.version for v in history) == list(range(1, len(clients) + 1))
            assert sorted(v.value or "" for v in history) == [f"v{i}" for i in range(6)]
    finally:
        for client in clients:
            client.close()


def test_a_write_and_a_delete_of_one_key_at_once_both_land_in_order(
    two_admins: TeamServer, quiet_server: None
) -> None:
    """Whichever runs first, both are versions of the key, numbered without a gap or a repeat:
    set then unset leaves it deleted; unset then set brings it back."""
    team, services = two_admins, two_admins.services
    scope = Scope("acme")
    orders: Counter[str] = Counter()
    with (
        RemoteServices(team.url, team.tokens[ANN]) as ann,
        RemoteServices(team.url, team.tokens[BOB]) as bob,
    ):
        for n in range(ROUNDS):
            key = f"MODE_{n}"
            services.variables.set_key(ANN, scope, key, "first")
            outcomes = race(
                partial(ann.variables.set_key, ANN, scope, key, "second"),
                partial(bob.variables.unset, BOB, scope, key),
            )
            assert won(outcomes) == [0, 1], outcomes
            history = sorted(services.variables.history(ANN, scope, key), key=lambda v: v.version)
            assert [v.version for v in history] == [1, 2, 3]
            order = [v.action for v in history[1:]]
            assert order in (["set", "unset"], ["unset", "set"])
            present = {v.key for v in services.variables.list_keys(ANN, scope)}
            assert (key in present) == (order == ["unset", "set"])
            orders[order[0]] += 1
    assert sum(orders.values()) == ROUNDS


# --- the server's store and another connection to its file -------------------------------------


def test_a_local_writer_on_the_served_file_waits_instead_of_failing(
    two_admins: TeamServer, db_path: Path, quiet_server: None
) -> None:
    """`pylee-tui --db` on the server's own file while clients write through the server: each
    side waits its turn (BEGIN IMMEDIATE and the busy timeout); nobody sees 'database is
    locked' or a 503, and every write is there."""
    team = two_admins
    local = Services(Store(db_path), clock=team.clock)
    writes = 15

    def remote_writer(email: str) -> Callable[[], list[str]]:
        def write() -> list[str]:
            with RemoteServices(team.url, team.tokens[email]) as client:
                made = []
                for n in range(writes):
                    made.append(client.registries.create(email, "acme", f"{email[:3]} {n}").slug)
                    client.orgs.list_orgs(email)  # a read between writes
                return made

        return write

    def local_writer() -> list[str]:
        return [local.orgs.create(ANN, f"Local {n}").slug for n in range(writes)]

    try:
        outcomes = race(remote_writer(ANN), remote_writer(BOB), local_writer)
    finally:
        local.store.close()
    assert won(outcomes) == [0, 1, 2], outcomes
    registries = {r.slug for r in team.services.registries.list_registries(ANN, "acme")}
    assert set(outcomes[0]) | set(outcomes[1]) <= registries
    assert len(registries) >= 2 * writes
    assert {o.slug for o in team.services.orgs.list_orgs(ANN)} >= set(outcomes[2])


def test_a_store_held_by_another_writer_is_one_line_never_a_500(
    team: TeamServer, db_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """Another connection holds the write lock past the busy timeout: reads (and the token's
    check, whose note of its use is given up) go on; a write is refused in one line (503) and
    works once the lock is free. Before, the token check's note failed the call with a bare 500."""
    caplog.set_level(logging.ERROR, logger="pylee_tui.team")
    team.services.store.conn.execute("PRAGMA busy_timeout = 100")  # not the 5 s a server waits
    team.services.orgs.create(ANN, "Acme", slug="acme")
    team.clock.advance(minutes=2)  # the token's last use is due to be noted
    other = sqlite3.connect(db_path, timeout=0.1)
    other.execute("BEGIN IMMEDIATE")
    with RemoteServices(team.url, team.tokens[ANN]) as ann:
        try:
            assert ann.whoami() == ANN
            assert [org.slug for org in ann.orgs.list_orgs(ANN)] == ["acme"]
            with pytest.raises(PyleeError) as busy:
                ann.orgs.create(ANN, "Beta")
            assert str(busy.value) == STORE_TROUBLE
        finally:
            other.rollback()
            other.close()
        assert ann.orgs.create(ANN, "Beta").slug == "beta"
    assert not [r for r in caplog.records if r.getMessage().startswith("bug in")]


def test_an_enrolment_on_a_store_held_by_another_writer_is_one_line_never_a_500(
    team: TeamServer, db_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """/v1/enrol writes outside an RPC call: a locked store is the same one-line 503 there, and
    the code stays unspent for a try once the lock is free."""
    caplog.set_level(logging.ERROR, logger="pylee_tui.team")
    team.services.store.conn.execute("PRAGMA busy_timeout = 100")
    team.services.orgs.create(ANN, "Acme", slug="acme")
    team.services.members.invite(ANN, "acme", CARL)
    with team.services.store.transaction() as db:
        code = team.services.tokens.issue_code(db, CARL, ANN)
    other = sqlite3.connect(db_path, timeout=0.1)
    other.execute("BEGIN IMMEDIATE")
    try:
        with pytest.raises(PyleeError) as busy:
            enrol(team.url, code, new_key_pair().public)
        assert str(busy.value) == STORE_TROUBLE
    finally:
        other.rollback()
        other.close()
    assert enrol(team.url, code, new_key_pair().public).email == CARL
    assert not [r for r in caplog.records if r.getMessage().startswith("bug in")]


def test_a_held_store_runs_no_other_threads_use_in_between(services: Services) -> None:
    """`Store.hold()`: two transactions of one holder with nothing of another thread between."""
    services.orgs.create(ANN, "Acme", slug="acme")
    other_done = threading.Event()

    def other() -> None:
        services.registries.create(ANN, "acme", "Other", slug="other")
        other_done.set()

    with services.store.hold():
        services.registries.create(ANN, "acme", "First", slug="first")
        thread = threading.Thread(target=other)
        thread.start()
        # time enough for the other thread to slip in, were it not held off
        assert not other_done.wait(0.3)
        services.registries.create(ANN, "acme", "Second", slug="second")
    thread.join(JOIN_DEADLINE)
    assert other_done.is_set()
    made = [e.target_label for e in reversed(services.audit.list_for_org(ANN, "acme"))]
    assert made[-3:] == ["First", "Second", "Other"]


def test_approval_turned_on_while_a_writer_adds_a_server_never_lets_the_add_slip_past(
    team: TeamServer,
) -> None:
    """Serial order holds: the add went in before approval was required, or it became a change
    request; never an add audited after the registry began requiring approval."""
    services = team.services
    services.orgs.create(ANN, "Acme", slug="acme")
    services.registries.create(ANN, "acme", "Main", slug="main")
    join(team, BOB)
    services.members.grant(ANN, "acme", BOB, "registries:write")
    team.enrol(BOB)
    scope = Scope("acme", "main")
    slipped = 0
    with (
        RemoteServices(team.url, team.tokens[ANN]) as ann,
        RemoteServices(team.url, team.tokens[BOB]) as bob,
    ):
        for n in range(10 * ROUNDS):
            services.approvals.set_required(ANN, scope, False)
            outcomes = race(
                partial(ann.approvals.set_required, ANN, scope, True),
                partial(bob.registries.add_server, BOB, scope, server_doc(f"io.github.acme/s{n}")),
            )
            assert outcomes[0] is True
            assert not isinstance(outcomes[1], Exception) or isinstance(
                outcomes[1], ChangeRequested
            ), repr(outcomes[1])
            last = [e.action for e in services.audit.list_for_org(ANN, "acme", limit=2)]
            slipped += last == ["server.add", "registry.approval"]  # newest first
    assert slipped == 0
