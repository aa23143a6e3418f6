"""`ClientsService.scan`: every client's file at each scope on the fake machine."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from pylee_tui.services import Services
from pylee_tui.services.errors import InvalidInput
from pylee_tui.services.export import FORMATS
from tests.clients.machine import MACHINE, registry
from tests.support import ANN


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


@pytest.fixture
def odd_files(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, Path]:
    """A project whose `.mcp.json` leads to /dev/zero, whose `.cursor/mcp.json` is a pipe
    nobody writes to, and a home whose `~/.cursor/mcp.json` is larger than any config."""
    monkeypatch.delenv("XDG_CONFIG_HOME", raising=False)
    home, project = tmp_path / "home", tmp_path / "project"
    (project / ".cursor").mkdir(parents=True)
    (home / ".cursor").mkdir(parents=True)
    (project / ".mcp.json").symlink_to("/dev/zero")
    os.mkfifo(project / ".cursor" / "mcp.json")
    with (home / ".cursor" / "mcp.json").open("wb") as big:
        big.truncate(17 * 1024 * 1024)  # sparse: no disk spent
    return home, project


def test_a_device_a_pipe_or_a_huge_file_is_the_files_problem(
    services: Services, odd_files: tuple[Path, Path]
) -> None:
    home, project = odd_files
    files = by_place(services.clients.scan(home=home, cwd=project, platform="linux"))
    zero, fifo = files[("claude-code", "project")], files[("cursor", "project")]
    big = files[("cursor", "user")]
    assert (
        zero.problem
        == f"{project / '.mcp.json'} is not a regular file (a device, a pipe or a socket)"
    )
    assert fifo.problem is not None and "is not a regular file" in fifo.problem
    assert (
        big.problem
        == f"{home / '.cursor' / 'mcp.json'} is too large to be a client config (17 MiB)"
    )
    assert all(f.exists and f.entries == () for f in (zero, fifo, big))


@pytest.mark.parametrize(
    ("client", "where", "says"),
    [
        ("claude-code", "project/.mcp.json", "is not a regular file"),
        ("cursor", "project/.cursor/mcp.json", "is not a regular file"),
        ("cursor", "home/.cursor/mcp.json", "is too large to be a client config (17 MiB)"),
    ],
)
def test_import_of_such_a_file_is_refused_in_one_line(
    services: Services, odd_files: tuple[Path, Path], client: str, where: str, says: str
) -> None:
    registry(services, vault=False)
    home, _project = odd_files
    path = home.parent / where
    with pytest.raises(InvalidInput) as refused:
        services.clients.plan_import(ANN, client, None, org="acme", registry="tools", file=path)
    message = str(refused.value)
    assert message.startswith(f"{path} {says}") and "\n" not in message
