"""What the agent guards: a socket 0600 in a directory 0700, no peer of another uid answered,
no key material on disk or in the agent's environment and command line, a client that treats
anything odd as no agent at all."""

from __future__ import annotations

import base64
import json
import os
import socket
import stat
import threading
from pathlib import Path

import pytest

from pylee_tui.agent import client, daemon, paths
from pylee_tui.services import Services
from pylee_tui.store import Store
from tests.support import CliRunner

from .conftest import PASS, SECRET, start

NOBODY = 65534


def data_key(cli: CliRunner) -> bytes:
    store = Store(cli.db)
    try:
        vault = Services(store).vault
        vault.unlock(PASS)
        return vault.data_key()
    finally:
        store.close()


def agent_pid(runtime: Path) -> int:
    found = client.status()
    assert found is not None
    return int(found["pid"])


def test_socket_is_0600_in_a_directory_0700(
    vault_cli: CliRunner, runtime: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert start(vault_cli, monkeypatch).code == 0
    sock = runtime / "pylee-tui" / "agent.sock"
    assert stat.S_ISSOCK(sock.stat().st_mode)
    assert stat.S_IMODE(sock.stat().st_mode) == 0o600
    assert stat.S_IMODE(sock.parent.stat().st_mode) == 0o700


def test_no_key_material_on_disk_nor_in_the_agents_environment_or_argv(
    vault_cli: CliRunner, runtime: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PYLEE_NEW_PASSPHRASE", "another passphrase")  # must not reach it either
    assert start(vault_cli, monkeypatch).code == 0
    key = data_key(vault_cli)
    needles = [key, base64.b64encode(key), PASS.encode(), SECRET.encode()]
    scanned = 0
    for root in (runtime, vault_cli.db.parent):
        for path in root.rglob("*"):
            if path.is_file():
                content = path.read_bytes()
                scanned += 1
                for needle in needles:
                    assert needle not in content, f"{needle!r} found in {path}"
    assert scanned >= 1  # the store at least
    pid = agent_pid(runtime)
    environ = Path(f"/proc/{pid}/environ").read_bytes()
    cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
    assert b"PYLEE_PASSPHRASE" not in environ and b"PYLEE_NEW_PASSPHRASE" not in environ
    for needle in [*needles, b"another passphrase"]:
        assert needle not in environ and needle not in cmdline
    assert cmdline.split(b"\0")[1:3] == [b"-m", b"pylee_tui.agent.daemon"]


@pytest.mark.skipif(os.getuid() != 0, reason="needs root to act as another uid")
def test_a_peer_of_another_uid_gets_no_answer(
    vault_cli: CliRunner, runtime: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert start(vault_cli, monkeypatch).code == 0
    fingerprint = Services(Store(vault_cli.db)).vault.fingerprint()
    sock = runtime / "pylee-tui" / "agent.sock"
    # open the two outer doors (the directories' and the socket's modes), to reach the third
    for path, mode in ((runtime, 0o711), (sock.parent, 0o711), (sock, 0o666)):
        os.chmod(path, mode)
    read_end, write_end = os.pipe()
    child = os.fork()
    if child == 0:  # nobody: connect, ask for the key, report what came back
        outcome = b"?"
        try:
            os.close(read_end)
            os.setgid(NOBODY)
            os.setuid(NOBODY)
            conn = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            conn.settimeout(5)
            conn.connect(str(sock))
            outcome = b"connected:"
            request = {"op": "key", "fingerprint": fingerprint}
            try:
                conn.sendall(json.dumps(request).encode() + b"\n")
                outcome += conn.recv(4096)
            except (BrokenPipeError, ConnectionResetError):  # closed on before it could ask
                pass
        except BaseException as exc:  # noqa: BLE001 - the child must always report and exit
            outcome = f"error:{type(exc).__name__}".encode()
        finally:
            os.write(write_end, outcome)
            os._exit(0)
    os.close(write_end)
    os.waitpid(child, 0)
    with os.fdopen(read_end, "rb") as pipe:
        outcome = pipe.read()
    assert outcome == b"connected:", outcome  # it reached the agent, which closed on it silently
    for path, mode in ((runtime, 0o700), (sock.parent, 0o700), (sock, 0o600)):
        os.chmod(path, mode)
    assert client.fetch_key(fingerprint) is not None  # and we, the agent's own uid, are answered


def test_the_peer_check_refuses_another_uid_without_a_word() -> None:
    """Runs as any user: the agent, told its own uid is another, closes on its real peer."""
    keys = daemon.Keys(idle_timeout=60)
    keys.add("f" * 64, "/store", b"k" * 32)
    assert daemon.peer_allowed(os.getuid(), os.getuid())
    assert not daemon.peer_allowed(os.getuid() + 1, os.getuid())
    assert not daemon.peer_allowed(None, os.getuid())
    for own_uid, answered in ((os.getuid() + 1, False), (os.getuid(), True)):
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
        assert daemon.peer_uid(ours) == os.getuid()
        theirs.sendall(json.dumps({"op": "key", "fingerprint": "f" * 64}).encode() + b"\n")
        daemon.Agent(keys, own_uid=own_uid).handle(ours)
        try:
            reply = theirs.recv(4096)
        except ConnectionResetError:  # closed with our request unread
            reply = b""
        theirs.close()
        assert (b"key" in reply) is answered
        assert (reply == b"") is not answered


def test_a_loose_or_foreign_directory_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    loose = tmp_path / "loose"
    loose.mkdir(mode=0o755)
    os.chmod(loose, 0o755)
    with pytest.raises(paths.AgentPathError, match="not private"):
        paths.private_dir(loose)
    # an XDG_RUNTIME_DIR that is not private is passed over for the private temp directory
    monkeypatch.setenv("XDG_RUNTIME_DIR", str(loose))
    monkeypatch.setattr("tempfile.tempdir", str(tmp_path))
    assert paths.socket_dir() == tmp_path / f"pylee-tui-{os.getuid()}"
    assert stat.S_IMODE((tmp_path / f"pylee-tui-{os.getuid()}").stat().st_mode) == 0o700
    os.chmod(tmp_path / f"pylee-tui-{os.getuid()}", 0o750)
    with pytest.raises(paths.AgentPathError):
        paths.socket_path()
    link = tmp_path / "link"
    link.symlink_to(tmp_path / f"pylee-tui-{os.getuid()}")
    with pytest.raises(paths.AgentPathError):
        paths.private_dir(link)


def serve_once(path: Path, answer: bytes | None) -> threading.Thread:
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    server.bind(str(path))
    server.listen(1)

    def one() -> None:
        conn, _ = server.accept()
        conn.recv(4096)
        if answer is not None:
            conn.sendall(answer)
        conn.close()
        server.close()

    thread = threading.Thread(target=one, daemon=True)
    thread.start()
    return thread


@pytest.mark.parametrize(
    "answer",
    [b"", b"garbage\n", b"[1, 2]\n", b'{"key": "not base64!"}\n', b'{"key": "c2hvcnQ="}\n'],
)
def test_anything_odd_from_the_socket_is_no_agent(runtime: Path, answer: bytes) -> None:
    sock = paths.socket_path()
    thread = serve_once(sock, answer)
    assert client.fetch_key("f" * 64) is None
    thread.join(5)


def test_no_socket_is_no_agent(runtime: Path) -> None:
    assert client.status() is None
    assert client.fetch_key("f" * 64) is None
    assert client.send("lock") is False


def test_asking_for_an_agent_creates_no_directory(runtime: Path) -> None:
    assert client.fetch_key("f" * 64) is None
    assert list(runtime.iterdir()) == []
