"""Section 4 of the org screen: the variables and secrets of one scope (the org, a registry or a
server), either as defined there or as the effective configuration it inherits.

Keys: n new, e edit (or override / define here), d delete, v reveal, c copy, h history,
t defined here ↔ effective, p pick the scope (the tree on the left picks it too). Secrets show
masked; a revealed one masks itself again after `reveal_seconds`, or at once when the vault
locks. What the role may not do is shown disabled; the service decides.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import partial
from typing import Any

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.timer import Timer
from textual.widget import Widget
from textual.widgets import DataTable, Static, Tree

from pylee_tui.models import Variable, plural
from pylee_tui.safe_text import escape
from pylee_tui.screens.choice import confirm
from pylee_tui.screens.pick import PickScreen
from pylee_tui.screens.variable_form import VariableFormScreen
from pylee_tui.screens.variable_history import VariableHistoryScreen
from pylee_tui.services import NotFound, Services, VaultLocked
from pylee_tui.services.resolver import MASK, Declared, EffectiveConfig
from pylee_tui.services.vault import VaultStatus

COLUMNS = ("Key", "Kind", "Value", "Defined at", "Overrides")
LEVELS = ("org", "registry", "server")
VALUE_WIDTH = (12, 48)  # the value column's narrowest and widest
NARROW = 90  # below this many columns the scope tree hides (p and the palette pick a scope)
DEFINED, EFFECTIVE = "defined", "effective"


@dataclass(frozen=True)
class Scope:
    """Where keys are read and written: the org (both None), a registry, or one of its servers."""

    registry: str | None = None
    server: str | None = None

    @property
    def level(self) -> str:
        return "server" if self.server else "registry" if self.registry else "org"

    @property
    def args(self) -> tuple[str | None, str | None]:
        """(registry_slug, server_name) as the variable service takes them."""
        return self.registry, self.server

    def label(self, org_slug: str) -> str:
        """The service's own label for the scope (`Entry.source` uses the same words)."""
        if self.server:
            return f"server {self.server}"
        if self.registry:
            return f"registry {self.registry}"
        return f"org {org_slug}"

    def up_to(self, level: str) -> Scope:
        """This scope's ancestor at `level` (org, registry, server)."""
        if level == "org":
            return Scope()
        if level == "registry":
            return Scope(self.registry)
        return self

    @property
    def chain(self) -> tuple[str, ...]:
        return LEVELS[: LEVELS.index(self.level) + 1]


@dataclass(frozen=True)
class RegistryScopes:
    slug: str
    name: str
    servers: tuple[str, ...]


@dataclass(frozen=True)
class VaultView:
    """What the pane shows for one scope, loaded in one worker call."""

    scope: Scope
    defined: dict[str, list[Variable]]  # level -> the keys defined there, along the chain
    effective: EffectiveConfig
    status: VaultStatus
    registries: tuple[RegistryScopes, ...]

    def fingerprint(self) -> tuple:
        """Changes whenever a key of the chain is written: revealed values are then stale."""
        return tuple(
            (level, v.key, v.kind, v.updated_at)
            for level, variables in sorted(self.defined.items())
            for v in variables
        ) + (self.scope,)


def load_vault_view(services: Services, user: str, org: str, scope: Scope) -> VaultView:
    registries = tuple(
        RegistryScopes(
            r.slug,
            r.name,
            tuple(s.name for s in services.registries.list_servers(user, org, r.slug)),
        )
        for r in services.registries.list(user, org)
    )
    try:
        effective = services.variables.effective(user, org, *scope.args)
    except NotFound:  # the registry or server went away meanwhile: show the org
        scope = Scope()
        effective = services.variables.effective(user, org)
    defined = {
        level: services.variables.list(user, org, *scope.up_to(level).args) for level in scope.chain
    }
    return VaultView(scope, defined, effective, services.vault.status(), registries)


@dataclass(frozen=True)
class Row:
    """One line of the table: a key defined here, an effective entry, or a missing one."""

    id: str
    key: str
    kind: str
    level: str | None  # where it is defined; None for a missing required key
    source: str
    display: str  # what may be shown without revealing anything
    value: str | None = None  # a plain variable's value as shown (never a secret's)
    raw: str | None = None
    overrides: tuple[str, ...] = ()
    references: tuple[str, ...] = ()
    embeds_secret: bool = False
    problems: tuple[str, ...] = ()
    warnings: tuple[str, ...] = ()
    missing: Declared | None = None
    updated: Variable | None = field(default=None, compare=False)

    @property
    def ident(self) -> tuple[str | None, str]:
        return self.level, self.key

    @property
    def secretive(self) -> bool:
        """Reading its value in full needs the vault key and `secrets:reveal`."""
        return self.kind == "secret" or self.embeds_secret


