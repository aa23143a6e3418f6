"""The CLI end to end, through `main(argv)` and once through a real subprocess."""

from __future__ import annotations

import io
import json
import os
import random
import shutil
import sqlite3
import subprocess
import sys
import time
from datetime import datetime, timedelta
from pathlib import Path

import pytest

import pylee_tui.store
from pylee_tui.cli import build_parser
from pylee_tui.services import Scope, Services
from tests.cli.expect import as_json, ok
from tests.support import ANN, BOB, CARL, CliRunner, server_doc, with_services


def one_error_line(result) -> str:
    """The single stderr line of a failed command (and proof that it is a single line)."""
    assert "Traceback" not in result.err
    lines = result.err.splitlines()
    assert len(lines) == 1, f"expected one line on stderr, got {lines!r}"
    assert lines[0].strip()
    assert lines[0].startswith("pylee-tui: ")
    return lines[0]


def snapshot(path: Path) -> dict[str, list[tuple]]:
    """Every row of every table, read with a plain sqlite3 connection."""
    conn = sqlite3.connect(path)
    try:
        names = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
        return {n: sorted(conn.execute(f'SELECT * FROM "{n}"').fetchall()) for n in names}
    finally:
        conn.close()


# --- the "Done when" -----------------------------------------------------------------


def test_done_when(cli: CliRunner) -> None:
    assert "acme-production" in ok(cli("org", "create", "Acme Production"))
    orgs = as_json(cli("org", "list", "--json"))
    assert len(orgs) == 1
    assert orgs[0]["slug"] == "acme-production"
    assert orgs[0]["name"] == "Acme Production"
    assert orgs[0]["admins"] == [ANN]
    assert orgs[0]["role"] == "admin"

    assert "acme-production-2" in ok(cli("org", "create", "Acme Production"))
    slugs = [o["slug"] for o in as_json(cli("org", "list", "--json"))]
    assert sorted(slugs) == ["acme-production", "acme-production-2"]

    before = snapshot(cli.db)
    for argv in (
        ("org", "create", ""),
        ("org", "create", "X", "--slug", "Bad Slug"),
        ("org", "show", "nope"),
    ):
        result = cli(*argv)
        assert result.code == 1, argv
        assert result.out == ""
        one_error_line(result)
    assert snapshot(cli.db) == before

    events = as_json(cli("audit", "--org", "acme-production", "--json"))
    assert [e["action"] for e in events] == ["org.create"]
    mine = as_json(cli("audit", "--json"))
    assert [e["org"] for e in mine] == ["acme-production-2", "acme-production"]


def test_error_messages_say_what_is_wrong(cli: CliRunner) -> None:
    ok(cli("org", "create", "Acme"))
    assert "blank" in one_error_line(cli("org", "create", ""))
    assert "Bad Slug" in one_error_line(cli("org", "create", "X", "--slug", "Bad Slug"))
    assert "nope" in one_error_line(cli("org", "show", "nope"))
    assert "acme" in one_error_line(cli("org", "create", "Y", "--slug", "acme"))


def test_org_list_when_empty_and_as_a_table(cli: CliRunner) -> None:
    out = ok(cli("org", "list"))
    assert "org create" in out  # tells a new user what to do
    assert as_json(cli("org", "list", "--json")) == []
    ok(cli("org", "create", "Acme Production"))
    table = ok(cli("org", "list")).splitlines()
    assert "SLUG" in table[0]
    assert "acme-production" in table[1] and "admin" in table[1]


def test_org_list_json_shows_counts_and_creation_time(cli: CliRunner) -> None:
    ok(cli("org", "create", "Acme", "--description", "Prod"))

    def fill(s: Services) -> None:
        s.registries.create(ANN, "acme", "Core Tools")
        s.members.invite(ANN, "acme", BOB)
        s.members.accept(BOB, "acme")

    with_services(cli.db, fill)
    [org] = as_json(cli("org", "list", "--json"))
    assert org["description"] == "Prod"
    assert org["registries"] == 1
    assert org["members"] == 2
    created = datetime.fromisoformat(org["created_at"])
    assert created.utcoffset() == timedelta(0)
    [bobs] = as_json(cli("org", "list", "--json", user=BOB))
    assert (bobs["slug"], bobs["role"], bobs["admins"]) == ("acme", "member", [ANN])


