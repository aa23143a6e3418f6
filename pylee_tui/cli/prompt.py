"""What the CLI asks of the person at the terminal: passphrases and hidden values typed without
echo, and the `--yes` a destructive command needs."""

from __future__ import annotations

import getpass
import os
import sys
from collections.abc import Callable
from typing import Any, NoReturn

from pylee_tui.fields import clean
from pylee_tui.services import InvalidInput, PyleeError

PASSPHRASE_ENV = "PYLEE_PASSPHRASE"
NEW_PASSPHRASE_ENV = "PYLEE_NEW_PASSPHRASE"
PASSPHRASE_HELP = f"the vault passphrase comes from {PASSPHRASE_ENV} or a prompt"


def unconfirmed(what: str) -> NoReturn:
    """A destructive command without --yes: say what it would do, and do nothing."""
    raise PyleeError(f"{what}; pass --yes to confirm")


def stdin_is_tty() -> bool:
    try:
        return sys.stdin is not None and sys.stdin.isatty()
    except (AttributeError, ValueError, OSError):  # closed or replaced stdin
        return False


def ask_hidden(prompt: str) -> str:
    """One line typed at the terminal without echo (tests replace `getpass.getpass`)."""
    try:
        return getpass.getpass(prompt)
    except EOFError:
        raise PyleeError("nothing was typed; nothing was changed") from None


def ask_twice(prompt: str, what: str, check: Callable[[str], Any] | None = None) -> str:
    """Typed twice, hidden; the two must match (`check` runs on the first, before the second)."""
    first = ask_hidden(prompt)
    if check is not None:
        check(first)
    if ask_hidden("Type it again: ") != first:
        raise PyleeError(f"the two {what} typed do not match; nothing was changed")
    return first


def check_passphrase(value: str) -> str:
    try:
        return clean("passphrase", value)
    except ValueError as exc:
        raise InvalidInput(str(exc)) from None


def read_passphrase(env: str, prompt: str, new: bool = False) -> str:
    """A passphrase from the environment variable `env`, else typed at the terminal (twice, and
    checked against the passphrase rule, when it is a `new` one). An empty variable is unset."""
    value = os.environ.get(env)
    if value:
        return check_passphrase(value) if new else value
    if not stdin_is_tty():
        which = "the new vault passphrase" if env == NEW_PASSPHRASE_ENV else "the vault passphrase"
        raise PyleeError(f"{which} is needed: set {env} (there is no terminal to ask on)")
    if new:
        return ask_twice(prompt, "passphrases", check_passphrase)
    return ask_hidden(prompt)
