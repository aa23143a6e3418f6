"""The command palette (ctrl+p): jump to any org or vault scope, run the app's actions, and
search the shown org (servers, registries, keys, members) as you type; a result goes there."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from functools import partial
from typing import TYPE_CHECKING, Any

from rich.text import Text
from textual.command import DiscoveryHit, Hit, Hits, Provider

from pylee_tui.safe_text import escape
from pylee_tui.screens.org import OrgScreen
from pylee_tui.screens.org_compare import open_org_compare
from pylee_tui.screens.server_detail import ServerScreen
from pylee_tui.sections.registries.tree import NodeData, RegistryTree
from pylee_tui.sections.vault.pane import VaultPane
from pylee_tui.sections.vault.rows import scope_id
from pylee_tui.services.errors import PyleeError
from pylee_tui.services.search import SearchHit
from pylee_tui.store import StoreError
from pylee_tui.widgets.pylee_app import pylee_app

if TYPE_CHECKING:
    from pylee_tui.app import PyleeApp

SEARCH_MIN = 2  # characters typed before the org is searched
KIND_LABEL = {"server": "Server", "registry": "Registry", "key": "Key", "member": "Member"}

ACTIONS = (
    ("New organization", "Create an organization; you become its admin", "new_org"),
    ("Switch organization", "Open the org switcher", "switch_org"),
    ("Edit overview", "Write the org overview in the split editor", "edit_overview"),
    ("Organization settings", "Name, slug, description, delete", "org_settings"),
    ("Go to Overview", "Section 1", "show_section('overview')"),
    ("Go to Registries", "Section 2", "show_section('registries')"),
    ("Go to Members", "Section 3", "show_section('members')"),
    ("Go to Vault", "Section 4", "show_section('vault')"),
    ("Go to Audit", "Section 5", "show_section('audit')"),
    ("Go to Clients", "Section 6: MCP client files, drift, sync", "show_section('clients')"),
    ("Vault: scope…", "Pick the org, a registry or a server in section 4", "vault('pick_scope')"),
    ("Vault: defined here / effective", "Switch the vault table (t)", "vault('toggle_mode')"),
    ("Vault: new variable or secret", "At the vault's current scope (n)", "vault('new')"),
    ("Vault: lock", "Forget the vault key; revealed secrets hide (ctrl+l)", "lock_vault"),
    (
        "Vault: change passphrase",
        "Re-wrap the vault key under a new passphrase; secrets stay as they are",
        "vault_passwd",
    ),
    (
        "Vault: auto-lock after…",
        "How long the vault stays unlocked without input",
        "vault_idle_lock",
    ),
    ("Help: keys", "Every key of the current screen", "help"),
)


class PyleeCommands(Provider):
    def _commands(self) -> Iterator[tuple[str, str, Callable[[], Any]]]:
        app = pylee_app(self)
        for org in app.org_summaries:
            yield (
                f"Go to org: {org.name} ({org.slug})",
                f"{org.registry_count} registries · {org.member_count} members",
                partial(app.switch_to_org, org.slug),
            )
        for title, help_text, action in ACTIONS:
            yield title, help_text, partial(app.run_action, action)
        yield (
            "Compare with another org…",
            "The differences registry by registry (secrets: same, differs or missing)",
            partial(open_org_compare, app),
        )
        # every scope of the org once section 4 has loaded them
        for pane in app.screen_stack[0].query(VaultPane) if app.screen_stack else ():
            for ident, label in pane.scope_items():
                yield (
                    f"Vault: scope {label.strip()}",
                    "Show its variables and secrets in section 4",
                    partial(app.action_vault, "scope", ident),
                )

    async def discover(self) -> Hits:
        for title, help_text, callback in self._commands():
            yield DiscoveryHit(title, callback, help=help_text)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for title, help_text, callback in self._commands():
            score = matcher.match(title)
            if score > 0:
                yield Hit(score, matcher.highlight(title), callback, help=help_text)
        for hit in await self._search_org(query):
            title = f"{KIND_LABEL[hit.kind]}: {escape(hit.title)}"
            # a match in the description alone still counts, below the name matches
            score = max(matcher.match(title), 0.05)
            yield Hit(
                score,
                matcher.highlight(title) if matcher.match(title) else Text(title),
                partial(go_to, pylee_app(self), hit),
                help=escape(hit.detail),
            )

    async def _search_org(self, query: str) -> list[SearchHit]:
        app = pylee_app(self)
        org = org_screen(app)
        services, user = app.services, app.user
        if len(query.strip()) < SEARCH_MIN or org is None or org.slug is None:
            return []
        if services is None or user is None:
            return []
        # the store's lock serialises this with the app's own workers
        try:
            return await asyncio.to_thread(services.search.search, user, org.slug, query)
        except (PyleeError, StoreError):  # the org went away meanwhile: nothing to offer
            return []


def org_screen(app: PyleeApp) -> OrgScreen | None:
    """The org screen at the bottom of the stack, when it shows an org."""
    base = app.screen_stack[0] if app.screen_stack else None
    return base if isinstance(base, OrgScreen) and base.slug else None


async def go_to(app: PyleeApp, hit: SearchHit) -> None:
    """Show a search result: its section, with the cursor on it (a server opens its page)."""
    screen = org_screen(app)
    if screen is None:
        return
    if hit.kind == "key":
        app.action_vault("scope", scope_id(hit.scope))
        return
    section = "members" if hit.kind == "member" else "registries"
    shown = asyncio.Event()
    screen.action_section(section, then=shown.set)  # built on first visit: wait for it
    await shown.wait()
    await app.workers.wait_for_complete()  # the section's list has loaded
    if hit.kind == "member":
        from pylee_tui.sections.members.pane import MembersPane

        if hit.email:
            screen.query_one(MembersPane).select_member(hit.email)
        return
    registry, server = hit.scope.registry, hit.scope.server
    if registry is None:  # a server or registry hit always names its registry
        return
    tree = screen.query_one(RegistryTree)
    tree.select_data(NodeData("registry", registry))
    tree.focus()
    if hit.kind == "server" and server and screen.slug and screen.view is not None:
        app.push_screen(ServerScreen(screen.slug, registry, server, screen.view.role))
