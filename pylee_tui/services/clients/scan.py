"""Scan: every client's config file at each of its scopes, read in common terms. A file that is
not there is listed as such; one that cannot be read says why in one line and lists nothing."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from pylee_tui.services.clients.model import FoundEntry, FoundFile
from pylee_tui.services.errors import InvalidInput
from pylee_tui.services.export.clients.base import ClientEntry, ClientFormat
from pylee_tui.services.export.codec import parse_document
from pylee_tui.services.export.configfile import read_config
from pylee_tui.services.export.merge import Owners

_LAUNCHER_SCRIPT = "pylee-tui"


def config_path(
    fmt: ClientFormat, scope: str, home: Path | None, cwd: Path | None, platform: str | None
) -> Path:
    return fmt.config_path(home, cwd, platform, scope)


def read_file(
    fmt: ClientFormat, scope: str, path: Path, owners: Owners
) -> tuple[FoundFile, dict[str, Any] | None, str | None]:
    """The file as scan lists it, with its parsed document and text (None when it is not there
    or cannot be read)."""

    def file(exists: bool, problem: str | None = None, entries: tuple = ()) -> FoundFile:
        return FoundFile(fmt.key, fmt.title, scope, path, exists, entries, problem)

    try:
        text = read_config(path)
    except InvalidInput as exc:
        return file(True, _line(exc)), None, None
    if text is None:
        return file(False), None, None
    try:
        document = parse_document(fmt, path, text).document
        groups = fmt.server_groups(document)
    except (InvalidInput, ValueError) as exc:
        return file(True, _line(exc)), None, None
    entries: list[FoundEntry] = []
    for group, servers in groups.items():
        if not isinstance(servers, dict):
            continue
        for name, raw in servers.items():
            entry = fmt.read_entry(str(name), raw)
            entries.append(
                FoundEntry(
                    entry,
                    group=group,
                    ours=group == "" and name in owners,
                    launcher=is_launcher(entry),
                )
            )
    return file(True, entries=tuple(entries)), document, text


def is_launcher(entry: ClientEntry) -> bool:
    """Whether the entry starts `pylee-tui … run …` (the launcher mode's entries): the script,
    or an interpreter running the package (`python -m pylee_tui`)."""
    if entry.command is None or "run" not in entry.args:
        return False
    script = os.path.basename(entry.command.replace("\\", "/")).lower()
    if script.removesuffix(".exe") == _LAUNCHER_SCRIPT:
        return True
    args = list(entry.args)
    return any(a == "-m" and args[i + 1 : i + 2] == ["pylee_tui"] for i, a in enumerate(args))


# what a refusal to write adds; a scan writes nothing, so it says only what is wrong
_WRITE_ADVICE = ("; fix or move it; nothing was written", ": fix or move it; nothing was written")


def _line(exc: Exception) -> str:
    line = " ".join(str(exc).split()) or type(exc).__name__
    for advice in _WRITE_ADVICE:
        line = line.removesuffix(advice)
    return line.removesuffix("; nothing was written")
