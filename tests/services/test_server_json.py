"""server.json: validation against the official schema, legacy -> current conversion, launch
commands, the registry's real seed list, and the export/import round trip."""

from __future__ import annotations

import copy
import json
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft7Validator

from pylee_tui.server_json import (
    Problem,
    is_version_range,
    launch_command,
    legacy_to_current,
    loads_strict,
    to_current,
    validate,
)
from pylee_tui.services import Scope, Services
from tests.support import ANN, server_doc

SEED = Path(__file__).parents[1] / "data" / "registry-seed-2025-05-16.json"
PACKAGE_DATA = Path(__file__).parents[2] / "pylee_tui" / "data"
SCHEMA = json.loads((PACKAGE_DATA / "server.schema.json").read_text(encoding="utf-8"))
DEMO = json.loads((PACKAGE_DATA / "demo_servers.json").read_text(encoding="utf-8"))


def base() -> dict[str, Any]:
    return server_doc("io.github.acme/weather", "1.0.0", "Weather forecasts")


def with_(path: str, value: Any) -> dict[str, Any]:
    """The base document with one field set (`packages.0.version`); value DELETE removes it."""
    doc = base()
    *parents, last = [int(p) if p.isdigit() else p for p in path.split(".")]
    node: Any = doc
    for part in parents:
        node = node[part]
    if value is DELETE:
        del node[last]
    else:
        node[last] = value
    return doc


DELETE = object()
VALID = None  # expected: no problem at all
EXACT_VERSIONS = ("1.2.3", "2.1.0-alpha")
RANGES = ("^1.2.3", "~1.2.3", ">=1.2.3", "latest", "1.x", "1.*")
VERSION_FIELDS = (
    ("version", "version", "$.version"),
    ("package version", "packages.0.version", "$.packages[0].version"),
)

