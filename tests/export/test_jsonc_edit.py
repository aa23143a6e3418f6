"""rewrite_json writes a client's JSON/JSONC file back changing only what the export changed: the
user's comments, order, spacing, trailing commas, BOM, CRLF and foreign servers survive."""

from __future__ import annotations

import copy
import json
import re
from pathlib import Path
from typing import Any

import json5
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pylee_tui.services.export.jsonc_edit import rewrite_json

DATA = Path(__file__).parent.parent / "data" / "config_edit"
SAMPLES = ["vscode-settings.jsonc", "zed-settings.json", "claude.json"]


def sample(name: str) -> str:
    return (DATA / name).read_text(encoding="utf-8")


def comments(text: str) -> list[str]:
    return re.findall(r"//[^\n]*|/\*.*?\*/", text, flags=re.DOTALL)


def test_no_old_text_gives_a_fresh_document() -> None:
    doc = {"mcpServers": {"a": {"command": "ä"}}}
    assert rewrite_json(None, doc) == json.dumps(doc, indent=2, ensure_ascii=False) + "\n"
    fresh = json.dumps(doc, indent=4, ensure_ascii=False) + "\n"
    assert rewrite_json("  \n", doc, indent=4) == fresh


@pytest.mark.parametrize("name", SAMPLES)
def test_nothing_changed_is_the_same_text(name: str) -> None:
    text = sample(name)
    assert rewrite_json(text, json5.loads(text)) == text


def test_vscode_settings_keep_comments_and_foreign_server() -> None:
    text = sample("vscode-settings.jsonc")
    doc = json5.loads(text)
    servers = doc["mcp"]["servers"]
    del servers["pylee-fetch"]
    servers["pylee-github"] = {"command": "pylee-tui", "args": ["run", "github"], "env": {}}
    result = rewrite_json(text, doc)

    assert json5.loads(result) == doc
    assert "pylee-fetch" not in result and "mcp-server-fetch" not in result
    # the removed server's own comment went with it; every other comment is still there
    assert [c for c in comments(text) if c != "// written by pylee-tui"] == comments(result)
    memory = text[text.index('"memory"') : text.index("// written by")]
    assert memory in result
    assert text.splitlines()[:26] == result.splitlines()[:26]  # unrelated settings untouched
    assert text.splitlines()[-4:] == result.splitlines()[-4:]
    assert '"terminal.integrated.fontFamily": "JetBrains Mono", // mono' in result
    # the new server follows the file's 4-space indentation and its trailing-comma style
    assert '            "pylee-github": {\n                "command": "pylee-tui",' in result
    assert '                "env": {}\n            },\n        },' in result


def test_zed_changed_server_is_edited_member_by_member() -> None:
    text = sample("zed-settings.json")
    doc = json5.loads(text)
    doc["context_servers"]["pylee-time"]["args"] = ["mcp-server-time", "--local-timezone=UTC"]
    doc["context_servers"]["pylee-time"]["env"] = {"TZ": "UTC"}
    result = rewrite_json(text, doc)

    assert json5.loads(result) == doc
    assert comments(result) == comments(text)
    postgres = text[text.index("/* Postgres") : text.index("// pylee-tui: time")]
    assert postgres in result
    assert '"args": ["mcp-server-time", "--local-timezone=UTC"],' in result
    assert '      "env": {\n        "TZ": "UTC"\n      }\n    }\n  },' in result
    assert '      "source": "custom",\n      "command": "uvx",' in result


def test_zed_all_servers_removed_keeps_the_rest() -> None:
    text = sample("zed-settings.json")
    doc = json5.loads(text)
    doc["context_servers"] = {}
    result = rewrite_json(text, doc)
    assert json5.loads(result) == doc
    assert '"context_servers": {},' in result
    assert result.startswith(text[: text.index('  "context_servers"')])


