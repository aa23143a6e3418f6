"""`check`: each server ends in one honest state, told with its reason and no secret; the last
result is stored and read back, the run is an audit event, `--json` is machine-readable."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from pylee_tui.services import Scope, Services
from tests.fixtures.mcp_servers import fake_uvx, server_json
from tests.fixtures.mcp_servers.http_server import serve
from tests.support import ANN, CliRunner, server_doc

SECRET = "sk-FAKE-check-7f3a9"
PASSPHRASE = "correct horse battery"
TOOLS = Scope("acme", "tools")
NEEDS_SECRET = [{"name": "SECRET_TOKEN", "isRequired": True, "isSecret": True}]


def name(package: str) -> str:
    return f"io.github.pylee/{package}"


@pytest.fixture
def world(services: Services, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Services:
    """acme/tools with the fixture servers, SECRET_TOKEN a secret of the org; only the fake uvx
    on PATH (no npx)."""
    fake_uvx(tmp_path / "bin")
    monkeypatch.setenv("PATH", str(tmp_path / "bin"))
    s = services
    s.orgs.create(ANN, "Acme")
    s.registries.create(ANN, "acme", "Tools")
    for package in ("reporter", "exit", "silent", "garbage"):
        s.registries.add_server(ANN, TOOLS, server_json(f"pylee-fixture-{package}", NEEDS_SECRET))
    unset = [{"name": "NEVER_SET", "isRequired": True}]
    s.registries.add_server(ANN, TOOLS, {**server_json("pylee-fixture-keyless", unset)})
    s.registries.add_server(ANN, TOOLS, server_doc("io.github.acme/node"))
    s.vault.initialize(ANN, PASSPHRASE)
    s.variables.set_key(ANN, Scope("acme"), "SECRET_TOKEN", SECRET, kind="secret")
    return s


def test_each_server_ends_in_one_state_with_its_reason_and_no_secret(
    world: Services, db_path: Path
) -> None:
    ok = world.checks.check(ANN, TOOLS, [name("reporter")], timeout=30)[0]
    assert (ok.state, ok.server_name, ok.server_version) == ("ok", "pylee-reporter", "1.4.2")
    assert {t["name"] for t in ok.tools} == {"environment", "value_matches", "add", "echo"}
    assert (len(ok.resources), len(ok.prompts)) == (1, 1)
    assert ok.tokens > 0 and ok.init_ms is not None and ok.protocol_version
    add = next(t for t in ok.tools if t["name"] == "add")
    assert add["input_schema"]["properties"]["a"]["type"] == "integer"

    others = ["exit", "silent", "garbage", "keyless"]
    results = world.checks.check(ANN, TOOLS, [*map(name, others), "io.github.acme/node"], timeout=2)
    by = {r.server: r for r in results}
    failed = by[name("exit")]
    assert (failed.state, failed.exit_status) == ("failed", 1)
    assert "fatal: token •••••• was refused by the backend" in failed.stderr_tail
    assert by[name("silent")].state == "timeout"
    garbage = by[name("garbage")]
    assert garbage.state == "protocol-error"
    assert "not JSON-RPC" in garbage.detail and "token=••••••" in garbage.detail
    keyless = by[name("keyless")]
    assert (keyless.state, keyless.missing_keys) == ("missing-config", ("NEVER_SET",))
    node = by["io.github.acme/node"]
    assert (node.state, node.command) == ("missing-runtime", "npx")

    # the last result per server, read back as the app's badges read it
    last = world.checks.last_results(ANN, TOOLS)
    assert {n: r.state for n, r in last.items()} == {
        name("reporter"): "ok",
        **{r.server: r.state for r in results},
    }
    assert last[name("reporter")].tools == ok.tools
    assert last[name("exit")].checked_by == ANN
    assert world.checks.registry_tokens(ANN, TOOLS) == ok.tokens
    events = [e for e in world.audit.list_for_org(ANN, "acme") if e.action == "server.check"]
    assert len(events) == 2
    states = {s["server"]: s["state"] for s in events[0].metadata["servers"]}
    assert states.get(name("garbage")) == "protocol-error" or states.get(name("reporter")) == "ok"

    dumped = repr(results) + repr(last) + json.dumps([r.as_json() for r in results])
    assert SECRET not in dumped
    world.store.db.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    for file in db_path.parent.glob(db_path.name + "*"):
        assert SECRET.encode() not in file.read_bytes()


def remote(url: str, package: str) -> dict:
    return {
        "$schema": "https://static.modelcontextprotocol.io/schemas/2025-09-29/server.schema.json",
        "name": name(package),
        "description": "The reporter over streamable HTTP",
        "version": "1.0.0",
        "remotes": [
            {
                "type": "streamable-http",
                "url": url,
                "headers": [
                    {
                        "name": "Authorization",
                        "value": "Bearer {TOKEN}",
                        "isRequired": True,
                        "isSecret": True,
                        "variables": {"TOKEN": {"isRequired": True, "isSecret": True}},
                    }
                ],
            }
        ],
    }


def test_a_remote_server_with_the_right_token_is_ok_and_with_a_wrong_one_needs_auth(
    world: Services,
) -> None:
    with serve("tok-right-123") as (url, _gate):
        for package, token in (("good", "tok-right-123"), ("bad", "tok-wrong-456")):
            world.registries.add_server(ANN, TOOLS, remote(url, package))
            where = Scope("acme", "tools", name(package))
            world.variables.set_key(ANN, where, "TOKEN", token, kind="secret")
        results = world.checks.check(ANN, TOOLS, [name("good"), name("bad")], timeout=20)
    by = {r.server: r for r in results}
    assert by[name("good")].state == "ok" and len(by[name("good")].tools) == 4
    bad = by[name("bad")]
    assert bad.state == "needs-auth" and "401" in bad.detail
    assert "tok-wrong-456" not in repr(results)


def test_check_json_and_table_from_the_cli(
    world: Services, db_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PYLEE_PASSPHRASE", PASSPHRASE)
    cli = CliRunner(db_path)
    code, out, err = cli(
        "check", "--org", "acme", "--registry", "tools", name("reporter"), "--json"
    )
    assert (code, err) == (0, "")
    [data] = json.loads(out)
    assert data["state"] == "ok" and data["counts"]["tools"] == 4 and data["tokens"] > 0
    code, out, err = cli(
        "check", "--org", "acme", "--registry", "tools", name("exit"), "io.github.acme/node"
    )
    assert code == 1
    assert "failed" in out and "missing-runtime" in out and "exited with status 1" in out
    assert SECRET not in out + err
    code, _out, err = cli("check", "--org", "acme", name("exit"))
    assert code == 2 and "needs --registry" in err
