"""rewrite_toml writes Codex's config.toml back changing only what the export changed; parse_toml
reads one, refusing a broken file with one line."""

from __future__ import annotations

import copy
import re
import tomllib
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pylee_tui.services.errors import InvalidInput
from pylee_tui.services.export.toml_edit import parse_toml, rewrite_toml

DATA = Path(__file__).parent.parent / "data" / "config_edit"
CODEX = (DATA / "codex-config.toml").read_text(encoding="utf-8")
GITHUB = {
    "command": "pylee-tui",
    "args": ["run", "--org", "acme", "github"],
    "env": {"GITHUB_TOKEN": "x", "LOG": "1"},
}


def comments(text: str) -> list[str]:
    return re.findall(r"#[^\n]*", text)


def codex() -> dict[str, Any]:
    return tomllib.loads(CODEX)


def test_nothing_changed_is_the_same_text() -> None:
    assert rewrite_toml(CODEX, codex()) == CODEX
    crlf = "\ufeff" + CODEX.replace("\n", "\r\n")
    assert rewrite_toml(crlf, codex()) == crlf


def test_added_server_is_a_standard_table_with_an_inline_env() -> None:
    doc = codex()
    doc["mcp_servers"]["github"] = GITHUB
    result = rewrite_toml(CODEX, doc)
    assert tomllib.loads(result) == doc
    assert comments(result) == comments(CODEX)
    block = (
        "[mcp_servers.github]\n"
        'command = "pylee-tui"\n'
        'args = ["run", "--org", "acme", "github"]\n'
        'env = { GITHUB_TOKEN = "x", LOG = "1" }\n'
    )
    # after the last server, before the comment that stands above [profiles.fast]
    assert 'args = ["mcp-server-fetch==2025.4.7"]\n\n' + block + "\n# a profile" in result
    assert result.replace(block + "\n", "") == CODEX


def test_removed_server_goes_with_its_comment_and_lines() -> None:
    doc = codex()
    del doc["mcp_servers"]["pylee-fetch"]
    result = rewrite_toml(CODEX, doc)
    assert tomllib.loads(result) == doc
    assert "pylee-fetch" not in result and "written by pylee-tui" not in result
    assert "\n\n\n" not in result
    assert comments(result) == [c for c in comments(CODEX) if c != "# written by pylee-tui"]
    foreign = CODEX[CODEX.index("# Docs server") : CODEX.index("# written by")]
    assert foreign + "# a profile for quick questions\n[profiles.fast]" in result


def test_changed_foreign_key_keeps_its_line_comment() -> None:
    doc = codex()
    doc["model"] = "gpt-5"
    doc["mcp_servers"]["docs"]["args"] = ["--root", "/srv/docs"]
    doc["mcp_servers"]["docs"]["env"]["LOG_LEVEL"] = "debug"
    result = rewrite_toml(CODEX, doc)
    assert tomllib.loads(result) == doc
    assert 'model = "gpt-5"          # the default model\n' in result
    assert 'args = ["--root", "/srv/docs"]  # where the docs live\n' in result
    assert 'env = { DOCS_TOKEN = "set-in-shell", LOG_LEVEL = "debug" }\n' in result
    assert comments(result) == comments(CODEX)


def test_replaced_server_and_new_top_level_key() -> None:
    doc = codex()
    doc["mcp_servers"]["pylee-fetch"] = {"url": "https://example.com/mcp"}
    doc["model_reasoning_effort"] = "high"
    result = rewrite_toml(CODEX, doc)
    assert tomllib.loads(result) == doc
    # a new top-level key joins the others, above the first table
    assert 'sandbox_mode = "workspace-write"\nmodel_reasoning_effort = "high"\n\n[tui]' in result
    assert '[mcp_servers.pylee-fetch]\nurl = "https://example.com/mcp"\n' in result
    assert 'command = "uvx"' not in result


def test_removing_every_server_leaves_the_rest() -> None:
    doc = codex()
    del doc["mcp_servers"]
    result = rewrite_toml(CODEX, doc)
    assert tomllib.loads(result) == doc
    assert "mcp_servers" not in result and "\n\n\n" not in result
    assert result.startswith(CODEX[: CODEX.index("# Docs server")])
    assert result.endswith(CODEX[CODEX.index("# a profile") :])


def test_bom_and_crlf_are_kept() -> None:
    text = "\ufeff" + CODEX.replace("\n", "\r\n")
    doc = codex()
    doc["mcp_servers"]["github"] = GITHUB
    result = rewrite_toml(text, doc)
    assert result.startswith("\ufeff# ~/.codex/config.toml\r\n")
    assert "\n" not in result.replace("\r\n", "")
    assert tomllib.loads(result[1:]) == doc


def test_a_new_file() -> None:
    doc = {"model": "o3", "mcp_servers": {"github": GITHUB, "web": {"url": "https://x/mcp"}}}
    result = rewrite_toml(None, doc)
    assert tomllib.loads(result) == doc
    assert result.startswith('model = "o3"\n\n[mcp_servers.github]\n')
    assert '[mcp_servers.web]\nurl = "https://x/mcp"\n' in result
    assert "[mcp_servers]\n" not in result
    assert rewrite_toml("\n", doc) == result


