"""PyleeApp: screens, bindings, the command palette, theme, and the one path for service calls.

Every service call from the UI goes through `PyleeApp.call`: it runs in a thread worker, the result
comes back on the UI thread, and a refused call becomes a notification (or the caller's inline
message) instead of a crash.

The vault is app-wide: `with_vault` asks for its passphrase (or a first one) before a secret
operation, ctrl+l locks it, and it locks itself after `vault_idle_lock` seconds without a key
press or mouse event. `vault_changed` tells the panes, so a revealed value never outlives the lock.

Unsaved work is never closed silently: a screen holding edits (`UnsavedWork`) is asked before
anything closes it. Quitting (ctrl+q, q on the org screen, the palette's Quit) and every jump
from the palette (another org, a section, settings, the switcher) go through `_leave`, which asks
each such screen Save / Discard / Cancel on the way down to the org screen.
"""

from __future__ import annotations

import contextlib
import inspect
import os
import sqlite3
import traceback
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from time import monotonic
from typing import TYPE_CHECKING, Any, Protocol, cast, runtime_checkable

from textual import events, work
from textual.app import App
from textual.binding import Binding
from textual.screen import Screen
from textual.signal import Signal
from textual.timer import Timer
from textual.worker import Worker, get_current_worker

from pylee_tui.safe_text import escape
from pylee_tui.screens.org import OrgScreen, import_overview
from pylee_tui.sections.org_view import load_org_view
from pylee_tui.services import PyleeError, Services
from pylee_tui.store import Store, StoreError, describe_sqlite_error
from pylee_tui.terminal_guard import install_terminal_guard
from pylee_tui.vault_session import VAULT_IDLE_SETTING, VaultSession
from pylee_tui.widgets.typeahead import note_key_screen, redeliver_stale_key

if TYPE_CHECKING:
    from textual.command import Provider

    from pylee_tui.models import Member, OrgSummary
    from pylee_tui.team.remote import RemoteServices

# Start-up imports what the org screen's first frame needs: the palette, the dialogs and the
# other screens are imported where first opened (each import is paid before that frame otherwise)

THEME_SETTING = "theme"
LAST_ORG_SETTING = "last_org:{user}"
UNREACHABLE = "server unreachable — retrying"


@runtime_checkable
class UnsavedWork(Protocol):
    """A screen that may hold edits not saved yet (the overview editor, the raw server.json
    editor). The app asks it before anything closes it; it needs no import of this class."""

    @property
    def has_unsaved_changes(self) -> bool: ...

    def ask_before_leaving(self, then: Callable[[], object]) -> None:
        """Ask Save / Discard / Cancel. After a save that succeeded, or Discard, close the
        screen and call `then`; after Cancel, or a save that failed, stay and never call it."""


def _unsaved(screen: object) -> bool:
    return isinstance(screen, UnsavedWork) and screen.has_unsaved_changes


def _palette() -> type[Provider]:
    from pylee_tui.commands import PyleeCommands

    return PyleeCommands


def _startup_error(message: str) -> Screen[Any]:
    from pylee_tui.screens.error import StartupErrorScreen

    return StartupErrorScreen(message)


def _welcome(user: str | None) -> Screen[str]:
    from pylee_tui.screens.welcome import WelcomeScreen

    return WelcomeScreen(user)


def _first_org(orgs: list[OrgSummary], last: str | None) -> str | None:
    """The org shown at start-up: the one shown last, else the first by name."""
    slugs = [o.slug for o in orgs]
    return (last if last in slugs else slugs[0]) if slugs else None


