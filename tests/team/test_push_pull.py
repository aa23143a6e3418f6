"""`push` and `pull`: a local org moved to a team server (its secrets re-sealed on the way, by the
pusher's machine) and copied back down into a fresh local store, over a real server."""

from __future__ import annotations

import io
import json
import shutil
from pathlib import Path

import pytest

from pylee_tui.services import Services
from pylee_tui.services.scope import Scope
from pylee_tui.store import Store
from pylee_tui.team import login
from tests.support import ANN, BOB, CliResult, CliRunner, server_doc
from tests.team.conftest import TeamServer
from tests.team.shell import saved_login

VALUE = "sk-live-9d2e-pushed-sealed"
TEAM_PASSPHRASE = "the team key passphrase of ann"
LOCAL_PASSPHRASE = "the local vault passphrase of ann"
WEATHER = "io.github.acme/weather"
FILES = "io.github.acme/files"
BROKEN = "io.github.acme/broken"


def local_org(path: Path) -> None:
    """A local org `acme`: a registry requiring approval with two servers (one with two
    published versions and pinned at the first), a fork of it, a variable and a secret."""
    store = Store(path)
    try:
        services = Services(store)
        services.orgs.create(ANN, "Acme", slug="acme", overview="# Acme\n")
        services.registries.create(ANN, "acme", "Tools", slug="tools", description="our tools")
        tools = Scope("acme", "tools")
        services.registries.add_server(ANN, tools, server_doc(WEATHER, "1.0.0"))
        services.registries.edit_server(
            ANN, Scope("acme", "tools", WEATHER), server_doc(WEATHER, "1.0.0", "Weather, v2")
        )
        services.server_versions.publish(ANN, Scope("acme", "tools", WEATHER), version="1.1.0")
        services.server_versions.pin(ANN, Scope("acme", "tools", WEATHER), "1.0.0")
        services.registries.add_server(ANN, tools, server_doc(FILES, "0.3.0"))
        # unpublished changes, and a draft never published
        services.registries.edit_server(
            ANN, Scope("acme", "tools", FILES), server_doc(FILES, "0.3.0", "Files, unpublished")
        )
        services.registries.add_server(ANN, tools, {"name": BROKEN}, allow_draft=True)
        services.registries.edit(ANN, tools, overview="Our tools.\n")
        services.forks.fork(ANN, tools, "acme", name="Tools fork", slug="tools-fork")
        forked = Scope("acme", "tools-fork", WEATHER)
        services.variables.set_key(ANN, forked, "REGION", "eu-west")
        services.approvals.set_required(ANN, tools, True)
        services.variables.set_key(ANN, Scope("acme"), "LOG_LEVEL", "debug")
        services.vault.unlock_or_initialize(ANN, LOCAL_PASSPHRASE)
        services.variables.set_key(ANN, Scope("acme", "tools"), "API_KEY", VALUE, kind="secret")
    finally:
        store.close()


class Team:
    """People's saved logins on the test server (each their own key), and the CLI as them."""

    def __init__(self, cli: CliRunner, team: TeamServer, monkeypatch: pytest.MonkeyPatch):
        self.cli, self.team, self.monkeypatch = cli, team, monkeypatch
        self.logins: dict[str, login.SavedLogin] = {}

    def join(self, email: str) -> login.SavedLogin:
        return saved_login(self.team, email, TEAM_PASSPHRASE)

    def __call__(
        self,
        *argv: str,
        db: Path | bool = True,
        passphrase: str | None = None,
        person: str | None = ANN,
    ) -> CliResult:
        if person is None:
            login.delete()
        else:
            if person not in self.logins:
                self.logins[person] = self.join(person)
            login.save(self.logins[person])
        self.monkeypatch.setattr("sys.stdin", io.StringIO(""))
        if passphrase is None:
            self.monkeypatch.delenv("PYLEE_PASSPHRASE", raising=False)
        else:
            self.monkeypatch.setenv("PYLEE_PASSPHRASE", passphrase)
        return self.cli(*argv, db=db, user=None if db is False else (person or ANN))


