"""The CLI's tests: no passphrase in the environment and a stdin that is not a terminal, unless
a test types at the stand-in keyboard."""

from __future__ import annotations

import getpass
import io
from typing import Any

import pytest


class Keyboard:
    """Stands in for getpass.getpass: answers prompts in order and remembers them. A prompt
    with nothing left to type gets EOFError (as at a real terminal) and is recorded."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch):
        self.answers: list[str] = []
        self.prompts: list[str] = []
        self.unexpected: list[str] = []
        monkeypatch.setattr(getpass, "getpass", self)

    def __call__(self, prompt: str = "Password: ", stream: Any = None) -> str:
        self.prompts.append(prompt)
        if not self.answers:
            self.unexpected.append(prompt)
            raise EOFError
        return self.answers.pop(0)

    def type(self, *answers: str) -> Keyboard:
        self.answers = list(answers)
        return self


@pytest.fixture
def keyboard(monkeypatch: pytest.MonkeyPatch) -> Keyboard:
    """No passphrase in the environment and a stdin that is not a terminal, unless a test says."""
    monkeypatch.delenv("PYLEE_PASSPHRASE", raising=False)
    monkeypatch.delenv("PYLEE_NEW_PASSPHRASE", raising=False)
    monkeypatch.setattr("sys.stdin", io.StringIO(""))
    return Keyboard(monkeypatch)
