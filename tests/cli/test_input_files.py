"""Files a person names (`server import`/`add`/`edit`, `--overview-file`, the app's import) and
stdin: anything that is not a regular file of sane size, or is not UTF-8, or nests without end,
is refused with one line, without waiting, without reading it all, and nothing stored changes.

The runs that would hang or eat memory if the reader regressed (a named pipe, /dev/zero, a closed
stdin) run the CLI in a child process with a timeout and a memory cap."""

from __future__ import annotations

import io
import json
import os
import resource
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from pylee_tui.server_json import INPUT_MAX_BYTES, MAX_DEPTH, read_entries
from pylee_tui.services import InvalidInput, Services
from pylee_tui.services.audit import LIMIT_MAX
from pylee_tui.store import Store
from tests.support import ANN, WEATHER, CliRunner, table_rows

REPO = Path(__file__).resolve().parents[2]
NOTHING = "; nothing was imported"


@pytest.fixture
def acme(cli: CliRunner) -> CliRunner:
    """An org `acme` with one registry `tools` holding one server."""
    for argv in (
        ("org", "create", "Acme"),
        ("registry", "create", "--org", "acme", "Tools"),
    ):
        assert cli(*argv).code == 0
    server = cli.db.parent / "weather.json"
    server.write_text(json.dumps(WEATHER), "utf-8")
    assert cli("server", "add", "--org", "acme", "--registry", "tools", str(server)).code == 0
    return cli


def stored(db: Path) -> dict[str, list[tuple]]:
    store = Store(db)
    try:
        return table_rows(store)
    finally:
        store.close()


def one_line(result, code: int = 1) -> str:
    assert (result.code, result.out) == (code, "")
    lines = result.err.splitlines()
    assert len(lines) == 1, result.err
    assert "internal error" not in lines[0] and "Traceback" not in result.err
    return lines[0]


def run_process(
    db: Path, *argv: str, stdin=subprocess.DEVNULL, close_stdin: bool = False
) -> subprocess.CompletedProcess:
    """The CLI in a child process: at most 30 s and 2 GiB of memory, so a reader that waits
    forever or reads without end fails the test instead of stalling or swapping the machine."""

    def limits() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (2 << 30, 2 << 30))
        if close_stdin:  # as `pylee-tui ... - <&-` in a shell: Python sets sys.stdin to None
            os.close(0)

    return subprocess.run(
        [sys.executable, "-m", "pylee_tui", "--db", str(db), "--as", ANN, *argv],
        stdin=stdin,
        capture_output=True,
        text=True,
        timeout=30,
        preexec_fn=limits,
        cwd=REPO,
    )


def process_line(done: subprocess.CompletedProcess) -> str:
    assert (done.returncode, done.stdout) == (1, ""), done.stderr
    lines = done.stderr.splitlines()
    assert len(lines) == 1, done.stderr
    return lines[0]


IMPORT = ("server", "import", "--org", "acme", "--registry", "tools")


# --- things that are not files ---------------------------------------------------------------


def test_import_of_a_device_is_refused_without_reading_it(acme: CliRunner) -> None:
    before = stored(acme.db)
    line = process_line(run_process(acme.db, *IMPORT, "/dev/zero"))
    assert line == f"pylee-tui: '/dev/zero' is a device, not a file{NOTHING}"
    assert stored(acme.db) == before


def test_overview_from_a_device_is_refused_and_the_overview_is_kept(acme: CliRunner) -> None:
    overview = acme.db.parent / "overview.md"
    overview.write_text("# Acme\n", "utf-8")
    assert acme("org", "edit", "acme", "--overview-file", str(overview)).code == 0
    before = stored(acme.db)
    line = process_line(run_process(acme.db, "org", "edit", "acme", "--overview-file", "/dev/zero"))
    assert line == "pylee-tui: '/dev/zero' is a device, not a file"
    assert stored(acme.db) == before


@pytest.mark.parametrize(
    "argv",
    [
        (*IMPORT, "{fifo}"),
        ("server", "add", "--org", "acme", "--registry", "tools", "{fifo}"),
        ("org", "edit", "acme", "--overview-file", "{fifo}"),
    ],
    ids=["server import", "server add", "org edit --overview-file"],
)
def test_a_named_pipe_without_a_writer_is_refused_at_once(
    acme: CliRunner, tmp_path: Path, argv: tuple[str, ...]
) -> None:
    fifo = tmp_path / "servers.json"
    os.mkfifo(fifo)
    before = stored(acme.db)
    done = run_process(acme.db, *(a.format(fifo=fifo) for a in argv))
    line = process_line(done)
    assert line.startswith(f"pylee-tui: '{fifo}' is a named pipe, not a file")
    assert "give - for stdin" in line
    assert stored(acme.db) == before