class PyleeApp(VaultSession):
    CSS_PATH = "app.tcss"
    TITLE = "pylee-tui"
    COMMANDS = App.COMMANDS | {_palette}  # imported when the palette first opens
    BINDINGS = [
        Binding("question_mark", "help", "Help", id="app.help"),
        Binding("ctrl+q", "quit", "Quit", id="app.quit", priority=True),
        Binding(
            "ctrl+l",
            "lock_vault",
            "Lock vault",
            id="app.lock_vault",
            show=False,
            priority=True,
            tooltip="Forget the vault key; revealed secrets hide",
        ),
    ]

    def __init__(
        self,
        db_path: str | Path | None = None,
        user: str | None = None,
        *,
        remote: RemoteServices | None = None,
        clock: Callable[[], datetime] | None = None,
        watch_interval: float = 1.5,
        vault_idle_lock: float = 15 * 60,
        idle_clock: Callable[[], float] = monotonic,
    ) -> None:
        """`vault_idle_lock`: seconds without input before the vault locks itself (0: never);
        a choice saved from the command palette replaces it at start-up. `idle_clock` is what
        the idle lock measures time with (seconds, only differences count): a test moves it.

        `remote`: work against a team server (`app_team`) instead of the store at `db_path`;
        every `watch_interval` seconds the app asks the server's change number (`poll_changes`)."""
        install_terminal_guard()
        super().__init__()
        if (db_path is None) == (remote is None):
            raise ValueError("PyleeApp needs a db_path or a remote, not both")
        self.db_path = Path(db_path) if db_path is not None else Path()
        self.remote = remote
        self.server_status = ""  # UNREACHABLE (or the server's refusal) while polls fail
        self.requested_user = user
        self.clock = clock
        self.watch_interval = watch_interval
        self.services: Services | None = None
        self._clipboard_holds_secret = False
        self.user: str | None = None
        self.org_summaries: list[OrgSummary] = []
        self._data_version: int | None = None
        self._booted = False
        self._watching = False
        self.vault_idle_lock = vault_idle_lock
        self.vault_changed: Signal[bool] = Signal(self, "vault-changed")  # True: unlocked
        self.idle_clock = idle_clock
        self._last_input = idle_clock()
        self._idle_timer: Timer | None = None

    # --- start-up ------------------------------------------------------------------------

    def on_mount(self) -> None:
        self.theme_changed_signal.subscribe(self, self._theme_changed)
        self._boot()

    @work(thread=True, exclusive=True, group="boot")
    def _boot(self) -> None:
        try:
            services = self._open_services()
            user = services.identity.resolve(self.requested_user, os.environ.get("PYLEE_USER"))
            theme = services.settings.get_setting(THEME_SETTING)
            idle_lock = services.settings.get_setting(VAULT_IDLE_SETTING)
            joined: list[Member] = []
            orgs: list[OrgSummary] = []
            first: str | None = None
            if user:
                orgs = services.orgs.list_orgs(user)
                last = services.settings.get_setting(LAST_ORG_SETTING.format(user=user))
                first = _first_org(orgs, last)
                if first is not None:
                    # the first frame: the org bar and the tabs, from the list of orgs alone
                    self.call_from_thread(self._first_frame, services, user, theme, orgs, first)
                import_overview()  # what the org's view shows next, while that frame paints
                # launching as an invited email accepts the invitations waiting for it
                pending = services.members.pending_for(user)
                joined = [services.members.accept(user, slug) for slug in pending]
                if joined:
                    orgs = services.orgs.list_orgs(user)
                    first = first or _first_org(orgs, last)
            view = load_org_view(services, user, first) if user and first else None
        except (StoreError, PyleeError) as exc:
            self.call_from_thread(self.push_screen, _startup_error(str(exc)))
            return
        except sqlite3.Error as exc:
            message = describe_sqlite_error(exc, self.db_path)
            self.call_from_thread(self.push_screen, _startup_error(message))
            return
        # mypy cannot solve call_from_thread's `T | Awaitable[T]` for a coroutine function
        self.call_from_thread(
            self._booted_with,  # type: ignore[arg-type]
            services,
            user,
            theme,
            orgs,
            view,
            joined,
            idle_lock,
        )

    def _open_services(self) -> Services:
        if self.remote is not None:
            from pylee_tui.app_team import TeamAppServices

            # stands where Services stands (the same methods, answered by the server)
            return cast("Services", TeamAppServices(self.remote))
        store = Store(self.db_path)
        return Services(store) if self.clock is None else Services(store, self.clock)

    def _first_frame(
        self, services: Services, user: str, theme: str | None, orgs: list[OrgSummary], first: str
    ) -> None:
        """Show the org bar and the tabs at once; the org's view follows (`_booted_with`)."""
        self.services = services
        self.user = user
        self.org_summaries = orgs
        if theme and theme in self.available_themes:
            self.theme = theme
        self.org_screen.show_header(orgs, first)

    def require_services(self) -> Services:
        """The services, for a screen that exists only once start-up opened the store (every
        screen but the start-up error; the welcome comes after the store opened)."""
        if self.services is None:
            raise RuntimeError("a screen used the store before start-up opened it")
        return self.services

    def require_user(self) -> str:
        """The acting user, for a screen that exists only once the user is known (an org is
        shown, a dialog opened from one)."""
        if self.user is None:
            raise RuntimeError("a screen acted for a user before the user was known")
        return self.user

    def get_default_screen(self) -> OrgScreen:
        # the org screen is the base of the stack: start-up fills it rather than pushing one
        return OrgScreen()

    @property
    def org_screen(self) -> OrgScreen:
        # the base of the stack from the start (get_default_screen), never popped
        return cast(OrgScreen, self.screen_stack[0])

    async def _booted_with(
        self, services, user, theme, orgs, view, joined=(), idle_lock=None
    ) -> None:
        for membership in joined:
            org = next((o for o in orgs if o.id == membership.org_id), None)
            if org is not None:
                self.notify(f"You joined {org.name} as {membership.role}.", timeout=6)
        self.services = services
        self.user = user
        self.org_summaries = orgs
        if theme and theme in self.available_themes:
            self.theme = theme
        if idle_lock is not None:
            with contextlib.suppress(ValueError):
                self.vault_idle_lock = float(idle_lock)
        self._arm_idle_lock()
        self._booted = True
        if user is None or view is None:
            self.push_screen(_welcome(user), callback=self._welcomed)
            return
        asked = self.org_screen.slug
        if asked is not None and asked != view.org.slug:
            # another org was asked for (`]`, the switcher) while start-up loaded this one: its
            # own load shows it, and this older answer must not put the first org back
            self._start_watching()
            return
        await self.org_screen.show_view(view)
        self._start_watching()

    def _welcomed(self, slug: str | None) -> None:
        if slug:
            self._open_org(slug)

    def _open_org(self, slug: str) -> None:
        """Show `slug` in the org screen (remembered for the next launch)."""
        self.org_screen.show_org(slug)
        self._start_watching()

    def _start_watching(self) -> None:
        if not self._watching:
            self._watching = True
            self.set_interval(self.watch_interval, self._watch_store)

    # --- the one path for service calls --------------------------------------------------

    def call(
        self,
        fn: Callable[..., Any],
        *args: Any,
        done: Callable[[Any], Any] | None = None,
        failed: Callable[[Exception], Any] | None = None,
        group: str | None = None,
        **kwargs: Any,
    ) -> Worker:
        """Run a blocking service call in a thread; `done(result)` or `failed(exc)` back on the UI.

        Without `failed`, a refused call is shown as a notification with the service's message.

        `group` names a purpose whose newest answer alone counts ("org-view": the org shown):
        a call cancels the one of its group still running, and a cancelled call's answer (or
        refusal) never reaches its callbacks, so an older answer landing late cannot overwrite
        a newer one. Its thread still runs to its end: a service call is not interrupted.
        """

        def job() -> None:
            worker = get_current_worker()
            try:
                result = fn(*args, **kwargs)
                self._say_vault_notes()
            except (PyleeError, StoreError) as exc:
                self._say_vault_notes()
                self.call_from_thread(self._failed, exc, failed, worker)
                return
            except sqlite3.Error as exc:
                error = StoreError(describe_sqlite_error(exc, self.db_path))
                self.call_from_thread(self._failed, error, failed, worker)
                return
            except Exception as exc:  # a bug: say so, keep the app alive
                self.log.error("service call failed", exc)
                self.call_from_thread(
                    self._failed,
                    RuntimeError(f"unexpected error: {type(exc).__name__}: {exc}"),
                    None,
                )
                return
            if done is not None and not worker.is_cancelled:
                # (mypy cannot solve call_from_thread's `T | Awaitable[T]` for a coroutine)
                self.call_from_thread(self._deliver, done, result, worker)  # type: ignore[arg-type]

        return self.run_worker(
            job,
            thread=True,
            group=group or "service",
            exclusive=group is not None,
            exit_on_error=False,
        )

    def _say_vault_notes(self) -> None:
        """Against a team server: what a membership change did to an org's secrets key, or
        left undone (rotating it needs the team key unlocked: `vault rotate` then), said once.
        In the call's thread, after the call."""
        if self.remote is not None:
            for note in self.remote.vault.take_notes():
                self.call_from_thread(self.notify, note, title="Secrets key", timeout=10)

    def cancel_calls(self, group: str) -> None:
        """Drop the answers of the calls of `group` still running (see `call`)."""
        self.workers.cancel_group(self, group)

    async def _deliver(self, done: Callable[[Any], Any], result: Any, worker: Worker) -> None:
        """Hand a result to its callback on the UI thread, unless a newer call of its group has
        cancelled it (checked here, on the UI thread, where cancelling happens). A bug in the
        callback is said, not swallowed by the worker; only the exception's type is shown (its
        text might quote a value)."""
        if worker.is_cancelled:
            return
        try:
            outcome = done(result)
            if inspect.isawaitable(outcome):
                await outcome
        except Exception as exc:
            # where it failed, without the message: the message might quote a value
            where = "".join(traceback.format_tb(exc.__traceback__))
            self.log.error(f"result callback failed: {type(exc).__name__}\n{where}")
            self.notify(
                f"unexpected error: {type(exc).__name__} (details in the log)",
                severity="error",
                title="Bug",
            )

    def notify(self, message: str, *, title: str = "", markup: bool = False, **kwargs: Any) -> None:
        """Messages quote names and values (a draft's name, a refused key): shown escaped, and
        never read as markup (a name holding `[link=…]` stays text)."""
        super().notify(
            escape(message, multiline=True), title=escape(title), markup=markup, **kwargs
        )

    def _failed(
        self,
        exc: Exception,
        failed: Callable[[Exception], Any] | None,
        worker: Worker | None = None,
    ) -> Any:
        if worker is not None and worker.is_cancelled:
            return None  # refused, but superseded by a newer call of its group
        if type(exc).__name__ == "Unreachable":  # said once, in the org bar and a notification
            self._server_trouble(str(exc), UNREACHABLE)
            return failed(exc) if failed is not None else None
        if failed is not None:
            return failed(exc)
        if type(exc).__name__ == "ChangeRequested":  # kept for an approver: not a refusal
            self.notify(str(exc), title="Sent for approval", timeout=6)
            return None
        self.notify(str(exc), severity="error", title="Refused")
        return None

    # --- orgs ----------------------------------------------------------------------------

    def remember_org(self, slug: str) -> None:
        if self.services and self.user:
            self.call(
                self.services.settings.set_setting, LAST_ORG_SETTING.format(user=self.user), slug
            )

    def switch_to_org(self, slug: str) -> None:
        """Show another org (the palette, `]`/`[`, the switcher): screens above the org screen
        close first, and unsaved work there is asked about."""
        self.leave_to_org_screen(lambda: self._open_org(slug))

    def org_vanished(self, slug: str) -> None:
        """The shown org was deleted (here or elsewhere): go to another, or to the welcome."""
        services, user = self.services, self.user
        if services is None or user is None:
            return

        def next_org(orgs: list[OrgSummary]) -> None:
            self.org_summaries = orgs
            if orgs:
                self._open_org(orgs[0].slug)
                return
            self.org_screen.slug = None
            self.push_screen(_welcome(user), callback=self._welcomed)

        self.call(services.orgs.list_orgs, user, done=next_org)

    def action_switch_org(self) -> None:
        self.leave_to_org_screen(self._open_switcher)

    def _open_switcher(self) -> None:
        if self.services is None or self.user is None:
            return
        from pylee_tui.dialogs.org_switcher import OrgSwitcherScreen

        current = self.screen.slug if isinstance(self.screen, OrgScreen) else None
        services, user = self.services, self.user
        # at once, with the orgs known: keys typed right after `o` go to its filter; the
        # switcher lists them again itself (in a worker)
        self.push_screen(
            OrgSwitcherScreen(
                self.org_summaries, current, load=lambda: services.orgs.list_orgs(user)
            ),
            callback=self._switcher_closed,
        )

    def _switcher_closed(self, choice: str | None) -> None:
        from pylee_tui.dialogs.org_switcher import NEW_ORG

        if choice == NEW_ORG:
            self.action_new_org()
        elif choice:
            self.switch_to_org(choice)

    def action_new_org(self) -> None:
        self.leave_to_org_screen(self._new_org)

    def _new_org(self) -> None:
        services, user = self.services, self.user
        if services is None or user is None:
            return

        from pylee_tui.dialogs.org_form import OrgFormScreen

        def create(values: dict[str, str]):
            return services.orgs.create(
                user, values["name"], slug=values["slug"] or None, description=values["description"]
            )

        def created(org) -> None:
            if org is not None:
                self.notify(f"Created {org.name}; you are its admin.", timeout=4)
                self.switch_to_org(org.slug)

        self.push_screen(OrgFormScreen(create), callback=created)

    def action_edit_overview(self) -> None:
        def edit() -> None:
            self.org_screen.action_section("overview")
            self.org_screen.action_edit_overview()

        self.leave_to_org_screen(edit)

    def action_org_settings(self) -> None:
        self.leave_to_org_screen(lambda: self.org_screen.action_settings())

    def action_show_section(self, key: str) -> None:
        self.leave_to_org_screen(lambda: self.org_screen.action_section(key))

    # --- leaving screens: the unsaved-changes guard ----------------------------------------

    def leave_to_org_screen(self, then: Callable[[], object]) -> None:
        """Close every screen above the org screen, then run `then`. A screen with unsaved
        work asks Save / Discard / Cancel first; Cancel (or a failed save) stops here."""
        self._leave(then, quitting=False)

    # App's is a coroutine that exits at once; this one asks about unsaved work first
    def action_quit(self) -> None:  # type: ignore[override]
        """ctrl+q, `q` on the org screen and the palette's Quit: unsaved work is asked about
        first, from the top screen down."""
        self._leave(self.exit, quitting=True)

    def _leave(self, then: Callable[[], object], *, quitting: bool) -> None:
        stack = self.screen_stack
        if quitting and not any(_unsaved(screen) for screen in stack):
            then()
            return
        # the welcome or the start-up error (classes imported only when shown)
        if any(getattr(screen, "SHOWS_NO_ORG", False) for screen in stack):
            return  # no org shown yet (or the store did not open): nowhere to go
        if len(stack) == 1:
            then()
            return
        top = self.screen
        if isinstance(top, UnsavedWork) and top.has_unsaved_changes:
            # once it has closed, carry on down (after its pop has been processed)
            top.ask_before_leaving(lambda: self.call_later(self._leave, then, quitting=quitting))
            return
        # a dialog, a list, a detail screen: nothing of its own to lose
        self.pop_screen()
        self.call_later(self._leave, then, quitting=quitting)

    def action_help(self) -> None:
        from pylee_tui.dialogs.help import HelpScreen

        if not isinstance(self.screen, HelpScreen):
            self.push_screen(HelpScreen(self.screen))

    # --- the vault ------------------------------------------------------------------------

    async def on_event(self, event: events.Event) -> None:
        if isinstance(event, (events.Key, events.MouseEvent)):
            self._last_input = self.idle_clock()
        if isinstance(event, events.Key) and not event.is_forwarded:
            note_key_screen(self, event)
        await super().on_event(event)

    def on_key(self, event: events.Key) -> None:
        # a key typed right after one that opened a screen belongs to the new screen
        # (screens/typeahead.py); one typed for a screen that has closed is dropped
        if redeliver_stale_key(self, event):
            event.prevent_default()
            return
        self._say_why_disabled(event)

    def _say_why_disabled(self, event: events.Key) -> None:
        """A key of a disabled binding says why, instead of doing nothing. Asked here, once the
        key has come back to the app, not in the widget that has it: a key typed right after one
        that opened a screen above reaches the old widget first, and belongs to the new screen."""
        active = self.screen.active_bindings.get(event.key)
        if active is not None and active.enabled:
            return
        # the nearest node that binds the key (a hidden binding is not among the active ones)
        node, binding = next(
            (
                (node, found[0])
                for node, bindings in self.screen._modal_binding_chain
                if (found := bindings.key_to_bindings.get(event.key))
            ),
            (None, None),
        )
        why_not = getattr(node, "why_not", None)
        reason = why_not(binding.action.split("(")[0]) if why_not and binding else None
        if reason:
            event.prevent_default()
            self.notify(reason, severity="warning", timeout=5)

    def action_vault(self, action: str, *args: str) -> None:
        """A vault pane action from the palette: opens section 4 first."""
        self.leave_to_org_screen(lambda: self.org_screen.vault_action(action, *args))

    # --- watching for changes made elsewhere ---------------------------------------------

    def _watch_store(self) -> None:
        if self.services is None:
            return
        if self.remote is not None:
            self.poll_changes()
            return
        self.call(self.services.store.data_version, done=self._data_version_seen)

    def _data_version_seen(self, version: int, *, reload: bool = False) -> None:
        changed = self._data_version is not None and version != self._data_version
        self._data_version = version
        if changed or reload:
            for screen in self.screen_stack:
                if isinstance(screen, OrgScreen):
                    screen.reload()

    def poll_changes(self) -> None:
        """Against a team server: ask its change number (one poll at a time, group "feed");
        when it has moved, the org screen loads again what it shows, as for a local change
        (a form open above it keeps its text: it is not reloaded)."""
        services = self.services
        if services is None or self.remote is None:
            return
        changes = cast("Callable[[], int]", getattr(services, "changes"))  # noqa: B009
        self.call(changes, done=self._changes_seen, failed=self._poll_failed, group="feed")

    def _changes_seen(self, number: int) -> None:
        back = bool(self.server_status)
        if back:
            self._server_trouble("", "")
        # back from an outage: what failed to load meanwhile loads now, changed or not
        self._data_version_seen(number, reload=back)

    def _poll_failed(self, exc: Exception) -> None:
        if type(exc).__name__ != "Unreachable":  # e.g. the token revoked: the server's words
            self._server_trouble(str(exc), str(exc))

    def _server_trouble(self, message: str, status: str) -> None:
        """Say once that the server fails (`status`, in the org bar too), or that it is back
        (""): a notification per change of state, not one per failed call."""
        if status == self.server_status:
            return
        self.server_status = status
        self.sub_title = status or (self.remote.url if self.remote is not None else "")
        for screen in self.screen_stack:
            if isinstance(screen, OrgScreen):
                screen.show_server_status(status)
        if status:
            self.log.warning(message)
            self.notify(status, severity="warning", title="Team server", timeout=8)
        else:
            self.notify("The team server answers again.", title="Team server", timeout=4)

    # --- theme ---------------------------------------------------------------------------

    def _theme_changed(self, theme) -> None:
        if self.services is not None and self._booted:
            self.call(self.services.settings.set_setting, THEME_SETTING, theme.name)


def run_app(
    db_path: Path | None = None, user: str | None = None, remote: RemoteServices | None = None
) -> int:
    """The app on the store at `db_path`, or against the team server `remote` talks to (the
    member's keys leave memory with the app)."""
    if remote is None:
        PyleeApp(db_path=db_path, user=user).run()
        return 0
    try:
        PyleeApp(remote=remote).run()
    finally:
        remote.close()
    return 0
