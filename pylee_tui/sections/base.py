"""What every section of the org screen stands on: the app, its services and the acting user,
typed; the org shown and what the user may do there; and the message that says data changed."""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual.message import Message
from textual.reactive import var
from textual.widget import Widget

from pylee_tui.sections.org_view import OrgView
from pylee_tui.services import Services
from pylee_tui.widgets.pylee_app import pylee_app

if TYPE_CHECKING:
    from pylee_tui.app import PyleeApp


class OrgSection(Widget):
    """A section of the org screen. The org screen hands down `view` each time it loads the org
    (the keys that apply follow it) and loads the org again when a section posts
    `DataChanged`: calls down, messages up; a section never reaches into the screen."""

    view: var[OrgView | None] = var(None, bindings=True)
    """The org shown, the user's role and permissions there (None until the first load)."""

    class DataChanged(Message):
        """This section wrote something: the org screen loads the org again, and every section
        shown follows."""

    @property
    def pylee_app(self) -> PyleeApp:
        return pylee_app(self)

    @property
    def services(self) -> Services:
        return self.pylee_app.require_services()  # built once an org is shown

    @property
    def user(self) -> str:
        return self.pylee_app.require_user()

    @property
    def permissions(self) -> frozenset[str]:
        """What the user may do in the org shown (none before it has loaded)."""
        return self.view.allowed if self.view is not None else frozenset()

    def allowed(self, permission: str) -> bool:
        return permission in self.permissions

    def show_org(self, slug: str) -> None:
        """Load what this section lists in org `slug`: the org screen calls it when the section
        is shown and after every load of the org. A section listing nothing of its own (the
        overview, drawn from `view`) keeps this one."""

    def prefetch(self, slug: str) -> None:
        """Start reading what this section lists in org `slug` before it is mounted: the org
        screen calls it on a first visit, at the key, so that the read runs while the section
        is built and its rows are there for its first frame (it never shows "loading", which
        would take no keys). Its later `show_org(slug)` then finds them read or on their way.
        A section listing nothing of its own keeps this one."""

    def data_changed(self) -> None:
        """Say that this section wrote something (the org screen reloads)."""
        self.post_message(self.DataChanged())
