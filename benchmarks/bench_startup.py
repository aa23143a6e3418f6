"""Start-up, as a person sees it: `pylee-tui` launched in a terminal (a pseudo-terminal, 120x36)
until its first frame shows the org bar (with the org's name) and the section tabs, and until the
org home has settled (the overview's Markdown and the onboarding timeline painted, then quiet).
Beside it, in the same run and the same way, a bare Textual app showing one Static.

Both are fresh processes, so imports count: the interpreter, Textual, and whatever pylee-tui
imports before its first frame. "Painted" means the text reached the terminal (escape sequences
stripped); "settled" is the last output before 0.4 s of quiet. Targets (issue 14): first frame
<= 2x the bare app's first frame, settled org home <= 4x the bare app settled.

small: the demo store (`pylee-tui demo`'s three orgs); large: `cached(LARGE)` (org acme: 40
registries, 20,000 servers, 100,000 keys, 5,000 members), copied to a temp dir (start-up writes:
the last org shown, invitations accepted).
"""

from __future__ import annotations

import fcntl
import os
import pty
import re
import select
import signal
import statistics
import struct
import sys
import tempfile
import termios
import time
from collections.abc import Callable
from pathlib import Path

from benchmarks.harness import Figure
from benchmarks.large_store import app_store

ROOT = Path(__file__).resolve().parent.parent
PYTHON = ROOT / ".venv" / "bin" / "python"
COLUMNS, ROWS = 120, 36
QUIET = 0.4  # seconds without output: settled
RUNS = 5

# CSI, OSC and two-character escape sequences: what is left is the text painted
ESCAPES = re.compile(r"\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)|\x1b[@-Z\\-_]")

BARE_APP = """
from textual.app import App
from textual.widgets import Static

class Bare(App):
    def compose(self):
        yield Static("hello, bare app", id="hello")

Bare().run()
"""


def painted(raw: bytes) -> str:
    return ESCAPES.sub("", raw.decode("utf-8", errors="replace"))


def run_in_terminal(
    argv: list[str], env: dict[str, str], marks: dict[str, Callable[[str], bool]]
) -> dict[str, float]:
    """Launch `argv` in a pseudo-terminal; seconds from launch until each mark holds of the text
    painted so far, and "settled": the last output before QUIET seconds without any."""
    started = time.perf_counter()
    pid, fd = pty.fork()
    if pid == 0:  # the child: a terminal of the benchmark's size, then the program
        fcntl.ioctl(1, termios.TIOCSWINSZ, struct.pack("HHHH", ROWS, COLUMNS, 0, 0))
        os.execve(argv[0], argv, env)
    raw = b""
    seen: dict[str, float] = {}
    last_output = started
    try:
        while True:
            now = time.perf_counter()
            if now - started > 60:
                raise TimeoutError(f"{argv[-1][:40]!r}: never showed {set(marks) - set(seen)}")
            if len(seen) == len(marks) and now - last_output >= QUIET:
                break
            ready, _, _ = select.select([fd], [], [], 0.01)
            if not ready:
                continue
            try:
                chunk = os.read(fd, 1 << 16)
            except OSError:  # the child has gone
                raise RuntimeError(f"{argv} exited early:\n{painted(raw)[-2000:]}") from None
            if not chunk:
                continue
            last_output = time.perf_counter()
            raw += chunk
            if len(seen) < len(marks):
                text = painted(raw)
                for name, mark in marks.items():
                    if name not in seen and mark(text):
                        seen[name] = last_output - started
    finally:
        _stop(pid, fd)
    return {**seen, "settled": last_output - started}


def _stop(pid: int, fd: int) -> None:
    os.kill(pid, signal.SIGKILL)  # the process this benchmark started, by its id
    os.waitpid(pid, 0)
    os.close(fd)


def _environment(user: str | None = None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TEXTUAL", "PYLEE", "COLUMNS"))}
    env.update(TERM="xterm-256color", COLORTERM="truecolor", LINES=str(ROWS))
    if user:
        env["PYLEE_USER"] = user
    return env


def _overview_words(overview: str) -> str:
    """A few words of the overview's first paragraph: painted once the Markdown is."""
    for line in overview.splitlines():
        line = line.strip()
        if line and line[0].isalpha():
            return " ".join(line.split()[:3])
    raise ValueError("the overview has no paragraph to look for")


def _first_org(db: Path, user: str) -> tuple[str, str]:
    from pylee_tui.services import Services
    from pylee_tui.store import Store

    store = Store(db)
    try:
        services = Services(store)
        first = services.orgs.list_orgs(user)[0]
        return first.name, _overview_words(services.orgs.get_org(user, first.slug).overview)
    finally:
        store.close()


def measure(size: str) -> tuple[str, list[Figure]]:
    with tempfile.TemporaryDirectory() as tmp:
        db, user = app_store(size, Path(tmp))
        name, words = _first_org(db, user)
        pylee_argv = [str(ROOT / ".venv" / "bin" / "pylee-tui"), "--db", str(db)]
        bare_argv = [str(PYTHON), "-c", BARE_APP]
        pylee_marks: dict[str, Callable[[str], bool]] = {
            # the real screen: the org bar naming the org, and the section tabs
            "first": lambda t: f" pylee   {name}" in t and "2 Registries" in t,
            "overview": lambda t: words in t and " of 4 done" in t,
        }
        bare_marks: dict[str, Callable[[str], bool]] = {"first": lambda t: "hello, bare" in t}
        # one warm-up of each: the files are in the page cache for both
        run_in_terminal(bare_argv, _environment(), bare_marks)
        run_in_terminal(pylee_argv, _environment(user), pylee_marks)
        bare: list[dict[str, float]] = []
        pylee: list[dict[str, float]] = []
        for _ in range(RUNS):
            bare.append(run_in_terminal(bare_argv, _environment(), bare_marks))
            pylee.append(run_in_terminal(pylee_argv, _environment(user), pylee_marks))

    def ms(runs: list[dict[str, float]], key: str) -> float:
        return statistics.median(r[key] for r in runs) * 1000

    store = "the demo store" if size == "small" else "the large store (acme)"
    return (
        f"Start-up in a terminal, {COLUMNS}x{ROWS}, {store} (median of {RUNS}, fresh processes)",
        [
            Figure(
                "launch -> first frame with the org bar and sections",
                ms(pylee, "first"),
                baseline=ms(bare, "first"),
                baseline_what="bare Textual app, launch -> its first frame",
                max_ratio=2.0,
            ),
            Figure(
                "launch -> org home settled (overview and timeline painted, then quiet)",
                ms(pylee, "settled"),
                baseline=ms(bare, "settled"),
                baseline_what="bare Textual app, launch -> settled",
                max_ratio=4.0,
                note=f"overview painted at {ms(pylee, 'overview'):,.0f} ms",
            ),
        ],
    )


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    from benchmarks.harness import report

    print(report(*measure(sys.argv[1] if len(sys.argv) > 1 else "small"))[0])
