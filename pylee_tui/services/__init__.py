"""The service layer: every rule (permissions, uniqueness, audit, onboarding) lives here.

Screens and the CLI build one `Services` over a `Store` and call it; nothing here imports Textual.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from functools import cached_property
from typing import TYPE_CHECKING

from pylee_tui.fields import to_iso, utcnow
from pylee_tui.services.errors import (
    Conflict,
    IdentityRequired,
    InvalidInput,
    NotFound,
    PermissionDenied,
    PyleeError,
    SecretUnreadable,
    Unauthenticated,
    VaultLocked,
    WrongPassphrase,
)
from pylee_tui.services.scope import Scope

if TYPE_CHECKING:
    from pylee_tui.services.access import AccessService
    from pylee_tui.services.approvals import ApprovalService
    from pylee_tui.services.audit import AuditService
    from pylee_tui.services.checks import CheckService
    from pylee_tui.services.clients.drift import DriftService
    from pylee_tui.services.clients.service import ClientsService
    from pylee_tui.services.environments import EnvironmentService
    from pylee_tui.services.export import ExportService
    from pylee_tui.services.forks import ForkService
    from pylee_tui.services.identity import IdentityService
    from pylee_tui.services.invitations import InvitationService, Mailer
    from pylee_tui.services.launch import LaunchService
    from pylee_tui.services.member_review import MemberReviewService
    from pylee_tui.services.members import MemberService
    from pylee_tui.services.onboarding import OnboardingService
    from pylee_tui.services.orgs import OrgService
    from pylee_tui.services.registries import RegistryService
    from pylee_tui.services.search import SearchService
    from pylee_tui.services.server_versions import ServerVersionService
    from pylee_tui.services.settings import SettingsService
    from pylee_tui.services.team_vault import TeamVaultService
    from pylee_tui.services.tokens import TokenService
    from pylee_tui.services.variables import VariableService
    from pylee_tui.services.vault import VaultService
    from pylee_tui.store import Store

__all__ = [
    "Conflict",
    "IdentityRequired",
    "InvalidInput",
    "NotFound",
    "PermissionDenied",
    "PyleeError",
    "Scope",
    "SecretUnreadable",
    "Services",
    "Unauthenticated",
    "VaultLocked",
    "WrongPassphrase",
]


class Services:
    """Every service over one store, sharing a clock (injectable for tests).

    Each service is made (and its module imported) the first time it is asked for: a command
    that lists orgs loads neither the vault's cryptography nor the export's JSON Schema."""

    # set by `serve run` on a team server: what mails invitations (to, subject, body), and the
    # URL its people join at (both None elsewhere: the inviter passes the code on)
    mailer: Mailer | None = None
    public_url: str | None = None

    def __init__(self, store: Store, clock: Callable[[], datetime] = utcnow):
        self.store = store
        self.clock = clock

    @cached_property
    def settings(self) -> SettingsService:
        from pylee_tui.services.settings import SettingsService

        return SettingsService(self)

    @cached_property
    def identity(self) -> IdentityService:
        from pylee_tui.services.identity import IdentityService

        return IdentityService(self)

    @cached_property
    def access(self) -> AccessService:
        from pylee_tui.services.access import AccessService

        return AccessService(self)

    @cached_property
    def audit(self) -> AuditService:
        from pylee_tui.services.audit import AuditService

        return AuditService(self)

    @cached_property
    def orgs(self) -> OrgService:
        from pylee_tui.services.orgs import OrgService

        return OrgService(self)

    @cached_property
    def registries(self) -> RegistryService:
        from pylee_tui.services.registries import RegistryService

        return RegistryService(self)

    @cached_property
    def members(self) -> MemberService:
        from pylee_tui.services.members import MemberService

        return MemberService(self)

    @cached_property
    def member_review(self) -> MemberReviewService:
        from pylee_tui.services.member_review import MemberReviewService

        return MemberReviewService(self)

    @cached_property
    def vault(self) -> VaultService:
        from pylee_tui.services.vault import VaultService

        return VaultService(self)

    @cached_property
    def variables(self) -> VariableService:
        from pylee_tui.services.variables import VariableService

        return VariableService(self)

    @cached_property
    def team_vault(self) -> TeamVaultService:
        from pylee_tui.services.team_vault import TeamVaultService

        return TeamVaultService(self)

    @cached_property
    def onboarding(self) -> OnboardingService:
        from pylee_tui.services.onboarding import OnboardingService

        return OnboardingService(self)

    @cached_property
    def export(self) -> ExportService:
        from pylee_tui.services.export import ExportService

        return ExportService(self)

    @cached_property
    def launch(self) -> LaunchService:
        from pylee_tui.services.launch import LaunchService

        return LaunchService(self)

    @cached_property
    def checks(self) -> CheckService:
        from pylee_tui.services.checks import CheckService

        return CheckService(self)

    @cached_property
    def clients(self) -> ClientsService:
        from pylee_tui.services.clients.service import ClientsService

        return ClientsService(self)

    @cached_property
    def drift(self) -> DriftService:
        from pylee_tui.services.clients.drift import DriftService

        return DriftService(self)

    @cached_property
    def environments(self) -> EnvironmentService:
        from pylee_tui.services.environments import EnvironmentService

        return EnvironmentService(self)

    @cached_property
    def search(self) -> SearchService:
        from pylee_tui.services.search import SearchService

        return SearchService(self)

    @cached_property
    def server_versions(self) -> ServerVersionService:
        from pylee_tui.services.server_versions import ServerVersionService

        return ServerVersionService(self)

    @cached_property
    def forks(self) -> ForkService:
        from pylee_tui.services.forks import ForkService

        return ForkService(self)

    @cached_property
    def approvals(self) -> ApprovalService:
        from pylee_tui.services.approvals import ApprovalService

        return ApprovalService(self)

    @cached_property
    def tokens(self) -> TokenService:
        from pylee_tui.services.tokens import TokenService

        return TokenService(self)

    @cached_property
    def invitations(self) -> InvitationService:
        from pylee_tui.services.invitations import InvitationService

        return InvitationService(self)

    def now(self) -> str:
        return to_iso(self.clock())
