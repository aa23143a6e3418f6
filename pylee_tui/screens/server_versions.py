"""The server page's Versions tab: the published versions (latest and pinned marked, the
unpublished changes as a `draft` row), a diff between two, publish with the suggested bump, roll
back to a version, pin one. Service calls run in workers."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.widgets import DataTable, Static

from pylee_tui.dialogs.choice import ChoiceScreen
from pylee_tui.safe_text import escape
from pylee_tui.services import Scope
from pylee_tui.services.semver import parse
from pylee_tui.services.server_versions import WORKING, VersionState
from pylee_tui.widgets.diff_text import diff_text
from pylee_tui.widgets.pylee_app import pylee_app

HINT = "space: mark a version · d: diff the marked and highlighted (or the one before)"


def state_text(state: VersionState) -> Text:
    """What the tab says above its table: where the server stands and what publish would do."""
    text = Text()
    if state.upstream is not None:
        text.append(f"Forked from {escape(state.upstream)}", style="bold")
        if state.gone:
            text.append(" · gone upstream: not exported", style="yellow")
    else:
        text.append(f"Latest {escape(state.latest or '(none)')}", style="bold")
    if state.pinned:
        text.append(f" · pinned at {escape(state.pinned)}", style="yellow" if state.behind else "")
        if state.behind:
            text.append(" (behind)", style="yellow")
    if state.upstream is None:
        if state.draft:
            text.append("\nThe working copy is a draft: fix it before publishing.", style="yellow")
        elif state.changed and state.next_version:
            reasons = "; ".join(state.suggestion.reasons[:3])
            text.append(
                f"\nUnpublished changes: suggested {state.suggestion.bump or 'first version'}"
                f" → {escape(state.next_version)}"
            )
            if reasons:
                text.append(f" ({escape(reasons)})", style="dim")
        else:
            text.append("\nNo unpublished changes.", style="dim")
    return text


class VersionsPane(Vertical):
    """`scope_of` gives the server's scope now (its name may change); `published` is called
    after a publish, rollback or pin changed what the server page shows."""

    BINDINGS = [
        Binding("p", "publish", "Publish", id="versions.publish"),
        Binding("b", "rollback", "Roll back", id="versions.rollback"),
        Binding("i", "pin", "Pin/unpin", id="versions.pin"),
        Binding("space", "mark", "Mark", id="versions.mark"),
        Binding("d", "diff", "Diff", id="versions.diff"),
    ]
    DEFAULT_CSS = """
    VersionsPane { height: 1fr; }
    VersionsPane #versions-state { height: auto; padding: 0 1; }
    VersionsPane #versions-table { height: auto; max-height: 7; }
    VersionsPane #versions-hint { color: $text-muted; padding: 0 1; height: 1; }
    VersionsPane #versions-diff-box { height: 1fr; }
    """

    def __init__(self, scope_of: Callable[[], Scope], published: Callable[[], None]) -> None:
        super().__init__(id="versions-pane")
        self.scope_of = scope_of
        self.published = published
        self.state: VersionState | None = None
        self.marked: str | None = None

    def compose(self) -> ComposeResult:
        yield Static("…", id="versions-state")
        yield DataTable(cursor_type="row", zebra_stripes=True, id="versions-table")
        yield Static(HINT, id="versions-hint", markup=False)
        with VerticalScroll(id="versions-diff-box"):
            yield Static("", id="versions-diff", markup=False)

    def on_mount(self) -> None:
        self.query_one("#versions-table", DataTable).add_columns("", "Version", "Published", "By")
        self.load()

    def load(self) -> None:
        app, user = pylee_app(self), pylee_app(self).require_user()
        services = app.require_services()
        app.call(
            services.server_versions.state,
            user,
            self.scope_of(),
            done=self.show,
            group="server-versions",
        )

    def show(self, state: VersionState) -> None:
        self.state = state
        self.query_one("#versions-state", Static).update(state_text(state))
        table = self.query_one("#versions-table", DataTable)
        table.clear()
        if state.changed and state.upstream is None:
            table.add_row("", Text("draft", style="italic"), "unpublished", "", key=WORKING)
        for v in reversed(state.versions):
            marks = "●" if v.version == state.latest else ""
            marks += "⚲" if v.version == state.pinned else ""
            table.add_row(
                marks,
                Text(escape(v.version)),
                f"{v.published_at:%Y-%m-%d %H:%M}",
                Text(escape(v.published_by or "(migrated)")),
                key=v.version,
            )

    # --- actions ---------------------------------------------------------------------------

    def _highlighted(self) -> str | None:
        table = self.query_one("#versions-table", DataTable)
        if table.row_count == 0:
            return None
        key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value
        return str(key) if key is not None else None

    def _may_write(self) -> bool:
        view = getattr(self.app.screen_stack[0], "view", None)
        return bool(view and "registries:write" in view.allowed)

    def _call(self, fn: Any, *args: Any, **kwargs: Any) -> None:
        app = pylee_app(self)

        def done(result: Any) -> None:
            self.notify(escape(self._said(result)), timeout=4, markup=False)
            self.published()
            self.load()

        app.call(fn, *args, done=done, group="server-versions-write", **kwargs)

    @staticmethod
    def _said(result: Any) -> str:
        version = getattr(result, "version", None)
        if version is not None:
            return f"Published {result.server} {version}."
        pinned = getattr(result, "pinned", None)
        return f"Pinned at {pinned}." if pinned else "Follows the latest version."

    def action_mark(self) -> None:
        version = self._highlighted()
        self.marked = None if version == self.marked else version
        hint = f"marked {self.marked}: d diffs it with the highlighted one" if self.marked else HINT
        self.query_one("#versions-hint", Static).update(hint)

    def action_diff(self) -> None:
        state, new = self.state, self._highlighted()
        if state is None or new is None:
            return
        old = self.marked
        if old is None or old == new:
            names = [WORKING] if state.changed and state.upstream is None else []
            names += [v.version for v in reversed(state.versions)]
            index = names.index(new)
            if index + 1 >= len(names):
                self.query_one("#versions-diff", Static).update("The first version.")
                return
            old = names[index + 1]
        if old != WORKING and new != WORKING and _older(new, old):
            old, new = new, old
        app, user = pylee_app(self), pylee_app(self).require_user()

        def show(text: str) -> None:
            body = diff_text(text) if text else Text(f"No differences between {old} and {new}.")
            self.query_one("#versions-diff", Static).update(body)

        app.call(
            app.require_services().server_versions.diff,
            user,
            self.scope_of(),
            old,
            new,
            done=show,
            group="server-versions-diff",
        )

    def action_publish(self) -> None:
        state = self.state
        if state is None or not self._may_write():
            self.notify("Publishing needs the grant registries:write.", severity="warning")
            return
        if state.upstream is not None or state.draft or not state.next_version:
            self.notify(escape(state_text(state).plain.splitlines()[-1]), markup=False)
            return
        latest = parse(state.latest) if state.latest else None
        suggested = state.suggestion.bump
        choices: list[tuple[str, str, Any]] = []
        if latest is None:
            choices.append(("first", f"Publish {state.next_version}", "primary"))
        else:
            for bump in ("patch", "minor", "major"):
                label = f"{bump} → {latest.bumped(bump)}"
                choices.append((bump, label, "primary" if bump == suggested else "default"))
        choices.append(("cancel", "Cancel", "default"))
        reasons = "\n".join(f"  {r}" for r in state.suggestion.reasons[:6])
        message = f"Suggested: {suggested or 'the first version'}\n{reasons}"
        user, scope = pylee_app(self).require_user(), self.scope_of()
        services = pylee_app(self).require_services()

        def chosen(answer: str | None) -> None:
            if answer in (None, "cancel"):
                return
            bump = None if answer == "first" else answer
            self._call(services.server_versions.publish, user, scope, bump=bump)

        self.app.push_screen(
            ChoiceScreen(f"Publish {state.server}", message, choices, default=suggested or "first"),
            chosen,
        )

    def action_rollback(self) -> None:
        state, version = self.state, self._highlighted()
        if state is None or version in (None, WORKING):
            return
        if not self._may_write():
            self.notify("Rolling back needs the grant registries:write.", severity="warning")
            return
        choices: list[tuple[str, str, Any]] = [("rollback", "Roll back", "primary")]
        message = f"Publish the content of {version} as a new version, after {state.latest}."
        if state.changed:
            message += "\nThe unpublished changes would be discarded."
            choices = [("rollback", "Discard and roll back", "warning")]
        choices.append(("cancel", "Cancel", "default"))
        user, scope = pylee_app(self).require_user(), self.scope_of()
        services = pylee_app(self).require_services()

        def chosen(answer: str | None) -> None:
            if answer == "rollback":
                self._call(
                    services.server_versions.rollback,
                    user,
                    scope,
                    version,
                    discard=state.changed,
                )

        self.app.push_screen(
            ChoiceScreen(f"Roll back {state.server}", message, choices, default="cancel"), chosen
        )

    def action_pin(self) -> None:
        state, version = self.state, self._highlighted()
        if state is None or version is None or version == WORKING:
            return
        if not self._may_write():
            self.notify("Pinning needs the grant registries:write.", severity="warning")
            return
        user, scope = pylee_app(self).require_user(), self.scope_of()
        services = pylee_app(self).require_services()
        if state.pinned == version:
            self._call(services.server_versions.unpin, user, scope)
        else:
            self._call(services.server_versions.pin, user, scope, version)


def _older(a: str, b: str) -> bool:
    first, second = parse(a), parse(b)
    return first is not None and second is not None and first < second
