"""The app checks and calls servers from a child process (`isolated=True`): the answers are
the ones an in-process check gives, progress arrives server by server, and the secrets reach
the child only on its stdin (never its argv or environment)."""

from __future__ import annotations

import subprocess

import pytest

from pylee_tui.runtime import child
from pylee_tui.services import InvalidInput, Scope, Services
from tests.runtime.test_check import PASSPHRASE, SECRET, TOOLS, name, world  # noqa: F401
from tests.support import ANN


def test_an_isolated_check_answers_as_one_in_process_does(
    world: Services,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    started: list[tuple[list[str], dict[str, str]]] = []
    real = subprocess.Popen

    def watched(argv, *args, **kwargs):
        started.append((list(argv), dict(kwargs.get("env") or {})))
        return real(argv, *args, **kwargs)

    monkeypatch.setattr(child.subprocess, "Popen", watched)
    monkeypatch.setenv("PYLEE_PASSPHRASE", PASSPHRASE)
    servers = [name(p) for p in ("reporter", "exit", "keyless")]
    seen: list[tuple[int, int, str]] = []
    results = world.checks.check(
        ANN,
        TOOLS,
        servers,
        timeout=20,
        isolated=True,
        progress=lambda done, total, r: seen.append((done, total, r.server)),
    )
    by = {r.server: r for r in results}
    assert [r.server for r in results] == sorted(servers)  # the jobs' order
    ok = by[name("reporter")]
    assert (ok.state, ok.server_version, len(ok.tools)) == ("ok", "1.4.2", 4)
    assert isinstance(ok.tools, tuple) and ok.tokens > 0
    failed = by[name("exit")]
    assert (failed.state, failed.exit_status) == ("failed", 1)
    assert "fatal: token •••••• was refused by the backend" in failed.stderr_tail
    assert by[name("keyless")].state == "missing-config"  # known before any child starts
    assert [d for d, _t, _s in seen] == [1, 2, 3] and {t for _d, t, _s in seen} == {3}
    # stored as an in-process check stores it
    assert world.checks.last_result(ANN, Scope("acme", "tools", name("reporter"))).state == "ok"
    # one child for the two servers it had to start; no secret, no passphrase in its start
    assert len(started) == 1
    argv, env = started[0]
    assert SECRET not in " ".join(argv) and SECRET not in env.values()
    assert "PYLEE_PASSPHRASE" not in env


def test_an_isolated_call_types_checks_and_answers(world: Services) -> None:  # noqa: F811
    reporter = Scope("acme", "tools", name("reporter"))
    answer = world.checks.call(
        ANN, reporter, "add", text_arguments={"a": "2", "b": "3"}, isolated=True
    )
    assert (answer.text, answer.is_error) == ("5", False)
    with pytest.raises(InvalidInput, match="a: 'x' is not of type 'integer'"):
        world.checks.call(ANN, reporter, "add", text_arguments={"a": "x"}, isolated=True)
