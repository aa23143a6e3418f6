"""The team server over real HTTP: who may call it (tokens), what a refusal looks like (the local
one-line message with its status), bad input (422, never a 500), and results that come back as
exactly what the local services return."""

from __future__ import annotations

import re
import socket
from collections.abc import Iterator

import httpx2
import pytest

from pylee_tui.services import (
    Conflict,
    InvalidInput,
    NotFound,
    PermissionDenied,
    Scope,
    Services,
    Unauthenticated,
)
from pylee_tui.services.approvals import ChangeRequested
from pylee_tui.services.tokens import BAD_CODE, BAD_TOKEN
from pylee_tui.team import rpc
from pylee_tui.team.api import BUG, NO_TOKEN, create_app
from pylee_tui.team.remote import RemoteServices, Unreachable, enrol, health, server_url
from pylee_tui.team.sealing import new_key_pair
from tests.support import ANN, BOB, server_doc
from tests.team.conftest import TeamServer, serve_in_thread


def post(team: TeamServer, path: str, token: str | None = None, **kw: object) -> httpx2.Response:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    headers.update(kw.pop("headers", {}))  # type: ignore[call-overload]
    return httpx2.post(team.url + path, headers=headers, **kw)  # type: ignore[arg-type]


def acme(team: TeamServer) -> None:
    """ANN's org `acme` with registry `main` holding one server; BOB invited as a member."""
    services = team.services
    services.orgs.create(ANN, "Acme", slug="acme")
    services.registries.create(ANN, "acme", "Main", slug="main")
    services.registries.add_server(ANN, Scope("acme", "main"), server_doc("io.github.acme/weather"))
    services.members.invite(ANN, "acme", BOB)


# --- who may call ------------------------------------------------------------------------


def test_health_needs_no_token_and_whoami_names_the_tokens_person(team: TeamServer) -> None:
    assert health(team.url)["status"] == "ok"
    with RemoteServices(team.url, team.tokens[ANN]) as remote:
        assert remote.whoami() == ANN


def test_no_token_is_401_saying_how_to_join(team: TeamServer) -> None:
    answer = post(team, "/v1/rpc/orgs/list_orgs", json={})
    assert answer.status_code == 401
    assert answer.json() == {"error": {"kind": "Unauthenticated", "message": NO_TOKEN}}


@pytest.mark.parametrize("how", ["forged", "expired", "revoked", "membership removed"])
def test_a_dead_token_is_401_with_one_message_whatever_the_reason(
    team: TeamServer, how: str
) -> None:
    acme(team)
    token = team.enrol(BOB)
    with RemoteServices(team.url, token) as remote:
        assert [org.slug for org in remote.orgs.list_orgs(BOB)] == []  # invited: alive, no org
        if how == "forged":
            token = token[:-4] + ("AAAA" if not token.endswith("AAAA") else "BBBB")
        elif how == "expired":
            team.clock.advance(days=91)
        elif how == "revoked":
            bob_tokens = team.services.tokens.list_tokens(BOB)
            team.services.tokens.revoke(BOB, bob_tokens[0].id)
        else:
            team.services.members.remove(ANN, "acme", BOB)
    answer = post(team, "/v1/rpc/orgs/list_orgs", token, json={})
    assert answer.status_code == 401
    assert answer.json()["error"] == {"kind": "Unauthenticated", "message": BAD_TOKEN}
    with RemoteServices(team.url, token) as remote, pytest.raises(Unauthenticated) as refused:
        remote.orgs.list_orgs(BOB)
    assert str(refused.value) == BAD_TOKEN


