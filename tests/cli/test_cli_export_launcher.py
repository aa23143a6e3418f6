"""`export --secrets launcher` end to end: the entry written for each client, started as that
client starts it (its command and args, a minimal environment with the passphrase), runs the
server with its secrets, and the file never held one."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import anyio
import pytest

from pylee_tui.services import Scope
from pylee_tui.services.export import CLIENTS, client_format
from pylee_tui.services.export.codec import parse_document
from tests.fixtures.mcp_servers import fake_uvx, path_with, server_json
from tests.fixtures.mcp_servers.client import as_a_client
from tests.support import ANN, CliRunner, with_services

PASSPHRASE = "correct horse battery staple"
SECRET = "sk-live-LAUNCHED-31337"
ENDPOINT = "https://eu.example/api"
TIMEOUT = 30
REPORTER = server_json(
    "pylee-fixture-reporter",
    env=[
        {"name": "API_KEY", "isRequired": True, "isSecret": True},
        {"name": "ENDPOINT", "isRequired": True},
    ],
)
REG = ("--org", "acme", "--registry", "tools")


def sha256(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


@pytest.fixture
def acme(cli: CliRunner) -> CliRunner:
    def seed(s) -> None:
        s.orgs.create(ANN, "Acme")
        s.registries.create(ANN, "acme", "Tools")
        s.registries.add_server(ANN, Scope("acme", "tools"), REPORTER)
        s.vault.initialize(ANN, PASSPHRASE)
        s.variables.set_key(ANN, Scope("acme", "tools"), "API_KEY", SECRET, kind="secret")
        s.variables.set_key(ANN, Scope("acme", "tools"), "ENDPOINT", ENDPOINT)

    cli.db.parent.mkdir(parents=True, exist_ok=True)
    with_services(cli.db, seed)
    return cli


async def started_as_a_client_would(entry: dict, env: dict[str, str]) -> list[bool]:
    """The entry's command and args over stdio, the client's environment: what the server got."""

    async def act(session) -> list[bool]:
        answers = []
        for name, value in (("API_KEY", SECRET), ("ENDPOINT", ENDPOINT)):
            result = await session.call_tool(
                "value_matches", {"name": name, "sha256": sha256(value)}
            )
            assert not result.is_error, result.content
            answers.append(result.structured_content["result"])
        return answers

    answers, said = await as_a_client(entry["command"], entry["args"], env, act, TIMEOUT)
    assert SECRET not in said
    return answers


@pytest.mark.parametrize("client", CLIENTS)
def test_the_launcher_entry_starts_the_server_with_its_secrets(
    acme: CliRunner, client: str, tmp_path: Path
) -> None:
    target = tmp_path / f"{client}.json"
    result = acme("export", *REG, "--client", client, "--secrets", "launcher", "--out", str(target))
    assert result.code == 0, result.err
    assert "vault must be unlocked when the client starts them" in result.err
    text = target.read_text("utf-8")
    assert SECRET not in text and ENDPOINT not in text and PASSPHRASE not in text
    fmt = client_format(client)
    doc = parse_document(fmt, target, text).document
    read = fmt.read_entry("reporter", fmt.server_groups(doc)[""]["reporter"])
    assert not read.env and read.command is not None
    entry = {"command": read.command, "args": list(read.args)}

    bin_dir = tmp_path / "bin"
    fake_uvx(bin_dir)
    runtime = tmp_path / "runtime"  # no agent there: the passphrase is in the client's env
    runtime.mkdir(mode=0o700)
    env = {
        "PATH": path_with(bin_dir),
        "HOME": str(tmp_path / "home"),
        "XDG_RUNTIME_DIR": str(runtime),
        "PYLEE_PASSPHRASE": PASSPHRASE,
    }
    assert anyio.run(started_as_a_client_would, entry, env) == [True, True]


def test_claude_desktop_gets_the_launcher_by_default_and_inline_only_when_asked(
    acme: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "claude.json"
    result = acme("export", *REG, "--client", "claude", "--out", str(target))
    assert result.code == 0, result.err
    entry = json.loads(target.read_text("utf-8"))["mcpServers"]["reporter"]
    assert "run" in entry["args"] and "env" not in entry
    assert SECRET not in target.read_text("utf-8")

    monkeypatch.setenv("PYLEE_PASSPHRASE", PASSPHRASE)
    for flags in (("--inline-secrets",), ("--secrets", "inline")):
        result = acme("export", *REG, "--client", "claude", *flags)
        assert result.code == 0, result.err
        assert json.loads(result.out)["mcpServers"]["reporter"]["env"]["API_KEY"] == SECRET
        assert "written in plain text" in result.err


def test_cursor_reference_mode_names_the_variables_to_set(acme: CliRunner) -> None:
    result = acme("export", *REG, "--client", "cursor")
    assert result.code == 0, result.err
    assert json.loads(result.out)["mcpServers"]["reporter"]["env"]["API_KEY"] == "${env:API_KEY}"
    assert result.err == (
        "pylee-tui: note: Cursor reads these secrets from its own environment: set API_KEY "
        "where Cursor starts\n"
    )
