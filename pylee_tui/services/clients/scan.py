"""Scan: every client's config file at each of its scopes, read in common terms. A file that is
not there is listed as such; one that cannot be read says why in one line and lists nothing."""

from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import Any

from pylee_tui.services.clients.model import FoundEntry, FoundFile
from pylee_tui.services.errors import InvalidInput
from pylee_tui.services.export.clients.base import ClientEntry, ClientFormat
from pylee_tui.services.export.codec import parse_document
from pylee_tui.services.export.merge import Owners

_LAUNCHER_SCRIPT = "pylee-tui"
MAX_CONFIG_BYTES = 16 * 1024 * 1024  # far beyond any client's config; a guard, not a limit
_MIB = 1024 * 1024


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
        text = read_client_file(path)
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


def read_client_file(path: Path) -> str | None:
    """A client's config file's text, None when it is not there. Only a regular file (through
    a symlink) of at most 16 MiB is read: a device never ends and a pipe blocks, so either is
    refused in one line, as is a file too large or not UTF-8. Opened without blocking, then
    checked on what was opened (so a file swapped meanwhile is checked too)."""
    flags = os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_BINARY", 0)
    try:
        fd = os.open(path, flags)
    except FileNotFoundError:
        return None
    except IsADirectoryError:
        raise InvalidInput(f"{path} is a directory, not a config file") from None
    except OSError as exc:
        raise InvalidInput(f"cannot read {path}: {exc.strerror or exc}") from None
    with os.fdopen(fd, "rb") as handle:
        try:
            info = os.fstat(handle.fileno())
            if stat.S_ISDIR(info.st_mode):
                raise InvalidInput(f"{path} is a directory, not a config file")
            if not stat.S_ISREG(info.st_mode):
                raise InvalidInput(f"{path} is not a regular file (a device, a pipe or a socket)")
            if info.st_size > MAX_CONFIG_BYTES:
                raise InvalidInput(_too_large(path, info.st_size))
            data = handle.read(MAX_CONFIG_BYTES + 1)
        except OSError as exc:
            raise InvalidInput(f"cannot read {path}: {exc.strerror or exc}") from None
    if len(data) > MAX_CONFIG_BYTES:  # it grew since
        raise InvalidInput(_too_large(path, len(data)))
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InvalidInput(f"cannot read {path}: {exc}") from None
    return text.replace("\r\n", "\n").replace("\r", "\n")  # as text mode reads it


def _too_large(path: Path, size: int) -> str:
    return f"{path} is too large to be a client config ({-(-size // _MIB)} MiB)"


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
