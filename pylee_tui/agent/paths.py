"""Where the agent's socket lives, in a directory only its user may enter: `$XDG_RUNTIME_DIR/
pylee-tui/` when that is a private directory of ours, else `<temp dir>/pylee-tui-<uid>/`."""

from __future__ import annotations

import os
import stat
import tempfile
from pathlib import Path

SOCKET_NAME = "agent.sock"
# sun_path holds 108 bytes on Linux, NUL included
MAX_SOCKET_PATH = 107


class AgentPathError(Exception):
    """The socket's directory is not private (another owner, a looser mode, not a directory)."""


def _private(path: Path) -> bool:
    """An existing real directory owned by us that nobody else may enter or list."""
    try:
        st = os.lstat(path)
    except OSError:
        return False
    return stat.S_ISDIR(st.st_mode) and st.st_uid == os.getuid() and (st.st_mode & 0o077) == 0


def private_dir(path: Path) -> Path:
    """`path`, created 0700 if missing; refused if it exists and is not private to us."""
    try:
        os.mkdir(path, 0o700)
    except FileExistsError:
        pass
    except OSError as exc:
        raise AgentPathError(
            f"cannot create the agent's directory {path}: {exc.strerror}"
        ) from None
    if not _private(path):
        raise AgentPathError(
            f"the agent's directory {path} is not private (it must be a directory owned by you "
            "with mode 0700); remove it or fix it"
        )
    return path


def socket_dir(create: bool = True) -> Path:
    """The socket's directory; without `create`, one that does not exist yet is refused too (a
    client has nothing to find there, and leaves no directory behind for looking)."""
    runtime = os.environ.get("XDG_RUNTIME_DIR")
    if runtime and _private(Path(runtime)):
        path = Path(runtime) / "pylee-tui"
    else:
        path = Path(tempfile.gettempdir()) / f"pylee-tui-{os.getuid()}"
    if create:
        return private_dir(path)
    if not _private(path):
        raise AgentPathError(f"no private agent directory at {path}")
    return path


def socket_path(create: bool = True) -> Path:
    """The agent's socket (its directory made private first). AgentPathError if it cannot be."""
    path = socket_dir(create) / SOCKET_NAME
    if len(os.fsencode(path)) > MAX_SOCKET_PATH:
        raise AgentPathError(f"the agent's socket path is too long for a Unix socket: {path}")
    return path
