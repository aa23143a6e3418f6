"""`pylee-tui registry fork` and how `registry show` / `server list` show a fork's servers."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest

from pylee_tui.services import Scope, Services
from tests.cli.expect import as_json, ok, one_error_line, rows
from tests.support import ANN, BOB, CARL, SEARCH, WEATHER, CliRunner, with_services

NAME = WEATHER["name"]
CORE = ("--org", "acme", "--registry", "core")


@pytest.fixture
def world(cli: CliRunner, tmp_path: Path) -> CliRunner:
    """acme (ann admin, bob member) with registry core (weather, search); beta (ann admin)."""
    ok(cli("org", "create", "Acme"))
    ok(cli("org", "create", "Beta"))
    ok(cli("registry", "create", "Core", "--slug", "core", "--org", "acme"))

    def fill(s: Services) -> None:
        for doc in (WEATHER, SEARCH):
            s.registries.add_server(ANN, Scope("acme", "core"), doc)
        s.members.invite(ANN, "acme", BOB)
        s.members.accept(BOB, "acme")

    with_services(cli.db, fill)
    newer = copy.deepcopy(WEATHER)
    newer["packages"][0]["version"] = "1.1.0"
    (tmp_path / "newer.json").write_text(json.dumps(newer), encoding="utf-8")
    return cli


def test_done_when_fork_into_another_org_and_watch_it_fall_behind(
    world: CliRunner, tmp_path: Path
) -> None:
    out = ok(world("registry", "fork", "acme/core", "--into", "beta", "--pinned"))
    assert out == (
        "Forked acme/core into beta as Core (core): 2 servers pinned at their current versions.\n"
    )
    ok(world("server", "edit", NAME, *CORE, "--file", str(tmp_path / "newer.json")))
    ok(world("server", "publish", NAME, *CORE))
    listed = ok(world("server", "list", "--org", "beta", "--registry", "core"))
    weather = next(line for line in listed.splitlines() if line.startswith(NAME))
    assert "behind (upstream: 1.1.0)" in weather
    shown = ok(world("registry", "show", "core", "--org", "beta"))
    assert "Upstream: acme/core (2 servers from it, 1 behind)" in shown
    as_list = as_json(world("server", "list", "--org", "beta", "--registry", "core", "--json"))
    upstream = next(s["upstream"] for s in as_list if s["name"] == NAME)
    assert upstream == {
        "server": f"acme/core/{NAME}",
        "gone": False,
        "pinned": "1.0.0",
        "latest": "1.1.0",
        "behind": True,
    }
    ok(world("server", "unpin", NAME, "--org", "beta", "--registry", "core"))
    assert "behind" not in ok(world("server", "list", "--org", "beta", "--registry", "core"))

    ok(world("server", "remove", NAME, *CORE, "--yes"))
    shown = as_json(world("registry", "show", "core", "--org", "beta", "--json"))
    assert shown["fork_of"] == "acme/core"
    assert next(s for s in shown["servers"] if s["name"] == NAME)["upstream"]["gone"] is True
    assert "GONE UPSTREAM" in ok(world("server", "list", "--org", "beta", "--registry", "core"))


BAD_INPUT = [
    ("registry fork", ("registry", "fork", "acme/core", "--into", "nope"), ANN, 1),
    ("registry fork", ("registry", "fork", "acme/nope", "--into", "beta"), ANN, 1),
    ("registry fork", ("registry", "fork", "acme", "--into", "beta"), ANN, 1),
    ("registry fork", ("registry", "fork", "acme/core/x", "--into", "beta"), ANN, 1),
    ("registry fork", ("registry", "fork", "acme/core", "--into", "beta"), BOB, 1),
    ("registry fork", ("registry", "fork", "acme/core", "--into", "acme"), BOB, 1),
    ("registry fork", ("registry", "fork", "acme/core", "--into", "beta"), CARL, 1),
    ("registry fork", ("registry", "fork", "acme/core", "--into", "beta", "--slug", "B S"), ANN, 1),
    ("registry fork", ("registry", "fork", "acme/core"), ANN, 2),
]


@pytest.mark.parametrize(
    ("command", "argv", "user", "code"),
    BAD_INPUT,
    ids=[f"{i:02d} {' '.join(argv)[:50]}" for i, (_, argv, *_) in enumerate(BAD_INPUT)],
)
def test_bad_input_for_fork(
    world: CliRunner, command: str, argv: tuple[str, ...], user: str, code: int
) -> None:
    before = rows(world.db)
    result = world(*argv, user=user)
    assert result.code == code
    one_error_line(result)
    assert result.out == ""
    assert rows(world.db) == before
