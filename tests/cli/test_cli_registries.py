"""`pylee-tui registry ...` and `pylee-tui server ...` end to end through `main(argv)`."""

from __future__ import annotations

import copy
import io
import json
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft7Validator

from pylee_tui.services import Scope, Services
from tests.cli.expect import as_json, ok, one_error_line, rows
from tests.support import (
    ANN,
    BOB,
    CARL,
    SEARCH,
    WAREHOUSE,
    CliRunner,
    cli_template,
    copy_template,
    server_doc,
    with_services,
)

SEED = Path(__file__).parents[1] / "data" / "registry-seed-2025-05-16.json"
SCHEMA = json.loads(
    (Path(__file__).parents[2] / "pylee_tui/data/server.schema.json").read_text(encoding="utf-8")
)
GOOGLE = "io.github.adenot/mcp-google-search"  # a seed entry: empty description, 'unknown' package

# its own copy: this module adds a website, variables and a remote to it
WEATHER = server_doc("io.github.acme/weather", "1.0.0", "Weather")
WEATHER["websiteUrl"] = "https://weather.acme.example"
WEATHER["packages"][0]["environmentVariables"] = [
    {"name": "WEATHER_KEY", "description": "API key", "isRequired": True, "isSecret": True},
    {"name": "UNITS", "default": "metric"},
]
WEATHER["remotes"] = [
    {
        "type": "streamable-http",
        "url": "https://weather.acme.example/mcp",
        "headers": [{"name": "Authorization", "isRequired": True, "isSecret": True}],
    }
]
FIXABLE = server_doc("io.github.acme/fixable", "1.0.0", "d" * 101)  # too long: a draft


def write_json(path: Path, data: Any) -> str:
    path.write_text(json.dumps(data, indent=2), encoding="utf-8")
    return str(path)


ORG = ("--org", "acme")
CORE = ("--org", "acme", "--registry", "core")
DATA = ("--org", "acme", "--registry", "data")


def build_acme(cli: CliRunner) -> None:
    """acme (ann admin, bob member): registry core (weather, search, fixable as a draft) and
    registry data (warehouse, search); beta is bob's."""
    ok(cli("org", "create", "Acme"))
    ok(cli("org", "create", "Beta", user=BOB))
    ok(cli("registry", "create", "Core Tools", "--slug", "core", *ORG))
    ok(cli("registry", "create", "Data Sources", "--slug", "data", *ORG))

    def fill(s: Services) -> None:
        s.members.invite(ANN, "acme", BOB)
        s.members.accept(BOB, "acme")
        for doc in (WEATHER, SEARCH):
            s.registries.add_server(ANN, Scope("acme", "core"), doc)
        s.registries.add_server(ANN, Scope("acme", "core"), FIXABLE, allow_draft=True)
        for doc in (WAREHOUSE, SEARCH):
            s.registries.add_server(ANN, Scope("acme", "data"), doc)

    with_services(cli.db, fill)


@pytest.fixture(scope="module")
def acme_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The acme store, built once for the module through the CLI; each test gets a copy."""
    return cli_template(tmp_path_factory, lambda cli, _patch: build_acme(cli))


@pytest.fixture
def acme(cli: CliRunner, tmp_path: Path, acme_template: Path) -> CliRunner:
    """acme (ann admin, bob member): registry core (weather, search, fixable as a draft) and
    registry data (warehouse, search); beta is bob's. Files for the FILE arguments in tmp_path.
    The store is a fresh copy of the module's template (see acme_template)."""
    copy_template(acme_template, cli)
    broken_weather = copy.deepcopy(WEATHER)
    broken_weather["packages"][0]["transport"] = {"type": "carrier-pigeon"}
    files = {
        "weather.json": WEATHER,
        "search.json": SEARCH,
        "new.json": server_doc("io.github.acme/new", "2.0.0", "New"),
        "list.json": [server_doc("io.github.acme/one"), server_doc("io.github.acme/two")],
        "invalid.json": FIXABLE | {"name": "io.github.acme/invalid"},
        "invalid-weather.json": broken_weather,
        "nameless.json": {"description": "no name"},
        "empty-list.json": [],
    }
    for name, data in files.items():
        write_json(tmp_path / name, data)
    (tmp_path / "not-json.json").write_text('{\n  "name": "io.github.acme/x",,\n}\n')
    (tmp_path / "latin1.json").write_bytes('{"description": "Café"}'.encode("latin-1"))
    (tmp_path / "dup-keys.json").write_text('{"name": "io.github.acme/a", "name": "b/c"}')
    (tmp_path / "nan.json").write_text('{"name": "io.github.acme/nan", "version": NaN}')
    (tmp_path / "latin1.md").write_bytes("# Café\n".encode("latin-1"))
    return cli


# --- the "Done when", from the shell ------------------------------------------------


def seed_path() -> str:
    assert SEED.is_file(), f"the seed list is missing: {SEED} (see tests/data/README.md)"
    return str(SEED)


