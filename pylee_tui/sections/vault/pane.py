"""Section 4 of the org screen: the variables and secrets of one scope (the org, a registry or a
server), as defined there, as the effective configuration it inherits, or as the keys deleted
there (their history is kept, so they can be rolled back).

Keys: n new, e edit (or override / define here), d delete, u undo a delete, v reveal, c copy,
h history, t defined here ↔ effective, D deleted keys, p pick the scope (the tree on the left
picks it too), / filter (escape clears it), S sort (or click a column's title), j/k move.
Secrets show masked; a revealed one masks itself again after `reveal_seconds`, or at once when
the vault locks. What the role may not do is shown disabled, and pressing it says why; the
service decides.

At any size: the scope's keys load in a worker, their order (filter, sort, mode) is computed
in another (a newer keystroke cancels the older), and the table draws only a window of rows; a
large org's registries list their servers when opened.
"""

from __future__ import annotations

from dataclasses import replace
from functools import partial

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.reactive import var
from textual.timer import Timer
from textual.widgets import Input, Static, Tree

from pylee_tui.dialogs.pick import PickScreen
from pylee_tui.safe_text import escape
from pylee_tui.sections.base import OrgSection
from pylee_tui.sections.vault.detail import empty_text, mode_line, row_detail
from pylee_tui.sections.vault.key_actions import KeyActions, Undo
from pylee_tui.sections.vault.reasons import why_not
from pylee_tui.sections.vault.rows import (
    DEFINED,
    DELETED,
    EFFECTIVE,
    SORTS,
    Row,
    RowOrder,
    VaultView,
    last_change,
    load_changes,
    load_vault_view,
    make_row,
    order_rows,
    scope_from_id,
    scope_id,
    scope_items,
    unset_counts,
)
from pylee_tui.sections.vault.scope_tree import ScopeTree
from pylee_tui.sections.vault.secret_reads import SecretReads
from pylee_tui.sections.vault.table import VaultTable
from pylee_tui.services import Scope

__all__ = ["NARROW", "VaultPane"]

