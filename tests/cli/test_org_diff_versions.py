"""`org diff` from the CLI compares the versions each org uses, and says a draft of unpublished
edits; a cloned fork is still a fork."""

from __future__ import annotations

import pytest

from pylee_tui.services import Scope
from pylee_tui.services.demo import load_demo
from tests.cli.expect import as_json, ok
from tests.support import ANN, CliRunner, with_services

PASS = "correct horse battery staple"
PROD = "acme-production"
EXA = "io.github.exa-labs/exa-mcp-server"


def seed(services) -> None:
    load_demo(services, ANN, PASS)
    services.forks.fork(ANN, Scope("acme-staging", "staging-tools"), PROD, slug="candidates")
    services.environments.clone(ANN, PROD, "Acme QA", slug="qa")
    qa_exa = Scope("qa", "core-tools", EXA)
    document = services.registries.get_server(ANN, qa_exa).document
    services.registries.edit_server(ANN, qa_exa, {**document, "description": "QA wording"})


@pytest.fixture
def demo(cli: CliRunner, monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    with_services(cli.db, seed)
    monkeypatch.setenv("PYLEE_PASSPHRASE", PASS)
    return cli


def test_diff_says_a_draft_not_a_version_and_a_clone_keeps_its_forks(demo: CliRunner) -> None:
    text = ok(demo("org", "diff", PROD, "qa"))
    assert f"server {EXA}: unpublished edits (draft) in B" in text
    assert "candidates" not in text  # the cloned fork uses what the source's uses
    data = as_json(demo("org", "diff", PROD, "qa", "--json"))
    core = next(r for r in data["registries"] if r["slug"] == "core-tools")
    exa = next(s for s in core["servers"] if s["name"] == EXA)
    assert (exa["version_a"], exa["version_b"], exa["document_differs"]) == (
        "0.3.10",
        "0.3.10",
        False,
    )
    assert (exa["unpublished_a"], exa["unpublished_b"]) == (False, True)
    shown = as_json(demo("registry", "show", "candidates", "--org", "qa", "--json"))
    assert shown["fork_of"] == "acme-staging/staging-tools"