def test_a_refusal_is_the_local_refusal_with_its_status(team: TeamServer) -> None:
    acme(team)
    team.services.members.accept(BOB, "acme")
    with pytest.raises(PermissionDenied) as local:
        team.services.members.change_role(BOB, "acme", ANN, "member")
    bob = RemoteServices(team.url, team.enrol(BOB))
    with pytest.raises(PermissionDenied) as remote:
        bob.members.change_role(BOB, "acme", ANN, "member")
    assert str(remote.value) == str(local.value)
    answer = post(
        team,
        "/v1/rpc/members/change_role",
        team.tokens[BOB],
        json={"org_slug": "acme", "email": ANN, "role": "member"},
    )
    assert (answer.status_code, answer.json()["error"]["kind"]) == (403, "PermissionDenied")
    with pytest.raises(NotFound, match="no organization 'nowhere'"):
        bob.orgs.get_org(BOB, "nowhere")
    with pytest.raises(Conflict, match="already taken"):
        bob.orgs.create(BOB, "Acme again", slug="acme")
    bob.close()


def test_the_actor_argument_is_ignored_the_token_decides(team: TeamServer) -> None:
    acme(team)
    with RemoteServices(team.url, team.enrol(BOB)) as bob:
        created = bob.orgs.create(ANN, "Bob's own", slug="bobs")  # claims to be ANN
    assert team.services.orgs.role(BOB, "bobs") == "admin"
    with pytest.raises(NotFound):
        team.services.orgs.role(ANN, "bobs")
    events = team.services.audit.list_for_org(BOB, "bobs")
    assert created.slug == "bobs" and {event.actor for event in events} == {BOB}


# --- bad input: 422 in one line, never a 500 ---------------------------------------------


@pytest.mark.parametrize(
    ("path", "body", "message"),
    [
        ("/v1/rpc/orgs/get_org", {"org": 5}, "org: Input should be a valid string"),
        ("/v1/rpc/orgs/get_org", {}, "org: Field required"),
        ("/v1/rpc/orgs/get_org", {"org": "acme", "actor": BOB}, "actor: Extra inputs"),
        (
            "/v1/rpc/registries/get_registry",
            {"scope": {"org": "acme", "server": "x"}},
            "a server is named within its registry",
        ),
        ("/v1/rpc/orgs/create", {"name": ""}, "name"),
        ("/v1/rpc/audit/list_for_org", {"org_slug": "acme", "limit": 10**30}, "limit"),
    ],
)
def test_bad_arguments_are_422_invalid_input_in_one_line(
    team: TeamServer, path: str, body: dict, message: str
) -> None:
    acme(team)
    answer = post(team, path, team.tokens[ANN], json=body)
    assert answer.status_code == 422
    error = answer.json()["error"]
    assert error["kind"] == "InvalidInput"
    assert message in error["message"] and "\n" not in error["message"]
    assert "Traceback" not in answer.text


def test_a_body_that_is_not_json_is_422(team: TeamServer) -> None:
    answer = post(
        team,
        "/v1/rpc/orgs/list_orgs",
        team.tokens[ANN],
        content=b"{not json",
        headers={"Content-Type": "application/json"},
    )
    assert answer.status_code == 422
    assert answer.json()["error"]["kind"] == "InvalidInput"


def test_an_unknown_call_is_a_json_error_naming_it(team: TeamServer) -> None:
    answer = post(team, "/v1/rpc/vault/unlock", team.tokens[ANN], json={})
    assert answer.status_code == 404
    assert answer.json()["error"]["message"].startswith("the team server has no POST /v1/rpc/")


