"""`ClientsService.scan`: every client's file at each scope on the fake machine."""

from __future__ import annotations

from pathlib import Path

import pytest

from pylee_tui.services import Services
from pylee_tui.services.export import FORMATS
from tests.clients.machine import MACHINE


@pytest.fixture
def scanned(services: Services, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.delenv("XDG_CONFIG_HOME", raising=False)
    return services.clients.scan(home=MACHINE / "home", cwd=MACHINE / "project", platform="linux")


def by_place(files):
    return {(f.client, f.scope): f for f in files}


def test_every_client_and_scope_is_listed_in_client_order(scanned) -> None:
    expected = [(key, scope) for key, fmt in FORMATS.items() for scope in fmt.scopes]
    assert [(f.client, f.scope) for f in scanned] == expected


def test_the_files_and_their_entries(scanned) -> None:
    files = by_place(scanned)
    claude = files[("claude", "user")]
    assert claude.exists and claude.problem is None
    assert claude.path == MACHINE / "home/.config/Claude/claude_desktop_config.json"
    names = [e.name for e in claude.entries]
    assert names[:3] == ["github", "fetch", "time"]
    github = claude.entries[0].entry
    assert github.command == "npx" and github.args[-1].endswith("@2025.4.8")
    assert files[("cursor", "user")].entries[0].entry.url == "https://mcp.linear.app/sse"
    vscode = files[("vscode", "project")]  # JSONC with comments
    assert [(e.name, e.entry.transport) for e in vscode.entries] == [
        ("copilot", "streamable-http"),
        ("events", "sse"),
    ]


def test_a_launcher_entry_is_marked_and_a_broken_one_has_its_problem(scanned) -> None:
    entries = {e.name: e for e in by_place(scanned)[("claude", "user")].entries}
    assert entries["pylee-weather"].launcher
    assert not entries["github"].launcher
    assert entries["broken"].entry.problems == ("no command or URL",)


def test_an_invalid_file_has_one_line_and_no_entries(scanned) -> None:
    cursor = by_place(scanned)[("cursor", "project")]
    assert cursor.exists and cursor.entries == ()
    assert cursor.problem is not None and "\n" not in cursor.problem
    assert "not valid JSON" in cursor.problem


def test_a_missing_file_is_listed_as_not_there(services: Services, tmp_path: Path) -> None:
    files = services.clients.scan(home=tmp_path / "h", cwd=tmp_path / "p", platform="linux")
    assert files and all(not f.exists and f.problem is None for f in files)


def test_entries_an_export_wrote_are_ours(services: Services, tmp_path: Path, monkeypatch) -> None:
    from pylee_tui.services.export import owners

    monkeypatch.delenv("XDG_CONFIG_HOME", raising=False)
    path = tmp_path / "home" / ".cursor" / "mcp.json"
    path.parent.mkdir(parents=True)
    path.write_text('{"mcpServers": {"mine": {"command": "x"}, "theirs": {"command": "y"}}}')
    with services.store.transaction() as db:
        owners.record_owners(db, path, {"mine": None}, None)
    files = services.clients.scan(home=tmp_path / "home", cwd=tmp_path, platform="linux")
    entries = {e.name: e.ours for e in by_place(files)[("cursor", "user")].entries}
    assert entries == {"mine": True, "theirs": False}
