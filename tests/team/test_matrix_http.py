"""The permission matrix through a real team server with real tokens: every cell of the local
matrix (tests/services/test_services_members.py: each role or grant against each mutating
method) that a team server answers, run by that person's own client over HTTP. An allowed cell
succeeds; a refused one is a 403 (404 for people who may not see the org) whose message is exactly
the one the local services give for the same call over an identical store, and it changes
nothing. The other services' own permission tables (registries, server versions, forks: what a
plain member may not do) and the calls that handle an org's secrets key (readers only) are run
the same way. Calls without a live token are 401, whichever method and whatever the reason.

One server for the module, over a proxy whose services each cell points at a fresh copy of one
database file built once (the world of the local matrix, its secrets sealed as a team's are).
"""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx2
import pytest

from pylee_tui import crypto
from pylee_tui.services import NotFound, PermissionDenied, PyleeError, Scope, Services
from pylee_tui.services.tokens import BAD_TOKEN
from pylee_tui.store import Store
from pylee_tui.team import rpc, sealing
from pylee_tui.team.api import NO_TOKEN, create_app
from pylee_tui.team.remote import RemoteServices, RemoteVariables
from tests.services.test_forks import MUTATIONS as FORK_MUTATIONS
from tests.services.test_server_versions import MUTATIONS as VERSION_MUTATIONS
from tests.services.test_services_members import (
    ACTORS,
    CALLS,
    DAN,
    EVE,
    MATRIX,
    OLA,
    W,
    join,
)
from tests.services.test_services_registries import MUTATIONS as REGISTRY_MUTATIONS
from tests.support import ANN, BOB, CARL, CHEAP_KDF, WEATHER, Clock, table_rows
from tests.team.conftest import serve_in_thread

PASSPHRASE = "ann's team passphrase"
# what the cells' status codes must be, by the local outcome
STATUS = {"denied": 403, "not found": 404}


class Swappable:
    """Stands where the server's `Services` stands, forwarding to whichever is current: each
    cell gets a fresh copy of the world without a new server."""

    def __init__(self, services: Services):
        self.current = services

    def __getattr__(self, name: str) -> Any:
        return getattr(self.current, name)


class Recording(httpx2.HTTPTransport):
    """An HTTP transport that keeps the status of every answer (the client turns them into
    results and errors; the matrix checks the status itself too)."""

    def __init__(self) -> None:
        super().__init__()
        self.statuses: list[int] = []

    def handle_request(self, request: httpx2.Request) -> httpx2.Response:
        response = super().handle_request(request)
        self.statuses.append(response.status_code)
        return response


@dataclass
class World:
    """The module's server, the world's database file, and each person's client."""

    url: str
    template: Path
    directory: Path
    clock: Clock
    proxy: Swappable
    tokens: dict[str, str]
    clients: dict[str, RemoteServices] = field(default_factory=dict)
    transports: dict[str, Recording] = field(default_factory=dict)
    served: Services | None = None  # the copy the server answers over
    dirty: bool = True  # whether it may have changed since it was copied
    copies: int = 0

    def serve(self) -> Services:
        """The server answers over the world as it was built: the services of that copy. A
        copy no call changed (a refusal changes nothing: each cell checks) is served again."""
        if self.served is not None and not self.dirty:
            self.dirty = True  # until the cell that uses it says otherwise
            return self.served
        if self.served is not None:
            self.served.store.close()
        self.copies += 1
        path = self.directory / f"copy-{self.copies}.db"
        shutil.copyfile(self.template, path)
        self.served = Services(Store(path), clock=self.clock)
        self.proxy.current = self.served
        self.dirty = True
        return self.served