def test_options_may_follow_the_subcommand(cli: CliRunner) -> None:
    ok(cli("org", "create", "Acme", "--db", str(cli.db), "--as", ANN, db=None, user=None))
    orgs = as_json(
        cli("org", "list", "--json", "--as", ANN, "--db", str(cli.db), db=None, user=None)
    )
    assert [o["slug"] for o in orgs] == ["acme"]


def test_pylee_db_environment_variable_picks_the_file(
    cli: CliRunner, tmp_path: Path, monkeypatch
) -> None:
    env_db = tmp_path / "from-env" / "pylee.db"
    monkeypatch.setenv("PYLEE_DB", str(env_db))
    ok(cli("org", "create", "Env Org", db=None))
    assert env_db.exists()
    assert [o["slug"] for o in as_json(cli("org", "list", "--json", db=None))] == ["env-org"]
    # --db still wins over PYLEE_DB
    assert as_json(cli("org", "list", "--json")) == []


def test_without_db_or_env_the_store_lives_under_xdg_data_home(
    cli: CliRunner, isolated_environment: Path
) -> None:
    ok(cli("org", "create", "Acme", db=None))
    assert (isolated_environment / "pylee-tui" / "pylee.db").is_file()
    assert not cli.db.exists()


# --- org show / edit / delete ----------------------------------------------------------------


def test_org_show(cli: CliRunner) -> None:
    ok(cli("org", "create", "Acme", "--description", "Prod servers"))
    out = ok(cli("org", "show", "acme"))
    assert "Acme (acme)" in out
    assert "Prod servers" in out
    assert ANN in out


def test_org_show_json(cli: CliRunner, tmp_path: Path) -> None:
    ok(cli("org", "create", "Acme", "--description", "Prod servers"))
    overview = tmp_path / "overview.md"
    overview.write_text("# Acme\n\nRules.\n", encoding="utf-8")
    ok(cli("org", "edit", "acme", "--overview-file", str(overview)))

    def fill(s: Services) -> None:
        s.registries.create(ANN, "acme", "Core Tools")
        s.registries.add_server(
            ANN, Scope("acme", "core-tools"), server_doc("io.github.acme/weather")
        )
        s.members.invite(ANN, "acme", BOB)

    with_services(cli.db, fill)
    org = as_json(cli("org", "show", "acme", "--json"))
    assert org["slug"] == "acme"
    assert org["name"] == "Acme"
    assert org["description"] == "Prod servers"
    assert org["overview"] == "# Acme\n\nRules.\n"
    assert org["role"] == "admin"
    assert org["registries"] == [{"slug": "core-tools", "name": "Core Tools", "servers": 1}]
    members = {m["email"]: (m["role"], m["status"]) for m in org["members"]}
    assert members == {ANN: ("admin", "active"), BOB: ("member", "invited")}
    assert datetime.fromisoformat(org["created_at"]) <= datetime.fromisoformat(org["updated_at"])


def test_org_edit_each_field(cli: CliRunner, tmp_path: Path) -> None:
    ok(cli("org", "create", "Acme"))
    ok(cli("org", "edit", "acme", "--name", "Acme Corp"))
    ok(cli("org", "edit", "acme", "--description", "Now with a description"))
    overview = tmp_path / "overview.md"
    overview.write_text("# Acme Corp\n\nCafé rules ☕\n", encoding="utf-8")
    ok(cli("org", "edit", "acme", "--overview-file", str(overview)))
    assert "acme-corp" in ok(cli("org", "edit", "acme", "--slug", "acme-corp"))
    one_error_line(cli("org", "show", "acme"))
    org = as_json(cli("org", "show", "acme-corp", "--json"))
    assert org["name"] == "Acme Corp"
    assert org["description"] == "Now with a description"
    assert org["overview"] == "# Acme Corp\n\nCafé rules ☕\n"


def test_org_edit_overview_from_stdin(cli: CliRunner, monkeypatch) -> None:
    ok(cli("org", "create", "Acme"))
    monkeypatch.setattr("sys.stdin", io.StringIO("# From a pipe\n"))
    ok(cli("org", "edit", "acme", "--overview-file", "-"))
    assert as_json(cli("org", "show", "acme", "--json"))["overview"] == "# From a pipe\n"


