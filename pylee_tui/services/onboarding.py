"""The four onboarding steps of an org, computed from what is stored (never a saved flag)."""

from __future__ import annotations

from dataclasses import dataclass

from pylee_tui.models import plural
from pylee_tui.services.base import Service, exactly_one


@dataclass(frozen=True)
class OnboardingStep:
    key: str
    title: str
    hint: str
    done: bool
    section: str  # where the step is done: overview, registries, members, vault


@dataclass(frozen=True)
class OnboardingState:
    steps: tuple[OnboardingStep, ...]

    @property
    def done_count(self) -> int:
        return sum(step.done for step in self.steps)

    @property
    def complete(self) -> bool:
        return self.done_count == len(self.steps)

    @property
    def current(self) -> OnboardingStep | None:
        """The first step not done yet."""
        return next((step for step in self.steps if not step.done), None)

    @property
    def progress(self) -> str:
        return f"{self.done_count} of {len(self.steps)} done"


class OnboardingService(Service):
    def state(self, actor: str, org_slug: str) -> OnboardingState:
        with self.store.reading() as db:
            org, _member = self.services.access.org_row(db, actor, org_slug)
            counts = exactly_one(
                db,
                """
                SELECT
                  (SELECT count(*) FROM registries WHERE org_id = :o) AS registries,
                  (SELECT count(*) FROM members WHERE org_id = :o AND email != :me
                     AND status IN ('active', 'invited')) AS others,
                  (SELECT count(*) FROM variables WHERE org_id = :o) AS variables
                """,
                {"o": org["id"], "me": actor},
            )
        described = bool(org["description"].strip()) and bool(org["overview"].strip())
        return OnboardingState(
            (
                OnboardingStep(
                    "describe",
                    "Set up your organization",
                    "Add a description and overview"
                    if not described
                    else "Description and overview written",
                    described,
                    "overview",
                ),
                OnboardingStep(
                    "registry",
                    "Create your first registry",
                    "A registry groups MCP servers"
                    if not counts["registries"]
                    else plural(counts["registries"], "registry"),
                    counts["registries"] > 0,
                    "registries",
                ),
                OnboardingStep(
                    "members",
                    "Invite team members",
                    "Invite someone by email"
                    if not counts["others"]
                    else plural(counts["others"], "other member"),
                    counts["others"] > 0,
                    "members",
                ),
                OnboardingStep(
                    "variables",
                    "Configure variables and secrets",
                    "Set one at any scope"
                    if not counts["variables"]
                    else plural(counts["variables"], "variable or secret"),
                    counts["variables"] > 0,
                    "vault",
                ),
            )
        )