def build(services: Services, ann: RemoteServices) -> None:
    """The local matrix's world (its `world` fixture), on a team server: acme with registries
    core (weather) and data; ann admin, bob a plain member, carl with registries:write, dan with
    secrets:write, eve invited; ola runs 'other'. Its secrets are sealed on ann's machine, as a
    team's are (a team store takes no secret in the clear)."""
    s = services
    s.orgs.create(ANN, "Acme")
    s.orgs.create(OLA, "Other")
    s.registries.create(ANN, "acme", "Core", slug="core")
    s.registries.create(ANN, "acme", "Data", slug="data")
    s.registries.add_server(ANN, Scope("acme", "core"), WEATHER)
    for email in (BOB, CARL, DAN):
        join(s, email)
    s.members.grant(ANN, "acme", CARL, "registries:write")
    s.members.grant(ANN, "acme", DAN, "secrets:write")
    s.members.invite(ANN, "acme", EVE)
    for value in ("v1", "v2"):
        ann.variables.set_key(ANN, Scope("acme"), "TOKEN", f"token-{value}", kind="secret")
        s.variables.set_key(ANN, Scope("acme"), "MODE", value)
    ann.variables.set_key(ANN, Scope("acme", "core"), "DB_PASSWORD", "pw", kind="secret")
    s.variables.set_key(ANN, Scope("acme", "core", W), "URL", "https://${TOKEN}@${HOST}")
    s.variables.set_key(ANN, Scope("acme"), "OLD_MODE", "v0")
    s.variables.unset(ANN, Scope("acme"), "OLD_MODE")
    ann.variables.set_key(ANN, Scope("acme"), "OLD_TOKEN", "token-v0", kind="secret")
    s.variables.unset(ANN, Scope("acme"), "OLD_TOKEN")


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    directory = tmp_path_factory.mktemp("matrix")
    template = directory / "world.db"
    clock = Clock()
    with pytest.MonkeyPatch.context() as patch:
        # the cheap KDF of tests/conftest.py (a function fixture; this one is the module's)
        patch.setattr(crypto, "DEFAULT_KDF", CHEAP_KDF)
        store = Store(template)
        services = Services(store, clock=clock)
        proxy = Swappable(services)
        keys = {email: sealing.new_key_pair() for email, _ in ACTORS.values()}
        tokens = {ANN: services.tokens.enrol(services.tokens.init_server(ANN), keys[ANN].public)}
        for url in serve_in_thread(create_app(proxy)):  # type: ignore[arg-type]
            ann = RemoteServices(
                url,
                tokens[ANN].token,
                protected_key=sealing.protect(keys[ANN].private, PASSPHRASE),
                public_key=keys[ANN].public,
            )
            ann.vault.unlock(PASSPHRASE)
            build(services, ann)
            ann.close()
            for email, _ in ACTORS.values():
                if email != ANN:
                    with store.transaction() as db:
                        code = services.tokens.issue_code(db, email, ANN)
                    tokens[email] = services.tokens.enrol(code, keys[email].public)
            store.close()  # the file holds everything now (its log checkpointed)
            made = World(
                url, template, directory, clock, proxy, {e: t.token for e, t in tokens.items()}
            )
            for email, _ in ACTORS.values():
                transport = Recording()
                made.transports[email] = transport
                made.clients[email] = RemoteServices(
                    url,
                    made.tokens[email],
                    transport=transport,
                    protected_key=sealing.protect(keys[email].private, PASSPHRASE),
                    public_key=keys[email].public,
                )
            made.clients[ANN].vault.unlock(PASSPHRASE)  # she reads secrets: her key is open
            yield made
            for client in made.clients.values():
                client.close()
            if made.served is not None:
                made.served.store.close()


# --- which cells travel ----------------------------------------------------------------------


def method_of(call: str) -> tuple[str, str]:
    """("variables", "set_key") for the matrix's "variables.set_key@secret"."""
    service, rest = call.split(".", 1)
    return service, rest.split("@")[0]


def answered(call: str) -> bool:
    """Whether a team server's client offers the call: a method the server answers, or one
    the client does on the member's machine with the end-to-end vault (reveal, ...)."""
    service, name = method_of(call)
    if name in rpc.EXPOSED.get(service, ()):
        return True
    return service == "variables" and name in vars(RemoteVariables)


CELLS = [(c, a, outcome) for c, a, outcome in MATRIX if answered(c)]
NOT_ANSWERED = sorted({c for c, _a, _o in MATRIX if not answered(c)})


def test_every_call_of_the_local_matrix_is_answered_by_a_team_server() -> None:
    assert NOT_ANSWERED == []
    assert len(CELLS) == len(MATRIX)


# --- the matrix ------------------------------------------------------------------------------


def refusal(run: Callable[[], Any]) -> PyleeError:
    with pytest.raises(PyleeError) as refused:
        run()
    return refused.value


@pytest.mark.parametrize(("call", "actor", "outcome"), CELLS, ids=[f"{c}-{a}" for c, a, _ in CELLS])
def test_permission_matrix_over_http(world: World, call: str, actor: str, outcome: str) -> None:
    email = ACTORS[actor][0]
    run = CALLS[call][1]
    if outcome != "allowed":
        check_refused(world, email, lambda s: run(s, email), outcome)
        return
    world.serve()
    statuses = world.transports[email].statuses
    statuses.clear()
    client: Any = world.clients[email]  # stands where Services stands
    run(client, email)
    assert statuses and all(status < 300 for status in statuses), statuses


def content(services: Services) -> dict[str, list[tuple]]:
    """Every table's rows but the tokens' (a token records when it was last used)."""
    return {k: v for k, v in table_rows(services.store).items() if k != "api_tokens"}


