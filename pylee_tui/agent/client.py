"""What the CLI and the app ask of the agent. Any failure (no socket, a refusal, no answer in
2 s, garbage) means the agent is not there: never an exception to the person."""

from __future__ import annotations

import base64
import contextlib
import json
import os
import socket
import struct
from typing import Any, Protocol

from .daemon import KEY_BYTES, MAX_REQUEST, decode_key
from .paths import AgentPathError, socket_path

TIMEOUT = 2.0


class Unlockable(Protocol):
    """A local vault (`VaultService`) or a member's team key (`team.vault_client.RemoteVault`):
    what the agent's key is looked up by and handed to."""

    @property
    def unlocked(self) -> bool: ...

    def initialized(self) -> bool: ...

    def fingerprint(self) -> str: ...

    def unlock_with_key(self, data_key: bytes) -> None: ...


class AgentAbsent(Exception):
    """No agent answered (or not one we trust)."""


def request(message: dict[str, Any], timeout: float = TIMEOUT) -> dict[str, Any]:
    """One request, one answer. AgentAbsent for anything short of a JSON object back from a
    process of our own uid."""
    try:
        path = socket_path(create=False)
    except AgentPathError as exc:
        raise AgentAbsent(str(exc)) from None
    conn = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        conn.settimeout(timeout)
        conn.connect(str(path))
        if server_uid(conn) != os.getuid():  # our private directory: only root could do this
            raise AgentAbsent("the socket is not served by you")
        conn.sendall(json.dumps(message).encode("ascii") + b"\n")
        data = b""
        while b"\n" not in data and len(data) <= MAX_REQUEST:
            chunk = conn.recv(4096)
            if not chunk:
                break
            data += chunk
        reply = json.loads(data.split(b"\n", 1)[0])
    except (OSError, ValueError):
        raise AgentAbsent("no agent answered") from None
    finally:
        conn.close()
    if not isinstance(reply, dict):
        raise AgentAbsent("the agent's answer is garbled")
    return reply


def server_uid(conn: socket.socket) -> int | None:
    with contextlib.suppress(OSError, AttributeError, struct.error):
        creds = conn.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, struct.calcsize("3i"))
        return int(struct.unpack("3i", creds)[1])
    return None


def status() -> dict[str, Any] | None:
    """The running agent's status, or None when none answers."""
    try:
        return request({"op": "status"})
    except AgentAbsent:
        return None


def fetch_key(fingerprint: str) -> bytes | None:
    """The data key of the vault with this fingerprint, if the agent holds it."""
    try:
        reply = request({"op": "key", "fingerprint": fingerprint})
        return decode_key(reply.get("key"))
    except (AgentAbsent, ValueError):
        return None


def add_key(fingerprint: str, store: str, key: bytes) -> bool:
    """Give a running agent the key of one more store (or again after `lock`)."""
    if len(key) != KEY_BYTES:
        return False
    message = {
        "op": "add",
        "fingerprint": fingerprint,
        "store": store,
        "key": base64.b64encode(key).decode("ascii"),
    }
    try:
        return request(message).get("ok") is True
    except AgentAbsent:
        return False


def send(op: str) -> bool:
    """`lock` or `stop`: True if an agent answered."""
    try:
        return request({"op": op}).get("ok") is True
    except AgentAbsent:
        return False


def unlock_from_agent(vault: Unlockable) -> bool:
    """Unlock `vault` with the key the agent holds for it; False (and nothing changed) when
    there is no vault, no agent, or the agent holds no key for this vault as it is now."""
    try:
        if vault.unlocked:
            return True
        if not vault.initialized():
            return False
        key = fetch_key(vault.fingerprint())
        if key is None:
            return False
        vault.unlock_with_key(key)
        return True
    except Exception:  # the agent is a convenience: the passphrase is always the way back
        return False
