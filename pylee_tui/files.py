"""Writing a file whole: a temporary file beside it, fsynced, renamed over it; the temporary
files a killed write left behind are removed by the next write."""

from __future__ import annotations

import contextlib
import os
import re
import stat
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import IO

try:
    import fcntl
except ImportError:  # Windows: a file open for writing cannot be deleted there anyway
    fcntl = None  # type: ignore[assignment]  # the module does not exist on Windows

TEMP_MARK = ".pylee-"  # `.NAME.pylee-XXXXXXXX.tmp`: recognisably ours
_TEMP_RANDOM = r"[a-z0-9_]{8}"  # what tempfile.mkstemp puts between prefix and suffix


def write_atomic(
    path: Path,
    text: str,
    mode: int = 0o644,
    _before_replace: Callable[[Path], None] | None = None,
) -> None:
    """Write `text` to a temporary file beside `path`, fsync it, then rename it over `path`:
    the temporary file, `.NAME.pylee-XXXXXXXX.tmp`, holds an exclusive lock from its creation to
    its rename, so a later write removes only the ones a killed run left (unlocked), never a
    file of another program or one still being written. A crash at any point leaves either the
    old file or the new one, whole. A symlink at `path` is replaced, not
    followed (an export passes the link's target itself). The directory must exist.
    `_before_replace(tmp)` runs once the temporary file is whole, before the rename."""
    remove_stale_temps(path)
    tmp, fh = _locked_temp(path)
    try:
        with fh:
            os.fchmod(fh.fileno(), mode)
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
            if _before_replace is not None:
                _before_replace(tmp)
            if fcntl is not None:  # renamed while still locked: no cleanup can take it
                os.replace(tmp, path)
        if fcntl is None:
            os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise
    with contextlib.suppress(OSError):
        dir_fd = os.open(path.parent, os.O_DIRECTORY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)


def remove_stale_temps(path: Path) -> list[Path]:
    """Remove the temporary files a killed write to `path` left beside it (they may hold a
    config's inlined secrets): only ours by name, owned by this user, regular files that no
    running write holds locked. Returns what was removed."""
    pattern = _temp_pattern(path)
    try:
        names = os.listdir(path.parent)
    except OSError:
        return []
    removed: list[Path] = []
    for name in names:
        if pattern.fullmatch(name) and _remove_if_stale(path.parent / name):
            removed.append(path.parent / name)
    return removed


def _temp_pattern(path: Path) -> re.Pattern[str]:
    return re.compile(re.escape(f".{path.name}{TEMP_MARK}") + _TEMP_RANDOM + r"\.tmp")


def _locked_temp(path: Path) -> tuple[Path, IO[str]]:
    """A new temporary file beside `path`, open for writing and locked (until it is closed)."""
    for _attempt in range(3):
        fd, name = tempfile.mkstemp(
            prefix=f".{path.name}{TEMP_MARK}", suffix=".tmp", dir=path.parent
        )
        if fcntl is not None:
            fcntl.flock(fd, fcntl.LOCK_EX)
            if os.fstat(fd).st_nlink == 0:  # a cleanup took it before the lock: another one
                os.close(fd)
                continue
        return Path(name), os.fdopen(fd, "w", encoding="utf-8")
    raise OSError(f"cannot create a temporary file beside {path}")


def _remove_if_stale(candidate: Path) -> bool:
    flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0)
    try:
        fd = os.open(candidate, flags)
    except OSError:  # a symlink, or not ours to read
        return False
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode) or st.st_uid != getattr(os, "getuid", lambda: st.st_uid)():
            return False
        if fcntl is not None:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError:  # a write in progress holds it
                return False
            candidate.unlink()
            return True
    except OSError:
        return False
    finally:
        os.close(fd)
    try:  # no locks (Windows): a file still open for writing cannot be removed there
        candidate.unlink()
    except OSError:
        return False
    return True
