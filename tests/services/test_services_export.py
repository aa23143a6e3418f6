"""Export to MCP client configs: golden files per client, secrets per client, names, merge and
install (ownership, backup, atomic write), missing variables."""

from __future__ import annotations

import errno
import json
import os
import re
import stat
from pathlib import Path

import pytest

from pylee_tui.services import Scope, Services
from pylee_tui.services.errors import InvalidInput, PermissionDenied
from pylee_tui.services.export import (
    CLIENTS,
    ENTRY_NAME,
    base_entry_name,
    client_format,
    default_config_path,
    entry_names,
    render,
    write_atomic,
)
from pylee_tui.services.export.codec import parse_document
from tests.support import ANN, BOB

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
    s.orgs.create(ANN, "Acme")
    s.registries.create(ANN, "acme", "Tools")
    for doc in (WEATHER, WEATHER_TWIN, SEARCH, QDRANT, REMOTE, SSE):
        s.registries.add_server(ANN, Scope("acme", "tools"), doc)
    s.registries.import_servers(ANN, Scope("acme", "tools"), [DRAFT])
    s.vault.initialize(ANN, "correct horse battery")
    v = s.variables
    v.set_key(ANN, Scope("acme"), "REGION", "eu")
    v.set_key(ANN, Scope("acme"), "WEATHER_URL", "https://${REGION}.weather.example")
    v.set_key(ANN, Scope("acme"), "GITHUB_TOKEN", SECRET_TOKEN, kind="secret")
    v.set_key(ANN, Scope("acme"), "WEATHER_API_KEY", SECRET_API, kind="secret")
    v.set_key(ANN, Scope("acme", "tools"), "QDRANT_URL", "http://localhost:6333")
    v.set_key(
        ANN, Scope("acme", "tools", QDRANT["name"]), "QDRANT_API_KEY", SECRET_QDRANT, kind="secret"
    )
    v.set_key(ANN, Scope("acme", "tools"), "DOCS_TOKEN", "docs-FAKE-token", kind="secret")
    # the twin overrides the URL on its own scope, and adds a key only it uses
    v.set_key(
        ANN, Scope("acme", "tools", WEATHER_TWIN["name"]), "WEATHER_URL", "https://twin.example"
    )
    v.set_key(ANN, Scope("acme", "tools", WEATHER_TWIN["name"]), "TWIN_ONLY", "yes")
    return s


def plan(s: Services, client: str, **kw):
    return s.export.plan(ANN, Scope("acme", "tools"), client, **kw)


# --- golden files ----------------------------------------------------------------------------


def _inlined(client: str) -> bool:
    """Clients whose default is the launcher (absolute paths in every entry): their golden
    file holds the inline mode instead, which their file takes too."""
    return client_format(client).default_secrets == "launcher"


def _golden(client: str) -> Path:
    return GOLDEN / f"export_{client}.{client_format(client).file_kind}"


@pytest.mark.parametrize("client", CLIENTS)
def test_golden_file_per_client(world: Services, client: str) -> None:
    kwargs = {"inline_secrets": True} if _inlined(client) else {}
    text = render(plan(world, client, **kwargs))
    golden = _golden(client)
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


def test_claude_cannot_reference_secrets_and_starts_them_through_run(world: Services) -> None:
    with pytest.raises(InvalidInput) as refused:
        plan(world, "claude", secrets="reference")
    message = str(refused.value)
    assert "Claude Desktop has no way to reference a secret" in message
    assert "the launcher mode (the default) or inline secrets" in message  # the CLI names flags
    assert "--" not in message
    p = plan(world, "claude")  # the default: every entry starts `pylee-tui run`, no value
    assert p.secrets == "launcher"
    for secret in (SECRET_TOKEN, SECRET_API, SECRET_QDRANT, "docs-FAKE-token"):
        assert secret not in render(p)


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
        world.export.plan(BOB, Scope("acme", "tools"), "cursor", inline_secrets=True)


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
    world.variables.unset(ANN, Scope("acme"), "GITHUB_TOKEN")
    world.variables.unset(ANN, Scope("acme", "tools"), "QDRANT_URL")
    with pytest.raises(InvalidInput) as refused:
        plan(world, "cursor")
    message = str(refused.value)
    assert "io.github.acme/search: GITHUB_TOKEN" in message
    assert "io.github.qdrant/mcp-server-qdrant: QDRANT_URL" in message
    assert "allow missing variables" in message  # the CLI names its flag


