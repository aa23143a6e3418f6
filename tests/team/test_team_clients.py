"""`clients import` and `clients adopt` against a team server (issue 18): the client file is read
on the member's machine, its servers, variables and secrets land in the team server's registry
in one transaction, each secret sealed on the member's machine (a writer who may not read
secrets imports them and still cannot read one back); the server's files never hold a value;
refusals are one line with nothing written; a write racing the import makes it retry, not
mis-seal; an adopt is one transaction on the server too."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from pylee_tui.services import Scope
from pylee_tui.services.clients.model import SealedItem
from pylee_tui.services.clients.sealed import IDS_CHANGED
from pylee_tui.services.errors import Conflict
from pylee_tui.team import remote_clients
from tests.clients.machine import INLINE_SECRETS, copy_machine
from tests.fixtures.mcp_servers import server_json
from tests.support import ANN, BOB, CliRunner
from tests.team.conftest import TeamServer
from tests.team.shell import TeamShell, ok, on_disk, one_line

ORG = ("--org", "acme")
TOOLS = (*ORG, "--registry", "tools")
GITHUB = "com.npmjs.modelcontextprotocol/github"
TOKEN = INLINE_SECRETS[0]  # github's GITHUB_PERSONAL_ACCESS_TOKEN in the machine's claude file
SEARCH = "sk-search-FAKE-2718-never-on-the-server"


@pytest.fixture
def shell(
    cli: CliRunner, team: TeamServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> TeamShell:
    """ann (admin) made acme/tools (its secrets key made with it); bob may write servers and
    secrets there (not variables: admins only), but not read a secret; the machine's client
    files are in a fake home."""
    home, project = copy_machine(tmp_path, monkeypatch)
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.chdir(project)
    monkeypatch.setattr(Path, "home", classmethod(lambda cls: home))
    shell = TeamShell(cli, team, monkeypatch)
    ok(shell("org", "create", "Acme"))
    ok(shell("registry", "create", "Tools", *ORG))
    ok(shell("member", "invite", BOB, *ORG))
    ok(shell("member", "accept", *ORG, person=BOB))
    for grant in ("registries:write", "secrets:write"):
        ok(shell("member", "grant", BOB, grant, *ORG))
    return shell


def servers(team: TeamServer) -> list[str]:
    return sorted(
        s.name for s in team.services.registries.list_servers(ANN, Scope("acme", "tools"))
    )


def test_an_import_lands_on_the_server_with_its_secrets_sealed(
    shell: TeamShell, team: TeamServer
) -> None:
    out = ok(shell("clients", "import", "claude", *TOOLS))
    assert f"github -> npm {GITHUB}; 1 variable; 1 secret into the vault" in out.splitlines()
    assert "Imported 6 servers into acme/tools; 2 drafts to fix: " in out
    assert len(servers(team)) == 6
    github = (*TOOLS, "--server", GITHUB)
    revealed = ok(shell("secret", "get", "GITHUB_PERSONAL_ACCESS_TOKEN", *github, "--reveal",
                        "--raw", passphrase=True))  # fmt: skip
    assert revealed == TOKEN + "\n"
    assert ok(shell("var", "get", "GITHUB_API_URL", *github)).strip() == "https://api.github.com"
    stored = on_disk(team)
    assert not [s for s in INLINE_SECRETS if s.encode() in stored]
    actions = [e.action for e in team.services.audit.list_for_org(ANN, "acme")]
    assert actions.count("secret.set") == 3

    # again: refused whole, as locally, until --replace; then rewritten to launcher entries
    again = shell("clients", "import", "claude", *TOOLS)
    assert "(pass --replace to import over them)" in one_line(again)
    rewritten = ok(shell("clients", "import", "claude", *TOOLS, "--replace", "--rewrite",
                         "launcher"))  # fmt: skip
    assert "(6 replaced)" in rewritten and "Rewrote " in rewritten
    path = Path.home() / ".config" / "Claude" / "claude_desktop_config.json"
    entry = json.loads(path.read_text())["mcpServers"]["github"]
    assert entry["args"][:3] == ["--server", team.url, "run"]
    assert TOKEN not in path.read_text()
    assert len(servers(team)) == 6
    assert ok(shell("secret", "get", "GITHUB_PERSONAL_ACCESS_TOKEN", *github, "--reveal",
                    "--raw", passphrase=True)) == TOKEN + "\n"  # fmt: skip
    # the rewritten file is ours by this machine's record: in sync
    status = ok(shell("clients", "status"))
    assert "github" in status and "changed by hand" not in status


def test_a_writer_imports_a_secret_they_cannot_read_back(
    shell: TeamShell, team: TeamServer, tmp_path: Path
) -> None:
    file = tmp_path / "theirs.json"
    file.write_text(json.dumps({"mcpServers": {"search": {
        "command": "npx", "args": ["-y", "acme-search@1.2.0"], "env": {"SEARCH_API_KEY": SEARCH},
    }}}))  # fmt: skip
    out = ok(shell("clients", "import", "claude", *TOOLS, "--file", str(file), person=BOB))
    assert "search -> npm com.npmjs/search; 1 secret into the vault" in out
    where = (*TOOLS, "--server", "com.npmjs/search")
    refused = shell("secret", "get", "SEARCH_API_KEY", *where, "--reveal", person=BOB,
                    passphrase=True)  # fmt: skip
    assert "cannot reveal secrets" in one_line(refused)
    assert ok(shell("secret", "get", "SEARCH_API_KEY", *where, "--reveal", "--raw",
                    passphrase=True)) == SEARCH + "\n"  # fmt: skip
    assert SEARCH.encode() not in on_disk(team)


def test_refusals_are_one_line_and_write_nothing(shell: TeamShell, team: TeamServer) -> None:
    refused = shell("clients", "import", "claude", *TOOLS, person=BOB)
    assert "cannot change variables" in one_line(refused)
    ok(shell("registry", "create", "Locked", *ORG))
    ok(shell("registry", "edit", "locked", *ORG, "--require-approval", "on"))
    waiting = shell("clients", "import", "claude", *ORG, "--registry", "locked", "--entry",
                    "fetch", person=BOB)  # fmt: skip
    assert "requires approval" in one_line(waiting)
    assert servers(team) == []
    assert team.services.registries.list_servers(ANN, Scope("acme", "locked")) == []


def test_a_write_racing_the_import_makes_it_seal_again(
    shell: TeamShell, team: TeamServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Another member adds a server between the ids being named and the import being made:
    the import is refused whole (the ids moved), asked again and sealed to the right ids."""
    sealed = remote_clients._sealed
    raced: list[str] = []

    def racing(*args):
        if not raced:
            document = server_json("pylee-fixture-raced")
            team.services.registries.add_server(ANN, Scope("acme", "tools"), document)
            raced.append(document["name"])
        return sealed(*args)

    monkeypatch.setattr(remote_clients, "_sealed", racing)
    ok(shell("clients", "import", "claude", *TOOLS, "--entry", "github"))
    assert raced and servers(team) == sorted([GITHUB, *raced])
    revealed = ok(shell("secret", "get", "GITHUB_PERSONAL_ACCESS_TOKEN", *TOOLS, "--server",
                        GITHUB, "--reveal", "--raw", passphrase=True))  # fmt: skip
    assert revealed == TOKEN + "\n"


