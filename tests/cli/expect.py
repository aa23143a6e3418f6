"""What every CLI test expects of a command: success with nothing on stderr, or one clean
error line; and the store's rows, for 'nothing changed'."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from pylee_tui.store import Store
from tests.support import table_rows


def one_error_line(result) -> str:
    assert "Traceback" not in result.err
    lines = result.err.splitlines()
    assert len(lines) == 1, f"expected one line on stderr, got {lines!r}"
    assert lines[0].startswith("pylee-tui: ")
    return lines[0]


def ok(result) -> str:
    assert result.code == 0, result.err
    assert result.err == ""
    return result.out


def as_json(result) -> Any:
    return json.loads(ok(result))


def rows(db: Path) -> dict[str, list[tuple]]:
    store = Store(db)
    try:
        return table_rows(store)
    finally:
        store.close()
