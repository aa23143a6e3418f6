"""`run`, `check` and `call` against a team server: the server starts on the member's machine
with the configuration the team server resolves for them, its secrets opened there with the
member's key. A member who may not reveal the org's secrets is refused (77 for `run`) unless
every secret the server gets is their own; the team server's files never hold a value."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import anyio
import pytest

from pylee_tui.services import Scope
from pylee_tui.services.launch import MASK
from pylee_tui.team.remote import RemoteServices
from tests.fixtures.mcp_servers import fake_uvx, path_with, server_json
from tests.fixtures.mcp_servers.client import as_a_client, calls
from tests.runtime.conftest import sha256
from tests.support import ANN, BOB, CliRunner
from tests.team.conftest import TeamServer
from tests.team.shell import TeamShell, ok, on_disk

SECRET = "sk-team-RUN-4242-never-on-the-server"  # the registry's API_KEY, set by bob
OWN = "sk-bob-OWN-1717-never-on-the-server"  # bob's own API_KEY (his user scope)
REPORTER = server_json(
    "pylee-fixture-reporter",
    env=[{"name": "API_KEY", "isRequired": True, "isSecret": True}, {"name": "REGION"}],
)
NAME = REPORTER["name"]
TOOLS = ("--org", "acme", "--registry", "tools")
TIMEOUT = 30


class Shell(TeamShell):
    """The team shell, and `pylee-tui run` in a child process as an MCP client starts it, with
    the same login."""

    def __init__(
        self, cli: CliRunner, team: TeamServer, monkeypatch: pytest.MonkeyPatch, tmp: Path
    ):
        super().__init__(cli, team, monkeypatch)
        fake_uvx(tmp / "bin")
        monkeypatch.setenv("PATH", path_with(tmp / "bin"))

    def run_argv(self, *head: str) -> list[str]:
        """`pylee-tui run` as a client's command (no --db: the saved login's server)."""
        return [sys.executable, "-m", "pylee_tui", *head, "run", *TOOLS, NAME]

    def run(self, person: str, *head: str) -> subprocess.CompletedProcess[str]:
        """`pylee-tui run` with nothing on stdin: for a refusal, before the server starts."""
        self.as_person(person, passphrase=True)
        return subprocess.run(
            self.run_argv(*head),
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=TIMEOUT,
        )

    def session(self, person: str, wanted: list[tuple[str, dict]], *head: str) -> list[Any]:
        """Start `pylee-tui run` over stdio as a client does, call tools, give their results."""
        import os

        self.as_person(person, passphrase=True)
        argv = self.run_argv(*head)
        results, said = anyio.run(
            lambda: as_a_client(
                argv[0], argv[1:], dict(os.environ), lambda s: calls(s, wanted), TIMEOUT
            )
        )
        assert SECRET not in said and OWN not in said
        return [r.structured_content["result"] for r in results]


@pytest.fixture
def shell(
    cli: CliRunner, team: TeamServer, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> Shell:
    """acme's registry `tools` holds the reporter; bob (a member with secrets:write) has set its
    API_KEY at the registry, sealed to the org's key, which he cannot read back."""
    shell = Shell(cli, team, monkeypatch, tmp_path)
    document = tmp_path / "reporter.json"
    document.write_text(json.dumps(REPORTER))
    ok(shell("org", "create", "Acme"))
    ok(shell("registry", "create", "Tools", "--org", "acme"))
    ok(shell("server", "add", str(document), *TOOLS))
    ok(shell("var", "set", "REGION", "eu", "--org", "acme"))
    ok(shell("member", "invite", BOB, "--org", "acme"))
    ok(shell("member", "accept", "--org", "acme", person=BOB))
    ok(shell("member", "grant", BOB, "secrets:write", "--org", "acme"))
    ok(shell("secret", "set", "API_KEY", *TOOLS, person=BOB, stdin=SECRET))
    return shell