# (case, document, expected path, a fragment of the reason); path VALID means no problems
VALIDATION_TABLE: list[tuple[str, dict[str, Any], str | None, str]] = [
    ("the base document", base(), VALID, ""),
    # names: the schema's reverse-DNS pattern, 3-200 characters
    ("name io.github.user/weather", with_("name", "io.github.user/weather"), VALID, ""),
    ("name a/b (3 characters)", with_("name", "a/b"), VALID, ""),
    ("name with _ . - in it", with_("name", "com.example-co/my_server.v2"), VALID, ""),
    ("name of 200 characters", with_("name", "a" * 100 + "/" + "b" * 99), VALID, ""),
    ("name without a slash", with_("name", "weather"), "$.name", "reverse-DNS"),
    ("name with two slashes", with_("name", "io.github/user/weather"), "$.name", "reverse-DNS"),
    ("name with nothing after /", with_("name", "io.github.user/"), "$.name", "reverse-DNS"),
    ("name with nothing before /", with_("name", "/weather"), "$.name", "reverse-DNS"),
    ("name with a space", with_("name", "io.github.user/wea ther"), "$.name", "reverse-DNS"),
    ("name with a non-ASCII letter", with_("name", "ñandú.example/x"), "$.name", "reverse-DNS"),
    ("name of 201 characters", with_("name", "a" * 100 + "/" + "b" * 100), "$.name", "at most 200"),
    ("name empty", with_("name", ""), "$.name", "reverse-DNS"),
    ("name missing", with_("name", DELETE), "$", "'name' is required"),
    ("name not a string", with_("name", 42), "$.name", "not of type 'string'"),
    # versions of the server and of a package: exact versions only
    *[
        (f"{what} {version}", with_(field, version), VALID, "")
        for what, field, _path in VERSION_FIELDS
        for version in EXACT_VERSIONS
    ],
    *[
        (
            f"{what} {version}",
            with_(field, version),
            path,
            "latest" if version == "latest" else "range",
        )
        for what, field, path in VERSION_FIELDS
        for version in RANGES
    ],
    ("version empty", with_("version", ""), "$.version", "must not be empty"),
    ("version missing", with_("version", DELETE), "$", "'version' is required"),
    ("package version empty", with_("packages.0.version", ""), "$.packages[0].version", "empty"),
    # description: 1-100 characters
    ("description of 0 characters", with_("description", ""), "$.description", "must not be empty"),
    ("description of 1 character", with_("description", "d"), VALID, ""),
    ("description of 100 characters", with_("description", "d" * 100), VALID, ""),
    (
        "description of 101 characters",
        with_("description", "d" * 101),
        "$.description",
        "at most 100 characters (got 101)",
    ),
    # transports
    (
        "package without transport",
        with_("packages.0.transport", DELETE),
        "$.packages[0]",
        "'transport' is required",
    ),
    (
        "package with a bad transport type",
        with_("packages.0.transport", {"type": "carrier-pigeon"}),
        "$.packages[0].transport.type",
        "'carrier-pigeon' is not one of stdio, streamable-http, sse",
    ),
    (
        "package over streamable-http without url",
        with_("packages.0.transport", {"type": "streamable-http"}),
        "$.packages[0].transport",
        "'url' is required",
    ),
    (
        "package over streamable-http with url",
        with_(
            "packages.0.transport",
            {"type": "streamable-http", "url": "http://localhost:{port}/mcp"},
        ),
        VALID,
        "",
    ),
    (
        "unknown registry type",
        with_("packages.0.registryType", "unknown"),
        "$.packages[0].registryType",
        "cannot be launched",
    ),
    (
        "unknown package field",
        with_("packages.0.registry_name", "npm"),
        "$.packages[0]",
        "unknown field",
    ),
    # remotes
    (
        "remote sse with url",
        with_("remotes", [{"type": "sse", "url": "https://x.example/sse"}]),
        VALID,
        "",
    ),
    (
        "remote sse without url",
        with_("remotes", [{"type": "sse"}]),
        "$.remotes[0]",
        "'url' is required",
    ),
    (
        "remote streamable-http without url",
        with_("remotes", [{"type": "streamable-http"}]),
        "$.remotes[0]",
        "'url' is required",
    ),
    (
        "remote with an empty type",
        with_("remotes", [{"type": "", "url": "https://x.example/sse"}]),
        "$.remotes[0].type",
        "'' is not one of streamable-http, sse",
    ),
    (
        "remote url not a URL",
        with_("remotes", [{"type": "sse", "url": "localhost"}]),
        "$.remotes[0].url",
        "not a URL",
    ),
    (
        "neither packages nor remotes",
        with_("packages", DELETE),
        "$",
        "at least one package or remote",
    ),
    # websiteUrl
    ("websiteUrl https", with_("websiteUrl", "https://acme.example/weather"), VALID, ""),
    (
        "websiteUrl not a URL",
        with_("websiteUrl", "not a url"),
        "$.websiteUrl",
        "'not a url' is not a URL",
    ),
    (
        "websiteUrl without a scheme",
        with_("websiteUrl", "acme.example"),
        "$.websiteUrl",
        "is not a URL",
    ),
    (
        "repository url not a URL",
        with_("repository", {"url": "github", "source": "github"}),
        "$.repository.url",
        "not a URL",
    ),
    (
        "repository without source",
        with_("repository", {"url": "https://github.com/a/b"}),
        "$.repository",
        "'source' is required",
    ),
]


@pytest.mark.parametrize(
    ("document", "path", "reason"),
    [case[1:] for case in VALIDATION_TABLE],
    ids=[case[0] for case in VALIDATION_TABLE],
)
def test_validation_table(document: dict[str, Any], path: str | None, reason: str) -> None:
    problems = validate(document)
    if path is VALID:
        assert problems == []
        return
    assert problems, "expected a problem, the document was accepted"
    assert {p.path for p in problems} == {path}, problems
    assert any(reason in p.reason for p in problems), problems


def test_every_problem_of_a_document_is_reported_at_its_own_path() -> None:
    doc = base()
    doc["description"] = ""
    doc["version"] = "^2.0.0"
    doc["websiteUrl"] = "nope"
    doc["packages"].append(
        {
            "registryType": "unknown",
            "identifier": "x",
            "version": "",
            "transport": {"type": "stdio"},
        }
    )
    paths = [p.path for p in validate(doc)]
    assert sorted(paths) == sorted(
        [
            "$.description",
            "$.version",
            "$.websiteUrl",
            "$.packages[1].version",
            "$.packages[1].registryType",
        ]
    )


