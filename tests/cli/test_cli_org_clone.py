"""`org clone` and `org diff` from the CLI: the clone's secrets are missing, and no diff ever
prints a secret's value."""

from __future__ import annotations

import pytest

from pylee_tui.services.demo import DEMO_SECRET, load_demo
from tests.cli.expect import as_json, ok, one_error_line, rows
from tests.support import ANN, CARL, CliRunner, with_services

PASS = "correct horse battery staple"
PROD = "acme-production"


@pytest.fixture
def demo(cli: CliRunner, monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    with_services(cli.db, lambda s: load_demo(s, ANN, PASS))
    monkeypatch.setenv("PYLEE_PASSPHRASE", PASS)
    return cli


def test_clone_lists_the_secrets_left_missing(demo: CliRunner) -> None:
    out = ok(demo("org", "clone", PROD, "Acme QA"))
    assert "Cloned acme-production into Acme QA (acme-qa)" in out
    assert "5 missing until set" in out
    assert "QDRANT_API_KEY  at server data-sources/io.github.qdrant/mcp-server-qdrant" in out
    env = as_json(
        demo(
            "env",
            "--org",
            "acme-qa",
            "--registry",
            "core-tools",
            "--server",
            "io.github.exa-labs/exa-mcp-server",
            "--json",
        )
    )
    assert [m["name"] for m in env["missing"]] == ["EXA_API_KEY"]


def test_diff_never_prints_a_secret_and_shows_an_edit(demo: CliRunner) -> None:
    ok(demo("org", "clone", PROD, "Acme QA", "--slug", "qa"))
    text = ok(demo("org", "diff", PROD, "qa"))
    assert "EXA_API_KEY (secret): missing in B (cloned without value)" in text
    ok(demo("var", "set", "--org", "qa", "REGION", "us-east-1"))
    text = ok(demo("org", "diff", PROD, "qa"))
    assert 'REGION: differs: A "eu-west-1", B "us-east-1"' in text
    data = as_json(demo("org", "diff", PROD, "qa", "--json"))
    assert data["vault_unlocked"] is True
    for output in (text, str(data), ok(demo("org", "diff", PROD, "acme-staging"))):
        assert DEMO_SECRET not in output


def test_diff_with_the_vault_locked_says_unknown(
    demo: CliRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    text = ok(demo("org", "diff", PROD, "acme-staging"))
    assert "secret the same in both" in text
    monkeypatch.delenv("PYLEE_PASSPHRASE")
    text = ok(demo("org", "diff", PROD, "acme-staging"))
    assert "EXA_API_KEY (secret): unknown (vault locked)" in text
    assert "The vault is locked" in text


# (command, argv, acting user, expected exit code)
BAD_INPUT = [
    ("org clone", ("org", "clone", "nope", "X"), ANN, 1),
    ("org clone", ("org", "clone", PROD, ""), ANN, 1),
    ("org clone", ("org", "clone", PROD, "X", "--slug", "Bad Slug"), ANN, 1),
    ("org clone", ("org", "clone", PROD, "X", "--slug", "acme-staging"), ANN, 1),
    ("org clone", ("org", "clone", PROD, "X", "--with-members"), CARL, 1),
    ("org clone", ("org", "clone", PROD, "X"), "eve@example.com", 1),
    ("org clone", ("org", "clone", PROD), ANN, 2),
    ("org clone", ("org", "clone", PROD, "X", "--slug"), ANN, 2),
    ("org diff", ("org", "diff", PROD, "nope"), ANN, 1),
    ("org diff", ("org", "diff", PROD, "acme-staging"), CARL, 1),
    ("org diff", ("org", "diff", PROD), ANN, 2),
    ("org diff", ("org", "diff", PROD, "a", "b"), ANN, 2),
]


@pytest.mark.parametrize(
    ("command", "argv", "user", "code"),
    BAD_INPUT,
    ids=[f"{i:02d} {' '.join(argv)[:50]}" for i, (_, argv, *_) in enumerate(BAD_INPUT)],
)
def test_bad_input_for_clone_and_diff(demo: CliRunner, command, argv, user, code) -> None:
    before = rows(demo.db)
    result = demo(*argv, user=user)
    assert result.code == code
    one_error_line(result)
    assert result.out == ""
    assert rows(demo.db) == before


def test_env_lists_the_secrets_a_clone_left_missing(demo: CliRunner) -> None:
    ok(demo("org", "clone", PROD, "Acme QA"))
    text = ok(demo("env", "--org", "acme-qa"))
    assert "Missing (cloned without value) (3)" in text
    assert "EXA_API_KEY  at org" in text
    exa = ("--registry", "core-tools", "--server", "io.github.exa-labs/exa-mcp-server")
    text = ok(demo("env", "--org", "acme-qa", *exa))
    assert "EXA_API_KEY (secret) (cloned without value)" in text
    data = as_json(demo("env", "--org", "acme-qa", "--registry", "data-sources", "--json"))
    assert [m["key"] for m in data["cloned_without_value"]] == [
        "APIFY_TOKEN",
        "EXA_API_KEY",
        "GLEAN_API_TOKEN",
        "KBC_STORAGE_TOKEN",
    ]
    assert demo("secret", "set", "--org", "acme-qa", "EXA_API_KEY", "--value", "qa").code == 0
    assert "EXA_API_KEY" not in ok(demo("env", "--org", "acme-qa")).split("Missing")[-1]
