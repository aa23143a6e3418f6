"""What the org screen shows of one org, loaded in one worker call: the org, the acting user's
role and permissions there, the orgs to switch to and onboarding (a few counts). The org screen
hands it down to every section; what a section lists (registries, members, keys, events) it loads
itself, when it is shown, so the org home costs the same whatever the org's size."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

# types only: the org screen's first frame imports this module, and needs none of them
if TYPE_CHECKING:
    from pylee_tui.models import Organization
    from pylee_tui.services import Services
    from pylee_tui.services.onboarding import OnboardingState
    from pylee_tui.summaries import OrgSummary


@dataclass(frozen=True)
class OrgView:
    """Everything the org screen shows, loaded in one worker call."""

    org: Organization
    role: str
    allowed: frozenset[str]
    orgs: list[OrgSummary]
    onboarding: OnboardingState


def load_org_view(services: Services, user: str, slug: str) -> OrgView:
    org = services.orgs.get_org(user, slug)
    return OrgView(
        org=org,
        role=services.orgs.role(user, slug),
        allowed=services.access.allowed(user, slug),
        orgs=services.orgs.list_orgs(user),
        onboarding=services.onboarding.state(user, slug),
    )
