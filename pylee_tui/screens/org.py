"""The org screen: header, section tabs (1-5), the overview with its onboarding timeline; the
other sections are panes built on first visit."""

from __future__ import annotations

from dataclasses import dataclass

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import Screen
from textual.widgets import ContentSwitcher, Input, MarkdownViewer, Static, TextArea

from pylee_tui.dialogs.org_settings import DELETE, OrgSettingsScreen
from pylee_tui.dialogs.type_to_confirm import TypeToConfirmScreen
from pylee_tui.models import Member, Organization, OrgSummary, RegistrySummary
from pylee_tui.safe_text import escape
from pylee_tui.screens.overview_editor import MarkdownDocument, OverviewEditorScreen
from pylee_tui.sections.audit.pane import AuditPane
from pylee_tui.sections.members.pane import MembersPane
from pylee_tui.sections.registries.browser import RegistryBrowser
from pylee_tui.sections.vault.pane import VaultPane
from pylee_tui.services import NotFound, Services
from pylee_tui.services.onboarding import OnboardingState
from pylee_tui.widgets.footer import PyleeFooter
from pylee_tui.widgets.onboarding_timeline import OnboardingTimeline
from pylee_tui.widgets.org_bar import OrgBar
from pylee_tui.widgets.safe_markdown import SafeMarkdownViewer
from pylee_tui.widgets.section_bar import SectionBar
from pylee_tui.widgets.typeahead import TypeAhead

SECTIONS = (
    ("overview", "Overview"),
    ("registries", "Registries"),
    ("members", "Members"),
    ("vault", "Vault"),
    ("audit", "Audit"),
)
EMPTY_OVERVIEW = "*No overview yet.* Press **e** to write one in the split editor."


@dataclass(frozen=True)
class OrgView:
    """Everything the org screen shows, loaded in one worker call."""

    org: Organization
    role: str
    allowed: frozenset[str]
    orgs: list[OrgSummary]
    onboarding: OnboardingState
    registries: list[RegistrySummary]
    members: list[Member]