@pytest.mark.parametrize(
    ("client", "placeholder"),
    [("cursor", "${env:GITHUB_TOKEN}"), ("claude", "<set GITHUB_TOKEN>"),
     ("vscode", "${input:github-token}")],
)  # fmt: skip
def test_allow_missing_writes_placeholders(world: Services, client: str, placeholder: str) -> None:
    world.variables.unset(ANN, Scope("acme"), "GITHUB_TOKEN")
    mode = {"secrets": "inline"} if client == "claude" else {}  # placeholders are in env
    p = plan(world, client, allow_missing=True, servers=[SEARCH["name"]], **mode)
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
    world.variables.set_key(ANN, Scope("acme"), "REGION", "${WEATHER_URL}")
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
    p, result = world.export.install_with_names(ANN, Scope("acme", "tools"), "cursor", target)
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
    world.registries.remove_server(ANN, Scope("acme", "tools", SSE["name"]))
    _p, again = world.export.install_with_names(ANN, Scope("acme", "tools"), "cursor", target)
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
    world.export.install_with_names(ANN, Scope("acme", "tools"), "vscode", target)
    world.export.install_with_names(ANN, Scope("acme", "tools"), "vscode", target)
    inputs = json.loads(target.read_text("utf-8"))["inputs"]
    assert inputs[0] == mine
    ids = [i["id"] for i in inputs]
    assert len(ids) == len(set(ids))


def test_dry_run_prints_a_diff_and_writes_nothing(world: Services, tmp_path: Path) -> None:
    target = tmp_path / "claude.json"
    target.write_text(json.dumps(FOREIGN, indent=2), "utf-8")
    before = target.read_bytes()
    _p, result = world.export.install_with_names(
        ANN, Scope("acme", "tools"), "claude", target, dry_run=True, inline_secrets=True
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
    with pytest.raises(InvalidInput, match=f"cannot write {target}: disk full"):
        world.export.install_with_names(ANN, Scope("acme", "tools"), "cursor", target)
    assert json.loads(target.read_text("utf-8")) == FOREIGN
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]


@pytest.mark.parametrize("content", ["{not json", "[1, 2]", '{"mcpServers": []}'])
def test_a_broken_config_is_refused_and_left_alone(
    world: Services, tmp_path: Path, content: str
) -> None:
    target = tmp_path / "mcp.json"
    target.write_text(content, "utf-8")
    with pytest.raises(InvalidInput, match="nothing was written|fix it by hand"):
        world.export.install_with_names(ANN, Scope("acme", "tools"), "cursor", target)
    assert target.read_text("utf-8") == content
    assert not target.with_name("mcp.json.bak").exists()


