"""The running app, typed: every screen, section and dialog reaches `PyleeApp` (its services, the
acting user, the one path for service calls) through `pylee_app(node)` instead of its own
`type: ignore`. Only the type checker imports the app here, so no arrow runs up the layers."""

from __future__ import annotations

from typing import TYPE_CHECKING, cast

from textual.message_pump import MessagePump

if TYPE_CHECKING:
    from pylee_tui.app import PyleeApp


def pylee_app(node: MessagePump) -> PyleeApp:
    """`node.app`, known to be the PyleeApp (the only app that mounts these widgets)."""
    return cast("PyleeApp", node.app)