def test_org_edit_with_a_missing_overview_file_changes_nothing(
    cli: CliRunner, tmp_path: Path
) -> None:
    ok(cli("org", "create", "Acme"))
    before = snapshot(cli.db)
    missing = tmp_path / "nowhere.md"
    result = cli("org", "edit", "acme", "--name", "Renamed", "--overview-file", str(missing))
    assert result.code == 1
    assert str(missing) in one_error_line(result)
    assert snapshot(cli.db) == before


def test_org_delete_needs_yes(cli: CliRunner) -> None:
    ok(cli("org", "create", "Acme"))
    before = snapshot(cli.db)
    result = cli("org", "delete", "acme")
    assert result.code == 1
    assert "--yes" in one_error_line(result)
    assert snapshot(cli.db) == before
    out = ok(cli("org", "delete", "acme", "--yes"))
    assert "acme" in out
    assert as_json(cli("org", "list", "--json")) == []
    assert cli("org", "show", "acme").code == 1


def test_org_delete_says_what_it_removes(cli: CliRunner) -> None:
    ok(cli("org", "create", "Acme"))

    def fill(s: Services) -> None:
        s.registries.create(ANN, "acme", "Core Tools")
        s.registries.create(ANN, "acme", "Data")
        s.registries.add_server(ANN, Scope("acme", "data"), server_doc("io.github.acme/warehouse"))

    with_services(cli.db, fill)
    warning = one_error_line(cli("org", "delete", "acme"))
    assert "2 registries" in warning and "1 server" in warning
    assert "2 registries" in ok(cli("org", "delete", "acme", "--yes"))


def test_a_member_cannot_edit_or_delete_through_the_cli(cli: CliRunner) -> None:
    ok(cli("org", "create", "Acme"))
    with_services(
        cli.db, lambda s: (s.members.invite(ANN, "acme", BOB), s.members.accept(BOB, "acme"))
    )
    before = snapshot(cli.db)
    for argv in (("org", "edit", "acme", "--name", "Mine"), ("org", "delete", "acme", "--yes")):
        result = cli(*argv, user=BOB)
        assert result.code == 1
        assert "admin" in one_error_line(result)
    assert snapshot(cli.db) == before


# --- audit -----------------------------------------------------------------------------------


def test_audit_lists_every_change_newest_first(cli: CliRunner, tmp_path: Path) -> None:
    overview = tmp_path / "o.md"
    overview.write_text("# Acme\n", encoding="utf-8")
    steps = [
        (("org", "create", "Acme Production"), "org.create"),
        (("org", "edit", "acme-production", "--name", "Acme Prod"), "org.rename"),
        (("org", "edit", "acme-production", "--description", "Prod"), "org.description"),
        (
            ("org", "edit", "acme-production", "--overview-file", str(overview)),
            "org.overview",
        ),
        (("org", "edit", "acme-production", "--slug", "acme-prod"), "org.slug"),
    ]
    for argv, _ in steps:
        ok(cli(*argv))
    events = as_json(cli("audit", "--org", "acme-prod", "--json"))
    assert [e["action"] for e in events] == [action for _, action in reversed(steps)]
    times = [datetime.fromisoformat(e["time"]) for e in events]
    assert times == sorted(times, reverse=True)
    assert all(t.utcoffset() == timedelta(0) for t in times)
    assert {e["actor"] for e in events} == {ANN}
    assert all(e["target_type"] == "organization" for e in events)
    rename = events[3]
    assert set(rename["metadata"].values()) >= {"Acme Production", "Acme Prod"}

    table = ok(cli("audit", "--org", "acme-prod")).splitlines()
    assert len(table) == 1 + len(steps)
    assert "org.slug" in table[1] and "org.create" in table[-1]


def test_audit_limit(cli: CliRunner) -> None:
    ok(cli("org", "create", "Acme"))
    ok(cli("org", "edit", "acme", "--name", "Acme 2"))
    ok(cli("org", "edit", "acme", "--name", "Acme 3"))
    events = as_json(cli("audit", "--org", "acme", "--limit", "2", "--json"))
    assert [(e["action"], e["target_label"]) for e in events] == [
        ("org.rename", "Acme 3"),
        ("org.rename", "Acme 2"),
    ]


