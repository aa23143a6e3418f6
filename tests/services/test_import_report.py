"""Import reports name names: each rejected or drafted entry by its name, or by its position in
its file when it has none, with its reasons; in the CLI's text after the summary and in --json.
Also the services the drafts filter and the next-draft key use."""

from __future__ import annotations

import json
from pathlib import Path

from pylee_tui.services import Scope, Services
from tests.support import CliRunner, server_doc

ORG = ("--org", "acme")
CORE = ("--org", "acme", "--registry", "core")


def draft_doc(name: str) -> dict:
    document = server_doc(name)
    document["description"] = ""
    return document


def write(path: Path, data) -> str:
    path.write_text(json.dumps(data), encoding="utf-8")
    return str(path)


def ok(result) -> str:
    assert result.code == 0, result.err
    return result.out


def setup(cli: CliRunner) -> None:
    ok(cli("org", "create", "Acme"))
    ok(cli("registry", "create", "Core", *ORG))


def test_the_cli_lists_each_rejected_and_drafted_entry_after_the_summary(
    cli: CliRunner, tmp_path: Path
) -> None:
    setup(cli)
    path = write(
        tmp_path / "servers.json",
        [server_doc("io.github.acme/ok"), draft_doc("io.github.acme/draft"), {"x": 1}, "oops"],
    )
    lines = ok(cli("server", "import", path, *CORE)).splitlines()
    assert lines == [
        "imported 1, drafts 1, skipped 0, rejected 2",
        "drafts: 1× $.description must not be empty",
        "rejected: 1× no usable name; 1× not a JSON object",
        "",
        "rejected  #3: no usable name",
        "rejected  #4: not a JSON object",
        "draft     io.github.acme/draft: $.description: must not be empty",
    ]


def test_the_cli_says_how_to_replace_what_it_skipped(cli: CliRunner, tmp_path: Path) -> None:
    setup(cli)
    path = write(tmp_path / "one.json", server_doc("io.github.acme/ok"))
    ok(cli("server", "import", path, *CORE))
    again = ok(cli("server", "import", path, *CORE)).splitlines()
    assert again == [
        "imported 0, drafts 0, skipped 1, rejected 0",
        "skipped: 1× already in registry 'core'",
        "(--replace replaces the 1 server already there)",
    ]
    assert ok(cli("server", "import", path, *CORE, "--replace")).splitlines() == [
        "imported 1, drafts 0, skipped 0, rejected 0"
    ]


def test_the_cli_json_report_has_every_entry_with_its_file_and_position(
    cli: CliRunner, tmp_path: Path
) -> None:
    setup(cli)
    first = write(tmp_path / "a.json", [server_doc("io.github.acme/ok"), {"description": "x"}])
    second = write(tmp_path / "b.json", [draft_doc("io.github.acme/draft"), 7])
    report = json.loads(ok(cli("server", "import", first, second, *CORE, "--json")))
    assert {k: report[k] for k in ("imported", "drafts", "skipped", "rejected")} == {
        "imported": 1,
        "drafts": 1,
        "skipped": 0,
        "rejected": 2,
    }
    assert report["entries"] == [
        {
            "file": first,
            "position": 1,
            "name": "io.github.acme/ok",
            "outcome": "imported",
            "reasons": [],
        },
        {
            "file": first,
            "position": 2,
            "name": None,
            "outcome": "rejected",
            "reasons": ["no usable name"],
        },
        {
            "file": second,
            "position": 1,
            "name": "io.github.acme/draft",
            "outcome": "draft",
            "reasons": ["$.description: must not be empty"],
        },
        {
            "file": second,
            "position": 2,
            "name": None,
            "outcome": "rejected",
            "reasons": ["not a JSON object"],
        },
    ]
    # in text, an unnamed entry of several files says which file
    text = ok(cli("server", "import", first, second, *CORE)).splitlines()
    assert f"rejected  {first} #2: no usable name" in text
    assert f"rejected  {second} #2: not a JSON object" in text


def test_an_import_without_files_named_counts_positions_in_the_list(services: Services) -> None:
    services.orgs.create("ann@example.com", "Acme")
    services.registries.create("ann@example.com", "acme", "Core")
    report = services.registries.import_servers(
        "ann@example.com", Scope("acme", "core"), [server_doc("io.github.acme/ok"), {"x": 1}]
    )
    assert [(o.position, o.name, o.named) for o in report.outcomes] == [
        (1, "io.github.acme/ok", True),
        (2, "#2", False),
    ]
    assert report.entry_lines() == ["rejected  #2: no usable name"]


def test_drafts_are_listed_in_tree_order_and_filtered(services: Services) -> None:
    ann = "ann@example.com"
    services.orgs.create(ann, "Acme")
    services.registries.create(ann, "acme", "beta")
    services.registries.create(ann, "acme", "Alpha")
    for registry, name in (("beta", "b/one"), ("alpha", "z/two"), ("alpha", "a/three")):
        services.registries.add_server(
            ann, Scope("acme", registry), draft_doc(name), allow_draft=True
        )
    services.registries.add_server(ann, Scope("acme", "alpha"), server_doc("a/valid"))
    assert services.registries.drafts(ann, "acme") == [
        ("alpha", "a/three"),
        ("alpha", "z/two"),
        ("beta", "b/one"),
    ]
    assert services.registries.drafts(ann, "acme", query="TWO") == [("alpha", "z/two")]
    listed = services.registries.list_servers(ann, Scope("acme", "alpha"), drafts_only=True)
    assert [s.name for s in listed] == ["a/three", "z/two"]
