"""The round trip issue 16 asks for, per client and secrets mode: a registry exported into a
client's file (the real file codec), then that file imported into an empty registry of a fresh
store (a new database: no export records) gives the same servers and configuration back.

Compared: the packages (registry type, identifier, version, package arguments), the remotes
(URL, transport), the keys each server declares, the plain variables' values; with inline
secrets the secret values (from the vault), with references the keys listed as references (no
value stored); in the launcher mode every entry is skipped as pylee-tui's own. Servers are
matched by package identifier or URL (the import names them by its own rule). Where a client
cannot say something, its documented fallback is asserted: Codex has no SSE (the URL is
streamable HTTP), Claude Desktop's `mcp-remote` bridge does not name the transport, and a
client whose file does not name it reads an `/sse` path as SSE."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from pylee_tui.services import Scope, Services
from pylee_tui.services.errors import InvalidInput
from pylee_tui.services.export import FORMATS
from pylee_tui.services.export.clients.base import ClientFormat
from pylee_tui.store import Store
from tests.support import ANN, Clock

PASSPHRASE = "correct horse battery staple"
TOOLS = Scope("acme", "tools")
API_KEY = "sk-FAKE-round-trip-0001"
DOCS_TOKEN = "tok-FAKE-round-trip-0002"

NPM: dict[str, Any] = {
    "name": "io.github.alice/weather",
    "description": "Weather forecasts",
    "version": "1.2.0",
    "packages": [
        {
            "registryType": "npm",
            "identifier": "@alice/weather-mcp",
            "version": "1.2.0",
            "transport": {"type": "stdio"},
            "environmentVariables": [
                {"name": "WEATHER_API_KEY", "isRequired": True, "isSecret": True},
                {"name": "WEATHER_UNITS", "isRequired": True},
            ],
        }
    ],
}
PYPI: dict[str, Any] = {
    "name": "io.github.acme/search",
    "description": "Search",
    "version": "0.3.0",
    "packages": [
        {
            "registryType": "pypi",
            "identifier": "acme-search-mcp",
            "version": "0.3.0",
            "transport": {"type": "stdio"},
            "packageArguments": [{"type": "named", "name": "--region", "value": "eu"}],
        }
    ],
}
DOCS_URL = "https://docs.example.com/mcp"
REMOTE: dict[str, Any] = {
    "name": "com.example/docs-remote",
    "description": "Hosted docs",
    "version": "2.0.0",
    "remotes": [
        {
            "type": "streamable-http",
            "url": DOCS_URL,
            "headers": [
                {
                    "name": "Authorization",
                    "value": "Bearer {docs_token}",
                    "isRequired": True,
                    "isSecret": True,
                }
            ],
        }
    ],
}
EVENTS_URL = "https://events.example.com/sse"
SSE: dict[str, Any] = {
    "name": "com.example/events",
    "description": "Events over SSE",
    "version": "1.0.0",
    "remotes": [{"type": "sse", "url": EVENTS_URL}],
}
# what an SSE remote reads back as where the client's file cannot say SSE (README, per client)
SSE_READ_BACK = {
    "codex": "streamable-http",  # Codex speaks no SSE: the URL is written as streamable HTTP
    "claude": "streamable-http",  # mcp-remote finds the transport itself; the file does not say
}


def taken_modes(fmt: ClientFormat) -> list[str]:
    modes = []
    for mode in ("launcher", "reference", "inline"):
        try:
            fmt.check_request(mode)
        except InvalidInput:
            continue
        modes.append(mode)
    return modes


PAIRS = [(key, mode) for key, fmt in FORMATS.items() for mode in taken_modes(fmt)]


@pytest.fixture
def source(services: Services) -> Services:
    s = services
    s.orgs.create(ANN, "Acme")
    s.registries.create(ANN, "acme", "Tools")
    for doc in (NPM, PYPI, REMOTE, SSE):
        s.registries.add_server(ANN, TOOLS, doc)
    s.vault.initialize(ANN, PASSPHRASE)
    weather = Scope("acme", "tools", NPM["name"])
    s.variables.set_key(ANN, weather, "WEATHER_API_KEY", API_KEY, kind="secret")
    s.variables.set_key(ANN, weather, "WEATHER_UNITS", "metric")
    docs = Scope("acme", "tools", REMOTE["name"])
    s.variables.set_key(ANN, docs, "DOCS_TOKEN", DOCS_TOKEN, kind="secret")
    return s


@pytest.fixture
def fresh(tmp_path: Path) -> Iterator[Services]:
    """Another store (a new database file): an org, an empty registry, an unlocked vault."""
    store = Store(tmp_path / "fresh" / "pylee.db")
    s = Services(store, clock=Clock())
    s.orgs.create(ANN, "Acme")
    s.registries.create(ANN, "acme", "Tools")
    s.vault.initialize(ANN, PASSPHRASE)
    yield s
    store.close()


def exported(source: Services, client: str, mode: str, tmp_path: Path) -> Path:
    suffix = "toml" if FORMATS[client].file_kind == "toml" else "json"
    path = tmp_path / "client" / f"config.{suffix}"
    path.parent.mkdir()
    _plan, result = source.export.install_with_names(ANN, TOOLS, client, path, secrets=mode)
    assert result.written
    return path


def by_target(s: Services) -> dict[str, Any]:
    """The registry's servers by package identifier or remote URL."""
    found: dict[str, Any] = {}
    for server in s.registries.list_servers(ANN, TOOLS):
        doc = server.document
        for package in doc.get("packages", []):
            found[package["identifier"]] = server
        for remote in doc.get("remotes", []):
            found[remote["url"]] = server
    return found


