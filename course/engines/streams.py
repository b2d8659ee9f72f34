"""A ``docker exec``'s output, read as it comes and in full: the one reader the course uses for execs.

docker-py's own reader (``exec_start(stream=True)``, and ``exec_run``) polls the raw socket before each
read. Bytes that the HTTP layer has already read ahead with the response's headers, or that TLS has
already decrypted, are invisible to that poll: they wait for the next bytes to arrive, or for the
process to end (docker/docker-py#3332; for TLS, "SSL sockets may still have data available for reading
without select() being aware of it" in Python's ``ssl`` docs). Measured through an engine elsewhere:
tcpdump's "listening on" line reached the course 8 s late, when tcpdump ended, in 4 runs of 6.

This reads the response's own buffered stream with blocking reads instead, so nothing is held back.
"""

from __future__ import annotations

import struct
from collections.abc import Iterator
from typing import NamedTuple

import docker

STDOUT, STDERR = 1, 2


class Output(NamedTuple):
    """What an exec printed (stdout and stderr as they came, like ``exec_run``), and its exit code."""

    exit_code: int | None
    output: bytes


def frames(api: docker.APIClient, exec_id: str) -> Iterator[tuple[int, bytes]]:
    """Start the exec ``exec_id`` (made with ``api.exec_create``, no TTY) and yield ``(stream, data)``
    as the process writes it: stream is STDOUT or STDERR. Ends when the process closes its output."""
    response = api._post_json(  # as docker-py's exec_start does, keeping the response itself
        api._url("/exec/{0}/start", exec_id),
        headers={"Connection": "Upgrade", "Upgrade": "tcp"},
        data={"Tty": False, "Detach": False},
        stream=True,
    )
    try:
        api._raise_for_status(response)
        # a silent program (a capture waiting for packets) must not hit the client's request timeout
        api._disable_socket_timeout(api._get_raw_response_socket(response))
        reader = response.raw._fp.fp  # the buffered stream that also holds what was read with the headers
        while True:
            header = reader.read(8)  # the engine's frame: stream, 3 zero bytes, size (big-endian)
            if len(header) < 8:
                return
            stream, size = struct.unpack(">BxxxL", header)
            data = reader.read(size)
            if data:
                yield stream, data
    finally:
        response.close()


def run(api: docker.APIClient, container: str, argv: list[str]) -> Output:
    """``docker exec CONTAINER ARGV...`` to its end: its exit code and everything it printed."""
    made = api.exec_create(container, list(argv), stdout=True, stderr=True)["Id"]
    printed = b"".join(data for _, data in frames(api, made))
    return Output(api.exec_inspect(made)["ExitCode"], printed)