def test_the_apps_import_reader_refuses_a_named_pipe_without_waiting(tmp_path: Path) -> None:
    """The app's import form reads each path with read_entries, in a worker thread."""
    fifo = tmp_path / "servers.json"
    os.mkfifo(fifo)
    outcome: dict[str, str] = {}

    def read() -> None:
        try:
            outcome["entries"] = repr(read_entries(str(fifo)))
        except ValueError as exc:
            outcome["error"] = str(exc)

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    reader.join(timeout=30)
    if reader.is_alive():  # blocked opening the pipe: a writer's open (then close) releases it
        os.close(os.open(fifo, os.O_WRONLY | os.O_NONBLOCK))
        reader.join(timeout=30)
        pytest.fail("reading a named pipe with no writer waited for one")
    assert outcome == {
        "error": f"'{fifo}' is a named pipe, not a file (to read from a pipe, give - for stdin)"
    }


def test_a_directory_is_refused(acme: CliRunner, tmp_path: Path) -> None:
    """(Already right before the reader was rebuilt: kept so it stays right.)"""
    line = one_line(acme(*IMPORT, str(tmp_path)))
    assert line == f"pylee-tui: '{tmp_path}' is a directory, not a file{NOTHING}"


def test_a_file_name_of_128_kib_gets_one_short_line(acme: CliRunner) -> None:
    name = "a" * (128 * 1024)
    before = stored(acme.db)
    for argv in ((*IMPORT, name), ("org", "edit", "acme", "--overview-file", name)):
        line = one_line(acme(*argv))
        assert line.startswith("pylee-tui: the file name is too long (131,072 characters): 'aaa")
        assert len(line) < 300
    assert stored(acme.db) == before


# --- stdin -----------------------------------------------------------------------------------


def test_import_from_a_closed_stdin_says_so(acme: CliRunner) -> None:
    before = stored(acme.db)
    line = process_line(run_process(acme.db, *IMPORT, "-", close_stdin=True))
    assert line == f"pylee-tui: stdin is closed, so there is nothing to read{NOTHING}"
    assert stored(acme.db) == before


@pytest.mark.parametrize("stdin", ["none", "closed"])
def test_stdin_that_is_gone_or_closed_gets_one_line(
    acme: CliRunner, monkeypatch: pytest.MonkeyPatch, stdin: str
) -> None:
    stream = None
    if stdin == "closed":
        stream = io.TextIOWrapper(io.BytesIO(json.dumps(WEATHER).encode()))
        stream.close()
    monkeypatch.setattr(sys, "stdin", stream)
    line = one_line(acme("server", "add", "--org", "acme", "--registry", "tools", "-"))
    assert line == "pylee-tui: stdin is closed, so there is nothing to read"
    line = one_line(acme("org", "edit", "acme", "--overview-file", "-"))
    assert line == "pylee-tui: stdin is closed, so there is nothing to read"


def test_endless_stdin_is_cut_at_the_limit(acme: CliRunner) -> None:
    before = stored(acme.db)
    with open("/dev/zero", "rb") as zero:
        line = process_line(run_process(acme.db, *IMPORT, "-", stdin=zero))
    assert line == f"pylee-tui: stdin is larger than the 16 MiB limit{NOTHING}"
    with open("/dev/zero", "rb") as zero:
        done = run_process(acme.db, "org", "edit", "acme", "--overview-file", "-", stdin=zero)
    assert process_line(done) == "pylee-tui: stdin is larger than the 1 MiB limit"
    assert stored(acme.db) == before


def test_stdin_that_is_not_utf8_gets_one_line(
    acme: CliRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(b'{"name":\n "caf\xe9"}')))
    line = one_line(acme(*IMPORT, "-"))
    assert line == f"pylee-tui: stdin is not UTF-8 text (byte 0xe9 at line 2, column 6){NOTHING}"


# --- files too large, not UTF-8, nested without end -------------------------------------------


def test_a_file_over_16_mib_is_refused_before_it_is_parsed(acme: CliRunner, tmp_path: Path) -> None:
    big = tmp_path / "big.json"
    big.write_bytes(b"[" + b" " * (INPUT_MAX_BYTES - 1) + b"]")  # one byte over: valid JSON
    line = one_line(acme(*IMPORT, str(big)))
    assert line == f"pylee-tui: '{big}' is larger than the 16 MiB limit{NOTHING}"


def test_a_file_that_is_not_utf8_says_where(acme: CliRunner, tmp_path: Path) -> None:
    latin1 = tmp_path / "latin1.json"
    latin1.write_bytes(b'{\n  "name": "caf\xe9"\n}')
    line = one_line(acme("server", "add", "--org", "acme", "--registry", "tools", str(latin1)))
    assert line == f"pylee-tui: '{latin1}' is not UTF-8 text (byte 0xe9 at line 2, column 15)"


def nested(depth: int) -> dict:
    """WEATHER with a value nested `depth` lists deep in an unknown field (a draft's fault)."""
    document = json.loads(json.dumps(WEATHER))
    value: list = []
    for _ in range(depth - 1):
        value = [value]
    document["packages"][0]["extra"] = value
    return document


LEGACY = {
    "name": "io.github.acme/old",
    "description": "Old",
    "version_detail": {"version": "1.0.0"},
    "packages": [{"registry_name": "npm", "name": "@acme/old", "version": "1.0.0"}],
}