def test_a_stale_id_is_refused_with_nothing_written(team: TeamServer) -> None:
    """The server's own check: secrets sealed to ids that are no longer right are refused whole."""
    s = team.services
    s.orgs.create(ANN, "Acme")
    s.registries.create(ANN, "acme", "Tools")
    document = server_json("pylee-fixture-x")
    item = SealedItem("x", document["name"], document, variables={"REGION": "eu"})
    targets = s.clients.import_targets(ANN, "acme", "tools", [item], [], "test")
    assert servers(team) == []  # the rehearsal left nothing
    assert [e.action for e in s.audit.list_for_org(ANN, "acme")].count("server.import") == 0
    item.secret_keys, item.sealed = ["API_KEY"], {"API_KEY": b"\x02" + b"\x00" * 80}
    stale = {document["name"]: targets.server_ids[document["name"]] + 1}
    with pytest.raises(Conflict, match=IDS_CHANGED):
        s.clients.import_sealed(ANN, "acme", "tools", [item], [], "test", 1, stale)
    assert servers(team) == []


def test_adopt_takes_a_hand_edit_into_the_server_with_a_new_secret_sealed(
    shell: TeamShell, team: TeamServer, tmp_path: Path
) -> None:
    document = server_json("pylee-fixture-weather", env=[{"name": "REGION"}])
    file = tmp_path / "weather.json"
    file.write_text(json.dumps(document))
    ok(shell("server", "add", str(file), *TOOLS))
    out = tmp_path / "cursor.json"
    export = ("export", "--client", "cursor", "--secrets", "reference", *TOOLS, "--out", str(out))
    ok(shell(*export))
    written = json.loads(out.read_text())
    (name,) = written["mcpServers"]
    entry = written["mcpServers"][name]
    entry["args"] = [a.replace("==1.0.0", "==1.1.0") for a in entry["args"]]
    entry.setdefault("env", {})["WEATHER_TOKEN"] = SEARCH
    out.write_text(json.dumps(written, indent=2))

    adopted = ok(shell("clients", "adopt", "cursor", name, "--file", str(out), person=BOB))
    assert "1.0.0 -> 1.1.0" in adopted and "WEATHER_TOKEN: a new secret in the vault" in adopted
    assert "published as version 1.1.0" in adopted
    shown = ok(shell("server", "show", *TOOLS, document["name"], "--json"))
    assert "1.1.0" in shown
    where = (*TOOLS, "--server", document["name"])
    assert ok(shell("secret", "get", "WEATHER_TOKEN", *where, "--reveal", "--raw",
                    passphrase=True)) == SEARCH + "\n"  # fmt: skip
    assert SEARCH.encode() not in on_disk(team)
    status = ok(shell("clients", "status"))
    assert name in status and "changed by hand" not in status
    again = shell("clients", "adopt", "cursor", name, "--file", str(out), person=BOB)
    assert "only an entry changed by hand can be adopted" in one_line(again)


