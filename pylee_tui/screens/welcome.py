"""First launch: who you are (once), then your first organization, or the demo's sample orgs."""

from __future__ import annotations

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Center, Horizontal, Vertical
from textual.screen import Screen
from textual.widgets import Button, Input, Label, Static

from pylee_tui.dialogs.form import ModelRule
from pylee_tui.dialogs.org_form import OrgFormScreen
from pylee_tui.safe_text import escape
from pylee_tui.services.demo import load_demo
from pylee_tui.widgets.footer import PyleeFooter
from pylee_tui.widgets.pylee_app import pylee_app

WELCOME = """[b]Welcome to pylee-tui[/b]

Run your MCP infrastructure from the terminal: organizations, registries of MCP servers, \
members, and the variables and secrets they need, all on this machine."""


class WelcomeScreen(Screen[str]):
    """Asks for the email (unless known), then creates the first org; dismisses with its slug."""

    HELP_TITLE = "welcome"
    BINDINGS = [Binding("ctrl+q", "app.quit", "Quit", id="welcome.quit")]
    SHOWS_NO_ORG = True  # no org screen below it to go back to (the app imports it lazily)

    def __init__(self, user: str | None) -> None:
        super().__init__()
        self.user = user

    def compose(self) -> ComposeResult:
        with Center(), Vertical(id="welcome", classes="dialog"):
            yield Static(WELCOME, id="welcome-text")
            with Vertical(id="email-step"):
                yield Label("Your email (it names you in the audit log and to your team)")
                yield Input(
                    placeholder="you@example.com",
                    id="welcome-email",
                    validators=[ModelRule("email")],
                    validate_on=["changed", "submitted"],
                )
                yield Static("", id="welcome-email-error", classes="field-error")
                yield Button("Continue", id="welcome-continue", variant="primary")
            with Vertical(id="org-step"):
                yield Static("", id="welcome-user")
                yield Static(
                    "Next: create your first organization, or look around a sample one first: "
                    "the demo loads three orgs with registries of real MCP servers, members and "
                    "variables (you are admin of each; delete them any time)."
                )
                with Horizontal(id="welcome-choices"):
                    yield Button("Create organization", id="welcome-create-org", variant="primary")
                    yield Button("Load the demo", id="welcome-demo")
                yield Static("", id="welcome-demo-error", classes="field-error")
        yield PyleeFooter()

    def on_mount(self) -> None:
        if self.user:
            self._show_org_step()
        else:
            self.query_one("#org-step").display = False
            self.query_one("#welcome-email", Input).focus()

    @on(Input.Changed, "#welcome-email")
    def _email_changed(self, event: Input.Changed) -> None:
        result = event.validation_result
        message = "" if result is None or result.is_valid else result.failure_descriptions[0]
        self.query_one("#welcome-email-error", Static).update(message)

    @on(Input.Submitted, "#welcome-email")
    @on(Button.Pressed, "#welcome-continue")
    def _email_submitted(self) -> None:
        value = self.query_one("#welcome-email", Input).value
        app = pylee_app(self)
        app.call(
            app.require_services().identity.save,
            value,
            done=self._email_saved,
            failed=lambda exc: self.query_one("#welcome-email-error", Static).update(str(exc)),
        )

    def _email_saved(self, email: str) -> None:
        self.user = email
        pylee_app(self).user = email
        self._show_org_step()

    def _show_org_step(self) -> None:
        self.query_one("#email-step").display = False
        org_step = self.query_one("#org-step")
        org_step.display = True
        self.query_one("#welcome-user", Static).update(
            Text.assemble("Signed in as ", (escape(self.user or ""), "bold"), ".")
        )
        self.query_one("#welcome-create-org", Button).focus()

    @on(Button.Pressed, "#welcome-demo")
    def _load_demo(self) -> None:
        """The demo's sample orgs, without secrets (the vault is not opened here): the Personal
        Lab's registry needs none, so it exports straight away."""
        self.query_one("#welcome-demo", Button).disabled = True
        app = pylee_app(self)
        app.call(
            load_demo,
            app.require_services(),
            self.user,
            done=self._demo_loaded,
            failed=self._demo_failed,
        )

    def _demo_loaded(self, slugs: list[str]) -> None:
        self.notify(
            "Loaded the demo. Its secrets were left out: add them in the vault (4); the "
            "Personal Lab's Experiments registry exports as it is (2, then x).",
            timeout=8,
        )
        self.dismiss(slugs[0])

    def _demo_failed(self, exc: Exception) -> None:
        self.query_one("#welcome-demo", Button).disabled = False
        self.query_one("#welcome-demo-error", Static).update(Text(escape(str(exc))))

    @on(Button.Pressed, "#welcome-create-org")
    def _open_org_form(self) -> None:
        services = pylee_app(self).require_services()
        user = self.user
        if user is None:  # the org step shows only once the email is known
            return

        def create(values: dict[str, str]):
            return services.orgs.create(
                user, values["name"], slug=values["slug"] or None, description=values["description"]
            )

        self.app.push_screen(
            OrgFormScreen(create, title="Your first organization"), callback=self._org_created
        )

    def _org_created(self, org) -> None:
        if org is not None:
            self.dismiss(org.slug)