def test_done_when_seed_import_browse_fix_export_and_import_back(
    cli: CliRunner, tmp_path: Path
) -> None:
    ok(cli("org", "create", "Acme"))
    ok(cli("registry", "create", "Seed", *ORG))
    ok(cli("registry", "create", "Again", *ORG))
    seed = ("--org", "acme", "--registry", "seed")

    summary = ok(cli("server", "import", seed_path(), *seed)).splitlines()
    assert summary[0] == "imported 86, drafts 378, skipped 0, rejected 7"
    assert summary[2:4] == ["rejected: 7× no usable name", ""]
    # then each entry to look at: the 7 rejected by position, the 378 drafts by name
    assert summary[4] == "rejected  #16: no usable name"
    assert len(summary) == 4 + 7 + 378

    # browse and filter
    listed = ok(cli("server", "list", *seed, "--filter", "GOOGLE-search")).splitlines()
    assert listed[0].split() == ["NAME", "VERSION", "STATUS", "DESCRIPTION"]
    [row] = [line for line in listed if line.startswith(GOOGLE)]
    assert "DRAFT (2 problems)" in row
    found = as_json(cli("server", "list", *seed, "--filter", "Google-Search", "--json"))
    assert GOOGLE in [s["name"] for s in found]
    assert all("google-search" in s["name"].lower() for s in found)
    assert len(found) < 464

    # open the draft: its problems, pointed at by JSON path
    shown = ok(cli("server", "show", GOOGLE, *seed))
    assert "$.description: must not be empty" in shown
    assert "$.packages[0].registryType: registry type 'unknown' cannot be launched" in shown
    document = as_json(cli("server", "show", GOOGLE, *seed, "--json"))["document"]

    # fix one field only: still invalid, refused, the remaining fault named by its path
    document["description"] = "Google search for agents"
    edit = tmp_path / "google.json"
    write_json(edit, document)
    before = rows(cli.db)
    refused = cli("server", "edit", GOOGLE, *seed, "--file", str(edit))
    assert refused.code == 1
    assert "$.packages[0].registryType" in one_error_line(refused)
    assert rows(cli.db) == before

    # fix the other field: saved, no longer a draft
    document["packages"][0]["registryType"] = "npm"
    write_json(edit, document)
    assert "no longer a draft" in ok(cli("server", "edit", GOOGLE, *seed, "--file", str(edit)))
    fixed = as_json(cli("server", "show", GOOGLE, *seed, "--json"))
    assert (fixed["status"], fixed["problems"]) == ("valid", [])
    assert fixed["launch"] == "npx -y @adenot/mcp-google-search@0.2.0"

    # the registry still holds drafts: export as a whole is refused, the fixed server is not
    refused = cli("server", "export", *seed)
    assert refused.code == 1
    assert "377 draft server(s) cannot be exported" in one_error_line(refused)
    out = tmp_path / "google-export.json"
    ok(cli("server", "export", GOOGLE, *seed, "--out", str(out)))
    exported = json.loads(out.read_text(encoding="utf-8"))
    assert list(Draft7Validator(SCHEMA).iter_errors(exported)) == []

    # and import it back into another registry: the same document
    again = ("--org", "acme", "--registry", "again")
    assert ok(cli("server", "import", str(out), *again)).startswith("imported 1, drafts 0")
    assert as_json(cli("server", "show", GOOGLE, *again, "--json"))["document"] == exported
    assert exported == fixed["document"]


def test_whole_registry_round_trip_through_files(cli: CliRunner, tmp_path: Path) -> None:
    ok(cli("org", "create", "Acme"))
    for name in ("Clean", "Copy"):
        ok(cli("registry", "create", name, *ORG))
    clean = ("--org", "acme", "--registry", "clean")
    copy_ = ("--org", "acme", "--registry", "copy")
    strict = ok(cli("server", "import", seed_path(), *clean, "--strict")).splitlines()
    assert strict[0] == "imported 86, drafts 0, skipped 0, rejected 385"
    first = tmp_path / "first.json"
    assert ok(cli("server", "export", *clean, "--out", str(first))) == (
        f"Exported 86 servers to {first}\n"
    )
    assert ok(cli("server", "import", str(first), *copy_)).startswith("imported 86, drafts 0")
    second = ok(cli("server", "export", *copy_))
    assert second == first.read_text(encoding="utf-8")  # byte for byte
    documents = json.loads(second)
    assert len(documents) == 86
    validator = Draft7Validator(SCHEMA)
    assert all(not list(validator.iter_errors(d)) for d in documents)


# --- registry commands ----------------------------------------------------------------------


