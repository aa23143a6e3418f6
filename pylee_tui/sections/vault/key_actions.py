"""The writes the vault section's keys make: n new, e edit (or override here, or define a missing
key), d delete and u its undo, h history (and roll back). Each asks in a dialog, calls the
services in a worker and has the pane load what changed."""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING

from pylee_tui.dialogs.choice import confirm
from pylee_tui.dialogs.variable_form import VariableFormScreen
from pylee_tui.dialogs.variable_history import VariableHistoryScreen
from pylee_tui.models import Variable, VariableKind
from pylee_tui.safe_text import escape
from pylee_tui.sections.vault.rows import DEFINED, DELETED, Row
from pylee_tui.services import Scope
from pylee_tui.services.variables import DeletedKey

if TYPE_CHECKING:
    from pylee_tui.sections.vault.pane import VaultPane


@dataclass(frozen=True)
class Undo:
    """The last delete made here, which `u` takes back (while its scope is shown)."""

    scope: Scope
    key: str
    kind: str
    deletion: int  # the version that deleted it: a later change makes the undo refuse


class KeyActions:
    """The vault pane's writes; the pane decides whether a key applies (`check_action`)."""

    def __init__(self, pane: VaultPane) -> None:
        self.pane = pane

    def saved(self, variable, where: str | None = None) -> None:
        pane = self.pane
        if variable is not None:
            pane.notify(
                escape(f"Saved {variable.key} ({variable.kind}) at {where or pane.label}."),
                timeout=4,
                markup=False,
            )
            pane.undo = None
            if pane.mode == DELETED:
                pane.mode = DEFINED  # show what was just saved (once the scope reloads)
            pane.after_change(variable.key)

    def save_here(self, scope: Scope | None = None):
        """What the form calls to save at the scope shown (or at `scope`)."""
        pane = self.pane
        services, user = pane.services, pane.user
        scope = scope or pane.scope

        def save(key: str, value: str, kind: VariableKind) -> Variable:
            return services.variables.set_key(user, scope, key, value, kind=kind)

        return save

    def new(self) -> None:
        pane = self.pane
        if not pane.org or not pane.check_action("new", ()):
            return
        kinds: list[VariableKind] = [k for k in ("variable", "secret") if pane.may_write(k)]
        row = pane.selected
        cloned = row is not None and row.cloned is not None and "secret" in kinds
        pane.app.push_screen(
            VariableFormScreen(
                f"New variable or secret at {pane.label}",
                self.save_here(),
                # on a secret a clone left without a value: that key, a secret, to type it in
                key=row.key if cloned and row else "",
                kind="secret" if cloned else kinds[0],
                kind_fixed=len(kinds) == 1,
            ),
            callback=self.saved,
        )

    def edit(self) -> None:
        pane = self.pane
        row = pane.selected
        if row is None or not pane.check_action("edit", ()):
            return
        if row.cloned is not None:
            self.set_cloned(row)
            return
        if row.missing is not None:
            title, intro = f"Define {row.key} at {pane.label}", row.missing.description
        elif row.level == pane.scope.level:
            title, intro = f"Edit {row.key} at {pane.label}", ""
        else:
            title = f"Override {row.key} at {pane.label}"
            intro = f"{row.source} defines it; a value here wins for {pane.label}."
        here = row.level == pane.scope.level and row.missing is None
        pane.app.push_screen(
            VariableFormScreen(
                title,
                self.save_here(),
                key=row.key,
                kind=row.kind,
                value=(row.raw or "") if row.kind == "variable" and row.missing is None else "",
                key_fixed=True,
                kind_fixed=here,
                intro=intro,
            ),
            callback=self.saved,
        )

    def set_cloned(self, row: Row) -> None:
        """The value of a secret a clone left without one, set where the clone left it."""
        pane, cloned = self.pane, row.cloned
        assert cloned is not None
        scope = Scope(pane.org_slug, cloned.registry, cloned.server)
        where = scope.label
        pane.app.push_screen(
            VariableFormScreen(
                f"Set {row.key} at {where}",
                self.save_here(scope),
                key=row.key,
                kind="secret",
                key_fixed=True,
                kind_fixed=True,
                intro=f"org clone copied it from {cloned.cloned_from} without its value.",
            ),
            callback=partial(self.saved, where=where),
        )

    def delete(self) -> None:
        pane = self.pane
        row = pane.selected
        if row is None or not pane.org or not pane.check_action("delete", ()):
            return
        after = (
            f"Then the value from {row.overrides[0]} applies here."
            if row.overrides
            else "Nothing above defines it."
        )
        variables, user, scope = pane.services.variables, pane.user, pane.scope

        def delete_it() -> DeletedKey | None:
            variables.unset(user, scope, row.key, kind=row.kind)
            return next((d for d in variables.deleted(user, scope) if d.key == row.key), None)

        def done(deleted: DeletedKey | None) -> None:
            where = scope.label
            if deleted is not None and deleted.restores is not None:
                pane.undo = Undo(scope, row.key, row.kind, deleted.version)
                message = f"Deleted {row.key} at {where}. u undoes it; D lists deleted keys."
            else:
                message = f"Deleted {row.key} at {where}."
            pane.notify(escape(message), timeout=6, markup=False)
            pane.after_change()

        def answered(answer: str | None) -> None:
            if answer == "yes":
                pane.pylee_app.call(delete_it, done=done)

        pane.app.push_screen(
            confirm(
                f"Delete the {row.kind} {row.key} at {pane.label}?",
                f"{after} Its history is kept: u right after undoes the delete, and D lists "
                "the keys deleted here, to roll one back from its history (h).",
                yes="Delete",
                variant="error",
            ),
            callback=answered,
        )

    def undo(self) -> None:
        pane = self.pane
        undo = pane.undo
        if undo is None or not pane.check_action("undo", ()):
            return
        variables, user = pane.services.variables, pane.user
        where = undo.scope.label

        def done(_restored) -> None:
            pane.undo = None
            pane.notify(
                escape(f"Restored {undo.key} at {where} as it was before the delete."),
                timeout=4,
                markup=False,
            )
            pane.after_change(undo.key)

        call = (variables.restore, user, undo.scope, undo.key)
        if undo.kind == "secret":
            pane.reads.secret_call(
                f"Restoring the secret {undo.key} needs the vault key.",
                *call,
                deletion=undo.deletion,
                done=done,
            )
        else:
            pane.pylee_app.call(*call, deletion=undo.deletion, done=done, failed=pane.refused)

    def history(self) -> None:
        pane = self.pane
        row = pane.selected
        if row is None or not pane.check_action("history", ()) or not pane.org:
            return
        services, user = pane.services, pane.user
        where = pane.scope.up_to(row.level or "org")
        note = ""
        if where != pane.scope:
            note = (
                f"{row.key} is not defined at {pane.label}: these are its versions at "
                f"{where.label}, where its value comes from."
            )
            vault = pane.vault_view
            if vault is not None and any(d.key == row.key for d in vault.deleted):
                note += f" It was deleted at {pane.label}: D lists it there."
        restoring = row.deleted is not None

        def rollback(version: int):
            return services.variables.rollback(user, where, row.key, version)

        def closed(changed: bool | None) -> None:
            if not changed:
                return
            pane.undo = None
            if restoring and pane.mode == DELETED:
                pane.mode = DEFINED  # it is back: show it where it lives (once reloaded)
            pane.after_change(row.key)

        pane.app.push_screen(
            VariableHistoryScreen(
                row.key,
                where.label,
                partial(services.variables.history, user, where, row.key),
                rollback,
                can_write=pane.may_write(row.kind),
                note=note,
            ),
            callback=closed,
        )
