"""A command line builds the parsers of the commands it names and registers the others by name and
help alone: what anyone sees (every --help, every usage error, the list of commands) is what the
full parser says."""

from __future__ import annotations

import contextlib
import io

import pytest

from pylee_tui.cli import build_parser, main
from pylee_tui.cli.command_tree import command_tree

PATHS = [c.path for c in command_tree(build_parser()).walk()]


def full_parser_says(*argv: str) -> tuple[int, str, str]:
    """What the parser with every command built prints for `argv`, and its exit code."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            build_parser().parse_args(list(argv))
        except SystemExit as exc:
            return int(exc.code or 0), out.getvalue(), err.getvalue()
    return 0, out.getvalue(), err.getvalue()


def main_says(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(list(argv), out=out, err=err)
    return code, out.getvalue(), err.getvalue()


@pytest.mark.parametrize("path", PATHS, ids=[" ".join(p) or "pylee-tui" for p in PATHS])
def test_every_help_is_the_full_parsers(path: tuple[str, ...]) -> None:
    code, out, _ = main_says(*path, "--help")
    assert code == 0
    assert (code, out) == full_parser_says(*path, "--help")[:2]


@pytest.mark.parametrize(
    ("argv", "says"),
    [
        (("orgg", "list"), "invalid choice: 'orgg'"),
        (("org",), "the following arguments are required: ACTION"),
        (("org", "lst"), "invalid choice: 'lst'"),
        (("--db", "org", "whoami", "--nope"), "unrecognized arguments: --nope"),
        (("export", "--org", "a", "--registry", "b", "--client", "emacs"), "invalid choice"),
    ],
)
def test_usage_errors_name_the_same_choices(argv: tuple[str, ...], says: str) -> None:
    with pytest.raises(Exception, match=".*") as full:
        build_parser().parse_args(list(argv))
    code, out, err = main_says(*argv)
    assert code == 2 and out == ""
    assert says in err
    assert err == f"pylee-tui: {' '.join(str(full.value).split())}\n"


def test_version_is_what_argparse_prints() -> None:
    assert main_says("--version") == full_parser_says("--version")
    # given with other options, argparse itself answers, in the same words
    assert main_says("--db", "x.db", "--version") == main_says("--version")
