"""Type-ahead for screens: keys pressed while a screen is still opening reach it, in order.

Textual routes a key to the focused widget of the top screen, or to the screen itself while
nothing there has focus. A screen that was just pushed has no focus until it has composed and
mounted (its `AUTO_FOCUS` is applied then), so keys typed fast after the key that opened it went
to the bare screen: printable ones were dropped and the rest hit screen or app bindings (`?`
opened help over a form). `TypeAhead` holds those keys and hands them, in the order typed, to the
widget the screen focuses first; a screen with nothing to focus gets them itself once open.
"""

from __future__ import annotations

from typing import Any

from textual import events
from textual.widget import Widget


class TypeAhead:
    """Mixin for screens that take typing as soon as they are pushed: list it first,
    `class FormScreen(TypeAhead, ModalScreen[Any])`. A mixin, not a Screen subclass: Textual
    takes a screen's CSS type names from its first base only, so `ModalScreen` must follow.

    Set `AUTO_FOCUS` to the widget that should get the first keys (a filter, a form's first
    field): it is focused as the screen opens, and every key held until then goes to it.
    """

    # A mixin: the Screen it is mixed into (after it in the MRO) has these, and the methods the
    # `type: ignore[misc]` / `[attr-defined]` lines below call on super() or self.
    focused: Any
    app: Any

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._held_keys: list[events.Key] = []
        self._opened = False

    def _forward_event(self, event: events.Event) -> None:
        # the app forwards a key to the screen itself only while nothing on it has focus
        if isinstance(event, events.Key) and not self._opened:
            self._held_keys.append(event)
            return
        super()._forward_event(event)  # type: ignore[misc]

    def set_focus(
        self, widget: Widget | None, scroll_visible: bool = True, from_app_focus: bool = False
    ) -> None:
        super().set_focus(  # type: ignore[misc]
            widget, scroll_visible=scroll_visible, from_app_focus=from_app_focus
        )
        if not self._opened and self.focused is not None:
            # the app sends later keys straight to this widget: the held ones go first
            self._release_keys(self.focused)

    def hold_keys_until_focus(self, timeout: float = 1.0) -> None:
        """Hold keys again from now until a widget here takes focus: call it when the screen
        drops focus to show a part of itself that focuses its list once built (a section
        pane), so keys typed meanwhile reach that list instead of the bare screen. If no focus
        comes within `timeout` seconds, they go to the screen."""
        self._opened = False
        self._holds = getattr(self, "_holds", 0) + 1
        hold = self._holds

        def give_up() -> None:
            if hold == self._holds:
                self._open_without_focus()

        self.set_timer(timeout, give_up)  # type: ignore[attr-defined]

    def on_screen_resume(self) -> None:
        # Textual calls this beside Screen's own handler (each class's handler runs)
        # AUTO_FOCUS has been applied by now; a focus asked for in on_mount (`widget.focus()`)
        # arrives through the app's queue, so wait for that before giving up on a focus
        if not self._opened:
            self.app.call_later(self._open_without_focus)

    def _open_without_focus(self) -> None:
        if not self._opened:
            self._release_keys(self.focused or self)

    def _release_keys(self, target: Any) -> None:
        self._opened = True
        held, self._held_keys = self._held_keys, []
        for key in held:
            if target is self:
                super()._forward_event(key)  # type: ignore[misc]
            else:
                target._forward_event(key)


# --- the app's half ----------------------------------------------------------------------------
#
# A key the app routes to a widget is handled there, then bubbles back up to the app, where its
# binding is looked up from the focus of *that* moment. When one key opens a screen (`i` the
# invite form) or builds a part of one (`3` the members section), the keys typed right after it
# were routed to the old focus and come back to the app once the new screen is on top, or while
# the new part has no focus yet: their bindings were looked up in the wrong place and the keys
# were lost. The app stamps each key with the screen it routed it to; a key coming back from a
# covered screen goes on to the top one, and one coming back while its screen holds keys is
# held with them (both deliver it to the widget that takes focus next, in the order typed).

_ROUTED_TO = "_pylee_routed_to"


def note_key_screen(app: Any, event: events.Key) -> None:
    """Remember the screen `event` is routed to; the app calls this as each key arrives."""
    setattr(event, _ROUTED_TO, app.screen)


def redeliver_stale_key(app: Any, event: events.Key) -> bool:
    """True when `event`, back at the app, was dealt with here: sent on to the screen that
    covered its own, held by its screen while that waits for a focus, or dropped because its
    own screen has closed (what was typed for a dialog must never act on the screen below)."""
    routed = getattr(event, _ROUTED_TO, None)
    if routed is None:
        return False
    holding = isinstance(app.screen, TypeAhead) and not app.screen._opened
    if routed is app.screen and not holding:
        return False
    if routed in app.screen_stack:
        fresh = events.Key(event.key, event.character)
        note_key_screen(app, fresh)
        (app.focused or app.screen)._forward_event(fresh)
    return True
