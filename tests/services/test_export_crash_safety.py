"""An export killed at any step: the next export still knows which entries are pylee-tui's
(no `-2` copies, the old entries and their inlined secrets replaced, the user's kept), and no
temporary file of ours (which may hold inlined secrets) is left beside the config.

Each kill is real: the export runs in a child process (the CLI) that calls os._exit at the
named step, so no cleanup handler, `finally` or rollback of ours runs."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

import pylee_tui
from pylee_tui.files import write_atomic
from pylee_tui.services import Scope, Services
from tests.services import test_services_export
from tests.services.test_services_export import FOREIGN, SSE, install
from tests.support import ANN, server_doc

world = test_services_export.world  # the fixture: acme / tools, its servers and secrets
PASS = "correct horse battery"  # the world fixture's vault passphrase
KILLED = 137
SECRET_OLD = "sk-FAKE-before-the-kill"
SECRET_NEW = "sk-FAKE-after-the-kill"

# The child: the CLI's export, killed (os._exit) at one step. The steps are the points at which
# something becomes durable: a rename (os.replace) or a record in the store (export_owners).
CHILD = """
import os, sys
from pathlib import Path

step, killed, db, target, actor, *export_args = sys.argv[1:]
target = Path(target)

def kill():
    os._exit(int(killed))

real_replace = os.replace

def replace(src, dst):
    dst = Path(dst)
    if step == "before backup rename" and dst.name == target.name + ".bak":
        kill()
    if step == "before rename" and dst == target:
        kill()
    real_replace(src, dst)
    if step == "after rename" and dst == target:
        kill()

os.replace = replace

from pylee_tui.services.export import owners

real_intent, real_owners = owners.record_intent, owners.record_owners

def record_intent(*args, **kwargs):
    if step == "before the first export record":
        kill()
    return real_intent(*args, **kwargs)

def record_owners(*args, **kwargs):
    if step in ("before the first export record", "before the ownership record"):
        kill()
    return real_owners(*args, **kwargs)

owners.record_intent, owners.record_owners = record_intent, record_owners

from pylee_tui.cli import main

