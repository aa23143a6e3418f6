"""Where the default store lives on Linux, macOS and Windows, and that an old store is still found.

Each test picks the platform by handing `paths` platformdirs' class for it, so they pass on any OS.
"""

from __future__ import annotations

from pathlib import Path

import platformdirs.windows
import pytest
from platformdirs.macos import MacOS
from platformdirs.unix import Unix
from platformdirs.windows import Windows

from pylee_tui import paths
from pylee_tui.paths import default_db_path


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A home in tmp_path and no XDG_DATA_HOME, as on a fresh account."""
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.delenv("XDG_DATA_HOME", raising=False)
    return home


@pytest.fixture
def linux(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(paths, "PlatformDirs", Unix)


@pytest.fixture
def macos(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(paths, "PlatformDirs", MacOS)


@pytest.fixture
def windows(home: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Windows with %LOCALAPPDATA% under the tmp home; returns that folder."""
    local_appdata = home / "AppData" / "Local"
    folders = {"CSIDL_LOCAL_APPDATA": local_appdata, "CSIDL_APPDATA": home / "AppData" / "Roaming"}
    monkeypatch.setattr(platformdirs.windows, "get_win_folder", lambda name: str(folders[name]))
    monkeypatch.setattr(paths, "PlatformDirs", Windows)
    return local_appdata


def make_store(path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"SQLite format 3\x00")
    return path


LEGACY = Path(".local", "share", "pylee-tui", "pylee.db")


# --- Linux: the XDG rule, as before ----------------------------------------------------------


def test_linux_uses_local_share_without_xdg_data_home(home: Path, linux: None) -> None:
    assert default_db_path() == home / LEGACY


def test_linux_honours_xdg_data_home(tmp_path: Path, home: Path, linux, monkeypatch) -> None:
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    assert default_db_path() == tmp_path / "data" / "pylee-tui" / "pylee.db"


def test_linux_with_an_empty_xdg_data_home_uses_local_share(home: Path, linux, monkeypatch) -> None:
    monkeypatch.setenv("XDG_DATA_HOME", "")
    assert default_db_path() == home / LEGACY


def test_linux_with_xdg_data_home_still_finds_a_store_kept_there(
    tmp_path: Path, home: Path, linux, monkeypatch
) -> None:
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    kept = make_store(tmp_path / "data" / "pylee-tui" / "pylee.db")
    make_store(home / LEGACY)
    assert default_db_path() == kept


# --- macOS and Windows: the platform's place ------------------------------------------------


def test_macos_keeps_a_new_store_in_application_support(home: Path, macos: None) -> None:
    expected = home / "Library" / "Application Support" / "pylee-tui" / "pylee.db"
    assert default_db_path() == expected


def test_macos_honours_xdg_data_home_when_it_is_set(
    tmp_path: Path, home: Path, macos, monkeypatch
) -> None:
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    assert default_db_path() == tmp_path / "data" / "pylee-tui" / "pylee.db"


def test_windows_keeps_a_new_store_in_local_appdata(home: Path, windows: Path) -> None:
    assert default_db_path() == windows / "pylee-tui" / "pylee.db"


def test_macos_still_finds_a_store_at_the_old_path(home: Path, macos: None) -> None:
    old = make_store(home / LEGACY)
    assert default_db_path() == old


def test_windows_still_finds_a_store_at_the_old_path(home: Path, windows: Path) -> None:
    old = make_store(home / LEGACY)
    assert default_db_path() == old


def test_an_old_store_under_xdg_data_home_on_windows_is_still_found(
    tmp_path: Path, home: Path, windows: Path, monkeypatch
) -> None:
    # Earlier versions honoured XDG_DATA_HOME everywhere; platformdirs ignores it on Windows.
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    old = make_store(tmp_path / "data" / "pylee-tui" / "pylee.db")
    assert default_db_path() == old


@pytest.mark.parametrize("platform", ["macos", "windows"])
def test_a_store_in_the_platforms_place_wins_over_an_old_one(
    home: Path, platform: str, request: pytest.FixtureRequest
) -> None:
    request.getfixturevalue(platform)
    current = default_db_path()
    make_store(current)
    make_store(home / LEGACY)
    assert default_db_path() == current
    assert current != home / LEGACY
