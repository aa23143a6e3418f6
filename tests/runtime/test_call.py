"""`call`: a tool called with its arguments typed by its schema; arguments the schema rejects
are refused before the call, naming the argument; `--json` is machine-readable."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from pylee_tui.services import Scope, Services
from tests.fixtures.mcp_servers import fake_uvx, server_json
from tests.support import ANN, CliRunner

REPORTER = "io.github.pylee/reporter"


@pytest.fixture
def cli(services: Services, db_path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    fake_uvx(tmp_path / "bin")
    monkeypatch.setenv("PATH", str(tmp_path / "bin"))
    services.orgs.create(ANN, "Acme")
    services.registries.create(ANN, "acme", "Tools")
    services.registries.add_server(
        ANN, Scope("acme", "tools"), server_json("pylee-fixture-reporter")
    )
    return CliRunner(db_path)


def call(cli: CliRunner, *args: str):
    return cli("call", "--org", "acme", "--registry", "tools", REPORTER, *args)


def test_call_add_prints_the_sum(cli: CliRunner) -> None:
    assert tuple(call(cli, "add", "--arg", "a=2", "--arg", "b=3")) == (0, "5\n", "")


def test_call_json_output(cli: CliRunner) -> None:
    code, out, _err = call(cli, "echo", "--json-args", '{"text": "hi", "times": 2}', "--json")
    data = json.loads(out)
    assert code == 0 and data["text"] == "hi hi" and data["is_error"] is False


def test_arguments_the_schema_rejects_are_refused_before_the_call(cli: CliRunner) -> None:
    code, out, err = call(cli, "add", "--arg", "a=two")
    assert (code, out) == (1, "")
    assert err == "pylee-tui: add: a: 'two' is not of type 'integer'\n"
    code, _out, err = call(cli, "add", "--arg", "b=1")
    assert code == 1 and "add: 'a' is required" in err
    code, _out, err = call(cli, "nosuch")
    assert code == 1 and "has no tool 'nosuch'" in err
