"""Export's secrets modes: `launcher` entries start `pylee-tui run` and hold no value at all (for
every client, a remote too), need no unlocked vault, and parse with the real CLI; each client's
default mode; the pairs a client cannot honour refused with the reason; --inline-secrets."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

from pylee_tui.cli import build_parser
from pylee_tui.services import Scope, Services
from pylee_tui.services.errors import InvalidInput
from pylee_tui.services.export import CLIENTS, SECRETS_MODES, client_format, render
from pylee_tui.services.export import launcher as launcher_module
from pylee_tui.services.export.codec import parse_document
from pylee_tui.store import Store
from tests.fixtures.mcp_servers import server_json
from tests.support import ANN

PASSPHRASE = "correct horse battery staple"
API_SECRET = "sk-live-EXPORTSECRET-1234"
TOKEN_SECRET = "tok-REMOTE-SECRET-5678"
ENDPOINT = "https://eu.example/api"  # not a secret, and still no value in a launcher's file
REPORTER = server_json(
    "pylee-fixture-reporter",
    env=[
        {"name": "API_KEY", "isRequired": True, "isSecret": True},
        {"name": "ENDPOINT", "isRequired": True},
    ],
)
REMOTE = {
    "name": "io.github.acme/docs",
    "description": "Docs over HTTP",
    "version": "1.0.0",
    "remotes": [
        {
            "type": "streamable-http",
            "url": "https://docs.example.com/mcp",
            "headers": [
                {"name": "Authorization", "value": "Bearer {docs_token}", "isSecret": True}
            ],
        }
    ],
}
VALUES = [API_SECRET, TOKEN_SECRET, ENDPOINT, "eu", PASSPHRASE]
SCOPE = Scope("acme", "tools")


@pytest.fixture
def world(services: Services) -> Services:
    s = services
    s.orgs.create(ANN, "Acme")
    s.registries.create(ANN, "acme", "Tools")
    s.registries.add_server(ANN, SCOPE, REPORTER)
    s.registries.add_server(ANN, SCOPE, REMOTE)
    s.vault.initialize(ANN, PASSPHRASE)
    v = s.variables
    v.set_key(ANN, Scope("acme"), "REGION", "eu")
    v.set_key(ANN, SCOPE, "API_KEY", API_SECRET, kind="secret")
    v.set_key(ANN, SCOPE, "DOCS_TOKEN", TOKEN_SECRET, kind="secret")
    v.set_key(
        ANN, Scope("acme", "tools", REPORTER["name"]), "ENDPOINT", "https://${REGION}.example/api"
    )
    return s


def locked(world: Services) -> Services:
    """Services on the same store in a new process's state: the vault locked."""
    services = Services(Store(world.store.path))
    assert not services.vault.unlocked
    return services


def servers_of(doc: dict, client: str) -> dict:
    return client_format(client).server_groups(doc)[""]


@pytest.mark.parametrize("client", CLIENTS)
def test_launcher_entries_hold_no_value_and_start_pylee_run(
    world: Services, client: str, tmp_path: Path
) -> None:
    services = locked(world)  # no value is read: the vault may stay locked
    try:
        plan = services.export.plan(ANN, SCOPE, client, secrets="launcher")
        target = tmp_path / "config.json"
        services.export.install(ANN, plan, target)
        assert not services.vault.unlocked
    finally:
        services.store.close()
    text = target.read_text("utf-8")
    for value in VALUES:
        assert value not in text and value not in render(plan)
    fmt = client_format(client)
    doc = parse_document(fmt, target, text).document
    assert "inputs" not in doc
    entries = servers_of(doc, client)
    assert set(entries) == {"reporter", "docs"}
    for name, raw in entries.items():
        entry = fmt.read_entry(name, raw)
        assert not entry.env and not entry.headers and entry.url is None and not entry.problems
        assert entry.command is not None
        command = Path(entry.command)
        assert command.is_absolute() and command.is_file() and os.access(command, os.X_OK)
        # what a client runs is what the real parser reads as `run` on this store, as ann
        args = list(entry.args)
        if command == Path(sys.executable).absolute():
            assert args[:2] == ["-m", "pylee_tui"]
            args = args[2:]
        ns = build_parser(args).parse_args(args)
        assert ns.command == "run"
        assert (ns.db, ns.as_user, ns.org, ns.registry) == (
            str(world.store.path.absolute()),
            ANN,
            "acme",
            "tools",
        )
        assert ns.server == plan.servers[name]
        assert not ns.extra
    assert plan.secrets == "launcher" and not plan.inlined_secrets
    assert any("`pylee-tui run`" in n and "PYLEE_PASSPHRASE" in n for n in plan.notes)
    # the remote's token still goes to its URL, through `run` now: say where
    assert any("DOCS_TOKEN is sent to https://docs.example.com/mcp" in w for w in plan.warnings)
    assert stat_mode(target) == 0o644  # nothing secret in it