@pytest.fixture(scope="module")
def made_once(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """`local_org` made once (its vault's key derivation is most of its cost), copied per test."""
    path = tmp_path_factory.mktemp("local") / "pylee.db"
    local_org(path)
    return path


@pytest.fixture
def shell(
    cli: CliRunner, team: TeamServer, monkeypatch: pytest.MonkeyPatch, made_once: Path
) -> Team:
    cli.db.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(made_once, cli.db)
    return Team(cli, team, monkeypatch)


def on_disk(team: TeamServer) -> bytes:
    path = Path(team.services.store.path)
    return b"".join(p.read_bytes() for p in (path, Path(f"{path}-wal")) if p.exists())


def one_line(result: CliResult) -> str:
    assert result.code == 1 and len(result.err.splitlines()) == 1, result
    return result.err


def test_push_then_pull_round_trip(
    shell: Team, team: TeamServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    pushed = shell("push", "--org", "acme", passphrase=LOCAL_PASSPHRASE)
    assert pushed.code == 0, pushed.err
    progress = capsys.readouterr().err
    assert f"pushing org acme to {team.url} as acme" in progress
    assert "created org acme" in progress
    assert "1 secret sealed to the new org's key, on this machine." in pushed.out
    assert "Members are not pushed" in pushed.out

    # the server holds the org, its versions, pin, fork and approval rule, and no plaintext
    server = team.services
    assert server.orgs.get_org(ANN, "acme").overview == "# Acme\n"
    state = server.server_versions.state(ANN, Scope("acme", "tools", WEATHER))
    assert [v.version for v in state.versions] == ["1.0.0", "1.1.0"]
    assert state.pinned == "1.0.0"
    assert server.forks.fork_of(ANN, Scope("acme", "tools-fork")) == "acme/tools"
    assert set(server.forks.upstreams(ANN, Scope("acme", "tools-fork"))) == {WEATHER, FILES}
    assert server.approvals.requires_approval(ANN, Scope("acme", "tools"))
    assert server.registries.get_registry(ANN, Scope("acme", "tools")).overview == "Our tools.\n"
    files = Scope("acme", "tools", FILES)
    assert server.server_versions.state(ANN, files).changed
    assert server.registries.get_server(ANN, files).description == "Files, unpublished"
    assert server.registries.drafts(ANN, "acme") == [("tools", BROKEN)]
    region = server.variables.get_key(ANN, Scope("acme", "tools-fork", WEATHER), "REGION")
    assert region.value == "eu-west"
    assert VALUE.encode() not in on_disk(team)

    # a reader on the server opens it with her team key
    revealed = shell(
        "secret", "get", "API_KEY", "--reveal", "--org", "acme", "--registry", "tools",
        db=False, passphrase=TEAM_PASSPHRASE,
    )  # fmt: skip
    assert (revealed.code, revealed.out) == (0, f"{VALUE}\n"), revealed.err

    # pulled down into a fresh local store, where the local vault opens it
    fresh = tmp_path / "fresh.db"
    pulled = shell(
        "--db", str(fresh), "pull", "--org", "acme", db=False, passphrase=TEAM_PASSPHRASE
    )
    assert pulled.code == 0, pulled.err
    assert "1 secret sealed into the local vault." in pulled.out
    got = shell(
        "secret", "get", "API_KEY", "--reveal", "--org", "acme", "--registry", "tools",
        db=fresh, passphrase=TEAM_PASSPHRASE,
    )  # fmt: skip
    assert (got.code, got.out) == (0, f"{VALUE}\n"), got.err
    listed = json.loads(
        shell("server", "versions", WEATHER, "--org", "acme", "--registry", "tools", "--json",
              db=fresh).out
    )  # fmt: skip
    assert [v["version"] for v in listed["versions"]] == ["1.0.0", "1.1.0"]
    again = shell("--db", str(fresh), "pull", "--org", "acme", db=False, passphrase=TEAM_PASSPHRASE)
    assert "org acme already exists in the local store" in one_line(again)
    assert "--into-slug" in again.err


def test_an_org_already_on_the_server_is_refused_and_nothing_made(
    shell: Team, team: TeamServer
) -> None:
    team.services.orgs.create(ANN, "Theirs", slug="acme")
    before = team.services.registries.list_registries(ANN, "acme")
    refused = shell("push", "--org", "acme", passphrase=LOCAL_PASSPHRASE)
    assert "org acme already exists on" in one_line(refused)
    assert "--as-slug" in refused.err
    assert team.services.registries.list_registries(ANN, "acme") == before
    assert [o.slug for o in team.services.orgs.list_orgs(ANN)] == ["acme"]


# (command, argv, the person logged in (None: nobody), PYLEE_PASSPHRASE, exit code)
BAD_INPUT = [
    ("push", ("push",), ANN, LOCAL_PASSPHRASE, 2),
    ("push", ("push", "--org", "acme", "extra"), ANN, LOCAL_PASSPHRASE, 2),
    ("push", ("push", "--org", "acme"), None, LOCAL_PASSPHRASE, 1),
    ("push", ("push", "--org", "nope"), ANN, LOCAL_PASSPHRASE, 1),
    ("push", ("push", "--org", "acme"), ANN, None, 1),  # the local vault locked: no terminal
    ("push", ("push", "--org", "acme"), ANN, "not the passphrase", 1),
    ("push", ("push", "--org", "acme", "--as-slug", "Bad Slug"), ANN, LOCAL_PASSPHRASE, 1),
    ("push", ("push", "--org", "acme", "--server", "http://pylee.example.com"), ANN, None, 1),
    ("push", ("push", "--org", "acme", "--server", "http://127.0.0.1:1"), ANN, None, 1),
    ("pull", ("pull",), ANN, TEAM_PASSPHRASE, 2),
    ("pull", ("pull", "--org", "acme"), None, TEAM_PASSPHRASE, 1),
    ("pull", ("pull", "--org", "acme"), ANN, TEAM_PASSPHRASE, 1),  # not on the server
    ("pull", ("pull", "--org", "acme", "--server", "ftp://x"), ANN, TEAM_PASSPHRASE, 1),
]


@pytest.mark.parametrize(
    ("command", "argv", "person", "passphrase", "code"),
    BAD_INPUT,
    ids=[f"{i:02d} {' '.join(argv)[:40]}" for i, (_, argv, *_) in enumerate(BAD_INPUT)],
)
def test_bad_input_is_one_line_and_copies_nothing(
    shell: Team, team: TeamServer, command, argv, person, passphrase, code
) -> None:
    result = shell(*argv, person=person, passphrase=passphrase)
    assert result.code == code, result
    assert len(result.err.splitlines()) == 1 and result.out == "", result
    assert team.services.orgs.list_orgs(ANN) == []
    store = Store(shell.cli.db)
    try:
        assert [o.slug for o in Services(store).orgs.list_orgs(ANN)] == ["acme"]
    finally:
        store.close()


def test_a_member_who_cannot_read_secrets_pulls_the_rest(
    shell: Team, team: TeamServer, tmp_path: Path
) -> None:
    assert shell("push", "--org", "acme", passphrase=LOCAL_PASSPHRASE).code == 0
    team.services.members.invite(ANN, "acme", BOB)
    shell.logins[BOB] = shell.join(BOB)
    team.services.members.accept(BOB, "acme")

    fresh = tmp_path / "bob.db"
    pulled = shell("--db", str(fresh), "pull", "--org", "acme", db=False, person=BOB)
    assert pulled.code == 0, pulled.err
    assert "0 secrets sealed into the local vault; 1 left unset." in pulled.out
    assert "unset: secret API_KEY at registry tools\n" in pulled.out
    assert f"(unset because: you ({BOB}) cannot copy secrets in 'acme'" in pulled.out
    env = shell("env", "--org", "acme", "--registry", "tools", db=fresh, person=BOB)
    assert "API_KEY  at registry tools" in env.out
    assert "LOG_LEVEL" in env.out


def test_a_push_stopped_midway_says_what_is_there_and_how_to_remove_it(
    shell: Team, team: TeamServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    from pylee_tui.team.remote import Unreachable

    def gone(*_args: object) -> None:
        raise Unreachable(f"cannot reach the team server at {team.url}: connection refused")

    monkeypatch.setattr("pylee_tui.team.vault_client.RemoteVault.put_secret", gone)
    stopped = one_line(shell("push", "--org", "acme", passphrase=LOCAL_PASSPHRASE))
    assert "stopped at the variables and secrets: cannot reach the team server" in stopped
    assert "org acme with 2 registries, 5 servers" in stopped
    undo = f"pylee-tui --server {team.url} org delete acme --yes"
    assert undo in stopped
    monkeypatch.undo()
    removed = shell(*undo.split()[1:], db=False)
    assert removed.code == 0, removed.err
    assert shell("push", "--org", "acme", passphrase=LOCAL_PASSPHRASE).code == 0


def test_a_dry_run_sends_nothing(shell: Team, team: TeamServer) -> None:
    dry = shell("push", "--org", "acme", "--dry-run")
    assert dry.code == 0, dry.err
    assert "2 registries, 5 servers, 2 variables, 1 secret. Nothing was sent." in dry.out
    assert team.services.orgs.list_orgs(ANN) == []