@pytest.mark.parametrize(
    ("document", "depth"),
    [(LEGACY, 600), (WEATHER, 100_000)],  # 600: read, then converting it overflowed the stack
    ids=["legacy shape, 600 levels", "current shape, 100,000 levels"],
)
def test_json_nested_too_deeply_is_refused_and_nothing_is_imported(
    acme: CliRunner, tmp_path: Path, document: dict, depth: int
) -> None:
    document = json.loads(json.dumps(document))
    document["packages"][0]["extra"] = None
    path = tmp_path / "deep.json"
    path.write_text(json.dumps(document).replace("null", "[" * depth + "]" * depth), "utf-8")
    before = stored(acme.db)
    line = one_line(acme(*IMPORT, str(path)))
    assert line == f"pylee-tui: '{path}' is nested too deeply (more than 64 levels){NOTHING}"
    assert stored(acme.db) == before


def test_json_nested_to_the_limit_is_still_read(acme: CliRunner, tmp_path: Path) -> None:
    """The object, `packages` and the package are 3 levels: 61 more reach MAX_DEPTH."""
    path = tmp_path / "deep.json"
    path.write_text(json.dumps(nested(MAX_DEPTH - 3)), "utf-8")
    result = acme(*IMPORT, "--replace", str(path))
    assert result.code == 0, result.err
    assert "drafts 1" in result.out  # kept as a draft: `extra` is not a package field


# --- numbers ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("number", "reason"),
    [
        ("1e999999", "the number 1e999999 is out of range (it would be read as Infinity)"),
        ("-1e400", "the number -1e400 is out of range (it would be read as -Infinity)"),
        ("NaN", "NaN is not a JSON number"),
        ("Infinity", "Infinity is not a JSON number"),
        ("-Infinity", "-Infinity is not a JSON number"),
    ],
)
def test_a_number_that_is_not_finite_is_refused_naming_where(
    acme: CliRunner, tmp_path: Path, number: str, reason: str
) -> None:
    doc = json.dumps({**WEATHER, "name": "io.github.acme/big"}).replace(
        '"stdio"', f'"stdio", "weight": {number}'
    )
    path = tmp_path / "big.json"
    path.write_text(doc, "utf-8")
    before = stored(acme.db)
    line = one_line(acme(*IMPORT, str(path)))
    where = "$.packages[0].transport.weight"
    assert line == f"pylee-tui: '{path}' is not valid JSON: at {where}, {reason}{NOTHING}"
    assert stored(acme.db) == before


def test_an_imported_registry_exports_what_it_imports_again(
    acme: CliRunner, tmp_path: Path
) -> None:
    """The reason for refusing 1e999999: stored, it was exported as Infinity, which our own
    import (rightly) refuses. Whatever import takes, export gives back in a form import takes."""
    path = tmp_path / "big.json"
    path.write_text(json.dumps(WEATHER).replace('"stdio"', '"stdio", "weight": 1e999999'), "utf-8")
    acme(*IMPORT, "--replace", str(path))
    exported = tmp_path / "out.json"
    done = acme("server", "export", "--org", "acme", "--registry", "tools", "--out", str(exported))
    assert done.code == 0, done.err
    assert "Infinity" not in exported.read_text("utf-8")
    again = acme(*IMPORT, "--replace", str(exported))
    assert again.code == 0, again.err


# --- audit --limit ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("limit", "shown"),
    [
        ("9999999999999999999", "got 9999999999999999999"),
        (str(LIMIT_MAX + 1), "got 100001"),
        ("0", "got 0"),
    ],
)
def test_audit_limit_out_of_range_is_a_usage_error(acme: CliRunner, limit: str, shown: str) -> None:
    line = one_line(acme("audit", "--org", "acme", "--limit", limit), code=2)
    assert f"argument --limit: must be from 1 to 100,000 ({shown})" in line


def test_audit_limit_with_thousands_of_digits_gets_a_short_line(acme: CliRunner) -> None:
    line = one_line(acme("audit", "--limit", "9" * 5000), code=2)
    assert "is not a whole number" in line and len(line) < 200


def test_audit_limit_at_the_maximum_lists_everything(acme: CliRunner) -> None:
    result = acme("audit", "--org", "acme", "--limit", str(LIMIT_MAX), "--json")
    assert result.code == 0, result.err
    assert [e["action"] for e in json.loads(result.out)][-1] == "org.create"


@pytest.mark.parametrize("limit", [0, LIMIT_MAX + 1, 2**63, 10**19])
def test_audit_service_refuses_a_limit_out_of_range(services: Services, limit: int) -> None:
    services.orgs.create(ANN, "Acme")
    with pytest.raises(InvalidInput, match=r"^limit must be from 1 to 100,000 \(got "):
        services.audit.list_for_org(ANN, "acme", limit=limit)
    with pytest.raises(InvalidInput, match=r"^limit must be from 1 to 100,000 \(got "):
        services.audit.list_by_actor(ANN, limit=limit)