@pytest.mark.parametrize("limit", ["0", "-1"])
def test_audit_limit_below_one_never_lists_more(cli: CliRunner, limit: str) -> None:
    ok(cli("org", "create", "Acme"))
    ok(cli("org", "edit", "acme", "--name", "Acme 2"))
    result = cli("audit", "--org", "acme", "--limit", limit, "--json")
    if result.code == 0:
        assert json.loads(result.out) == []
    else:
        assert result.code in (1, 2)
        one_error_line(result)


def test_audit_without_org_lists_your_events_including_deleted_orgs(cli: CliRunner) -> None:
    ok(cli("org", "create", "Acme"))
    ok(cli("org", "create", "Temp"))
    ok(cli("org", "delete", "temp", "--yes"))
    ok(cli("org", "create", "Bob Co", user=BOB))
    events = as_json(cli("audit", "--json"))
    assert [(e["action"], e["org"]) for e in events] == [
        ("org.delete", "temp"),
        ("org.create", "temp"),
        ("org.create", "acme"),
    ]
    assert {e["actor"] for e in events} == {ANN}
    assert cli("audit", "--org", "temp").code == 1  # the org is gone, its log is not
    assert "org.delete" in ok(cli("audit"))


def test_audit_of_an_org_is_readable_by_members_only(cli: CliRunner) -> None:
    ok(cli("org", "create", "Acme"))
    assert cli("audit", "--org", "acme", user=CARL).code == 1
    assert as_json(cli("audit", "--json", user=CARL)) == []


# --- demo ------------------------------------------------------------------------------------


def test_demo_then_org_list(cli: CliRunner) -> None:
    out = ok(cli("demo"))
    assert "acme-production" in out
    orgs = as_json(cli("org", "list", "--json"))
    assert {o["name"] for o in orgs} >= {"Acme Production", "Acme Staging", "Personal Lab"}
    assert all(o["role"] == "admin" and ANN in o["admins"] for o in orgs)
    assert any(o["registries"] > 0 and o["members"] > 1 for o in orgs)
    shown = as_json(cli("org", "show", "acme-production", "--json"))
    assert shown["overview"]
    assert shown["registries"] and all(r["servers"] > 0 for r in shown["registries"])
    before = snapshot(cli.db)
    result = cli("demo")
    assert result.code == 1
    assert "already" in one_error_line(result)
    assert snapshot(cli.db) == before


# --- identity --------------------------------------------------------------------------------


def test_no_acting_user_is_a_one_line_hint(cli: CliRunner) -> None:
    for argv in (("org", "list"), ("org", "create", "Acme"), ("whoami",), ("audit",)):
        result = cli(*argv, user=None)
        assert result.code == 1, argv
        assert "--as" in one_error_line(result)
    assert as_json(cli("org", "list", "--json")) == []


def test_login_saves_the_acting_user(cli: CliRunner, tmp_path: Path) -> None:
    ok(cli("login", "Ann@Example.com", user=None))
    assert ok(cli("whoami", user=None)).strip() == ANN
    ok(cli("org", "create", "Acme", user=None))
    [org] = as_json(cli("org", "list", "--json", user=None))
    assert org["admins"] == [ANN]
    # --as still wins over the saved user
    assert ok(cli("whoami", user=BOB)).strip() == BOB
    # the saved user belongs to that database
    assert cli("whoami", user=None, db=tmp_path / "other.db").code == 1


def test_pylee_user_environment_variable(cli: CliRunner, monkeypatch) -> None:
    ok(cli("login", CARL, user=None))
    monkeypatch.setenv("PYLEE_USER", BOB)
    assert ok(cli("whoami", user=None)).strip() == BOB  # env beats the saved user
    assert ok(cli("whoami", user=ANN)).strip() == ANN  # --as beats env
    ok(cli("org", "create", "Bob Co", user=None))
    assert as_json(cli("org", "list", "--json", user=None))[0]["admins"] == [BOB]


@pytest.mark.parametrize("email", ["ann", "ann@", "ann@example", "ann example@x.com"])
def test_an_invalid_acting_user_is_refused(cli: CliRunner, monkeypatch, email: str) -> None:
    result = cli("org", "create", "Acme", user=email)
    assert result.code == 1
    one_error_line(result)
    monkeypatch.setenv("PYLEE_USER", email)
    result = cli("org", "create", "Acme", user=None)
    assert result.code == 1
    one_error_line(result)
    assert as_json(cli("org", "list", "--json")) == []