def test_registry_create_list_and_show(cli: CliRunner) -> None:
    ok(cli("org", "create", "Acme"))
    assert "No registries" in ok(cli("registry", "list", *ORG))
    assert as_json(cli("registry", "list", *ORG, "--json")) == []
    out = ok(cli("registry", "create", "Core Tools", "--description", "Search", *ORG))
    assert out == "Created registry Core Tools (core-tools) in acme.\n"
    assert "(core-tools-2)" in ok(cli("registry", "create", "Core Tools", *ORG))
    table = ok(cli("registry", "list", *ORG)).splitlines()
    assert table[0].split() == ["SLUG", "NAME", "SERVERS", "DRAFTS", "DESCRIPTION"]
    assert table[1].split() == ["core-tools", "Core", "Tools", "0", "0", "Search"]
    assert as_json(cli("registry", "list", *ORG, "--json")) == [
        {
            "slug": "core-tools",
            "name": "Core Tools",
            "description": "Search",
            "servers": 0,
            "drafts": 0,
            "require_approval": False,
        },
        {
            "slug": "core-tools-2",
            "name": "Core Tools",
            "description": "",
            "servers": 0,
            "drafts": 0,
            "require_approval": False,
        },
    ]
    shown = ok(cli("registry", "show", "core-tools", *ORG))
    assert "Core Tools (core-tools) in acme" in shown
    assert "Servers (0):" in shown
    assert "Overview: none" in shown


def test_registry_show_lists_servers_with_status_and_the_overview_size(
    acme: CliRunner, tmp_path: Path
) -> None:
    overview = tmp_path / "o.md"
    overview.write_text("# Core\n\nCafé rules ☕\n", encoding="utf-8")
    ok(acme("registry", "edit", "core", *ORG, "--overview-file", str(overview)))
    shown = ok(acme("registry", "show", "core", *ORG))
    assert "Servers (3, 1 draft):" in shown
    [fixable] = [line for line in shown.splitlines() if line.startswith(FIXABLE["name"])]
    assert "DRAFT (1 problem)" in fixable
    [weather] = [line for line in shown.splitlines() if line.startswith(WEATHER["name"])]
    assert "valid" in weather and "1.0.0" in weather
    size = len("# Core\n\nCafé rules ☕\n".encode())
    assert f"Overview: 3 lines of Markdown ({size} bytes)" in shown

    data = as_json(acme("registry", "show", "core", *ORG, "--json"))
    assert set(data) == {
        "org",
        "slug",
        "name",
        "require_approval",
        "fork_of",
        "description",
        "overview",
        "created_at",
        "updated_at",
        "servers",
    }
    assert data["fork_of"] is None
    assert (data["org"], data["slug"], data["name"]) == ("acme", "core", "Core Tools")
    assert data["overview"] == "# Core\n\nCafé rules ☕\n"
    assert [(s["name"], s["status"]) for s in data["servers"]] == [
        (FIXABLE["name"], "draft"),
        (SEARCH["name"], "valid"),
        (WEATHER["name"], "valid"),
    ]
    assert data["servers"][0]["problems"] == [
        {"path": "$.description", "reason": "must be at most 100 characters (got 101)"}
    ]


def test_registry_edit_each_field_and_the_audit_trail(acme: CliRunner) -> None:
    ok(acme("registry", "edit", "core", *ORG, "--name", "Core"))
    ok(acme("registry", "edit", "core", *ORG, "--description", "Tools we trust"))
    assert "(core-tools)" in ok(acme("registry", "edit", "core", *ORG, "--slug", "core-tools"))
    assert acme("registry", "show", "core", *ORG).code == 1
    data = as_json(acme("registry", "show", "core-tools", *ORG, "--json"))
    assert (data["name"], data["description"]) == ("Core", "Tools we trust")
    assert len(data["servers"]) == 3  # the servers went along
    actions = [e["action"] for e in as_json(acme("audit", "--org", "acme", "--json"))][:3]
    assert actions == ["registry.slug", "registry.description", "registry.rename"]


def test_registry_edit_overview_from_stdin(acme: CliRunner, monkeypatch) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO("# From a pipe\n"))
    ok(acme("registry", "edit", "data", *ORG, "--overview-file", "-"))
    assert as_json(acme("registry", "show", "data", *ORG, "--json"))["overview"] == (
        "# From a pipe\n"
    )


def test_registry_delete_says_what_goes_and_needs_yes(acme: CliRunner) -> None:
    def variables(s: Services) -> None:
        s.variables.set_key(ANN, Scope("acme", "core"), "REGION", "eu")

    with_services(acme.db, variables)
    before = rows(acme.db)
    warning = one_error_line(acme("registry", "delete", "core", *ORG))
    assert "removes 3 servers and 1 variable or secret" in warning
    assert "--yes" in warning
    assert rows(acme.db) == before
    out = ok(acme("registry", "delete", "core", *ORG, "--yes"))
    assert out == "Deleted registry core with 3 servers and 1 variable or secret.\n"
    assert [r["slug"] for r in as_json(acme("registry", "list", *ORG, "--json"))] == ["data"]


# --- server commands ------------------------------------------------------------------------