sys.exit(main(["--db", db, "--as", actor, "export", *export_args, "--out", str(target)]))
"""

STEPS = [
    "before backup rename",
    "before the first export record",
    "before rename",
    "after rename",
    "before the ownership record",
]


def killed_export(db: Path, target: Path, step: str, client: str) -> None:
    args = ["--org", "acme", "--registry", "tools", "--client", client]
    if client != "vscode":
        args.append("--inline-secrets")
    here = str(Path(pylee_tui.__file__).parents[1])  # the child runs this same pylee_tui
    paths = [here, *filter(None, [os.environ.get("PYTHONPATH")])]
    env = {**os.environ, "PYLEE_PASSPHRASE": PASS, "PYTHONPATH": os.pathsep.join(paths)}
    child = subprocess.run(
        [sys.executable, "-c", CHILD, step, str(KILLED), str(db), str(target), ANN, *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert child.returncode == KILLED, child.stderr  # killed at that step, not before


def ours_left(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.endswith(".tmp"))


@pytest.mark.parametrize("exported_before", [False, True], ids=["first export", "again"])
@pytest.mark.parametrize("step", STEPS)
def test_an_export_killed_at_any_step_is_made_whole_by_the_next(
    world: Services, db_path: Path, tmp_path: Path, step: str, exported_before: bool
) -> None:
    folder = tmp_path / "cursor"
    folder.mkdir()
    target = folder / "mcp.json"
    target.write_text(json.dumps(FOREIGN, indent=2), "utf-8")
    if exported_before:
        install(world, target, inline_secrets=True)
    world.variables.set_key(ANN, Scope("acme"), "WEATHER_API_KEY", SECRET_OLD, kind="secret")
    world.registries.add_server(ANN, Scope("acme", "tools"), server_doc("io.github.zed/newone"))

    killed_export(db_path, target, step, "cursor")
    if step in ("before backup rename", "before rename"):
        assert ours_left(folder)  # the kill left a temporary file, as a real one would

    # the next export: a secret rotated, a server gone from the registry
    world.variables.set_key(ANN, Scope("acme"), "WEATHER_API_KEY", SECRET_NEW, kind="secret")
    world.registries.remove_server(ANN, Scope("acme", "tools", SSE["name"]))
    _p, result = install(world, target, inline_secrets=True)

    # what one export into the untouched file writes
    fresh = tmp_path / "fresh" / "mcp.json"
    fresh.parent.mkdir()
    fresh.write_text(json.dumps(FOREIGN, indent=2), "utf-8")
    install(world, fresh, inline_secrets=True)
    expected = json.loads(fresh.read_text("utf-8"))

    text = target.read_text("utf-8")
    servers = json.loads(text)["mcpServers"]
    assert set(servers) == set(expected["mcpServers"])  # no -2 copy of any server
    assert servers == expected["mcpServers"]
    assert servers["filesystem"] == FOREIGN["mcpServers"]["filesystem"]  # the user's, kept
    assert servers["weather"] == {"command": "my-own-weather"}
    assert set(result.kept) == {"filesystem", "weather"}
    assert "events" not in servers  # gone from the registry: removed, not kept as the user's
    assert SECRET_OLD not in text and SECRET_NEW in text
    assert sorted(p.name for p in folder.iterdir()) == ["mcp.json", "mcp.json.bak"]

    # and the store agrees with the file from now on: exporting again changes nothing
    _p, again = install(world, target, inline_secrets=True)
    assert not again.written and again.added == []


def test_a_vscode_export_killed_after_its_rename_keeps_its_inputs_ours(
    world: Services, db_path: Path, tmp_path: Path
) -> None:
    target = tmp_path / "project" / ".vscode" / "mcp.json"
    target.parent.mkdir(parents=True)
    mine = {"type": "promptString", "id": "my-key", "description": "mine"}
    start = {"servers": {"mine": {"type": "stdio", "command": "mine"}}, "inputs": [mine]}
    target.write_text(json.dumps(start, indent=2), "utf-8")

    killed_export(db_path, target, "after rename", "vscode")
    _p, result = install(world, target, "vscode")

    fresh = tmp_path / "fresh" / ".vscode" / "mcp.json"
    fresh.parent.mkdir(parents=True)
    fresh.write_text(json.dumps(start, indent=2), "utf-8")
    install(world, fresh, "vscode")
    doc, expected = json.loads(target.read_text("utf-8")), json.loads(fresh.read_text("utf-8"))
    assert doc == expected
    ids = [i["id"] for i in doc["inputs"]]
    assert len(ids) == len(set(ids)) and not any(i.endswith("-2") for i in ids)
    assert doc["inputs"][0] == mine and result.kept == ["mine"]


# --- the temporary files themselves ------------------------------------------------------------


def test_cleanup_removes_only_our_own_stale_temporary_files(tmp_path: Path) -> None:
    target = tmp_path / "mcp.json"
    stale = tmp_path / ".mcp.json.pylee-abcd1234.tmp"  # a killed write's, with secrets
    stale.write_text('{"mcpServers": {"x": {"env": {"KEY": "sk-FAKE"}}}}', "utf-8")
    others = [
        tmp_path / ".mcp.json.abcd1234.tmp",  # another program's (or not ours by name)
        tmp_path / ".other.json.pylee-abcd1234.tmp",  # ours, for another file
        tmp_path / "notes.tmp",
    ]
    for other in others:
        other.write_text("keep me", "utf-8")
    link = tmp_path / ".mcp.json.pylee-link0000.tmp"
    link.symlink_to(tmp_path / "notes.tmp")

    write_atomic(target, "{}\n")

    assert not stale.exists()
    assert all(other.read_text("utf-8") == "keep me" for other in others)
    assert link.is_symlink()
    assert target.read_text("utf-8") == "{}\n"


def test_a_temporary_file_still_being_written_is_not_removed(tmp_path: Path) -> None:
    """Two writes of one file at once: the second removes what a killed write left, not the
    first's unfinished file, which still becomes the file."""
    target = tmp_path / "mcp.json"
    stale = tmp_path / ".mcp.json.pylee-zzzz9999.tmp"
    unfinished: list[Path] = []

    def meanwhile(tmp: Path) -> None:  # the first write is between its fsync and its rename
        unfinished.append(tmp)
        stale.write_text('{"left": "by a killed write"}', "utf-8")
        write_atomic(target, '{"second": true}\n')
        assert tmp.exists() and not stale.exists()

    write_atomic(target, '{"first": true}\n', _before_replace=meanwhile)
    assert unfinished and unfinished[0].name.startswith(".mcp.json.pylee-")
    assert target.read_text("utf-8") == '{"first": true}\n'
    assert ours_left(tmp_path) == []
