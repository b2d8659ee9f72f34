"""Connect to a Docker engine, and start one on a bare Linux machine.

``client()`` is how every part of the course reaches the engine: one cached
``docker.DockerClient`` per address, ``DOCKER_HOST`` respected. ``start()``
brings up a local ``dockerd`` only when none answers and we are root on Linux;
an engine that already runs (Docker Desktop, a system service) is used as it is.
"""

from __future__ import annotations

import os
import platform
import shutil
import signal
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

import docker
import requests

from .errors import EngineStartFailed, EngineUnreachable, SocketPermissionDenied

DEFAULT_HOST = "unix:///var/run/docker.sock"
PIDFILE = Path("/run/course-dockerd.pid")
LOGFILE = Path("/var/log/course-dockerd.log")
# The embedded DNS forwards unknown names upstream; pointing it at loopback makes an
# unknown name fail at once and keeps every lookup on this machine.
DOCKERD_ARGS = ["--dns", "127.0.0.1", "--host", DEFAULT_HOST]
DEBIAN_PACKAGES = ["docker.io", "iptables", "busybox-static", "tcpdump"]

_clients: dict[str, docker.DockerClient] = {}


def address() -> str:
    """The engine address the course talks to: ``DOCKER_HOST`` or the default socket."""
    return os.environ.get("DOCKER_HOST") or DEFAULT_HOST


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
    return EngineUnreachable(where, _start_hint(where))


def _start_hint(where: str) -> str:
    if where != DEFAULT_HOST:
        return f"Start the engine DOCKER_HOST points to, or unset DOCKER_HOST to use {DEFAULT_HOST}."
    if platform.system() != "Linux":
        return "Start Docker Desktop and wait until it says it is running."
    return "Start it with: course engine start (as root), or start your Docker service."


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
        made = docker.DockerClient(base_url=where, version="auto", timeout=120)
        made.ping()
    except (docker.errors.DockerException, requests.exceptions.RequestException, OSError) as exc:
        raise translate(exc, where) from exc
    _clients[where] = made
    return made


def answers(host: str | None = None) -> bool:
    """True when an engine answers at ``host`` (default: ``address()``)."""
    try:
        client(host)
    except (EngineUnreachable, SocketPermissionDenied):
        return False
    return True


@dataclass(frozen=True)
class StartResult:
    """What ``start()`` did: ``started`` is False when an engine already answered."""

    started: bool
    message: str


def start(timeout: float = 60.0) -> StartResult:
    """Make sure an engine answers; start a local ``dockerd`` if none does.

    Similar to ``sudo dockerd --dns 127.0.0.1 &``. Only on Linux as root, and only
    when ``DOCKER_HOST`` is unset or names the default socket: anything else is the
    user's engine to start. Installs Debian's ``docker.io`` when ``dockerd`` is missing.
    """
    if answers():
        return StartResult(False, f"Docker engine already running at {address()}; using it.")
    where = address()
    if where != DEFAULT_HOST or platform.system() != "Linux":
        raise EngineUnreachable(where, _start_hint(where))
    if os.geteuid() != 0:
        raise EngineUnreachable(
            where, "Start it with: sudo course engine start (starting dockerd needs root)."
        )
    if shutil.which("dockerd") is None:
        install_debian_packages(DEBIAN_PACKAGES)
    LOGFILE.parent.mkdir(parents=True, exist_ok=True)
    with LOGFILE.open("ab") as log:
        proc = subprocess.Popen(
            ["dockerd", "--pidfile", str(PIDFILE), *DOCKERD_ARGS],
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=log,
            start_new_session=True,  # outlives the command that started it
        )
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise EngineStartFailed(
                f"dockerd exited with status {proc.returncode} while starting.",
                f"Its last log lines say why:\n{_tail(LOGFILE)}",
            )
        if answers():
            return StartResult(True, f"Started dockerd (pid {proc.pid}), log in {LOGFILE}.")
        time.sleep(0.2)
    raise EngineStartFailed(
        f"dockerd did not answer within {timeout:.0f} s.",
        f"Look at {LOGFILE}; its last lines:\n{_tail(LOGFILE)}",
    )


def stop(timeout: float = 30.0) -> str:
    """Stop the ``dockerd`` that ``start()`` started; any other engine is left alone."""
    try:
        pid = int(PIDFILE.read_text().strip())
    except (FileNotFoundError, ValueError):
        return "No engine started by the course is running; nothing to stop."
    try:
        os.kill(pid, signal.SIGTERM)
    except ProcessLookupError:
        PIDFILE.unlink(missing_ok=True)
        return "The engine the course started had already stopped."
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and _alive(pid):
        time.sleep(0.2)
    _clients.clear()
    return f"Stopped dockerd (pid {pid})."


def install_debian_packages(packages: list[str]) -> None:
    """``apt-get install`` the given packages (Debian/Ubuntu, root); a clear error elsewhere."""
    if shutil.which("apt-get") is None or os.geteuid() != 0:
        raise EngineStartFailed(
            f"Missing system packages: {' '.join(packages)}.",
            "Install them with your system's package manager (on Debian: "
            f"sudo apt-get install {' '.join(packages)}).",
        )
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    for argv in (["apt-get", "update", "-q"], ["apt-get", "install", "-y", "-q", *packages]):
        done = subprocess.run(argv, env=env, capture_output=True, text=True)
        if done.returncode != 0:
            raise EngineStartFailed(
                f"{' '.join(argv)} failed (status {done.returncode}).",
                f"Fix the package manager, then try again. It said:\n{done.stderr[-800:]}",
            )


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def _tail(path: Path, lines: int = 8) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except FileNotFoundError:
        return "(no log written)"