def test_a_document_that_is_not_an_object() -> None:
    assert validate([base()]) == [Problem("$", "a server must be a JSON object")]


@pytest.mark.parametrize(
    ("version", "is_range"),
    [
        ("1.2.3", False),
        ("2.1.0-alpha", False),
        ("0.0.1-seed", False),
        ("2025.05.16", False),
        ("^1.2.3", True),
        ("~1.2.3", True),
        (">=1.2.3", True),
        ("<2", True),
        ("latest", True),
        ("LATEST", True),
        ("1.x", True),
        ("1.2.X", True),
        ("1.*", True),
        ("1.2.3 - 2.0.0", True),
        ("1.0.0 || 2.0.0", True),
    ],
)
def test_is_version_range(version: str, is_range: bool) -> None:
    assert is_version_range(version) is is_range


@pytest.mark.parametrize(
    ("field", "value"),
    [("packages", 5), ("remotes", "sse"), ("packages.0.packageArguments", 7)],
)
def test_a_document_of_the_wrong_shape_is_reported_not_a_crash(field: str, value: Any) -> None:
    doc = with_(field, value)
    path = "$." + field.replace(".0.", "[0].")
    assert path in {p.path for p in validate(doc)}
    assert isinstance(launch_command(doc), str)


# --- legacy -> current -----------------------------------------------------------------------

LEGACY = {
    "id": "4e9cf4cf-0000-0000-0000-000000000000",
    "name": "io.github.acme/weather",
    "description": "Weather forecasts",
    "repository": {"url": "https://github.com/acme/weather", "source": "github", "id": "42"},
    "version_detail": {"version": "1.2.3", "release_date": "2025-05-16T00:00:00Z"},
    "packages": [
        {
            "registry_name": "docker",
            "name": "ghcr.io/acme/weather",
            "version": "1.2.3",
            "runtime_hint": "docker",
            "package_arguments": [
                {"type": "positional", "value_hint": "city", "is_required": True},
                {"type": "named", "name": "--units", "default": "metric", "is_repeated": False},
            ],
            "environment_variables": [
                {"name": "API_KEY", "description": "key", "is_secret": True, "is_required": True},
                {"name": "REGION", "default": "eu"},
            ],
        }
    ],
    "remotes": [
        {
            "transport_type": "sse",
            "url": "https://weather.acme.example/sse",
            "headers": [{"name": "X-Api-Key", "is_secret": True, "is_required": True}],
        }
    ],
}

LEGACY_AS_CURRENT = {
    "$schema": "https://static.modelcontextprotocol.io/schemas/2025-09-29/server.schema.json",
    "name": "io.github.acme/weather",
    "description": "Weather forecasts",
    "repository": {"url": "https://github.com/acme/weather", "source": "github", "id": "42"},
    "version": "1.2.3",
    "packages": [
        {
            "registryType": "oci",
            "identifier": "ghcr.io/acme/weather",
            "version": "1.2.3",
            "runtimeHint": "docker",
            "transport": {"type": "stdio"},
            "packageArguments": [
                {"type": "positional", "valueHint": "city", "isRequired": True},
                {"type": "named", "name": "--units", "default": "metric", "isRepeated": False},
            ],
            "environmentVariables": [
                {"name": "API_KEY", "description": "key", "isSecret": True, "isRequired": True},
                {"name": "REGION", "default": "eu"},
            ],
        }
    ],
    "remotes": [
        {
            "type": "sse",
            "url": "https://weather.acme.example/sse",
            "headers": [{"name": "X-Api-Key", "isSecret": True, "isRequired": True}],
        }
    ],
}


def test_legacy_entry_converts_field_by_field() -> None:
    doc, notes = legacy_to_current(LEGACY)
    assert doc == LEGACY_AS_CURRENT
    assert validate(doc) == []
    assert "registry docker → oci" in notes
    assert "version_detail.version → version" in notes
    assert LEGACY["packages"][0]["registry_name"] == "docker"  # the input is left as it was


