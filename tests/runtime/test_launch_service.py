"""LaunchService: what `run`, `check` and `call` start a server with, and the preview a screen
shows, which must name the very command `run` executes."""

from __future__ import annotations

import pytest

from pylee_tui.services import InvalidInput, Scope, VaultLocked
from pylee_tui.services.launch import MissingConfiguration
from tests.fixtures.mcp_servers import server_json
from tests.runtime.conftest import (
    ENDPOINT,
    PASSPHRASE,
    REPORTER_NAME,
    SECRET,
    SERVER_SECRET,
    UNDECLARED_SECRET,
    World,
)
from tests.support import ANN

SERVER = Scope("acme", "tools", REPORTER_NAME)


def test_the_launch_holds_what_the_server_declares_and_its_own_keys(world: World) -> None:
    s = world.services()
    try:
        launch = s.launch.launch(ANN, SERVER)
        assert launch.kind == "stdio"
        assert launch.argv == ("uvx", "pylee-fixture-reporter==1.0.0")
        assert dict(launch.env) == {
            "API_KEY": SECRET,
            "ENDPOINT": ENDPOINT,
            "REGION": "eu",
            "SERVER_FLAG": "on",
            "SERVER_SECRET": SERVER_SECRET,
        }
        assert UNDECLARED_SECRET not in launch.env.values()
        assert sorted(launch.secret_keys) == ["API_KEY", "SERVER_SECRET"]
        # what a server's process starts with: never the vault's passphrase
        env = launch.environment({"PATH": "/bin", "PYLEE_PASSPHRASE": PASSPHRASE})
        assert "PYLEE_PASSPHRASE" not in env and env["PATH"] == "/bin"
        assert launch.mask(f"token {SECRET} and {SERVER_SECRET}") == "token •••••• and ••••••"
        # its repr (a log line, a traceback's locals) holds no value
        assert SECRET not in repr(launch) and SERVER_SECRET not in repr(launch)
        events = [e for e in s.audit.list_for_org(ANN, "acme") if e.action == "secret.run"]
        assert len(events) == 1 and events[0].metadata["keys"] == ["API_KEY", "SERVER_SECRET"]
    finally:
        s.store.close()


def test_the_preview_names_the_command_run_executes_and_decrypts_nothing(world: World) -> None:
    s = world.services()
    try:
        docker = server_json("pylee-fixture-reporter")
        docker["name"] = "io.github.pylee/container"
        docker["packages"][0].update(
            registryType="oci", identifier="ghcr.io/pylee/reporter", version="2.0.0"
        )
        docker["packages"][0]["environmentVariables"] = [
            {"name": "API_KEY", "isRequired": True, "isSecret": True}
        ]
        s.registries.add_server(ANN, Scope("acme", "tools"), docker)
        scope = Scope("acme", "tools", "io.github.pylee/container")
        s.variables.set_key(ANN, scope, "OWN_FLAG", "1")
        s.vault.lock()
        preview = s.launch.preview(ANN, scope)
        # a container is given each variable by name: its own keys too
        assert "-e API_KEY" in preview.command_line and "-e OWN_FLAG" in preview.command_line
        assert preview.secret_keys == ("API_KEY",) and preview.missing == ()
        with pytest.raises(VaultLocked):
            s.launch.launch(ANN, scope)
        s.vault.unlock(PASSPHRASE)
        assert s.launch.launch(ANN, scope).command_line == preview.command_line
        assert s.launch.preview(ANN, SERVER).command_line == (
            s.launch.launch(ANN, SERVER).command_line
        )
    finally:
        s.store.close()


def test_missing_configuration_and_drafts_are_refused_by_name(world: World) -> None:
    s = world.services()
    try:
        s.variables.unset(ANN, Scope("acme", "tools"), "API_KEY")
        assert s.launch.preview(ANN, SERVER).missing == ("API_KEY",)
        with pytest.raises(MissingConfiguration) as refused:
            s.launch.launch(ANN, SERVER)
        assert refused.value.keys == ["API_KEY"] and "API_KEY" in str(refused.value)
        draft = server_json("pylee-fixture-reporter")
        draft["name"] = "io.github.pylee/draft"
        draft["packages"][0]["version"] = "^1.0"  # a range: a draft
        s.registries.add_server(ANN, Scope("acme", "tools"), draft, allow_draft=True)
        with pytest.raises(InvalidInput, match="draft"):
            s.launch.launch(ANN, Scope("acme", "tools", "io.github.pylee/draft"))
    finally:
        s.store.close()