def load_org_view(services: Services, user: str, slug: str) -> OrgView:
    org = services.orgs.get(user, slug)
    return OrgView(
        org=org,
        role=services.orgs.role(user, slug),
        allowed=services.access.allowed(user, slug),
        orgs=services.orgs.list(user),
        onboarding=services.onboarding.state(user, slug),
        registries=services.registries.list(user, slug),
        members=services.members.list(user, slug),
    )


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
        Binding("e", "edit_overview", "Edit", id="overview.edit", tooltip="Edit the overview"),
        Binding("t", "toggle_toc", "TOC", id="overview.toc", tooltip="Table of contents"),
        Binding("s", "settings", "Settings", id="org.settings"),
        # k9s/lazygit habit; never while a text field has focus (it types the q)
        Binding("q", "quit", "Quit", show=False, id="org.quit", tooltip="Quit (asks first)"),
    ]

    def __init__(self, slug: str | None = None) -> None:
        """Without a slug the screen waits, empty, for `show_view` (the app's start-up)."""
        super().__init__()
        self.slug = slug
        self.view: OrgView | None = None
        self._loads = 0  # counts views asked for: only the latest one asked is shown
        self.overview_shown: str | None = None
        self.section = "overview"

    # --- layout --------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        yield OrgBar()
        yield SectionBar(SECTIONS, id="section-bar")
        with ContentSwitcher(initial="overview", id="sections"), Horizontal(id="overview"):
            with Vertical(id="org-main"):
                yield Static("", id="org-name")
                yield Static("", id="org-description")
                yield SafeMarkdownViewer("", show_table_of_contents=False, id="org-overview")
            with VerticalScroll(id="org-side"):
                yield OnboardingTimeline(id="timeline")
        yield PyleeFooter()

    def _section_widgets(self, key: str) -> Vertical:
        """The other sections are built on first visit: start-up only pays for the overview."""
        panes = {
            "registries": lambda: RegistryBrowser(id="registry-browser"),
            "members": lambda: MembersPane(id="members-pane"),
            "vault": lambda: VaultPane(id="vault-pane"),
            "audit": lambda: AuditPane(id="audit-pane"),
        }
        return Vertical(panes[key](), id=key, classes="section")

    def on_mount(self) -> None:
        self.query_one("#org-overview", MarkdownViewer).can_focus = True
        if self.slug is not None:
            self.reload()

    # --- data ----------------------------------------------------------------------------

    @property
    def services(self) -> Services:
        return self.app.services  # type: ignore[attr-defined]

    @property
    def user(self) -> str:
        return self.app.user  # type: ignore[attr-defined]

    async def show_view(self, view: OrgView) -> None:
        """Show an org whose view the caller already loaded."""
        self.slug = view.org.slug
        self._loads += 1  # a load still on its way is older than this view
        await self._apply(view)

    def reload(self) -> None:
        """Load the current org again (after a change here or elsewhere)."""
        if self.slug is None:
            return
        # Loads run in threads and may finish in any order: closing the overview editor
        # reloads this org while a palette jump already loads the next one. Only the load
        # asked for last is shown (or reported gone); an older one landing after it would
        # put the previous org back under the new slug.
        self._loads += 1
        load = self._loads

        async def loaded(view: OrgView) -> None:
            if load == self._loads:
                await self._apply(view)

        def failed(exc: Exception) -> None:
            if load == self._loads:
                self._gone(exc)

        self.app.call(  # type: ignore[attr-defined]
            load_org_view, self.services, self.user, self.slug, done=loaded, failed=failed
        )

    def show_org(self, slug: str) -> None:
        self.slug = slug
        self.app.remember_org(slug)  # type: ignore[attr-defined]
        self.reload()

    def _gone(self, exc: Exception) -> None:
        if isinstance(exc, NotFound):
            self.notify(str(exc), severity="warning")
            self.app.org_vanished(self.slug)  # type: ignore[attr-defined]
        else:
            self.notify(str(exc), severity="error", title="Could not load")

    async def _apply(self, view: OrgView) -> None:
        if not self.is_mounted:
            return
        previous = self.view
        self.view = view
        self.app.org_summaries = view.orgs  # type: ignore[attr-defined]
        org = view.org
        bar = self.query_one(OrgBar)
        bar.org_name, bar.org_slug = org.name, org.slug
        bar.user, bar.role = self.user, view.role
        slugs = [o.slug for o in view.orgs]
        bar.position = f"{slugs.index(org.slug) + 1}/{len(slugs)}" if org.slug in slugs else ""
        self.sub_title = org.name
        self.query_one("#org-name", Static).update(
            f"[b]{_escape(org.name)}[/b]  [dim]{org.slug}[/dim]"
        )
        self.query_one("#org-description", Static).update(
            _escape(escape(org.description))
            if org.description
            else "[dim]No description yet.[/dim]"
        )
        self.query_one(OnboardingTimeline).state = view.onboarding
        self._fill_section(self.section)
        self.refresh_bindings()
        # the Markdown last: it is the slow part, and everything above is already on screen
        stale = previous is None or (previous.org.overview, previous.org.id) != (
            org.overview,
            org.id,
        )
        if stale:
            viewer = self.query_one("#org-overview", SafeMarkdownViewer)
            await viewer.show(org.overview or EMPTY_OVERVIEW)
        self.overview_shown = org.overview

    def _fill_section(self, key: str) -> None:
        if key == "registries" and self.slug and self.query("#registry-browser"):
            self.query_one(RegistryBrowser).show_org(self.slug)
            return
        if key == "audit" and self.slug and self.query("#audit-pane"):
            self.query_one(AuditPane).show_org(self.slug)
            return
        if key == "members" and self.view and self.query("#members-pane"):
            self.query_one(MembersPane).show(self.view.members)
            return
        if key == "vault" and self.slug and self.query("#vault-pane"):
            self.query_one(VaultPane).show_org(self.slug)

    # --- actions -------------------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        allowed = self.view.allowed if self.view else frozenset()
        if action in ("edit_overview", "toggle_toc"):
            if self.section != "overview":
                return False
            return True if action == "toggle_toc" or "org:manage" in allowed else None
        if action == "settings":
            return True if "org:manage" in allowed else None
        if action == "quit":
            return not isinstance(self.focused, (Input, TextArea))
        return True

    def action_section(self, key: str) -> None:
        self.section = key
        switcher = self.query_one(ContentSwitcher)
        # focus the section's list: never leave it on a hidden widget (a hidden filter input
        # would swallow the next number key); a section built just now focuses itself
        self.set_focus(None)
        if not switcher.query(f"#{key}"):
            # keys typed right after the section key go to its list once it has focus
            self.hold_keys_until_focus()
            switcher.mount(self._section_widgets(key))
            self.call_after_refresh(self._fill_section, key)
        else:
            self._fill_section(key)
            lists = switcher.query_one(f"#{key}").query("RegistryTree, DataTable")
            if lists:
                self.hold_keys_until_focus()
                lists.first().focus()
        switcher.current = key
        self.query_one(SectionBar).active = key
        self.refresh_bindings()

    @on(SectionBar.Chosen)
    def _section_clicked(self, event: SectionBar.Chosen) -> None:
        self.action_section(event.key)

    def action_switch_org(self) -> None:
        self.app.action_switch_org()  # type: ignore[attr-defined]

    def action_cycle_org(self, step: int) -> None:
        if not self.view or len(self.view.orgs) < 2:
            self.notify("There is no other organization yet. Press o, then ctrl+n to create one.")
            return
        slugs = [o.slug for o in self.view.orgs]
        index = slugs.index(self.slug) if self.slug in slugs else 0
        # the app's path: anything open above this screen is closed (and asked) first
        self.app.switch_to_org(slugs[(index + step) % len(slugs)])  # type: ignore[attr-defined]

    def action_quit(self) -> None:
        self.app.action_quit()  # type: ignore[attr-defined]

    def action_toggle_toc(self) -> None:
        viewer = self.query_one("#org-overview", MarkdownViewer)
        viewer.show_table_of_contents = not viewer.show_table_of_contents

    def action_edit_overview(self) -> None:
        if not self.view:
            return
        org, user, orgs = self.view.org, self.user, self.services.orgs

        def save(text: str, base, force: bool):
            return orgs.set_overview(
                user, org.slug, text, base=base, force=force
            ).overview_updated_at

        def load():
            fresh = orgs.get(user, org.slug)
            return fresh.overview, fresh.overview_updated_at

        document = MarkdownDocument(
            f"{org.name} · overview", org.slug, org.overview, org.overview_updated_at, save, load
        )
        self.app.push_screen(
            OverviewEditorScreen(document, user, self.view.role),
            callback=lambda _saved: self.reload(),
        )

    def action_settings(self) -> None:
        if not self.view:
            return
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
        if result == DELETE:
            self._confirm_delete()
        elif isinstance(result, Organization):
            self.notify(f"Saved {result.name}.", timeout=3)
            self.show_org(result.slug)

    def _confirm_delete(self) -> None:
        org = self.view.org if self.view else None
        if org is None:
            return
        self.app.call(  # type: ignore[attr-defined]
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
            self.app.org_vanished(org.slug)  # type: ignore[attr-defined]

        self.app.call(  # type: ignore[attr-defined]
            self.services.orgs.delete, self.user, org.slug, done=done
        )

    def vault_action(self, action: str, *args: str) -> None:
        """Run a vault pane action (from the palette), opening section 4 first."""
        if self.section != "vault":
            self.action_section("vault")

        def run() -> None:
            pane = self.query_one(VaultPane)
            if pane.check_action(action, args):
                getattr(pane, f"action_{action}")(*args)

        self.call_after_refresh(run)

    @on(OnboardingTimeline.StepSelected)
    def _step_selected(self, event: OnboardingTimeline.StepSelected) -> None:
        step = event.step
        if step.section == "overview":
            if self.view and not self.view.org.description.strip():
                self.action_settings()
            else:
                self.action_edit_overview()
            return
        self.action_section(step.section)
        if step.done:
            return
        if step.section == "members" and "members:manage" in (
            self.view.allowed if self.view else ()
        ):
            self.call_after_refresh(lambda: self.query_one(MembersPane).action_invite())
        elif step.section == "registries" and "registries:write" in (
            self.view.allowed if self.view else ()
        ):
            self.call_after_refresh(lambda: self.query_one(RegistryBrowser).new_registry())
        elif step.section == "vault":
            self.vault_action("new")


def _escape(text: str) -> str:
    return text.replace("[", r"\[")
