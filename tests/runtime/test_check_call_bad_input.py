"""check and call refuse bad input with one line on stderr, nothing on stdout and no server
started: usage errors exit 2, a name that does not resolve or a refusal exits 1."""

from __future__ import annotations

import pytest

from tests.runtime.conftest import REPORTER_NAME, World
from tests.support import ANN, CliRunner, table_rows

ORG = ("--org", "acme")
TOOLS = ("--org", "acme", "--registry", "tools")

# (command, argv, user, exit status, what the line says): the shape of tests/cli/test_cli.py's
# BAD_INPUT, whose coverage test counts these commands too
BAD_INPUT = [
    ("check", ("check",), ANN, 2, "--org"),
    ("check", ("check", *ORG, "--timeout", "0"), ANN, 2, "timeout"),
    ("check", ("check", *ORG, "--timeout", "soon"), ANN, 2, "--timeout"),
    ("check", ("check", *ORG, "--parallel", "0"), ANN, 2, "--parallel"),
    ("check", ("check", *ORG, REPORTER_NAME), ANN, 2, "registry"),
    ("check", ("check", "--org", "nope"), ANN, 1, "nope"),
    ("check", ("check", *ORG, "--registry", "nope"), ANN, 1, "nope"),
    ("check", ("check", *TOOLS, "io.github.pylee/nope"), ANN, 1, "io.github.pylee/nope"),
    ("check", ("check", *ORG), "carl@x.org", 1, "acme"),
    ("call", ("call", *TOOLS, REPORTER_NAME), ANN, 2, "TOOL"),
    ("call", ("call", *ORG, REPORTER_NAME, "add"), ANN, 2, "--registry"),
    ("call", ("call", *TOOLS, REPORTER_NAME, "add", "--arg", "a"), ANN, 1, "key=value"),
    ("call", ("call", *TOOLS, REPORTER_NAME, "add", "--json-args", "{"), ANN, 1, "--json-args"),
    ("call", ("call", *TOOLS, REPORTER_NAME, "add", "--json-args", "[1]"), ANN, 1, "object"),
    ("call", ("call", *TOOLS, "io.github.pylee/nope", "add"), ANN, 1, "io.github.pylee/nope"),
    ("call", ("call", *TOOLS, REPORTER_NAME, "add"), "carl@x.org", 1, "acme"),
]


@pytest.mark.parametrize(
    ("command", "argv", "user", "status", "says"),
    BAD_INPUT,
    ids=[f"{i:02d} {' '.join(argv)[:50]}" for i, (_, argv, *_) in enumerate(BAD_INPUT)],
)
def test_bad_input_is_one_line_and_starts_nothing(
    world: World, command: str, argv: tuple[str, ...], user: str, status: int, says: str
) -> None:
    before = table_rows_of(world)
    code, out, err = CliRunner(world.db)(*argv, user=user)
    assert code == status, err
    assert out == ""
    assert len(err.splitlines()) == 1 and err.startswith("pylee-tui"), err
    assert says in err
    assert table_rows_of(world) == before  # no check stored, no event


def table_rows_of(world: World) -> dict:
    s = world.services()
    try:
        return table_rows(s.store)
    finally:
        s.store.close()
