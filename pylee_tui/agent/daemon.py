"""The agent process: holds data keys in memory only, one per store (by the vault's fingerprint),
and answers one JSON line per connection on its socket, to peers of its own uid alone.

`pylee-tui agent start` runs it as `python -m pylee_tui.agent.daemon` and writes its first key
on its stdin (never argv, never the environment, never a file); it says `ready` on stdout once
the socket listens, then keeps no stdout, no stderr and no log. Requests:
`{"op": "key", "fingerprint": F}` -> `{"key": base64}` or `{"locked": true}`; `add` (a key for
another store, or after `lock`); `status` (never a key); `lock` (forget every key, keep
running); `stop` (forget, remove the socket, exit). With no key request for `idle_timeout`
seconds it forgets every key by itself.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import json
import os
import resource
import signal
import socket
import struct
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

MAX_REQUEST = 64 * 1024
CLIENT_TIMEOUT = 2.0  # a peer that says nothing for this long is dropped
KEY_BYTES = 32


@dataclass
class Keys:
    """The held keys and the idle clock: a key request (or a new key) restarts it."""

    idle_timeout: float
    clock: Callable[[], float] = time.monotonic
    held: dict[str, tuple[str, bytes]] = field(default_factory=dict)  # fingerprint: (store, key)
    last_use: float = 0.0

    def __post_init__(self) -> None:
        self.last_use = self.clock()

    def add(self, fingerprint: str, store: str, key: bytes) -> None:
        self.held[fingerprint] = (store, key)
        self.last_use = self.clock()

    def get(self, fingerprint: str) -> bytes | None:
        self.expire()
        self.last_use = self.clock()
        found = self.held.get(fingerprint)
        return None if found is None else found[1]

    def forget(self) -> None:
        self.held.clear()

    def seconds_left(self) -> float | None:
        """Until the idle lock; None while locked (nothing to forget)."""
        if not self.held:
            return None
        return max(0.0, self.last_use + self.idle_timeout - self.clock())

    def expire(self) -> None:
        left = self.seconds_left()
        if left is not None and left <= 0:
            self.forget()


def peer_uid(conn: socket.socket) -> int | None:
    """The uid of the process at the other end (SO_PEERCRED: pid, uid, gid); None if unknown."""
    try:
        creds = conn.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, struct.calcsize("3i"))
        _pid, uid, _gid = struct.unpack("3i", creds)
    except (OSError, AttributeError, struct.error):
        return None
    return uid


def peer_allowed(uid: int | None, own_uid: int) -> bool:
    """Only a process of our own uid gets an answer (root included: it must be us)."""
    return uid is not None and uid == own_uid


def decode_key(text: Any) -> bytes:
    if not isinstance(text, str):
        raise ValueError("no key")
    try:
        key = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise ValueError("the key is not base64") from None
    if len(key) != KEY_BYTES:
        raise ValueError("the key has the wrong length")
    return key


class Agent:
    def __init__(self, keys: Keys, own_uid: int | None = None):
        self.keys = keys
        self.own_uid = os.getuid() if own_uid is None else own_uid
        self.stopping = False

    def answer(self, request: Any) -> dict[str, Any]:
        if not isinstance(request, dict):
            return {"error": "a request is one JSON object"}
        op = request.get("op")
        if op == "key":
            fingerprint = request.get("fingerprint")
            key = self.keys.get(fingerprint) if isinstance(fingerprint, str) else None
            if key is None:
                return {"locked": True}
            return {"key": base64.b64encode(key).decode("ascii")}
        if op == "add":
            fingerprint, store = request.get("fingerprint"), request.get("store")
            if not isinstance(fingerprint, str) or not isinstance(store, str):
                return {"error": "add needs a fingerprint and a store"}
            try:
                key = decode_key(request.get("key"))
            except ValueError as exc:
                return {"error": str(exc)}
            self.keys.add(fingerprint, store, key)
            return {"ok": True}
        if op == "status":
            self.keys.expire()
            left = self.keys.seconds_left()
            return {
                "locked": not self.keys.held,
                "stores": sorted(store for store, _key in self.keys.held.values()),
                "idle_timeout": self.keys.idle_timeout,
                "idle_left": None if left is None else round(left, 1),
                "pid": os.getpid(),
            }
        if op == "lock":
            self.keys.forget()
            return {"ok": True}
        if op == "stop":
            self.keys.forget()
            self.stopping = True
            return {"ok": True}
        return {"error": "unknown op"}

    def handle(self, conn: socket.socket) -> None:
        """One request, one answer. A peer of another uid is closed on without a word."""
        with conn:
            if not peer_allowed(peer_uid(conn), self.own_uid):
                return
            conn.settimeout(CLIENT_TIMEOUT)
            data = b""
            try:
                while b"\n" not in data and len(data) <= MAX_REQUEST:
                    chunk = conn.recv(4096)
                    if not chunk:
                        break
                    data += chunk
                try:
                    request = json.loads(data.split(b"\n", 1)[0])
                except ValueError:
                    request = None
                reply = self.answer(request)
                conn.sendall(json.dumps(reply).encode("ascii") + b"\n")
            except OSError:
                pass  # the peer went away or stalled: nothing to tell it

    def serve(self, server: socket.socket) -> None:
        while not self.stopping:
            self.keys.expire()
            left = self.keys.seconds_left()
            server.settimeout(None if left is None else left + 0.05)
            try:
                conn, _addr = server.accept()
            except TimeoutError:
                continue
            self.handle(conn)


def listen(path: Path) -> socket.socket:
    """The socket, created 0600 (umask before bind). A socket left by a dead agent is replaced;
    one a live agent answers on is not."""
    probe = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        probe.settimeout(CLIENT_TIMEOUT)
        probe.connect(str(path))
    except OSError:
        with contextlib.suppress(FileNotFoundError):
            path.unlink()
    else:
        raise RuntimeError("an agent is already running")
    finally:
        probe.close()
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    old = os.umask(0o177)
    try:
        server.bind(str(path))
    finally:
        os.umask(old)
    os.chmod(path, 0o600)
    server.listen(16)
    return server


def no_core_dumps() -> None:
    """A core dump would hold the keys: none, best effort."""
    with contextlib.suppress(ValueError, OSError):
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))


def _terminate(_signum: int, _frame: Any) -> None:
    raise SystemExit(0)


def run(path: Path, keys: Keys, ready: Callable[[], None]) -> None:
    """Listen on `path` and answer until `stop` or SIGTERM/SIGHUP/SIGINT; the socket goes with
    the agent."""
    no_core_dumps()
    signal.signal(signal.SIGTERM, _terminate)
    signal.signal(signal.SIGHUP, _terminate)
    server = listen(path)
    bound = os.stat(path).st_ino
    try:
        ready()
        Agent(keys).serve(server)
    except KeyboardInterrupt:
        pass
    finally:
        keys.forget()
        server.close()
        with contextlib.suppress(OSError):
            if os.stat(path).st_ino == bound:  # still ours, not a newer agent's
                path.unlink()


def read_start(line: bytes) -> tuple[Path, Keys]:
    """The first (and only) line on stdin: the socket, the idle timeout and the first key."""
    start = json.loads(line)
    keys = Keys(idle_timeout=float(start["idle_timeout"]))
    keys.add(str(start["fingerprint"]), str(start["store"]), decode_key(start["key"]))
    return Path(start["socket"]), keys


def main() -> int:
    out = sys.stdout
    try:
        line = sys.stdin.buffer.readline(MAX_REQUEST)
        path, keys = read_start(line)
        del line
    except (ValueError, KeyError, TypeError):
        out.write("error: the agent was not started by `pylee-tui agent start`\n")
        out.flush()
        return 1

    def ready() -> None:
        # the socket listens: the agent goes on in a child, so that it is nobody's child (the
        # starting command reaps this process) and never a session leader (it can never gain
        # a controlling terminal); this process says `ready` and leaves without cleaning up
        child = os.fork()
        if child:
            out.write(f"ready {child}\n")
            out.flush()
            os._exit(0)
        # from here on nothing is written anywhere: no stdout, no stderr, no log
        devnull = os.open(os.devnull, os.O_RDWR)
        for fd in (0, 1, 2):
            os.dup2(devnull, fd)
        os.close(devnull)

    try:
        run(path, keys, ready)
    except RuntimeError as exc:  # our own messages: they never hold a key
        out.write(f"error: {exc}\n")
        out.flush()
        return 1
    except OSError as exc:
        out.write(f"error: {exc.strerror or type(exc).__name__}\n")
        out.flush()
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
