"""The commands, options and arguments of the CLI read back from its argparse parser: what the
completion scripts are generated from, so they never list a command the CLI does not have."""

from __future__ import annotations

import argparse
from collections.abc import Iterator
from dataclasses import dataclass

# the metavars our options and arguments give a file name (`--out FILE`, `--db PATH`)
FILE_METAVARS = frozenset({"FILE", "F", "PATH"})


@dataclass(frozen=True)
class Option:
    flags: tuple[str, ...]  # e.g. ("-h", "--help")
    help: str
    value: str | None = None  # the metavar of the value it takes; None for a flag
    choices: tuple[str, ...] = ()
    repeats: bool = False  # `--server A B`: more than one value

    @property
    def files(self) -> bool:
        return self.value in FILE_METAVARS


@dataclass(frozen=True)
class Argument:
    name: str  # the metavar
    help: str
    choices: tuple[str, ...] = ()
    many: bool = False  # FILE...
    optional: bool = False  # [NAME]

    @property
    def files(self) -> bool:
        return self.name in FILE_METAVARS


@dataclass(frozen=True)
class Command:
    path: tuple[str, ...]  # () for `pylee-tui` itself, ("org", "list") for `org list`
    help: str
    options: tuple[Option, ...]
    arguments: tuple[Argument, ...]
    subcommands: tuple[Command, ...]

    @property
    def name(self) -> str:
        return " ".join(self.path)

    def walk(self) -> Iterator[Command]:
        """This command and every command under it, parents first."""
        yield self
        for sub in self.subcommands:
            yield from sub.walk()


def command_tree(parser: argparse.ArgumentParser) -> Command:
    return _command(parser, (), parser.description or "")


def _command(parser: argparse.ArgumentParser, path: tuple[str, ...], help_text: str) -> Command:
    options: list[Option] = []
    arguments: list[Argument] = []
    subcommands: list[Command] = []
    # argparse has no public API to walk a parser; `_actions` is what its own help reads
    for action in parser._actions:
        if action.help == argparse.SUPPRESS:
            continue
        if isinstance(action, argparse._SubParsersAction):
            helps = {a.dest: a.help or "" for a in action._choices_actions}
            for name, sub in action.choices.items():
                subcommands.append(_command(sub, (*path, name), helps.get(name, "")))
            continue
        choices = tuple(str(c) for c in action.choices or ())
        metavar = action.metavar if isinstance(action.metavar, str) else None
        if action.option_strings:
            takes_value = action.nargs != 0
            options.append(
                Option(
                    flags=tuple(action.option_strings),
                    help=action.help or "",
                    value=(metavar or action.dest.upper()) if takes_value else None,
                    choices=choices,
                    repeats=action.nargs in ("+", "*"),
                )
            )
        else:
            arguments.append(
                Argument(
                    name=metavar or action.dest.upper(),
                    help=action.help or "",
                    choices=choices,
                    many=action.nargs in ("+", "*"),
                    optional=action.nargs == "?",
                )
            )
    return Command(path, help_text, tuple(options), tuple(arguments), tuple(subcommands))


def valued_flags(tree: Command) -> list[str]:
    """Every option that takes a value, anywhere: a completion skips the word after it when it
    works out which command is being typed. An option that took a value in one command and
    none in another would make that ambiguous, so the tests forbid it."""
    return sorted({f for c in tree.walk() for o in c.options if o.value for f in o.flags})