def test_login_with_a_bad_email_saves_nothing(cli: CliRunner) -> None:
    result = cli("login", "not-an-email", user=None)
    assert result.code == 1
    one_error_line(result)
    assert cli("whoami", user=None).code == 1


# --- bad usage -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "argv",
    [
        ("frobnicate",),
        ("org",),
        ("org", "rename", "acme"),
        ("org", "create"),
        ("org", "show"),
        ("org", "list", "--colour"),
        ("--colour", "org", "list"),
        ("audit", "--limit", "lots"),
    ],
)
def test_bad_usage_exits_2_with_one_line(cli: CliRunner, argv) -> None:
    result = cli(*argv)
    assert result.code == 2
    one_error_line(result)
    assert result.out == ""


def test_help_and_version_exit_0_and_print_to_out(cli: CliRunner) -> None:
    version = cli("--version")
    assert version.code == 0
    assert "pylee-tui" in version.out
    org_help = cli("org", "--help")
    assert org_help.code == 0
    assert "create" in org_help.out


# --- bad input for every command -------------------------------------------------------------

# (command, argv, acting user, expected exit code); "{tmp}" is the test's temporary directory.
BAD_INPUT = [
    ("login", ("login", "not-an-email"), None, 1),
    ("login", ("login", "ann@"), None, 1),
    ("login", ("login",), None, 2),
    ("login", ("login", ANN, "extra"), None, 2),
    ("whoami", ("whoami",), None, 1),
    ("whoami", ("whoami", "--json"), ANN, 2),
    ("org list", ("org", "list"), "nope", 1),
    ("org list", ("org", "list", "extra"), ANN, 2),
    ("org create", ("org", "create", ""), ANN, 1),
    ("org create", ("org", "create", "   "), ANN, 1),
    ("org create", ("org", "create", "x" * 81), ANN, 1),
    ("org create", ("org", "create", "Line\nBreak"), ANN, 1),
    ("org create", ("org", "create", "X", "--slug", "Bad Slug"), ANN, 1),
    ("org create", ("org", "create", "X", "--slug", "acme--prod"), ANN, 1),
    ("org create", ("org", "create", "X", "--slug", "acme"), ANN, 1),
    ("org create", ("org", "create", "X", "--description", "d" * 281), ANN, 1),
    ("org create", ("org", "create"), ANN, 2),
    ("org create", ("org", "create", "X", "--slug"), ANN, 2),
    ("org show", ("org", "show", "nope"), ANN, 1),
    ("org show", ("org", "show", "acme"), CARL, 1),
    ("org show", ("org", "show", "no\nsuch"), ANN, 1),
    ("org show", ("org", "show"), ANN, 2),
    ("org edit", ("org", "edit", "acme"), ANN, 1),
    ("org edit", ("org", "edit", "nope", "--name", "X"), ANN, 1),
    ("org edit", ("org", "edit", "acme", "--name", ""), ANN, 1),
    ("org edit", ("org", "edit", "acme", "--slug", "Bad Slug"), ANN, 1),
    ("org edit", ("org", "edit", "acme", "--slug", "taken"), ANN, 1),
    ("org edit", ("org", "edit", "acme", "--description", "d" * 281), ANN, 1),
    ("org edit", ("org", "edit", "acme", "--overview-file", "{tmp}/missing.md"), ANN, 1),
    ("org edit", ("org", "edit", "acme", "--overview-file", "{tmp}"), ANN, 1),
    ("org edit", ("org", "edit", "acme", "--overview-file", "{tmp}/latin1.md"), ANN, 1),
    ("org edit", ("org", "edit", "acme", "--overview-file", "{tmp}/huge.md"), ANN, 1),
    ("org edit", ("org", "edit", "acme", "--overview-file", "{tmp}/no\nsuch.md"), ANN, 1),
    ("org edit", ("org", "edit", "acme", "--name", "Mine"), BOB, 1),
    ("org edit", ("org", "edit"), ANN, 2),
    ("org edit", ("org", "edit", "acme", "--overview-file"), ANN, 2),
    ("org delete", ("org", "delete", "acme"), ANN, 1),
    ("org delete", ("org", "delete", "nope", "--yes"), ANN, 1),
    ("org delete", ("org", "delete", "acme", "--yes"), BOB, 1),
    ("org delete", ("org", "delete", "--yes"), ANN, 2),
    ("org delete", ("org", "delete", "acme", "--yes=please"), ANN, 2),
    ("audit", ("audit", "--org", "nope"), ANN, 1),
    ("audit", ("audit", "--org", "acme"), CARL, 1),
    ("audit", ("audit",), "not an email", 1),
    ("audit", ("audit", "--limit", "many"), ANN, 2),
    ("audit", ("audit", "--org"), ANN, 2),
    ("audit", ("audit", "--org", "acme", "--since", "yesterday"), ANN, 1),
    ("audit", ("audit", "--org", "acme", "--until", "2026-02-30"), ANN, 1),
    ("audit", ("audit", "--since", "2026-02-01", "--until", "2026-01-01"), ANN, 1),
    ("audit", ("audit", "--org", "acme", "--actor", "bob"), ANN, 1),
    ("audit", ("audit", "--org", "acme", "--action", " "), ANN, 1),
    ("audit", ("audit", "--org", "acme", "--until"), ANN, 2),
    ("demo", ("demo",), None, 1),
    ("demo", ("demo",), "nope@", 1),
    ("demo", ("demo", "extra"), ANN, 2),
    ("completion", ("completion",), ANN, 2),
    ("completion", ("completion", "tcsh"), ANN, 2),
    ("completion", ("completion", "bash", "extra"), ANN, 2),
    ("completion", ("completion", "--org", "acme", "bash"), ANN, 2),
    ("clients scan", ("clients", "scan", "extra"), ANN, 2),
    ("clients import", ("clients", "import", "nope", "--org", "acme", "--registry", "r"), ANN, 1),
    (
        "clients import",
        ("clients", "import", "cursor", "--org", "acme", "--registry", "nope"),
        ANN,
        1,
    ),
    (
        "clients import",
        ("clients", "import", "cursor", "--org", "acme", "--registry", "r", "--scope", "global"),
        ANN,
        1,
    ),
    (
        "clients import",
        (
            "clients",
            "import",
            "cursor",
            "--org",
            "acme",
            "--registry",
            "r",
            "--file",
            "{tmp}/missing.json",
        ),
        ANN,
        1,
    ),
    ("clients import", ("clients", "import", "cursor", "--org", "nope", "--registry", "r"), ANN, 1),
    ("clients import", ("clients", "import", "cursor"), ANN, 2),
    (
        "clients import",
        ("clients", "import", "cursor", "--org", "acme", "--registry", "r", "--rewrite", "inline"),
        ANN,
        2,
    ),
    ("clients status", ("clients", "status", "--client", "nope"), ANN, 2),
    ("clients status", ("clients", "status", "extra"), ANN, 2),
    ("clients sync", ("clients", "sync"), ANN, 2),
    ("clients sync", ("clients", "sync", "cursor", "--scope", "team"), ANN, 2),
    ("clients sync", ("clients", "sync", "cursor", "--file", "{tmp}/never.json"), ANN, 1),
    ("clients sync", ("clients", "sync", "claude", "--scope", "project"), ANN, 1),
    ("clients adopt", ("clients", "adopt", "cursor"), ANN, 2),
    ("clients adopt", ("clients", "adopt", "cursor", "x", "--file", "{tmp}/never.json"), ANN, 1),
    ("serve init", ("serve", "init", "--email", "not-an-email"), None, 1),
    ("serve init", ("serve", "init"), None, 2),
    ("serve init", ("serve", "init", "--email", ANN, "extra"), None, 2),
    ("serve run", ("serve", "run", "--listen"), None, 2),
    ("serve run", ("serve", "run", "--no-such-option"), None, 2),
    ("serve run", ("serve", "run", "--listen", "0.0.0.0:8750"), None, 1),
    ("serve run", ("serve", "run", "--listen", "localhost"), None, 1),
    ("serve run", ("serve", "run", "--smtp-url", "smtp://mail.example.com"), None, 1),
    ("serve run", ("serve", "run", "--mail-from", "pylee@example.com"), None, 1),
    ("serve run", ("serve", "run", "--smtp-url", "ftp://x", "--mail-from", "p@x.org"), None, 1),
    ("serve run", ("serve", "run", "--public-url", "not a url"), None, 1),
    ("serve run", ("serve", "run", "--smtp-url"), None, 2),
    ("join", ("join", "http://pylee.example.com", "AAAAA-BBBBB-CCCCC-DDDDD"), None, 1),
    ("join", ("join", "http://127.0.0.1:1", "AAAAA-BBBBB-CCCCC-DDDDD"), None, 1),
    ("join", ("join", "http://127.0.0.1:1"), None, 2),
    ("logout", ("logout", "extra"), None, 2),
    ("token list", ("token", "list"), None, 1),
    ("token list", ("token", "list", "--all"), ANN, 1),
    ("token list", ("token", "list", "extra"), ANN, 2),
    ("token revoke", ("token", "revoke", "1"), ANN, 1),
    ("token revoke", ("token", "revoke", "x"), ANN, 2),
    ("token revoke", ("token", "revoke"), ANN, 2),
]


