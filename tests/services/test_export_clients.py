"""Each client format on its own: where its file lives on each system (platformdirs; the Linux
paths as before), and the list of clients the CLI and the app offer."""

from __future__ import annotations

from pathlib import Path

import pytest

from pylee_tui.services.errors import InvalidInput
from pylee_tui.services.export import CLIENT_NAMES, CLIENTS, FORMATS, default_config_path

CLAUDE_FILE = Path("Claude") / "claude_desktop_config.json"


def test_the_clients_in_the_order_they_are_offered() -> None:
    assert CLIENTS == (
        "claude",
        "claude-code",
        "vscode",
        "cursor",
        "windsurf",
        "zed",
        "codex",
        "gemini",
        "copilot",
    )
    assert CLIENT_NAMES == {
        "claude": "Claude Desktop",
        "claude-code": "Claude Code",
        "vscode": "VS Code",
        "cursor": "Cursor",
        "windsurf": "Windsurf",
        "zed": "Zed",
        "codex": "Codex CLI",
        "gemini": "Gemini CLI",
        "copilot": "GitHub Copilot CLI",
    }
    assert {key: client.servers_key for key, client in FORMATS.items()} == {
        "claude": "mcpServers",
        "claude-code": "mcpServers",
        "vscode": "servers",
        "cursor": "mcpServers",
        "windsurf": "mcpServers",
        "zed": "context_servers",
        "codex": "mcp_servers",
        "gemini": "mcpServers",
        "copilot": "mcpServers",
    }
    # comments are allowed in VS Code's, Zed's and Gemini CLI's files; Codex's is TOML
    assert [key for key, client in FORMATS.items() if client.jsonc] == ["vscode", "zed", "gemini"]
    assert [key for key, client in FORMATS.items() if client.file_kind == "toml"] == ["codex"]


def test_every_client_names_the_documentation_its_format_follows() -> None:
    for client in FORMATS.values():
        assert client.docs.startswith("https://"), client.key


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
    # Claude Desktop on macOS reads Application Support even when XDG_CONFIG_HOME is set
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))
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
    with pytest.raises(InvalidInput, match="unknown client 'kiro': use one of claude, claude-code"):
        default_config_path("kiro")


def test_a_new_client_is_one_file_in_the_clients_package(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Adding a client format is adding one module that defines CLIENT: it is found, listed in
    its order, and its own rules (here: no inline secrets, a workspace folder) are what the
    export and the app read, with no branch on its name anywhere else."""
    from pylee_tui.services.export import clients

    (tmp_path / "kiro.py").write_text(
        "from pathlib import Path\n"
        "from pylee_tui.services.export.clients.base import JsonClient\n\n"
        "class Kiro(JsonClient):\n"
        "    key = 'kiro'\n"
        "    title = 'Kiro'\n"
        "    order = 17\n"
        "    servers_key = 'mcpServers'\n"
        "    takes_inline_secrets = False\n"
        "    workspace_folder = '.kiro'\n\n"
        "    def config_path(self, home, cwd, platform):\n"
        "        return (cwd or Path.cwd()) / self.workspace_folder / 'settings' / 'mcp.json'\n\n"
        "CLIENT = Kiro()\n",
        "utf-8",
    )
    monkeypatch.setattr(clients, "__path__", [*clients.__path__, str(tmp_path)])
    found = clients._discover()
    assert list(found) == [
        "claude",
        "claude-code",
        "kiro",
        "vscode",
        "cursor",
        "windsurf",
        "zed",
        "codex",
        "gemini",
        "copilot",
    ]
    kiro = found["kiro"]
    expected = tmp_path / ".kiro" / "settings" / "mcp.json"
    assert kiro.config_path(None, tmp_path, "linux") == expected
    assert not kiro.takes_inline_secrets
    assert kiro.command_entry(["npx", "-y", "pkg"], {"A": "1"}) == {
        "command": "npx",
        "args": ["-y", "pkg"],
        "env": {"A": "1"},
    }


def test_only_vscode_keeps_secrets_out_of_its_file_and_lives_in_a_workspace() -> None:
    assert [k for k, c in FORMATS.items() if not c.takes_inline_secrets] == ["vscode"]
    assert {k: c.workspace_folder for k, c in FORMATS.items()} == {
        "claude": None,
        "claude-code": None,  # .mcp.json is at the project's root
        "vscode": ".vscode",
        "cursor": ".cursor",
        "windsurf": None,
        "zed": ".zed",
        "codex": ".codex",
        "gemini": ".gemini",
        "copilot": None,
    }