def test_a_bug_is_a_500_that_says_so_and_nothing_more(
    team: TeamServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(actor: str) -> list:
        raise RuntimeError("internal detail /srv/secret/path")

    monkeypatch.setattr(team.services.orgs, "list_orgs", broken)
    answer = post(team, "/v1/rpc/orgs/list_orgs", team.tokens[ANN], json={})
    assert answer.status_code == 500
    assert answer.json() == {"error": {"kind": "ServerError", "message": BUG}}
    assert "secret" not in answer.text


# --- enrolment over HTTP -------------------------------------------------------------------


def test_enrol_trades_a_code_once_for_a_working_token(team: TeamServer) -> None:
    acme(team)
    with team.services.store.transaction() as db:
        code = team.services.tokens.issue_code(db, BOB, ANN)
    issued = enrol(team.url, code, new_key_pair().public, label="laptop")
    assert issued.email == BOB and issued.token.startswith("pyl_")
    with RemoteServices(team.url, issued.token) as bob:
        assert bob.whoami() == BOB
    with pytest.raises(Unauthenticated) as again:
        enrol(team.url, code, new_key_pair().public)
    assert str(again.value) == BAD_CODE


@pytest.mark.parametrize(
    ("public_key", "message"),
    [("not base64!", "public_key must be base64"), ("AAAA", "a public key is 32 bytes")],
)
def test_enrol_refuses_a_malformed_key_without_using_the_code(
    team: TeamServer, public_key: str, message: str
) -> None:
    acme(team)
    with team.services.store.transaction() as db:
        code = team.services.tokens.issue_code(db, BOB, ANN)
    answer = post(team, "/v1/enrol", json={"code": code, "public_key": public_key})
    assert answer.status_code == 422
    assert answer.json()["error"]["message"].startswith(message)
    assert enrol(team.url, code, new_key_pair().public).email == BOB  # still good


# --- what a client refuses or cannot reach ---------------------------------------------------


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_secret_values_are_refused_before_anything_is_sent() -> None:
    # nothing listens there: an answer other than Unreachable was decided by the client alone
    remote = RemoteServices(f"http://127.0.0.1:{free_port()}", "pyl_x")
    scope = Scope("acme")
    # a secret's own value travels sealed (the end-to-end vault: tests/team/test_team_vault.py)
    for call in (
        lambda: remote.variables.reveal(ANN, scope, "TOKEN"),
        lambda: remote.variables.reveal_effective(ANN, scope, "TOKEN"),
        lambda: remote.variables.set_key(ANN, scope, "LOG_LEVEL", "debug"),
        lambda: remote.variables.set_key(ANN, scope, "TOKEN", "s3cret", kind="secret"),
    ):
        with pytest.raises(
            Unreachable, match=r"cannot reach the team server at http://127\.0\.0\.1"
        ):
            call()


def test_a_secret_sent_by_hand_is_refused_by_the_server_too(team: TeamServer) -> None:
    acme(team)
    body = {"scope": {"org": "acme"}, "key": "TOKEN", "value": "s3cret", "kind": "secret"}
    answer = post(team, "/v1/rpc/variables/set_key", team.tokens[ANN], json=body)
    assert answer.status_code == 422
    assert "end-to-end vault" in answer.json()["error"]["message"]
    assert team.services.variables.list_keys(ANN, Scope("acme")) == []


def test_a_plain_variable_is_written_remotely(team: TeamServer) -> None:
    acme(team)
    with RemoteServices(team.url, team.tokens[ANN]) as remote:
        written = remote.variables.set_key(ANN, Scope("acme"), "LOG_LEVEL", "debug")
    assert written == team.services.variables.get_key(ANN, Scope("acme"), "LOG_LEVEL")


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("http://pylee.example.com", "reached over https"),
        ("ftp://127.0.0.1", "not an http(s) URL"),
        ("https://host:notaport", "not a URL"),
        ("https://user:pw@host", "no query, fragment or user name"),
    ],
)
def test_a_server_url_is_checked(url: str, message: str) -> None:
    with pytest.raises(InvalidInput, match=re.escape(message)):
        server_url(url)


def test_a_method_not_offered_is_refused_and_a_missing_one_is_no_attribute() -> None:
    remote = RemoteServices("http://127.0.0.1:1", "pyl_x")
    with pytest.raises(InvalidInput, match="does not answer registries.writer"):
        remote.registries.writer(None, ANN, "acme", "x")
    assert not hasattr(remote.orgs, "no_such_method")


# --- results travel exactly ---------------------------------------------------------------