def test_to_current_recognises_the_legacy_shape_and_leaves_the_current_one_alone() -> None:
    assert to_current(LEGACY)[0] == LEGACY_AS_CURRENT
    current = base()
    assert to_current(current) == (current, [])
    # a current document's own fields are never renamed
    assert to_current(LEGACY_AS_CURRENT) == (LEGACY_AS_CURRENT, [])


def legacy_package(**package: Any) -> dict[str, Any]:
    entry = copy.deepcopy(LEGACY)
    entry.pop("remotes")
    entry["packages"] = [
        {"registry_name": "npm", "name": "@acme/weather", "version": "1.2.3", **package}
    ]
    return entry


def test_an_unknown_registry_is_kept_and_reported_not_invented() -> None:
    doc, _ = legacy_to_current(legacy_package(registry_name="unknown"))
    assert doc["packages"][0]["registryType"] == "unknown"
    [problem] = validate(doc)
    assert problem.path == "$.packages[0].registryType"
    assert "'unknown' cannot be launched" in problem.reason


def test_an_empty_package_version_is_kept_and_reported_not_invented() -> None:
    doc, _ = legacy_to_current(legacy_package(version=""))
    assert doc["packages"][0]["version"] == ""
    assert validate(doc) == [Problem("$.packages[0].version", "must not be empty")]


def test_a_missing_package_version_stays_missing() -> None:
    entry = legacy_package()
    del entry["packages"][0]["version"]
    doc, _ = legacy_to_current(entry)
    assert "version" not in doc["packages"][0]
    assert validate(doc) == [Problem("$.packages[0]", "'version' is required")]


def test_an_empty_remote_transport_type_is_kept_and_reported() -> None:
    entry = copy.deepcopy(LEGACY)
    entry["remotes"][0]["transport_type"] = ""
    doc, _ = legacy_to_current(entry)
    assert doc["remotes"][0]["type"] == ""
    assert [p.path for p in validate(doc)] == ["$.remotes[0].type"]


def test_a_legacy_entry_without_a_version_gets_none_invented() -> None:
    entry = copy.deepcopy(LEGACY)
    entry["version_detail"] = {}
    doc, _ = legacy_to_current(entry)
    assert "version" not in doc
    assert validate(doc) == [Problem("$", "'version' is required")]


def test_a_legacy_entry_of_the_wrong_shape_is_carried_over_and_reported() -> None:
    entry = copy.deepcopy(LEGACY)
    entry["packages"] = "npm"
    entry["remotes"][0]["headers"] = 3
    doc, _ = legacy_to_current(entry)
    assert doc["packages"] == "npm"
    assert doc["remotes"][0]["headers"] == 3
    assert {"$.packages", "$.remotes[0].headers"} <= {p.path for p in validate(doc)}


# --- launch commands -------------------------------------------------------------------------


def package(registry: str, identifier: str, **extra: Any) -> dict[str, Any]:
    doc = base()
    doc["packages"] = [
        {
            "registryType": registry,
            "identifier": identifier,
            "version": "1.2.3",
            "transport": {"type": "stdio"},
            **extra,
        }
    ]
    return doc


@pytest.mark.parametrize(
    ("document", "command"),
    [
        (package("npm", "@acme/weather"), "npx -y @acme/weather@1.2.3"),
        (
            package(
                "npm",
                "@acme/weather",
                packageArguments=[
                    {"type": "named", "name": "--port", "value": "8080"},
                    {"type": "positional", "valueHint": "directory"},
                ],
            ),
            "npx -y @acme/weather@1.2.3 --port 8080 <directory>",
        ),
        (package("pypi", "weather-mcp"), "uvx weather-mcp==1.2.3"),
        (
            package(
                "oci",
                "ghcr.io/acme/weather",
                runtimeArguments=[{"type": "named", "name": "--network", "value": "host"}],
                environmentVariables=[{"name": "API_KEY", "isSecret": True}, {"name": "REGION"}],
            ),
            "docker run -i --rm --network host -e API_KEY -e REGION ghcr.io/acme/weather:1.2.3",
        ),
        (
            with_("remotes", [{"type": "streamable-http", "url": "https://w.acme.example/mcp"}])
            | {"packages": []},
            "streamable-http https://w.acme.example/mcp",
        ),
        (package("unknown", "weather"), ""),
        (
            legacy_to_current(LEGACY)[0],
            "docker run -i --rm -e API_KEY -e REGION "
            "ghcr.io/acme/weather:1.2.3 <city> --units metric",
        ),
    ],
    ids=["npm", "npm-with-arguments", "pypi", "oci", "remote", "unknown", "legacy-docker"],
)
def test_launch_command(document: dict[str, Any], command: str) -> None:
    assert launch_command(document) == command


