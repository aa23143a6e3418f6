"""Small key/value settings kept in the store (saved identity, last org, theme)."""

from __future__ import annotations

from pylee_tui.services.base import Service, one


class SettingsService(Service):
    def get_setting(self, key: str, default: str | None = None) -> str | None:
        with self.store.reading() as db:
            row = one(db, "SELECT value FROM settings WHERE key = ?", [key])
        return row["value"] if row else default

    def set_setting(self, key: str, value: str) -> None:
        with self.store.transaction() as db:
            db.execute(
                "INSERT INTO settings (key, value) VALUES (?, ?) "
                "ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                [key, value],
            )
