"""VS Code's `mcp.json` is JSONC: a file with comments and trailing commas is merged, not
refused, and its comments are kept (a file beyond JSONC, JSON5's unquoted keys say, is written
afresh, which the export says; the old file stays as `.bak`).
Claude Desktop and Cursor read plain JSON, so such a file is still refused for them."""

from __future__ import annotations

import json
from pathlib import Path

import json5
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


def test_a_vscode_file_with_comments_and_trailing_commas_is_merged_keeping_them(
    world: Services, tmp_path: Path
) -> None:
    target = vscode_file(tmp_path, COMMENTED)
    dry, preview = install(world, target, "vscode", dry_run=True)
    assert target.read_text("utf-8") == COMMENTED  # a preview writes nothing
    assert not preview.comments_dropped
    assert not any("comments" in w for w in dry.warnings)
    removed = [line for line in preview.diff.splitlines() if line.startswith("-")][1:]
    # the user's servers and comments stay; only the inputs list is written anew (ours added)
    assert not any("//" in line.replace("// not a comment", "") for line in removed)
    assert not any("/*" in line or "github" in line for line in removed)

    p, result = install(world, target, "vscode")
    assert result.written and not result.comments_dropped and result.kept == ["github"]
    text = target.read_text("utf-8")
    # every comment, and the user's entry, as the user wrote them
    assert "  // my own servers; pylee-tui adds its own below\n" in text
    assert '"url": "https://api.githubcopilot.com/mcp/", /* the hosted one */' in text
    doc = json5.loads(text)
    assert doc["servers"]["github"] == {"type": "http", "url": "https://api.githubcopilot.com/mcp/"}
    assert "weather" in doc["servers"] and doc["inputs"][0]["id"] == "my-key"
    assert result.backup is not None and result.backup.read_text("utf-8") == COMMENTED
    assert not any("comments" in w for w in p.warnings)
    # the next export finds its own entries: nothing to change
    again_plan, again = install(world, target, "vscode")
    assert not again.written and target.read_text("utf-8") == text


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


def test_a_file_beyond_jsonc_is_written_afresh_and_the_cli_says_so(
    world: Services, tmp_path: Path, db_path: Path
) -> None:
    # JSON5's unquoted keys: read, but not edited in place; the comments go, which is said
    target = vscode_file(tmp_path, "{\n  // mine\n  servers: {},\n}\n")
    argv = ["export", "--org", "acme", "--registry", "tools", "--client", "vscode"]
    result = CliRunner(db_path)(*argv, "--out", str(target))
    assert result.code == 0, result.err
    assert result.out.startswith(f"Wrote {target}: added ")
    assert (
        f"pylee-tui: warning: {target} holds comments, which are not kept: its syntax goes "
        "beyond what can be edited in place, so it is written afresh (the previous one is kept "
        "as mcp.json.bak)"
    ) in result.err_lines
    assert "weather" in json.loads(target.read_text("utf-8"))["servers"]
