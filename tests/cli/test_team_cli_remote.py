"""Every CLI command against a team server, or one honest line: after `join`, commands without
--db work on the server's store (as the login's person, whatever --as says); --db and PYLEE_DB
still mean a local store; --server URL and PYLEE_SERVER pick the server; a command that needs
what only a local store has is refused in one line before anything is done."""

from __future__ import annotations

import argparse
import io
import json
import re
from pathlib import Path

import pytest

from pylee_tui.cli import PROG, build_parser
from pylee_tui.cli.remote_guard import LOCAL_ONLY, NO_STORE, ROUTED, command_name, not_yet
from pylee_tui.paths import default_db_path
from pylee_tui.services import Scope
from pylee_tui.team import login, sealing
from pylee_tui.team.remote import RemoteServices
from tests.cli.expect import ok, one_error_line
from tests.cli.test_cli import leaf_commands
from tests.support import ANN, BOB, SEARCH, START, WEATHER, CliResult, CliRunner
from tests.team import conftest as team_conftest
from tests.team.conftest import TeamServer
from tests.team.test_server import free_port

team = team_conftest.team  # the fixture: a real team server, ann its first admin
PASSPHRASE = "correct horse battery staple"
ORG = ("--org", "acme")
CORE = (*ORG, "--registry", "core")
WEATHER_2 = WEATHER | {"description": "Weather, now with alerts", "version": "1.1.0"}


def log_in(team: TeamServer, email: str, url: str | None = None) -> login.SavedLogin:
    """Save a login for `email` (enrolled now, with a key pair of their own), as `join` does."""
    keys = sealing.new_key_pair()
    with team.services.store.transaction() as db:
        code = team.services.tokens.issue_code(db, email, ANN)
    issued = team.services.tokens.enrol(code, keys.public, "tests")
    team.tokens[email] = issued.token
    saved = login.SavedLogin(
        url=url or team.url,
        email=issued.email,
        token=issued.token,
        token_id=issued.token_id,
        expires_at=issued.expires_at,
        public_key=keys.public,
        protected_private_key=sealing.protect(keys.private, PASSPHRASE),
    )
    login.save(saved)
    return saved


class Remote:
    """Runs the CLI with no --db and no --as, as the person whose login is saved; records
    which commands ran."""

    def __init__(self, cli: CliRunner, team: TeamServer):
        self.cli, self.team = cli, team
        self.logins: dict[str, login.SavedLogin] = {}
        self.ran: set[str] = set()

    def __call__(self, *argv: str, person: str = ANN, stdin: str | None = None) -> CliResult:
        saved = self.logins.get(person)
        if saved is None:
            saved = self.logins[person] = log_in(self.team, person)
        login.save(saved)
        self.ran.add(command_name(build_parser(argv).parse_args(argv)))
        if stdin is None:
            return self.cli(*argv, db=False, user=None)
        with pytest.MonkeyPatch.context() as patch:
            patch.setattr("sys.stdin", io.StringIO(stdin))
            return self.cli(*argv, db=False, user=None)


@pytest.fixture
def remote(cli: CliRunner, team: TeamServer) -> Remote:
    return Remote(cli, team)


@pytest.fixture
def files(tmp_path: Path) -> Path:
    for name, doc in (("weather", WEATHER), ("weather2", WEATHER_2), ("search", SEARCH)):
        (tmp_path / f"{name}.json").write_text(json.dumps(doc))
    return tmp_path


# --- which store ------------------------------------------------------------------------------


