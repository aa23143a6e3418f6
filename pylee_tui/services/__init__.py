"""The service layer: every rule (permissions, uniqueness, audit, onboarding) lives here.

Screens and the CLI build one `Services` over a `Store` and call it; nothing here imports Textual.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from pylee_tui.models import utcnow
from pylee_tui.services.access import AccessService
from pylee_tui.services.audit import AuditService
from pylee_tui.services.errors import (
    Conflict,
    IdentityRequired,
    InvalidInput,
    NotFound,
    PermissionDenied,
    PyleeError,
    SecretUnreadable,
    VaultLocked,
    WrongPassphrase,
)
from pylee_tui.services.export import ExportService
from pylee_tui.services.identity import IdentityService
from pylee_tui.services.members import MemberService
from pylee_tui.services.onboarding import OnboardingService
from pylee_tui.services.orgs import OrgService
from pylee_tui.services.registries import RegistryService
from pylee_tui.services.scope import Scope
from pylee_tui.services.search import SearchService
from pylee_tui.services.settings import SettingsService
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
    "VaultLocked",
    "WrongPassphrase",
]


class Services:
    """Every service over one store, sharing a clock (injectable for tests)."""

    def __init__(self, store: Store, clock: Callable[[], datetime] = utcnow):
        self.store = store
        self.clock = clock
        self.settings = SettingsService(self)
        self.identity = IdentityService(self)
        self.access = AccessService(self)
        self.audit = AuditService(self)
        self.orgs = OrgService(self)
        self.registries = RegistryService(self)
        self.members = MemberService(self)
        self.vault = VaultService(self)
        self.variables = VariableService(self)
        self.onboarding = OnboardingService(self)
        self.export = ExportService(self)
        self.search = SearchService(self)

    def now(self) -> str:
        from pylee_tui.models import to_iso

        return to_iso(self.clock())
