"""What travels in a form of its own: an effective configuration comes back as the same entries,
declared variables and per-level keys (a reader's own overrides included); the audit log's
stream comes back as the same events; a revealed configuration is refused before sending."""

from __future__ import annotations

import json

from pydantic import TypeAdapter

from pylee_tui.services import Scope
from pylee_tui.services.resolver import Definition, EffectiveConfig, resolve, resolve_over
from pylee_tui.team.remote import RemoteServices
from pylee_tui.team.wire import WireConfig
from tests.support import ANN, BOB, WEATHER
from tests.team.conftest import TeamServer

LEVELS = ("org", "registry", "server", "user")
DOCUMENT = WEATHER | {
    "packages": [
        WEATHER["packages"][0]
        | {
            "environmentVariables": [
                {"name": "API_KEY", "isRequired": True, "isSecret": True},
                {"name": "REGION", "isRequired": True},
            ]
        }
    ]
}


def travelled(config: EffectiveConfig) -> EffectiveConfig:
    adapter = TypeAdapter(WireConfig)
    text = json.dumps(adapter.dump_python(config, mode="json", warnings="error"))
    back = adapter.validate_python(json.loads(text))
    assert isinstance(back, EffectiveConfig)
    return back


def same(a: EffectiveConfig, b: EffectiveConfig) -> None:
    assert a == b  # entries and declared variables
    assert (a.problems, a.warnings, a.missing, a.document) == (
        b.problems,
        b.warnings,
        b.missing,
        b.document,
    )
    for level in LEVELS:
        assert a.keys_at(level) == b.keys_at(level), level


def test_an_effective_configuration_travels_whole() -> None:
    org = [
        Definition("URL", "variable", "org", "org acme", "https://${HOST}/${TOKEN}"),
        Definition("HOST", "variable", "org", "org acme", "example.com"),
        Definition("TOKEN", "secret", "org", "org acme"),  # masked: no value travels
        Definition("LOOP", "variable", "org", "org acme", "${LOOP}"),
    ]
    registry = [Definition("HOST", "variable", "registry", "registry core", "core.example")]
    server = [Definition("MISSING", "variable", "server", "server w", "${NOPE}")]
    config = resolve([org, registry, server], DOCUMENT)
    back = travelled(config)
    same(back, config)
    url, host = back.get("URL"), back.get("HOST")
    assert (
        url is not None and url.overrides == () and url.display == "https://core.example/[redacted]"
    )
    assert host is not None and host.overrides == ("org acme",)
    assert back.problems and back.warnings
    assert [d.name for d in back.missing] == ["API_KEY", "REGION"]
    # a reader's own overrides over it: the server still defines HOST for `keys_at`
    mine = resolve_over(
        config, "user", [Definition("HOST", "variable", "user", "your overrides", "mine")]
    )
    same(travelled(mine), mine)
    assert travelled(mine).keys_at("server") == mine.keys_at("server")


def test_effective_and_the_audit_stream_through_a_real_server(team: TeamServer) -> None:
    services = team.services
    services.orgs.create(ANN, "Acme", slug="acme")
    services.registries.create(ANN, "acme", "Core", slug="core")
    services.registries.add_server(ANN, Scope("acme", "core"), DOCUMENT)
    services.members.invite(ANN, "acme", BOB)
    services.variables.set_key(ANN, Scope("acme"), "REGION", "eu")
    services.variables.set_key(ANN, Scope("acme", "core"), "REGION", "us-${ZONE}")
    services.variables.set_key(ANN, Scope("acme", user=True), "REGION", "mine")
    server_scope = Scope("acme", "core", WEATHER["name"])
    with RemoteServices(team.url, team.tokens[ANN]) as remote:
        for scope in (Scope("acme"), Scope("acme", "core"), server_scope):
            same(
                remote.variables.effective(ANN, scope),
                services.variables.effective(ANN, scope),
            )
        every = remote.variables.effective_for_servers(ANN, Scope("acme", "core"))
        local = services.variables.effective_for_servers(ANN, Scope("acme", "core"))
        assert every.keys() == local.keys()
        for name, config in every.items():
            same(config, local[name])
        assert list(remote.audit.stream_for_org(ANN, "acme")) == services.audit.list_for_org(
            ANN, "acme"
        )
        assert list(remote.audit.stream_by_actor(ANN, limit=2)) == services.audit.list_by_actor(
            ANN, limit=2
        )
        # revealed, it is opened on the member's machine (tests/team/test_team_vault.py): with
        # no secret in it, it is the masked one
        same(
            remote.variables.effective(ANN, Scope("acme"), reveal=True),
            services.variables.effective(ANN, Scope("acme")),
        )
