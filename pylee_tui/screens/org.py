"""The org screen: header, section tabs (1-7) and the seven sections of `sections/`, each built on
first visit (the overview at once). It loads the org, hands the view down to every section, and
loads it again when a section says it changed data."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.css.query import DOMQuery
from textual.reactive import var
from textual.screen import Screen
from textual.widget import AwaitMount, Widget
from textual.widgets import ContentSwitcher, Input, Static, TextArea

from pylee_tui import heap
from pylee_tui.safe_text import escape
from pylee_tui.sections.base import OrgSection
from pylee_tui.sections.org_view import OrgView, load_org_view
from pylee_tui.services import NotFound, Services
from pylee_tui.widgets.footer import PyleeFooter
from pylee_tui.widgets.org_bar import OrgBar
from pylee_tui.widgets.pylee_app import pylee_app
from pylee_tui.widgets.section_bar import SectionBar
from pylee_tui.widgets.typeahead import TypeAhead

if TYPE_CHECKING:
    from pylee_tui.models import Organization
    from pylee_tui.sections.overview.pane import OverviewPane
    from pylee_tui.sections.registries.browser import RegistryBrowser
    from pylee_tui.summaries import OrgSummary
    from pylee_tui.widgets.onboarding_timeline import OnboardingTimeline

# The first frame is the org bar, the tabs and the footer: the overview's pane, the other
# sections, the editors and the dialogs are imported where they are first shown (message
# handlers are named for their messages' classes, so this module need not import those).

PANE_IDS = {
    "registries": "registry-browser",
    "members": "members-pane",
    "vault": "vault-pane",
    "audit": "audit-pane",
    "clients": "clients-pane",
    "requests": "requests-pane",
}
SECTIONS = (
    ("overview", "Overview"),
    ("registries", "Registries"),
    ("members", "Members"),
    ("vault", "Vault"),
    ("audit", "Audit"),
    ("clients", "Clients"),
    ("requests", "Requests"),
)


def build_section(key: str) -> OrgSection:
    """The pane of section `key` (not the overview), its module imported on first use."""
    if key == "registries":
        from pylee_tui.sections.registries.browser import RegistryBrowser

        return RegistryBrowser(id=PANE_IDS[key])
    if key == "members":
        from pylee_tui.sections.members.pane import MembersPane

        return MembersPane(id=PANE_IDS[key])
    if key == "vault":
        from pylee_tui.sections.vault.pane import VaultPane

        return VaultPane(id=PANE_IDS[key])
    if key == "clients":
        from pylee_tui.sections.clients.pane import ClientsPane

        return ClientsPane(id=PANE_IDS[key])
    if key == "requests":
        from pylee_tui.sections.requests.pane import RequestsPane

        return RequestsPane(id=PANE_IDS[key])
    from pylee_tui.sections.audit.pane import AuditPane

    return AuditPane(id=PANE_IDS[key])


def import_overview() -> None:
    """Import the overview pane's module (its Markdown, the onboarding timeline): start-up runs
    this in its worker while the first frame, which needs neither, is painted."""
    import pylee_tui.sections.overview.pane  # noqa: F401


def import_sections() -> None:
    """Import every section's module, so that a first visit builds its section instead of
    importing it: run in a thread once the org home is painted."""
    import pylee_tui.sections.audit.pane
    import pylee_tui.sections.clients.pane
    import pylee_tui.sections.members.pane
    import pylee_tui.sections.registries.browser
    import pylee_tui.sections.requests.pane
    import pylee_tui.sections.vault.pane  # noqa: F401

    # What is alive now (Textual, the app, the org home, every section's code) lives as long as
    # the app: out of the collector's sight, a full collection no longer walks it, and the
    # pauses it made while a section built thousands of rows (100-400 ms) go with it.
    heap.freeze_now()


class OrgScreen(TypeAhead, Screen[None]):
    HELP_TITLE = "organization"
    BINDINGS = [
        Binding("o,ctrl+o", "switch_org", "Orgs", id="org.switcher", tooltip="Org switcher"),
        Binding(
            "right_square_bracket",
            "cycle_org(1)",
            "Next",
            id="org.next",
            tooltip="Next organization",
        ),
        Binding(
            "left_square_bracket",
            "cycle_org(-1)",
            "Prev",
            id="org.previous",
            tooltip="Previous organization",
        ),
        Binding("1", "section('overview')", "Overview", show=False, id="section.overview"),
        Binding("2", "section('registries')", "Registries", show=False, id="section.registries"),
        Binding("3", "section('members')", "Members", show=False, id="section.members"),
        Binding("4", "section('vault')", "Vault", show=False, id="section.vault"),
        Binding("5", "section('audit')", "Audit", show=False, id="section.audit"),
        Binding("6", "section('clients')", "Clients", show=False, id="section.clients"),
        Binding("7", "section('requests')", "Requests", show=False, id="section.requests"),
        Binding("e", "edit_overview", "Edit", id="overview.edit", tooltip="Edit the overview"),
        Binding("t", "toggle_toc", "TOC", id="overview.toc", tooltip="Table of contents"),
        Binding("s", "settings", "Settings", id="org.settings"),
        # shift+c: c copies a value in the vault section
        Binding(
            "C",
            "compare",
            "Compare",
            show=False,
            id="org.compare",
            tooltip="Compare with another org",
        ),
        # k9s/lazygit habit; never while a text field has focus (it types the q)
        Binding("q", "quit", "Quit", show=False, id="org.quit", tooltip="Quit (asks first)"),
    ]

    view: var[OrgView | None] = var(None, bindings=True)
    """The org shown (None until its first load), handed down to every section."""
    section: var[str] = var("overview", bindings=True)
    """The section shown: e and t apply to the overview only."""

    def __init__(self, slug: str | None = None) -> None:
        """Without a slug the screen waits, empty, for `show_header` and `show_view` (the app's
        start-up)."""
        super().__init__()
        self.slug = slug
        self._load_at_mount = slug is not None
        self._view_before_mount: OrgView | None = None
        self._header_before_mount: tuple[list[OrgSummary], str] | None = None
        self._composed = False  # (is_mounted turns true only once every on_mount has returned)
        self._being_built: dict[str, list[Callable[[], object]]] = {}  # what runs once built
        self._remember: str | None = None  # an org chosen, remembered for the next launch
        self._warmed_up = False

    # --- layout --------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        yield OrgBar()
        yield SectionBar(SECTIONS, id="section-bar")
        # a team server's trouble, over every section: a table left empty by a load that could
        # not reach the server must not read as "nothing there"
        yield Static("", id="server-trouble", markup=False)
        with ContentSwitcher(initial="overview", id="sections"):
            # its pane (the Markdown, the onboarding timeline) is mounted with the first org's
            # view: the first frame needs neither
            yield Vertical(id="overview")
        yield PyleeFooter()

    async def _overview_pane(self) -> OverviewPane:
        from pylee_tui.sections.overview.pane import OverviewPane

        panes = self.query(OverviewPane)
        if panes:
            return panes.first()
        pane = OverviewPane(id="overview-pane")
        pane.view = self.view
        await self.query_one("#overview").mount(pane)
        return pane

    def _section_widgets(self, key: str) -> Vertical:
        """The other sections are built on first visit: start-up only pays for the overview."""
        pane = build_section(key)
        pane.view = self.view
        if self.slug is not None:
            pane.prefetch(self.slug)  # its read overlaps its mount
        return Vertical(pane, id=key, classes="section")

    async def on_mount(self) -> None:
        # start-up may load the first org before this screen is mounted: shown now, not loaded
        # a second time
        self._composed = True
        header, self._header_before_mount = self._header_before_mount, None
        if header is not None:
            self.show_header(*header)
        view, self._view_before_mount = self._view_before_mount, None
        if view is not None:
            await self._apply(view)
        elif self._load_at_mount:
            self.reload()

    # --- data ----------------------------------------------------------------------------

    @property
    def services(self) -> Services:
        return pylee_app(self).require_services()  # loads run once an org is asked for

    @property
    def user(self) -> str:
        return pylee_app(self).require_user()

    def watch_view(self, view: OrgView | None) -> None:
        for section in self.query(OrgSection):
            section.view = view

    def show_header(self, orgs: list[OrgSummary], slug: str) -> None:
        """The org bar for `slug` from the org list alone, before its view has loaded: start-up
        paints its first frame with it."""
        self.slug = slug
        if not self._composed:
            self._header_before_mount = (orgs, slug)
            return
        summary = next((o for o in orgs if o.slug == slug), None)
        if summary is not None:
            self._show_bar(summary.name, slug, summary.role or "", [o.slug for o in orgs])

    def _show_bar(self, name: str, slug: str, role: str, slugs: list[str]) -> None:
        bar = self.query_one(OrgBar)
        bar.org_name, bar.org_slug = name, slug
        bar.user, bar.role = self.user, role
        bar.position = f"{slugs.index(slug) + 1}/{len(slugs)}" if slug in slugs else ""
        self.sub_title = name

    def show_server_status(self, status: str) -> None:
        """A team server's trouble (unreachable: retrying), in the org bar; "" when it answers."""
        if self._composed:
            self.query_one(OrgBar).server = status
            banner = self.query_one("#server-trouble", Static)
            banner.update(
                f"{escape(status)}: what is shown may be out of date or missing until the "
                "server answers."
                if status
                else ""
            )
            banner.display = bool(status)

    async def show_view(self, view: OrgView) -> None:
        """Show an org whose view the caller already loaded."""
        self.slug = view.org.slug
        pylee_app(self).cancel_calls("org-view")  # a load still on its way is older than this
        if not self._composed:
            self._view_before_mount = view
            return
        await self._apply(view)

    def reload(self) -> None:
        """Load the current org again (after a change here or elsewhere)."""
        if self.slug is None:
            return
        # Loads run in threads and may finish in any order: closing the overview editor
        # reloads this org while a palette jump already loads the next one. Only the load
        # asked for last is shown (or reported gone): a load cancels the one still running,
        # whose answer would put the previous org back under the new slug.
        pylee_app(self).call(
            load_org_view,
            self.services,
            self.user,
            self.slug,
            done=self._apply,
            failed=self._gone,
            group="org-view",
        )

    def show_org(self, slug: str) -> None:
        self.slug = slug
        self._remember = slug
        self.reload()

    def _gone(self, exc: Exception) -> None:
        if isinstance(exc, NotFound):
            self.notify(str(exc), severity="warning")
            if self.slug is not None:
                pylee_app(self).org_vanished(self.slug)
        else:
            self.notify(str(exc), severity="error", title="Could not load")

    async def _apply(self, view: OrgView) -> None:
        if not self._composed:
            return
        self.view = view
        pylee_app(self).org_summaries = view.orgs
        org = view.org
        if self._remember == org.slug:
            # written once the org is shown: the first write of a session may wait for the
            # store's one-time check of the whole file, and the load must not wait behind it
            self._remember = None
            pylee_app(self).remember_org(org.slug)
        self._show_bar(org.name, org.slug, view.role, [o.slug for o in view.orgs])
        overview = await self._overview_pane()
        overview.show_summary(view)
        self._fill_section(self.section)
        self.refresh_bindings()
        # the Markdown once the frame above is painted: it is the slow part
        self.call_after_refresh(self._show_overview, view)
        pylee_app(self).call(
            self.services.approvals.open_count,
            self.user,
            org.slug,
            done=self._show_request_count,
            group="request-count",
        )

    def _show_request_count(self, count: int) -> None:
        """The open change requests in the tab: "7 Requests (2)"."""
        bar = self.query_one(SectionBar)
        label = f"Requests ({count})" if count else "Requests"
        bar.sections = tuple((k, label if k == "requests" else t) for k, t in SECTIONS)
        bar.refresh()

    async def _show_overview(self, view: OrgView) -> None:
        if self.view is view:  # not when another load has landed meanwhile
            await (await self._overview_pane()).show_overview(view)
        if not self._warmed_up:
            self._warmed_up = True
            # once the home is painted: the other sections' modules, so that a first visit
            # builds its section instead of importing it on the key press (0.1 s and more)
            self.call_after_refresh(
                self.run_worker, import_sections, thread=True, group="import-sections"
            )

    def _fill_section(self, key: str) -> None:
        """Load what the section lists, now that it is shown (the org view carries none of it)."""
        panes = self.query(f"#{PANE_IDS[key]}") if key in PANE_IDS else None
        if self.slug is not None and panes:
            panes.first(OrgSection).show_org(self.slug)

    @on(OrgSection.DataChanged)
    def _data_changed(self, event: OrgSection.DataChanged) -> None:
        event.stop()
        self.reload()

    # --- actions -------------------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        allowed = self.view.allowed if self.view else frozenset()
        if action in ("edit_overview", "toggle_toc"):
            if self.section != "overview":
                return False
            return True if action == "toggle_toc" or "org:manage" in allowed else None
        if action == "settings":
            if self.section == "clients":
                return False  # s syncs there (the palette still opens the settings)
            return True if "org:manage" in allowed else None
        if action == "quit":
            return not isinstance(self.focused, (Input, TextArea))
        return True

    def action_section(self, key: str, then: Callable[[], object] | None = None) -> None:
        """Show section `key`; `then` runs once it is built and shown its org (the palette's
        and the timeline's next step: a vault action, the invite form)."""
        self.section = key
        switcher = self.query_one(ContentSwitcher)
        # focus the section's list: never leave it on a hidden widget (a hidden filter input
        # would swallow the next number key); a section built now, once it is mounted
        self.set_focus(None)
        if key in self._being_built:
            if then is not None:
                self._being_built[key].append(then)
        elif not switcher.query(f"#{key}"):
            # keys typed right after the section key go to its list once it has focus
            self.hold_keys_until_focus()
            self._being_built[key] = [then] if then is not None else []
            mounted = switcher.mount(self._section_widgets(key))
            self.run_worker(self._fill_once_mounted(mounted, key), group="section-build")
        else:
            self._fill_section(key)
            lists = self._section_lists(key)
            if lists:
                self.hold_keys_until_focus()
                lists.first().focus()
            if then is not None:
                self.call_later(then)
        switcher.current = key
        self.query_one(SectionBar).active = key

    def _section_lists(self, key: str) -> DOMQuery[Widget]:
        return self.query_one(f"#{key}").query("RegistryTree, ClientTree, DataTable, VirtualTable")

    async def _fill_once_mounted(self, mounted: AwaitMount, key: str) -> None:
        await mounted
        lists = self._section_lists(key)
        if lists and self.section == key and self.focused is None:
            # its list takes focus before its load starts (a list showing that it is loading
            # takes neither focus nor keys): the keys typed meanwhile are handed to it now
            self.set_focus(lists.first())
        # the load once those keys have gone their way (a refresh comes after them)
        self.call_after_refresh(self._section_built, key)

    def _section_built(self, key: str) -> None:
        self._fill_section(key)
        # what waited for the section: on this screen's queue (the app's may be busy with the
        # palette command that waits for it)
        for then in self._being_built.pop(key, []):
            self.call_later(then)

    @on(SectionBar.Chosen)
    def _section_clicked(self, event: SectionBar.Chosen) -> None:
        self.action_section(event.key)

    def action_switch_org(self) -> None:
        pylee_app(self).action_switch_org()

    def action_cycle_org(self, step: int) -> None:
        if not self.view or len(self.view.orgs) < 2:
            self.notify("There is no other organization yet. Press o, then ctrl+n to create one.")
            return
        slugs = [o.slug for o in self.view.orgs]
        index = slugs.index(self.slug) if self.slug in slugs else 0
        # the app's path: anything open above this screen is closed (and asked) first
        pylee_app(self).switch_to_org(slugs[(index + step) % len(slugs)])

    def action_quit(self) -> None:
        pylee_app(self).action_quit()

    def action_compare(self) -> None:
        from pylee_tui.screens.org_compare import open_org_compare

        open_org_compare(pylee_app(self))

    async def action_toggle_toc(self) -> None:
        (await self._overview_pane()).toggle_toc()

    def action_edit_overview(self) -> None:
        if not self.view:
            return
        from pylee_tui.screens.overview_editor import OverviewEditorScreen
        from pylee_tui.widgets.markdown_document import MarkdownDocument

        org, user, orgs = self.view.org, self.user, self.services.orgs

        def save(text: str, base, force: bool):
            return orgs.edit(
                user, org.slug, overview=text, overview_base=base, force=force
            ).overview_base

        def load():
            fresh = orgs.get_org(user, org.slug)
            return fresh.overview, fresh.overview_base

        document = MarkdownDocument(
            f"{org.name} · overview", org.slug, org.overview, org.overview_base, save, load
        )
        self.app.push_screen(
            OverviewEditorScreen(document, user, self.view.role),
            callback=lambda _saved: self.reload(),
        )

    def action_settings(self) -> None:
        if not self.view:
            return
        from pylee_tui.dialogs.org_settings import OrgSettingsScreen

        org = self.view.org

        def save(values: dict[str, str]):
            return self.services.orgs.edit(
                self.user,
                org.slug,
                name=values["name"],
                new_slug=values["slug"],
                description=values["description"],
            )

        self.app.push_screen(OrgSettingsScreen(org, save), callback=self._settings_closed)

    def _settings_closed(self, result) -> None:
        from pylee_tui.dialogs.org_settings import DELETE
        from pylee_tui.models import Organization

        if result == DELETE:
            self._confirm_delete()
        elif isinstance(result, Organization):
            self.notify(f"Saved {result.name}.", timeout=3)
            self.show_org(result.slug)

    def _confirm_delete(self) -> None:
        from pylee_tui.dialogs.type_to_confirm import TypeToConfirmScreen

        org = self.view.org if self.view else None
        if org is None:
            return
        pylee_app(self).call(
            self.services.orgs.contents,
            self.user,
            org.slug,
            done=lambda report: self.app.push_screen(
                TypeToConfirmScreen(
                    f"Delete {org.name}?",
                    f"This removes the organization and everything in it: {report.describe()}. "
                    "Its audit trail is kept. This cannot be undone.",
                    org.slug,
                ),
                callback=lambda yes: self._delete(org) if yes else None,
            ),
        )

    def _delete(self, org: Organization) -> None:
        def done(report) -> None:
            self.notify(f"Deleted {org.name} and {report.describe()}.", timeout=5)
            pylee_app(self).org_vanished(org.slug)

        pylee_app(self).call(self.services.orgs.delete, self.user, org.slug, done=done)

    def vault_action(self, action: str, *args: str) -> None:
        """Run a vault pane action (from the palette), opening section 4 first."""

        def run() -> None:
            from pylee_tui.sections.vault.pane import VaultPane

            pane = self.query_one(VaultPane)
            if pane.check_action(action, args):
                getattr(pane, f"action_{action}")(*args)

        if self.section != "vault" or "vault" in self._being_built:
            self.action_section("vault", then=run)
        else:
            self.call_after_refresh(run)

    def on_onboarding_timeline_step_selected(self, event: OnboardingTimeline.StepSelected) -> None:
        step = event.step
        if step.section == "overview":
            if self.view and not self.view.org.description.strip():
                self.action_settings()
            else:
                self.action_edit_overview()
            return
        allowed = self.view.allowed if self.view else frozenset()
        if step.done:
            self.action_section(step.section)
        elif step.section == "members" and "members:manage" in allowed:
            self.action_section(step.section, then=self._invite_member)
        elif step.section == "registries" and "registries:write" in allowed:
            self.action_section(step.section, then=self._new_registry)
        elif step.section == "vault":
            self.vault_action("new")
        else:
            self.action_section(step.section)

    def _invite_member(self) -> None:
        from pylee_tui.sections.members.pane import MembersPane

        self.query_one(MembersPane).action_invite()

    def _new_registry(self) -> None:
        from pylee_tui.sections.registries.browser import RegistryBrowser

        self.query_one(RegistryBrowser).new_registry()

    # --- what the registries section asks for: screens of this layer ---------------------
    # (handlers named for RegistryBrowser's messages, so this module need not import it)

    def on_registry_browser_open_server(self, event: RegistryBrowser.OpenServer) -> None:
        from pylee_tui.screens.server_detail import ServerScreen

        event.stop()
        role = self.view.role if self.view else ""
        screen = ServerScreen(event.org, event.registry, event.server, role)
        # saved under a new name: the cursor follows it
        self.app.push_screen(
            screen,
            callback=lambda _changed: event.browser.server_closed(event.registry, screen.name_),
        )

    def on_registry_browser_edit_overview(self, event: RegistryBrowser.EditOverview) -> None:
        from pylee_tui.screens.overview_editor import OverviewEditorScreen

        event.stop()
        role = self.view.role if self.view else ""
        self.app.push_screen(
            OverviewEditorScreen(event.document, self.user, role),
            callback=lambda _saved: event.browser.overview_closed(),
        )
