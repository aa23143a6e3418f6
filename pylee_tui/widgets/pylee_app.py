"""The running app, typed: every screen, section, dialog and palette provider reaches `PyleeApp`
(its services, the acting user, the one path for service calls) through `pylee_app(node)`
instead of an ignored attribute error. Only the type checker imports the app here, so no arrow
runs up the layers."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Protocol, cast

from textual.app import App

if TYPE_CHECKING:
    from pylee_tui.app import PyleeApp


class InTheApp(Protocol):
    """Anything that knows its app: a widget, a screen, a command palette provider."""

    @property
    def app(self) -> App[Any]: ...


def pylee_app(node: InTheApp) -> PyleeApp:
    """`node.app`, known to be the PyleeApp (the only app that mounts these widgets)."""
    return cast("PyleeApp", node.app)