def test_the_new_calls_refuse_over_http_as_the_local_rules_do(
    shell: TeamShell, team: TeamServer
) -> None:
    """Through the server with real tokens: a plain member may not import or adopt, someone
    outside the org does not see it (404), and a check or an export is recorded only for a
    member, with the same messages the local services give."""
    from pylee_tui.runtime.probe import CheckResult
    from pylee_tui.services.clients.model import AdoptChange
    from pylee_tui.services.errors import NotFound, PermissionDenied
    from pylee_tui.services.export.service import ExportEvent
    from pylee_tui.team.remote import RemoteService, RemoteServices

    ok(shell("member", "invite", "dan@example.com", *ORG))
    ok(shell("member", "accept", *ORG, person="dan@example.com"))  # a plain member
    ok(shell("org", "create", "Other"))  # ola belongs there only: acme is not hers to see
    ok(shell("member", "invite", "ola@example.com", "--org", "other"))
    ok(shell("member", "accept", "--org", "other", person="ola@example.com"))
    outsider = shell.logins["ola@example.com"]
    document = server_json("pylee-fixture-x")
    item = SealedItem("x", document["name"], document)
    result = CheckResult(document["name"], "ok", registry="tools")
    event = ExportEvent("acme", "tools", "claude", "-", [], "launcher", 0)
    change = AdoptChange(document=document)
    where = Scope("acme", "tools", document["name"])
    dan = shell.logins["dan@example.com"]
    with RemoteServices.from_login(dan) as member:
        clients = RemoteService(member.connection, "clients")
        with pytest.raises(PermissionDenied, match="cannot import servers"):
            clients.import_targets("x", "acme", "tools", [item], [], "t")
        with pytest.raises(PermissionDenied, match="cannot import servers"):
            clients.import_sealed("x", "acme", "tools", [item], [], "t")
        with pytest.raises(PermissionDenied, match="cannot edit a server in 'acme'"):
            clients.adopt_sealed("x", where, change)
        member.export.record_event("x", event)  # a member may export: recorded as theirs
    with RemoteServices.from_login(outsider) as ola:
        clients = RemoteService(ola.connection, "clients")
        for call in (
            lambda: clients.import_targets("x", "acme", "tools", [item], [], "t"),
            lambda: RemoteService(ola.connection, "checks").record("x", "acme", [result]),
            lambda: ola.export.record_event("x", event),
        ):
            with pytest.raises(NotFound, match="acme"):
                call()
    assert servers(team) == []
    exports = [
        e for e in team.services.audit.list_for_org(ANN, "acme") if e.action == "registry.export"
    ]
    assert [e.actor for e in exports] == ["dan@example.com"]