NARROW = 90  # below this many columns the scope tree hides (p and the palette pick a scope)


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
        Binding("slash", "filter", "Filter", show=False, id="vault.filter", tooltip="Filter keys"),
        Binding(
            "S", "sort", "Sort", show=False, id="vault.sort", tooltip="Order by the next column"
        ),
        Binding(
            "escape",
            "leave_filter",
            "Clear filter",
            show=False,
            id="vault.leave_filter",
            tooltip="Clear the filter and go back to the table",
        ),
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
        height: 1;
        text-style: bold;
        text-wrap: nowrap;
        text-overflow: ellipsis;
    }
    VaultPane #vault-lock { width: auto; }
    VaultPane #vault-mode { width: 1fr; height: 1; color: $text-muted; margin-bottom: 1; }
    VaultPane #vault-filter { height: 1; border: none; padding: 0 1; margin-bottom: 1; }
    VaultPane VaultTable { height: 1fr; }
    VaultPane VaultTable.-empty { height: auto; }
    VaultPane #vault-empty { color: $text-muted; padding-top: 1; }
    VaultPane #vault-detail { height: 4; padding-top: 1; }
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
        self.order: RowOrder | None = None  # the rows shown: their ids, in order
        self.wanted = Scope("")  # the scope asked for last (shown once it has loaded)
        self.sort, self.reverse = "key", False
        self.revealed: dict[tuple[str | None, str], str] = {}
        self.reveal_timers: dict[tuple[str | None, str], Timer] = {}
        self._cursor_to: str | None = None  # a key just saved: the cursor goes there
        self.undo: Undo | None = None
        self._shown_as: tuple | None = None  # (org, scope, mode) the table shows
        self.initialized: bool | None = None
        self._texts: dict[str, Text] = {}  # what each Static of the pane shows
        self._early_load = False  # loading since the mount, before the screen asked
        self._written: int | None = None  # the stamp of the scope's last writes, once read
        self.writes = KeyActions(self)  # n, e, d, u, h
        self.reads = SecretReads(self)  # v, c
        self._table: VaultTable | None = None  # made by compose (a query walks the pane)
        self._ready = False  # on_mount has run: its children are there

    def compose(self) -> ComposeResult:
        with Horizontal(id="vault-body"):
            yield ScopeTree(id="vault-scopes")
            with Vertical(id="vault-main"):
                with Horizontal(id="vault-head"):
                    yield Static("", id="vault-title", markup=False)
                    yield Static("", id="vault-lock")
                yield Static("", id="vault-mode")
                yield Input(placeholder="filter keys (escape clears)", id="vault-filter")
                self._table = VaultTable(id="vault-table")
                yield self._table
                yield Static("", id="vault-empty", markup=False)
                yield Static("", id="vault-detail")

    def on_mount(self) -> None:
        # the pane spans the app's width: hide the scope tree now, not at the first Resize,
        # which a loaded machine may deliver after the first frame of the section is drawn
        self._ready = True
        self._fit_width(self.app.size.width)
        self.query_one("#vault-filter", Input).display = False
        self.table.focus()
        self.pylee_app.vault_changed.subscribe(self, self._vault_changed)
        self._show_all()
        if self.view is not None and self.org is None:  # (no `prefetch`: a test's own mount)
            # the org is known: its keys start loading now, not once the screen has finished
            # showing the section (its first `show_org` then finds them on their way)
            self.show_org(self.view.org.slug)
            self._early_load = True

    # --- context -------------------------------------------------------------------------

    def may_write(self, kind: str) -> bool:
        if self.scope.user:  # one's own overrides: any member writes theirs
            return True
        return self.allowed("secrets:write" if kind == "secret" else "variables:write")

    def _permissions_here(self) -> frozenset[str]:
        """The member's permissions, and at their own scope what they may do to their own
        keys: write them, and read back a secret of theirs."""
        if not self.scope.user:
            return self.permissions
        own = {"variables:write", "secrets:write"}
        row = self.selected
        if row is not None and row.level == "user":
            own.add("secrets:reveal")
        return self.permissions | own

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
        if not self.composed:
            return None
        return self.table.current_row

    @property
    def needle(self) -> str:
        """What the filter holds ('' before the pane is composed)."""
        fields = self.query("#vault-filter")
        return fields.first(Input).value if fields else ""

    # --- data ----------------------------------------------------------------------------

    def show_org(self, slug: str) -> None:
        """Show `slug` (its org scope when it is another org), loading afresh."""
        if self._early_load and slug == self.org:
            self._early_load = False  # the screen's first call: loading since the mount
            return
        self._early_load = False
        if slug != self.org:
            self.org = slug
            self.scope = self.wanted = Scope(slug)
            self.vault_view = None
            self.order = None
            self.undo = None
            self.mask_all()
        self.reload()

    def prefetch(self, slug: str) -> None:
        """Start loading the org scope of `slug` now, before the pane is mounted (a first
        visit): its keys load while the pane is built."""
        self.show_org(slug)
        self._early_load = True

    def show_scope(self, scope: Scope) -> None:
        """Load `scope`: it is shown (`scope`) once loaded, the keys meanwhile acting on the
        scope still on screen."""
        if scope != self.wanted:
            self.wanted = scope
            self.reload()

    def reload(self) -> None:
        if not self.org:
            return
        # one load at a time: a scope picked while another loads cancels the older load, whose
        # answer (for a scope no longer shown) is then never shown
        self.pylee_app.call(
            _load,
            self.services,
            self.user,
            self.wanted,
            (self.mode, self.needle, self.sort, self.reverse),
            done=self._loaded,
            group="vault-view",
        )

    def _loaded(self, loaded: tuple[VaultView, RowOrder]) -> None:
        view, order = loaded
        if self.vault_view is None or self.vault_view.scope != view.scope:
            self.mask_all(render=False)  # revealed values belong to the scope they were in
            self._written = None
        self.vault_view = view
        self.scope = self.wanted = view.scope
        self.initialized = view.status.initialized
        self.order = order
        self._show_all()
        if self._ordering() != (order.mode, order.needle, order.sort, order.reverse):
            self._reorder()  # the mode, filter or sort changed while the scope loaded
        self._read_changes(view)

    def _read_changes(self, view: VaultView) -> None:
        """When each key was last written (the detail line), read once the view is shown; a
        key of the scope written since the last read masks what is revealed (it may be
        stale)."""

        def landed(found: tuple[dict, int]) -> None:
            changes, written = found
            if self.vault_view is not view:
                return
            view.changes.update(changes)
            if self._written is not None and self._written != written:
                self.mask_all()
            self._written = written
            self._show_detail()

        self.pylee_app.call(
            load_changes, self.services, self.user, view.scope, done=landed, group="vault-changes"
        )

    def _ordering(self) -> tuple[str, str, str, bool]:
        return self.mode, self.needle, self.sort, self.reverse

    def _reorder(self) -> None:
        """Order the rows again (mode, filter or sort changed), in a worker: a newer request
        cancels the older, whose answer is never shown."""
        view = self.vault_view
        if view is None:
            self._show_head()
            return

        def ordered(order: RowOrder) -> None:
            if self.vault_view is view:  # not a scope loaded since
                self.order = order
                self._show_rows()

        self.pylee_app.call(order_rows, view, *self._ordering(), done=ordered, group="vault-order")

    def after_change(self, cursor_to: str | None = None) -> None:
        """Reload everything the org screen shows after a write made here."""
        self._cursor_to = cursor_to
        self.data_changed()

    # --- rendering -----------------------------------------------------------------------

    @property
    def composed(self) -> bool:
        # its children are mounted once on_mount runs (`is_mounted` only turns true after it;
        # a prefetch's rows may land before, while they are being built, and wait for it); the
        # footer asks this for every key it shows, a query would walk the whole pane each time
        table = self._table
        return self._ready and table is not None and table.parent is not None

    @property
    def table(self) -> VaultTable:
        return self._table if self.composed and self._table else self.query_one(VaultTable)

    def _show_all(self) -> None:
        if not self.composed:
            return
        vault = self.vault_view
        if vault is not None:
            org_name = self.view.org.name if self.view else (self.org or "org")
            self.query_one(ScopeTree).show(org_name, vault.registries, vault.scope)
        self._show_rows()

    @property
    def _shown_ids(self) -> tuple[str, ...]:
        order = self.order
        return order.ids if order is not None and order.mode == self.mode else ()

    def _show_head(self) -> None:
        if not self.composed:
            return
        # fixed sizes: a new text needs no layout (a layout of the whole screen costs a frame)
        self._put("#vault-title", Text(escape(self.label) if self.org else "Vault"))
        lock = Text()
        if self.initialized is False:
            lock.append("vault: no passphrase yet", style="dim")
        elif self.unlocked:  # read live: the key may have come or gone by any path
            lock.append("vault unlocked", style="bold green")
            lock.append(" · ctrl+l locks", style="dim")
        else:
            lock.append("vault locked", style="bold yellow")
        self._put("#vault-lock", lock, layout=True)  # its width follows it
        order = self.order
        missing, cloned = 0, 0
        if self.vault_view is not None and self.mode != DELETED:
            missing, cloned = unset_counts(self.vault_view, self.mode, self._shown_ids)
        mode = mode_line(
            self.mode,
            len(self._shown_ids),
            missing=missing,
            cloned=cloned,
            loaded=self.vault_view is not None and order is not None,
            total=order.total if order is not None and order.needle.strip() else None,
            sort=(self.sort, self.reverse),
        )
        self._put("#vault-mode", mode)

    def _put(self, selector: str, text: Text, *, layout: bool = False) -> None:
        """Show `text` in the Static `selector` unless it shows it already; `layout` when its
        size may follow the text (the others have fixed sizes)."""
        if self._texts.get(selector) != text:
            self._texts[selector] = text
            self.query_one(selector, Static).update(text, layout=layout)

    def _show_rows(self) -> None:
        if not self.composed:
            return
        table = self.table
        ids = self._shown_ids
        current = self.selected.id if self.selected else None
        if self._cursor_to and self._cursor_to in ids:
            current, self._cursor_to = self._cursor_to, None
        shown_as = (self.org, self.scope, self.mode)
        view = self.vault_view
        if view is not None:
            table.show(
                ids,
                partial(make_row, view, self.mode),
                mode=self.mode,
                level=self.scope.level,
                revealed=self.revealed,
                cursor=current,
                keep_place=shown_as == self._shown_as,
                sort=(self.sort, self.reverse),
            )
        self._shown_as = shown_as
        empty = self.query_one("#vault-empty", Static)
        empty.display = view is not None and self.order is not None and not ids
        table.set_class(empty.display, "-empty")  # the header, then what the empty table means
        if empty.display:
            self._put("#vault-empty", Text(escape(self._empty_text())), layout=True)
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
            needle=self.needle.strip(),
        )

    def _show_detail(self) -> None:
        if not self.composed:
            return
        row, view = self.selected, self.vault_view
        self._put(
            "#vault-detail",
            row_detail(
                row,
                may_write=self.may_write(row.kind),
                revealed_for=self.reveal_seconds
                if row.secretive and row.ident in self.revealed
                else None,
                updated=last_change(view, row) if view is not None else None,
            )
            if row is not None
            else Text(),
        )

    def on_resize(self) -> None:
        self._fit_width(self.size.width)  # the table draws its rows for its own width

    def _fit_width(self, width: int) -> None:
        tree = self.query_one(ScopeTree)
        narrow = width < NARROW
        if tree.display == narrow:
            if narrow and tree.has_focus:
                self.table.focus()
            tree.display = not narrow

    @on(VaultTable.RowHighlighted)
    def _moved(self) -> None:
        self._show_detail()
        self.refresh_bindings()

    @on(Tree.NodeHighlighted)
    def _scope_highlighted(self, event: Tree.NodeHighlighted) -> None:
        if event.control.has_focus and isinstance(event.node.data, Scope):
            self.show_scope(event.node.data)

    @on(Tree.NodeExpanded)
    def _scope_opened(self, event: Tree.NodeExpanded) -> None:
        self._read_servers(self.query_one(ScopeTree).wants(event.node))

    @on(Tree.NodeSelected)
    def _scope_chosen(self, event: Tree.NodeSelected) -> None:
        if isinstance(event.node.data, Scope):
            self.show_scope(event.node.data)
            self.table.focus()
        else:  # "… more": the registry's next page of servers
            self._read_servers(self.query_one(ScopeTree).wants(event.node))

    def _read_servers(self, wanted: tuple[str, int] | None) -> None:
        if wanted is None or not self.org:
            return
        registry, start = wanted
        tree = self.query_one(ScopeTree)
        self.pylee_app.call(
            self.services.variables.server_names,
            self.user,
            Scope(self.org, registry),
            start=start,
            limit=tree.page,
            done=lambda names: tree.add_servers(registry, start, names),
            group=f"vault-servers-{registry}",
        )

    # --- filter and sort -----------------------------------------------------------------

    def action_filter(self) -> None:
        field = self.query_one("#vault-filter", Input)
        field.display = True
        field.focus()

    def action_leave_filter(self) -> None:
        field = self.query_one("#vault-filter", Input)
        field.value = ""  # Input.Changed orders the rows again
        field.display = False
        self.table.focus()

    @on(Input.Changed, "#vault-filter")
    def _filter(self) -> None:
        self._reorder()

    @on(Input.Submitted, "#vault-filter")
    def _filter_done(self) -> None:
        self.table.focus()

    def action_sort(self) -> None:
        """The next column's order (key, kind, value, where), from the first row."""
        self.sort = SORTS[(SORTS.index(self.sort) + 1) % len(SORTS)]
        self.reverse = False
        self._reorder()

    @on(VaultTable.HeaderSelected)
    def _sort_by(self, event: VaultTable.HeaderSelected) -> None:
        event.stop()
        sort = (*SORTS, SORTS[-1])[event.column_index]  # overrides and by: by where / when
        if sort == self.sort:
            self.reverse = not self.reverse
        else:
            self.sort, self.reverse = sort, False
        self._reorder()

    # --- the vault -----------------------------------------------------------------------

    @property
    def unlocked(self) -> bool:
        return self.services.vault.unlocked

    def _vault_changed(self, unlocked: bool) -> None:
        if unlocked:
            self.initialized = True
        else:
            self.mask_all(render=False)
        self.redraw()

    def redraw(self, ident: tuple[str | None, str] | None = None) -> None:
        """The rows shown again (a value revealed or masked: the rows of key `ident`, or all),
        the cursor where it is."""
        if not self.composed:
            return
        table = self.table
        if ident is None or not table.redraw_key(ident):
            table.redraw()
        self._show_detail()
        self._show_head()
        self.refresh_bindings()

    def mask_all(self, render: bool = True) -> None:
        for timer in self.reveal_timers.values():
            timer.stop()
        self.reveal_timers.clear()
        had = bool(self.revealed)
        self.revealed.clear()
        if had and render:
            self.redraw()

    def mask(self, ident: tuple[str | None, str]) -> None:
        timer = self.reveal_timers.pop(ident, None)
        if timer is not None:
            timer.stop()
        if self.revealed.pop(ident, None) is not None:
            self.redraw(ident)

    def refused(self, exc: Exception) -> None:
        self.notify(escape(str(exc)), severity="error", title="Refused", markup=False)

    # --- what may be done, and why not --------------------------------------------------

    def why_not(self, action: str) -> str | None:
        """Why `action` cannot be done on what the pane shows now (None: it can)."""
        return why_not(
            action,
            row=self.selected,
            mode=self.mode,
            level=self.scope.level,
            label=self.label,
            permissions=self._permissions_here(),
            undo=self.undo if self.undo and self.undo.scope == self.scope else None,
        )

    def why_disabled(self, action: str) -> str:
        """The same, as help lists it beside a disabled key ('' when it works)."""
        return self.why_not(action) or ""

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "leave_filter":
            field = self.query("#vault-filter")
            return bool(field) and (field.first(Input).has_focus or bool(self.needle))
        if action not in self.KEY_ACTIONS.values() or action in ("filter", "sort"):
            return True
        if self.why_not(action) is None:
            return True
        return False if action == "undo" else None  # no undo: hidden, not greyed out

    # --- actions -------------------------------------------------------------------------

    def _switch_mode(self, mode: str) -> None:
        self.mode = mode
        self._reorder()

    def action_toggle_mode(self) -> None:
        self._switch_mode(EFFECTIVE if self.mode == DEFINED else DEFINED)

    def action_deleted(self) -> None:
        self._switch_mode(DEFINED if self.mode == DELETED else DELETED)

    def scope_items(self, *, name_registries: bool = False) -> list[tuple[str, str]]:
        """(id, label) of every scope of the org whose servers are known (all of a small
        org's; a large one's registries, with the servers read so far), for the command
        palette and the picker."""
        if self.vault_view is None or not self.org:
            return []
        tree = self.query_one(ScopeTree)
        registries = tuple(
            r if r.servers is not None else replace(r, servers=tree.servers_read(r.slug))
            for r in self.vault_view.registries
        )
        return scope_items(self.org, registries, name_registries=name_registries)

    def action_scope(self, text: str) -> None:
        """Show the scope with this id (from `scope_items`)."""
        self.show_scope(scope_from_id(self.org_slug, text))
        self.table.focus()

    def action_pick_scope(self) -> None:
        if self.vault_view is None or not self.org:
            return
        items = self.scope_items(name_registries=True)
        self.app.push_screen(
            PickScreen("Vault scope", items, highlight=scope_id(self.scope)),
            callback=lambda choice: self.action_scope(choice) if choice else None,
        )

    # the writes: KeyActions (key_actions.py) asks and calls the services
    def action_new(self) -> None:
        self.writes.new()

    def action_edit(self) -> None:
        self.writes.edit()

    def action_delete(self) -> None:
        self.writes.delete()

    def action_undo(self) -> None:
        self.writes.undo()

    # reading secrets: SecretReads (secret_reads.py) unlocks, decrypts and audits
    def action_reveal(self) -> None:
        self.reads.reveal()

    def action_copy(self) -> None:
        self.reads.copy()

    def action_history(self) -> None:
        self.writes.history()

    @on(VaultTable.RowSelected)
    def _row_chosen(self) -> None:
        if self.mode == DELETED:
            if self.check_action("history", ()):
                self.action_history()
        elif self.check_action("edit", ()):
            self.action_edit()


def _load(
    services, user: str, scope: Scope, ordering: tuple[str, str, str, bool]
) -> tuple[VaultView, RowOrder]:
    """A scope's view and its rows' order, in one worker call."""
    view = load_vault_view(services, user, scope)
    return view, order_rows(view, *ordering)