def test_server_list_marks_drafts_and_filters(acme: CliRunner) -> None:
    table = ok(acme("server", "list", *CORE)).splitlines()
    assert table[0].split() == ["NAME", "VERSION", "STATUS", "DESCRIPTION"]
    by_name = {line.split()[0]: line for line in table[1:] if line.strip()}
    assert "DRAFT (1 problem)" in by_name[FIXABLE["name"]]
    assert "valid" in by_name[WEATHER["name"]] and "Weather" in by_name[WEATHER["name"]]
    assert table[-1] == "3 servers, 1 draft (exported only once fixed)"
    filtered = ok(acme("server", "list", *CORE, "--filter", "WEA")).splitlines()
    assert filtered[1].split()[0] == WEATHER["name"]
    assert filtered[2:] == ["", "1 server"]
    assert "No server in registry 'core' matches 'zzz'" in ok(
        acme("server", "list", *CORE, "--filter", "zzz")
    )
    ok(acme("registry", "create", "Empty", *ORG))
    empty = ok(acme("server", "list", "--org", "acme", "--registry", "empty"))
    assert "server add FILE --org acme --registry empty" in empty


def test_server_list_json(acme: CliRunner) -> None:
    listed = as_json(acme("server", "list", *CORE, "--json"))
    assert listed == [
        {
            "name": FIXABLE["name"],
            "version": "1.0.0",
            "description": "d" * 101,
            "status": "draft",
            "problems": [
                {"path": "$.description", "reason": "must be at most 100 characters (got 101)"}
            ],
        },
        {
            "name": SEARCH["name"],
            "version": "0.2.0",
            "description": "Search",
            "status": "valid",
            "problems": [],
        },
        {
            "name": WEATHER["name"],
            "version": "1.0.0",
            "description": "Weather",
            "status": "valid",
            "problems": [],
        },
    ]
    assert as_json(acme("server", "list", *CORE, "--json", "--filter", "nothing")) == []


def test_server_show_summary_launch_command_and_inputs(acme: CliRunner) -> None:
    shown = ok(acme("server", "show", WEATHER["name"], *CORE))
    lines = shown.splitlines()
    assert lines[0] == WEATHER["name"]
    assert "  Version:     1.0.0" in lines
    assert "  Status:      valid" in lines
    assert "  Website:     https://weather.acme.example" in lines
    assert "  Launch:      npx -y @weather/mcp@1.0.0" in lines
    env_header = lines.index("Environment variables (2):") + 1
    assert lines[env_header].split() == [
        "NAME",
        "REQUIRED",
        "SECRET",
        "DEFAULT",
        "FROM",
        "DESCRIPTION",
    ]
    assert lines[env_header + 1].split() == [
        "WEATHER_KEY",
        "yes",
        "yes",
        "@weather/mcp",
        "API",
        "key",
    ]
    assert lines[env_header + 2].split() == ["UNITS", "no", "no", "metric", "@weather/mcp"]
    header_row = lines[lines.index("Headers (1):") + 2].split()
    assert header_row == ["Authorization", "yes", "yes", "https://weather.acme.example/mcp"]
    assert "Problems" not in shown


def test_server_show_json(acme: CliRunner) -> None:
    data = as_json(acme("server", "show", WEATHER["name"], *CORE, "--json"))
    assert set(data) == {
        "name",
        "version",
        "description",
        "status",
        "problems",
        "org",
        "registry",
        "website",
        "repository",
        "launch",
        "environment_variables",
        "headers",
        "document",
        "created_at",
        "updated_at",
    }
    assert data["document"] == WEATHER
    assert (data["org"], data["registry"], data["status"]) == ("acme", "core", "valid")
    assert data["launch"] == "npx -y @weather/mcp@1.0.0"
    assert (data["website"], data["repository"]) == ("https://weather.acme.example", None)
    assert data["environment_variables"] == [
        {
            "name": "WEATHER_KEY",
            "description": "API key",
            "required": True,
            "secret": True,
            "default": None,
            "source": "@weather/mcp",
        },
        {
            "name": "UNITS",
            "description": None,
            "required": False,
            "secret": False,
            "default": "metric",
            "source": "@weather/mcp",
        },
    ]
    assert data["headers"] == [
        {
            "name": "Authorization",
            "description": None,
            "required": True,
            "secret": True,
            "default": None,
            "source": "https://weather.acme.example/mcp",
        },
    ]


def test_server_show_of_a_draft_lists_its_problems(acme: CliRunner) -> None:
    shown = ok(acme("server", "show", FIXABLE["name"], *CORE))
    assert "  Status:      DRAFT (1 problem)" in shown
    assert "  $.description: must be at most 100 characters (got 101)" in shown
    assert f"server edit {FIXABLE['name']} --org acme --registry core --file FILE" in shown


def test_server_show_never_sends_control_characters_to_the_terminal(
    acme: CliRunner, tmp_path: Path
) -> None:
    sneaky = server_doc("io.github.acme/sneaky", "1.0.0", "\x1b[2J\x1b]0;owned\x07 wiped\u202e")
    ok(acme("server", "add", write_json(tmp_path / "s.json", sneaky), *CORE))
    for argv in (("server", "show", "io.github.acme/sneaky", *CORE), ("server", "list", *CORE)):
        out = ok(acme(*argv))
        assert "\x1b" not in out and "\x07" not in out and "\u202e" not in out
        assert "\\x1b[2J" in out


