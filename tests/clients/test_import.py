"""`ClientsService.plan_import`/`apply_import`/`rewrite_file` on the fake machine's files."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from pylee_tui.services import Scope, Services
from pylee_tui.services.errors import Conflict, InvalidInput, VaultLocked
from pylee_tui.store import Store
from tests.clients.machine import INLINE_SECRETS, MACHINE, TOOLS, copy_machine, registry
from tests.support import ANN

CLAUDE = MACHINE / "home/.config/Claude/claude_desktop_config.json"


@pytest.fixture
def world(services: Services, monkeypatch: pytest.MonkeyPatch) -> Services:
    monkeypatch.delenv("XDG_CONFIG_HOME", raising=False)
    return registry(services)


def plan(s: Services, client: str = "claude", **kw):
    kw.setdefault("home", MACHINE / "home")
    kw.setdefault("cwd", MACHINE / "project")
    kw.setdefault("platform", "linux")
    return s.clients.plan_import(
        ANN, client, kw.pop("scope", None), org="acme", registry="tools", **kw
    )


def items(p):
    return {i.entry: i for i in p.items}


def test_npx_uvx_docker_and_the_rest(world: Services) -> None:
    got = items(plan(world))
    github = got["github"]
    assert (github.kind, github.server) == ("npm", "com.npmjs.modelcontextprotocol/github")
    package = github.document["packages"][0]
    assert (package["identifier"], package["version"]) == (
        "@modelcontextprotocol/server-github",
        "2025.4.8",
    )
    assert github.secrets == {"GITHUB_PERSONAL_ACCESS_TOKEN": INLINE_SECRETS[0]}
    assert github.variables == {"GITHUB_API_URL": "https://api.github.com"}
    declared = {e["name"]: e.get("isSecret", False) for e in package["environmentVariables"]}
    assert declared == {"GITHUB_PERSONAL_ACCESS_TOKEN": True, "GITHUB_API_URL": False}

    fetch = got["fetch"]
    assert (fetch.kind, fetch.server) == ("pypi", "org.pypi/fetch")
    pkg = fetch.document["packages"][0]
    assert (pkg["identifier"], pkg["version"]) == ("mcp-server-fetch", "2025.4.7")
    assert pkg["packageArguments"] == [
        {"type": "named", "name": "--user-agent", "value": "pylee-test"}
    ]
    time = got["time"]
    assert time.kind == "pypi"
    assert time.document["packages"][0]["identifier"] == "mcp-server-time"

    everything = got["everything"]  # no version: an npm package, kept as a draft
    assert everything.kind == "npm"
    assert any("draft" in n for n in everything.notes)

    postgres = got["postgres"]
    oci = postgres.document["packages"][0]
    assert (postgres.kind, oci["identifier"], oci["version"]) == ("oci", "mcp/postgres", "1.2.0")
    assert postgres.server == "io.docker.mcp/postgres"
    assert oci["runtimeArguments"] == [
        {"type": "positional", "value": "-v"},
        {"type": "positional", "value": "/tmp:/data"},
    ]
    assert postgres.secrets == {"PGPASSWORD": INLINE_SECRETS[1]}
    assert postgres.variables == {"PGHOST": "db.internal"}

    script = got["local-script"]
    assert (script.kind, script.server) == ("draft", "local.claude/local-script")
    meta = script.document["_meta"]["io.github.pylee-tui/imported-command"]
    assert meta["command"] == "/usr/bin/python3"
    assert meta["args"] == ["/home/me/mcp/server.py", "--verbose"]
    assert script.secrets == {"OPENAI_API_KEY": INLINE_SECRETS[2]}
    assert script.variables == {"LOG_LEVEL": "debug"}

    assert got["pylee-weather"].skipped and "launcher" in got["pylee-weather"].skipped
    assert got["broken"].skipped and "no command or URL" in got["broken"].skipped


def test_an_export_gives_the_same_command_back(world: Services) -> None:
    from pylee_tui.server_json import package_argv

    raw = json.loads(CLAUDE.read_text())["mcpServers"]
    for name in ("github", "fetch", "postgres"):
        item = items(plan(world))[name]
        package = item.document["packages"][0]
        env = [e["name"] for e in package.get("environmentVariables", [])]
        argv = package_argv(package, env)
        if name == "postgres":  # -e NAME=value becomes an env value, written as -e NAME
            assert argv == [
                "docker", "run", "-i", "--rm", "-v", "/tmp:/data",
                "-e", "PGPASSWORD", "-e", "PGHOST", "mcp/postgres:1.2.0",
                "postgresql://db.internal/app",
            ]  # fmt: skip
        else:
            assert argv == [raw[name]["command"], *raw[name]["args"]]


def test_remotes_headers_and_references(world: Services) -> None:
    vscode = items(plan(world, "vscode"))
    copilot = vscode["copilot"]
    assert copilot.kind == "remote"
    assert copilot.document["remotes"] == [
        {
            "type": "streamable-http",
            "url": "https://api.githubcopilot.com/mcp/",
            "headers": [{"name": "Authorization", "isSecret": True}],
        }
    ]
    assert copilot.server == "com.githubcopilot.api/copilot"
    assert copilot.secrets == {"AUTHORIZATION": "Bearer ghp_FAKEvscodeHEADERtoken0123456789"}
    assert vscode["events"].document["remotes"][0]["type"] == "sse"
    brave = items(plan(world, "vscode", scope="user"))["brave"]  # ${input:brave-key}
    assert brave.references == ["BRAVE_API_KEY"] and brave.secrets == {}
    env = brave.document["packages"][0]["environmentVariables"]
    # named only: required, so an export names it again
    assert env == [{"name": "BRAVE_API_KEY", "isRequired": True, "isSecret": True}]
    cursor = items(plan(world, "cursor"))
    assert cursor["github"].references == ["GITHUB_PERSONAL_ACCESS_TOKEN"]
    assert cursor["linear"].variables == {"X_TEAM": "core"}
    assert cursor["linear"].secrets == {"X_API_KEY": "lin_api_FAKE0123456789abcdef"}


def test_a_marked_name_is_a_secret(world: Services) -> None:
    script = items(plan(world, secret_names=["LOG_LEVEL"]))["local-script"]
    assert script.variables == {} and script.secrets["LOG_LEVEL"] == "debug"


def test_server_names_are_valid_and_unique(world: Services, tmp_path: Path) -> None:
    from pylee_tui.server_json import validate

    path = tmp_path / "twins.json"
    path.write_text(
        json.dumps(
            {
                "mcpServers": {
                    "My Server!": {"command": "npx", "args": ["-y", "a@1.0.0"]},
                    "My-Server": {"command": "npx", "args": ["-y", "b@1.0.0"]},
                    "9lives": {"url": "https://x.example.com/mcp"},
                }
            }
        )
    )
    got = plan(world, "cursor", file=path).items
    names = [i.server for i in got]
    assert names == ["com.npmjs/My-Server", "com.npmjs/My-Server-2", "com.example.x/mcp-9lives"]
    assert all(not validate(i.document) for i in got)


@pytest.mark.parametrize(
    ("kw", "message"),
    [
        ({"client": "nope"}, "unknown client 'nope'"),
        ({"scope": "global"}, "unknown scope"),
        ({"scope": "project"}, "Claude Desktop has no project config file"),
        ({"file": Path("/nonexistent/x.json")}, "no Claude Desktop config at"),
        ({"client": "cursor", "scope": "project"}, "not valid JSON"),
        ({"entries": ["ghost"]}, "no entry ghost"),
    ],
)
def test_bad_input_is_one_line(world: Services, kw, message) -> None:
    with pytest.raises(InvalidInput, match=message):
        plan(world, **kw)


def db_bytes(path: Path) -> bytes:
    data = path.read_bytes()
    wal = path.with_name(path.name + "-wal")
    return data + (wal.read_bytes() if wal.exists() else b"")


def test_apply_stores_servers_variables_and_secrets_never_in_plaintext(
    world: Services, db_path: Path
) -> None:
    result = world.clients.apply_import(ANN, plan(world))
    assert set(result.created) >= {"com.npmjs.modelcontextprotocol/github", "org.pypi/fetch"}
    assert "local.claude/local-script" in result.drafts
    assert "com.npmjs.modelcontextprotocol/github: GITHUB_PERSONAL_ACCESS_TOKEN" in (
        result.secrets_stored
    )
    server = Scope("acme", "tools", "com.npmjs.modelcontextprotocol/github")
    key = world.variables.get_key(ANN, server, "GITHUB_PERSONAL_ACCESS_TOKEN")
    assert key.kind == "secret"
    assert world.variables.reveal(ANN, server, "GITHUB_PERSONAL_ACCESS_TOKEN") == INLINE_SECRETS[0]
    assert world.variables.get_key(ANN, server, "GITHUB_API_URL").kind == "variable"
    world.store.db.conn.execute("PRAGMA wal_checkpoint")  # and before a checkpoint: the -wal
    raw = db_bytes(db_path)
    for secret in INLINE_SECRETS:
        assert secret.encode() not in raw


def test_a_locked_vault_refuses_before_anything_is_written(world: Services, db_path: Path) -> None:
    world.vault.lock()
    before = Store(db_path).db.conn.execute("SELECT count(*) FROM servers").fetchone()[0]
    with pytest.raises(VaultLocked):
        world.clients.apply_import(ANN, plan(world))
    assert world.registries.list_servers(ANN, TOOLS) == [] and before == 0


def test_all_or_nothing_and_a_clash_is_refused_unless_replace(world: Services) -> None:
    # a key that is a variable at the server's scope cannot become a secret: the whole import
    # rolls back
    first = plan(world, entries=["fetch"])
    world.clients.apply_import(ANN, first)
    with pytest.raises(Conflict, match="already in registry 'tools': org.pypi/fetch"):
        world.clients.apply_import(ANN, plan(world))
    assert [s.name for s in world.registries.list_servers(ANN, TOOLS)] == ["org.pypi/fetch"]
    github = "com.npmjs.modelcontextprotocol/github"
    world.registries.add_server(ANN, TOOLS, items(plan(world))["github"].document)
    world.variables.set_key(
        ANN, Scope("acme", "tools", github), "GITHUB_PERSONAL_ACCESS_TOKEN", "x"
    )
    with pytest.raises(Conflict):
        world.clients.apply_import(ANN, plan(world), replace=True)
    names = sorted(s.name for s in world.registries.list_servers(ANN, TOOLS))
    assert names == [github, "org.pypi/fetch"]
    result = world.clients.apply_import(ANN, plan(world, entries=["fetch"]), replace=True)
    assert result.updated == ["org.pypi/fetch"] and result.created == []


@pytest.mark.parametrize("mode", ["launcher", "reference"])
def test_rewrite_takes_the_plaintext_out_of_the_file(
    services: Services, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, mode: str
) -> None:
    home, project = copy_machine(tmp_path, monkeypatch)
    s = registry(services)
    path = home / ".cursor" / "mcp.json"
    text = path.read_text()
    p = s.clients.plan_import(
        ANN, "cursor", None, org="acme", registry="tools", home=home, cwd=project, platform="linux"
    )
    s.clients.apply_import(ANN, p)
    result = s.clients.rewrite_file(ANN, p, mode)
    assert result.written and result.backup == path.with_name("mcp.json.bak")
    assert result.backup.read_text() == text
    new = path.read_text()
    assert "lin_api_FAKE0123456789abcdef" not in new
    assert set(json.loads(new)["mcpServers"]) == {"linear", "github"}


def test_rewrite_keeps_foreign_entries_and_comments(
    services: Services, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    home, project = copy_machine(tmp_path, monkeypatch)
    s = registry(services)
    path = home / ".config/Claude/claude_desktop_config.json"
    p = s.clients.plan_import(
        ANN, "claude", None, org="acme", registry="tools", home=home, cwd=project,
        platform="linux", entries=["github", "postgres"],
    )  # fmt: skip
    s.clients.apply_import(ANN, p)
    s.clients.rewrite_file(ANN, p, "launcher")
    doc = json.loads(path.read_text())
    assert doc["globalShortcut"] == "Ctrl+Space"
    servers = doc["mcpServers"]
    assert list(servers)[:2] == ["github", "fetch"] or set(servers) >= {"github", "fetch"}
    assert "run" in servers["github"]["args"] and "env" not in servers["github"]
    assert servers["local-script"]["env"]["OPENAI_API_KEY"] == INLINE_SECRETS[2]  # not imported
    for secret in INLINE_SECRETS[:2]:
        assert secret not in path.read_text()
    vscode = project / ".vscode" / "mcp.json"
    p = s.clients.plan_import(
        ANN, "vscode", None, org="acme", registry="tools", home=home, cwd=project, platform="linux"
    )
    s.clients.apply_import(ANN, p)
    s.clients.rewrite_file(ANN, p, "reference")
    assert "ghp_FAKEvscodeHEADERtoken0123456789" not in vscode.read_text()
    assert "// the team's remote servers" in vscode.read_text()  # the user's comment is kept


def test_rewrite_refuses_inline(world: Services) -> None:
    with pytest.raises(InvalidInput, match="launcher or reference"):
        world.clients.rewrite_file(ANN, plan(world), "inline")