def stat_mode(path: Path) -> int:
    return path.stat().st_mode & 0o777


def test_each_client_has_its_default_mode(world: Services) -> None:
    modes = {c: world.export.plan(ANN, SCOPE, c).secrets for c in CLIENTS}
    # the launcher where the client has no way to name a secret, else its own references
    assert modes == {
        "claude": "launcher",
        "vscode": "reference",
        "cursor": "reference",
        "claude-code": "reference",
        "windsurf": "reference",
        "zed": "launcher",
        "codex": "reference",
        "gemini": "reference",
        "copilot": "reference",
    }
    claude = world.export.plan(ANN, SCOPE, "claude")
    assert all("run" in e["args"] for e in claude.entries.values())


@pytest.mark.parametrize(
    ("client", "mode", "says"),
    [
        (
            "claude",
            "reference",
            "Claude Desktop has no way to reference a secret: use the launcher mode "
            "(the default) or inline secrets",
        ),
        ("vscode", "inline", "VS Code keeps secrets in its own prompt store"),
        ("cursor", "plain", "unknown secrets mode 'plain': use one of launcher, reference, inline"),
    ],
)
def test_a_mode_the_client_cannot_honour_is_refused_with_the_reason(
    world: Services, client: str, mode: str, says: str
) -> None:
    with pytest.raises(InvalidInput) as refused:
        world.export.plan(ANN, SCOPE, client, secrets=mode)
    assert says in str(refused.value)


def test_inline_secrets_is_the_inline_mode(world: Services) -> None:
    alias = world.export.plan(ANN, SCOPE, "cursor", inline_secrets=True)
    named = world.export.plan(ANN, SCOPE, "cursor", secrets="inline")
    assert alias.secrets == named.secrets == "inline"
    assert alias.entries == named.entries
    assert API_SECRET in render(alias)
    with pytest.raises(InvalidInput, match="inline secrets and the launcher mode"):
        world.export.plan(ANN, SCOPE, "cursor", secrets="launcher", inline_secrets=True)


def test_reference_mode_says_which_secrets_the_client_must_be_given(world: Services) -> None:
    cursor = world.export.plan(ANN, SCOPE, "cursor")
    assert cursor.notes == [
        "Cursor reads these secrets from its own environment: set API_KEY, DOCS_TOKEN where "
        "Cursor starts"
    ]
    assert '"${env:API_KEY}"' in render(cursor)
    vscode = world.export.plan(ANN, SCOPE, "vscode")
    assert vscode.notes == [
        "VS Code asks for these secrets when it first starts a server: API_KEY, DOCS_TOKEN"
    ]


def test_launcher_mode_still_refuses_missing_configuration(world: Services) -> None:
    world.variables.unset(ANN, SCOPE, "API_KEY")
    with pytest.raises(InvalidInput, match="missing required variables: .*API_KEY"):
        world.export.plan(ANN, SCOPE, "claude")
    plan = world.export.plan(ANN, SCOPE, "claude", allow_missing=True)
    assert any("`run` refuses to start these servers" in w for w in plan.warnings)


def test_the_launcher_is_found_beside_the_interpreter_then_on_path_then_as_a_module(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    venv_bin = tmp_path / "venv" / "bin"
    venv_bin.mkdir(parents=True)
    python = venv_bin / "python"
    python.symlink_to(sys.executable)  # a venv's interpreter: a link out of its bin
    script = venv_bin / "pylee-tui"
    script.write_text("#!/bin/sh\n")
    script.chmod(0o755)
    monkeypatch.setattr(sys, "executable", str(python))
    assert launcher_module.pylee_command() == [str(script)]

    script.unlink()
    on_path = tmp_path / "elsewhere" / "pylee-tui"
    on_path.parent.mkdir()
    on_path.write_text("#!/bin/sh\n")
    on_path.chmod(0o755)
    monkeypatch.setenv("PATH", str(on_path.parent))
    assert launcher_module.pylee_command() == [str(on_path)]

    monkeypatch.setenv("PATH", str(tmp_path / "nothing"))
    assert launcher_module.pylee_command() == [str(python), "-m", "pylee_tui"]


def test_the_modes_are_three() -> None:
    assert SECRETS_MODES == ("launcher", "reference", "inline")
