"""Each client's format on its own: a golden file per client and secrets mode (one registry: an
npm server with a secret API key and a plain variable, a pypi server, a remote streamable-HTTP
server with a secret bearer token), the pairs a client refuses and why, where each client's
file is per scope and system, and reading an entry back (the inverse of writing it, tolerant of
the shapes each client's documentation allows). `UPDATE_GOLDEN=1` rewrites the golden files."""

from __future__ import annotations

import json
import os
import tomllib
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from pylee_tui.services import Scope, Services
from pylee_tui.services.errors import InvalidInput
from pylee_tui.services.export import CLIENTS, FORMATS, SECRETS_MODES, render
from pylee_tui.services.export import service as export_service
from pylee_tui.services.export.clients.base import ClientFormat
from pylee_tui.services.export.plan import ExportPlan
from tests.support import ANN

GOLDEN = Path(__file__).parent.parent / "data" / "clients" / "golden"
PASSPHRASE = "correct horse battery staple"
API_KEY = "sk-FAKE-golden-api-key-0001"
DOCS_TOKEN = "tok-FAKE-golden-docs-0002"
SCOPE = Scope("acme", "tools")
LAUNCHER = "/opt/pylee/bin/pylee-tui"  # stands for the absolute path of this installation

NPM = {
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
PYPI = {
    "name": "io.github.acme/search",
    "description": "Search",
    "version": "0.3.0",
    "packages": [
        {
            "registryType": "pypi",
            "identifier": "acme-search-mcp",
            "version": "0.3.0",
            "transport": {"type": "stdio"},
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


@pytest.fixture
def world(services: Services, monkeypatch: pytest.MonkeyPatch) -> Services:
    s = services
    s.orgs.create(ANN, "Acme")
    s.registries.create(ANN, "acme", "Tools")
    for doc in (NPM, PYPI, REMOTE):
        s.registries.add_server(ANN, SCOPE, doc)
    s.vault.initialize(ANN, PASSPHRASE)
    s.variables.set_key(ANN, SCOPE, "WEATHER_API_KEY", API_KEY, kind="secret")
    s.variables.set_key(ANN, SCOPE, "WEATHER_UNITS", "metric")
    s.variables.set_key(ANN, SCOPE, "DOCS_TOKEN", DOCS_TOKEN, kind="secret")
    monkeypatch.setattr(export_service, "pylee_command", lambda: [LAUNCHER])
    return s


def taken_modes(fmt: ClientFormat) -> list[str]:
    modes = ["launcher"]
    if fmt.takes_references:
        modes.append("reference")
    if fmt.takes_inline_secrets:
        modes.append("inline")
    return modes


PAIRS = [(key, mode) for key, fmt in FORMATS.items() for mode in taken_modes(fmt)]
REFUSED = [(k, m) for k in FORMATS for m in SECRETS_MODES if (k, m) not in PAIRS]


def exported_text(world: Services, client: str, mode: str) -> str:
    plan = world.export.plan(ANN, SCOPE, client, secrets=mode)
    text = render(plan)
    # the store's absolute path changes with every run
    return text.replace(os.path.abspath(world.store.path), "<db>")


def parsed(client: str, text: str) -> dict[str, Any]:
    if FORMATS[client].file_kind == "toml":
        return tomllib.loads(text)
    return json.loads(text)


@pytest.mark.parametrize(("client", "mode"), PAIRS)
def test_golden_file_per_client_and_secrets_mode(world: Services, client: str, mode: str) -> None:
    text = exported_text(world, client, mode)
    suffix = "toml" if FORMATS[client].file_kind == "toml" else "json"
    golden = GOLDEN / client / f"{mode}.{suffix}"
    if os.environ.get("UPDATE_GOLDEN") or os.environ.get("PYLEE_UPDATE_GOLDEN"):
        golden.parent.mkdir(parents=True, exist_ok=True)
        golden.write_text(text, "utf-8")
    assert text == golden.read_text("utf-8")
    # only the inline mode holds a secret's value; the launcher mode holds no value at all
    assert (API_KEY in text) == (mode == "inline")
    assert (DOCS_TOKEN in text) == (mode == "inline")
    if mode == "launcher":
        assert "metric" not in text
        assert text.count(LAUNCHER) == 3


@pytest.mark.parametrize(("client", "mode"), PAIRS)
def test_each_exported_entry_reads_back_as_the_server_it_was(
    world: Services, client: str, mode: str
) -> None:
    fmt = FORMATS[client]
    document = parsed(client, exported_text(world, client, mode))
    groups = fmt.server_groups(document)
    entries = {name: fmt.read_entry(name, raw) for name, raw in groups[""].items()}
    assert sorted(entries) == ["docs-remote", "search", "weather"]
    assert all(not e.problems for e in entries.values()), entries
    if mode == "launcher":
        for entry in entries.values():
            assert entry.command == LAUNCHER
            assert entry.args[-1] in (NPM["name"], PYPI["name"], REMOTE["name"])
        return
    weather, search, docs = entries["weather"], entries["search"], entries["docs-remote"]
    assert (weather.command, weather.args) == ("npx", ("-y", "@alice/weather-mcp@1.2.0"))
    assert (search.command, search.args) == ("uvx", ("acme-search-mcp==0.3.0",))
    assert weather.env["WEATHER_UNITS"] == "metric"
    if client == "claude" and mode == "inline":  # a bridge through mcp-remote
        assert docs.url == "https://docs.example.com/mcp"
    else:
        assert (docs.url, docs.transport) == ("https://docs.example.com/mcp", "streamable-http")
    if mode == "inline":
        assert weather.env["WEATHER_API_KEY"] == API_KEY
        assert docs.headers["Authorization"] == f"Bearer {DOCS_TOKEN}"
        return
    # reference: the client's own syntax names the key, or (Codex) the key is forwarded
    api_ref = weather.env.get("WEATHER_API_KEY", "")
    assert fmt.references(api_ref) == [
        "weather-api-key" if client == "vscode" else "WEATHER_API_KEY"
    ] or ("WEATHER_API_KEY" in weather.forwarded and not api_ref)
    assert fmt.references(docs.headers["Authorization"]) == [
        "docs-token" if client == "vscode" else "DOCS_TOKEN"
    ]


# --- refused pairs ------------------------------------------------------------------------------


def test_the_refused_pairs_are_the_ones_a_client_cannot_honour() -> None:
    assert sorted(REFUSED) == [("claude", "reference"), ("vscode", "inline"), ("zed", "reference")]


@pytest.mark.parametrize(("client", "mode"), REFUSED)
def test_a_refused_pair_says_why(world: Services, client: str, mode: str) -> None:
    title = FORMATS[client].title
    why = {
        "reference": f"{title} has no way to reference a secret: use the launcher mode "
        "(the default) or inline secrets",
        "inline": "VS Code keeps secrets in its own prompt store (inputs)",
    }[mode]
    with pytest.raises(InvalidInput) as refused:
        world.export.plan(ANN, SCOPE, client, secrets=mode)
    assert why in str(refused.value)


def test_the_default_mode_is_reference_where_the_client_has_a_syntax_else_launcher() -> None:
    assert {k: f.default_secrets for k, f in FORMATS.items()} == {
        "claude": "launcher",
        "claude-code": "reference",
        "vscode": "reference",
        "cursor": "reference",
        "windsurf": "reference",
        "zed": "launcher",
        "codex": "reference",
        "gemini": "reference",
        "copilot": "reference",
    }


def test_codex_refuses_a_value_built_around_a_secret() -> None:
    """Codex forwards a variable only whole: `x-${KEY}` cannot be said in its file."""
    codex = FORMATS["codex"]
    mark = codex.secret_reference(fake_builder("codex"), "API_KEY", "registry")
    with pytest.raises(InvalidInput, match="Codex CLI cannot build OTHER around the secret"):
        codex.command_entry(["npx", "pkg"], {"OTHER": "x-" + mark})
    with pytest.raises(InvalidInput, match="header X-Key around the secret API_KEY"):
        codex.remote_entry("https://h.example/mcp", "streamable-http", {"X-Key": "k " + mark})


# --- where each file lives -------------------------------------------------------------------

# per client and scope: linux, darwin, win32 (relative to the home, "~", or the project, ".")
PATHS = {
    ("claude", "user"): (
        "~/.config/Claude/claude_desktop_config.json",
        "~/Library/Application Support/Claude/claude_desktop_config.json",
        "~/AppData/Roaming/Claude/claude_desktop_config.json",
    ),
    ("claude-code", "project"): (".mcp.json",) * 3,
    ("claude-code", "user"): ("~/.claude.json",) * 3,
    ("vscode", "project"): (".vscode/mcp.json",) * 3,
    ("vscode", "user"): (
        "~/.config/Code/User/mcp.json",
        "~/Library/Application Support/Code/User/mcp.json",
        "~/AppData/Roaming/Code/User/mcp.json",
    ),
    ("cursor", "user"): ("~/.cursor/mcp.json",) * 3,
    ("cursor", "project"): (".cursor/mcp.json",) * 3,
    ("windsurf", "user"): ("~/.codeium/windsurf/mcp_config.json",) * 3,
    ("zed", "user"): (
        "~/.config/zed/settings.json",
        "~/.config/zed/settings.json",
        "~/AppData/Roaming/Zed/settings.json",
    ),
    ("zed", "project"): (".zed/settings.json",) * 3,
    ("codex", "user"): ("~/.codex/config.toml",) * 3,
    ("codex", "project"): (".codex/config.toml",) * 3,
    ("gemini", "user"): ("~/.gemini/settings.json",) * 3,
    ("gemini", "project"): (".gemini/settings.json",) * 3,
    ("copilot", "user"): ("~/.copilot/mcp-config.json",) * 3,
}


@pytest.fixture
def machine(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, Path]:
    home, project = tmp_path / "home", tmp_path / "project"
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("APPDATA", str(home / "AppData" / "Roaming"))
    for variable in ("XDG_CONFIG_HOME", "CODEX_HOME", "COPILOT_HOME"):
        monkeypatch.delenv(variable, raising=False)
    return home, project


def test_every_client_and_scope_has_its_paths() -> None:
    assert sorted(PATHS) == sorted((k, s) for k, f in FORMATS.items() for s in f.scopes)
    assert {k: f.scopes[0] for k, f in FORMATS.items()} == {
        "claude": "user",
        "claude-code": "project",
        "vscode": "project",
        "cursor": "user",
        "windsurf": "user",
        "zed": "user",
        "codex": "user",
        "gemini": "user",
        "copilot": "user",
    }


@pytest.mark.parametrize(("client", "scope"), sorted(PATHS))
@pytest.mark.parametrize("platform", ["linux", "darwin", "win32"])
def test_where_each_client_keeps_its_file(
    machine: tuple[Path, Path], client: str, scope: str, platform: str
) -> None:
    home, project = machine
    expected = PATHS[(client, scope)][("linux", "darwin", "win32").index(platform)]
    base = home if expected.startswith("~/") else project
    wanted = base / expected.removeprefix("~/")
    assert FORMATS[client].config_path(home, project, platform, scope) == wanted


def test_a_scope_the_client_has_no_file_for_is_refused(machine: tuple[Path, Path]) -> None:
    home, project = machine
    for key in ("claude", "windsurf", "copilot"):
        with pytest.raises(InvalidInput, match=f"{FORMATS[key].title} has no project config"):
            FORMATS[key].config_path(home, project, "linux", "project")


def test_codex_and_copilot_follow_their_home_variables_and_zed_xdg(
    machine: tuple[Path, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    home, project = machine
    monkeypatch.setenv("CODEX_HOME", str(tmp_path / "codex-home"))
    monkeypatch.setenv("COPILOT_HOME", str(tmp_path / "copilot-home"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))
    codex, copilot, zed = FORMATS["codex"], FORMATS["copilot"], FORMATS["zed"]
    assert codex.config_path(home, project, "linux") == tmp_path / "codex-home" / "config.toml"
    assert codex.config_path(home, project, "linux", "project") == (
        project / ".codex" / "config.toml"
    )
    assert copilot.config_path(home, project, "darwin") == (
        tmp_path / "copilot-home" / "mcp-config.json"
    )
    assert zed.config_path(home, project, "linux") == tmp_path / "xdg" / "zed" / "settings.json"


# --- reading entries back ----------------------------------------------------------------------

ARGV = ["npx", "-y", "@alice/weather-mcp@1.2.0", "--units", "metric"]
ENV = {"WEATHER_UNITS": "metric", "WEATHER_API_KEY": "sk-literal"}
HEADERS = {"Authorization": "Bearer tok", "X-Team": "blue"}
STREAMABLE = "https://docs.example.com/mcp"
SSE = "https://events.example.com/sse"


def fake_builder(client: str) -> Any:
    """What a client's secret_reference reads of an entry being built."""
    plan = ExportPlan(client, "acme", "tools", {}, {})
    return SimpleNamespace(plan=plan, entry_name="weather", server_name=NPM["name"])


@pytest.mark.parametrize("client", CLIENTS)
def test_a_command_entry_reads_back_as_written(client: str) -> None:
    fmt = FORMATS[client]
    entry = fmt.read_entry("weather", fmt.command_entry(list(ARGV), dict(ENV)))
    assert (entry.command, list(entry.args), entry.env) == (ARGV[0], ARGV[1:], ENV)
    assert (entry.url, entry.transport, entry.headers, entry.problems) == (None, "stdio", {}, ())


@pytest.mark.parametrize("client", CLIENTS)
@pytest.mark.parametrize(("url", "kind"), [(STREAMABLE, "streamable-http"), (SSE, "sse")])
def test_a_remote_entry_reads_back_as_written(client: str, url: str, kind: str) -> None:
    fmt = FORMATS[client]
    entry = fmt.read_entry("docs", fmt.remote_entry(url, kind, dict(HEADERS)))
    assert (entry.url, entry.headers, entry.command, entry.problems) == (url, HEADERS, None, ())
    # Codex speaks streamable HTTP only; Claude Desktop's mcp-remote finds the transport itself
    if client in ("codex", "claude"):
        assert entry.transport == "streamable-http"
    else:
        assert entry.transport == kind


@pytest.mark.parametrize("client", [k for k, f in FORMATS.items() if f.takes_references])
def test_a_reference_reads_back_as_the_key_it_names(client: str) -> None:
    fmt = FORMATS[client]
    builder = fake_builder(client)
    ref = fmt.secret_reference(builder, "WEATHER_API_KEY", "registry")
    bearer = "Bearer " + fmt.secret_reference(builder, "DOCS_TOKEN", "registry")
    command = fmt.read_entry("w", fmt.command_entry(["npx", "pkg"], {"WEATHER_API_KEY": ref}))
    remote = fmt.read_entry("d", fmt.remote_entry(STREAMABLE, None, {"Authorization": bearer}))
    assert not command.problems and not remote.problems
    if client == "codex":  # forwarded by name from Codex's environment
        assert (command.env, command.forwarded) == ({}, ("WEATHER_API_KEY",))
        assert remote.forwarded == ("DOCS_TOKEN",)
        assert fmt.references(remote.headers["Authorization"]) == ["DOCS_TOKEN"]
        return
    assert fmt.references(command.env["WEATHER_API_KEY"]) == [
        "weather-api-key" if client == "vscode" else "WEATHER_API_KEY"
    ]
    assert len(fmt.references(remote.headers["Authorization"])) == 1


@pytest.mark.parametrize("client", CLIENTS)
@pytest.mark.parametrize(
    ("raw", "problem"),
    [
        ("npx -y pkg", "not an object"),
        (["npx"], "not an object"),
        ({"command": "npx", "args": "-y pkg"}, "args is not a list of strings"),
        ({"command": "npx", "args": ["-y", 3]}, "args is not a list of strings"),
        ({"args": ["-y"]}, "no command or URL"),
        ({"command": "npx", "env": ["A=1"]}, "env is not an object"),
        ({"command": "npx", "env": {"A": 1}}, "env holds values that are not strings"),
    ],
)
def test_an_odd_entry_lists_its_problems_and_never_raises(
    client: str, raw: Any, problem: str
) -> None:
    entry = FORMATS[client].read_entry("odd", raw)
    if problem == "not an object" and client == "codex":
        problem = "not a table"
    assert any(problem in p for p in entry.problems), entry.problems


def read(client: str, raw: Any) -> Any:
    entry = FORMATS[client].read_entry("x", raw)
    assert not entry.problems, entry.problems
    return entry


def test_claude_code_reads_the_users_and_each_projects_servers() -> None:
    fmt = FORMATS["claude-code"]
    document = {
        "numStartups": 12,
        "mcpServers": {"mine": {"type": "stdio", "command": "uvx", "args": ["a"]}},
        "projects": {
            "/home/ann/app": {"mcpServers": {"local": {"type": "http", "url": STREAMABLE}}},
            "/home/ann/empty": {"allowedTools": []},
            "/home/ann/odd": "not an object",
        },
    }
    groups = fmt.server_groups(document)
    assert list(groups) == ["", "/home/ann/app"]
    assert read("claude-code", groups["/home/ann/app"]["local"]).url == STREAMABLE
    assert fmt.references("${A}/${B:-fallback}/$C/${env:D}") == ["A", "B"]
    sse = read("claude-code", {"type": "sse", "url": SSE.replace("/sse", "/events")})
    assert sse.transport == "sse"


def test_windsurf_reads_server_url_and_url() -> None:
    assert read("windsurf", {"serverUrl": STREAMABLE}).url == STREAMABLE
    assert read("windsurf", {"url": STREAMABLE, "headers": HEADERS}).headers == HEADERS
    assert FORMATS["windsurf"].references("Bearer ${env:TOKEN}") == ["TOKEN"]


def test_zed_reads_its_older_shapes() -> None:
    custom = read("zed", {"source": "custom", "command": "npx", "args": ["-y", "p"], "env": {}})
    assert (custom.command, custom.args) == ("npx", ("-y", "p"))
    nested = read("zed", {"command": {"path": "uvx", "args": ["q"], "env": {"A": "1"}}})
    assert (nested.command, nested.args, nested.env) == ("uvx", ("q",), {"A": "1"})
    remote = read("zed", {"url": STREAMABLE, "headers": {"X": "y"}})
    assert (remote.url, remote.transport, remote.headers) == (
        STREAMABLE,
        "streamable-http",
        {"X": "y"},
    )
    odd = FORMATS["zed"].read_entry("x", {"command": {"path": 3, "args": "no"}})
    assert odd.problems
    assert FORMATS["zed"].references("${env:A} ${B} $C") == []


def test_codex_reads_forwarded_names_and_header_variables() -> None:
    stdio = read(
        "codex",
        {
            "command": "npx",
            "args": ["pkg"],
            "env": {"UNITS": "metric"},
            "env_vars": ["API_KEY", {"name": "REMOTE_TOKEN", "source": "remote"}],
        },
    )
    assert (stdio.env, stdio.forwarded) == ({"UNITS": "metric"}, ("API_KEY", "REMOTE_TOKEN"))
    remote = read(
        "codex",
        {
            "url": STREAMABLE,
            "bearer_token_env_var": "DOCS_TOKEN",
            "http_headers": {"X-Team": "blue"},
            "env_http_headers": {"X-Key": "DOCS_KEY"},
        },
    )
    assert remote.headers == {
        "X-Team": "blue",
        "X-Key": "${DOCS_KEY}",
        "Authorization": "Bearer ${DOCS_TOKEN}",
    }
    assert remote.forwarded == ("DOCS_KEY", "DOCS_TOKEN")
    ignored = FORMATS["codex"].read_entry("x", {"url": STREAMABLE, "headers": {"A": "b"}})
    assert ignored.problems == ("headers is not read by Codex (http_headers is)",)
    odd = FORMATS["codex"].read_entry("x", {"command": "npx", "env_vars": "API_KEY"})
    assert odd.problems == ("env_vars is not a list",)


def test_gemini_reads_http_url_url_and_its_type() -> None:
    assert read("gemini", {"httpUrl": STREAMABLE}).transport == "streamable-http"
    assert read("gemini", {"url": SSE}).transport == "sse"
    assert read("gemini", {"url": STREAMABLE, "type": "http"}).transport == "streamable-http"
    assert FORMATS["gemini"].references("$A and ${B}, not $1") == ["A", "B"]


def test_copilot_reads_local_and_stdio_and_writes_every_tool() -> None:
    copilot = FORMATS["copilot"]
    for kind in ("local", "stdio"):
        assert read("copilot", {"type": kind, "command": "npx", "tools": ["*"]}).command == "npx"
    assert copilot.command_entry(["npx"], {})["tools"] == ["*"]
    assert copilot.remote_entry(STREAMABLE, "streamable-http", {})["tools"] == ["*"]
    assert copilot.references("Bearer ${TOKEN} $NOT") == ["TOKEN"]


def test_claude_desktop_reads_its_bridge_back_as_the_remote() -> None:
    bridge = {"command": "npx", "args": ["-y", "mcp-remote", STREAMABLE, "--allow-http"]}
    entry = read("claude", bridge)  # an option this reading does not know: a command
    assert (entry.command, entry.url) == ("npx", None)
    sse = read("claude", {"command": "npx", "args": ["mcp-remote", SSE, "--transport", "sse-only"]})
    assert (sse.url, sse.transport) == (SSE, "sse")