def test_results_come_back_as_exactly_what_the_local_services_return(team: TeamServer) -> None:
    acme(team)
    local = team.services
    scope, server = Scope("acme", "main"), Scope("acme", "main", "io.github.acme/weather")
    local.variables.set_key(ANN, Scope("acme"), "LOG_LEVEL", "debug")
    local.variables.set_key(ANN, Scope("acme"), "LOG_LEVEL", "info")
    reads = [
        ("orgs", "list_orgs", ()),
        ("orgs", "get_org", ("acme",)),
        ("orgs", "contents", ("acme",)),
        ("registries", "list_registries", ("acme",)),
        ("registries", "get_registry", (scope,)),
        ("registries", "list_servers", (scope,)),
        ("registries", "get_server", (server,)),
        ("registries", "export_servers", (scope,)),
        ("members", "list_members", ("acme",)),
        ("audit", "list_for_org", ("acme",)),
        ("server_versions", "state", (server,)),
        ("server_versions", "resolved", (scope,)),
        ("approvals", "list_requests", ("acme",)),
        ("member_review", "review", ("acme",)),
        ("variables", "list_keys", (Scope("acme"),)),
        ("variables", "history", (Scope("acme"), "LOG_LEVEL")),
        ("environments", "missing_in_org", ("acme",)),
    ]
    with RemoteServices(team.url, team.tokens[ANN]) as remote:
        for service, name, args in reads:
            here = getattr(getattr(local, service), name)(ANN, *args)
            there = getattr(getattr(remote, service), name)(ANN, *args)
            assert there == here, f"{service}.{name}"
            assert type(there) is type(here), f"{service}.{name}"


def test_a_change_kept_for_approval_comes_back_as_change_requested(team: TeamServer) -> None:
    acme(team)
    local = team.services
    local.members.accept(BOB, "acme")
    local.members.grant(ANN, "acme", BOB, "registries:write")
    local.approvals.set_required(ANN, Scope("acme", "main"), True)
    with RemoteServices(team.url, team.enrol(BOB)) as bob, pytest.raises(ChangeRequested) as kept:
        bob.registries.add_server(BOB, Scope("acme", "main"), server_doc("io.github.acme/maps"))
    assert kept.value.request == local.approvals.get_request(ANN, kept.value.request.id)
    assert str(kept.value).startswith(f"Change request #{kept.value.request.id} opened")


# --- the API's description -----------------------------------------------------------------


def test_openapi_documents_one_path_per_exposed_method_without_actor(team: TeamServer) -> None:
    document = httpx2.get(team.url + "/v1/openapi.json").json()
    exposed = {method.path for method in rpc.specs()}
    assert exposed <= set(document["paths"])
    create = document["paths"]["/v1/rpc/orgs/create"]["post"]
    reference = create["requestBody"]["content"]["application/json"]["schema"]["$ref"]
    body = document["components"]["schemas"][reference.rsplit("/", 1)[1]]
    assert body["required"] == ["name"]
    assert set(body["properties"]) == {"name", "slug", "description", "overview"}
    for path in exposed:
        schema = str(document["paths"][path])
        assert "'actor'" not in schema, path


def test_a_body_over_the_limit_is_refused_unread_token_or_not(services: Services) -> None:
    for url in serve_in_thread(create_app(services, max_body=1000)):
        big = {"code": "x" * 2000, "public_key": ""}
        answer = httpx2.post(url + "/v1/enrol", json=big)
        assert answer.status_code == 413
        assert answer.json()["error"]["kind"] == "TooLarge"

        def chunks() -> Iterator[bytes]:  # no Content-Length: counted as it arrives
            yield b'{"code": "'
            yield b"x" * 2000
            yield b'", "public_key": ""}'

        answer = httpx2.post(url + "/v1/enrol", content=chunks())
        assert answer.status_code == 413
        small = httpx2.post(url + "/v1/enrol", json={"code": "x", "public_key": ""})
        assert small.status_code == 422  # under the limit: read, and refused for what it says
