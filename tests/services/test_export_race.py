"""Another program writing the client's file while an export writes it (Claude Code rewrites its
`~/.claude.json` all the time): what it wrote between the export's read and its rename is never
lost. The export merges again from the file as it is now, or refuses with nothing written."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from pylee_tui.services import Services
from pylee_tui.services.errors import Conflict
from pylee_tui.services.export import owners
from pylee_tui.services.export.written import pending_paths
from tests.services import test_services_export
from tests.services.test_services_export import install

world = test_services_export.world  # the fixture: acme / tools, its servers and secrets
WEATHER = "io.github.alice/weather"


def rewritten_meanwhile(
    monkeypatch: pytest.MonkeyPatch, path: Path, times: int | None
) -> list[int]:
    """The other program writes `path` while the export's new file is whole but not yet in
    place (each time the export records its intent), `times` times (None: every time). Returns
    the list its writes are counted in."""
    real = owners.record_intent
    writes: list[int] = []

    def racing(*args: Any, **kwargs: Any) -> None:
        if times is None or len(writes) < times:
            writes.append(1)
            doc = json.loads(path.read_text("utf-8")) if path.exists() else {}
            doc["numStartups"] = len(writes) + 1
            doc["oauthAccount"] = {"emailAddress": "ann@example.com"}
            path.write_text(json.dumps(doc), "utf-8")
        real(*args, **kwargs)

    monkeypatch.setattr(owners, "record_intent", racing)
    return writes


@pytest.mark.parametrize("existed", [True, False], ids=["file", "no-file-yet"])
def test_what_the_client_wrote_during_the_export_is_kept(
    world: Services, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, existed: bool
) -> None:
    target = tmp_path / ".claude.json"
    if existed:
        target.write_text(json.dumps({"numStartups": 1, "mcpServers": {}}), "utf-8")
    writes = rewritten_meanwhile(monkeypatch, target, times=1)
    _plan, result = install(world, target, "claude-code", servers=[WEATHER], secrets="reference")
    doc = json.loads(target.read_text("utf-8"))
    assert writes == [1]
    assert result.written
    assert doc["numStartups"] == 2  # the client's own write, not the one read before it
    assert doc["oauthAccount"] == {"emailAddress": "ann@example.com"}
    assert list(doc["mcpServers"]) == ["weather"]  # and the export's entry
    with world.store.reading() as db:
        assert owners.read_owners(db, target)["servers"] == {
            "weather": {"org": "acme", "registry": "tools", "registry_id": 1, "server": WEATHER}
        }
        assert not pending_paths(db)
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]


def test_a_file_rewritten_at_every_attempt_is_refused_with_nothing_written(
    world: Services, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / ".claude.json"
    target.write_text(json.dumps({"numStartups": 1}), "utf-8")
    writes = rewritten_meanwhile(monkeypatch, target, times=None)
    with pytest.raises(Conflict) as refused:
        install(world, target, "claude-code", servers=[WEATHER], secrets="reference")
    message = str(refused.value)
    assert "\n" not in message
    assert message == (
        f"{target} changed while it was being written; nothing was written: try again"
    )
    assert len(writes) > 1  # merged again before giving up
    doc = json.loads(target.read_text("utf-8"))
    assert doc == {
        "numStartups": len(writes) + 1,
        "oauthAccount": {"emailAddress": "ann@example.com"},
    }
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]
    with world.store.reading() as db:
        assert not pending_paths(db)  # no export left half-recorded: status is not "interrupted"
        assert owners.read_owners(db, target)["servers"] == {}

    monkeypatch.undo()  # the client is quiet again: the next export goes through
    _plan, result = install(world, target, "claude-code", servers=[WEATHER], secrets="reference")
    doc = json.loads(target.read_text("utf-8"))
    assert result.written and list(doc["mcpServers"]) == ["weather"]
    assert doc["numStartups"] == len(writes) + 1