# --- the registry's real seed list -----------------------------------------------------------


def seed_entries() -> list[dict[str, Any]]:
    assert SEED.is_file(), (
        f"the MCP registry seed list is missing: {SEED} (see tests/data/README.md); these "
        "tests check the importer against that real data and cannot run without it"
    )
    return json.loads(SEED.read_text(encoding="utf-8"))


def usable_name(entry: dict[str, Any]) -> bool:
    return isinstance(entry.get("name"), str) and bool(entry["name"].strip())


def test_the_seed_list_imports_with_exact_explained_counts(services: Services) -> None:
    entries = seed_entries()
    # Every expectation is counted here from the raw legacy JSON, not by our code.
    packages = [p for e in entries for p in e.get("packages") or []]
    named = [e for e in entries if usable_name(e)]

    def unknown(e):
        return any(p["registry_name"] == "unknown" for p in e.get("packages") or [])

    def long_description(e):
        return len(e["description"]) > 100

    def empty_version(e):
        return any(p["version"] == "" for p in e.get("packages") or [])

    def empty_description(e):
        return e["description"] == ""

    def empty_transport(e):
        return any(r["transport_type"] == "" for r in e.get("remotes") or [])

    faults = [unknown, long_description, empty_version, empty_description, empty_transport]

    # the file: 471 entries; the numbers hold for it
    assert len(entries) == 471
    assert len(entries) - len(named) == 7  # "7 no name at all": rejected, nothing to address
    assert sum(p["registry_name"] == "unknown" for p in packages) == 302
    with_unknown = [e for e in entries if unknown(e)]
    assert len(with_unknown) == 302
    assert sum(bool(e.get("remotes")) for e in with_unknown) == 6  # launchable as a remote...
    # ...so "296 servers have only packages of registry unknown", as the issue says
    assert sum(not e.get("remotes") for e in with_unknown) == 296
    assert sum(empty_description(e) for e in entries) == 79  # in the whole file...
    assert sum(empty_description(e) for e in entries if not usable_name(e)) == 7  # 7 nameless
    assert sum(empty_description(e) for e in named) == 72  # ...so 72 among named entries
    assert sum(long_description(e) for e in entries) == 103
    assert sum(p["version"] == "" for p in packages) == 93  # one package per entry at most
    assert sum(empty_transport(e) for e in entries) == 1

    drafts = [e for e in named if any(f(e) for f in faults)]
    clean = [e for e in named if not any(f(e) for f in faults)]
    assert (len(clean), len(drafts)) == (86, 378)

    services.orgs.create(ANN, "Acme")
    services.registries.create(ANN, "acme", "Seed")
    report = services.registries.import_servers(ANN, Scope("acme", "seed"), entries)
    # 86 without a fault are imported valid; 378 with faults a person can fix become drafts;
    # nothing was in the registry before, so nothing is skipped; 7 have no name and are rejected
    assert (report.imported, report.drafts, report.skipped, report.rejected) == (86, 378, 0, 7)
    assert report.reasons("draft") == {
        "$.packages[].registryType registry type 'unknown' cannot be launched; use one of npm, "
        "pypi, oci, nuget, mcpb": sum(unknown(e) for e in named),
        "$.description must be at most 100 characters": sum(long_description(e) for e in named),
        "$.packages[].version must not be empty": sum(empty_version(e) for e in named),
        "$.description must not be empty": sum(empty_description(e) for e in named),
        "$.remotes[].type '' is not one of streamable-http, sse": 1,
    }
    assert report.reasons("rejected") == {"no usable name": 7}
    assert report.summary().splitlines()[0] == "imported 86, drafts 378, skipped 0, rejected 7"

    stored = services.registries.list_servers(ANN, Scope("acme", "seed"))
    assert {s.name for s in stored if s.status == "valid"} == {e["name"] for e in clean}
    assert {s.name for s in stored if s.status == "draft"} == {e["name"] for e in drafts}


