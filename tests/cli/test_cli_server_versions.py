"""`pylee-tui server publish|versions|diff|rollback|pin|unpin` end to end through `main(argv)`."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from pylee_tui.services import Services
from tests.cli.expect import as_json, ok, one_error_line, rows
from tests.support import ANN, BOB, CARL, WEATHER, CliRunner, with_services

NAME = WEATHER["name"]
CORE = ("--org", "acme", "--registry", "core")


def write_json(path: Path, data: Any) -> str:
    path.write_text(json.dumps(data, indent=2), encoding="utf-8")
    return str(path)


@pytest.fixture
def acme(cli: CliRunner, tmp_path: Path) -> CliRunner:
    """acme (ann admin, bob member): registry core with weather 1.0.0 (published when added)."""
    ok(cli("org", "create", "Acme"))
    ok(cli("registry", "create", "Core", "--slug", "core", "--org", "acme"))
    ok(cli("server", "add", write_json(tmp_path / "weather.json", WEATHER), *CORE))

    def join(s: Services) -> None:
        s.members.invite(ANN, "acme", BOB)
        s.members.accept(BOB, "acme")

    with_services(cli.db, join)
    described = copy.deepcopy(WEATHER) | {"description": "Forecasts"}
    required = copy.deepcopy(WEATHER)
    required["packages"][0]["environmentVariables"] = [{"name": "KEY", "isRequired": True}]
    write_json(tmp_path / "described.json", described)
    write_json(tmp_path / "required.json", required)
    return cli


def test_done_when_publish_a_new_version_and_roll_it_back(acme: CliRunner, tmp_path: Path) -> None:
    ok(acme("server", "edit", NAME, *CORE, "--file", str(tmp_path / "described.json")))
    assert ok(acme("server", "publish", NAME, *CORE, "--dry-run")) == (
        "Unpublished changes: suggested patch → 1.0.1 (description changed)\n"
    )
    assert ok(acme("server", "publish", NAME, *CORE)) == (
        f"Published {NAME} 1.0.1 (after 1.0.0) — patch: description changed.\n"
    )
    ok(acme("server", "edit", NAME, *CORE, "--file", str(tmp_path / "required.json")))
    assert "suggested major → 2.0.0 (new required input KEY)" in ok(
        acme("server", "versions", NAME, *CORE)
    )
    ok(acme("server", "publish", NAME, *CORE))
    listed = ok(acme("server", "versions", NAME, *CORE)).splitlines()
    assert [line.split()[0] for line in listed[1:4]] == ["2.0.0", "1.0.1", "1.0.0"]
    assert listed[1].endswith("latest")
    diff = ok(acme("server", "diff", NAME, "1.0.0", "1.0.1", *CORE))
    assert '-  "description": "Weather",\n+  "description": "Forecasts",' in diff

    out = ok(acme("server", "rollback", NAME, "1.0.1", *CORE))
    assert out.startswith(f"Rolled back to 1.0.1's content: published {NAME} 2.1.0 (after 2.0.0)")
    state = as_json(acme("server", "versions", NAME, *CORE, "--json"))
    assert [v["version"] for v in state["versions"]] == ["1.0.0", "1.0.1", "2.0.0", "2.1.0"]
    assert (state["latest"], state["unpublished_changes"]) == ("2.1.0", False)
    shown = as_json(acme("server", "show", NAME, *CORE, "--json"))
    assert shown["version"] == "2.1.0" and shown["description"] == "Forecasts"


def test_pin_and_unpin(acme: CliRunner, tmp_path: Path) -> None:
    ok(acme("server", "edit", NAME, *CORE, "--file", str(tmp_path / "described.json")))
    ok(acme("server", "publish", NAME, *CORE, "--bump", "minor"))
    assert ok(acme("server", "pin", NAME, "1.0.0", *CORE)) == (
        f"Pinned {NAME} at 1.0.0 in registry core (the latest is 1.1.0).\n"
    )
    state = as_json(acme("server", "versions", NAME, *CORE, "--json"))
    assert (state["pinned"], state["in_use"], state["behind"]) == ("1.0.0", "1.0.0", True)
    assert ok(acme("server", "unpin", NAME, *CORE)) == (
        f"{NAME} follows the latest version again (1.1.0) in registry core.\n"
    )


BAD_INPUT = [
    ("server publish", ("server", "publish", NAME, *CORE), ANN, 1),  # nothing new
    ("server publish", ("server", "publish", NAME, *CORE, "--as-version", "1.0.0"), ANN, 1),
    ("server publish", ("server", "publish", NAME, *CORE, "--as-version", "0.9.0"), ANN, 1),
    ("server publish", ("server", "publish", NAME, *CORE, "--as-version", "one"), ANN, 1),
    ("server publish", ("server", "publish", NAME, *CORE, "--bump", "huge"), ANN, 2),
    ("server publish", ("server", "publish", NAME, *CORE, "--bump", "patch"), BOB, 1),
    ("server publish", ("server", "publish", NAME, *CORE), CARL, 1),
    ("server publish", ("server", "publish", "io.x/none", *CORE), ANN, 1),
    ("server publish", ("server", "publish", NAME), ANN, 2),
    ("server versions", ("server", "versions", "io.x/none", *CORE), ANN, 1),
    ("server versions", ("server", "versions", NAME, *CORE), CARL, 1),
    ("server versions", ("server", "versions", *CORE), ANN, 2),
    ("server diff", ("server", "diff", NAME, "1.0.0", "9.9.9", *CORE), ANN, 1),
    ("server diff", ("server", "diff", NAME, "1.0.0", *CORE), ANN, 2),
    ("server diff", ("server", "diff", NAME, "1.0.0", "1.0.0", *CORE), CARL, 1),
    ("server rollback", ("server", "rollback", NAME, "3.0.0", *CORE), ANN, 1),
    ("server rollback", ("server", "rollback", NAME, "1.0.0", *CORE), BOB, 1),
    (
        "server rollback",
        ("server", "rollback", NAME, "1.0.0", *CORE, "--as-version", "1.0.0"),
        ANN,
        1,
    ),
    ("server rollback", ("server", "rollback", NAME, *CORE), ANN, 2),
    ("server pin", ("server", "pin", NAME, "5.0.0", *CORE), ANN, 1),
    ("server pin", ("server", "pin", NAME, "1.0.0", *CORE), BOB, 1),
    ("server pin", ("server", "pin", NAME, *CORE), ANN, 2),
    ("server unpin", ("server", "unpin", NAME, *CORE), ANN, 1),  # not pinned
    ("server unpin", ("server", "unpin", NAME, *CORE), CARL, 1),
    ("server unpin", ("server", "unpin", *CORE), ANN, 2),
]


@pytest.mark.parametrize(
    ("command", "argv", "user", "code"),
    BAD_INPUT,
    ids=[f"{i:02d} {' '.join(argv)[:50]}" for i, (_, argv, *_) in enumerate(BAD_INPUT)],
)
def test_bad_input_for_every_version_command(
    acme: CliRunner, command: str, argv: tuple[str, ...], user: str, code: int
) -> None:
    before = rows(acme.db)
    result = acme(*argv, user=user)
    assert result.code == code
    one_error_line(result)
    assert result.out == ""
    assert rows(acme.db) == before


def test_a_refusal_says_why(acme: CliRunner) -> None:
    line = one_error_line(acme("server", "publish", NAME, *CORE, "--as-version", "0.9.0"))
    assert line == "pylee-tui: version 0.9.0 is not greater than the latest, 1.0.0"
    line = one_error_line(acme("server", "publish", NAME, *CORE))
    assert "nothing to publish" in line