def test_export_is_audited_without_values(world: Services, tmp_path: Path) -> None:
    world.export.install_with_names(
        ANN, Scope("acme", "tools"), "claude", tmp_path / "c.json", inline_secrets=True
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
        fmt = client_format(client)
        path = _golden(client)
        doc = parse_document(fmt, path, path.read_text("utf-8")).document
        servers = fmt.server_groups(doc)[""]
        assert servers and all(re.fullmatch(ENTRY_NAME, name) for name in servers)


def test_the_demo_exports_to_every_client_once_its_secrets_exist(services: Services) -> None:
    from pylee_tui.services.demo import DEMO_SECRET, load_demo

    load_demo(services, ANN, "correct horse battery")  # creates the vault, adds fake secrets
    for registry in ("core-tools", "data-sources"):
        for client in CLIENTS:
            p = services.export.plan(
                ANN, Scope("acme-production", registry), client, inline_secrets=_inlined(client)
            )
            assert p.entries and not p.placeholders
            assert (DEMO_SECRET in render(p)) == _inlined(client)


def test_the_demo_without_a_vault_says_which_secrets_are_missing(services: Services) -> None:
    from pylee_tui.services.demo import load_demo

    load_demo(services, ANN)
    with pytest.raises(InvalidInput, match="QDRANT_API_KEY"):
        services.export.plan(ANN, Scope("acme-production", "data-sources"), "cursor")


# --- review fixes: masked diffs, ownership per entry, odd targets -----------------------------


def install(s: Services, target: Path, client: str = "cursor", **kw):
    scope = Scope("acme", kw.pop("registry", "tools"))
    return s.export.install_with_names(ANN, scope, client, target, **kw)


def test_dry_run_masks_a_non_ascii_inlined_secret(world: Services, tmp_path: Path) -> None:
    secret = "clé-sécrète-✓-ü"
    world.variables.set_key(ANN, Scope("acme"), "WEATHER_API_KEY", secret, kind="secret")
    target = tmp_path / "mcp.json"
    _p, result = install(world, target, inline_secrets=True, dry_run=True)
    assert not target.exists()
    assert "•" in result.diff
    for encoded in (secret, json.dumps(secret)[1:-1], json.dumps(secret, ensure_ascii=False)):
        assert encoded not in result.diff
    # the real write still holds the real value
    install(world, target, inline_secrets=True)
    doc = json.loads(target.read_text("utf-8"))
    assert doc["mcpServers"]["weather"]["env"]["WEATHER_API_KEY"] == secret


def test_dry_run_masks_a_rotated_secret_still_inlined_in_the_file(
    world: Services, tmp_path: Path
) -> None:
    target = tmp_path / "claude.json"
    install(world, target, "claude", inline_secrets=True)
    world.variables.set_key(
        ANN, Scope("acme"), "WEATHER_API_KEY", "sk-FAKE-rotated-value", kind="secret"
    )
    world.variables.set_key(ANN, Scope("acme"), "DOCS_TOKEN", "docs-FAKE-rotated", kind="secret")
    _p, result = install(world, target, "claude", inline_secrets=True, dry_run=True)
    assert result.diff.startswith(f"--- {target}")
    for secret in (SECRET_API, "docs-FAKE-token", "sk-FAKE-rotated-value", "docs-FAKE-rotated"):
        assert secret not in result.diff
    for secret in (SECRET_TOKEN, SECRET_QDRANT):  # unchanged: on neither side of the diff
        assert secret not in result.diff
    # public values stay readable on both sides
    assert '"LOG_LEVEL": "info"' in result.diff or "LOG_LEVEL" not in result.diff
    # a changed secret still shows as a change: the file's value is masked differently
    lines = result.diff.splitlines()
    assert '-        "WEATHER_API_KEY": "•••••••• (in the file)",' in lines
    assert '+        "WEATHER_API_KEY": "••••••••",' in lines
    # the real install writes the new value
    install(world, target, "claude", inline_secrets=True)
    assert "sk-FAKE-rotated-value" in target.read_text("utf-8")
    assert SECRET_API not in target.read_text("utf-8")


def other_registry(s: Services) -> None:
    """acme / more: its own weather server (same entry name as tools' one) and a secret."""
    s.registries.create(ANN, "acme", "More")
    other = {**WEATHER, "name": "io.github.carol/weather", "description": "Carol's weather"}
    s.registries.add_server(ANN, Scope("acme", "more"), other)
    s.variables.set_key(
        ANN, Scope("acme", "more"), "WEATHER_API_KEY", "sk-FAKE-more-key", kind="secret"
    )


def test_exporting_another_registry_into_the_same_file_keeps_the_first(
    world: Services, tmp_path: Path
) -> None:
    other_registry(world)
    target = tmp_path / "mcp.json"
    install(world, target, inline_secrets=True)
    tools_entries = json.loads(target.read_text("utf-8"))["mcpServers"]
    _p, result = install(world, target, registry="more", inline_secrets=True)
    doc = json.loads(target.read_text("utf-8"))["mcpServers"]
    assert result.removed == [] and result.replaced == []
    assert result.added == ["weather-3"]  # weather and weather-2 belong to tools
    assert set(result.kept) == set(tools_entries)
    for name, entry in tools_entries.items():
        assert doc[name] == entry
    assert doc["weather-3"]["env"]["WEATHER_API_KEY"] == "sk-FAKE-more-key"
    # and exporting tools again keeps more's entry
    _p, again = install(world, target, inline_secrets=True)
    assert again.removed == [] and "weather-3" in again.kept
    doc = json.loads(target.read_text("utf-8"))["mcpServers"]
    assert doc["weather-3"]["env"]["WEATHER_API_KEY"] == "sk-FAKE-more-key"
    # a dry run of tools masks more's inlined secret on both sides
    world.variables.set_key(ANN, Scope("acme"), "WEATHER_API_KEY", "sk-FAKE-new", kind="secret")
    _p, dry = install(world, target, inline_secrets=True, dry_run=True)
    for secret in ("sk-FAKE-more-key", "sk-FAKE-new", SECRET_API):
        assert secret not in dry.diff


def test_a_server_subset_keeps_the_registrys_other_entries(world: Services, tmp_path: Path) -> None:
    target = tmp_path / "mcp.json"
    install(world, target)
    full = json.loads(target.read_text("utf-8"))["mcpServers"]
    _p, result = install(world, target, servers=[SEARCH["name"]])
    assert result.replaced == ["search"] and result.removed == [] and result.added == []
    assert json.loads(target.read_text("utf-8"))["mcpServers"] == full
    # the twin is named weather-2: a subset with only the twin keeps that name
    _p, twin = install(world, target, servers=[WEATHER_TWIN["name"]])
    assert twin.replaced == ["weather-2"] and twin.added == [] and twin.removed == []
    assert json.loads(target.read_text("utf-8"))["mcpServers"] == full
    # a subset removes the entries whose server is gone, not the others
    world.registries.remove_server(ANN, Scope("acme", "tools", SSE["name"]))
    _p, gone = install(world, target, servers=[SEARCH["name"]])
    assert gone.removed == ["events"]
    assert set(json.loads(target.read_text("utf-8"))["mcpServers"]) == set(full) - {"events"}


def test_a_server_whose_working_copy_became_a_draft_keeps_exporting_its_published_version(
    world: Services, tmp_path: Path
) -> None:
    target = tmp_path / "mcp.json"
    install(world, target)
    published = json.loads(target.read_text("utf-8"))["mcpServers"]["search"]
    broken = {**SEARCH, "description": ""}
    report = world.registries.import_servers(ANN, Scope("acme", "tools"), [broken], replace=True)
    assert report.drafts == 1
    _p, result = install(world, target)
    # exports use the latest published version: the draft is the next one, not yet published
    assert result.removed == []
    assert json.loads(target.read_text("utf-8"))["mcpServers"]["search"] == published
    # a server gone from the registry is gone from the file
    world.registries.remove_server(ANN, Scope("acme", "tools", SEARCH["name"]))
    _p, result = install(world, target)
    assert result.removed == ["search"]
    assert "search" not in json.loads(target.read_text("utf-8"))["mcpServers"]


def test_install_through_a_symlink_writes_the_target(world: Services, tmp_path: Path) -> None:
    real = tmp_path / "dotfiles" / "mcp.json"
    real.parent.mkdir()
    real.write_text(json.dumps(FOREIGN), "utf-8")
    link = tmp_path / "config" / "mcp.json"
    link.parent.mkdir()
    link.symlink_to(real)
    _p, result = install(world, link)
    assert link.is_symlink() and link.resolve() == real.resolve()
    assert "search" in json.loads(real.read_text("utf-8"))["mcpServers"]
    assert result.backup == real.with_name("mcp.json.bak")
    assert json.loads(result.backup.read_text("utf-8")) == FOREIGN
    assert sorted(p.name for p in link.parent.iterdir()) == ["mcp.json"]
    # ownership follows the target: a second export through the link replaces, keeps nothing new
    _p, again = install(world, link)
    assert again.added == [] and not again.written


def test_vscode_inputs_the_user_wrote_are_kept_and_ours_renamed(
    world: Services, tmp_path: Path
) -> None:
    target = tmp_path / "mcp.json"
    mine = {"type": "promptString", "id": "weather-api-key", "description": "my own key"}
    mine_upper = {"type": "promptString", "id": "GITHUB-TOKEN", "description": "mine too"}
    target.write_text(json.dumps({"servers": {}, "inputs": [mine, mine_upper]}), "utf-8")
    _p, result = install(world, target, "vscode")
    doc = json.loads(target.read_text("utf-8"))
    assert doc["inputs"][:2] == [mine, mine_upper]
    ids = [i["id"] for i in doc["inputs"]]
    assert ids.count("weather-api-key") == 1 and "weather-api-key-2" in ids
    assert "github-token-2" in ids and "github-token" not in ids
    assert doc["servers"]["weather"]["env"]["WEATHER_API_KEY"] == "${input:weather-api-key-2}"
    assert doc["servers"]["search"]["env"]["GITHUB_TOKEN"] == "${input:github-token-2}"
    _p, again = install(world, target, "vscode")
    assert not again.written and json.loads(target.read_text("utf-8")) == doc


def test_vscode_inputs_of_another_registry_are_kept(world: Services, tmp_path: Path) -> None:
    other_registry(world)
    target = tmp_path / "mcp.json"
    install(world, target, "vscode")
    first = json.loads(target.read_text("utf-8"))
    install(world, target, "vscode", registry="more")
    doc = json.loads(target.read_text("utf-8"))
    assert doc["inputs"][: len(first["inputs"])] == first["inputs"]
    for name, entry in first["servers"].items():
        assert doc["servers"][name] == entry
    ids = [i["id"] for i in doc["inputs"]]
    assert len(ids) == len(set(ids))


def test_a_foreign_entry_clashes_whatever_its_case(world: Services, tmp_path: Path) -> None:
    target = tmp_path / "mcp.json"
    target.write_text(json.dumps({"mcpServers": {"SEARCH": {"command": "mine"}}}), "utf-8")
    _p, result = install(world, target)
    doc = json.loads(target.read_text("utf-8"))["mcpServers"]
    assert doc["SEARCH"] == {"command": "mine"}
    assert doc["search-2"]["command"] == "uvx" and "search" not in doc
    assert result.kept == ["SEARCH"]


@pytest.mark.parametrize("kind", ["char device", "fifo", "directory"])
def test_a_target_that_is_not_a_regular_file_is_refused(
    world: Services, tmp_path: Path, kind: str
) -> None:
    where = tmp_path / "configs"
    where.mkdir()
    if kind == "char device":
        target = Path("/dev/zero")  # read, it never ends
    elif kind == "fifo":
        target = where / "pipe.json"  # read, it blocks until a writer comes
        os.mkfifo(target)
    else:
        target = where / "dir.json"
        target.mkdir()
    for dry_run in (True, False):
        with pytest.raises(InvalidInput, match="directory|not a regular file") as refused:
            install(world, target, dry_run=dry_run)
        assert str(target) in str(refused.value)
    assert sorted(p.name for p in where.iterdir()) == (
        [] if kind == "char device" else [target.name]
    )


def test_a_write_error_is_one_clear_line(
    world: Services, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "mcp.json"

    def full(src, dst):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    with monkeypatch.context() as m:
        m.setattr(os, "replace", full)
        with pytest.raises(InvalidInput, match=r"cannot write .*mcp\.json: No space left"):
            install(world, target)
    assert not target.exists()
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]


def test_an_unwritable_directory_is_one_clear_line(world: Services, tmp_path: Path) -> None:
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o500)
    try:
        if os.access(locked, os.W_OK):
            pytest.skip("running as root: permissions are not enforced")
        with pytest.raises(InvalidInput, match=r"cannot write .*locked/mcp\.json: Permission"):
            install(world, locked / "mcp.json")
    finally:
        locked.chmod(0o700)