def declared(server: Any) -> dict[str, bool]:
    """The keys a server declares (env, or a remote's headers by name), each: secret or not."""
    doc = server.document
    items = [e for p in doc.get("packages", []) for e in p.get("environmentVariables", [])]
    items += [h for r in doc.get("remotes", []) for h in r.get("headers", [])]
    return {i["name"]: bool(i.get("isSecret")) for i in items}


def keys(s: Services, server: Any) -> dict[str, str]:
    where = Scope("acme", "tools", server.name)
    return {v.key: v.kind for v in s.variables.list_keys(ANN, where)}


@pytest.mark.parametrize(("client", "mode"), PAIRS)
def test_export_then_import_gives_the_same_servers(
    source: Services, fresh: Services, tmp_path: Path, client: str, mode: str
) -> None:
    path = exported(source, client, mode, tmp_path)
    plan = fresh.clients.plan_import(ANN, client, None, org="acme", registry="tools", file=path)
    assert len(plan.items) == 4

    if mode == "launcher":  # every entry runs `pylee-tui run`: its server is in a registry
        for item in plan.items:
            assert item.skipped == (
                "a pylee-tui launcher entry: its server is in a registry already"
            ), item.entry
        with pytest.raises(InvalidInput, match="every entry was skipped"):
            fresh.clients.apply_import(ANN, plan)
        assert fresh.registries.list_servers(ANN, TOOLS) == []
        return

    assert [i.skipped for i in plan.items] == [None] * 4
    result = fresh.clients.apply_import(ANN, plan)
    assert result.drafts == [] and len(result.created) == 4
    servers = by_target(fresh)
    assert sorted(servers) == sorted(
        ["@alice/weather-mcp", "acme-search-mcp", DOCS_URL, EVENTS_URL]
    )
    assert all(s.status == "valid" for s in servers.values())
    references = {i.server: i.references for i in plan.items}

    # the npm server: pinned, its secret and its plain variable
    weather = servers["@alice/weather-mcp"]
    package = weather.document["packages"][0]
    assert (package["registryType"], package["version"]) == ("npm", "1.2.0")
    assert "packageArguments" not in package
    assert declared(weather) == {"WEATHER_API_KEY": True, "WEATHER_UNITS": False}
    where = Scope("acme", "tools", weather.name)
    assert fresh.variables.reveal(ANN, where, "WEATHER_UNITS") == "metric"
    if mode == "inline":
        assert keys(fresh, weather) == {"WEATHER_API_KEY": "secret", "WEATHER_UNITS": "variable"}
        assert fresh.variables.reveal(ANN, where, "WEATHER_API_KEY") == API_KEY
        assert references[weather.name] == []
    else:  # named in the client's syntax: declared, listed, no value stored
        assert keys(fresh, weather) == {"WEATHER_UNITS": "variable"}
        assert references[weather.name] == ["WEATHER_API_KEY"]

    # the pypi server: pinned, with its package argument
    search = servers["acme-search-mcp"]
    package = search.document["packages"][0]
    assert (package["registryType"], package["version"]) == ("pypi", "0.3.0")
    assert package["packageArguments"] == PYPI["packages"][0]["packageArguments"]
    assert declared(search) == {} and keys(fresh, search) == {}

    # the streamable-HTTP remote and its bearer token
    docs = servers[DOCS_URL]
    remote = docs.document["remotes"][0]
    assert remote["type"] == "streamable-http"
    assert declared(docs) == {"Authorization": True}
    where = Scope("acme", "tools", docs.name)
    if mode == "inline":  # the file holds the header's value: kept whole, as a secret
        assert keys(fresh, docs) == {"AUTHORIZATION": "secret"}
        assert fresh.variables.reveal(ANN, where, "AUTHORIZATION") == f"Bearer {DOCS_TOKEN}"
        assert references[docs.name] == []
    else:  # `Bearer <reference>`: the header around the same name, no value stored
        assert remote["headers"][0]["value"] == "Bearer {DOCS_TOKEN}"
        assert keys(fresh, docs) == {}
        assert references[docs.name] == ["DOCS_TOKEN"]

    # the SSE remote, or what the client's file makes of it
    events = servers[EVENTS_URL]
    assert events.document["remotes"][0]["type"] == SSE_READ_BACK.get(client, "sse")
    assert declared(events) == {} and keys(fresh, events) == {}


def test_the_matrix_is_every_client_in_each_mode_it_takes() -> None:
    assert len(FORMATS) == 9
    refused = {(k, m) for k in FORMATS for m in ("launcher", "reference", "inline")} - set(PAIRS)
    assert refused == {("claude", "reference"), ("zed", "reference"), ("vscode", "inline")}


def test_a_referenced_key_is_exported_again(
    source: Services, fresh: Services, tmp_path: Path
) -> None:
    path = exported(source, "cursor", "reference", tmp_path)
    plan = fresh.clients.plan_import(ANN, "cursor", None, org="acme", registry="tools", file=path)
    fresh.clients.apply_import(ANN, plan)
    again = tmp_path / "again.json"
    fresh.export.install_with_names(
        ANN, TOOLS, "cursor", again, secrets="reference", allow_missing=True
    )
    env = FORMATS["cursor"].read_entry("weather", _servers(again)["weather"]).env
    assert env == {"WEATHER_API_KEY": "${env:WEATHER_API_KEY}", "WEATHER_UNITS": "metric"}


def _servers(path: Path) -> dict[str, Any]:
    import json

    servers: dict[str, Any] = json.loads(path.read_text())["mcpServers"]
    return servers
