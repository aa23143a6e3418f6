"""`pylee-tui run` as an MCP client's command: the server it starts gets exactly its effective
configuration, secrets decrypted, through its environment; what is missing is one line on
stderr and an exit status a client shows, with no secret anywhere."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import Any

import anyio
import pytest
from mcp.client.stdio import get_default_environment

from pylee_tui.services import Scope
from tests.fixtures.mcp_servers import server_json
from tests.fixtures.mcp_servers.client import as_a_client, calls
from tests.runtime.conftest import (
    DELIVERED,
    ENDPOINT,
    REPORTER_NAME,
    SECRET,
    TIMEOUT,
    World,
    sha256,
)
from tests.support import ANN, CliRunner


def structured(result: Any) -> Any:
    assert not result.is_error, result.content
    return result.structured_content["result"]


async def session_calls(world: World, wanted: list[tuple[str, dict]], *extra: str) -> list[Any]:
    """Start `pylee-tui run` over stdio as a client does, call tools, return their results."""
    results, said = await as_a_client(
        world.command(REPORTER_NAME)[0],
        world.argv(REPORTER_NAME, *extra),
        world.env,
        lambda session: calls(session, wanted),
        TIMEOUT,
    )
    assert not any(secret in said for secret in world.secrets)
    return results


def run(world: World, server: str = REPORTER_NAME, env: dict | None = None, stdin: Any = None):
    """`pylee-tui run` with nothing on stdin (or `stdin`): it fails before the server starts."""
    return subprocess.run(
        world.command(server),
        env=world.env if env is None else env,
        stdin=subprocess.DEVNULL if stdin is None else stdin,
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
    )


def assert_nothing_leaked(world: World, proc: subprocess.CompletedProcess) -> None:
    assert proc.stdout == ""  # stdout is the client's wire: never a message there
    for secret in world.secrets:
        assert secret not in proc.stderr


def test_the_server_gets_exactly_its_effective_configuration(world: World) -> None:
    environment, secret, endpoint, wrong = anyio.run(
        session_calls,
        world,
        [
            ("environment", {}),
            ("value_matches", {"name": "API_KEY", "sha256": sha256(SECRET)}),
            ("value_matches", {"name": "ENDPOINT", "sha256": sha256(ENDPOINT)}),
            ("value_matches", {"name": "SERVER_SECRET", "sha256": sha256("not it")}),
        ],
    )
    names = set(structured(environment))
    # beyond what run itself was started with (ours, the client's defaults and the locale
    # Python adds), only the keys the server declares and those set on its own scope; never
    # the org's undeclared secret, never the vault's passphrase
    base = set(world.env) | set(get_default_environment()) | {"LC_CTYPE"}
    assert names - base == DELIVERED
    assert "UNDECLARED" not in names
    assert "PYLEE_PASSPHRASE" not in names
    assert structured(secret) is True
    assert structured(endpoint) is True  # ${REGION} expanded
    assert structured(wrong) is False


def test_extra_arguments_are_appended_to_the_servers_command(world: World, tmp_path: Path) -> None:
    # the fake uvx passes its arguments after the package to the fixture; the reporter takes
    # none, so an echo through a wrapper shows them: a uvx that records its argv first
    record = tmp_path / "argv.json"
    uvx = Path(world.env["PATH"].split(os.pathsep)[0]) / "uvx"
    text = uvx.read_text()
    lines = text.splitlines()
    lines.insert(2, f"open({str(record)!r}, 'w').write(__import__('json').dumps(sys.argv[1:]))")
    uvx.write_text("\n".join(lines) + "\n")
    anyio.run(session_calls, world, [("add", {"a": 1})], "--verbose", "x y")
    argv = json.loads(record.read_text())
    assert argv == ["pylee-fixture-reporter==1.0.0", "--verbose", "x y"]
    assert not any(secret in arg for arg in argv for secret in world.secrets)


def test_missing_configuration_exits_78_naming_the_keys(world: World) -> None:
    s = world.services()
    doc = server_json(
        "pylee-fixture-reporter",
        env=[
            {"name": "API_KEY", "isRequired": True, "isSecret": True},
            {"name": "NOT_SET_A", "isRequired": True},
            {"name": "NOT_SET_B", "isRequired": True, "isSecret": True},
        ],
    )
    doc["name"] = "io.github.pylee/unconfigured"
    s.registries.add_server(ANN, Scope("acme", "tools"), doc)
    s.store.close()
    proc = run(world, "io.github.pylee/unconfigured")
    assert proc.returncode == 78
    assert proc.stderr.startswith("pylee-tui run: ")
    assert len(proc.stderr.splitlines()) == 1
    assert "NOT_SET_A" in proc.stderr and "NOT_SET_B" in proc.stderr
    assert_nothing_leaked(world, proc)


def test_a_missing_runtime_exits_127_with_where_it_comes_from(world: World, tmp_path: Path) -> None:
    s = world.services()
    doc = server_json("pylee-fixture-reporter")
    doc["name"] = "io.github.pylee/node-thing"
    doc["packages"][0].update(registryType="npm", identifier="@pylee/node-thing")
    s.registries.add_server(ANN, Scope("acme", "tools"), doc)
    s.store.close()
    empty = tmp_path / "empty-bin"
    empty.mkdir()
    proc = run(world, "io.github.pylee/node-thing", env={**world.env, "PATH": str(empty)})
    assert proc.returncode == 127
    assert proc.stderr.startswith("pylee-tui run: ")
    assert "npx" in proc.stderr and "Node.js" in proc.stderr
    assert len(proc.stderr.splitlines()) == 1
    assert_nothing_leaked(world, proc)


def test_a_locked_vault_without_a_terminal_exits_77_and_never_reads_stdin(
    world: World, tmp_path: Path
) -> None:
    # stdin is the client's wire: it holds what looks like a passphrase; reading it would
    # unlock the vault. The offset of the shared file shows whether anything was read.
    wire = tmp_path / "stdin"
    wire.write_text(world.env["PYLEE_PASSPHRASE"] + "\n")
    env = {k: v for k, v in world.env.items() if k != "PYLEE_PASSPHRASE"}
    with wire.open("rb") as stdin:
        proc = run(world, env=env, stdin=stdin)
        assert os.lseek(stdin.fileno(), 0, os.SEEK_CUR) == 0
    assert proc.returncode == 77
    assert proc.stderr.startswith("pylee-tui run: ")
    assert "agent start" in proc.stderr and "PYLEE_PASSPHRASE" in proc.stderr
    assert len(proc.stderr.splitlines()) == 1
    assert_nothing_leaked(world, proc)


def test_a_wrong_passphrase_exits_77(world: World) -> None:
    proc = run(world, env={**world.env, "PYLEE_PASSPHRASE": "not the passphrase at all"})
    assert proc.returncode == 77
    assert proc.stderr.startswith("pylee-tui run: ")
    assert_nothing_leaked(world, proc)


def test_an_unknown_server_is_one_line_and_exit_1(world: World) -> None:
    proc = run(world, "io.github.pylee/nothing-here")
    assert proc.returncode == 1
    assert proc.stderr.startswith("pylee-tui run: ")
    assert len(proc.stderr.splitlines()) == 1
    assert_nothing_leaked(world, proc)


def test_the_servers_own_exit_status_is_runs(world: World) -> None:
    s = world.services()
    doc = server_json("pylee-fixture-exit")
    s.registries.add_server(ANN, Scope("acme", "tools"), doc)
    s.store.close()
    proc = run(world, doc["name"])
    assert proc.returncode == 1
    assert "fatal" in proc.stderr  # the server's own stderr, passed straight through
    assert proc.stdout == ""


# (command, argv, user, exit status): the shape of tests/cli/test_cli.py's BAD_INPUT, so its
# coverage test can count `run` among the commands it checks
BAD_INPUT = [
    ("run", ("run", "--org", "acme", "--registry", "tools"), ANN, 2),
    ("run", ("run", "--registry", "tools", REPORTER_NAME), ANN, 2),
    ("run", ("run", "--org", "acme", REPORTER_NAME), ANN, 2),
    ("run", ("run", "--org", "acme", "--registry", "tools", "io.github.pylee/nope"), ANN, 1),
    ("run", ("run", "--org", "nope", "--registry", "tools", REPORTER_NAME), ANN, 1),
    ("run", ("run", "--org", "acme", "--registry", "tools", REPORTER_NAME), "carl@x.org", 1),
]


@pytest.mark.parametrize(("command", "argv", "user", "status"), BAD_INPUT)
def test_bad_input_is_one_line_and_starts_nothing(
    world: World, command: str, argv: tuple[str, ...], user: str, status: int
) -> None:
    code, out, err = CliRunner(world.db)(*argv, user=user)
    assert code == status
    assert out == ""
    assert len(err.splitlines()) == 1 and err.startswith("pylee-tui")
