"""Where pylee-tui keeps its files on this platform: the data directory and the default store.

`--db` and `PYLEE_DB` are decided in `store.resolve_db_path`; this module only knows the default.
"""

from __future__ import annotations

import os
from pathlib import Path

from platformdirs import PlatformDirs

APP_DIR_NAME = "pylee-tui"
DB_FILE_NAME = "pylee.db"


def data_dir() -> Path:
    """This platform's place for the user's data.

    `$XDG_DATA_HOME/pylee-tui` or `~/.local/share/pylee-tui` on Linux, `~/Library/Application
    Support/pylee-tui` on macOS, `%LOCALAPPDATA%\\pylee-tui` on Windows.
    """
    # appauthor=False: Windows would otherwise nest the folder as pylee-tui\pylee-tui.
    return PlatformDirs(APP_DIR_NAME, appauthor=False).user_data_path


def legacy_data_dir() -> Path:
    """Where earlier versions kept data on every platform: XDG's rule, even on macOS and Windows."""
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / APP_DIR_NAME


def default_db_path() -> Path:
    """The store used when neither `--db` nor `PYLEE_DB` names one.

    The platform's place, unless a store exists only where earlier versions put it: a user who
    upgrades keeps finding their data (on Linux both places are the same).
    """
    current = data_dir() / DB_FILE_NAME
    legacy = legacy_data_dir() / DB_FILE_NAME
    if not current.exists() and legacy.exists():
        return legacy
    return current