def test_server_add_valid_draft_legacy_and_stdin(
    acme: CliRunner, tmp_path: Path, monkeypatch
) -> None:
    out = ok(acme("server", "add", str(tmp_path / "new.json"), *DATA))
    assert out == "Added io.github.acme/new 2.0.0 to registry data.\n"

    out = ok(acme("server", "add", str(tmp_path / "invalid.json"), *DATA, "--draft"))
    assert "as a draft with 1 problem" in out
    assert (
        as_json(acme("server", "show", "io.github.acme/invalid", *DATA, "--json"))["status"]
        == "draft"
    )

    legacy = {
        "name": "io.github.acme/legacy",
        "description": "Old shape",
        "version_detail": {"version": "0.1.0"},
        "packages": [
            {
                "registry_name": "docker",
                "name": "acme/legacy",
                "version": "0.1.0",
                "environment_variables": [{"name": "TOKEN", "is_secret": True}],
            }
        ],
    }
    monkeypatch.setattr("sys.stdin", io.StringIO(json.dumps(legacy)))
    ok(acme("server", "add", "-", *DATA))
    shown = as_json(acme("server", "show", "io.github.acme/legacy", *DATA, "--json"))
    assert shown["launch"] == "docker run -i --rm -e TOKEN acme/legacy:0.1.0"
    assert shown["environment_variables"][0]["secret"] is True


def test_server_add_of_an_invalid_document_lists_its_problems(
    acme: CliRunner, tmp_path: Path
) -> None:
    doc = server_doc("io.github.acme/bad", "latest", "")
    doc["websiteUrl"] = "nope"
    before = rows(acme.db)
    result = acme("server", "add", write_json(tmp_path / "bad.json", doc), *DATA)
    assert result.code == 1
    line = one_error_line(result)
    for path in ("$.description", "$.version", "$.websiteUrl"):
        assert path in line
    assert rows(acme.db) == before


def test_server_edit_replaces_the_document(acme: CliRunner, tmp_path: Path) -> None:
    changed = copy.deepcopy(WEATHER)
    changed["description"] = "Weather, now with radar"
    changed["version"] = "1.1.0"
    out = ok(
        acme(
            "server",
            "edit",
            WEATHER["name"],
            *CORE,
            "--file",
            write_json(tmp_path / "w.json", changed),
        )
    )
    # the file says 1.1.0, but nothing is published until `server publish` says so
    assert out == (
        "Updated io.github.acme/weather: unpublished changes since 1.0.0; publish them with "
        "`pylee-tui server publish io.github.acme/weather --org acme --registry core`.\n"
    )
    assert as_json(acme("server", "show", WEATHER["name"], *CORE, "--json"))["document"] == changed
    renamed = changed | {"name": "io.github.acme/forecast"}
    out = ok(
        acme(
            "server",
            "edit",
            WEATHER["name"],
            *CORE,
            "--file",
            write_json(tmp_path / "w.json", renamed),
        )
    )
    assert "renamed from io.github.acme/weather" in out
    assert acme("server", "show", WEATHER["name"], *CORE).code == 1


def test_server_edit_with_an_invalid_file_names_the_json_path(
    acme: CliRunner, tmp_path: Path
) -> None:
    before = rows(acme.db)
    result = acme(
        "server", "edit", WEATHER["name"], *CORE, "--file", str(tmp_path / "invalid-weather.json")
    )
    assert result.code == 1
    line = one_error_line(result)
    assert "$.packages[0].transport.type" in line
    assert "'carrier-pigeon' is not one of stdio, streamable-http, sse" in line
    assert rows(acme.db) == before


def test_server_remove_needs_yes(acme: CliRunner) -> None:
    before = rows(acme.db)
    warning = one_error_line(acme("server", "remove", SEARCH["name"], *CORE))
    assert "--yes" in warning and SEARCH["name"] in warning
    assert rows(acme.db) == before
    out = ok(acme("server", "remove", SEARCH["name"], *CORE, "--yes"))
    assert out == "Removed io.github.acme/search from registry core.\n"
    assert SEARCH["name"] not in [
        s["name"] for s in as_json(acme("server", "list", *CORE, "--json"))
    ]
    assert SEARCH["name"] in [s["name"] for s in as_json(acme("server", "list", *DATA, "--json"))]


def test_server_move(acme: CliRunner) -> None:
    out = ok(acme("server", "move", WEATHER["name"], *CORE, "--to", "data"))
    assert out == "Moved io.github.acme/weather from registry core to data.\n"
    assert WEATHER["name"] in ok(acme("server", "list", *DATA))
    assert acme("server", "show", WEATHER["name"], *CORE).code == 1
    events = as_json(acme("audit", "--org", "acme", "--json", "--limit", "1"))
    assert events[0]["action"] == "server.move"