def build_rows(view: VaultView, mode: str) -> list[Row]:
    scope, config = view.scope, view.effective
    updated = {(level, v.key): v for level, vs in view.defined.items() for v in vs}
    rows: list[Row] = []
    if mode == DEFINED:
        for v in view.defined.get(scope.level, []):
            entry = config.get(v.key)
            rows.append(
                Row(
                    id=v.key,
                    key=v.key,
                    kind=v.kind,
                    level=scope.level,
                    source=entry.source if entry else scope.level,
                    display=(v.value or "") if v.kind == "variable" else MASK,
                    value=v.value if v.kind == "variable" else None,
                    raw=v.value if v.kind == "variable" else None,
                    overrides=entry.overrides if entry else (),
                    references=entry.references if entry else (),
                    problems=entry.problems if entry else (),
                    warnings=entry.warnings if entry else (),
                    updated=v,
                )
            )
        return rows
    for d in config.missing:
        rows.append(
            Row(
                id=d.name,
                key=d.name,
                kind="secret" if d.secret else "variable",
                level=None,
                source="",
                display="missing",
                missing=d,
            )
        )
    for e in config.entries:
        rows.append(
            Row(
                id=e.key,
                key=e.key,
                kind=e.kind,
                level=e.scope,
                source=e.source,
                display=e.display,
                value=e.value if e.kind == "variable" and not e.embeds_secret else None,
                raw=e.raw,
                overrides=e.overrides,
                references=e.references,
                embeds_secret=e.embeds_secret,
                problems=e.problems,
                warnings=e.warnings,
                updated=updated.get((e.scope, e.key)),
            )
        )
    return rows


def shorten(text: str, width: int = VALUE_WIDTH[1]) -> str:
    text = escape(text.replace("\r\n", "⏎").replace("\n", "⏎"))
    return text if len(text) <= width else text[: width - 1] + "…"