def leaf_commands() -> set[str]:
    """Every runnable subcommand of the parser, e.g. 'org create'."""

    def walk(parser, prefix: tuple[str, ...]) -> set[str]:
        found: set[str] = set()
        for action in parser._actions:
            if getattr(action, "choices", None) and hasattr(action, "_name_parser_map"):
                for name, sub in action.choices.items():
                    found |= walk(sub, (*prefix, name))
        return found or {" ".join(prefix)}

    return walk(build_parser(), ())


def test_the_bad_input_table_covers_every_command() -> None:
    # registry, server, member, var/secret/vault/env, agent, run, check and call commands have
    # their own tables
    from tests.agent.test_agent_cli import BAD_INPUT as AGENT_BAD_INPUT
    from tests.cli.test_cli_export import BAD_INPUT as EXPORT_BAD_INPUT
    from tests.cli.test_cli_forks import BAD_INPUT as FORK_BAD_INPUT
    from tests.cli.test_cli_members import BAD_INPUT as MEMBER_BAD_INPUT
    from tests.cli.test_cli_org_clone import BAD_INPUT as CLONE_BAD_INPUT
    from tests.cli.test_cli_registries import BAD_INPUT as REGISTRY_BAD_INPUT
    from tests.cli.test_cli_requests import BAD_INPUT as REQUEST_BAD_INPUT
    from tests.cli.test_cli_server_versions import BAD_INPUT as VERSION_BAD_INPUT
    from tests.cli.test_cli_vault import BAD_INPUT as VAULT_BAD_INPUT
    from tests.runtime.test_check_call_bad_input import BAD_INPUT as CHECK_CALL_BAD_INPUT
    from tests.runtime.test_run import BAD_INPUT as RUN_BAD_INPUT
    from tests.team.test_push_pull import BAD_INPUT as PUSH_BAD_INPUT

    covered = {
        command
        for command, *_ in BAD_INPUT
        + REGISTRY_BAD_INPUT
        + REQUEST_BAD_INPUT
        + MEMBER_BAD_INPUT
        + CLONE_BAD_INPUT
        + VAULT_BAD_INPUT
        + EXPORT_BAD_INPUT
        + AGENT_BAD_INPUT
        + RUN_BAD_INPUT
        + CHECK_CALL_BAD_INPUT
        + VERSION_BAD_INPUT
        + FORK_BAD_INPUT
        + PUSH_BAD_INPUT
    }
    assert covered == leaf_commands()


