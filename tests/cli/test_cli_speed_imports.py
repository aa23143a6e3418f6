"""A cold command loads only what it uses: `--version`, `--help` and `org list` start without
Textual, jsonschema, pydantic or sqlite-utils (each costs a cold start tens of milliseconds; the
timings themselves are benchmarks/bench_cli.py's). Checked in a fresh interpreter, as a shell runs
the command."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support import ANN, CliRunner

HEAVY = ("textual", "rich", "jsonschema", "pydantic", "sqlite_utils", "cryptography", "markdown_it")

# runs the CLI in this interpreter, then says which of the heavy packages it imported
PROBE = """
import json, sys
from pylee_tui.cli import main
code = main(sys.argv[1:])
sys.stdout.flush()
loaded = sorted({m.split(".")[0] for m in sys.modules} & set(json.loads(HEAVY)))
print("\\nLOADED " + json.dumps({"code": code, "loaded": loaded}))
"""


def loaded_by(*argv: str, env: dict[str, str] | None = None) -> tuple[str, list[str]]:
    """What the command printed, and the heavy packages it imported."""
    code = PROBE.replace("HEAVY", repr(json.dumps(HEAVY)))
    done = subprocess.run(
        [sys.executable, "-c", code, *argv],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=False,
    )
    out, _, report = done.stdout.rpartition("\nLOADED ")
    assert report, done.stderr
    result = json.loads(report)
    assert result["code"] == 0, done.stderr
    return out, result["loaded"]


@pytest.fixture
def store_with_orgs(cli: CliRunner) -> Path:
    assert cli("org", "create", "Acme").code == 0
    assert cli("org", "create", "Beta").code == 0
    return cli.db


def test_version_loads_nothing_heavy() -> None:
    out, loaded = loaded_by("--version")
    assert out.startswith("pylee-tui ")
    assert loaded == []


def test_help_loads_nothing_heavy() -> None:
    out, loaded = loaded_by("--help")
    assert "org" in out and "audit" in out
    assert loaded == []


def test_org_list_json_loads_nothing_heavy(store_with_orgs: Path) -> None:
    # the first open of a store works out its expected schema (and loads sqlite-utils to do it);
    # every later one compares with what was remembered
    loaded_by("org", "list", "--db", str(store_with_orgs), "--as", ANN)
    out, loaded = loaded_by("org", "list", "--json", "--db", str(store_with_orgs), "--as", ANN)
    assert [org["slug"] for org in json.loads(out)] == ["acme", "beta"]
    assert loaded == []


def test_org_list_table_loads_nothing_heavy_but_rich_cells(store_with_orgs: Path) -> None:
    loaded_by("org", "list", "--db", str(store_with_orgs), "--as", ANN)
    out, loaded = loaded_by("org", "list", "--db", str(store_with_orgs), "--as", ANN)
    assert "acme" in out and "beta" in out
    assert loaded in ([], ["rich"])  # the table measures its cells in terminal columns


def test_a_command_that_needs_the_models_still_gets_them(store_with_orgs: Path) -> None:
    out, loaded = loaded_by("org", "show", "acme", "--db", str(store_with_orgs), "--as", ANN)
    assert "Acme (acme)" in out
    assert "pydantic" in loaded
