"""The argparse pieces every command group uses: one-line usage errors, the groups commands
register in, the options many commands share and the value types they parse."""

from __future__ import annotations

import argparse
import functools
from collections.abc import Callable, Collection, Iterator
from typing import Any, NoReturn, cast

PROG = "pylee-tui"


class UsageError(Exception):
    """Bad usage: exit 2."""


# argparse rather than click: every usage message and exit code is pinned by the tests and the
# README, and click words its errors over several lines; completion is generated here instead
class CliParser(argparse.ArgumentParser):
    """argparse, but a usage error is one line (the caller prints it and exits 2)."""

    def error(self, message: str) -> NoReturn:
        raise UsageError(f"{message} (see `{self.prog} --help`)")


def common_options() -> CliParser:
    """--db and --as, accepted before or after any command (every parser has them as a parent;
    SUPPRESS keeps a value given before the command from being reset by the subcommand)."""
    common = CliParser(add_help=False)
    common.add_argument(
        "--db", metavar="PATH", default=argparse.SUPPRESS, help="database file (env PYLEE_DB)"
    )
    common.add_argument(
        "--as",
        dest="as_user",
        metavar="EMAIL",
        default=argparse.SUPPRESS,
        help="act as this user (env PYLEE_USER)",
    )
    return common


class Commands:
    """Where a command group registers its subcommands: `command` adds a runnable one, `group`
    a level that needs an ACTION (`org list`).

    `only` (at the top level) names the commands to build in full: the others are registered
    with their name and help alone, so `pylee-tui --help` and a mistyped command read as ever,
    while a run builds the parsers of its own command rather than all sixty (each costs argparse
    a fraction of a millisecond, most of a cold start's budget together). None builds all."""

    def __init__(self, subparsers: Any, common: CliParser, only: Collection[str] | None = None):
        self.subparsers = subparsers
        self.common = common
        self.only = only

    def _builds(self, name: str, help_text: str) -> bool:
        if self.only is None or name in self.only:
            return True
        self.subparsers.add_parser(name, help=help_text, add_help=False)
        return False

    def command(self, name: str, func: Callable[..., int], help_text: str, **kw: Any) -> CliParser:
        if not self._builds(name, help_text):
            return cast(CliParser, Unbuilt())
        p = self.subparsers.add_parser(
            name, parents=[self.common], help=help_text, description=help_text, **kw
        )
        p.set_defaults(func=func)
        return p

    def group(self, name: str, help_text: str) -> Commands:
        if not self._builds(name, help_text):
            return Commands(Unbuilt(), self.common, only=())
        p = self.subparsers.add_parser(name, help=help_text, parents=[self.common])
        sub = p.add_subparsers(dest=f"{name}_command", metavar="ACTION", parser_class=CliParser)
        sub.required = True
        return Commands(sub, self.common)


class Unbuilt:
    """Stands in for the parser of a command that is not built: whatever its registration calls
    on it (add_argument, set_defaults, add_parser, a group's add_argument) does nothing."""

    def __getattr__(self, name: str) -> Callable[..., Unbuilt]:
        return self._ignore

    def _ignore(self, *args: Any, **kwargs: Any) -> Unbuilt:
        return self


class LazyChoices:
    """An option's choices taken from a module loaded only when argparse first reads them: when
    it builds that command's parser or checks a value, not when the CLI starts."""

    def __init__(self, load: Callable[[], Collection[str]]):
        self._load = load

    @functools.cached_property
    def _choices(self) -> Collection[str]:
        return self._load()

    def __contains__(self, value: object) -> bool:
        return value in self._choices

    def __iter__(self) -> Iterator[str]:
        return iter(self._choices)

    def __len__(self) -> int:
        return len(self._choices)


# --- options shared by several commands ------------------------------------------------------


def json_flag(p: CliParser) -> None:
    p.add_argument("--json", action="store_true", help="machine-readable output")


def org_option(p: CliParser) -> None:
    p.add_argument("--org", metavar="SLUG", required=True, help="the organization")


def registry_options(p: CliParser) -> None:
    org_option(p)
    p.add_argument("--registry", metavar="SLUG", required=True, help="the registry")


def scope_options(p: CliParser) -> None:
    """--org, and optionally --registry and --server: where a variable or secret lives."""
    org_option(p)
    p.add_argument("--registry", metavar="SLUG", help="a registry of the org (default: the org)")
    p.add_argument("--server", metavar="NAME", help="a server of that registry")
    p.set_defaults(check=functools.partial(check_scope, p))


def check_scope(parser: CliParser, args: argparse.Namespace) -> None:
    for flag, value in (("--registry", args.registry), ("--server", args.server)):
        if value is not None and not value.strip():
            parser.error(f"{flag} cannot be empty")
    if args.server and not args.registry:
        parser.error("--server needs --registry: a server is named within its registry")


def key_argument(p: CliParser) -> None:
    p.add_argument("key", metavar="KEY", help="capital letters, digits and _, e.g. LOG_LEVEL")


def positive_int(text: str, maximum: int | None = None) -> int:
    """A whole number from 1 (to `maximum`, when given) for argparse."""
    shown = text.strip() if len(text.strip()) <= 24 else text.strip()[:20] + "…"
    try:
        value = int(text)
    except ValueError:  # also more digits than Python converts
        raise argparse.ArgumentTypeError(f"{shown!r} is not a whole number") from None
    if value < 1 or (maximum is not None and value > maximum):
        allowed = "1 or more" if maximum is None else f"from 1 to {maximum:,}"
        raise argparse.ArgumentTypeError(f"must be {allowed} (got {shown})")
    return value
