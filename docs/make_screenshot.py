"""Regenerate docs/org-home.svg with the app's own screenshot feature, on the demo store."""

from __future__ import annotations

import asyncio
import tempfile
from pathlib import Path

from pylee_tui.app import PyleeApp
from pylee_tui.services import Services
from pylee_tui.services.demo import load_demo
from pylee_tui.store import Store

USER = "ann@example.com"
OUT = Path(__file__).resolve().parent / "org-home.svg"


async def shoot(db: Path) -> None:
    app = PyleeApp(db_path=db, user=USER, watch_interval=3600)
    async with app.run_test(size=(120, 36)) as pilot:
        for _ in range(4):
            await app.workers.wait_for_complete()
            await pilot.pause()
        app.screen.query_one("#timeline").expanded = True  # show the steps, not "Setup complete"
        await pilot.pause(0.3)
        app.save_screenshot(filename=OUT.name, path=str(OUT.parent))


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "demo.db"
        store = Store(db)
        load_demo(Services(store), USER)
        store.close()
        asyncio.run(shoot(db))
    print(f"wrote {OUT}")


if __name__ == "__main__":
    main()
