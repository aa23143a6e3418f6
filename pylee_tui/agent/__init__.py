"""The unlock agent: a small process that holds vaults' data keys in memory and serves them, on a
Unix socket only its own user may reach, to the CLI and the app (no Textual here)."""
