"""Who is acting: `--as EMAIL`, else `PYLEE_USER`, else the email saved in settings."""

from __future__ import annotations

from pylee_tui.services.base import Service, valid
from pylee_tui.services.errors import IdentityRequired

USER_SETTING = "user_email"
IDENTITY_HINT = (
    "no acting user: pass --as EMAIL, set PYLEE_USER, or save one with `pylee-tui login EMAIL`"
)


class IdentityService(Service):
    def saved(self) -> str | None:
        return self.services.settings.get_setting(USER_SETTING)

    def save(self, email: str) -> str:
        email = valid("email", email)
        self.services.settings.set_setting(USER_SETTING, email)
        return email

    def resolve(self, explicit: str | None, env_value: str | None) -> str | None:
        """The acting user's normalised email, or None when none is known."""
        for candidate in (explicit, env_value):
            if candidate:
                return valid("email", candidate)
        return self.saved()

    def require(self, explicit: str | None, env_value: str | None) -> str:
        user = self.resolve(explicit, env_value)
        if user is None:
            raise IdentityRequired(IDENTITY_HINT)
        return user
