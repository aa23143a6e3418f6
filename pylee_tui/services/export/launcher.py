"""The launcher mode's entries: a client starts each server as `pylee-tui run`, which resolves
its configuration and decrypts its secrets when it starts, so the file holds no value at all."""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path
from typing import Any

from pylee_tui.services.export.entry import EntryBuilder

SCRIPT = "pylee-tui"
LAUNCHER_NOTE = (
    "entries start through `pylee-tui run`: the vault must be unlocked when the client starts "
    "them (the agent, or PYLEE_PASSPHRASE in the client's environment)"
)


def pylee_command() -> list[str]:
    """How to start this installation of pylee-tui, by absolute paths (a client's PATH is often
    minimal): the script beside this interpreter (a virtual environment's bin), else the one
    on PATH, else this interpreter running the package."""
    script = SCRIPT + (".exe" if sys.platform.startswith("win") else "")
    # the interpreter's own folder, not the one its symlink points to: a venv's bin holds both
    beside = Path(os.path.abspath(sys.executable)).parent / script
    if beside.is_file() and os.access(beside, os.X_OK):
        return [str(beside)]
    found = shutil.which(SCRIPT)
    if found:
        return [os.path.abspath(found)]
    return [os.path.abspath(sys.executable), "-m", "pylee_tui"]


def store_options(db: Path | str, actor: str) -> list[str]:
    """`--db DB --as ACTOR`: the store and the user given, so a local store's entry does not
    depend on the client's environment or working folder."""
    return ["--db", os.path.abspath(db), "--as", actor]


def launcher_argv(command: list[str], where: list[str], builder: EntryBuilder) -> list[str]:
    """`pylee-tui WHERE run --org O --registry R SERVER`, WHERE naming the store the entry runs
    against (`store_options`, or a team server's `--server URL`)."""
    plan = builder.plan
    return [
        *command,
        *where,
        "run",
        "--org",
        plan.org,
        "--registry",
        plan.registry,
        builder.server_name,
    ]


def launcher_entry(command: list[str], where: list[str], builder: EntryBuilder) -> dict[str, Any]:
    """The client's entry starting the builder's server through `pylee-tui run`: no env, no
    headers (a remote too: `run` bridges stdio to it)."""
    builder.warn_secret_headers()
    return builder.client.command_entry(launcher_argv(command, where, builder), {})
