"""Each client format on its own: where its file lives on each system (platformdirs; the Linux
paths as before), and the list of clients the CLI and the app offer."""

from __future__ import annotations

from pathlib import Path

import pytest

from pylee_tui.services.errors import InvalidInput
from pylee_tui.services.export import CLIENT_NAMES, CLIENTS, FORMATS, default_config_path

CLAUDE_FILE = Path("Claude") / "claude_desktop_config.json"


def test_the_clients_in_the_order_they_are_offered() -> None:
    assert CLIENTS == ("claude", "vscode", "cursor")
    assert CLIENT_NAMES == {"claude": "Claude Desktop", "vscode": "VS Code", "cursor": "Cursor"}
    assert {key: client.servers_key for key, client in FORMATS.items()} == {
        "claude": "mcpServers",
        "vscode": "servers",
        "cursor": "mcpServers",
    }
    assert [key for key, client in FORMATS.items() if client.jsonc] == ["vscode"]


def test_claude_desktop_on_linux_follows_xdg_config_home(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))
    assert default_config_path("claude", platform="linux") == tmp_path / "xdg" / CLAUDE_FILE
    monkeypatch.delenv("XDG_CONFIG_HOME")
    expected = tmp_path / "home" / ".config" / CLAUDE_FILE
    assert default_config_path("claude", platform="linux") == expected


def test_claude_desktop_on_macos_and_windows(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.setenv("APPDATA", str(tmp_path / "AppData" / "Roaming"))
    mac = default_config_path("claude", platform="darwin")
    assert mac == tmp_path / "home" / "Library" / "Application Support" / CLAUDE_FILE
    windows = default_config_path("claude", platform="win32")
    assert windows == tmp_path / "AppData" / "Roaming" / CLAUDE_FILE


def test_cursor_and_vscode_live_in_the_home_and_the_workspace(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.chdir(tmp_path)
    for platform in ("linux", "darwin", "win32"):
        cursor = default_config_path("cursor", platform=platform)
        assert cursor == tmp_path / "home" / ".cursor" / "mcp.json"
        assert default_config_path("vscode", platform=platform) == tmp_path / ".vscode/mcp.json"


def test_an_unknown_client_names_the_known_ones() -> None:
    with pytest.raises(InvalidInput, match="unknown client 'zed': use one of claude, vscode"):
        default_config_path("zed")
