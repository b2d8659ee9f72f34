"""A loopback port here that reaches a TCP port inside a container, through the engine's own API.

A simulated host publishes its engine's port on the loopback of the machine its engine runs on. When
that is this machine (a local engine, Docker Desktop, which forwards published loopback ports, or a
classroom server that shares its engine's network namespace), the course connects to it directly. When
the engine is elsewhere (``DOCKER_HOST=tcp://...``), that loopback is not ours, and nothing may be
published beyond it; so the course reaches the port the way it reads everything else on the engine's
side, through the engine: each connection to the local port becomes ``docker exec -i NODE nc 127.0.0.1
PORT``, its bytes relayed both ways. The node's mutual TLS is untouched: the relay carries it end to end.
"""

from __future__ import annotations

import contextlib
import select
import socket
import struct
import threading

import docker
import requests

_STDOUT = 1


class Tunnel:
    """``127.0.0.1:<self.port>`` here, relayed to ``127.0.0.1:<port>`` inside ``container``.

    Similar to ``socat TCP-LISTEN:<port> EXEC:'docker exec -i NODE nc 127.0.0.1 2376'``. Stop it with
    ``close()``; it is a daemon, so it also ends with the kernel.
    """

    def __init__(self, api: docker.APIClient, container: str, port: int) -> None:
        self._api, self._container, self._target = api, container, port
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port: int = self._listener.getsockname()[1]
        threading.Thread(target=self._accept, name=f"tunnel-{container}", daemon=True).start()

    def close(self) -> None:
        """Free the port and stop accepting connections (open ones end with their peers)."""
        with contextlib.suppress(OSError):
            self._listener.shutdown(socket.SHUT_RDWR)  # wakes the accepting thread: close() alone does not
        with contextlib.suppress(OSError):
            self._listener.close()

    def _accept(self) -> None:
        while True:
            try:
                conn, _ = self._listener.accept()
            except OSError:  # closed
                return
            threading.Thread(target=self._relay, args=(conn,), daemon=True).start()

    def _relay(self, conn: socket.socket) -> None:
        try:
            made = self._api.exec_create(
                self._container, ["nc", "127.0.0.1", str(self._target)], stdin=True, stdout=True, stderr=False
            )
            stream = self._api.exec_start(made["Id"], socket=True)
        except (docker.errors.DockerException, requests.exceptions.RequestException, OSError):
            _close(conn)  # the node is gone: the client sees the connection close, not a hang
            return
        raw = getattr(stream, "_sock", stream)  # the socket under docker-py's wrapper
        try:
            _pump(conn, raw)
        except (OSError, ValueError):  # a reset, or a socket closed under us
            pass
        finally:
            _close(conn)
            _close(raw)


def _pump(conn: socket.socket, raw) -> None:
    """Relay until either side closes, in one thread: a TLS socket must not be read and written at once.

    What the client sends goes to the exec's stdin as it is; the engine frames the exec's output (an
    8-byte header: stream and size, then the data), and stdout's data goes back to the client.
    """
    framed = b""
    while True:
        ready = [raw] if getattr(raw, "pending", lambda: 0)() else select.select([conn, raw], [], [])[0]
        if conn in ready:
            data = conn.recv(65536)
            if not data:
                return  # the client is done: closing the exec ends nc
            raw.sendall(data)
        if raw in ready:
            data = raw.recv(65536)
            if not data:
                return
            framed += data
            while len(framed) >= 8:
                kind, size = struct.unpack(">BxxxL", framed[:8])
                if len(framed) < 8 + size:
                    break
                if kind == _STDOUT:
                    conn.sendall(framed[8 : 8 + size])
                framed = framed[8 + size :]


def _close(sock) -> None:
    with contextlib.suppress(OSError):
        sock.close()
