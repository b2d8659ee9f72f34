"""Connect to a Docker engine.

``client()`` is how every part of the course reaches the engine: one cached ``docker.DockerClient`` per
address, ``DOCKER_HOST`` respected, a mutual-TLS engine trusted with ``trust()``. Starting a local
``dockerd`` where none answers is ``daemon.py``'s part.
"""

from __future__ import annotations

import os
import platform

import docker
import requests

from ..errors import EngineUnreachable, SocketPermissionDenied
from ..i18n import _
from .certs import tls_cli_flags

DEFAULT_HOST = "unix:///var/run/docker.sock"

MIN_API = "1.24"  # the oldest Engine API the SDK speaks; the real version is negotiated

_clients: dict[str, docker.DockerClient] = {}
_tls: dict[str, docker.tls.TLSConfig] = {}


def address() -> str:
    """The engine address the course talks to: ``DOCKER_HOST`` or the default socket."""
    return os.environ.get("DOCKER_HOST") or DEFAULT_HOST


def cli_flags(host: str | None) -> list[str]:
    """The docker CLI options that reach ``host`` as the course does (none for the default engine)."""
    if host is None:
        return []
    tls = _tls.get(host)
    if tls is None:
        return ["-H", host]
    return [*tls_cli_flags(tls), "-H", host]


def trust(url: str, tls: docker.tls.TLSConfig) -> None:
    """Talk to the engine at ``url`` with mutual TLS (the simulated nodes of notebook 05)."""
    _tls[url] = tls
    _clients.pop(url, None)


def translate(exc: BaseException, where: str | None = None) -> Exception:
    """Turn a connection failure from the SDK into an EngineUnreachable or permission error."""
    where = where or address()
    seen: BaseException | None = exc
    text = ""
    while seen is not None:  # the useful cause sits a few levels down the chain
        if isinstance(seen, PermissionError):
            return SocketPermissionDenied(where.removeprefix("unix://"))
        text += f" {seen!r}"
        seen = seen.__cause__ or seen.__context__
    if "Permission denied" in text or "PermissionError" in text:
        return SocketPermissionDenied(where.removeprefix("unix://"))
    return EngineUnreachable(where, start_hint(where))


def start_hint(where: str) -> str:
    """How to start the engine at ``where``: by hand, with Docker Desktop, or ``course engine start``."""
    if where != DEFAULT_HOST:
        return _("Start the engine DOCKER_HOST points to, or unset DOCKER_HOST to use {socket}.").format(
            socket=DEFAULT_HOST
        )
    if platform.system() != "Linux":
        return _("Start Docker Desktop and wait until it says it is running.")
    return _("Start it with: course engine start (as root), or start your Docker service.")


def client(host: str | None = None) -> docker.DockerClient:
    """Return a connected client for ``host`` (default: ``address()``), checked with a ping.

    Raises:
        EngineUnreachable: nothing answers there.
        SocketPermissionDenied: the socket exists but we may not use it.
    """
    where = host or address()
    cached = _clients.get(where)
    if cached is not None:
        try:
            cached.ping()
            return cached
        except Exception:  # engine went away since: reconnect below
            _clients.pop(where, None)
    try:
        made = _connect(where, explicit=host is not None)
        made.ping()
    except (docker.errors.DockerException, requests.exceptions.RequestException, OSError) as exc:
        raise translate(exc, where) from exc
    _clients[where] = made
    return made


def _connect(where: str, explicit: bool) -> docker.DockerClient:
    def make(version: str) -> docker.DockerClient:
        if where in _tls:
            return docker.DockerClient(base_url=where, version=version, timeout=120, tls=_tls[where])
        if not explicit:  # DOCKER_HOST, DOCKER_TLS_VERIFY and DOCKER_CERT_PATH, as the docker CLI reads them
            return docker.from_env(version=version, timeout=120)
        return docker.DockerClient(base_url=where, version=version, timeout=120)

    # requests lets REQUESTS_CA_BUNDLE replace the engine's own CA (psf/requests#3829), and set on many
    # machines it breaks every TLS engine; so the environment is not consulted, and the API version is
    # negotiated here instead of by the SDK's "auto", which asks before we can say so.
    probe = make(MIN_API)
    probe.api.trust_env = False
    made = make(probe.api.version(api_version=False)["ApiVersion"])
    made.api.trust_env = False
    probe.close()
    return made


def answers(host: str | None = None) -> bool:
    """True when an engine answers at ``host`` (default: ``address()``)."""
    try:
        client(host)
    except (EngineUnreachable, SocketPermissionDenied):
        return False
    return True


def forget() -> None:
    """Drop every cached client: the engine they reached has been stopped."""
    _clients.clear()
