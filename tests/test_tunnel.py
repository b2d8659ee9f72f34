"""A port inside a container, reached through the engine's API (how the course reaches the simulated hosts
of an engine elsewhere), on the real engine: a page served inside comes out whole."""

from __future__ import annotations

import io
import socket
import tarfile

import pytest

from course.engines.tunnel import Tunnel
from course.waiting import until

pytestmark = pytest.mark.integration


def _get(port: int, path: str) -> bytes:
    """The whole answer to one GET, or nothing if the connection failed (the server may not listen yet)."""
    chunks = []
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=10) as conn:
            conn.sendall(f"GET {path} HTTP/1.0\r\n\r\n".encode())
            while data := conn.recv(65536):
                chunks.append(data)
    except OSError:
        return b""
    return b"".join(chunks)


def test_a_page_served_inside_a_container_comes_out_whole_through_the_tunnel(lab):
    big = bytes(range(256)) * 4096  # 1 MiB of every byte value: nothing may be lost or changed
    lab.run("t-web", command=["sh", "-c", "httpd -f -p 8080 -h /tmp"])
    box = lab.engine.containers.get("t-web")
    box.put_archive("/tmp", _tar("big.bin", big))
    tunnel = Tunnel(lab.engine.api, box.id, 8080)
    try:
        until(lambda: _get(tunnel.port, "/big.bin").endswith(big), 20, 0.2, "the page through the tunnel")
        assert b"200 OK" in _get(tunnel.port, "/big.bin")
        assert b"404" in _get(tunnel.port, "/absent")
    finally:
        tunnel.close()
    with pytest.raises(OSError):  # closed: the port is free again, nothing relays any more
        socket.create_connection(("127.0.0.1", tunnel.port), timeout=2).close()


def _tar(name: str, data: bytes) -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tar:
        info = tarfile.TarInfo(name)
        info.size, info.mode = len(data), 0o644
        tar.addfile(info, io.BytesIO(data))
    return buf.getvalue()
