"""Section 4 of the org screen: the variables and secrets of one scope (the org, a registry or a
server), as defined there, as the effective configuration it inherits, or as the keys deleted
there (their history is kept, so they can be rolled back).

Keys: n new, e edit (or override / define here), d delete, u undo a delete, v reveal, c copy,
h history, t defined here ↔ effective, D deleted keys, p pick the scope (the tree on the left
picks it too), j/k move. Secrets show masked; a revealed one masks itself again after
`reveal_seconds`, or at once when the vault locks. What the role may not do is shown disabled,
and pressing it says why; the service decides.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial
from typing import Any

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.reactive import var
from textual.timer import Timer
from textual.widgets import Static, Tree

from pylee_tui.dialogs.choice import confirm
from pylee_tui.dialogs.pick import PickScreen
from pylee_tui.dialogs.variable_form import VariableFormScreen
from pylee_tui.dialogs.variable_history import VariableHistoryScreen
from pylee_tui.models import Variable, VariableKind
from pylee_tui.safe_text import escape
from pylee_tui.sections.base import OrgSection
from pylee_tui.sections.vault.detail import empty_text, mode_line, row_detail
from pylee_tui.sections.vault.reasons import why_not
from pylee_tui.sections.vault.rows import (
    DEFINED,
    DELETED,
    EFFECTIVE,
    Row,
    VaultView,
    build_rows,
    load_vault_view,
    scope_from_id,
    scope_id,
    scope_items,
)
from pylee_tui.sections.vault.scope_tree import ScopeTree
from pylee_tui.sections.vault.table import VaultTable
from pylee_tui.services import Scope, VaultLocked
from pylee_tui.services.variables import DeletedKey

__all__ = ["NARROW", "VaultPane"]

NARROW = 90  # below this many columns the scope tree hides (p and the palette pick a scope)


@dataclass(frozen=True)
class Undo:
    """The last delete made here, which `u` takes back (while its scope is shown)."""

    scope: Scope
    key: str
    kind: str
    deletion: int  # the version that deleted it: a later change makes the undo refuse


class VaultPane(OrgSection):
    BINDINGS = [
        Binding("n", "new", "New", id="vault.new", tooltip="New variable or secret"),
        Binding("e", "edit", "Edit", id="vault.edit", tooltip="Edit, or override here"),
        Binding("d", "delete", "Delete", id="vault.delete", tooltip="Delete the key here"),
        Binding("u", "undo", "Undo", id="vault.undo", tooltip="Bring back the key just deleted"),
        Binding("p", "pick_scope", "Scope", id="vault.scope", tooltip="Org, registry or server"),
        Binding("h", "history", "History", id="vault.history", tooltip="Versions, roll back"),
        Binding("t", "toggle_mode", "Effective", id="vault.mode", tooltip="Defined ↔ effective"),
        Binding("D", "deleted", "Deleted", id="vault.deleted", tooltip="Keys deleted here"),
        Binding("v", "reveal", "Reveal", id="vault.reveal", tooltip="Show a secret (audited)"),
        Binding("c", "copy", "Copy", id="vault.copy", tooltip="Copy the value (audited)"),
    ]
    KEY_ACTIONS = {b.key: b.action for b in BINDINGS if isinstance(b, Binding)}
    DEFAULT_CSS = """
    VaultPane { height: 1fr; }
    VaultPane #vault-body { height: 1fr; }
    VaultPane ScopeTree {
        width: 24%;
        max-width: 32;
        min-width: 16;
        height: 1fr;
        border-right: vkey $primary 40%;
        padding-right: 1;
        margin-right: 1;
    }
    VaultPane #vault-main { width: 1fr; height: 1fr; }
    VaultPane #vault-head { height: 1; }
    VaultPane #vault-title {
        width: 1fr;
        text-style: bold;
        text-wrap: nowrap;
        text-overflow: ellipsis;
    }
    VaultPane #vault-lock { width: auto; }
    VaultPane #vault-mode { height: 1; color: $text-muted; margin-bottom: 1; }
    VaultPane VaultTable { height: auto; max-height: 1fr; }
    VaultPane #vault-empty { color: $text-muted; padding-top: 1; }
    VaultPane #vault-detail { height: auto; max-height: 4; padding-top: 1; }
    """

    # what the pane shows: which keys apply depends on both
    # the org's scope once `show_org` names the org (no org yet: an empty slug)
    scope: var[Scope] = var(Scope(""), bindings=True)
    mode: var[str] = var(DEFINED, bindings=True)

    def __init__(self, *, reveal_seconds: float = 30.0, id: str | None = None) -> None:
        super().__init__(id=id)
        self.reveal_seconds = reveal_seconds
        self.org: str | None = None
        self.vault_view: VaultView | None = None
        self.rows: list[Row] = []
        self.revealed: dict[tuple[str | None, str], str] = {}
        self._reveal_timers: dict[tuple[str | None, str], Timer] = {}
        self._cursor_to: str | None = None  # a key just saved: the cursor goes there
        self.undo: Undo | None = None
        self._shown_as: tuple | None = None  # (org, scope, mode) the table shows
        self.initialized: bool | None = None

    def compose(self) -> ComposeResult:
        with Horizontal(id="vault-body"):
            yield ScopeTree(id="vault-scopes")
            with Vertical(id="vault-main"):
                with Horizontal(id="vault-head"):
                    yield Static("", id="vault-title", markup=False)
                    yield Static("", id="vault-lock")
                yield Static("", id="vault-mode")
                yield VaultTable(id="vault-table")
                yield Static("", id="vault-empty", markup=False)
                yield Static("", id="vault-detail")

    def on_mount(self) -> None:
        # the pane spans the app's width: hide the scope tree now, not at the first Resize,
        # which a loaded machine may deliver after the first frame of the section is drawn
        self._fit_width(self.app.size.width)
        self.query_one(VaultTable).focus()
        self.pylee_app.vault_changed.subscribe(self, self._vault_changed)
        self._show_all()

    # --- context -------------------------------------------------------------------------

    def may_write(self, kind: str) -> bool:
        return self.allowed("secrets:write" if kind == "secret" else "variables:write")

    @property
    def org_slug(self) -> str:
        """The org shown: keys act only once there is one."""
        if self.org is None:
            raise RuntimeError("the vault section has no org yet")
        return self.org

    @property
    def label(self) -> str:
        return self.scope.label

    @property
    def selected(self) -> Row | None:
        if not self.rows or not self.composed:
            return None
        key = self.query_one(VaultTable).current_key
        return next((r for r in self.rows if r.id == key), None)

    # --- data ----------------------------------------------------------------------------

    def show_org(self, slug: str) -> None:
        """Show `slug` (its org scope when it is another org), loading afresh."""
        if slug != self.org:
            self.org = slug
            self.scope = Scope(slug)
            self.vault_view = None
            self.undo = None
            self.mask_all()
        self.reload()

    def show_scope(self, scope: Scope) -> None:
        if scope != self.scope:
            self.scope = scope
            self.reload()

    def reload(self) -> None:
        if not self.org:
            return
        # one load at a time: a scope picked while another loads cancels the older load, whose
        # answer (for a scope no longer shown) is then never shown
        self.pylee_app.call(
            load_vault_view,
            self.services,
            self.user,
            self.scope,
            done=self._loaded,
            group="vault-view",
        )

    def _loaded(self, view: VaultView) -> None:
        if self.vault_view is None or self.vault_view.fingerprint() != view.fingerprint():
            self.mask_all(render=False)  # a value may have changed under a revealed one
        self.vault_view = view
        self.scope = view.scope
        self.initialized = view.status.initialized
        self.rows = build_rows(view, self.mode)
        self._show_all()

    def _after_change(self, cursor_to: str | None = None) -> None:
        """Reload everything the org screen shows after a write made here."""
        self._cursor_to = cursor_to
        self.data_changed()

    # --- rendering -----------------------------------------------------------------------

    @property
    def composed(self) -> bool:
        # children exist from compose on (`is_mounted` only turns true after on_mount)
        return bool(self.query("#vault-table"))

    def _show_all(self) -> None:
        if not self.composed:
            return
        vault = self.vault_view
        if vault is not None:
            org_name = self.view.org.name if self.view else (self.org or "org")
            self.query_one(ScopeTree).show(org_name, vault.registries, vault.scope)
        self._show_rows()

    def _show_head(self) -> None:
        if not self.composed:
            return
        self.query_one("#vault-title", Static).update(
            Text(escape(self.label) if self.org else "Vault")
        )
        lock = Text()
        if self.initialized is False:
            lock.append("vault: no passphrase yet", style="dim")
        elif self.unlocked:  # read live: the key may have come or gone by any path
            lock.append("vault unlocked", style="bold green")
            lock.append(" · ctrl+l locks", style="dim")
        else:
            lock.append("vault locked", style="bold yellow")
        self.query_one("#vault-lock", Static).update(lock)
        mode = mode_line(
            self.mode,
            len(self.rows),
            missing=len(self.vault_view.effective.missing) if self.vault_view is not None else 0,
            loaded=self.vault_view is not None,
        )
        self.query_one("#vault-mode", Static).update(mode)

    def _show_rows(self) -> None:
        if not self.composed:
            return
        table = self.query_one(VaultTable)
        current = self.selected.id if self.selected else None
        if self._cursor_to and any(r.id == self._cursor_to for r in self.rows):
            current, self._cursor_to = self._cursor_to, None
        shown_as = (self.org, self.scope, self.mode)
        table.show(
            self.rows,
            mode=self.mode,
            level=self.scope.level,
            revealed=self.revealed,
            cursor=current,
            keep_place=shown_as == self._shown_as,
        )
        self._shown_as = shown_as
        empty = self.query_one("#vault-empty", Static)
        empty.display = self.vault_view is not None and not self.rows
        empty.update(Text(escape(self._empty_text())))
        self._show_detail()
        self._show_head()
        self.refresh_bindings()

    def _empty_text(self) -> str:
        return empty_text(
            self.mode,
            self.scope.level,
            self.label,
            may_add=self.may_write("variable") or self.may_write("secret"),
            deleted=len(self.vault_view.deleted) if self.vault_view is not None else 0,
        )

    def _show_detail(self) -> None:
        row = self.selected
        self.query_one("#vault-detail", Static).update(
            row_detail(
                row,
                may_write=row is not None and self.may_write(row.kind),
                revealed_for=self.reveal_seconds
                if row is not None and row.secretive and row.ident in self.revealed
                else None,
            )
            if row is not None
            else ""
        )

    def on_resize(self) -> None:
        self._fit_width(self.size.width)
        if self.rows:
            self.call_after_refresh(self._show_rows)  # the value column follows the width

    def _fit_width(self, width: int) -> None:
        tree = self.query_one(ScopeTree)
        narrow = width < NARROW
        if tree.display == narrow:
            if narrow and tree.has_focus:
                self.query_one(VaultTable).focus()
            tree.display = not narrow

    @on(VaultTable.RowHighlighted)
    def _moved(self) -> None:
        self._show_detail()
        self.refresh_bindings()

    @on(Tree.NodeHighlighted)
    def _scope_highlighted(self, event: Tree.NodeHighlighted) -> None:
        if event.control.has_focus and event.node.data is not None:
            self.show_scope(event.node.data)

    @on(Tree.NodeSelected)
    def _scope_chosen(self, event: Tree.NodeSelected) -> None:
        if event.node.data is not None:
            self.show_scope(event.node.data)
        self.query_one(VaultTable).focus()

    # --- the vault -----------------------------------------------------------------------

    @property
    def unlocked(self) -> bool:
        return self.services.vault.unlocked

    def _vault_changed(self, unlocked: bool) -> None:
        if unlocked:
            self.initialized = True
        else:
            self.mask_all(render=False)
        self._show_rows()

    def mask_all(self, render: bool = True) -> None:
        for timer in self._reveal_timers.values():
            timer.stop()
        self._reveal_timers.clear()
        had = bool(self.revealed)
        self.revealed.clear()
        if had and render:
            self._show_rows()

    def _mask(self, ident: tuple[str | None, str]) -> None:
        timer = self._reveal_timers.pop(ident, None)
        if timer is not None:
            timer.stop()
        if self.revealed.pop(ident, None) is not None:
            self._show_rows()

    def _refused(self, exc: Exception) -> None:
        self.notify(escape(str(exc)), severity="error", title="Refused", markup=False)

    def _secret_call(self, reason: str, fn, *args: Any, done, **kwargs: Any) -> None:
        """Call `fn` in a worker once the vault is unlocked (asking for the passphrase)."""
        app = self.pylee_app

        def attempt() -> None:
            app.call(fn, *args, done=done, failed=failed, **kwargs)

        def failed(exc: Exception) -> None:
            if isinstance(exc, VaultLocked):
                app.with_vault(attempt, reason=reason)
            else:
                self._refused(exc)

        app.with_vault(attempt, reason=reason)

    def _plaintext(self, row: Row, purpose: str, done) -> None:
        """The value of `row` in full: decrypted (and audited) for a secret or what embeds one."""
        user, where = self.user, self.scope.up_to(row.level or "org")
        variables = self.services.variables
        if row.kind == "secret":
            self._secret_call(
                f"To {purpose} {row.key} the vault must be unlocked.",
                variables.reveal,
                user,
                where,
                row.key,
                purpose=purpose,
                done=done,
            )
            return
        self._secret_call(
            f"{row.key} embeds a secret: to {purpose} it the vault must be unlocked.",
            variables.reveal_effective,
            user,
            self.scope,
            row.key,
            purpose=purpose,
            done=done,
        )

    # --- what may be done, and why not --------------------------------------------------

    def why_not(self, action: str) -> str | None:
        """Why `action` cannot be done on what the pane shows now (None: it can)."""
        return why_not(
            action,
            row=self.selected,
            mode=self.mode,
            level=self.scope.level,
            label=self.label,
            permissions=self.permissions,
            undo=self.undo if self.undo and self.undo.scope == self.scope else None,
        )

    def why_disabled(self, action: str) -> str:
        """The same, as help lists it beside a disabled key ('' when it works)."""
        return self.why_not(action) or ""

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action not in self.KEY_ACTIONS.values():
            return True
        if self.why_not(action) is None:
            return True
        return False if action == "undo" else None  # no undo: hidden, not greyed out

    # --- actions -------------------------------------------------------------------------

    def _switch_mode(self, mode: str) -> None:
        self.mode = mode
        if self.vault_view is not None:
            self.rows = build_rows(self.vault_view, self.mode)
        self._show_rows()

    def action_toggle_mode(self) -> None:
        self._switch_mode(EFFECTIVE if self.mode == DEFINED else DEFINED)

    def action_deleted(self) -> None:
        self._switch_mode(DEFINED if self.mode == DELETED else DELETED)

    def scope_items(self) -> list[tuple[str, str]]:
        """(id, label) of every scope of the org, for the command palette."""
        if self.vault_view is None or not self.org:
            return []
        return scope_items(self.org, self.vault_view.registries)

    def action_scope(self, text: str) -> None:
        """Show the scope with this id (from `scope_items`)."""
        self.show_scope(scope_from_id(self.org_slug, text))
        self.query_one(VaultTable).focus()

    def action_pick_scope(self) -> None:
        if self.vault_view is None or not self.org:
            return
        items = scope_items(self.org, self.vault_view.registries, name_registries=True)
        self.app.push_screen(
            PickScreen("Vault scope", items, highlight=scope_id(self.scope)),
            callback=lambda choice: self.action_scope(choice) if choice else None,
        )

    def _saved(self, variable) -> None:
        if variable is not None:
            self.notify(
                escape(f"Saved {variable.key} ({variable.kind}) at {self.label}."),
                timeout=4,
                markup=False,
            )
            self.undo = None
            if self.mode == DELETED:
                self.mode = DEFINED  # show what was just saved
                if self.vault_view is not None:
                    self.rows = build_rows(self.vault_view, self.mode)
            self._after_change(variable.key)

    def _save_here(self):
        services, user, scope = self.services, self.user, self.scope

        def save(key: str, value: str, kind: VariableKind) -> Variable:
            return services.variables.set_key(user, scope, key, value, kind=kind)

        return save

    def action_new(self) -> None:
        if not self.org or not self.check_action("new", ()):
            return
        kinds: list[VariableKind] = [k for k in ("variable", "secret") if self.may_write(k)]
        self.app.push_screen(
            VariableFormScreen(
                f"New variable or secret at {self.label}",
                self._save_here(),
                kind=kinds[0],
                kind_fixed=len(kinds) == 1,
            ),
            callback=self._saved,
        )

    def action_edit(self) -> None:
        row = self.selected
        if row is None or not self.check_action("edit", ()):
            return
        if row.missing is not None:
            title, intro = f"Define {row.key} at {self.label}", row.missing.description
        elif row.level == self.scope.level:
            title, intro = f"Edit {row.key} at {self.label}", ""
        else:
            title = f"Override {row.key} at {self.label}"
            intro = f"{row.source} defines it; a value here wins for {self.label}."
        here = row.level == self.scope.level and row.missing is None
        self.app.push_screen(
            VariableFormScreen(
                title,
                self._save_here(),
                key=row.key,
                kind=row.kind,
                value=(row.raw or "") if row.kind == "variable" and row.missing is None else "",
                key_fixed=True,
                kind_fixed=here,
                intro=intro,
            ),
            callback=self._saved,
        )

    def action_delete(self) -> None:
        row = self.selected
        if row is None or not self.org or not self.check_action("delete", ()):
            return
        after = (
            f"Then the value from {row.overrides[0]} applies here."
            if row.overrides
            else "Nothing above defines it."
        )
        variables, user, scope = self.services.variables, self.user, self.scope

        def delete_it() -> DeletedKey | None:
            variables.unset(user, scope, row.key, kind=row.kind)
            return next((d for d in variables.deleted(user, scope) if d.key == row.key), None)

        def done(deleted: DeletedKey | None) -> None:
            where = scope.label
            if deleted is not None and deleted.restores is not None:
                self.undo = Undo(scope, row.key, row.kind, deleted.version)
                message = f"Deleted {row.key} at {where}. u undoes it; D lists deleted keys."
            else:
                message = f"Deleted {row.key} at {where}."
            self.notify(escape(message), timeout=6, markup=False)
            self._after_change()

        def answered(answer: str | None) -> None:
            if answer == "yes":
                self.pylee_app.call(delete_it, done=done)

        self.app.push_screen(
            confirm(
                f"Delete the {row.kind} {row.key} at {self.label}?",
                f"{after} Its history is kept: u right after undoes the delete, and D lists "
                "the keys deleted here, to roll one back from its history (h).",
                yes="Delete",
                variant="error",
            ),
            callback=answered,
        )

    def action_undo(self) -> None:
        undo = self.undo
        if undo is None or not self.check_action("undo", ()):
            return
        variables, user = self.services.variables, self.user
        where = undo.scope.label

        def done(_restored) -> None:
            self.undo = None
            self.notify(
                escape(f"Restored {undo.key} at {where} as it was before the delete."),
                timeout=4,
                markup=False,
            )
            self._after_change(undo.key)

        call = (variables.restore, user, undo.scope, undo.key)
        if undo.kind == "secret":
            self._secret_call(
                f"Restoring the secret {undo.key} needs the vault key.",
                *call,
                deletion=undo.deletion,
                done=done,
            )
        else:
            self.pylee_app.call(*call, deletion=undo.deletion, done=done, failed=self._refused)

    def action_reveal(self) -> None:
        row = self.selected
        if row is None or not self.check_action("reveal", ()):
            return
        if row.ident in self.revealed:
            self._mask(row.ident)  # v again hides it
            return

        def show(value: str | None) -> None:
            if value is None:
                self.notify(escape(f"{row.key} has no usable value."), severity="warning")
                return
            self.revealed[row.ident] = value
            old = self._reveal_timers.pop(row.ident, None)
            if old is not None:
                old.stop()
            self._reveal_timers[row.ident] = self.set_timer(
                self.reveal_seconds, partial(self._mask, row.ident)
            )
            self._show_rows()

        self._plaintext(row, "reveal", show)

    def action_copy(self) -> None:
        row = self.selected
        if row is None or not self.check_action("copy", ()):
            return

        def copy(value: str | None) -> None:
            if value is None:
                self.notify(escape(f"{row.key} has no usable value to copy."), severity="warning")
                return
            if row.secretive:
                self.pylee_app.copy_secret_to_clipboard(value)

            else:
                self.app.copy_to_clipboard(value)
            self.notify(escape(f"Copied {row.key} to the clipboard."), timeout=3)

        if not row.secretive:
            copy(row.value if row.value is not None else row.raw)
            return
        self._plaintext(row, "copy", copy)

    def action_history(self) -> None:
        row = self.selected
        if row is None or not self.check_action("history", ()) or not self.org:
            return
        services, user = self.services, self.user
        where = self.scope.up_to(row.level or "org")
        note = ""
        if where != self.scope:
            note = (
                f"{row.key} is not defined at {self.label}: these are its versions at "
                f"{where.label}, where its value comes from."
            )
            vault = self.vault_view
            if vault is not None and any(d.key == row.key for d in vault.deleted):
                note += f" It was deleted at {self.label}: D lists it there."
        restoring = row.deleted is not None

        def rollback(version: int):
            return services.variables.rollback(user, where, row.key, version)

        def closed(changed: bool | None) -> None:
            if not changed:
                return
            self.undo = None
            if restoring and self.mode == DELETED:
                self.mode = DEFINED  # it is back: show it where it lives
                if self.vault_view is not None:
                    self.rows = build_rows(self.vault_view, self.mode)
            self._after_change(row.key)

        self.app.push_screen(
            VariableHistoryScreen(
                row.key,
                where.label,
                partial(services.variables.history, user, where, row.key),
                rollback,
                can_write=self.may_write(row.kind),
                note=note,
            ),
            callback=closed,
        )

    @on(VaultTable.RowSelected)
    def _row_chosen(self) -> None:
        if self.mode == DELETED:
            if self.check_action("history", ()):
                self.action_history()
        elif self.check_action("edit", ()):
            self.action_edit()