def test_server_import_of_several_files_is_one_import(acme: CliRunner, tmp_path: Path) -> None:
    one, two = tmp_path / "list.json", tmp_path / "new.json"
    out = ok(
        acme(
            "server",
            "import",
            str(one),
            str(two),
            str(tmp_path / "invalid.json"),
            str(tmp_path / "weather.json"),
            *CORE,
        )
    )
    assert out.splitlines()[:4] == [
        "imported 3, drafts 1, skipped 1, rejected 0",
        "drafts: 1× $.description must be at most 100 characters",
        "skipped: 1× already in registry 'core'",
        "(--replace replaces the 1 server already there)",
    ]
    assert out.splitlines()[4:5] == [""]
    assert out.splitlines()[5].startswith("draft  ")
    imports = [
        e
        for e in as_json(acme("audit", "--org", "acme", "--json"))
        if e["action"] == "server.import"
    ]
    assert len(imports) == 1
    assert imports[0]["metadata"]["imported"] == 3
    assert str(one) in imports[0]["metadata"]["source"]


def test_server_import_strict_and_replace(acme: CliRunner, tmp_path: Path) -> None:
    out = ok(acme("server", "import", str(tmp_path / "invalid.json"), *CORE, "--strict"))
    assert out.startswith("imported 0, drafts 0, skipped 0, rejected 1\nrejected: 1× $.description")
    changed = copy.deepcopy(WEATHER) | {"description": "Replaced"}
    path = write_json(tmp_path / "changed.json", changed)
    assert ok(acme("server", "import", path, *CORE)).startswith("imported 0, drafts 0, skipped 1")
    assert ok(acme("server", "import", path, *CORE, "--replace")).startswith("imported 1,")
    shown = as_json(acme("server", "show", WEATHER["name"], *CORE, "--json"))
    assert shown["description"] == "Replaced"


def test_server_import_with_a_file_that_is_not_json_imports_nothing(
    acme: CliRunner, tmp_path: Path
) -> None:
    before = rows(acme.db)
    bad = tmp_path / "not-json.json"
    result = acme("server", "import", str(tmp_path / "list.json"), str(bad), *CORE)
    assert result.code == 1
    line = one_error_line(result)
    assert str(bad) in line
    assert "line 2, column 30" in line  # the second comma
    assert "nothing was imported" in line
    assert rows(acme.db) == before


def test_server_export_to_stdout_and_to_a_file(acme: CliRunner, tmp_path: Path) -> None:
    out = ok(acme("server", "export", *DATA))
    assert out.endswith("]\n") and out.startswith('[\n  {\n    "name"')
    assert json.loads(out) == [SEARCH, WAREHOUSE]
    assert out == json.dumps([SEARCH, WAREHOUSE], indent=2, ensure_ascii=False) + "\n"
    one = ok(acme("server", "export", WEATHER["name"], *CORE))
    assert json.loads(one) == WEATHER  # one object for one name
    target = tmp_path / "out" / "weather.json"
    target.parent.mkdir()
    assert ok(acme("server", "export", WEATHER["name"], *CORE, "--out", str(target))) == (
        f"Exported 1 server to {target}\n"
    )
    assert target.read_text(encoding="utf-8") == one
    assert [p.name for p in target.parent.iterdir()] == ["weather.json"]  # no temporary left


def test_a_member_can_read_but_not_change(acme: CliRunner, tmp_path: Path) -> None:
    assert [r["slug"] for r in as_json(acme("registry", "list", *ORG, "--json", user=BOB))] == [
        "core",
        "data",
    ]
    assert ok(acme("server", "show", WEATHER["name"], *CORE, user=BOB)).startswith(WEATHER["name"])
    assert json.loads(ok(acme("server", "export", *DATA, user=BOB))) == [SEARCH, WAREHOUSE]
    before = rows(acme.db)
    result = acme("server", "import", str(tmp_path / "new.json"), *CORE, user=BOB)
    assert result.code == 1
    assert "admin role" in one_error_line(result)
    assert rows(acme.db) == before


# --- bad input for every new command ---------------------------------------------------------

W, S, F = WEATHER["name"], SEARCH["name"], FIXABLE["name"]

