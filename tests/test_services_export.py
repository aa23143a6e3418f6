"""Export to MCP client configs: golden files per client, secrets per client, names, merge and
install (ownership, backup, atomic write), missing variables."""

from __future__ import annotations

import json
import os
import re
import stat
from pathlib import Path

import pytest
from conftest import ANN, BOB

from pylee_tui.services import Services
from pylee_tui.services.errors import InvalidInput, PermissionDenied
from pylee_tui.services.export import (
    CLIENTS,
    ENTRY_NAME,
    base_entry_name,
    default_config_path,
    entry_names,
    render,
    write_atomic,
)

GOLDEN = Path(__file__).parent / "golden"
SECRET_TOKEN = "ghp_FAKE_token_0123456789"
SECRET_API = "sk-FAKE-api-key-abcdef"
SECRET_QDRANT = "qd-FAKE-9876"

WEATHER = {
    "name": "io.github.alice/weather",
    "description": "Weather forecasts",
    "version": "1.2.0",
    "packages": [
        {
            "registryType": "npm",
            "identifier": "@alice/weather-mcp",
            "version": "1.2.0",
            "transport": {"type": "stdio"},
            "runtimeArguments": [
                {"type": "named", "name": "--node-options", "value": "--max-old-space-size=256"}
            ],
            "packageArguments": [
                {"type": "named", "name": "--units", "default": "metric"},
                {"type": "positional", "valueHint": "region", "value": "eu"},
            ],
            "environmentVariables": [
                {"name": "WEATHER_API_KEY", "isRequired": True, "isSecret": True},
                {"name": "WEATHER_URL", "isRequired": True},
                {"name": "LOG_LEVEL", "default": "info"},
            ],
        }
    ],
}
WEATHER_TWIN = {**WEATHER, "name": "io.github.bob/weather", "description": "Another weather"}
SEARCH = {
    "name": "io.github.acme/search",
    "description": "Search",
    "version": "0.3.0",
    "packages": [
        {
            "registryType": "pypi",
            "identifier": "acme-search-mcp",
            "version": "0.3.0",
            "transport": {"type": "stdio"},
            "environmentVariables": [
                {"name": "GITHUB_TOKEN", "isRequired": True, "isSecret": True}
            ],
        }
    ],
}
QDRANT = {
    "name": "io.github.qdrant/mcp-server-qdrant",
    "description": "Qdrant vectors",
    "version": "0.7.1",
    "packages": [
        {
            "registryType": "oci",
            "identifier": "docker.io/mcp/qdrant",
            "version": "0.7.1",
            "transport": {"type": "stdio"},
            "environmentVariables": [
                {"name": "QDRANT_URL", "isRequired": True},
                {"name": "QDRANT_API_KEY", "isRequired": True, "isSecret": True},
            ],
        }
    ],
}
REMOTE = {
    "name": "com.example/docs-remote",
    "description": "Hosted docs",
    "version": "2.0.0",
    "remotes": [
        {
            "type": "streamable-http",
            "url": "https://docs.example.com/mcp",
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
SSE = {
    "name": "com.example/events",
    "description": "Events over SSE",
    "version": "1.0.0",
    "remotes": [{"type": "sse", "url": "https://events.example.com/sse"}],
}
DRAFT = {"name": "io.github.x/draft", "description": "", "version": "", "packages": []}


@pytest.fixture
def world(services: Services) -> Services:
    """acme / tools: five valid servers and one draft, variables and secrets at every scope."""
    s = services
    s.orgs.create(ANN, name="Acme")
    s.registries.create(ANN, "acme", name="Tools")
    for doc in (WEATHER, WEATHER_TWIN, SEARCH, QDRANT, REMOTE, SSE):
        s.registries.add_server(ANN, "acme", "tools", doc)
    s.registries.import_servers(ANN, "acme", "tools", [DRAFT])
    s.vault.initialize(ANN, "correct horse battery")
    v = s.variables
    v.set_variable(ANN, "acme", "REGION", "eu")
    v.set_variable(ANN, "acme", "WEATHER_URL", "https://${REGION}.weather.example")
    v.set_secret(ANN, "acme", "GITHUB_TOKEN", SECRET_TOKEN)
    v.set_secret(ANN, "acme", "WEATHER_API_KEY", SECRET_API)
    v.set_variable(ANN, "acme", "QDRANT_URL", "http://localhost:6333", "tools")
    v.set_secret(ANN, "acme", "QDRANT_API_KEY", SECRET_QDRANT, "tools", QDRANT["name"])
    v.set_secret(ANN, "acme", "DOCS_TOKEN", "docs-FAKE-token", "tools")
    # the twin overrides the URL on its own scope, and adds a key only it uses
    v.set_variable(
        ANN, "acme", "WEATHER_URL", "https://twin.example", "tools", WEATHER_TWIN["name"]
    )
    v.set_variable(ANN, "acme", "TWIN_ONLY", "yes", "tools", WEATHER_TWIN["name"])
    return s


def plan(s: Services, client: str, **kw):
    return s.export.plan(actor=ANN, org_slug="acme", registry_slug="tools", client=client, **kw)


# --- golden files ----------------------------------------------------------------------------


@pytest.mark.parametrize("client", CLIENTS)
def test_golden_file_per_client(world: Services, client: str) -> None:
    kwargs = {"inline_secrets": True} if client == "claude" else {}
    text = render(plan(world, client, **kwargs))
    golden = GOLDEN / f"export_{client}.json"
    if os.environ.get("PYLEE_UPDATE_GOLDEN"):
        golden.parent.mkdir(exist_ok=True)
        golden.write_text(text, "utf-8")
    assert text == golden.read_text("utf-8")


def test_entries_are_built_from_packages_and_remotes(world: Services) -> None:
    doc = json.loads(render(plan(world, "cursor")))["mcpServers"]
    assert doc["weather"]["command"] == "npx"
    assert doc["weather"]["args"] == [
        "-y",
        "--node-options",
        "--max-old-space-size=256",
        "@alice/weather-mcp@1.2.0",
        "--units",
        "metric",
        "eu",
    ]
    # the declared default is used; the org variable's reference is resolved
    assert doc["weather"]["env"]["LOG_LEVEL"] == "info"
    assert doc["weather"]["env"]["WEATHER_URL"] == "https://eu.weather.example"
    # the twin's own override wins, and its server-scope key is exported; REGION is not
    assert doc["weather-2"]["env"]["WEATHER_URL"] == "https://twin.example"
    assert doc["weather-2"]["env"]["TWIN_ONLY"] == "yes"
    assert "REGION" not in doc["weather"]["env"]
    assert doc["search"]["command"] == "uvx"
    assert doc["search"]["args"] == ["acme-search-mcp==0.3.0"]
    assert doc["mcp-server-qdrant"]["command"] == "docker"
    assert doc["mcp-server-qdrant"]["args"] == [
        "run", "-i", "--rm", "-e", "QDRANT_URL", "-e", "QDRANT_API_KEY",
        "docker.io/mcp/qdrant:0.7.1",
    ]  # fmt: skip
    assert doc["docs-remote"] == {
        "url": "https://docs.example.com/mcp",
        "headers": {"Authorization": "Bearer ${env:DOCS_TOKEN}"},
    }


def test_vscode_types_and_inputs(world: Services) -> None:
    doc = json.loads(render(plan(world, "vscode")))
    servers = doc["servers"]
    assert servers["weather"]["type"] == "stdio"
    assert servers["docs-remote"]["type"] == "http"
    assert servers["events"]["type"] == "sse"
    ids = {i["id"]: i for i in doc["inputs"]}
    assert servers["weather"]["env"]["WEATHER_API_KEY"] == "${input:weather-api-key}"
    assert servers["docs-remote"]["headers"]["Authorization"] == "Bearer ${input:docs-token}"
    # one input per secret definition, shared by the two weather servers
    assert list(ids) == sorted(ids, key=list(ids).index)
    assert [i for i in doc["inputs"] if i["id"].startswith("weather-api-key")] == [
        ids["weather-api-key"]
    ]
    assert all(i["type"] == "promptString" and i["password"] is True for i in doc["inputs"])


# --- secrets per client ----------------------------------------------------------------------


@pytest.mark.parametrize("client", ["vscode", "cursor"])
def test_no_plaintext_secret_in_vscode_or_cursor_output(
    world: Services, client: str, tmp_path: Path
) -> None:
    p = plan(world, client)
    target = tmp_path / "mcp.json"
    world.export.install(ANN, p, target)
    for text in (render(p), target.read_text("utf-8")):
        for secret in (SECRET_TOKEN, SECRET_API, SECRET_QDRANT, "docs-FAKE-token"):
            assert secret not in text
    assert not p.inlined_secrets


def test_claude_refuses_secrets_without_inline_secrets(world: Services, tmp_path: Path) -> None:
    with pytest.raises(InvalidInput) as refused:
        plan(world, "claude")
    message = str(refused.value)
    assert "Claude Desktop takes literal values only" in message
    assert "--inline-secrets" in message
    assert "GITHUB_TOKEN" in message and SECRET_TOKEN not in message


def test_claude_with_inline_secrets_is_written_0600_with_a_warning(
    world: Services, tmp_path: Path
) -> None:
    p = plan(world, "claude", inline_secrets=True)
    assert any("plain text" in w for w in p.warnings)
    target = tmp_path / "claude_desktop_config.json"
    world.export.install(ANN, p, target)
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    doc = json.loads(target.read_text("utf-8"))["mcpServers"]
    assert doc["weather"]["env"]["WEATHER_API_KEY"] == SECRET_API
    # a remote goes through mcp-remote, the header value in env rather than in args
    assert doc["docs-remote"]["command"] == "npx"
    assert doc["docs-remote"]["args"][:3] == ["-y", "mcp-remote", "https://docs.example.com/mcp"]
    assert "docs-FAKE-token" not in " ".join(doc["docs-remote"]["args"])
    assert doc["docs-remote"]["env"]["HEADER_AUTHORIZATION"] == "Bearer docs-FAKE-token"


def test_inlining_needs_the_reveal_permission(world: Services) -> None:
    world.members.invite(ANN, "acme", BOB)
    world.members.accept(BOB, "acme")
    with pytest.raises(PermissionDenied):
        world.export.plan(
            actor=BOB, org_slug="acme", registry_slug="tools", client="cursor", inline_secrets=True
        )


def test_vscode_never_inlines(world: Services) -> None:
    with pytest.raises(InvalidInput, match="VS Code keeps secrets"):
        plan(world, "vscode", inline_secrets=True)


# --- names -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("server", "name"),
    [
        ("io.github.user/weather", "weather"),
        ("io.github.user/we.ather", "we-ather"),
        ("com.example/9lives", "mcp-9lives"),
        ("com.example/_private_", "private"),
        ("com.example/---", "mcp-server"),
        ("com.example/ünïcode", "n-code"),
    ],
)
def test_entry_names_are_valid_for_every_client(server: str, name: str) -> None:
    assert base_entry_name(server) == name
    assert ENTRY_NAME.fullmatch(name)


def test_name_collisions_resolve_deterministically() -> None:
    servers = ["io.github.bob/weather", "io.github.alice/weather", "io.github.carl/Weather"]
    names = entry_names(servers)
    assert names == {
        "io.github.alice/weather": "weather",
        "io.github.bob/weather": "weather-2",
        "io.github.carl/Weather": "Weather-3",
    }
    assert entry_names(list(reversed(servers))) == names
    assert entry_names(servers, taken={"weather"})["io.github.alice/weather"] == "weather-2"


# --- missing variables, drafts, choice of servers --------------------------------------------


def test_missing_required_variables_stop_the_export(world: Services) -> None:
    world.variables.unset(ANN, "acme", "GITHUB_TOKEN")
    world.variables.unset(ANN, "acme", "QDRANT_URL", "tools")
    with pytest.raises(InvalidInput) as refused:
        plan(world, "cursor")
    message = str(refused.value)
    assert "io.github.acme/search: GITHUB_TOKEN" in message
    assert "io.github.qdrant/mcp-server-qdrant: QDRANT_URL" in message
    assert "--allow-missing" in message


@pytest.mark.parametrize(
    ("client", "placeholder"),
    [("cursor", "${env:GITHUB_TOKEN}"), ("claude", "<set GITHUB_TOKEN>"),
     ("vscode", "${input:github-token}")],
)  # fmt: skip
def test_allow_missing_writes_placeholders(world: Services, client: str, placeholder: str) -> None:
    world.variables.unset(ANN, "acme", "GITHUB_TOKEN")
    p = plan(world, client, allow_missing=True, servers=[SEARCH["name"]])
    doc = json.loads(render(p))
    servers = doc["servers" if client == "vscode" else "mcpServers"]
    assert servers["search"]["env"]["GITHUB_TOKEN"] == placeholder
    assert any("GITHUB_TOKEN" in w for w in p.warnings)
    if client == "vscode":
        assert doc["inputs"][0]["password"] is True  # declared secret: still a password prompt


def test_drafts_are_skipped_and_refused_by_name(world: Services) -> None:
    p = plan(world, "cursor")
    assert "draft" not in json.dumps(p.entries)
    assert any(DRAFT["name"] in s for s in p.skipped)
    with pytest.raises(InvalidInput, match="cannot export drafts"):
        plan(world, "cursor", servers=[DRAFT["name"]])


def test_only_the_named_servers(world: Services) -> None:
    p = plan(world, "cursor", servers=[SEARCH["name"], SSE["name"]])
    assert set(p.entries) == {"search", "events"}
    with pytest.raises(InvalidInput, match="no server io.github.x/nope"):
        plan(world, "cursor", servers=["io.github.x/nope"])


def test_a_reference_cycle_stops_the_export(world: Services) -> None:
    world.variables.set_variable(ANN, "acme", "REGION", "${WEATHER_URL}")
    with pytest.raises(InvalidInput, match="reference cycle"):
        plan(world, "cursor")


# --- install ---------------------------------------------------------------------------------

FOREIGN = {
    "globalShortcut": "Ctrl+Space",
    "mcpServers": {
        "filesystem": {"command": "npx", "args": ["-y", "@modelcontextprotocol/server-filesystem"]},
        "weather": {"command": "my-own-weather"},
    },
}


def test_install_keeps_every_key_and_server_it_does_not_own(
    world: Services, tmp_path: Path
) -> None:
    target = tmp_path / "mcp.json"
    target.write_text(json.dumps(FOREIGN, indent=2), "utf-8")
    p, result = world.export.install_with_names(
        target, actor=ANN, org_slug="acme", registry_slug="tools", client="cursor"
    )
    doc = json.loads(target.read_text("utf-8"))
    assert doc["globalShortcut"] == "Ctrl+Space"
    assert doc["mcpServers"]["filesystem"] == FOREIGN["mcpServers"]["filesystem"]
    # the user's own "weather" is kept; ours take the next free names
    assert doc["mcpServers"]["weather"] == {"command": "my-own-weather"}
    assert doc["mcpServers"]["weather-2"]["args"][-4] == "@alice/weather-mcp@1.2.0"
    assert set(result.kept) == {"filesystem", "weather"}
    assert result.backup is not None
    assert json.loads(result.backup.read_text("utf-8")) == FOREIGN

    # a second export replaces what it wrote and removes what is gone, nothing else
    world.registries.remove_server(ANN, "acme", "tools", SSE["name"])
    _p, again = world.export.install_with_names(
        target, actor=ANN, org_slug="acme", registry_slug="tools", client="cursor"
    )
    doc = json.loads(target.read_text("utf-8"))
    assert "events" not in doc["mcpServers"]
    assert again.removed == ["events"]
    assert doc["mcpServers"]["weather"] == {"command": "my-own-weather"}
    assert doc["mcpServers"]["filesystem"] == FOREIGN["mcpServers"]["filesystem"]
    assert doc["globalShortcut"] == "Ctrl+Space"


def test_vscode_install_keeps_foreign_inputs(world: Services, tmp_path: Path) -> None:
    target = tmp_path / ".vscode" / "mcp.json"
    target.parent.mkdir()
    mine = {"type": "promptString", "id": "my-key", "description": "mine"}
    target.write_text(json.dumps({"servers": {}, "inputs": [mine]}), "utf-8")
    world.export.install_with_names(
        target, actor=ANN, org_slug="acme", registry_slug="tools", client="vscode"
    )
    world.export.install_with_names(
        target, actor=ANN, org_slug="acme", registry_slug="tools", client="vscode"
    )
    inputs = json.loads(target.read_text("utf-8"))["inputs"]
    assert inputs[0] == mine
    ids = [i["id"] for i in inputs]
    assert len(ids) == len(set(ids))


def test_dry_run_prints_a_diff_and_writes_nothing(world: Services, tmp_path: Path) -> None:
    target = tmp_path / "claude.json"
    target.write_text(json.dumps(FOREIGN), "utf-8")
    before = target.read_bytes()
    _p, result = world.export.install_with_names(
        target,
        dry_run=True,
        actor=ANN,
        org_slug="acme",
        registry_slug="tools",
        client="claude",
        inline_secrets=True,
    )
    assert target.read_bytes() == before
    assert not target.with_name("claude.json.bak").exists()
    assert result.diff.startswith(f"--- {target}")
    assert '+    "search": {' in result.diff
    # inlined secrets are masked in the diff
    assert SECRET_API not in result.diff and "••••••••" in result.diff


def test_a_crash_while_writing_leaves_the_old_file_whole(tmp_path: Path) -> None:
    target = tmp_path / "mcp.json"
    target.write_text('{"mcpServers": {"keep": {}}}', "utf-8")

    def crash(tmp: Path) -> None:
        assert tmp.exists() and tmp.parent == target.parent
        raise OSError("simulated power cut")

    with pytest.raises(OSError, match="simulated"):
        write_atomic(target, '{"mcpServers": {}}' * 1000, _before_replace=crash)
    assert target.read_text("utf-8") == '{"mcpServers": {"keep": {}}}'
    assert [p.name for p in tmp_path.iterdir()] == ["mcp.json"]


def test_a_crash_during_install_keeps_the_old_config(
    world: Services, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "mcp.json"
    target.write_text(json.dumps(FOREIGN), "utf-8")
    real_replace = os.replace

    def failing_replace(src, dst):
        if Path(dst) == target:
            raise OSError("disk full")
        return real_replace(src, dst)

    monkeypatch.setattr(os, "replace", failing_replace)
    with pytest.raises(OSError):
        world.export.install_with_names(
            target, actor=ANN, org_slug="acme", registry_slug="tools", client="cursor"
        )
    assert json.loads(target.read_text("utf-8")) == FOREIGN
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]


@pytest.mark.parametrize("content", ["{not json", "[1, 2]", '{"mcpServers": []}'])
def test_a_broken_config_is_refused_and_left_alone(
    world: Services, tmp_path: Path, content: str
) -> None:
    target = tmp_path / "mcp.json"
    target.write_text(content, "utf-8")
    with pytest.raises(InvalidInput, match="nothing was written|fix it by hand"):
        world.export.install_with_names(
            target, actor=ANN, org_slug="acme", registry_slug="tools", client="cursor"
        )
    assert target.read_text("utf-8") == content
    assert not target.with_name("mcp.json.bak").exists()


def test_export_is_audited_without_values(world: Services, tmp_path: Path) -> None:
    world.export.install_with_names(
        tmp_path / "c.json",
        actor=ANN,
        org_slug="acme",
        registry_slug="tools",
        client="claude",
        inline_secrets=True,
    )
    events = [e for e in world.audit.list_for_org(ANN, "acme") if e.action == "registry.export"]
    assert len(events) == 1
    assert events[0].metadata["client"] == "claude"
    dumped = json.dumps([e.model_dump(mode="json") for e in world.audit.list_for_org(ANN, "acme")])
    for secret in (SECRET_TOKEN, SECRET_API, SECRET_QDRANT, "docs-FAKE-token"):
        assert secret not in dumped


def test_default_config_paths(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("XDG_CONFIG_HOME", raising=False)
    home, cwd = tmp_path / "home", tmp_path / "project"
    linux = default_config_path("claude", home=home, platform="linux")
    assert linux == home / ".config/Claude/claude_desktop_config.json"
    mac = default_config_path("claude", home=home, platform="darwin")
    assert mac == home / "Library/Application Support/Claude/claude_desktop_config.json"
    assert default_config_path("vscode", cwd=cwd) == cwd / ".vscode/mcp.json"
    assert default_config_path("cursor", home=home) == home / ".cursor/mcp.json"


def test_every_entry_name_in_every_golden_file_is_valid() -> None:
    for client in CLIENTS:
        doc = json.loads((GOLDEN / f"export_{client}.json").read_text("utf-8"))
        servers = doc["servers" if client == "vscode" else "mcpServers"]
        assert servers and all(re.fullmatch(ENTRY_NAME, name) for name in servers)


def test_the_demo_exports_to_every_client_once_its_secrets_exist(services: Services) -> None:
    from pylee_tui.services.demo import DEMO_SECRET, load_demo

    services.vault.initialize(ANN, "correct horse battery")
    load_demo(services, ANN)
    for registry in ("core-tools", "data-sources"):
        for client in CLIENTS:
            p = services.export.plan(
                actor=ANN,
                org_slug="acme-production",
                registry_slug=registry,
                client=client,
                inline_secrets=client == "claude",
            )
            assert p.entries and not p.placeholders
            assert (DEMO_SECRET in render(p)) == (client == "claude")


def test_the_demo_without_a_vault_says_which_secrets_are_missing(services: Services) -> None:
    from pylee_tui.services.demo import load_demo

    load_demo(services, ANN)
    with pytest.raises(InvalidInput, match="QDRANT_API_KEY"):
        services.export.plan(
            actor=ANN, org_slug="acme-production", registry_slug="data-sources", client="cursor"
        )
