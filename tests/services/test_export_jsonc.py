"""VS Code's `mcp.json` is JSONC: a file with comments and trailing commas is merged, not
refused; the comments are not kept, which the export says (the old file stays as `.bak`).
Claude Desktop and Cursor read plain JSON, so such a file is still refused for them."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from pylee_tui.services import Services
from pylee_tui.services.errors import InvalidInput
from tests.services import test_services_export
from tests.services.test_services_export import install
from tests.support import CliRunner

world = test_services_export.world  # the fixture: acme / tools, its servers and secrets

COMMENTED = """{
  // my own servers; pylee-tui adds its own below
  "servers": {
    "github": {
      "type": "http",
      "url": "https://api.githubcopilot.com/mcp/", /* the hosted one */
    },
  },
  "inputs": [
    {"type": "promptString", "id": "my-key", "description": "it's \\"mine\\" // not a comment"},
  ],
}
"""
TRAILING_COMMAS = (
    '{\n  "servers": {\n    "github": {"type": "http", "url": "https://g.example/"},\n  },\n}\n'
)


def vscode_file(tmp_path: Path, text: str) -> Path:
    target = tmp_path / "project" / ".vscode" / "mcp.json"
    target.parent.mkdir(parents=True)
    target.write_text(text, "utf-8")
    return target


def test_a_vscode_file_with_comments_and_trailing_commas_is_merged(
    world: Services, tmp_path: Path
) -> None:
    target = vscode_file(tmp_path, COMMENTED)
    dry, preview = install(world, target, "vscode", dry_run=True)
    assert target.read_text("utf-8") == COMMENTED  # a preview writes nothing
    assert preview.comments_dropped
    assert any("holds comments, which are not kept" in w for w in dry.warnings)
    assert "-  // my own servers; pylee-tui adds its own below" in preview.diff.splitlines()

    p, result = install(world, target, "vscode")
    assert result.written and result.comments_dropped and result.kept == ["github"]
    doc = json.loads(target.read_text("utf-8"))  # plain JSON now
    assert doc["servers"]["github"] == {"type": "http", "url": "https://api.githubcopilot.com/mcp/"}
    assert "weather" in doc["servers"] and doc["inputs"][0]["id"] == "my-key"
    assert result.backup is not None and result.backup.read_text("utf-8") == COMMENTED
    assert [w for w in p.warnings if "comments" in w] == [
        f"{target} holds comments, which are not kept: the file is rewritten as plain JSON "
        "(the previous one is kept as mcp.json.bak)"
    ]
    # the next export finds plain JSON: nothing to say, nothing to change
    again_plan, again = install(world, target, "vscode")
    assert not again.written and not again.comments_dropped
    assert not any("comments" in w for w in again_plan.warnings)


def test_trailing_commas_alone_are_read_without_a_word_about_comments(
    world: Services, tmp_path: Path
) -> None:
    target = vscode_file(tmp_path, TRAILING_COMMAS)
    p, result = install(world, target, "vscode")
    assert result.written and not result.comments_dropped and result.kept == ["github"]
    assert not any("comments" in w for w in p.warnings)


@pytest.mark.parametrize("client", ["cursor", "claude"])
def test_plain_json_clients_still_refuse_comments(
    world: Services, tmp_path: Path, client: str
) -> None:
    target = tmp_path / "configs" / "config.json"
    target.parent.mkdir()
    text = '{\n  // mine\n  "mcpServers": {}\n}\n'
    target.write_text(text, "utf-8")
    with pytest.raises(InvalidInput, match=r"is not valid JSON: .*line 2.*nothing was written"):
        install(world, target, client, inline_secrets=client == "claude")
    assert target.read_text("utf-8") == text
    assert sorted(p.name for p in target.parent.iterdir()) == ["config.json"]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('{\n  // mine\n  "servers": {"a": {}, "a": {}},\n}', "the key 'a' appears twice"),
        ('{\n  // mine\n  "servers": {"a": {"x": NaN}},\n}', "NaN is not a JSON number"),
        ('{\n  // mine\n  "servers": {\n}', "not valid JSON"),
    ],
    ids=["duplicate key", "NaN", "unfinished"],
)
def test_a_vscode_file_with_comments_is_still_refused_for_what_json_refuses(
    world: Services, tmp_path: Path, text: str, message: str
) -> None:
    target = vscode_file(tmp_path, text)
    with pytest.raises(InvalidInput, match=message) as refused:
        install(world, target, "vscode")
    assert "nothing was written" in str(refused.value) and "\n" not in str(refused.value)
    assert target.read_text("utf-8") == text
    assert sorted(p.name for p in target.parent.iterdir()) == ["mcp.json"]


def test_the_cli_says_the_comments_were_dropped(
    world: Services, tmp_path: Path, db_path: Path
) -> None:
    target = vscode_file(tmp_path, COMMENTED)
    argv = ["export", "--org", "acme", "--registry", "tools", "--client", "vscode"]
    result = CliRunner(db_path)(*argv, "--out", str(target))
    assert result.code == 0, result.err
    assert result.out.startswith(f"Wrote {target}: added ")
    assert (
        f"pylee-tui: warning: {target} holds comments, which are not kept: the file is "
        "rewritten as plain JSON (the previous one is kept as mcp.json.bak)"
    ) in result.err_lines