def test_seed_drafts_are_stored_as_given_with_their_problems(services: Services) -> None:
    entries = seed_entries()
    [entry] = [e for e in entries if e["name"] == "io.github.adenot/mcp-google-search"]
    services.orgs.create(ANN, "Acme")
    services.registries.create(ANN, "acme", "Seed")
    services.registries.import_servers(ANN, Scope("acme", "seed"), [entry])
    server = services.registries.get_server(ANN, Scope("acme", "seed", entry["name"]))
    assert server.status == "draft"
    assert server.document == legacy_to_current(entry)[0]  # converted, nothing else altered
    assert server.document["description"] == entry["description"] == ""
    assert server.document["packages"][0]["registryType"] == "unknown"
    assert {p["path"] for p in server.problems} == {
        "$.description",
        "$.packages[0].registryType",
    }


# --- round trip ------------------------------------------------------------------------------


def schema_errors(document: Any) -> list[str]:
    return [e.message for e in Draft7Validator(SCHEMA).iter_errors(document)]


def round_trip(services: Services, entries: list[Any]) -> tuple[list[dict], list[dict]]:
    """Import `entries` strictly into one registry, export it, import that into another and
    export again: the two exports."""
    services.orgs.create(ANN, "Acme")
    services.registries.create(ANN, "acme", "First")
    services.registries.create(ANN, "acme", "Second")
    services.registries.import_servers(ANN, Scope("acme", "first"), entries, strict=True)
    exported = services.registries.export_servers(ANN, Scope("acme", "first"))
    text = json.dumps(exported, indent=2, ensure_ascii=False)  # through text, as a file would
    report = services.registries.import_servers(ANN, Scope("acme", "second"), json.loads(text))
    assert (report.imported, report.drafts, report.rejected) == (len(exported), 0, 0)
    return exported, services.registries.export_servers(ANN, Scope("acme", "second"))


def test_round_trip_of_the_demo_servers(services: Services) -> None:
    first, second = round_trip(services, DEMO)
    by_name = {d["name"]: d for d in DEMO}
    assert len(first) == len(DEMO) == 9
    assert {d["name"]: d for d in first} == by_name  # export(import(x)) == x
    assert second == first  # import(export(x)) == x
    for document in second:
        assert schema_errors(document) == [], document["name"]


def test_round_trip_of_every_valid_seed_server(services: Services) -> None:
    entries = seed_entries()
    first, second = round_trip(services, entries)
    assert len(first) == 86
    assert second == first
    converted = {e["name"]: legacy_to_current(e)[0] for e in entries if usable_name(e)}
    for document in first:
        assert document == converted[document["name"]]
        assert schema_errors(document) == [], document["name"]
        assert "version_detail" not in json.dumps(document)


def test_export_json_validates_one_server_at_a_time(services: Services) -> None:
    services.orgs.create(ANN, "Acme")
    services.registries.create(ANN, "acme", "Demo")
    services.registries.import_servers(ANN, Scope("acme", "demo"), DEMO)
    for document in DEMO:
        one = services.registries.export_servers(ANN, Scope("acme", "demo", document["name"]))
        assert one == document
        assert schema_errors(one) == []