@pytest.fixture
def populated(cli: CliRunner, tmp_path: Path) -> CliRunner:
    """acme (ann admin, bob member) and taken (bob's); files for --overview-file cases."""
    ok(cli("org", "create", "Acme"))
    ok(cli("org", "create", "Taken", user=BOB))
    with_services(
        cli.db, lambda s: (s.members.invite(ANN, "acme", BOB), s.members.accept(BOB, "acme"))
    )
    (tmp_path / "latin1.md").write_bytes("# Café\n".encode("latin-1"))
    (tmp_path / "huge.md").write_text("x" * (1024 * 1024 + 1), encoding="utf-8")
    return cli


@pytest.mark.parametrize(
    ("command", "argv", "user", "code"),
    BAD_INPUT,
    ids=[f"{i:02d} {' '.join(argv)[:40]}" for i, (_, argv, *_) in enumerate(BAD_INPUT)],
)
def test_bad_input_for_every_command(
    populated: CliRunner, tmp_path: Path, command, argv, user, code
) -> None:
    argv = tuple(a.replace("{tmp}", str(tmp_path)) for a in argv)
    before = snapshot(populated.db)
    result = populated(*argv, user=user)
    assert result.code == code
    one_error_line(result)
    assert result.out == ""
    assert snapshot(populated.db) == before