def test_proc_is_refused_cleanly(world: Services) -> None:
    with pytest.raises(InvalidInput, match="/proc/x.json"):
        install(world, Path("/proc/x.json"))


def test_a_missing_directory_is_refused_unless_it_is_the_clients_usual_place(
    world: Services, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for dry_run in (True, False):
        with pytest.raises(InvalidInput, match="no directory .*nowhere"):
            install(world, tmp_path / "nowhere" / "mcp.json", dry_run=dry_run)
    assert not (tmp_path / "nowhere").exists()
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    usual = default_config_path("cursor")
    assert usual == tmp_path / "home" / ".cursor" / "mcp.json"
    _p, result = install(world, usual)
    assert result.written and usual.is_file()


def test_an_empty_path_is_refused(world: Services) -> None:
    with pytest.raises(InvalidInput, match="file name"):
        install(world, "")


def test_dry_run_shows_swapped_secrets_as_changed(world: Services, tmp_path: Path) -> None:
    target = tmp_path / "claude.json"
    install(world, target, "claude", inline_secrets=True)
    world.variables.set_key(ANN, Scope("acme"), "WEATHER_API_KEY", SECRET_TOKEN, kind="secret")
    world.variables.set_key(ANN, Scope("acme"), "GITHUB_TOKEN", SECRET_API, kind="secret")
    _p, result = install(world, target, "claude", inline_secrets=True, dry_run=True)
    lines = result.diff.splitlines()
    for key in ("WEATHER_API_KEY", "GITHUB_TOKEN"):
        assert f'-        "{key}": "•••••••• (in the file)"' in {line.rstrip(",") for line in lines}
        assert f'+        "{key}": "••••••••"' in {line.rstrip(",") for line in lines}
    assert SECRET_TOKEN not in result.diff and SECRET_API not in result.diff


def test_a_registry_keeps_its_entries_when_its_slug_is_renamed(
    world: Services, tmp_path: Path
) -> None:
    target = tmp_path / "mcp.json"
    install(world, target)
    before = json.loads(target.read_text("utf-8"))
    world.registries.edit(ANN, Scope("acme", "tools"), new_slug="toolbox")
    _p, result = install(world, target, registry="toolbox")
    assert result.added == [] and result.kept == [] and not result.written
    assert json.loads(target.read_text("utf-8")) == before


def test_a_wrong_demo_passphrase_loads_nothing(services: Services) -> None:
    from pylee_tui.services.demo import load_demo
    from pylee_tui.services.errors import WrongPassphrase

    services.orgs.create(ANN, "Mine")
    services.vault.initialize(ANN, "correct horse battery")
    services.vault.lock()
    with pytest.raises(WrongPassphrase):
        load_demo(services, ANN, "not the passphrase")
    assert [o.slug for o in services.orgs.list_orgs(ANN)] == ["mine"]


def test_the_export_says_where_a_secret_header_is_sent(world: Services) -> None:
    """A server.json chooses its URL; whoever exports must see which secret goes where."""
    p = plan(world, "cursor")
    assert "docs-remote: secret DOCS_TOKEN is sent to https://docs.example.com/mcp in a header" in (
        p.warnings
    )
    assert not any("events" in w for w in p.warnings)  # no secret, no warning


def test_a_required_header_template_with_no_value_is_missing(world: Services) -> None:
    """`Bearer {docs_token}` on a required header needs DOCS_TOKEN: unset, the export stops
    rather than writing the template literally."""
    world.variables.unset(ANN, Scope("acme", "tools"), "DOCS_TOKEN")
    with pytest.raises(InvalidInput, match="com.example/docs-remote: DOCS_TOKEN"):
        plan(world, "cursor")
    p = plan(world, "cursor", allow_missing=True)
    assert p.entries["docs-remote"]["headers"] == {"Authorization": "Bearer ${env:DOCS_TOKEN}"}


# --- issue 11: a workspace config linked out of its workspace; duplicate keys; a BOM -----------


@pytest.fixture
def workspace(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A cloned repository, the working directory."""
    project = tmp_path / "project"
    project.mkdir()
    monkeypatch.chdir(project)
    return project


def user_settings(tmp_path: Path) -> Path:
    settings = tmp_path / "home" / ".config" / "Code" / "User" / "settings.json"
    settings.parent.mkdir(parents=True)
    settings.write_text('{"editor.fontSize": 14}\n', "utf-8")
    return settings


def test_a_workspace_config_linked_to_the_users_settings_is_refused(
    world: Services, workspace: Path, tmp_path: Path
) -> None:
    """A repository can ship `.vscode/mcp.json` as a symlink; --install must not follow it out
    of the repository. The real path, given itself, is written as any other."""
    settings = user_settings(tmp_path)
    (workspace / ".vscode").mkdir()
    link = workspace / ".vscode" / "mcp.json"
    link.symlink_to(settings)
    usual = default_config_path("vscode")
    assert usual == link
    for dry_run in (True, False):
        with pytest.raises(InvalidInput) as refused:
            install(world, usual, "vscode", dry_run=dry_run)
        message = str(refused.value)
        assert "\n" not in message
        assert (
            f"{link} is a symlink to {settings}" in message and "outside the workspace" in message
        )
    assert settings.read_text("utf-8") == '{"editor.fontSize": 14}\n'
    assert sorted(p.name for p in settings.parent.iterdir()) == ["settings.json"]
    # on purpose: the real path itself
    _p, result = install(world, settings, "vscode")
    assert result.written and "weather" in json.loads(settings.read_text("utf-8"))["servers"]


@pytest.mark.parametrize("how", ["the .vscode folder", "a dangling file link"])
def test_a_workspace_config_that_leads_anywhere_outside_is_refused(
    world: Services, workspace: Path, tmp_path: Path, how: str
) -> None:
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    if how == "the .vscode folder":
        link = workspace / ".vscode"
        link.symlink_to(outside, target_is_directory=True)
    else:
        (workspace / ".vscode").mkdir()
        link = workspace / ".vscode" / "mcp.json"
        link.symlink_to(outside / "planted.json")  # does not exist yet
    with pytest.raises(InvalidInput, match=f"{re.escape(str(link))} is a symlink to .*elsewhere"):
        install(world, default_config_path("vscode"), "vscode")
    assert list(outside.iterdir()) == []
    # a link that stays inside the workspace is followed as before
    shared = workspace / "config"
    shared.mkdir()
    if how == "the .vscode folder":
        link.unlink()
        link.symlink_to(shared, target_is_directory=True)
    else:
        link.unlink()
        link.symlink_to(Path("..") / "config" / "mcp.json")
    _p, result = install(world, default_config_path("vscode"), "vscode")
    assert result.written and (shared / "mcp.json").is_file() and list(outside.iterdir()) == []


def test_the_cli_refuses_a_linked_workspace_config_in_one_line(
    world: Services, workspace: Path, tmp_path: Path, db_path: Path
) -> None:
    from tests.support import CliRunner

    settings = user_settings(tmp_path)
    (workspace / ".vscode").symlink_to(settings.parent, target_is_directory=True)
    cli = CliRunner(db_path)
    result = cli(
        "export", "--org", "acme", "--registry", "tools", "--client", "vscode", "--install"
    )
    assert result.code != 0 and "Traceback" not in result.err
    assert result.err_lines == [
        f"pylee-tui: {workspace / '.vscode'} is a symlink to {settings.parent}, outside the "
        f"workspace {workspace}; nothing was written (to write there, give that path itself)"
    ]
    assert sorted(p.name for p in settings.parent.iterdir()) == ["settings.json"]


@pytest.mark.parametrize(
    ("client", "content", "key"),
    [
        ("cursor", '{"mcpServers": {"mine": {"command": "a"}}, "mcpServers": {}}', "mcpServers"),
        ("vscode", '{"servers": {"mine": {"command": "a"}, "mine": {"command": "b"}}}', "mine"),
        ("claude", '{"mcpServers": {"x": {"env": {"K": "1", "K": "2"}}}}', "K"),
    ],
)
def test_a_config_with_a_duplicate_key_is_refused_and_left_alone(
    world: Services, tmp_path: Path, client: str, content: str, key: str, db_path: Path
) -> None:
    """Merging would keep only the last of the two blocks: the user's first one would be lost."""
    from tests.support import CliRunner

    target = tmp_path / "config.json"
    target.write_text(content, "utf-8")
    for dry_run in (True, False):
        with pytest.raises(InvalidInput) as refused:
            install(world, target, client, dry_run=dry_run, inline_secrets=client == "claude")
        assert f"{target} is not valid JSON: the key '{key}' appears twice" in str(refused.value)
    assert target.read_text("utf-8") == content
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith("config")) == [
        "config.json"
    ]
    # the CLI: one line (the file is read before anything is merged, whatever the client)
    argv = ["export", "--org", "acme", "--registry", "tools", "--client", "cursor"]
    result = CliRunner(db_path)(*argv, "--out", str(target))
    assert result.code != 0 and len(result.err_lines) == 1 and f"'{key}'" in result.err


def test_a_config_with_a_bom_is_merged_and_keeps_its_bom(world: Services, tmp_path: Path) -> None:
    target = tmp_path / "mcp.json"
    target.write_text("\ufeff" + json.dumps(FOREIGN, indent=2), "utf-8")
    _p, result = install(world, target)
    text = target.read_text("utf-8")
    assert result.written and text.startswith("\ufeff{") and text.count("\ufeff") == 1
    doc = json.loads(text.removeprefix("\ufeff"))
    assert doc["globalShortcut"] == "Ctrl+Space"
    assert doc["mcpServers"]["filesystem"] == FOREIGN["mcpServers"]["filesystem"]
    assert "search" in doc["mcpServers"] and set(result.kept) == {"filesystem", "weather"}
    _p, again = install(world, target)
    assert not again.written and again.diff == ""
