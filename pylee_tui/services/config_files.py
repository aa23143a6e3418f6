"""Client config files on disk: read strictly, written whole, never left behind half-done.

- Reading: plain JSON (a UTF-8 BOM is allowed and kept); duplicate keys, NaN and Infinity are
  refused with one line, as the server.json reader does, since a merge would drop the first of
  two blocks with the same key.
- Writing: a temporary file beside the target, fsynced, then renamed over it. The temporary
  file is named `.NAME.pylee-XXXXXXXX.tmp` and holds an exclusive lock from its creation to its
  rename; a later write (or export) removes the ones left by a killed run (unlocked), and never
  a file of another program or one still being written.
- Where: a target must be a regular file (or not exist yet); a workspace's `.vscode/mcp.json`
  that a symlink leads out of its workspace is refused.
"""

from __future__ import annotations

import contextlib
import os
import re
import stat
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any

from pylee_tui.server_json import loads_strict
from pylee_tui.services.errors import InvalidInput

try:
    import fcntl
except ImportError:  # Windows: a file open for writing cannot be deleted there anyway
    fcntl = None  # type: ignore[assignment]

BOM = "\ufeff"
TEMP_MARK = ".pylee-"  # `.NAME.pylee-XXXXXXXX.tmp`: recognisably ours
_TEMP_RANDOM = r"[a-z0-9_]{8}"  # what tempfile.mkstemp puts between prefix and suffix


# --- where -----------------------------------------------------------------------------------


def link_target(path: Path) -> Path:
    """The file a symlink points to (followed to the end), else the path itself: writing
    there keeps the link."""
    return Path(os.path.realpath(path)) if path.is_symlink() else path


def refuse_workspace_link(path: Path) -> None:
    """A `.vscode/mcp.json` is relative to its workspace (the folder holding `.vscode`), so a
    cloned repository can ship the file, or `.vscode` itself, as a symlink to anywhere (a
    user's settings, a dangling path). Refuse one that leads outside the workspace; the real
    path, given itself, is written as any other."""
    path = Path(os.path.abspath(path))
    folder = path.parent
    if folder.name != ".vscode":
        return
    workspace = folder.parent
    inside = Path(os.path.realpath(workspace))
    real = Path(os.path.realpath(path))
    if real.is_relative_to(inside):
        return
    folder_real = Path(os.path.realpath(folder))
    link = path if folder_real.is_relative_to(inside) else folder
    raise InvalidInput(
        f"{link} is a symlink to {os.path.realpath(link)}, outside the workspace {workspace}; "
        "nothing was written (to write there, give that path itself)"
    )


def check_target(path: Path, target: Path, create_parent: bool) -> None:
    """Refuse, before reading anything, a target that is not a regular file (a device never
    ends, a pipe blocks) or, unless it may be created, whose directory does not exist."""
    try:
        mode = os.stat(path).st_mode  # through a symlink
    except FileNotFoundError:
        mode = None
    except OSError as exc:
        raise InvalidInput(f"cannot read {path}: {exc.strerror or exc}") from None
    if mode is not None:
        if stat.S_ISDIR(mode):
            raise InvalidInput(f"{path} is a directory, not a config file")
        if not stat.S_ISREG(mode):
            raise InvalidInput(
                f"{path} is not a regular file (a device, a pipe or a socket); nothing was written"
            )
        return
    parent = Path(os.path.realpath(target)).parent
    if not create_parent and not parent.is_dir():
        raise InvalidInput(f"no directory {parent}: create it first; nothing was written")


def file_identity(path: Path) -> list[int] | None:
    """Which file is at `path` now (device and inode, through a symlink): a rename keeps the
    inode, so this tells whether a given temporary file became the file."""
    try:
        st = os.stat(path)
    except OSError:
        return None
    return [st.st_dev, st.st_ino]


def mode_of(path: Path) -> int:
    try:
        return path.stat().st_mode & 0o777
    except OSError:
        return 0o644


def min_mode(a: int, b: int) -> int:
    """The stricter of two permission sets (what both allow)."""
    return a & b


# --- reading ---------------------------------------------------------------------------------


def read_config(path: Path) -> str | None:
    try:
        return path.read_text("utf-8")
    except FileNotFoundError:
        return None
    except IsADirectoryError:
        raise InvalidInput(f"{path} is a directory, not a config file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise InvalidInput(f"cannot read {path}: {getattr(exc, 'strerror', None) or exc}") from None


def parse_config(path: Path, text: str) -> dict[str, Any]:
    """A config's object. A BOM is allowed; duplicate keys are refused (merging would keep
    only the last of the two blocks)."""
    if not text.removeprefix(BOM).strip():
        return {}
    try:
        data = loads_strict(text, str(path))
    except ValueError as exc:
        raise InvalidInput(f"{exc}: fix or move it; nothing was written") from None
    if not isinstance(data, dict):
        raise InvalidInput(f"{path} does not hold a JSON object; nothing was written")
    return data


def bom_of(text: str | None) -> str:
    """The BOM a file starts with, to write it back the same way."""
    return BOM if text and text.startswith(BOM) else ""


# --- writing ---------------------------------------------------------------------------------


def write_config(
    path: Path,
    text: str,
    mode: int,
    shown: Path | None = None,
    before_replace: Callable[[Path], None] | None = None,
) -> None:
    """`write_atomic`, creating the directory (the caller refused a missing one unless it is
    the client's usual place); an OS error is one line naming the file."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        write_atomic(path, text, mode=mode, _before_replace=before_replace)
    except OSError as exc:
        raise InvalidInput(f"cannot write {shown or path}: {exc.strerror or exc}") from None


def write_atomic(
    path: Path,
    text: str,
    mode: int = 0o644,
    _before_replace: Callable[[Path], None] | None = None,
) -> None:
    """Write `text` to a temporary file beside `path`, fsync it, then rename it over `path`:
    a crash at any point leaves either the old file or the new one, whole, and a temporary file
    a killed run left is removed by the next write. A symlink at `path` is replaced, not
    followed (`install` passes the link's target itself). The directory must exist.
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
