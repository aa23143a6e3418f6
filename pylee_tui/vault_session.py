"""The vault as the app holds it: unlocked when something needs it (with the key the unlock
agent holds, else its passphrase, or a first one chosen), locked on ctrl+l and after a while
without input (the clipboard's copied secret cleared with it), its passphrase changed. A part of
the app (`PyleeApp` is a `VaultSession`), in a module of its own."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from textual.app import App

if TYPE_CHECKING:
    from textual.signal import Signal
    from textual.timer import Timer
    from textual.worker import Worker

    from pylee_tui.services import Services

VAULT_IDLE_SETTING = "vault_idle_lock"
TEAM_KEY_MISSING = "There is no team key on this machine: `pylee-tui join` the server again."
VAULT_IDLE_CHOICES = (
    ("300", "5 minutes"),
    ("900", "15 minutes"),
    ("1800", "30 minutes"),
    ("3600", "1 hour"),
    ("0", "never"),
)


def describe_seconds(seconds: float) -> str:
    if seconds >= 60:
        minutes = seconds / 60
        return f"{minutes:g} minute{'s' if minutes != 1 else ''}"
    return f"{seconds:g} second{'s' if seconds != 1 else ''}"


class VaultSession(App[None]):
    """The app's vault: what `PyleeApp` provides it is declared here for the type checker."""

    if TYPE_CHECKING:
        services: Services | None
        user: str | None
        vault_idle_lock: float
        vault_changed: Signal[bool]
        idle_clock: Callable[[], float]
        _last_input: float
        _idle_timer: Timer | None
        _clipboard_holds_secret: bool

        def call(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Worker: ...

    def with_vault(
        self,
        then: Callable[[], Any],
        reason: str = "",
        cancelled: Callable[[], Any] | None = None,
    ) -> None:
        """Run `then` once the vault is unlocked: at once, with the key the unlock agent holds,
        after its passphrase, or (for the store's first secret) after choosing one. `cancelled`
        runs if the person gives up."""
        services = self.services
        if services is None:
            return
        if services.vault.unlocked:
            then()
            return

        def status_after_agent() -> tuple[Any, bool]:
            """The vault's status, after asking the unlock agent for its key (a worker: the
            agent may take up to its 2 s timeout to prove absent)."""
            from pylee_tui.agent.client import unlock_from_agent

            by_agent = unlock_from_agent(services.vault)
            return services.vault.status(), by_agent

        def ask(found: tuple[Any, bool]) -> None:
            from pylee_tui.dialogs.choose_passphrase import ChoosePassphraseScreen
            from pylee_tui.dialogs.unlock_vault import VaultUnlockScreen

            status, by_agent = found
            if status.unlocked:  # by the agent, or meanwhile
                if by_agent:
                    self.vault_changed.publish(True)
                then()
                return
            if not status.initialized and getattr(services, "is_team", False):
                # a team key is chosen by `join`, never here: this machine has none
                self.notify(TEAM_KEY_MISSING, severity="warning", timeout=8)
                if cancelled is not None:
                    cancelled()
                return
            team = bool(getattr(services, "is_team", False))
            screen = (
                VaultUnlockScreen(reason, team=team)
                if status.initialized
                else ChoosePassphraseScreen(reason)
            )

            def closed(ok: bool | None) -> None:
                if ok:
                    then()
                elif cancelled is not None:
                    cancelled()

            self.push_screen(screen, callback=closed)

        self.call(status_after_agent, done=ask)

    def action_lock_vault(self) -> None:
        self.lock_vault()

    def lock_vault(self, message: str = "Vault locked") -> None:
        """Forget the data key now; every revealed value hides."""
        if self.services is None:
            return
        self.services.vault.lock()
        if self._clipboard_holds_secret:
            # a copied secret must not outlive the unlock: ctrl+v in the app would paste it
            # (the terminal's own clipboard, set by OSC 52, is overwritten too)
            self.copy_to_clipboard("")
            self._clipboard_holds_secret = False
        self.vault_changed.publish(False)
        self.notify(message, timeout=4)

    def copy_secret_to_clipboard(self, value: str) -> None:
        """Copy a secret's plaintext; locking the vault clears it again."""
        self.copy_to_clipboard(value)
        self._clipboard_holds_secret = True

    def _arm_idle_lock(self) -> None:
        if self._idle_timer is not None:
            self._idle_timer.stop()
            self._idle_timer = None
        limit = self.vault_idle_lock
        if limit and limit > 0:
            # checked a few times per period: the lock comes at most a fifth late (30 s at most)
            every = max(0.05, min(limit / 5, 30.0))
            self._idle_timer = self.set_interval(every, self._check_idle)

    def _check_idle(self) -> None:
        services = self.services
        if services is None or not services.vault.unlocked:
            return
        if self.idle_clock() - self._last_input >= self.vault_idle_lock:
            self.lock_vault(
                f"Vault locked after {describe_seconds(self.vault_idle_lock)} without input."
            )

    def set_vault_idle_lock(self, seconds: float) -> None:
        """Change (and remember) how long the vault stays unlocked without input."""
        self.vault_idle_lock = seconds
        self._last_input = self.idle_clock()

        self._arm_idle_lock()
        if self.services is not None:
            self.call(self.services.settings.set_setting, VAULT_IDLE_SETTING, f"{seconds:g}")

    def action_vault_idle_lock(self) -> None:
        current = f"{self.vault_idle_lock:g}"
        items = [
            (value, f"{label}{'  (current)' if value == current else ''}")
            for value, label in VAULT_IDLE_CHOICES
        ]

        def picked(choice: str | None) -> None:
            if choice is None:
                return
            self.set_vault_idle_lock(float(choice))
            seconds = float(choice)
            self.notify(
                f"The vault locks after {describe_seconds(seconds)} without input."
                if seconds
                else "The vault no longer locks itself; ctrl+l locks it.",
                timeout=4,
            )

        from pylee_tui.dialogs.pick import PickScreen

        self.push_screen(PickScreen("Lock the vault after… without input", items), callback=picked)

    def action_vault_passwd(self) -> None:
        """Change the vault passphrase (the CLI's `vault passwd`)."""
        services = self.services
        if services is None:
            return

        def ask(status) -> None:
            from pylee_tui.dialogs.change_passphrase import ChangePassphraseScreen

            if not status.initialized:
                self.notify(
                    "The vault has no passphrase yet: it is chosen with the first secret.",
                    severity="warning",
                )
                return
            # refused (not an admin of every org with secrets) before any passphrase is typed
            self.call(
                services.vault.check_change_passphrase,
                self.user,
                done=lambda _: self.push_screen(ChangePassphraseScreen()),
            )

        self.call(services.vault.status, done=ask)