def test_claude_json_adds_and_removes_without_touching_projects() -> None:
    text = sample("claude.json")
    doc = json.loads(text)
    del doc["mcpServers"]["pylee-github"]
    doc["mcpServers"]["pylee-time"] = {"type": "stdio", "command": "uvx", "args": ["t"]}
    doc["projects"]["/home/dev/src/project-03"]["mcpServers"]["pylee-x"] = {"type": "http"}
    result = rewrite_json(text, doc)

    assert json.loads(result) == doc  # still plain JSON: no trailing comma was introduced
    assert not result.endswith("\n")  # the file had no final newline
    sentry = '"sentry": {\n      "type": "http",\n      "url": "https://mcp.sentry.dev/mcp"\n    },'
    assert sentry in result
    assert "pylee-github" not in result
    servers = text.index('"mcpServers": {\n    "sentry"')
    other = text[text.index('"/home/dev/src/project-04"') : servers]
    assert other in result
    assert len(result.splitlines()) - len(text.splitlines()) < 20


def test_bom_and_crlf_are_kept() -> None:
    text = "\ufeff" + sample("vscode-settings.jsonc").replace("\n", "\r\n")
    doc = json5.loads(text[1:])
    doc["mcp"]["servers"]["added"] = {"url": "https://example.com/mcp"}
    del doc["files.exclude"]
    result = rewrite_json(text, doc)
    assert result.startswith("\ufeff// VS Code user settings\r\n")
    assert "\n" not in result.replace("\r\n", "")
    assert json5.loads(result[1:]) == doc
    assert "files.exclude" not in result and "python caches" not in result
    assert rewrite_json(text, json5.loads(text[1:])) == text


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        ('{"b": 2}', {"a": 1}, '{"a": 1}'),
        ('{"a": 1, "b": 2}', {"a": 1}, '{"a": 1}'),
        ('{"a": 1, "b": 2}', {"b": 2}, '{"b": 2}'),
        ('{\n  "a": 1,\n  "b": 2\n}\n', {"a": 1}, '{\n  "a": 1\n}\n'),
        ('{\n  "a": 1,\n  "b": 2,\n}\n', {"a": 1}, '{\n  "a": 1,\n}\n'),
        ('{\n  "a": 1\n}\n', {"a": 1, "b": True}, '{\n  "a": 1,\n  "b": true\n}\n'),
        ('{\n  "a": 1 // one\n}\n', {"a": 1, "b": 2}, '{\n  "a": 1, // one\n  "b": 2\n}\n'),
        ('{\n  "a": {}\n}\n', {"a": {"x": 1}}, '{\n  "a": {\n    "x": 1\n  }\n}\n'),
        ('{"a": {}}', {"a": {"x": 1}}, '{"a": {"x": 1}}'),
        ('{\n  "a": 1\n}', {"a": 1.0}, '{\n  "a": 1.0\n}'),
        ('{"e": {"A": "1"}}', {"e": {"A": "1", "B": "2"}}, '{"e": {"A": "1", "B": "2"}}'),
    ],
)
def test_small_edits(old: str, new: dict[str, Any], expected: str) -> None:
    assert rewrite_json(old, new) == expected


def test_json5_extras_are_refused_for_the_caller_to_fall_back() -> None:
    with pytest.raises(ValueError):
        rewrite_json("{unquoted: 1}", {"a": 1})
    with pytest.raises(ValueError):
        rewrite_json("[1]", {"a": 1})


# --- properties -------------------------------------------------------------------------------

KEYS = st.text(alphabet='abcxyz_-é"\\ /', min_size=1, max_size=5)
SCALARS = (
    st.none()
    | st.booleans()
    | st.integers(-(10**6), 10**6)
    | st.floats(allow_nan=False, allow_infinity=False, width=32)
    | st.text(max_size=6)
)
VALUES = st.recursive(
    SCALARS,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(KEYS, inner, max_size=4),
    max_leaves=12,
)
DOCS = st.dictionaries(KEYS, VALUES, max_size=5)