def test_none_is_refused() -> None:
    with pytest.raises(ValueError, match=r"mcp_servers\.x\.url"):
        rewrite_toml(CODEX, {"mcp_servers": {"x": {"url": None}}})


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("model = \n", "Invalid value, line 1"),
        ('a = 1\n[t]\nb = "x\n', "line 3"),
        ("[x]\n[x]\n", "line 2"),
        ("\ufeffa = 1\na = 2\n", "line 2"),
    ],
)
def test_invalid_toml_is_one_line(text: str, reason: str) -> None:
    path = Path("/home/u/.codex/config.toml")
    with pytest.raises(InvalidInput) as caught:
        parse_toml(path, text)
    message = str(caught.value)
    assert message.startswith(f"{path}: not valid TOML (")
    assert message.endswith("); fix or move it; nothing was written")
    assert reason in message
    assert "\n" not in message


def test_parse_gives_plain_values() -> None:
    values = parse_toml(Path("c.toml"), "\ufeff" + CODEX)
    assert values == codex()
    assert type(values["mcp_servers"]["docs"]["env"]) is dict
    assert type(values["mcp_servers"]["docs"]["startup_timeout_sec"]) is int


# --- properties -------------------------------------------------------------------------------

NAMES = st.text(alphabet="abz-_.é ", min_size=1, max_size=6)
STRINGS = st.text(alphabet=st.characters(codec="utf-8", exclude_categories=["Cs"]), max_size=8)
SCALARS = st.booleans() | st.integers(-(2**40), 2**40) | STRINGS
SERVER = st.fixed_dictionaries(
    {"command": STRINGS},
    optional={
        "args": st.lists(STRINGS, max_size=3),
        "env": st.dictionaries(NAMES, STRINGS, max_size=3),
        "startup_timeout_sec": st.integers(1, 100),
        "enabled": st.booleans(),
    },
)


@settings(max_examples=60, deadline=None)
@given(
    added=st.dictionaries(NAMES, SERVER, max_size=3),
    removed=st.sets(st.sampled_from(["docs", "pylee-fetch", "tui", "profiles", "model"])),
    top=st.dictionaries(st.sampled_from(["model", "approval_policy", "x"]), SCALARS, max_size=2),
    crlf=st.booleans(),
)
def test_any_edit_gives_exactly_the_new_document(
    added: dict[str, Any],
    removed: set[str],
    top: dict[str, Any],
    crlf: bool,
) -> None:
    old = CODEX.replace("\n", "\r\n") if crlf else CODEX
    doc = copy.deepcopy(codex())
    doc["mcp_servers"].update(added)
    for key in removed:
        doc.pop(key, None)
        doc["mcp_servers"].pop(key, None)
    doc.update(top)
    result = rewrite_toml(old, doc)
    assert tomllib.loads(result) == doc
    assert result.startswith("# ~/.codex/config.toml")  # edited, not written fresh
    if crlf:
        assert "\n" not in result.replace("\r\n", "")
    if "docs" not in removed:  # the foreign server's lines are all still there
        for line in CODEX[CODEX.index("# Docs") : CODEX.index("# written")].splitlines():
            assert line in result.splitlines()


@pytest.mark.parametrize(
    "old",
    [
        "# h\n[mcp_servers]\n# none yet\n",
        '# h\n[mcp_servers.a]\ncommand = "a"\n\n[tui]\nx = 1\n\n[mcp_servers.b]\ncommand = "b"\n',
        '# h\n\nmcp_servers.a.command = "a"  # dotted\n',
        '# h\n[[profiles]]\nname = "a"\n',
    ],
)
def test_unusual_layouts_are_edited_not_rewritten(old: str) -> None:
    doc = tomllib.loads(old)
    doc.setdefault("mcp_servers", {})["github"] = GITHUB
    doc["mcp_servers"].pop("a", None)
    result = rewrite_toml(old, doc)
    assert tomllib.loads(result) == doc
    assert comments(old)[0] in result
    assert 'env = { GITHUB_TOKEN = "x", LOG = "1" }' in result


KEYS = st.text(alphabet="abz-_. ", min_size=1, max_size=4)
NESTED = st.recursive(
    st.booleans() | st.integers(-5, 5) | st.text(alphabet='ab"\\\n#', max_size=4),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(KEYS, inner, max_size=3),
    max_leaves=10,
)


@settings(max_examples=60, deadline=None)
@given(doc=st.dictionaries(KEYS, NESTED, max_size=5), data=st.data())
def test_any_edit_of_any_document(doc: dict[str, Any], data: st.DataObject) -> None:
    old = "# head\n\n" + rewrite_toml(None, doc)
    new = copy.deepcopy(doc)
    target = new
    while (objects := [k for k, v in target.items() if isinstance(v, dict)]) and data.draw(
        st.booleans()
    ):
        target = target[data.draw(st.sampled_from(objects))]
    if target and data.draw(st.booleans()):
        del target[data.draw(st.sampled_from(sorted(target)))]
    target[data.draw(KEYS)] = data.draw(NESTED)
    result = rewrite_toml(old, new)
    assert tomllib.loads(result) == new
    assert result.startswith("# head\n")