# (command, argv, acting user, expected exit code); "{tmp}" is the test's temporary directory.
BAD_INPUT = [
    ("registry list", ("registry", "list", "--org", "nope"), ANN, 1),
    ("registry list", ("registry", "list", *ORG), CARL, 1),
    ("registry list", ("registry", "list", *ORG), None, 1),
    ("registry list", ("registry", "list"), ANN, 2),
    ("registry list", ("registry", "list", *ORG, "extra"), ANN, 2),
    ("registry create", ("registry", "create", "", *ORG), ANN, 1),
    ("registry create", ("registry", "create", "Line\nBreak", *ORG), ANN, 1),
    ("registry create", ("registry", "create", "X", "--slug", "Bad Slug", *ORG), ANN, 1),
    ("registry create", ("registry", "create", "X", "--slug", "core", *ORG), ANN, 1),
    ("registry create", ("registry", "create", "X", "--description", "d" * 281, *ORG), ANN, 1),
    ("registry create", ("registry", "create", "X", *ORG), BOB, 1),
    ("registry create", ("registry", "create", "X", "--org", "nope"), ANN, 1),
    ("registry create", ("registry", "create", *ORG), ANN, 2),
    ("registry create", ("registry", "create", "X"), ANN, 2),
    ("registry show", ("registry", "show", "nope", *ORG), ANN, 1),
    ("registry show", ("registry", "show", "core", *ORG), CARL, 1),
    ("registry show", ("registry", "show", "core", "--org", "beta"), ANN, 1),
    ("registry show", ("registry", "show", *ORG), ANN, 2),
    ("registry show", ("registry", "show", "core"), ANN, 2),
    ("registry edit", ("registry", "edit", "core", *ORG), ANN, 1),
    ("registry edit", ("registry", "edit", "nope", *ORG, "--name", "X"), ANN, 1),
    ("registry edit", ("registry", "edit", "core", *ORG, "--name", ""), ANN, 1),
    ("registry edit", ("registry", "edit", "core", *ORG, "--slug", "data"), ANN, 1),
    ("registry edit", ("registry", "edit", "core", *ORG, "--slug", "Bad Slug"), ANN, 1),
    ("registry edit", ("registry", "edit", "core", *ORG, "--description", "d" * 281), ANN, 1),
    (
        "registry edit",
        ("registry", "edit", "core", *ORG, "--name", "X", "--overview-file", "{tmp}/missing.md"),
        ANN,
        1,
    ),
    (
        "registry edit",
        ("registry", "edit", "core", *ORG, "--overview-file", "{tmp}/latin1.md"),
        ANN,
        1,
    ),
    ("registry edit", ("registry", "edit", "core", *ORG, "--name", "Mine"), BOB, 1),
    ("registry edit", ("registry", "edit", "core", *ORG, "--overview-file"), ANN, 2),
    ("registry edit", ("registry", "edit", "--name", "X", *ORG), ANN, 2),
    ("registry delete", ("registry", "delete", "core", *ORG), ANN, 1),
    ("registry delete", ("registry", "delete", "nope", *ORG, "--yes"), ANN, 1),
    ("registry delete", ("registry", "delete", "core", *ORG, "--yes"), BOB, 1),
    ("registry delete", ("registry", "delete", "core", *ORG, "--yes"), CARL, 1),
    ("registry delete", ("registry", "delete", *ORG, "--yes"), ANN, 2),
    ("registry delete", ("registry", "delete", "core", *ORG, "--yes=please"), ANN, 2),
    ("server list", ("server", "list", *ORG, "--registry", "nope"), ANN, 1),
    ("server list", ("server", "list", "--org", "nope", "--registry", "core"), ANN, 1),
    ("server list", ("server", "list", *CORE), CARL, 1),
    ("server list", ("server", "list", *ORG), ANN, 2),
    ("server list", ("server", "list", "--registry", "core"), ANN, 2),
    ("server list", ("server", "list", *CORE, "--filter"), ANN, 2),
    ("server show", ("server", "show", "io.github.acme/nope", *CORE), ANN, 1),
    ("server show", ("server", "show", W, *DATA), ANN, 1),
    ("server show", ("server", "show", W, *CORE), CARL, 1),
    ("server show", ("server", "show", *CORE), ANN, 2),
    ("server show", ("server", "show", W, *CORE, "--yaml"), ANN, 2),
    ("server add", ("server", "add", "{tmp}/not-json.json", *CORE), ANN, 1),
    ("server add", ("server", "add", "{tmp}/invalid.json", *CORE), ANN, 1),
    ("server add", ("server", "add", "{tmp}/nameless.json", *CORE, "--draft"), ANN, 1),
    ("server add", ("server", "add", "{tmp}/list.json", *CORE), ANN, 1),
    ("server add", ("server", "add", "{tmp}/missing.json", *CORE), ANN, 1),
    ("server add", ("server", "add", "{tmp}", *CORE), ANN, 1),
    ("server add", ("server", "add", "{tmp}/latin1.json", *CORE), ANN, 1),
    ("server add", ("server", "add", "{tmp}/dup-keys.json", *CORE), ANN, 1),
    ("server add", ("server", "add", "{tmp}/nan.json", *CORE, "--draft"), ANN, 1),
    ("server add", ("server", "add", "{tmp}/weather.json", *CORE), ANN, 1),
    ("server add", ("server", "add", "{tmp}/new.json", *ORG, "--registry", "nope"), ANN, 1),
    ("server add", ("server", "add", "{tmp}/new.json", *CORE), BOB, 1),
    ("server add", ("server", "add", *CORE), ANN, 2),
    ("server add", ("server", "add", "{tmp}/new.json", *CORE, "--draft=yes"), ANN, 2),
    ("server edit", ("server", "edit", W, *CORE, "--file", "{tmp}/invalid-weather.json"), ANN, 1),
    (
        "server edit",
        ("server", "edit", "io.github.acme/nope", *CORE, "--file", "{tmp}/weather.json"),
        ANN,
        1,
    ),
    ("server edit", ("server", "edit", W, *CORE, "--file", "{tmp}/not-json.json"), ANN, 1),
    ("server edit", ("server", "edit", W, *CORE, "--file", "{tmp}/list.json"), ANN, 1),
    ("server edit", ("server", "edit", W, *CORE, "--file", "{tmp}/search.json"), ANN, 1),
    ("server edit", ("server", "edit", W, *CORE, "--file", "{tmp}/weather.json"), BOB, 1),
    ("server edit", ("server", "edit", W, *CORE), ANN, 2),
    ("server edit", ("server", "edit", *CORE, "--file", "{tmp}/weather.json"), ANN, 2),
    ("server remove", ("server", "remove", W, *CORE), ANN, 1),
    ("server remove", ("server", "remove", "io.github.acme/nope", *CORE, "--yes"), ANN, 1),
    ("server remove", ("server", "remove", W, *CORE, "--yes"), BOB, 1),
    ("server remove", ("server", "remove", *CORE, "--yes"), ANN, 2),
    ("server move", ("server", "move", W, *CORE, "--to", "core"), ANN, 1),
    ("server move", ("server", "move", W, *CORE, "--to", "nowhere"), ANN, 1),
    ("server move", ("server", "move", S, *CORE, "--to", "data"), ANN, 1),
    ("server move", ("server", "move", "io.github.acme/nope", *CORE, "--to", "data"), ANN, 1),
    ("server move", ("server", "move", W, *CORE, "--to", "data"), BOB, 1),
    ("server move", ("server", "move", W, *CORE), ANN, 2),
    (
        "server import",
        ("server", "import", "{tmp}/list.json", "{tmp}/not-json.json", *CORE),
        ANN,
        1,
    ),
    ("server import", ("server", "import", "{tmp}/list.json", "{tmp}/missing.json", *CORE), ANN, 1),
    ("server import", ("server", "import", "{tmp}/latin1.json", *CORE), ANN, 1),
    ("server import", ("server", "import", "{tmp}/nan.json", *CORE), ANN, 1),
    ("server import", ("server", "import", "{tmp}/empty-list.json", *CORE), ANN, 1),
    ("server import", ("server", "import", "{tmp}/list.json", *ORG, "--registry", "nope"), ANN, 1),
    ("server import", ("server", "import", "{tmp}/list.json", *CORE), BOB, 1),
    ("server import", ("server", "import", *CORE), ANN, 2),
    ("server import", ("server", "import", "{tmp}/list.json", *CORE, "--strict=1"), ANN, 2),
    ("server export", ("server", "export", *CORE), ANN, 1),
    ("server export", ("server", "export", F, *CORE), ANN, 1),
    ("server export", ("server", "export", "io.github.acme/nope", *CORE), ANN, 1),
    ("server export", ("server", "export", *DATA, "--out", "{tmp}/no-such-dir/out.json"), ANN, 1),
    ("server export", ("server", "export", *DATA, "--out", "{tmp}"), ANN, 1),
    ("server export", ("server", "export", *DATA), CARL, 1),
    ("server export", ("server", "export", *ORG), ANN, 2),
    ("server export", ("server", "export", W, S, *CORE), ANN, 2),
]