def styled(value: Any, data: st.DataObject, depth: int = 0) -> str:
    """`value` as JSONC in a random style: indentation, comments, trailing commas, one line."""
    if isinstance(value, dict) and value:
        if data.draw(st.booleans(), label="one line") and depth > 0:
            inner = ", ".join(f"{dumps(k)}: {styled(v, data, depth + 1)}" for k, v in value.items())
            return "{" + inner + "}"
        pad = "  " * (depth + 1)
        lines = []
        for k, v in value.items():
            if data.draw(st.booleans(), label="comment above"):
                lines.append(f"{pad}// about {k!r}")
            lines.append(f"{pad}{dumps(k)}: {styled(v, data, depth + 1)},")
        if not data.draw(st.booleans(), label="trailing comma"):
            lines[-1] = lines[-1][:-1]
        return "{\n" + "\n".join(lines) + "\n" + "  " * depth + "}"
    return dumps(value)


def dumps(value: Any) -> str:
    # json5 0.x reads a "\ud800\udc00" escape pair as two lone surrogates: write the character
    return json.dumps(value, ensure_ascii=False)


def edited(doc: dict[str, Any], data: st.DataObject) -> dict[str, Any]:
    new = copy.deepcopy(doc)
    for _ in range(data.draw(st.integers(0, 4), label="edits")):
        target = new
        while True:
            objects = [k for k, v in target.items() if isinstance(v, dict)]
            if not objects or data.draw(st.booleans(), label="stop"):
                break
            target = target[data.draw(st.sampled_from(objects), label="descend")]
        action = data.draw(st.sampled_from(["add", "remove", "change"]), label="action")
        if action == "add" or not target:
            target[data.draw(KEYS, label="new key")] = data.draw(VALUES, label="new value")
        elif action == "remove":
            del target[data.draw(st.sampled_from(sorted(target)), label="gone")]
        else:
            target[data.draw(st.sampled_from(sorted(target)), label="changed")] = data.draw(VALUES)
    return new


@settings(max_examples=100, deadline=None)
@given(doc=DOCS, data=st.data(), crlf=st.booleans(), bom=st.booleans())
def test_any_edit_gives_exactly_the_new_document(
    doc: dict[str, Any], data: st.DataObject, crlf: bool, bom: bool
) -> None:
    old = styled(doc, data) + "\n"
    if crlf:
        old = old.replace("\n", "\r\n")
    if bom:
        old = "\ufeff" + old
    assert json5.loads(old.removeprefix("\ufeff")) == doc
    new = edited(doc, data)
    result = rewrite_json(old, new)
    assert json5.loads(result.removeprefix("\ufeff")) == new
    if _strict(old):  # plain JSON stays plain JSON: no comma the file did not have before
        assert json.loads(result.removeprefix("\ufeff")) == new
    assert result.startswith("\ufeff") == bom
    if crlf:
        assert "\n" not in result.replace("\r\n", "")
    if new == doc and json.dumps(new) == json.dumps(doc):
        assert result == old


def _strict(text: str) -> bool:
    try:
        json.loads(text.removeprefix("\ufeff"))
    except ValueError:
        return False
    return True


def test_a_one_line_entry_losing_its_last_member_and_gaining_one_stays_json() -> None:
    # Claude Code's own style: each server on one line; a rewrite drops env, adds type
    old = (
        '{\n  "mcpServers": {\n    "s": {"command": "npx", "args": ["-y"], "env": {"K": "v"}}'
        "\n  }\n}\n"
    )
    new = {"mcpServers": {"s": {"command": "x", "args": ["a"], "type": "stdio"}}}
    result = rewrite_json(old, new)
    assert json.loads(result) == new
    assert result == (
        '{\n  "mcpServers": {\n    "s": {"command": "x", "args": ["a"], "type": "stdio"}\n  }\n}\n'
    )


@settings(max_examples=25, deadline=None)
@given(data=st.data(), name=st.sampled_from(SAMPLES))
def test_any_edit_of_a_sample_file(data: st.DataObject, name: str) -> None:
    text = sample(name)
    loads = json.loads if name == "claude.json" else json5.loads  # json5 is slow on 30 kB
    new = edited(loads(text), data)
    assert loads(rewrite_json(text, new)) == new
