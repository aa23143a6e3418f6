"""A key shown disabled says why when pressed, instead of doing nothing.

Textual lets the key of a disabled binding pass silently. A widget with this mixin answers one
question, `why_not(action)` (None: allowed), and gets `check_action` (the footer shows the key
disabled) and a key handler that stops such a key and says the reason."""

from __future__ import annotations

from textual.binding import Binding

from pylee_tui.services.access import PERMISSIONS


def permission_refusal(view, doing: str, permission: str) -> str:
    """The services' PermissionDenied, in the app's words: what is refused, what would allow
    it, and who you are."""
    grant = PERMISSIONS[permission]
    needs = f"the admin role or the grant {grant}" if grant else "the admin role"
    if view is None:
        return f"You cannot {doing}: it needs {needs}."
    article = "an" if view.role == "admin" else "a"
    return (
        f"You cannot {doing} in {view.org.name}: it needs {needs}; you are {article} {view.role}."
    )


class SaysWhyDisabled:
    """Mixin for a Widget with BINDINGS; define `why_not`."""

    BINDINGS: list

    def why_not(self, action: str) -> str | None:
        """Why `action` cannot be done now, or None when it can."""
        return None

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        return True if self.why_not(action) is None else None

    def action_for_key(self, key: str) -> str | None:
        """The action bound to `key` here (without its arguments)."""
        for binding in self.BINDINGS:
            if isinstance(binding, Binding) and key in (k.strip() for k in binding.key.split(",")):
                return binding.action.split("(")[0]
        return None

    # pressing a disabled key: the app asks `why_not` once the key reaches it
    # (PyleeApp._say_why_disabled), so a key meant for a screen opening above is never taken
