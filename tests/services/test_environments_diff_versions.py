"""`org diff` compares what each org uses (exports and `run`: the pinned version, else the latest
published), not the working copies; unpublished edits are said, as a draft, not as a version."""

from __future__ import annotations

import pytest

from pylee_tui.services import Scope, Services
from pylee_tui.services.demo import load_demo
from pylee_tui.services.environment_diff import server_line
from tests.support import ANN

PASS = "correct horse battery staple"
PROD = "acme-production"
EXA = "io.github.exa-labs/exa-mcp-server"
QA_EXA = Scope("acme-qa", "core-tools", EXA)


@pytest.fixture
def demo(services: Services) -> Services:
    load_demo(services, ANN, PASS)
    services.environments.clone(ANN, PROD, "Acme QA")
    return services


def exa_diff(services: Services):
    diff = services.environments.diff(ANN, PROD, "acme-qa")
    core = next((r for r in diff.registries if r.slug == "core-tools"), None)
    return None if core is None else next((s for s in core.servers if s.name == EXA), None)


def edited(services: Services, version: str) -> None:
    document = services.registries.get_server(ANN, QA_EXA).document
    services.registries.edit_server(
        ANN, QA_EXA, {**document, "version": version, "description": "QA wording"}
    )


def test_unpublished_edits_are_a_draft_not_a_new_version(demo: Services) -> None:
    edited(demo, "0.4.0")
    exa = exa_diff(demo)
    assert exa is not None
    assert (exa.version_a, exa.version_b) == ("0.3.10", "0.3.10")  # what both export
    assert not exa.document_differs
    assert (exa.unpublished_a, exa.unpublished_b) == (False, True)
    assert server_line(exa) == f"server {EXA}: unpublished edits (draft) in B"
    assert exa.to_json()["unpublished_b"] is True


def test_a_published_version_is_compared(demo: Services) -> None:
    edited(demo, "0.4.0")
    demo.server_versions.publish(ANN, QA_EXA, version="0.4.0")
    exa = exa_diff(demo)
    assert exa is not None
    assert (exa.version_a, exa.version_b, exa.document_differs) == ("0.3.10", "0.4.0", True)
    assert not exa.unpublished_b
    assert server_line(exa).startswith(f"server {EXA}: version 0.3.10 (A) → 0.4.0 (B)")


def test_a_pin_at_the_same_version_is_no_difference(demo: Services) -> None:
    edited(demo, "0.4.0")
    demo.server_versions.publish(ANN, QA_EXA, version="0.4.0")
    demo.server_versions.pin(ANN, QA_EXA, "0.3.10")
    assert exa_diff(demo) is None  # both use 0.3.10, whatever QA published since
