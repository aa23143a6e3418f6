"""Secrets an import finds in command lines and URLs: into the vault, never in plain text in the
store, masked where shown; Windows' `cmd /c` and `npx mcp-remote` read as what they start."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from pylee_tui.cli.clients import _file_json
from pylee_tui.sections.clients.rows import build_view, entry_detail
from pylee_tui.services import Services
from pylee_tui.services.clients.secret_names import MASKED, mask_args, mask_url
from tests.clients.machine import TOOLS, registry
from tests.support import ANN

DATA = Path(__file__).parent.parent / "data" / "clients" / "import_secrets" / "mcp.json"
SECRETS = (
    "ctx7sk-SUPERSECRET111",
    "TOK-SECRET777",
    "PGPASS-SECRET222",
    "HDR-SECRET333",
    "URLKEY-SECRET888",
    "SHELL-SECRET999",
    "DSN-SECRET555",
)


@pytest.fixture
def world(services: Services, tmp_path: Path) -> tuple[Services, Path]:
    path = tmp_path / ".mcp.json"
    shutil.copy(DATA, path)
    return registry(services), path


def plan(s: Services, path: Path):
    return s.clients.plan_import(
        ANN, "claude-code", "project", org="acme", registry="tools", file=path
    )


def items(p):
    return {i.entry: i for i in p.items}


def test_secret_arguments_become_vault_templates(world) -> None:
    s, path = world
    got = items(plan(s, path))
    context7 = got["context7"]
    args = context7.document["packages"][0]["packageArguments"]
    assert args[0]["name"] == "--api-key" and args[0]["value"] == "{API_KEY}"
    assert args[0]["isSecret"] is True
    assert args[0]["variables"] == {"API_KEY": {"isRequired": True, "isSecret": True}}
    assert args[1]["value"] == "--token={TOKEN}" and args[1]["isSecret"] is True
    assert context7.secrets == {"API_KEY": SECRETS[0], "TOKEN": SECRETS[1]}

    postgres = got["postgres"]
    arg = postgres.document["packages"][0]["packageArguments"][0]
    assert arg["value"] == "postgresql://admin:{POSTGRESQL_PASSWORD}@db.example.com/prod"
    assert postgres.secrets == {"POSTGRESQL_PASSWORD": SECRETS[2]}

    shell = got["shell"]  # a draft keeps its command, the secret templated
    meta = shell.document["_meta"]["io.github.pylee-tui/imported-command"]
    assert meta["args"] == ["--password", "{PASSWORD}"]
    assert shell.secrets == {"PASSWORD": SECRETS[5]}
    text = json.dumps([i.document for i in got.values()])
    assert not [v for v in SECRETS if v in text]


def test_no_secret_of_the_file_reaches_the_store_in_plain_text(world, tmp_path: Path) -> None:
    s, path = world
    result = s.clients.apply_import(ANN, plan(s, path))
    assert "com.npmjs.upstash/context7: API_KEY" in result.secrets_stored
    stored = b"".join(p.read_bytes() for p in tmp_path.rglob("*") if p.is_file() and p != path)
    assert not [v for v in SECRETS if v.encode() in stored]


def test_mcp_remote_and_cmd_c_are_read_as_what_they_start(world) -> None:
    s, path = world
    got = items(plan(s, path))
    remote = got["remote"]
    assert remote.kind == "remote"
    assert remote.document["remotes"][0]["url"] == "https://mcp.example.com/sse"
    assert remote.secrets == {"AUTHORIZATION": "Bearer " + SECRETS[3]}
    assert got["remote-win"].kind == "remote"
    win = got["win"]
    assert win.kind == "npm"
    package = win.document["packages"][0]
    assert package["identifier"] == "@modelcontextprotocol/server-filesystem"
    assert package["packageArguments"] == [
        {"type": "positional", "value": "C:\\Users\\me\\Desktop"}
    ]


def test_a_url_holding_a_secret_is_a_draft_with_the_secret_in_the_vault(world) -> None:
    s, path = world
    keyed = items(plan(s, path))["keyed-url"]
    assert keyed.kind == "draft" and "remotes" not in keyed.document
    assert keyed.secrets == {"API_KEY": SECRETS[4]}
    assert any("the URL holds a secret" in n for n in keyed.notes)
    meta = keyed.document["_meta"]["io.github.pylee-tui/imported-command"]
    assert meta["remote"]["url"] == "https://api.example.com/mcp?api_key={API_KEY}&region=eu"


def test_an_env_value_holding_a_reference_stays_a_template(world) -> None:
    s, path = world
    db = items(plan(s, path))["db"]
    assert db.variables == {"DATABASE_URL": "postgres://u:${DB_PASSWORD}@host/db"}
    assert db.references == ["DB_PASSWORD"]


def test_a_malformed_url_skips_the_entry_in_one_line(world) -> None:
    s, path = world
    broken = items(plan(s, path))["broken"]
    assert broken.skipped is not None and broken.skipped.startswith("not a valid URL")


def test_a_secret_headers_template_names_are_declared_secret(world) -> None:
    s, path = world
    docs = items(plan(s, path))["docs"]
    header = docs.document["remotes"][0]["headers"][0]
    assert header["value"] == "Bearer {DOCS_TOKEN}" and header["isSecret"] is True
    assert header["variables"] == {"DOCS_TOKEN": {"isRequired": True, "isSecret": True}}


def test_left_by_rewrite_names_an_entry_still_holding_a_secret(world) -> None:
    s, path = world
    p = plan(s, path)
    s.clients.apply_import(ANN, p)
    lines = s.clients.left_by_rewrite(ANN, p)  # the file was not rewritten
    assert any(line.startswith("context7 still holds API_KEY, TOKEN") for line in lines)
    assert not [v for v in SECRETS if v in "\n".join(lines)]


def test_scan_json_and_masks_hide_secret_arguments_and_urls(world) -> None:
    s, path = world
    found = s.clients.scan(home=path.parent / "home", cwd=path.parent, platform="linux")
    text = json.dumps([_file_json(f) for f in found], ensure_ascii=False)
    assert "context7" in text and MASKED in text
    assert not [v for v in SECRETS if v in text]
    assert mask_args(["--api-key", "x1", "--header", "Authorization: Bearer x2", "-v"]) == [
        "--api-key",
        MASKED,
        "--header",
        f"Authorization: {MASKED}",
        "-v",
    ]
    assert (
        mask_url("redis://:pw@h:6379/0?token=t&db=1")
        == f"redis://:{MASKED}@h:6379/0?token={MASKED}&db=1"
    )


def test_the_clients_sections_detail_masks_secret_arguments_and_urls(world) -> None:
    s, path = world
    found = s.clients.scan(home=path.parent / "home", cwd=path.parent, platform="linux")
    view = build_view(found, [], path.parent / "home", path.parent)
    client = next(c for c in view.clients if c.key == "claude-code")
    file = next(f for f in client.files if f.found.exists)
    shown = "".join(entry_detail(client, file, row, view).plain for row in file.entries)
    assert "--api-key " + MASKED in shown and "admin:" + MASKED + "@" in shown
    assert not [v for v in SECRETS if v in shown]


def test_an_env_value_holding_a_connection_password_is_a_secret(world) -> None:
    s, path = world
    dsn = items(plan(s, path))["dsn"]
    assert dsn.secrets == {"DATABASE_URL": "mysql://root:DSN-SECRET555@db/app"}
    assert dsn.variables == {"REGION": "eu"}
    declared = dsn.document["packages"][0]["environmentVariables"]
    assert {d["name"]: d.get("isSecret", False) for d in declared} == {
        "DATABASE_URL": True,
        "REGION": False,
    }


def test_an_export_gives_the_same_command_with_the_secret_from_the_vault(world) -> None:
    s, path = world
    p = plan(s, path)
    s.clients.apply_import(ANN, p)
    s.clients.rewrite_file(ANN, p, "reference")
    servers = json.loads(path.read_text())["mcpServers"]
    assert servers["context7"]["args"][-3:] == ["--api-key", "${API_KEY}", "--token=${TOKEN}"]
    postgres = servers["postgres"]["args"][-1]
    assert postgres == "postgresql://admin:${POSTGRESQL_PASSWORD}@db.example.com/prod"
    assert not [v for v in SECRETS[:4] if v in path.read_text()]


def test_a_secret_headers_names_are_a_password_prompt_in_vs_code(world, tmp_path: Path) -> None:
    s, path = world
    p = plan(s, path)
    s.clients.apply_import(ANN, p)
    target = tmp_path / "vscode.json"
    s.export.install_with_names(
        ANN,
        TOOLS,
        "vscode",
        target,
        servers=["com.example.docs/docs"],
        secrets="reference",
        allow_missing=True,
    )
    inputs = {i["id"]: i for i in json.loads(target.read_text())["inputs"]}
    assert [i.get("password") for i in inputs.values()] == [True]