# --- damaged and busy databases --------------------------------------------------------------


def random_bytes(n: int) -> bytes:
    return random.Random(20250516).randbytes(n)


def make_truncated(path: Path, cli: CliRunner) -> None:
    ok(cli("org", "create", "Acme", db=path))
    ok(cli("demo", db=path))
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])


@pytest.mark.parametrize("kind", ["random-bytes", "sqlite-header-then-garbage", "truncated"])
@pytest.mark.parametrize("argv", [("org", "list"), ("org", "create", "Beta")])
def test_a_damaged_database_is_a_one_line_error_and_is_left_alone(
    cli: CliRunner, tmp_path: Path, kind: str, argv
) -> None:
    path = tmp_path / "damaged.db"
    if kind == "random-bytes":
        path.write_bytes(random_bytes(16384))
    elif kind == "sqlite-header-then-garbage":
        path.write_bytes(b"SQLite format 3\x00" + random_bytes(16384))
    else:
        make_truncated(path, cli)
    before = path.read_bytes()
    result = cli(*argv, db=path)
    assert result.code == 1
    line = one_error_line(result)
    assert str(path) in line
    assert path.read_bytes() == before


def test_a_locked_database_is_a_one_line_error(cli: CliRunner, monkeypatch) -> None:
    ok(cli("org", "create", "Acme"))
    before = snapshot(cli.db)
    monkeypatch.setattr(pylee_tui.store, "BUSY_TIMEOUT_MS", 50)
    holder = sqlite3.connect(cli.db, isolation_level=None)
    try:
        holder.execute("BEGIN EXCLUSIVE")
        started = time.monotonic()
        result = cli("org", "create", "Beta")
        elapsed = time.monotonic() - started
        assert result.code == 1
        assert "locked" in one_error_line(result)
        assert elapsed < 3
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert snapshot(cli.db) == before
    # once the other process lets go, everything works again
    ok(cli("org", "create", "Beta"))


# --- a real process --------------------------------------------------------------------------


def test_real_subprocess_of_the_module_and_the_console_script(tmp_path: Path) -> None:
    db = tmp_path / "proc" / "pylee.db"
    env = dict(os.environ)
    common = ["--db", str(db), "--as", ANN]
    done = subprocess.run(
        [sys.executable, "-m", "pylee_tui", *common, "org", "create", "Acme Production"],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert "acme-production" in done.stdout
    assert done.stderr == ""

    script = shutil.which("pylee-tui", path=os.path.dirname(sys.executable))
    assert script is not None, "the pylee-tui console script is not installed next to python"
    listed = subprocess.run(
        [script, *common, "org", "list", "--json"],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )
    assert listed.returncode == 0, listed.stderr
    [org] = json.loads(listed.stdout)
    assert (org["slug"], org["role"], org["admins"]) == ("acme-production", "admin", [ANN])

    failed = subprocess.run(
        [script, *common, "org", "create", "X", "--slug", "Bad Slug"],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )
    assert failed.returncode == 1
    assert len(failed.stderr.splitlines()) == 1
    assert "Traceback" not in failed.stderr


@pytest.mark.parametrize(
    "argv",
    [
        ("org", "show", "acme\udcff"),
        ("env", "--org", "\udcff"),
        ("export", "--org", "a", "--registry", "b", "--client", "cursor", "--out", "/tmp/\udcff"),
    ],
)
def test_arguments_that_are_not_text_are_one_line(cli: CliRunner, argv) -> None:
    result = cli(*argv)
    assert result.code == 2
    assert "not valid text" in one_error_line(result)
    assert "internal error" not in result.err
