"""The CLI's side of approvals beyond server edits: a writer's `server pin` on an approval
registry is a request, `registry delete` says which open requests it closes, a writer may not
delete such a registry, and request numbers too big for the store are one clear line."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.cli.expect import ok, one_error_line
from tests.cli.test_cli_requests import DAVE, ORG, acme, edit_as_bob
from tests.support import ANN, BOB, WEATHER, CliRunner

__all__ = ["acme"]  # the fixture, shared with test_cli_requests


def test_a_writers_pin_is_a_request(acme: CliRunner) -> None:
    pin = ("server", "pin", WEATHER["name"], "1.0.0", *ORG, "--registry", "core")
    out = ok(acme(*pin, user=BOB))
    assert out == (
        f"Change request #1 opened for approval: pin server {WEATHER['name']} in registry core "
        "to 1.0.0\n"
    )
    ok(acme("request", "approve", "1", user=DAVE))
    shown = ok(acme("server", "versions", WEATHER["name"], *ORG, "--registry", "core"))
    assert "pinned" in shown.lower()


def test_registry_delete_says_how_many_open_requests_it_closes(
    acme: CliRunner, tmp_path: Path
) -> None:
    edit_as_bob(acme, tmp_path)
    warning = one_error_line(acme("registry", "delete", "core", *ORG))
    assert "closes 1 open change request (as rejected)" in warning
    out = ok(acme("registry", "delete", "core", *ORG, "--yes"))
    assert out == (
        "Deleted registry core with 1 server and 0 variables or secrets; closed 1 open change "
        "request as rejected.\n"
    )
    assert ok(acme("request", "list", *ORG)) == "No open change requests in 'acme'.\n"


def test_a_writer_may_not_delete_a_registry_that_requires_approval(acme: CliRunner) -> None:
    result = acme("registry", "delete", "core", *ORG, "--yes", user=BOB)
    assert result.code == 1
    assert one_error_line(result) == (
        "pylee-tui: registry core requires approval: ask an admin or an approver to delete it"
    )


@pytest.mark.parametrize("command", ["show", "approve"])
def test_a_request_number_too_big_is_one_clear_line(acme: CliRunner, command: str) -> None:
    result = acme("request", command, "99999999999999999999999", user=ANN)
    assert result.code == 2
    assert "must be from 1 to" in one_error_line(result)


def test_a_writers_registry_rename_is_a_request(acme: CliRunner) -> None:
    out = ok(acme("registry", "edit", "core", *ORG, "--slug", "tools", user=BOB))
    assert out == "Change request #1 opened for approval: edit registry core (renamed tools)\n"
    assert "+ slug: tools" in ok(acme("request", "show", "1", user=DAVE)).splitlines()
    ok(acme("request", "approve", "1", user=DAVE))
    assert "tools" in ok(acme("registry", "show", "tools", *ORG))
