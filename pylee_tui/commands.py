"""The command palette (ctrl+p): jump to any org or vault scope, and run the app's actions."""

from __future__ import annotations

from functools import partial

from textual.command import DiscoveryHit, Hit, Hits, Provider

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
    def _commands(self):
        app = self.app
        for org in getattr(app, "org_summaries", []):
            yield (
                f"Go to org: {org.name} ({org.slug})",
                f"{org.registry_count} registries · {org.member_count} members",
                partial(app.switch_to_org, org.slug),  # type: ignore[attr-defined]
            )
        for title, help_text, action in ACTIONS:
            yield title, help_text, partial(app.run_action, action)
        # every scope of the org once section 4 has loaded them
        for pane in app.screen_stack[0].query("VaultPane") if app.screen_stack else ():
            for scope_id, label in pane.scope_items():
                yield (
                    f"Vault: scope {label.strip()}",
                    "Show its variables and secrets in section 4",
                    partial(app.action_vault, "scope", scope_id),  # type: ignore[attr-defined]
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
