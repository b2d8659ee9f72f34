"""Start a local ``dockerd`` on a bare Linux machine, and stop the one the course started.

``start()`` brings up a local ``dockerd`` only when none answers and we are root on Linux; an engine that
already runs (Docker Desktop, a system service) is used as it is. Which engine it starts, and where its
binaries come from, is ``releases.py``'s part; reaching it is ``client.py``'s.
"""

from __future__ import annotations

import os
import platform
import shutil
import signal
import subprocess
from dataclasses import dataclass
from pathlib import Path

from .. import process
from ..errors import EngineStartFailed, EngineUnreachable
from ..i18n import _
from ..waiting import TimedOut, until
from . import releases
from .client import DEFAULT_HOST, address, answers, client, forget, start_hint

PIDFILE = Path("/run/course-dockerd.pid")
NAMEFILE = Path("/run/course-dockerd.engine")  # which of releases.NAMES the course started, and its firewall
# The iptables FORWARD policy found before the course's engine started: an iptables-backend engine sets it
# to DROP and leaves it so, which would then drop traffic inside bridges under an nftables-backend engine
# (with bridge netfilter on). ``stop()`` puts back what it found.
POLICYFILE = Path("/run/course-dockerd.forward-policy")
LOGFILE = Path("/var/log/course-dockerd.log")
# The embedded DNS forwards unknown names upstream; pointing it at loopback keeps every lookup on this
# machine, and since nothing answers there, each container's resolver tries once for one second (not
# 2 x 5 s): a typed `docker exec ubuntu4 ping ubuntu2` says "bad address" at once. Every engine the
# course starts (its own, a simulated host, a learner's in the classroom) runs with these; on an engine
# of the learner's own, the lab's helpers give their containers the same options (lab.DNS_OPTIONS).
DNS_OPTIONS = ["timeout:1", "attempts:1"]
LOOKUPS = ["--dns", "127.0.0.1", *(arg for option in DNS_OPTIONS for arg in ("--dns-opt", option))]
DOCKERD_ARGS = [*LOOKUPS, "--host", DEFAULT_HOST]


@dataclass(frozen=True)
class StartResult:
    """What ``start()`` did: ``started`` is False when an engine already answered."""

    started: bool
    message: str


def start(
    name: str | None = None,
    timeout: float = 60.0,
    archive: str | None = None,
    sha256: str | None = None,
    firewall: str = "iptables",
) -> StartResult:
    """Make sure an engine answers; start a local ``dockerd`` if none does.

    Similar to ``sudo dockerd --dns 127.0.0.1 --dns-opt timeout:1 --dns-opt attempts:1 &``. ``name`` is
    one of ``releases.NAMES`` (default: ``current``, Docker 28). Only on Linux as root, and only when
    ``DOCKER_HOST`` is unset or names the default socket: anything else is the user's engine to start. An
    engine the course did not start is used as it is; one it started is swapped when another ``name`` (or
    another ``firewall`` backend) is asked. ``archive`` and ``sha256`` locate Docker 29's static archive
    (``releases.unpacked_static``); ``firewall`` ``nftables`` starts it with
    ``--firewall-backend=nftables``.
    """
    running = started()
    if name is None and firewall != "iptables":
        name = "29"  # the one engine offered with another firewall backend
    wanted = None if name is None else (name, firewall)
    if answers() and (running is None or wanted in (None, running)):
        version = client().version()["Version"]
        if running is not None:
            said = _(
                "Docker {version} already running at {address} (the course's {engine} engine); using it."
            )
        elif name:
            said = _(
                "Docker {version} already running at {address} (not started by the course; {name} is started "
                "only where none runs); using it."
            )
        else:
            said = _("Docker {version} already running at {address} (not started by the course); using it.")
        engine = describe(running) if running is not None else ""
        return StartResult(False, said.format(version=version, address=address(), engine=engine, name=name))
    where = address()
    if where != DEFAULT_HOST or platform.system() != "Linux":
        raise EngineUnreachable(where, start_hint(where))
    if os.geteuid() != 0:
        raise EngineUnreachable(
            where, _("Start it with: sudo .venv/bin/course engine start (starting dockerd needs root).")
        )
    if firewall == "nftables" and (name or releases.DEFAULT) != "29":
        raise EngineStartFailed(
            _("The nftables firewall backend is offered here with Docker 29 only."),
            _("Start it with: course engine start --engine 29 --firewall nftables"),
        )
    chosen = releases.prepare(name or releases.DEFAULT, archive, sha256, firewall)  # before stopping the old
    if running is not None:
        stop()
    for folder in (chosen.data_root, chosen.exec_root, LOGFILE.parent):
        folder.mkdir(parents=True, exist_ok=True)
    argv = ["dockerd", "--pidfile", str(PIDFILE), *DOCKERD_ARGS]
    argv += ["--data-root", str(chosen.data_root), "--exec-root", str(chosen.exec_root)]
    if firewall == "nftables":
        argv += ["--firewall-backend", "nftables"]
        _restore_forward_policy()  # what an iptables engine of the course's left (it may have crashed)
    else:
        _remember_forward_policy()
    with LOGFILE.open("ab") as log:
        proc = subprocess.Popen(
            argv,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=log,
            env=chosen.env(),
            start_new_session=True,  # outlives the command that started it
        )
    NAMEFILE.write_text(f"{chosen.name} {firewall}")
    try:
        until(
            lambda: proc.poll() is not None or answers(),
            timeout,
            0.2,
            _("dockerd ({origin}) to answer").format(origin=chosen.origin),
        )
    except TimedOut:
        process.stop(proc)  # never leave a half-started engine behind
        NAMEFILE.unlink(missing_ok=True)
        raise EngineStartFailed(
            _("dockerd ({origin}) did not answer within {seconds} s, so it was stopped.").format(
                origin=chosen.origin, seconds=f"{timeout:.0f}"
            ),
            _("Look at {log}; its last lines:\n{lines}").format(log=LOGFILE, lines=_tail(LOGFILE)),
        ) from None
    if proc.poll() is not None:
        NAMEFILE.unlink(missing_ok=True)
        raise EngineStartFailed(
            _("dockerd ({origin}) exited with status {status} while starting.").format(
                origin=chosen.origin, status=proc.returncode
            ),
            _("Its last log lines say why:\n{lines}").format(lines=_tail(LOGFILE)),
        )
    version = client().version()["Version"]
    _cli_on_path(chosen)
    if firewall != "iptables":
        said = _("Started Docker {version} ({origin}, firewall backend {firewall}), pid {pid}, log in {log}.")
    else:
        said = _("Started Docker {version} ({origin}), pid {pid}, log in {log}.")
    return StartResult(
        True, said.format(version=version, origin=chosen.origin, firewall=firewall, pid=proc.pid, log=LOGFILE)
    )


