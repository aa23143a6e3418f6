"""A key shown disabled says why when pressed, instead of doing nothing.

Textual lets the key of a disabled binding pass silently. A widget with this mixin answers one
question, `why_not(action)` (None: allowed), and gets `check_action` (the footer shows the key
disabled) and the app's key handler says the reason when such a key is pressed. The reasons
that name a missing permission are worded here, for the sections and dialogs alike."""

from __future__ import annotations

from typing import ClassVar

from textual.binding import Binding, BindingType

from pylee_tui.services.access import PERMISSIONS

# the permission that writes each kind of key
WRITE = {"variable": "variables:write", "secret": "secrets:write"}


def needs(permission: str) -> str:
    """'admins only', or 'admins, or members granted secrets:write'."""
    grant = PERMISSIONS.get(permission)
    return "admins only" if not grant else f"admins, or members granted {grant}"


def permission_refusal(view, doing: str, permission: str) -> str:
    """The services' PermissionDenied, in the app's words: what is refused, what would allow
    it, and who you are."""
    grant = PERMISSIONS[permission]
    required = f"the admin role or the grant {grant}" if grant else "the admin role"
    if view is None:
        return f"You cannot {doing}: it needs {required}."
    article = "an" if view.role == "admin" else "a"
    who = f"you are {article} {view.role}"
    return f"You cannot {doing} in {view.org.name}: it needs {required}; {who}."


class SaysWhyDisabled:
    """Mixin for a Widget with BINDINGS; define `why_not`."""

    BINDINGS: ClassVar[list[BindingType]]

    def why_not(self, action: str) -> str | None:
        """Why `action` cannot be done now, or None when it can. The app asks it when a
        disabled key is pressed (PyleeApp._say_why_disabled), once the key has reached the app,
        so a key meant for a screen opening above is never taken here."""
        return None

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        return True if self.why_not(action) is None else None

    def refresh_keys(self) -> None:
        """Redraw the footer when the keys that apply have changed: moving from one item to a
        like one changes none, and a footer redraw costs a frame at every cursor step."""
        state = tuple(
            self.check_action(b.action.split("(")[0], ())
            for b in self.BINDINGS
            if isinstance(b, Binding)
        )
        if state != getattr(self, "_keys_state", None):
            self._keys_state = state
            # a mixin: the Widget it is mixed into has refresh_bindings
            self.refresh_bindings()  # type: ignore[attr-defined]
