"""Reading secrets in the vault section: v reveals a value (for `reveal_seconds`, or until the
vault locks), c copies it. Either needs the vault unlocked (its passphrase is asked for) and is
an audit event; a variable embedding a secret decrypts only the secrets it is made of."""

from __future__ import annotations

from functools import partial
from typing import TYPE_CHECKING, Any

from pylee_tui.safe_text import escape
from pylee_tui.sections.vault.rows import Row
from pylee_tui.services import VaultLocked

if TYPE_CHECKING:
    from pylee_tui.sections.vault.pane import VaultPane


class SecretReads:
    """The vault pane's reads of plaintext; the pane decides whether a key applies."""

    def __init__(self, pane: VaultPane) -> None:
        self.pane = pane

    def secret_call(self, reason: str, fn, *args: Any, done, **kwargs: Any) -> None:
        """Call `fn` in a worker once the vault is unlocked (asking for the passphrase)."""
        pane = self.pane
        app = pane.pylee_app

        def attempt() -> None:
            app.call(fn, *args, done=done, failed=failed, **kwargs)

        def failed(exc: Exception) -> None:
            if isinstance(exc, VaultLocked):
                app.with_vault(attempt, reason=reason)
            else:
                pane.refused(exc)

        app.with_vault(attempt, reason=reason)

    def plaintext(self, row: Row, purpose: str, done) -> None:
        """The value of `row` in full: decrypted (and audited) for a secret or what embeds one."""
        pane = self.pane
        user, where = pane.user, pane.scope.up_to(row.level or "org")
        variables = pane.services.variables
        if row.kind == "secret":
            self.secret_call(
                f"To {purpose} {row.key} the vault must be unlocked.",
                variables.reveal,
                user,
                where,
                row.key,
                purpose=purpose,
                done=done,
            )
            return
        self.secret_call(
            f"{row.key} embeds a secret: to {purpose} it the vault must be unlocked.",
            variables.reveal_effective,
            user,
            pane.scope,
            row.key,
            purpose=purpose,
            done=done,
        )

    def reveal(self) -> None:
        pane = self.pane
        row = pane.selected
        if row is None or not pane.check_action("reveal", ()):
            return
        if row.ident in pane.revealed:
            pane.mask(row.ident)  # v again hides it
            return

        def show(value: str | None) -> None:
            if value is None:
                pane.notify(escape(f"{row.key} has no usable value."), severity="warning")
                return
            pane.revealed[row.ident] = value
            old = pane.reveal_timers.pop(row.ident, None)
            if old is not None:
                old.stop()
            pane.reveal_timers[row.ident] = pane.set_timer(
                pane.reveal_seconds, partial(pane.mask, row.ident)
            )
            pane.redraw(row.ident)

        self.plaintext(row, "reveal", show)

    def copy(self) -> None:
        pane = self.pane
        row = pane.selected
        if row is None or not pane.check_action("copy", ()):
            return

        def copy(value: str | None) -> None:
            if value is None:
                pane.notify(escape(f"{row.key} has no usable value to copy."), severity="warning")
                return
            if row.secretive:
                pane.pylee_app.copy_secret_to_clipboard(value)

            else:
                pane.app.copy_to_clipboard(value)
            pane.notify(escape(f"Copied {row.key} to the clipboard."), timeout=3)

        if not row.secretive:
            copy(row.value if row.value is not None else row.raw)
            return
        self.plaintext(row, "copy", copy)
