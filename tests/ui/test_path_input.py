"""The path field: what a typed or pasted path means, and what tab completes it to."""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.app import App, ComposeResult
from textual.widgets import Input

from pylee_tui.widgets.path_input import PathInput, complete_path, parse_path
from tests.ui.pilot import type_text


@pytest.mark.parametrize(
    ("typed", "meant"),
    [
        ("/tmp/a b/mcp.json", "/tmp/a b/mcp.json"),
        ('  "/tmp/a b/mcp.json"  ', "/tmp/a b/mcp.json"),
        ("'/tmp/it''s/x.json'", "/tmp/it''s/x.json"),
        ("/tmp/a\\ b/mcp.json", "/tmp/a b/mcp.json"),
        ('"/tmp/a\\ b"', "/tmp/a\\ b"),  # quoted: taken as written
        ('"/tmp/half open', "/tmp/half open"),  # a quote still being typed
    ],
)
def test_parse_path_reads_one_shell_argument(typed: str, meant: str) -> None:
    assert parse_path(typed) == Path(meant)


def test_parse_path_expands_the_home_folder_and_says_none_for_nothing() -> None:
    assert parse_path("~/x.json") == Path.home() / "x.json"
    assert parse_path('"~/my dir/x.json"') == Path.home() / "my dir" / "x.json"
    assert parse_path("   ") is None
    assert parse_path('""') is None


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    (tmp_path / "configs").mkdir()
    (tmp_path / "configs" / "claude.json").write_text("{}")
    (tmp_path / "configs" / "cursor.json").write_text("{}")
    (tmp_path / "My Folder").mkdir()
    (tmp_path / ".hidden").mkdir()
    (tmp_path / "notes.txt").write_text("")
    return tmp_path


def test_complete_path_like_a_shell(tree: Path) -> None:
    base = str(tree)
    assert complete_path(f"{base}/con") == f"{base}/configs/"  # one match: a folder gets /
    # two matches sharing no more than what is typed: the first, as a suggestion to type over
    assert complete_path(f"{base}/configs/c") == f"{base}/configs/claude.json"
    assert complete_path(f"{base}/configs/cl") == f"{base}/configs/claude.json"
    assert complete_path(f"{base}/My") == f"{base}/My Folder/"  # spaces kept
    assert complete_path(f'"{base}/My') == f'"{base}/My Folder/'  # inside an open quote
    assert complete_path(f'"{base}/My Folder/"') is None  # a closed quote is finished
    assert complete_path(f"{base}/nothing-here") is None
    assert complete_path(f"{base}/.hi") == f"{base}/.hidden/"
    assert complete_path(f"{base}/") is not None
    assert ".hidden" not in (complete_path(f"{base}/") or "")  # dot files only for a dot
    assert complete_path(f"{base}/no", directories_only=True) is None
    assert complete_path(f"{base}/no") == f"{base}/notes.txt"


def test_complete_path_shares_the_common_beginning_first(tree: Path) -> None:
    (tree / "configs" / "claude-old.json").write_text("{}")
    base = str(tree / "configs")
    assert complete_path(f"{base}/cla") == f"{base}/claude"


class PathApp(App[None]):
    def __init__(self, value: str) -> None:
        super().__init__()
        self.value = value

    def compose(self) -> ComposeResult:
        yield PathInput(self.value, id="path")
        yield Input(id="next")


async def test_tab_completes_down_the_folders_then_moves_on(tree: Path) -> None:
    app = PathApp(str(tree) + "/con")
    async with app.run_test() as pilot:
        field = app.query_one(PathInput)
        field.focus()
        field.cursor_position = len(field.value)
        await type_text(pilot, "f")
        await app.workers.wait_for_complete()
        await pilot.pause()
        await pilot.press("tab")
        assert field.value == f"{tree}/configs/"
        await type_text(pilot, "cl")
        await app.workers.wait_for_complete()
        await pilot.pause()
        await pilot.press("tab")
        assert field.value == f"{tree}/configs/claude.json"
        assert field.path == tree / "configs" / "claude.json"
        await app.workers.wait_for_complete()
        await pilot.pause()
        await pilot.press("tab")  # nothing left to complete: the next field
        assert app.focused is app.query_one("#next")