def test_join_then_commands_without_db_land_in_the_servers_store(
    cli: CliRunner, team: TeamServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    with team.services.store.transaction() as db:
        code = team.services.tokens.issue_code(db, ANN, ANN)
    monkeypatch.setattr("sys.stdin", io.StringIO(PASSPHRASE + "\n"))
    ok(cli("join", team.url, code, "--passphrase-stdin", db=False, user=None))
    assert ok(cli("org", "create", "Acme", db=False, user=None)) == (
        "Created Acme (acme); you are its admin.\n"
    )
    assert [o.slug for o in team.services.orgs.list_orgs(ANN)] == ["acme"]
    assert "acme" in ok(cli("org", "list", db=False, user=None))
    assert ok(cli("whoami", db=False, user=None)) == f"{ANN}\n"
    assert not default_db_path().exists()  # nothing opened or made locally


def test_db_and_pylee_db_win_over_a_saved_login(
    remote: Remote, cli: CliRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    ok(remote("org", "create", "Acme"))
    assert "No organizations yet" in ok(cli("org", "list"))  # --db: the local store
    monkeypatch.setenv("PYLEE_DB", str(cli.db))
    assert "No organizations yet" in ok(cli("org", "list", db=False))
    monkeypatch.delenv("PYLEE_DB")
    assert "acme" in ok(cli("org", "list", db=False, user=None))


def test_server_option_and_pylee_server_pick_the_server_with_its_login(
    remote: Remote, cli: CliRunner, team: TeamServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    ok(remote("org", "create", "Acme"))
    assert "acme" in ok(cli("--server", team.url, "org", "list", db=False, user=None))
    assert "acme" in ok(cli("--server", team.url + "/", "org", "list", db=False, user=None))
    monkeypatch.setenv("PYLEE_SERVER", team.url)
    assert "acme" in ok(cli("org", "list", db=False, user=None))
    # --db still wins over both
    assert "No organizations yet" in ok(cli("--server", team.url, "org", "list"))
    other = f"http://127.0.0.1:{free_port()}"
    monkeypatch.setenv("PYLEE_SERVER", other)
    result = cli("org", "list", db=False, user=None)
    assert result.code == 1 and result.out == ""
    assert one_error_line(result) == (
        f"pylee-tui: no login for {other}: run `pylee-tui join {other} CODE` first"
    )
    monkeypatch.delenv("PYLEE_SERVER")
    login.delete()
    result = cli("--server", team.url, "org", "list", db=False, user=None)
    assert result.code == 1 and f"no login for {team.url}" in one_error_line(result)
    assert not default_db_path().exists()


def test_an_unreachable_server_is_one_line_naming_it(cli: CliRunner, team: TeamServer) -> None:
    gone = f"http://127.0.0.1:{free_port()}"
    log_in(team, ANN, url=gone)
    for argv in (("org", "list"), ("whoami",), ("org", "create", "Acme")):
        result = cli(*argv, db=False, user=None)
        assert result.code == 1 and result.out == ""
        assert one_error_line(result).startswith(
            f"pylee-tui: cannot reach the team server at {gone}: "
        )
    assert team.services.orgs.list_orgs(ANN) == []
    assert not default_db_path().exists()


def test_as_cannot_change_who_acts_against_a_server(
    remote: Remote, cli: CliRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    ok(remote("org", "create", "Acme"))
    result = cli("org", "create", "Beta", db=False, user=BOB)
    assert result.code == 1 and result.out == ""
    assert one_error_line(result) == (
        f"pylee-tui: against a team server you act as {ANN} (your login); --as cannot change that"
    )
    assert [o.slug for o in remote.team.services.orgs.list_orgs(ANN)] == ["acme"]
    assert "acme" in ok(cli("org", "list", db=False, user=ANN.upper()))  # the same person
    # PYLEE_USER names a local store's acting user: against a server it changes nothing
    monkeypatch.setenv("PYLEE_USER", BOB)
    assert "acme" in ok(cli("org", "list", db=False, user=None))
    assert ok(cli("whoami", db=False, user=None)) == f"{ANN}\n"


def test_the_app_opens_against_the_team_server_as_the_login(
    cli: CliRunner, team: TeamServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    opened: list[dict[str, object]] = []
    monkeypatch.setattr("pylee_tui.app.run_app", lambda **kw: opened.append(kw) or 0)
    log_in(team, ANN)
    assert cli(db=False, user=None).code == 0
    [kw] = opened
    remote = kw["remote"]
    assert isinstance(remote, RemoteServices) and remote.url == team.url
    assert remote.whoami() == ANN
    remote.close()
    other = cli("--as", BOB, db=False, user=None)  # --as cannot name someone else there
    assert other.code == 1 and len(opened) == 1
    assert "--as cannot change that" in one_error_line(other)
    assert cli(user=None).code == 0 and "remote" not in opened[1]  # --db: the local store


def test_a_damaged_login_is_one_line(cli: CliRunner) -> None:
    path = login.login_path()
    path.parent.mkdir(parents=True)
    path.write_text("{not json")
    result = cli("org", "list", db=False, user=None)
    assert result.code == 1
    assert one_error_line(result) == f"pylee-tui: {path} is not a pylee-tui team login (not JSON)"
    assert "No organizations yet" in ok(cli("org", "list"))  # --db does not read it


# --- every command works or says so ------------------------------------------------------------


def test_every_command_is_routed_refused_or_needs_no_store() -> None:
    local = set(LOCAL_ONLY)
    assert not (ROUTED & local) and not (ROUTED & NO_STORE) and not (local & NO_STORE)
    assert ROUTED | local | NO_STORE == leaf_commands()


def test_commands_needing_no_store_say_so_in_the_parser() -> None:
    """What NO_STORE lists is what the parser runs without a Context (so without a server)."""
    for command in sorted(NO_STORE | ROUTED | set(LOCAL_ONLY)):
        words = command.split()
        parser = build_parser(words)
        args = _parse_minimal(parser, words)
        assert bool(getattr(args, "without_store", False)) == (command in NO_STORE), command


def _parse_minimal(parser: argparse.ArgumentParser, words: list[str]) -> argparse.Namespace:
    """The command's defaults, without its required arguments: its parser's own defaults."""
    node = parser
    for word in words:
        sub = next(
            a for a in node._actions if isinstance(a, argparse._SubParsersAction)
        )  # a group's ACTION
        node = sub.choices[word]
    return argparse.Namespace(**{k: v for k, v in node._defaults.items()})


# the arguments each refused command needs to get past its parser
LOCAL_ONLY_ARGV: dict[str, tuple[str, ...]] = {
    "login": ("login", ANN),
    "serve init": ("serve", "init", "--email", ANN),
}


@pytest.mark.parametrize("command", sorted(LOCAL_ONLY))
def test_a_command_that_needs_a_local_store_is_refused_before_anything(
    cli: CliRunner, team: TeamServer, command: str
) -> None:
    gone = f"http://127.0.0.1:{free_port()}"  # refused before anything is sent: none answers
    log_in(team, ANN, url=gone)
    assert LOCAL_ONLY_ARGV.keys() == LOCAL_ONLY.keys()
    argv = LOCAL_ONLY_ARGV[command]
    parsed = build_parser(argv).parse_args(argv)
    assert command_name(parsed) == command
    result = cli(*argv, db=False, user=None)
    assert (result.code, result.out) == (1, "")
    assert one_error_line(result) == f"pylee-tui: {not_yet(command)}"
    assert not default_db_path().exists()


def test_the_routed_commands_work_against_a_real_server(
    remote: Remote, files: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every ROUTED command runs end to end (but the org key's own, tested with the vault)."""
    server = remote.team.services
    name = WEATHER["name"]
    # orgs, registries
    ok(remote("org", "create", "Acme", "--description", "The team"))
    assert "acme" in ok(remote("org", "list"))
    ok(remote("registry", "create", "Core", *ORG, "--slug", "core"))
    ok(remote("registry", "create", "Extra", *ORG, "--slug", "extra"))
    assert "core" in ok(remote("registry", "list", *ORG))
    # servers and their versions
    ok(remote("server", "add", str(files / "weather.json"), *CORE))
    assert [s.name for s in server.registries.list_servers(ANN, Scope("acme", "core"))] == [name]
    assert name in ok(remote("server", "list", *CORE))
    assert "Weather" in ok(remote("server", "show", name, *CORE))
    assert name in ok(remote("registry", "show", "core", *ORG))
    ok(remote("server", "edit", name, "--file", str(files / "weather2.json"), *CORE))
    ok(remote("server", "publish", name, *CORE))
    versions = ok(remote("server", "versions", name, *CORE))
    assert "1.0.0" in versions and "1.0.1" in versions
    assert "alerts" in ok(remote("server", "diff", name, "1.0.0", "1.0.1", *CORE))
    ok(remote("server", "pin", name, "1.0.0", *CORE))
    assert server.server_versions.state(ANN, Scope("acme", "core", name)).pinned == "1.0.0"
    ok(remote("server", "unpin", name, *CORE))
    ok(remote("server", "rollback", name, "1.0.0", *CORE))
    exported = files / "exported.json"
    ok(remote("server", "export", "--out", str(exported), *CORE))
    assert name in exported.read_text()
    ok(remote("server", "import", str(files / "search.json"), *ORG, "--registry", "extra"))
    ok(remote("server", "move", SEARCH["name"], "--to", "core", *ORG, "--registry", "extra"))
    ok(remote("server", "remove", SEARCH["name"], "--yes", *CORE))
    assert [s.name for s in server.registries.list_servers(ANN, Scope("acme", "core"))] == [name]
    # members
    assert f"{PROG} join {remote.team.url} " in ok(remote("member", "invite", BOB, *ORG))
    ok(remote("member", "accept", *ORG, person=BOB))
    ok(remote("member", "grant", BOB, "registries:write", *ORG))
    assert BOB in ok(remote("member", "list", *ORG))
    assert BOB in ok(remote("member", "review", *ORG))
    # approvals: bob's edit is a request ann decides
    remote.team.services.approvals.set_required(ANN, Scope("acme", "core"), True)  # NAME_COLLISION
    out = ok(
        remote("server", "edit", name, "--file", str(files / "weather.json"), *CORE, person=BOB)
    )
    number = re.search(r"#(\d+)", out)
    assert number, out
    assert f"{BOB}  " in ok(remote("request", "list", *ORG))
    assert name in ok(remote("request", "show", number[1]))
    ok(remote("request", "approve", number[1]))
    out = ok(
        remote("server", "edit", name, "--file", str(files / "weather2.json"), *CORE, person=BOB)
    )
    second = re.search(r"#(\d+)", out)
    assert second, out
    ok(remote("request", "reject", second[1], "--comment", "not now"))
    ok(remote("member", "revoke", BOB, "registries:write", *ORG))
    promoted = remote("member", "role", BOB, "admin", *ORG)
    assert promoted.code == 0, promoted.err  # acme's key (made with acme) not shared yet:
    assert "share it with `pylee-tui vault share --org acme`" in promoted.err  # ann's is locked
    # variables, their notes computed from the effective configuration the server sends
    ok(remote("var", "set", "LOG_LEVEL", "info", *ORG))
    assert ok(remote("var", "set", "LOG_LEVEL", "debug", *CORE)) == (
        "Set LOG_LEVEL at registry core of acme; it overrides org acme.\n"
    )
    assert ok(remote("var", "get", "LOG_LEVEL", *CORE)) == "debug\n"
    assert "LOG_LEVEL" in ok(remote("var", "list", *ORG))
    ok(remote("var", "set", "LOG_LEVEL", "warn", *ORG))
    assert "warn" in ok(remote("var", "history", "LOG_LEVEL", *ORG))
    ok(remote("var", "rollback", "LOG_LEVEL", "1", *ORG))
    assert server.variables.get_key(ANN, Scope("acme"), "LOG_LEVEL").value == "info"
    assert "now comes from org acme" in ok(remote("var", "unset", "LOG_LEVEL", *CORE))
    # secrets: sealed on this machine, opened on this machine (the end-to-end vault)
    assert "No secrets" in ok(remote("secret", "list", *ORG))
    monkeypatch.setenv("PYLEE_PASSPHRASE", PASSPHRASE)  # opens the login's key
    assert f"Shared the secrets key of acme with {BOB}." in ok(remote("vault", "share", *ORG))
    for value in ("s3cret-one", "s3cret-two"):
        remote("secret", "set", "API_KEY", *ORG, stdin=value)
    assert ok(remote("secret", "get", "API_KEY", "--reveal", *ORG)) == "s3cret-two\n"
    assert "API_KEY" in ok(remote("secret", "list", *ORG))
    assert "current" in ok(remote("secret", "history", "API_KEY", *ORG))
    ok(remote("secret", "rollback", "API_KEY", "1", *ORG))
    assert ok(remote("secret", "get", "API_KEY", "--reveal", *ORG)) == "s3cret-one\n"
    masked = ok(remote("env", *ORG))
    assert "API_KEY" in masked and "s3cret" not in masked
    revealed = ok(remote("env", *ORG, "--reveal", "--format", "dotenv"))
    assert "API_KEY='s3cret-one'\nLOG_LEVEL='info'\n" in revealed
    ok(remote("secret", "unset", "API_KEY", *ORG))
    assert_no_plaintext(remote.team, b"s3cret-one", b"s3cret-two")
    # audit, clone, diff, fork
    log = ok(remote("audit", *ORG))
    assert "variable.rollback" in log and "server.publish" in log and "request.approve" in log
    assert "org.create" in ok(remote("audit", "--action", "org."))
    ok(remote("org", "clone", "acme", "Acme Staging", "--slug", "staging"))
    assert "Acme Staging" in ok(remote("org", "show", "staging"))
    # a clone's org has its secrets key from the start, as a created one (its secrets: missing)
    assert "secrets key generation 1" in ok(remote("vault", "status", "--org", "staging"))
    ok(remote("org", "diff", "acme", "staging"))
    ok(remote("registry", "delete", "extra", "--yes", *ORG))
    ok(remote("org", "delete", "staging", "--yes"))
    # tokens, who acts, and removal
    assert ok(remote("whoami")) == f"{ANN}\n"
    bob = remote.logins[BOB]
    assert f"{bob.token_id}" in ok(remote("token", "list", "--all"))
    ok(remote("token", "revoke", str(bob.token_id)))
    result = remote("org", "list", person=BOB)
    assert result.code == 1 and "the token is not valid" in one_error_line(result)
    # no longer an admin: bob may not read acme's secrets, so ann's client rotates its key
    result = remote("member", "role", BOB, "member", *ORG)
    assert result.code == 0 and "rotated the secrets key of acme" in result.err
    ok(remote("member", "remove", BOB, "--yes", *ORG))
    assert f"{BOB}  member  revoked" in ok(remote("member", "list", *ORG))
    # `vault status|share|rotate` (an org's key) have their own tests: tests/team/test_team_vault*;
    # `vault passwd` (the team key's passphrase): tests/team/test_team_passwd_demo.py
    vault = {c for c in ROUTED if c.startswith("vault ")}
    # `run`, `check`, `call` and `export` (servers started, client files written on this
    # machine) have their own tests: tests/team/test_team_run_cli.py; `clients import` and
    # `adopt` (a client file into the server's registry): tests/team/test_team_clients.py
    launch = {"run", "check", "call", "export"} | {c for c in ROUTED if c.startswith("clients ")}
    # `demo` (orgs made here, copied up sealed): tests/team/test_team_passwd_demo.py
    # `agent start` (the team key held in memory): tests/team/test_team_agent.py
    left = ROUTED - vault - launch - NAME_COLLISION - {"demo", "agent start"}
    assert remote.ran >= left, sorted(left - remote.ran)
    assert not default_db_path().exists()


def assert_no_plaintext(team: TeamServer, *values: bytes) -> None:
    """The server's database and its WAL hold none of the values."""
    db = team.services.store.path
    for suffix in ("", "-wal"):
        path = Path(f"{db}{suffix}")
        if path.exists():
            data = path.read_bytes()
            assert not [v for v in values if v in data], path


# methods that take a keyword `name` (orgs.edit, forks.fork): RemoteService._call takes the
# method's own name positional-only, so they travel (tested on their own below)
NAME_COLLISION = frozenset({"org edit", "registry edit", "registry fork"})


def test_commands_whose_method_takes_a_name_work_against_a_server(remote: Remote) -> None:
    ok(remote("org", "create", "Acme"))
    ok(remote("org", "create", "Beta"))
    ok(remote("registry", "create", "Core", *ORG, "--slug", "core"))
    ok(remote("org", "edit", "acme", "--name", "Acme Inc", "--description", "Our team"))
    org = remote.team.services.orgs.get_org(ANN, "acme")
    assert (org.name, org.description) == ("Acme Inc", "Our team")
    assert ok(remote("registry", "edit", "core", *ORG, "--require-approval", "on")) == (
        "Registry core in acme requires approval of changes.\n"
    )
    assert remote.team.services.approvals.requires_approval(ANN, Scope("acme", "core"))
    ok(remote("registry", "fork", "acme/core", "--into", "beta", "--name", "Core fork"))
    assert "Core fork" in ok(remote("registry", "list", "--org", "beta"))
    assert remote.ran == NAME_COLLISION | {"org create", "registry create", "registry list"}


def test_json_answers_against_a_server_are_those_of_its_store(
    remote: Remote, cli: CliRunner, files: Path
) -> None:
    """Every --json read says the same against the server as on the server's database file."""
    name = WEATHER["name"]
    ok(remote("org", "create", "Acme"))
    ok(remote("registry", "create", "Core", *ORG, "--slug", "core"))
    ok(remote("server", "add", str(files / "weather.json"), *CORE))
    ok(remote("server", "edit", name, "--file", str(files / "weather2.json"), *CORE))
    ok(remote("var", "set", "LOG_LEVEL", "info", *ORG))
    ok(remote("var", "set", "LOG_LEVEL", "debug", *ORG))
    ok(remote("member", "invite", BOB, *ORG))
    ok(remote("org", "clone", "acme", "Staging", "--slug", "staging", "--json"))
    remote.team.services.approvals.set_required(ANN, Scope("acme", "core"), True)  # NAME_COLLISION
    ok(remote("member", "accept", *ORG, person=BOB))
    ok(remote("member", "grant", BOB, "registries:write", *ORG))
    ok(remote("server", "edit", name, "--file", str(files / "weather.json"), *CORE, person=BOB))
    reads = [
        ("org", "list"),
        ("org", "show", "acme"),
        ("org", "diff", "acme", "staging"),
        ("audit", *ORG),
        ("audit",),
        ("registry", "list", *ORG),
        ("registry", "show", "core", *ORG),
        ("request", "list", "--state", "all"),
        ("request", "show", "1"),
        ("member", "list", *ORG),
        ("server", "list", *CORE),
        ("server", "show", name, *CORE),
        ("server", "versions", name, *CORE),
        ("var", "list", *ORG),
        ("var", "history", "LOG_LEVEL", *ORG),
        ("secret", "list", *ORG),
        ("env", *ORG),
        ("env", *CORE, "--server", name),
    ]
    served = remote.team.services.store.path
    for argv in reads:
        there = ok(remote(*argv, "--json"))
        assert there == ok(cli(*argv, "--json", db=served, user=ANN)), argv
        try:
            json.loads(there)
        except ValueError:
            raise AssertionError((argv, there)) from None
    # a review and a token's state are as of now: the server's clock is the test's
    tokens = json.loads(ok(remote("token", "list", "--all", "--json")))
    assert {t["email"] for t in tokens if t["alive"]} == {ANN, BOB}
    review = json.loads(ok(remote("member", "review", *ORG, "--json")))
    assert review["checked_at"].startswith(START.date().isoformat())
    assert sorted(m["email"] for m in review["members"]) == [ANN, BOB]


@pytest.mark.parametrize(
    ("argv", "code", "message"),
    [
        (("--server",), 2, "argument --server: expected one argument"),
        (("--server", "pylee.example.com", "org", "list"), 1, "is not an http(s) URL"),
        (("--server", "http://pylee.example.com", "org", "list"), 1, "over https, not http"),
        (("--server", "https://a.example/?x=1", "org", "list"), 1, "has no query, fragment"),
        (("org", "list", "--server", "https://a.example"), 2, "unrecognized arguments"),
    ],
)
def test_a_bad_server_option_is_one_line(
    cli: CliRunner, argv: tuple[str, ...], code: int, message: str
) -> None:
    result = cli(*argv, db=False, user=None)
    assert (result.code, result.out) == (code, "")
    assert message in one_error_line(result)
    assert not default_db_path().exists()