def check_refused(world: World, email: str, run: Callable[[Any], Any], outcome: str) -> None:
    """`run` refused on the local services over the store the server answers from, then
    refused the same way (message and all, with its status) by `email`'s own client."""
    served = world.serve()
    statuses = world.transports[email].statuses
    statuses.clear()
    before = content(served)
    # the local services over the very store the server answers from: refused, unchanged
    expected = refusal(lambda: run(served))
    assert isinstance(expected, PermissionDenied if outcome == "denied" else NotFound)
    assert content(served) == before
    got = refusal(lambda: run(world.clients[email]))
    assert (type(got), str(got)) == (type(expected), str(expected))
    assert statuses[-1] == STATUS[outcome]
    assert content(served) == before  # nothing changed on the server either
    world.dirty = False


# --- the other services' tables: what a plain member (bob) may not do --------------------------

# each service's own permission table (tests/services): its writes, as bob, a plain member of acme
# (the world has their registry core with weather, and registry data)
PLAIN_MEMBER = [
    *(("registries." + name, change) for name, change in REGISTRY_MUTATIONS),
    *(("server_versions." + name, change) for name, change in VERSION_MUTATIONS),
    *(("forks." + name, change) for name, change in FORK_MUTATIONS),
]


@pytest.mark.parametrize(("name", "change"), PLAIN_MEMBER, ids=[n for n, _ in PLAIN_MEMBER])
def test_the_other_tables_refuse_a_plain_member_over_http(
    world: World, name: str, change: Callable[[Any], Any]
) -> None:
    check_refused(world, BOB, change, "denied")


# --- the org's secrets key: only its readers (admins) handle it --------------------------------

KEY_CALLS: dict[str, Callable[[Any, str], Any]] = {
    "team_vault.my_wrap": lambda s, a: s.team_vault.my_wrap(a, "acme"),
    "team_vault.sealed_rows": lambda s, a: s.team_vault.sealed_rows(a, "acme"),
    "team_vault.init_key": lambda s, a: s.team_vault.init_key(
        a, "acme", sealing.new_key_pair().public, []
    ),
    "team_vault.add_wraps": lambda s, a: s.team_vault.add_wraps(a, "acme", 1, []),
    "team_vault.rotate": lambda s, a: s.team_vault.rotate(
        a, "acme", 1, sealing.new_key_pair().public, [], []
    ),
}
# everyone but the admin (whose way through is tests/team/test_team_vault.py, with real keys)
KEY_CELLS = [(call, actor) for call in KEY_CALLS for actor in ACTORS if actor != "admin"]


def test_the_key_calls_are_every_exposed_key_method() -> None:
    keyed = {"my_wrap", "sealed_rows", "init_key", "add_wraps", "rotate"}
    assert keyed <= set(rpc.EXPOSED["team_vault"])
    assert {call.split(".")[1] for call in KEY_CALLS} == keyed


@pytest.mark.parametrize(("call", "actor"), KEY_CELLS, ids=[f"{c}-{a}" for c, a in KEY_CELLS])
def test_only_readers_handle_the_orgs_key_over_http(world: World, call: str, actor: str) -> None:
    email, has = ACTORS[actor]
    outcome = "not found" if has == "hidden" else "denied"
    check_refused(world, email, lambda s: KEY_CALLS[call](s, email), outcome)


# --- no live token: 401, whatever the method -------------------------------------------------


@pytest.mark.parametrize("how", ["none", "forged", "expired", "revoked", "membership removed"])
def test_every_method_without_a_live_token_is_401(world: World, how: str) -> None:
    served = world.serve()
    token: str | None = world.tokens[BOB]
    moved = world.clock.now
    if how == "none":
        token = None
    elif how == "forged":
        assert token is not None
        token = token[:-4] + ("AAAA" if not token.endswith("AAAA") else "BBBB")
    elif how == "expired":
        world.clock.advance(days=91)
    elif how == "revoked":
        served.tokens.revoke(BOB, served.tokens.list_tokens(BOB)[0].id)
    else:
        served.members.remove(ANN, "acme", BOB)
    before = table_rows(served.store)
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    try:
        with httpx2.Client(base_url=world.url, headers=headers) as client:
            answers = {m.path: client.post(m.path) for m in rpc.specs()}  # every call answered
        for path, answer in answers.items():
            message = NO_TOKEN if token is None else BAD_TOKEN
            assert (path, answer.status_code) == (path, 401)
            assert answer.json() == {"error": {"kind": "Unauthenticated", "message": message}}
    finally:
        world.clock.now = moved
    assert table_rows(served.store) == before