def _cli_on_path(chosen: releases.Engine) -> None:
    """A ``docker`` command on every PATH (the learner's %%docker cells run it): the started engine's
    own CLI, linked into /usr/local/bin, when none is there yet."""
    if shutil.which("docker") is not None:
        return
    for folder in chosen.bin_dirs:
        cli = Path(folder) / "docker"
        if cli.is_file():
            link = Path("/usr/local/bin/docker")
            link.parent.mkdir(parents=True, exist_ok=True)
            link.symlink_to(cli)
            return


def describe(running: tuple[str, str]) -> str:
    """``29`` or ``29 (nftables)``: an engine the course started, as messages name it."""
    name, firewall = running
    return name if firewall == "iptables" else f"{name} ({firewall})"


def started() -> tuple[str, str] | None:
    """``(name, firewall backend)`` of the engine the course started, if that dockerd still runs."""
    if _course_dockerd() is None:
        return None
    try:
        words = NAMEFILE.read_text().split()
    except FileNotFoundError:
        return ("20.10", "iptables")  # started by a course version that ran 20.10 only
    return (words[0] if words else releases.DEFAULT, words[1] if len(words) > 1 else "iptables")


def _remember_forward_policy() -> None:
    """Note the iptables FORWARD policy before an iptables-backend engine changes it (see POLICYFILE)."""
    if POLICYFILE.exists():
        return  # a course engine ran before and may have changed it: keep what was found first
    done = _iptables("-S", "FORWARD")
    first = done.stdout.splitlines()[:1] if done else []
    if first and first[0].startswith("-P FORWARD "):
        POLICYFILE.write_text(first[0].split()[2])


def _restore_forward_policy() -> None:
    policy = releases.read_text(POLICYFILE)
    if policy in ("ACCEPT", "DROP"):
        _iptables("-P", "FORWARD", policy)
    POLICYFILE.unlink(missing_ok=True)


def _iptables(*args: str) -> subprocess.CompletedProcess | None:
    """Run the system's iptables (as the engine does), or None where it cannot run."""
    found = shutil.which("iptables", path="/usr/sbin:/usr/bin:/sbin:/bin")
    if found is None:
        return None
    try:
        return subprocess.run([found, *args], capture_output=True, text=True, check=False)
    except OSError:
        return None


def started_engine() -> str | None:
    """The name of the engine the course started, if that dockerd still runs; else None."""
    running = started()
    return None if running is None else running[0]


def _course_dockerd() -> int | None:
    """The PID in the course's pidfile, if it is a running dockerd (a PID can be reused)."""
    try:
        pid = int(PIDFILE.read_text().strip())
        comm = Path(f"/proc/{pid}/comm").read_text().strip()
    except (OSError, ValueError):
        return None
    return pid if comm == "dockerd" else None


def stop(timeout: float = 30.0) -> str:
    """Stop the ``dockerd`` that ``start()`` started; any other engine is left alone."""
    pid = _course_dockerd()
    if pid is None:
        PIDFILE.unlink(missing_ok=True)
        NAMEFILE.unlink(missing_ok=True)
        _restore_forward_policy()  # the course's engine may have died: what it changed is put back
        return _("No engine started by the course is running; nothing to stop.")
    running = started()
    os.kill(pid, signal.SIGTERM)
    forget()
    try:
        until(lambda: not _alive(pid), timeout, 0.2, _("dockerd (pid {pid}) to stop").format(pid=pid))
    except TimedOut:
        raise EngineStartFailed(
            _("dockerd (pid {pid}) is still running {seconds} s after it was asked to stop.").format(
                pid=pid, seconds=f"{timeout:.0f}"
            ),
            _("Look at {log}, or stop it by force: kill -9 {pid}").format(log=LOGFILE, pid=pid),
        ) from None
    NAMEFILE.unlink(missing_ok=True)
    _restore_forward_policy()
    return _("Stopped the course's {engine} engine (dockerd, pid {pid}).").format(
        engine=describe(running or ("", "iptables")), pid=pid
    )


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state != "Z"  # a zombie has exited; only its parent has not reaped it


def _tail(path: Path, lines: int = 8) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except FileNotFoundError:
        return "(no log written)"
