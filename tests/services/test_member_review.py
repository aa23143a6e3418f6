"""MemberReviewService: last activity from the audit log, expired invitations, 90-day inactivity,
the admin count and its warning, personal overrides counted, and admins only."""

from __future__ import annotations

import inspect

import pytest

from pylee_tui.services import PermissionDenied, Services
from pylee_tui.services.base import Service
from pylee_tui.services.member_review import (
    EXPIRED,
    INACTIVE,
    LAST_ADMIN,
    MemberReviewService,
    Suggestion,
)
from pylee_tui.store import Store
from tests.support import ANN, BOB, CARL, Clock, table_rows

DAN = "dan@example.com"


def join(services: Services, email: str, role: str = "member") -> None:
    services.members.invite(ANN, "acme", email, role=role)
    services.members.accept(email, "acme")


@pytest.fixture
def acme(services: Services) -> Services:
    """acme: ann admin, bob a member with registries:write."""
    services.orgs.create(ANN, "Acme")
    join(services, BOB)
    services.members.grant(ANN, "acme", BOB, "registries:write")
    return services


def test_each_member_shows_role_grants_and_their_last_event_in_the_org(
    acme: Services, clock: Clock
) -> None:
    clock.advance(days=3)
    acme.registries.create(BOB, "acme", "Tools")  # bob's latest event in acme
    bobs_last = acme.now()
    clock.advance(days=1)
    acme.orgs.create(BOB, "Elsewhere")  # another org's event does not count for acme
    review = acme.member_review.review(ANN, "acme")
    bob = review.line(BOB)
    assert bob is not None
    assert (bob.role, bob.status, bob.grants) == ("member", "active", ("registries:write",))
    assert bob.last_activity == bobs_last
    assert bob.flags == ()
    assert [line.email for line in review.lines] == [ANN, BOB]


def test_an_invitation_past_seven_days_is_flagged_with_its_revocation(
    acme: Services, clock: Clock
) -> None:
    acme.members.invite(ANN, "acme", CARL)
    clock.advance(days=6)
    carl = acme.member_review.review(ANN, "acme").line(CARL)
    assert carl is not None
    assert (carl.status, carl.flags, carl.last_activity) == ("invited", (), None)
    clock.advance(days=1, seconds=1)
    review = acme.member_review.review(ANN, "acme")
    carl = review.line(CARL)
    assert carl is not None
    assert (carl.status, carl.flags) == ("expired", (EXPIRED,))
    assert carl.suggestions == (Suggestion("remove", CARL),)
    assert "1 invitation past expiry" in review.warnings


def test_ninety_days_without_an_event_flags_a_member_and_suggests_taking_back_access(
    acme: Services, clock: Clock
) -> None:
    join(acme, CARL, role="admin")
    clock.advance(days=89)
    acme.registries.create(ANN, "acme", "Tools")  # ann keeps active; bob and carl do nothing
    assert [line.flags for line in acme.member_review.review(ANN, "acme").lines] == [
        (),
        (),
        (),
    ]
    clock.advance(days=1, seconds=1)
    review = acme.member_review.review(ANN, "acme")
    flags = {line.email: line.flags for line in review.lines}
    assert flags == {ANN: (), CARL: (INACTIVE,), BOB: (INACTIVE,)}
    carl, bob = review.line(CARL), review.line(BOB)
    assert carl is not None and bob is not None
    assert carl.suggestions == (Suggestion("downgrade", CARL), Suggestion("remove", CARL))
    assert bob.suggestions == (
        Suggestion("withdraw", BOB, "registries:write"),
        Suggestion("remove", BOB),
    )
    assert "2 members with no activity for 90 days" in review.warnings
    # acting again clears the flag
    acme.registries.create(BOB, "acme", "More")
    bob = acme.member_review.review(ANN, "acme").line(BOB)
    assert bob is not None and bob.flags == ()


def test_a_single_admin_is_counted_and_warned_about_and_never_offered_for_removal(
    acme: Services, clock: Clock
) -> None:
    clock.advance(days=200)  # ann too is inactive, but she is the only admin
    review = acme.member_review.review(ANN, "acme")
    assert review.admins == 1
    ann = review.line(ANN)
    assert ann is not None
    assert ann.flags == (INACTIVE, LAST_ADMIN)
    assert ann.suggestions == ()
    assert any(w.startswith(f"only one admin ({ANN})") for w in review.warnings)
    join(acme, CARL, role="admin")
    review = acme.member_review.review(ANN, "acme")
    assert review.admins == 2
    assert not any("only one admin" in w for w in review.warnings)


def test_removed_members_are_not_reviewed(acme: Services) -> None:
    join(acme, CARL)
    acme.members.remove(
        ANN,
        "acme",
        CARL,
    )
    assert acme.member_review.review(ANN, "acme").line(CARL) is None


def test_personal_overrides_are_counted_per_member_from_the_user_scope(
    acme: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    asked: list[tuple[str, str]] = []

    def user_overrides(actor: str, org: str) -> list[tuple[str, str]]:
        asked.append((actor, org))
        return [(BOB, "API_TOKEN"), (BOB, "REGION")]

    monkeypatch.setattr(acme.variables, "user_overrides", user_overrides, raising=False)
    review = acme.member_review.review(ANN, "acme")
    assert asked == [(ANN, "acme")]
    assert review.overrides_known
    assert {line.email: line.overrides for line in review.lines} == {ANN: 0, BOB: 2}


def test_without_a_user_scope_the_overrides_are_unknown_not_zero(acme: Services) -> None:
    acme.__dict__["variables"] = object()  # a variables service with no user_overrides
    review = acme.member_review.review(ANN, "acme")
    assert not review.overrides_known
    assert [line.overrides for line in review.lines] == [None, None]


def test_the_review_is_for_admins_only_and_changes_nothing(acme: Services, store: Store) -> None:
    acme.members.grant(ANN, "acme", BOB, "secrets:write")
    before = table_rows(store)
    with pytest.raises(PermissionDenied, match="cannot review members in 'acme'"):
        acme.member_review.review(BOB, "acme")
    acme.member_review.review(ANN, "acme")
    assert table_rows(store) == before


def test_every_public_method_of_the_review_is_classified() -> None:
    # reads for admins only (members:manage); none writes
    public = {
        name
        for name, _ in inspect.getmembers(MemberReviewService, inspect.isfunction)
        if not name.startswith("_") and not hasattr(Service, name)
    }
    assert public == {"review"}