class ScopeTree(Tree[Scope]):
    """org > registries > servers. Highlighting a node (while the tree has focus) picks it."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__("org", data=Scope(), id=id)
        self.show_root = True
        self.auto_expand = False
        self.guide_depth = 2
        self.shown: tuple[str, tuple[RegistryScopes, ...]] | None = None

    def show(self, org_name: str, registries: tuple[RegistryScopes, ...], scope: Scope) -> None:
        if self.shown != (org_name, registries):
            self.shown = (org_name, registries)
            self.clear()
            self.root.set_label(Text(escape(org_name), style="bold"))
            for reg in registries:
                node = self.root.add(Text(escape(reg.name)), data=Scope(reg.slug), expand=True)
                short = [s.rsplit("/", 1)[-1] for s in reg.servers]
                for name, label in zip(reg.servers, short, strict=True):
                    # a short name unless two servers of the registry share it
                    shown = label if short.count(label) == 1 else name
                    node.add_leaf(Text(escape(shown)), data=Scope(reg.slug, name))
            self.root.expand()
        self.point_at(scope)

    def point_at(self, scope: Scope) -> None:
        node = self._find(self.root, scope)
        if node is not None and self.cursor_node is not node:
            self.move_cursor(node)

    def _find(self, node, scope: Scope):
        if node.data == scope:
            return node
        for child in node.children:
            found = self._find(child, scope)
            if found is not None:
                return found
        return None


class VaultPane(Widget):
    BINDINGS = [
        Binding("n", "new", "New", id="vault.new", tooltip="New variable or secret"),
        Binding("e", "edit", "Edit", id="vault.edit", tooltip="Edit, or override here"),
        Binding("d", "delete", "Delete", id="vault.delete", tooltip="Delete the key here"),
        Binding("v", "reveal", "Reveal", id="vault.reveal", tooltip="Show a secret (audited)"),
        Binding("c", "copy", "Copy", id="vault.copy", tooltip="Copy the value (audited)"),
        Binding("h", "history", "History", id="vault.history", tooltip="Versions, roll back"),
        Binding("t", "toggle_mode", "Effective", id="vault.mode", tooltip="Defined ↔ effective"),
        Binding("p", "pick_scope", "Scope", id="vault.scope", tooltip="Org, registry or server"),
    ]
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
    VaultPane DataTable { height: auto; max-height: 1fr; }
    VaultPane #vault-empty { color: $text-muted; padding-top: 1; }
    VaultPane #vault-detail { height: auto; max-height: 4; padding-top: 1; }
    """

    def __init__(self, *, reveal_seconds: float = 30.0, id: str | None = None) -> None:
        super().__init__(id=id)
        self.reveal_seconds = reveal_seconds
        self.org: str | None = None
        self.scope = Scope()
        self.mode = DEFINED
        self.view: VaultView | None = None
        self.rows: list[Row] = []
        self.revealed: dict[tuple[str | None, str], str] = {}
        self._reveal_timers: dict[tuple[str | None, str], Timer] = {}
        self._token = 0
        self._cursor_to: str | None = None  # a key just saved: the cursor goes there
        self.initialized: bool | None = None

    def compose(self) -> ComposeResult:
        with Horizontal(id="vault-body"):
            yield ScopeTree(id="vault-scopes")
            with Vertical(id="vault-main"):
                with Horizontal(id="vault-head"):
                    yield Static("", id="vault-title", markup=False)
                    yield Static("", id="vault-lock")
                yield Static("", id="vault-mode")
                table = DataTable(cursor_type="row", zebra_stripes=True, id="vault-table")
                table.add_columns(*COLUMNS)
                yield table
                yield Static("", id="vault-empty", markup=False)
                yield Static("", id="vault-detail")

    def on_mount(self) -> None:
        self.query_one(DataTable).focus()
        self.app.vault_changed.subscribe(self, self._vault_changed)  # type: ignore[attr-defined]
        self._show_all()

    # --- context -------------------------------------------------------------------------

    @property
    def services(self) -> Services:
        return self.app.services  # type: ignore[attr-defined]

    @property
    def user(self) -> str:
        return self.app.user  # type: ignore[attr-defined]

    def allowed(self, permission: str) -> bool:
        view = getattr(self.screen, "view", None)
        return bool(view and permission in view.allowed)

    def may_write(self, kind: str) -> bool:
        return self.allowed("secrets:write" if kind == "secret" else "variables:write")

    @property
    def label(self) -> str:
        return self.scope.label(self.org or "")

    @property
    def selected(self) -> Row | None:
        if not self.rows or not self.query("#vault-table"):
            return None
        table = self.query_one(DataTable)
        if table.row_count == 0:
            return None
        key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value
        return next((r for r in self.rows if r.id == key), None)

    # --- data ----------------------------------------------------------------------------

    def show_org(self, slug: str) -> None:
        """Show `slug` (its org scope when it is another org), loading afresh."""
        if slug != self.org:
            self.org = slug
            self.scope = Scope()
            self.view = None
            self.mask_all()
        self.reload()

    def show_scope(self, scope: Scope) -> None:
        if scope != self.scope:
            self.scope = scope
            self.reload()

    def reload(self) -> None:
        if not self.org or self.services is None:
            return
        self._token += 1
        token = self._token
        self.app.call(  # type: ignore[attr-defined]
            load_vault_view,
            self.services,
            self.user,
            self.org,
            self.scope,
            done=partial(self._loaded, token),
        )

    def _loaded(self, token: int, view: VaultView) -> None:
        if token != self._token:
            return  # an answer for a scope no longer shown
        if self.view is None or self.view.fingerprint() != view.fingerprint():
            self.mask_all(render=False)  # a value may have changed under a revealed one
        self.view = view
        self.scope = view.scope
        self.initialized = view.status.initialized
        self.rows = build_rows(view, self.mode)
        self._show_all()

    # --- rendering -----------------------------------------------------------------------

    @property
    def composed(self) -> bool:
        # children exist from compose on (`is_mounted` only turns true after on_mount)
        return bool(self.query("#vault-table"))

    def _show_all(self) -> None:
        if not self.composed:
            return
        if self.view is not None:
            org_view = getattr(self.screen, "view", None)
            org_name = org_view.org.name if org_view else (self.org or "org")
            self.query_one(ScopeTree).show(org_name, self.view.registries, self.view.scope)
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
        mode = Text()
        for key, name in ((DEFINED, "defined here"), (EFFECTIVE, "effective")):
            mode.append(f" {name} ", style="reverse bold" if self.mode == key else "")
            mode.append(" ")
        mode.append(" t switches", style="dim")
        if self.view is not None:
            missing = len(self.view.effective.missing) if self.mode == EFFECTIVE else 0
            mode.append(f" · {plural(len(self.rows) - missing, 'key')}", style="dim")
            if missing:
                mode.append(f" · {missing} required missing", style="bold red")
        self.query_one("#vault-mode", Static).update(mode)

    def _where(self, level: str | None) -> str:
        """A defining scope relative to the shown one: "here", or its level (org, registry)."""
        return "here" if level == self.scope.level else (level or "")

    @staticmethod
    def _hidden(row: Row) -> str:
        """The levels whose definitions this row hides (the detail line names them in full)."""
        return ", ".join(label.split(" ", 1)[0] for label in row.overrides)

    def _value_width(self) -> int:
        """As wide as the table leaves room for (the rest of the row is short)."""
        table = self.query_one(DataTable)
        if not table.size.width:
            return 32
        key = max((len(r.key) + 2 for r in self.rows), default=3)
        overrides = max((len(self._hidden(r)) for r in self.rows), default=9)
        # key, kind, defined at, overrides, 2 cells of padding per column, a scrollbar
        others = key + 8 + 10 + min(max(9, overrides), 16) + 5 * 2 + 2
        return max(VALUE_WIDTH[0], min(VALUE_WIDTH[1], table.size.width - others))

    def _cells(self, row: Row, width: int) -> tuple[Text, ...]:
        here = row.level == self.scope.level
        if row.missing is not None:
            red = "bold red"
            return (
                Text(escape(row.key), style=red),
                Text(row.kind, style="red"),
                Text("missing (required)", style=red),
                Text("—", style="red"),
                Text(""),
            )
        key = Text()
        if row.problems:
            key.append("⚠ ", style="bold red")
        elif row.warnings:
            key.append("⚠ ", style="yellow")
        key.append(escape(row.key))
        kind = Text(row.kind, style="magenta" if row.kind == "secret" else "")
        plaintext = self.revealed.get(row.ident) if row.secretive else None
        if plaintext is not None:
            value = Text(shorten(plaintext, width), style="bold yellow")
        elif row.kind == "secret":
            value = Text(MASK, style="dim")
        else:
            value = Text(shorten(row.display, width), style="red" if row.problems else "")
        source = Text(self._where(row.level), style="bold" if here else "dim")
        return key, kind, value, source, Text(escape(self._hidden(row)), style="dim")

    def _show_rows(self) -> None:
        if not self.composed:
            return
        table = self.query_one(DataTable)
        current = self.selected.id if self.selected else None
        if self._cursor_to and any(r.id == self._cursor_to for r in self.rows):
            current, self._cursor_to = self._cursor_to, None
        table.clear(columns=True)  # column widths start afresh (a value may have hidden)
        table.add_columns(*COLUMNS)
        width = self._value_width()
        for row in self.rows:
            table.add_row(*self._cells(row, width), key=row.id)
        ids = [r.id for r in self.rows]
        if current in ids:
            table.move_cursor(row=ids.index(current), animate=False)
        empty = self.query_one("#vault-empty", Static)
        empty.display = self.view is not None and not self.rows
        empty.update(Text(escape(self._empty_text())))
        self._show_detail()
        self._show_head()
        self.refresh_bindings()

    def _empty_text(self) -> str:
        if self.mode == DEFINED:
            text = f"Nothing is defined at {self.label} yet."
        else:
            text = f"No variable or secret reaches {self.label}."
        if self.may_write("variable") or self.may_write("secret"):
            text += " Press n to add a variable or a secret."
        if self.mode == DEFINED and self.scope.level != "org":
            text += " Press t to see what it inherits."
        return text

    def _show_detail(self) -> None:
        detail = self.query_one("#vault-detail", Static)
        row = self.selected
        if row is None:
            detail.update("")
            return
        text = Text()
        if row.missing is not None:
            d = row.missing
            text.append(escape(f"{row.key} is required by {d.source or 'the server'}"), style="red")
            text.append(" and defined nowhere")
            if self.may_write(row.kind):
                text.append(": press e to define it here")
            text.append(".")
            if d.description:
                text.append(f"\n{escape(d.description)}", style="dim")
            detail.update(text)
            return
        text.append(escape(row.key), style="bold")
        text.append(f" · {row.kind} · {escape(row.source)}")
        if row.updated is not None:
            text.append(
                f" · set {row.updated.updated_at:%Y-%m-%d %H:%M} by {row.updated.updated_by}",
                style="dim",
            )
        if row.overrides:
            text.append(f" · overrides {escape(', '.join(row.overrides))}", style="dim")
        if row.references:
            text.append(
                escape(" · refers to " + ", ".join(f"${{{r}}}" for r in row.references)),
                style="dim",
            )
        if row.secretive and row.ident in self.revealed:
            seconds = self.reveal_seconds
            after = f"{seconds / 60:g} min" if seconds >= 60 else f"{seconds:g} s"
            text.append(f"\nrevealed: hidden again after {after} (v hides it now)", style="yellow")
        for problem in row.problems:
            text.append(f"\n⚠ {escape(problem)}", style="bold red")
        for warning in row.warnings:
            text.append(f"\n⚠ {escape(warning)}", style="yellow")
        detail.update(text)

    def on_resize(self) -> None:
        tree = self.query_one(ScopeTree)
        narrow = self.size.width < NARROW
        if tree.display == narrow:
            if narrow and tree.has_focus:
                self.query_one(DataTable).focus()
            tree.display = not narrow
        if self.rows:
            self.call_after_refresh(self._show_rows)  # the value column follows the width

    @on(DataTable.RowHighlighted)
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
        self.query_one(DataTable).focus()

    # --- the vault -----------------------------------------------------------------------

    @property
    def unlocked(self) -> bool:
        services = self.services
        return bool(services and services.vault.unlocked)

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

    def _secret_call(self, reason: str, fn, *args: Any, done, **kwargs: Any) -> None:
        """Call `fn` in a worker once the vault is unlocked (asking for the passphrase)."""
        app = self.app

        def attempt() -> None:
            app.call(fn, *args, done=done, failed=failed, **kwargs)  # type: ignore[attr-defined]

        def failed(exc: Exception) -> None:
            if isinstance(exc, VaultLocked):
                app.with_vault(attempt, reason=reason)  # type: ignore[attr-defined]
            else:
                self.notify(str(exc), severity="error", title="Refused", markup=False)

        app.with_vault(attempt, reason=reason)  # type: ignore[attr-defined]

    def _plaintext(self, row: Row, purpose: str, done) -> None:
        """The value of `row` in full: decrypted (and audited) for a secret or what embeds one."""
        org, user, where = self.org, self.user, self.scope.up_to(row.level or "org")
        variables = self.services.variables
        if row.kind == "secret":
            self._secret_call(
                f"To {purpose} {row.key} the vault must be unlocked.",
                variables.reveal,
                user,
                org,
                row.key,
                *where.args,
                purpose=purpose,
                done=done,
            )
            return
        scope = self.scope

        def resolved() -> str | None:
            entry = variables.effective(user, org, *scope.args, reveal=True).get(row.key)
            return entry.value if entry else None

        self._secret_call(
            f"{row.key} embeds a secret: to {purpose} it the vault must be unlocked.",
            resolved,
            done=done,
        )

    # --- actions -------------------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        row = self.selected
        if action == "new":
            return True if self.may_write("variable") or self.may_write("secret") else None
        if action == "edit":
            return True if row is not None and self.may_write(row.kind) else None
        if action == "delete":
            if row is None or row.level != self.scope.level or not self.may_write(row.kind):
                return None
            return True
        if action == "reveal":
            if row is None or row.missing or not row.secretive:
                return None
            return True if self.allowed("secrets:reveal") else None
        if action == "copy":
            if row is None or row.missing:
                return None
            return True if not row.secretive or self.allowed("secrets:reveal") else None
        if action == "history":
            return True if row is not None and row.missing is None else None
        return True

    def action_toggle_mode(self) -> None:
        self.mode = EFFECTIVE if self.mode == DEFINED else DEFINED
        if self.view is not None:
            self.rows = build_rows(self.view, self.mode)
        self._show_rows()

    def scope_items(self) -> list[tuple[str, str]]:
        """(id, label) of every scope of the org, for a picker or the command palette."""
        if self.view is None or not self.org:
            return []
        items = [("org", f"org {self.org}")]
        for reg in self.view.registries:
            items.append((f"registry/{reg.slug}", f"  registry {reg.slug}  ({reg.name})"))
            items += [(f"server/{reg.slug}/{s}", f"    server {s}") for s in reg.servers]
        return items

    def action_scope(self, scope_id: str) -> None:
        """Show the scope with this id (from `scope_items`)."""
        level, _, rest = scope_id.partition("/")
        registry, _, server = rest.partition("/")  # a server name holds one "/" itself
        if level == "server":
            scope = Scope(registry, server)
        elif level == "registry":
            scope = Scope(registry)
        else:
            scope = Scope()
        self.show_scope(scope)
        self.query_one(DataTable).focus()

    def action_pick_scope(self) -> None:
        items = self.scope_items()
        if not items:
            return
        self.app.push_screen(
            PickScreen("Vault scope", items),
            callback=lambda choice: self.action_scope(choice) if choice else None,
        )

    def _saved(self, variable) -> None:
        if variable is not None:
            self.notify(f"Saved {variable.key} ({variable.kind}) at {self.label}.", timeout=4)
            self._cursor_to = variable.key
            self.screen.reload()  # type: ignore[attr-defined]

    def _save_here(self):
        services, user, org, scope = self.services, self.user, self.org, self.scope

        def save(key: str, value: str, kind: str):
            return services.variables.set(user, org, key, value, kind, *scope.args)

        return save

    def action_new(self) -> None:
        if not self.org or not self.check_action("new", ()):
            return
        kinds = [k for k in ("variable", "secret") if self.may_write(k)]
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
        if row is None or not self.check_action("delete", ()):
            return
        after = (
            f"Then the value from {row.overrides[0]} applies here."
            if row.overrides
            else "Nothing above defines it."
        )
        services, user, org, scope = self.services, self.user, self.org, self.scope

        def delete(answer: str | None) -> None:
            if answer != "yes":
                return

            def done(_removed) -> None:
                self.notify(f"Deleted {row.key} at {scope.label(org or '')}.", timeout=4)
                self.screen.reload()  # type: ignore[attr-defined]

            self.app.call(  # type: ignore[attr-defined]
                services.variables.unset,
                user,
                org,
                row.key,
                *scope.args,
                kind=row.kind,
                done=done,
            )

        self.app.push_screen(
            confirm(
                f"Delete the {row.kind} {row.key} at {self.label}?",
                f"{after} Its history is kept, so it can be rolled back (h).",
                yes="Delete",
                variant="error",
            ),
            callback=delete,
        )

    def action_reveal(self) -> None:
        row = self.selected
        if row is None or not self.check_action("reveal", ()):
            return
        if row.ident in self.revealed:
            self._mask(row.ident)  # v again hides it
            return

        def show(value: str | None) -> None:
            if value is None:
                self.notify(f"{row.key} has no usable value.", severity="warning")
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
                self.notify(f"{row.key} has no usable value to copy.", severity="warning")
                return
            if row.secretive:
                self.app.copy_secret_to_clipboard(value)  # type: ignore[attr-defined]
            else:
                self.app.copy_to_clipboard(value)
            self.notify(f"Copied {row.key} to the clipboard.", timeout=3)

        if not row.secretive:
            copy(row.value if row.value is not None else row.raw)
            return
        self._plaintext(row, "copy", copy)

    def action_history(self) -> None:
        row = self.selected
        if row is None or not self.check_action("history", ()) or not self.org:
            return
        services, user, org = self.services, self.user, self.org
        where = self.scope.up_to(row.level or "org")

        def rollback(version: int):
            return services.variables.rollback(user, org, row.key, version, *where.args)

        self.app.push_screen(
            VariableHistoryScreen(
                row.key,
                where.label(org),
                partial(services.variables.history, user, org, row.key, *where.args),
                rollback,
                can_write=self.may_write(row.kind),
            ),
            callback=lambda changed: self.screen.reload() if changed else None,  # type: ignore[attr-defined]
        )

    @on(DataTable.RowSelected)
    def _row_chosen(self) -> None:
        if self.check_action("edit", ()):
            self.action_edit()
