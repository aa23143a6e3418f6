"""The org screen: header, section tabs (1-5), the overview with its onboarding timeline."""

from __future__ import annotations

from dataclasses import dataclass

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import Screen
from textual.widgets import (
    ContentSwitcher,
    DataTable,
    Footer,
    MarkdownViewer,
    Static,
    Tab,
    Tabs,
)

from pylee_tui.models import (
    Member,
    Organization,
    OrgSummary,
    RegistrySummary,
    Variable,
    plural,
)
from pylee_tui.screens.form import FormField, FormScreen
from pylee_tui.screens.org_settings import DELETE, OrgSettingsScreen
from pylee_tui.screens.overview_editor import OverviewEditorScreen
from pylee_tui.screens.type_to_confirm import TypeToConfirmScreen
from pylee_tui.services import NotFound, Services
from pylee_tui.services.onboarding import OnboardingState
from pylee_tui.widgets.onboarding_timeline import OnboardingTimeline
from pylee_tui.widgets.org_bar import OrgBar

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
    variables: list[Variable]


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
        variables=services.variables.list(user, slug),
    )


class OrgScreen(Screen[None]):
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
        Binding("n", "new_item", "New", id="section.new"),
        Binding("i", "invite", "Invite", id="members.invite"),
    ]

    def __init__(self, slug: str) -> None:
        super().__init__()
        self.slug = slug
        self.view: OrgView | None = None
        self.section = "overview"

    # --- layout --------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        yield OrgBar()
        yield Tabs(
            *(Tab(f"{i} {label}", id=f"tab-{key}") for i, (key, label) in enumerate(SECTIONS, 1))
        )
        with ContentSwitcher(initial="overview", id="sections"):
            with Horizontal(id="overview"):
                with Vertical(id="org-main"):
                    yield Static("", id="org-name")
                    yield Static("", id="org-description")
                    yield MarkdownViewer(
                        EMPTY_OVERVIEW, show_table_of_contents=False, id="org-overview"
                    )
                with VerticalScroll(id="org-side"):
                    yield OnboardingTimeline(id="timeline")
            with Vertical(id="registries", classes="section"):
                yield Static("", classes="section-title", id="registries-title")
                yield DataTable(cursor_type="row", zebra_stripes=True, id="registries-table")
                yield Static(
                    "The registry tree, server editor and import arrive with the registries "
                    "work. Today: [b]n[/b] creates a registry.",
                    classes="empty-note",
                )
            with Vertical(id="members", classes="section"):
                yield Static("", classes="section-title", id="members-title")
                yield DataTable(cursor_type="row", zebra_stripes=True, id="members-table")
                yield Static(
                    "Roles, grants and removal arrive with the members work. "
                    "Today: [b]i[/b] invites someone by email.",
                    classes="empty-note",
                )
            with Vertical(id="vault", classes="section"):
                yield Static("", classes="section-title", id="vault-title")
                yield DataTable(cursor_type="row", zebra_stripes=True, id="vault-table")
                yield Static(
                    "Secrets, inheritance and encryption arrive with the vault work. "
                    "Today: [b]n[/b] sets an organization variable.",
                    classes="empty-note",
                )
            with Vertical(id="audit", classes="section"):
                yield Static("Audit log", classes="section-title")
                yield Static(
                    "The audit screen arrives with the members work. Every change is already "
                    "recorded: run [b]pylee-tui audit --org SLUG[/b] to read it.",
                    classes="empty-note",
                )
        yield Footer(compact=True)

    def on_mount(self) -> None:
        self.query_one("#registries-table", DataTable).add_columns("Registry", "Slug", "Servers")
        self.query_one("#members-table", DataTable).add_columns("Email", "Role", "Status")
        self.query_one("#vault-table", DataTable).add_columns("Key", "Value", "Updated by")
        self.query_one("#org-overview", MarkdownViewer).can_focus = True
        self.reload()

    # --- data ----------------------------------------------------------------------------

    @property
    def services(self) -> Services:
        return self.app.services  # type: ignore[attr-defined]

    @property
    def user(self) -> str:
        return self.app.user  # type: ignore[attr-defined]

    def reload(self) -> None:
        """Load the current org again (after a change here or elsewhere)."""
        self.app.call(  # type: ignore[attr-defined]
            load_org_view, self.services, self.user, self.slug, done=self._apply, failed=self._gone
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
            _escape(org.description) if org.description else "[dim]No description yet.[/dim]"
        )
        if previous is None or previous.org.overview != org.overview or previous.org.id != org.id:
            viewer = self.query_one("#org-overview", MarkdownViewer)
            await viewer.document.update(org.overview or EMPTY_OVERVIEW)
        self.query_one(OnboardingTimeline).state = view.onboarding
        self._fill_tables(view)
        self.refresh_bindings()

    def _fill_tables(self, view: OrgView) -> None:
        registries = self.query_one("#registries-table", DataTable)
        registries.clear()
        for r in view.registries:
            registries.add_row(r.name, r.slug, str(r.server_count), key=str(r.id))
        self.query_one("#registries-title", Static).update(
            f"Registries · {plural(len(view.registries), 'registry')}"
        )
        members = self.query_one("#members-table", DataTable)
        members.clear()
        for m in view.members:
            members.add_row(m.email, m.role, m.status, key=str(m.id))
        self.query_one("#members-title", Static).update(
            f"Members · {plural(len(view.members), 'member')}"
        )
        variables = self.query_one("#vault-table", DataTable)
        variables.clear()
        for v in view.variables:
            variables.add_row(v.key, v.value or "", v.updated_by, key=str(v.id))
        self.query_one("#vault-title", Static).update(
            f"Organization variables · {len(view.variables)}"
        )

    # --- actions -------------------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        allowed = self.view.allowed if self.view else frozenset()
        if action in ("edit_overview", "toggle_toc"):
            if self.section != "overview":
                return False
            return True if action == "toggle_toc" or "org:manage" in allowed else None
        if action == "settings":
            return True if "org:manage" in allowed else None
        if action == "new_item":
            if self.section == "registries":
                return True if "registries:write" in allowed else None
            if self.section == "vault":
                return True if "variables:write" in allowed else None
            return False
        if action == "invite":
            if self.section != "members":
                return False
            return True if "members:manage" in allowed else None
        return True

    def action_section(self, key: str) -> None:
        self.section = key
        self.query_one(ContentSwitcher).current = key
        tabs = self.query_one(Tabs)
        if tabs.active != f"tab-{key}":
            tabs.active = f"tab-{key}"
        self.refresh_bindings()

    @on(Tabs.TabActivated)
    def _tab_activated(self, event: Tabs.TabActivated) -> None:
        key = (event.tab.id or "").removeprefix("tab-")
        if key and key != self.section:
            self.action_section(key)

    def action_switch_org(self) -> None:
        self.app.action_switch_org()  # type: ignore[attr-defined]

    def action_cycle_org(self, step: int) -> None:
        if not self.view or len(self.view.orgs) < 2:
            self.notify("There is no other organization yet. Press o, then n to create one.")
            return
        slugs = [o.slug for o in self.view.orgs]
        index = slugs.index(self.slug) if self.slug in slugs else 0
        self.show_org(slugs[(index + step) % len(slugs)])

    def action_toggle_toc(self) -> None:
        viewer = self.query_one("#org-overview", MarkdownViewer)
        viewer.show_table_of_contents = not viewer.show_table_of_contents

    def action_edit_overview(self) -> None:
        if not self.view:
            return
        self.app.push_screen(
            OverviewEditorScreen(self.view.org, self.user, self.view.role),
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

    def action_new_item(self) -> None:
        if self.section == "registries":
            self._new_registry()
        elif self.section == "vault":
            self._new_variable()

    def _new_registry(self) -> None:
        def create(values: dict[str, str]):
            return self.services.registries.create(
                self.user, self.slug, values["name"], values["slug"] or None, values["description"]
            )

        self._form(
            FormScreen(
                "New registry",
                [
                    FormField("name", "Name", "name", placeholder="Core Tools"),
                    FormField(
                        "slug", "Slug", "slug", placeholder="derived from the name", optional=True
                    ),
                    FormField("description", "Description", "description", optional=True),
                ],
                create,
                submit_label="Create",
            ),
            lambda reg: f"Created registry {reg.name}.",
        )

    def _new_variable(self) -> None:
        def create(values: dict[str, str]):
            return self.services.variables.set_variable(
                self.user, self.slug, values["key"], values["value"]
            )

        self._form(
            FormScreen(
                "New organization variable",
                [
                    FormField("key", "Key", "variable_key", placeholder="LOG_LEVEL"),
                    FormField("value", "Value", "variable_value", placeholder="info"),
                ],
                create,
                submit_label="Set",
                intro="Variables are plain text. Secrets (encrypted) arrive with the vault.",
            ),
            lambda var: f"Set {var.key}.",
        )

    def action_invite(self) -> None:
        def invite(values: dict[str, str]):
            return self.services.members.invite(
                self.user, self.slug, values["email"], values["role"]
            )

        self._form(
            FormScreen(
                "Invite a member",
                [
                    FormField("email", "Email", "email", placeholder="bea@example.com"),
                    FormField("role", "Role (admin or member)", "role", value="member"),
                ],
                invite,
                submit_label="Invite",
            ),
            lambda member: f"Invited {member.email} as {member.role}.",
        )

    def _form(self, form: FormScreen, message) -> None:
        def closed(result) -> None:
            if result is not None:
                self.notify(message(result), timeout=3)
                self.reload()

        self.app.push_screen(form, callback=closed)

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
        if step.section == "members" and self.check_action("invite", ()):
            self.action_invite()
        elif step.section in ("registries", "vault") and self.check_action("new_item", ()):
            self.action_new_item()


def _escape(text: str) -> str:
    return text.replace("[", r"\[")
