"""The CLI from a cold start, as a script calls it: fresh processes, the interpreter and every
import counted. `pylee-tui --version` and `org list --json` beside `python -c pass`; `audit --json`
over an org's whole log beside `sqlite3 -json` selecting the same rows from the same file, and its
peak memory beside the same command listing 100 events (the output streams one page at a time, so
the whole log must cost no more memory than a page).

Every process runs with bytecode cached (as an installed package has it: the environment's
PYTHONDONTWRITEBYTECODE is dropped, the .pyc files go to benchmarks/.cache/pycache), after one
warm-up run; the command and its baseline alternate, so both see the same load. Medians.

small: `cached(SMALL)`; large: `cached(LARGE)` (org acme, about 110,000 audit events). The store is
copied to a temp dir first (opening may migrate it; the cached file is never written). The audit
time target is for the large store: on the small one both take a few milliseconds and the figure
is Python's start-up against sqlite3's.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from benchmarks.harness import Figure  # noqa: E402
from benchmarks.large_store import BIG_ORG, LARGE, SMALL, USER, cached  # noqa: E402

PYTHON = ROOT / ".venv" / "bin" / "python"
PYLEE = ROOT / ".venv" / "bin" / "pylee-tui"
SQLITE3 = "/usr/bin/sqlite3"
PYCACHE = ROOT / "benchmarks" / ".cache" / "pycache"
RUNS = {"small": 15, "large": 15}
AUDIT_RUNS = {"small": 7, "large": 5}
SMALL_LIMIT = 100

# what `audit --json --org ORG` prints, as sqlite3 selects it (same rows, same order, same fields)
AUDIT_SELECT = (
    "SELECT id, created_at AS time, actor, action, org_slug AS org, target_type, target_id, "
    "target_label, json(metadata) AS metadata FROM audit_events "
    "WHERE org_id = (SELECT id FROM organizations WHERE slug = '{org}') ORDER BY id DESC"
)


def _environment() -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("PYLEE", "PYTHONDONTWRITEBYTECODE", "PYTHONPYCACHEPREFIX"))
    }
    env["PYTHONPYCACHEPREFIX"] = str(PYCACHE)
    return env


def run(argv: list[str]) -> tuple[float, int]:
    """Wall time (ms) and peak resident memory (KiB) of one process, its output thrown away."""
    started = time.perf_counter()
    proc = subprocess.Popen(
        argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=_environment()
    )
    _pid, status, usage = os.wait4(proc.pid, 0)
    elapsed = (time.perf_counter() - started) * 1000
    proc.returncode = os.waitstatus_to_exitcode(status)
    errors = proc.stderr.read().decode() if proc.stderr else ""
    if proc.stderr:
        proc.stderr.close()
    if proc.returncode != 0:
        raise RuntimeError(f"{argv[:4]}... exited {proc.returncode}: {errors.strip()[:300]}")
    return elapsed, usage.ru_maxrss


def side_by_side(
    command: list[str], baseline: list[str], runs: int
) -> tuple[list[tuple[float, int]], list[tuple[float, int]]]:
    """Each run of `command` right after one of `baseline`, after a warm-up of each."""
    run(baseline)
    run(command)
    ours, theirs = [], []
    for _ in range(runs):
        theirs.append(run(baseline))
        ours.append(run(command))
    return ours, theirs


def median_ms(results: list[tuple[float, int]]) -> float:
    return statistics.median(r[0] for r in results)


def peak_mib(results: list[tuple[float, int]]) -> float:
    return max(r[1] for r in results) / 1024


def measure(size: str) -> tuple[str, list[Figure]]:
    shape = LARGE if size == "large" else SMALL
    runs = RUNS[size]
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "store.db"
        shutil.copy(cached(shape), db)
        with sqlite3.connect(db) as conn:
            events = conn.execute(
                "SELECT count(*) FROM audit_events a JOIN organizations o ON o.id = a.org_id "
                "WHERE o.slug = ?",
                [BIG_ORG],
            ).fetchone()[0]
        conn.close()
        store = ["--db", str(db), "--as", USER]
        python_pass = [str(PYTHON), "-c", "pass"]

        version, bare = side_by_side([str(PYLEE), "--version"], python_pass, runs)
        orgs, bare2 = side_by_side([str(PYLEE), "org", "list", "--json", *store], python_pass, runs)
        audit_argv = [str(PYLEE), "audit", "--json", "--org", BIG_ORG, *store]
        audit, raw = side_by_side(
            audit_argv,
            [SQLITE3, "-json", str(db), AUDIT_SELECT.format(org=BIG_ORG)],
            AUDIT_RUNS[size],
        )
        few, _ = side_by_side([*audit_argv, "--limit", str(SMALL_LIMIT)], python_pass, 3)

    store_name = "the small store" if size == "small" else "the large store"
    return (
        f"The CLI from a cold start, {store_name} (fresh processes, bytecode cached, medians)",
        [
            Figure(
                "pylee-tui --version",
                median_ms(version),
                baseline=median_ms(bare),
                baseline_what="python -c pass",
                max_ratio=2.0,
                note=f"median of {runs}",
            ),
            Figure(
                "pylee-tui org list --json",
                median_ms(orgs),
                baseline=median_ms(bare2),
                baseline_what="python -c pass",
                max_ratio=5.0,
                note=f"median of {runs}",
            ),
            Figure(
                f"pylee-tui audit --json --org {BIG_ORG} ({events:,} events)",
                median_ms(audit),
                baseline=median_ms(raw),
                baseline_what="sqlite3 -json, the same rows from the same file",
                max_ratio=3.0 if size == "large" else None,
                note=f"median of {AUDIT_RUNS[size]}",
            ),
            Figure(
                f"peak memory of audit --json --org {BIG_ORG} ({events:,} events)",
                peak_mib(audit),
                unit="MiB",
                baseline=peak_mib(few),
                baseline_what=f"the same command with --limit {SMALL_LIMIT}",
                max_ratio=1.25,
                note="bounded: the whole log costs no more than a page",
            ),
        ],
    )


if __name__ == "__main__":
    from benchmarks.harness import report

    text, ok = report(*measure(sys.argv[1] if len(sys.argv) > 1 else "small"))
    print(text)
    sys.exit(0 if ok else 1)
