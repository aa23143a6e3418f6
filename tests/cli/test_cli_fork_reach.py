"""From the CLI: forking a fork of another org's registry needs that org too (one line naming
it), and a clone by someone outside the org a fork follows says which servers it copied
instead of following."""

from __future__ import annotations

import pytest

from pylee_tui.services import Scope, Services
from tests.cli.expect import as_json, ok, one_error_line, rows
from tests.support import ANN, CARL, SEARCH, WEATHER, CliRunner, with_services

NAME = WEATHER["name"]


@pytest.fixture
def world(cli: CliRunner) -> CliRunner:
    """lab/experiments (ann): weather and search; acme/experiments (ann) a fork of it; carl a
    member of acme (never of lab) with an org of his own, carls."""

    def fill(s: Services) -> None:
        s.orgs.create(ANN, "Lab")
        s.orgs.create(ANN, "Acme")
        s.registries.create(ANN, "lab", "Experiments", slug="experiments")
        for doc in (WEATHER, SEARCH):
            s.registries.add_server(ANN, Scope("lab", "experiments"), doc)
        s.forks.fork(ANN, Scope("lab", "experiments"), "acme", slug="experiments")
        s.members.invite(ANN, "acme", CARL)
        s.members.accept(CARL, "acme")
        s.orgs.create(CARL, "Carls")

    with_services(cli.db, fill)
    return cli


def test_forking_a_fork_of_an_org_you_are_not_in_is_one_line(world: CliRunner) -> None:
    before = rows(world.db)
    result = world("registry", "fork", "acme/experiments", "--into", "carls", user=CARL)
    assert result.code == 1 and result.out == ""
    line = one_error_line(result)
    assert "cannot fork acme/experiments" in line
    assert line.endswith("you are not a member of 'lab'")
    assert rows(world.db) == before


def test_a_clone_says_what_it_copied_instead_of_following(world: CliRunner) -> None:
    out = ok(world("org", "clone", "acme", "Acme QA", user=CARL))
    assert (
        "2 forked servers are plain copies at the version in use, not following their "
        "upstream (you are not a member of its org):"
    ) in out
    assert f"  experiments/{NAME}  1.0.0  (was following lab/experiments/{NAME})" in out
    data = as_json(world("org", "clone", "acme", "Acme QA 2", "--json", user=CARL))
    assert [u["server"] for u in data["unfollowed"]] == [SEARCH["name"], NAME]
    # ann, a member of lab, keeps the fork: nothing to say
    out = ok(world("org", "clone", "acme", "Acme Staging"))
    assert "plain cop" not in out
    shown = as_json(world("registry", "show", "experiments", "--org", "acme-staging", "--json"))
    assert shown["fork_of"] == "lab/experiments"