def test_a_reader_runs_the_server_with_the_secret_opened_on_their_machine(
    shell: Shell, team: TeamServer
) -> None:
    found, wrong, region = shell.session(
        ANN,
        [
            ("value_matches", {"name": "API_KEY", "sha256": sha256(SECRET)}),
            ("value_matches", {"name": "API_KEY", "sha256": sha256(OWN)}),
            ("value_matches", {"name": "REGION", "sha256": sha256("eu")}),
        ],
    )
    assert (found, wrong, region) == (True, False, True)
    # audited as a local start is: one `secret.run` naming the keys and the server, no reveal
    events = [e for e in team.services.audit.list_for_org(ANN, "acme") if e.actor == ANN]
    runs = [e for e in events if e.action == "secret.run"]
    assert runs and all(e.metadata["keys"] == ["API_KEY"] for e in runs)
    assert all(e.metadata["servers"] == [NAME] for e in runs)
    assert "secret.reveal" not in {e.action for e in events}
    assert SECRET.encode() not in on_disk(team)


def test_check_and_call_against_the_server(
    shell: Shell, team: TeamServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("REPORTER_LEAKS", "API_KEY")  # the server quotes its key in a tool
    checked = json.loads(ok(shell("check", *TOOLS, "--json", passphrase=True)))
    assert [(r["server"], r["state"]) for r in checked] == [(NAME, "ok")]
    assert SECRET not in json.dumps(checked)
    # kept on the team server as ann's check, the value masked: every member sees the badge
    kept = team.services.checks.last_result(BOB, Scope("acme", "tools", NAME))
    assert kept is not None and (kept.state, kept.checked_by) == ("ok", ANN)
    leaky = next(t for t in kept.tools if t["name"] == "leaky")
    assert leaky["description"] == f"Calls the API with the key {MASK}"
    with RemoteServices.from_login(shell.logins[BOB]) as bobs:  # what bob's app reads
        badges = bobs.checks.last_results(BOB, Scope("acme", "tools"))
        assert badges[NAME].state == "ok" and badges[NAME].tools == kept.tools
        assert bobs.checks.registry_tokens(BOB, Scope("acme", "tools")) > 0
    assert "server.check" in [e.action for e in team.services.audit.list_for_org(ANN, "acme")]
    answer = shell(
        "call", NAME, "value_matches", *TOOLS,
        "--arg", "name=API_KEY", "--arg", f"sha256={sha256(SECRET)}",
        passphrase=True,
    )  # fmt: skip
    assert ok(answer) == "true\n"
    actions = [e.action for e in team.services.audit.list_for_org(ANN, "acme") if e.actor == ANN]
    assert {"secret.check", "secret.call"} <= set(actions)
    # without the passphrase and no terminal to ask on: one line naming PYLEE_PASSPHRASE
    locked = shell("check", *TOOLS)
    assert locked.code == 1 and "PYLEE_PASSPHRASE" in locked.err
    assert len(locked.err.splitlines()) == 1
    assert SECRET.encode() not in on_disk(team)


def test_a_writer_without_reveal_is_refused_but_runs_with_their_own_value(
    shell: Shell, team: TeamServer
) -> None:
    refused = shell.run(BOB)
    assert refused.returncode == 77, refused.stderr
    assert refused.stdout == ""  # the client's wire: never a message there
    assert refused.stderr.startswith("pylee-tui run: ")
    assert "cannot" in refused.stderr and "reveal secrets" in refused.stderr
    assert len(refused.stderr.splitlines()) == 1
    called = shell("call", NAME, "add", *TOOLS, "--arg", "a=1", person=BOB, passphrase=True)
    assert called.code == 1 and "reveal secrets" in called.err

    # his own API_KEY (the user scope) wins over the registry's: no grant needed to use it
    ok(shell("secret", "set", "API_KEY", "--org", "acme", "--user", person=BOB, stdin=OWN))
    own, org = shell.session(
        BOB,
        [
            ("value_matches", {"name": "API_KEY", "sha256": sha256(OWN)}),
            ("value_matches", {"name": "API_KEY", "sha256": sha256(SECRET)}),
        ],
    )
    assert (own, org) == (True, False)
    stored = on_disk(team)
    assert OWN.encode() not in stored and SECRET.encode() not in stored


def test_export_writes_client_files_that_start_the_server_through_the_team_server(
    shell: Shell, team: TeamServer, tmp_path: Path
) -> None:
    out = tmp_path / "claude.json"
    launcher = ("export", "--client", "claude", "--secrets", "launcher", *TOOLS, "--out", str(out))
    written = shell(*launcher)
    assert ok(written).startswith(f"Wrote {out}: added ")
    assert "PYLEE_PASSPHRASE" in written.err  # the note: what the client must give `run`
    text = out.read_text()
    assert SECRET not in text
    (entry,) = json.loads(text)["mcpServers"].values()
    assert entry["args"][-9:] == ["--server", team.url, "run", *TOOLS, NAME]
    assert "--db" not in entry["args"] and "--as" not in entry["args"]
    # the entry as a client starts it, with the team key's passphrase in its environment
    shell.as_person(ANN, passphrase=True)
    results, _said = anyio.run(
        lambda: as_a_client(
            entry["command"],
            entry["args"],
            dict(os.environ),
            lambda s: calls(s, [("value_matches", {"name": "API_KEY", "sha256": sha256(SECRET)})]),
            TIMEOUT,
        )
    )
    assert [r.structured_content["result"] for r in results] == [True]
    # again: the same file, the entry its own (remembered on this machine, not on the server)
    assert ok(shell(*launcher)) == f"No change: {out} already holds this export.\n"

    # the clients' files: the entry is told as ours, in sync; a hand edit is seen and synced
    def states() -> list[tuple[str, str]]:
        files = json.loads(ok(shell("clients", "status", "--json")))
        return [(e["name"], e["state"]) for f in files for e in f["entries"]]

    assert states() == [(entry_name := next(iter(json.loads(text)["mcpServers"])), "in sync")]
    out.write_text(text.replace('"run"', '"run", "--verbose"'))
    assert states() == [(entry_name, "changed by hand")]
    synced = ok(shell("clients", "sync", "claude", "--file", str(out)))
    assert synced.startswith(f"Synced {out} with acme/tools: replaced {entry_name}")
    assert states() == [(entry_name, "in sync")]
    assert json.loads(out.read_text())["mcpServers"][entry_name] == entry
    scanned = json.loads(ok(shell("clients", "scan", "--json")))
    assert {f["client"] for f in scanned} >= {"claude", "vscode"}

    # reference mode names the secret; inline opens it here, for a reader only
    referenced = ok(shell("export", "--client", "vscode", *TOOLS))
    assert "API_KEY" in referenced and SECRET not in referenced
    inline = shell("export", "--client", "claude", "--secrets", "inline", *TOOLS, passphrase=True)
    assert SECRET in ok(inline)
    refused = shell(
        "export", "--client", "claude", "--secrets", "inline", *TOOLS, person=BOB, passphrase=True
    )
    assert refused.code == 1 and "reveal secrets" in refused.err and SECRET not in refused.out
    events = team.services.audit.list_for_org(ANN, "acme")
    assert "secret.export" in [e.action for e in events]
    # each export written here is the server's `registry.export` event, as a local one is
    exports = [e for e in events if e.action == "registry.export" and e.actor == ANN]
    assert {(e.metadata["client"], e.metadata["secrets"]) for e in exports} >= {
        ("claude", "launcher"),
        ("vscode", "reference"),
        ("claude", "inline"),
    }
    inlined = next(e for e in exports if e.metadata["secrets"] == "inline")
    assert inlined.metadata["inlined_secrets"] == 1 and inlined.metadata["servers"] == [NAME]
    assert SECRET.encode() not in on_disk(team)