def user_files(tmp_path: Path) -> list[Path]:
    """Files under tmp_path, leaving out the store's own directory (its WAL files come and go)."""
    return sorted(
        p.relative_to(tmp_path)
        for p in tmp_path.rglob("*")
        if p.relative_to(tmp_path).parts[0] != "cli"
    )


def new_commands() -> set[str]:
    from tests.cli.test_cli_forks import BAD_INPUT as FORK_BAD_INPUT
    from tests.cli.test_cli_server_versions import BAD_INPUT as VERSION_BAD_INPUT

    # versions and forks keep their tables in their own modules
    return {command for command, *_ in BAD_INPUT + VERSION_BAD_INPUT + FORK_BAD_INPUT}


def test_the_bad_input_table_covers_every_registry_and_server_command() -> None:
    from tests.cli.test_cli import leaf_commands

    assert new_commands() == {c for c in leaf_commands() if c.split()[0] in ("registry", "server")}


@pytest.mark.parametrize(
    ("command", "argv", "user", "code"),
    BAD_INPUT,
    ids=[f"{i:02d} {' '.join(argv)[:50]}" for i, (_, argv, *_) in enumerate(BAD_INPUT)],
)
def test_bad_input_for_every_registry_and_server_command(
    acme: CliRunner, tmp_path: Path, command, argv, user, code
) -> None:
    argv = tuple(a.replace("{tmp}", str(tmp_path)) for a in argv)
    files_before = user_files(tmp_path)
    before = rows(acme.db)
    result = acme(*argv, user=user)
    assert result.code == code
    one_error_line(result)
    assert result.out == ""
    assert rows(acme.db) == before
    assert user_files(tmp_path) == files_before  # nothing written, no temporary left behind
