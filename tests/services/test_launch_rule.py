"""One launch rule: the line the app and `server show` print is the command every export writes,
for every server of the registry's real seed list, and named arguments are `--flag value`."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from pylee_tui.server_json import launch_command, to_current
from pylee_tui.services.errors import InvalidInput
from pylee_tui.services.export import CLIENTS, client_format
from pylee_tui.services.export.entry import EntryBuilder
from pylee_tui.services.export.plan import ExportPlan
from pylee_tui.services.resolver import Definition, declared_environment, resolve

SEED = Path(__file__).parents[1] / "data" / "registry-seed-2025-05-16.json"


def seed_documents() -> list[dict[str, Any]]:
    return [to_current(entry)[0] for entry in json.loads(SEED.read_text("utf-8"))]


def exported_entry(client: str, document: dict[str, Any]) -> dict[str, Any]:
    """The entry an export writes for `document`, every declared variable set in the vault
    (at the registry's scope, so the server adds no key of its own)."""
    values = [
        Definition(d.name, "variable", "registry", "registry tools", f"value-{d.name}")
        for d in declared_environment(document)
    ]
    plan = ExportPlan(client, "acme", "tools", {}, {})
    builder = EntryBuilder(plan, "entry", document, resolve([values], document))
    builder.collect()
    if builder.problems:
        raise InvalidInput("; ".join(builder.problems))
    return builder.build(None, inline=False)


@pytest.mark.parametrize("client", CLIENTS)
def test_every_seed_server_launches_as_its_launch_line_says(client: str) -> None:
    documents = seed_documents()
    assert len(documents) == 471
    commands = remotes = nothing = 0
    for document in documents:
        line = launch_command(document)
        if not line:
            with pytest.raises(InvalidInput, match="cannot launch|no package or remote"):
                exported_entry(client, document)
            nothing += 1
            continue
        # the entry as the client reads it (Gemini's httpUrl, Windsurf's serverUrl, Claude
        # Desktop's mcp-remote bridge: a URL each)
        entry = client_format(client).read_entry("entry", exported_entry(client, document))
        assert not entry.problems, document["name"]
        if entry.url is not None:  # a remote: the line is its transport and URL
            assert line.endswith(" " + entry.url), document["name"]
            remotes += 1
        else:
            assert " ".join([entry.command or "", *entry.args]) == line, document["name"]
            commands += 1
    # counted from the raw legacy list (npm, pypi, docker packages; remotes with a URL)
    assert (commands, remotes, nothing) == (162, 6, 303)


def test_a_named_argument_is_the_flag_then_its_value() -> None:
    document = {
        "name": "io.github.acme/weather",
        "packages": [
            {
                "registryType": "npm",
                "identifier": "@acme/weather",
                "version": "1.2.3",
                "runtimeArguments": [
                    {"type": "named", "name": "--max-old-space-size", "value": "256"}
                ],
                "packageArguments": [
                    {"type": "named", "name": "--port", "value": "8080"},
                    {"type": "named", "name": "--verbose"},
                    # legacy entries hold the whole flag in both name and value
                    {"type": "named", "name": "--dir /srv", "value": "--dir /srv"},
                    {"type": "positional", "valueHint": "directory"},
                ],
            }
        ],
    }
    line = "npx -y --max-old-space-size 256 @acme/weather@1.2.3 --port 8080 --verbose --dir /srv"
    assert launch_command(document) == line + " <directory>"
    entry = exported_entry("cursor", document)
    assert entry["args"] == [
        "-y", "--max-old-space-size", "256", "@acme/weather@1.2.3",
        "--port", "8080", "--verbose", "--dir /srv", "<directory>",
    ]  # fmt: skip


def test_a_package_no_client_can_start_gives_way_to_one_that_can() -> None:
    document = {
        "name": "io.github.acme/weather",
        "packages": [
            {"registryType": "mcpb", "identifier": "https://example.com/w.mcpb", "version": "1"},
            {"registryType": "pypi", "identifier": "weather-mcp", "version": "1.0.0"},
        ],
    }
    assert launch_command(document) == "uvx weather-mcp==1.0.0"
    assert exported_entry("cursor", document) == {"command": "uvx", "args": ["weather-mcp==1.0.0"]}
    only_mcpb = {**document, "packages": document["packages"][:1]}
    assert launch_command(only_mcpb) == ""
    with pytest.raises(InvalidInput, match="cannot launch a package from registry type 'mcpb'"):
        exported_entry("cursor", only_mcpb)