def test_every_seed_package_and_environment_variable_survives_conversion() -> None:
    # the seed list holds "npm, pypi, docker and unknown packages; 400 environment variables;
    # a few SSE remotes" - the legacy features the converter has to handle
    entries = seed_entries()
    registries = Counter(p["registry_name"] for e in entries for p in e.get("packages") or [])
    assert set(registries) == {"npm", "pypi", "docker", "unknown"}
    env = [
        v
        for e in entries
        for p in e.get("packages") or []
        for v in p.get("environment_variables") or []
    ]
    assert len(env) == 400
    converted = [legacy_to_current(e)[0] for e in entries if usable_name(e)]
    oci = [p for d in converted for p in d.get("packages", []) if p["registryType"] == "oci"]
    assert len(oci) == registries["docker"]
    assert not any(p["registryType"] == "docker" for d in converted for p in d.get("packages", []))
    env_after = [
        v
        for d in converted
        for p in d.get("packages", [])
        for v in p.get("environmentVariables", [])
    ]
    assert len(env_after) == 400


# --- numbers and nesting JSON cannot carry back out ------------------------------------------


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('{"a": [1, 1e999999]}', "at $.a[1], the number 1e999999 is out of range"),
        ('{"a": {"b": -1E+309}}', "at $.a.b, the number -1E+309 is out of range"),
        ('{"a": NaN}', "at $.a, NaN is not a JSON number"),
        ('[{"x": 1}, {"y": Infinity}]', "at $[1].y, Infinity is not a JSON number"),
        ("-Infinity", "at $, -Infinity is not a JSON number"),
    ],
)
def test_loads_strict_refuses_numbers_that_are_not_finite_naming_where(
    text: str, message: str
) -> None:
    with pytest.raises(ValueError) as caught:
        loads_strict(text, "'f.json'")
    assert str(caught.value).startswith(f"'f.json' is not valid JSON: {message}")


def test_loads_strict_keeps_large_and_tiny_finite_numbers() -> None:
    assert loads_strict('{"a": [1e308, -1e308, 1e-999999, 12345678901234567890]}') == {
        "a": [1e308, -1e308, 0.0, 12345678901234567890]
    }


def test_loads_strict_names_the_source_for_an_integer_with_thousands_of_digits() -> None:
    with pytest.raises(ValueError) as caught:
        loads_strict('{"a": ' + "9" * 5000 + "}", "'f.json'")
    assert str(caught.value) == "'f.json' is not valid JSON: a number with 5,000 digits is too long"


@pytest.mark.parametrize("depth", [65, 990, 100_000])
def test_loads_strict_refuses_nesting_deeper_than_64(depth: int) -> None:
    with pytest.raises(ValueError) as caught:
        loads_strict("[" * depth + "]" * depth, "stdin")
    assert str(caught.value) == "stdin is nested too deeply (more than 64 levels)"


def test_loads_strict_reads_nesting_of_64() -> None:
    assert loads_strict("[" * 64 + "]" * 64) == json.loads("[" * 64 + "]" * 64)


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        (float("inf"), "Infinity is not a JSON number"),
        (float("-inf"), "-Infinity is not a JSON number"),
        (float("nan"), "NaN is not a JSON number"),
    ],
)
def test_validate_refuses_a_number_that_is_not_finite(value: float, reason: str) -> None:
    """The app's raw JSON editor parses with json.loads, which takes NaN and Infinity."""
    doc = with_("packages.0.transport", {"type": "stdio", "weight": [1, value]})
    assert validate(doc) == [Problem("$.packages[0].transport.weight[1]", reason)]


def test_validate_refuses_nesting_deeper_than_64_without_recursing() -> None:
    deep: list = []
    for _ in range(5000):
        deep = [deep]
    doc = with_("packages.0.transport", {"type": "stdio", "extra": deep})
    problems = validate(doc)
    assert len(problems) == 1 and problems[0].reason == "nested too deeply (more than 64 levels)"
    assert problems[0].path.startswith("$.packages[0].transport.extra[0][0]")


def test_a_raw_control_character_in_a_json_string_is_named_once_with_its_place() -> None:
    with pytest.raises(ValueError) as caught:
        loads_strict('{"name": "a\x1bb"}', "'f.json'")
    assert str(caught.value) == (
        "'f.json' is not valid JSON: Invalid control character at line 1, column 12"
    )
