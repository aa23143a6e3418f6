"""The fake machine: a home and a project holding every client's config (tests/data)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from pylee_tui.services import Scope, Services
from tests.support import ANN

MACHINE = Path(__file__).parent.parent / "data" / "clients" / "machine"
PASSPHRASE = "correct horse battery"
# the fake secret values the machine's files hold inline
INLINE_SECRETS = (
    "ghp_FAKE1234567890abcdefABCDEF1234567890",
    "hunter2-fake-pg-password",
    "sk-FAKEopenaiKEY0123456789abcdef",
)


def copy_machine(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, Path]:
    """A writable copy of the machine: (home, project)."""
    monkeypatch.delenv("XDG_CONFIG_HOME", raising=False)
    target = tmp_path / "machine"
    shutil.copytree(MACHINE, target)
    return target / "home", target / "project"


def registry(s: Services, vault: bool = True) -> Services:
    s.orgs.create(ANN, "Acme")
    s.registries.create(ANN, "acme", "Tools")
    if vault:
        s.vault.initialize(ANN, PASSPHRASE)
    return s


TOOLS = Scope("acme", "tools")
