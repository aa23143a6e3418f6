"""The CLI's side of approvals, second review of issue 17: `registry edit` changes its fields and
whether it requires approval together or not at all; a `--json` command that opens a change
request says so in JSON; `registry show|list` say whether a registry requires approval; request
numbers are ASCII digits; `request list` shows a change whole."""

from __future__ import annotations

from pathlib import Path

import pytest

from pylee_tui.services import Scope
from tests.cli.expect import as_json, ok, one_error_line
from tests.cli.test_cli_requests import DAVE, ORG, acme
from tests.support import ANN, BOB, WEATHER, CliRunner, with_services

__all__ = ["acme"]  # the fixture, shared with test_cli_requests

CORE = ("--registry", "core")


def required(acme: CliRunner, slug: str) -> bool:
    seen: list[bool] = []
    with_services(
        acme.db,
        lambda s: seen.append(s.approvals.requires_approval(ANN, Scope("acme", slug))),
    )
    return seen[0]


# --- M2: one edit, all or nothing -------------------------------------------------------------


def test_approval_off_with_a_taken_slug_changes_nothing(acme: CliRunner) -> None:
    ok(acme("registry", "create", "Data", *ORG, "--slug", "data"))
    result = acme("registry", "edit", "core", *ORG, "--require-approval", "off", "--slug", "data")
    assert result.code == 1
    assert result.out == ""
    assert "'data' is already taken" in one_error_line(result)
    assert required(acme, "core")


def test_approval_off_and_a_rename_in_one_edit(acme: CliRunner) -> None:
    out = ok(acme("registry", "edit", "core", *ORG, "--require-approval", "off", "--slug", "tools"))
    assert out == (
        "Registry core in acme no longer requires approval.\n"
        "Updated registry Core (tools) in acme.\n"
    )
    assert not required(acme, "tools")


def test_a_writer_cannot_turn_approval_off_with_an_edit(acme: CliRunner) -> None:
    result = acme(
        "registry", "edit", "core", *ORG, "--require-approval", "off", "--name", "Mine", user=BOB
    )
    assert result.code == 1
    assert "change whether a registry requires approval" in one_error_line(result)
    assert required(acme, "core")
    assert ok(acme("request", "list", *ORG)) == "No open change requests in 'acme'.\n"


# --- L2: --json says a change request was opened ---------------------------------------------


def test_a_json_publish_that_opens_a_request_prints_json(acme: CliRunner, tmp_path: Path) -> None:
    edit = ("server", "edit", WEATHER["name"], "--file", str(tmp_path / "weather2.json"))
    ok(acme(*edit, *ORG, *CORE))  # ann, an admin: the working copy moves on
    out = as_json(acme("server", "publish", WEATHER["name"], *ORG, *CORE, "--json", user=BOB))
    assert out == {
        "change_request": 1,
        "state": "open",
        "summary": f"publish server {WEATHER['name']} in registry core (the suggested bump)",
    }


def test_a_json_import_that_opens_a_request_prints_json(acme: CliRunner, tmp_path: Path) -> None:
    out = as_json(
        acme(
            "server",
            "import",
            str(tmp_path / "weather2.json"),
            "--replace",
            *ORG,
            *CORE,
            "--json",
            user=BOB,
        )
    )
    assert out == {
        "change_request": 1,
        "state": "open",
        "summary": "import 1 server from "
        + str(tmp_path / "weather2.json")
        + " into registry core",
    }


def test_a_plain_request_is_still_a_line(acme: CliRunner, tmp_path: Path) -> None:
    out = ok(
        acme(
            "server", "import", str(tmp_path / "weather2.json"), "--replace", *ORG, *CORE, user=BOB
        )
    )
    assert out.startswith("Change request #1 opened for approval: import 1 server")


# --- L3: registry show and list say whether approval is required ------------------------------


def test_registry_show_and_list_say_whether_approval_is_required(acme: CliRunner) -> None:
    ok(acme("registry", "create", "Data", *ORG, "--slug", "data"))
    assert as_json(acme("registry", "show", "core", *ORG, "--json"))["require_approval"] is True
    assert as_json(acme("registry", "show", "data", *ORG, "--json"))["require_approval"] is False
    listed = as_json(acme("registry", "list", *ORG, "--json"))
    assert {r["slug"]: r["require_approval"] for r in listed} == {"core": True, "data": False}
    shown = ok(acme("registry", "show", "core", *ORG)).splitlines()
    assert "Approval: changes by members need an approver" in shown
    assert "Approval: not required" in ok(acme("registry", "show", "data", *ORG)).splitlines()


# --- L6: request numbers ----------------------------------------------------------------------


@pytest.mark.parametrize("number", ["\u0663", "\uff11", "+1", "1_0", " 1"])
@pytest.mark.parametrize("command", ["show", "approve"])
def test_a_request_number_is_ascii_digits(acme: CliRunner, tmp_path: Path, number, command) -> None:
    ok(
        acme(
            "server", "import", str(tmp_path / "weather2.json"), "--replace", *ORG, *CORE, user=BOB
        )
    )
    result = acme("request", command, number, user=DAVE)
    assert result.code == 2
    assert "is not a request number" in one_error_line(result)
    assert "#1 (open)" in ok(acme("request", "show", "1"))


# --- L8: request list shows a change whole ----------------------------------------------------


def test_request_list_shows_a_long_change_whole(acme: CliRunner, tmp_path: Path) -> None:
    ok(
        acme(
            "server", "import", str(tmp_path / "weather2.json"), "--replace", *ORG, *CORE, user=BOB
        )
    )
    summary = "import 1 server from " + str(tmp_path / "weather2.json") + " into registry core"
    assert len(summary) > 60
    listed = ok(acme("request", "list", *ORG))
    assert listed.splitlines()[1].endswith(summary)


def test_on_a_terminal_the_change_column_takes_the_rest_of_the_line(
    acme: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import io

    from pylee_tui.cli import main

    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    ok(
        acme(
            "server", "import", str(tmp_path / "weather2.json"), "--replace", *ORG, *CORE, user=BOB
        )
    )
    for columns in (120, 300):  # the other columns take 61 here; CHANGE at least 40
        monkeypatch.setenv("COLUMNS", str(columns))
        out, err = Terminal(), io.StringIO()
        assert main(["--db", str(acme.db), "--as", ANN, "request", "list", *ORG], out, err) == 0
        lines = out.getvalue().splitlines()
        assert len(lines) == 2
        assert max(len(line) for line in lines) <= columns
        summary = "import 1 server from " + str(tmp_path / "weather2.json") + " into registry core"
        assert lines[1].endswith("…") == (len(summary) > columns - lines[0].index("CHANGE"))
