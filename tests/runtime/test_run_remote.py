"""`pylee-tui run` for a remote server: a stdio client reaches it through the bridge, which
sends the header resolved from the vault; a refused token is needs-auth, said without it."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from typing import Any

import anyio
import pytest

from pylee_tui.services import Scope
from tests.fixtures.mcp_servers.client import as_a_client
from tests.fixtures.mcp_servers.http_server import BearerOnly, serve
from tests.runtime.conftest import TIMEOUT, World
from tests.support import ANN

TOKEN = "tok-REMOTE-SECRET-31337"
WRONG = "tok-WRONG-SECRET-00000"
NAME = "io.github.pylee/remote-reporter"


def remote_document(url: str, transport: str) -> dict[str, Any]:
    return {
        "$schema": "https://static.modelcontextprotocol.io/schemas/2025-09-29/server.schema.json",
        "name": NAME,
        "description": "The reporter, hosted",
        "version": "1.0.0",
        "remotes": [
            {
                "type": transport,
                "url": url,
                "headers": [
                    {
                        "name": "Authorization",
                        "value": "Bearer {API_TOKEN}",
                        "isRequired": True,
                        "isSecret": True,
                    }
                ],
            }
        ],
    }


@pytest.fixture(params=["streamable-http", "sse"])
def remote(request: pytest.FixtureRequest, world: World) -> Iterator[tuple[World, BearerOnly, str]]:
    """The reporter served behind TOKEN, registered with the token as a secret."""
    with serve(TOKEN, request.param) as (url, gate):
        s = world.services()
        s.registries.add_server(ANN, Scope("acme", "tools"), remote_document(url, request.param))
        s.variables.set_key(ANN, Scope("acme", "tools", NAME), "API_TOKEN", TOKEN, kind="secret")
        s.store.close()
        world.secrets += [TOKEN, WRONG]
        yield world, gate, url


async def list_tools(world: World, url: str) -> tuple[list[str], str]:
    async def act(session):
        tools = await session.list_tools()
        return tools, await session.call_tool("echo", {"text": "hi", "times": 2})

    (tools, echoed), stderr = await as_a_client(
        world.command(NAME)[0], world.argv(NAME), world.env, act, TIMEOUT
    )
    said = stderr.splitlines()
    # a working bridge says only where the secret goes (the URL comes from the server.json)
    assert said == [f"pylee-tui run: note: {NAME}: secret API_TOKEN is sent to {url} in a header"]
    return [t.name for t in tools.tools], echoed.content[0].text


def test_a_stdio_client_reaches_the_remote_with_the_resolved_header(remote) -> None:
    world, gate, url = remote
    names, echoed = anyio.run(list_tools, world, url)
    assert {"environment", "value_matches", "add", "echo"} <= set(names)
    assert echoed == "hi hi"
    assert gate.seen and set(gate.seen) == {f"Bearer {TOKEN}"}


def test_a_refused_token_is_needs_auth_without_the_token(remote) -> None:
    world, gate, _url = remote
    s = world.services()
    s.variables.set_key(ANN, Scope("acme", "tools", NAME), "API_TOKEN", WRONG, kind="secret")
    s.store.close()
    proc = subprocess.Popen(
        world.command(NAME),
        env=world.env,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        initialize = {
            "jsonrpc": "2.0",
            "id": 1,
            "method": "initialize",
            "params": {
                "protocolVersion": "2025-11-25",
                "capabilities": {},
                "clientInfo": {"name": "test", "version": "0"},
            },
        }
        assert proc.stdin is not None and proc.stdout is not None
        proc.stdin.write(json.dumps(initialize) + "\n")
        proc.stdin.flush()
        answer = json.loads(proc.stdout.readline())  # the client gets an answer, an error
        proc.stdin.close()  # and hangs up
        proc.wait(TIMEOUT)
        assert proc.stderr is not None
        out, err = proc.stdout.read(), proc.stderr.read()
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(TIMEOUT)
    assert answer["id"] == 1 and "needs-auth" in answer["error"]["message"]
    assert proc.returncode == 77
    lines = err.splitlines()
    assert [line for line in lines if "needs-auth" in line] == [lines[-1]]
    assert lines[-1].startswith("pylee-tui run: needs-auth")
    assert all(line.startswith("pylee-tui run: ") for line in lines)
    assert out == ""
    for secret in world.secrets:
        assert secret not in err and secret not in json.dumps(answer)
    assert f"Bearer {WRONG}" in gate.seen  # the bridge did send what the vault holds
