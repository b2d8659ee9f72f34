"""``Lab``: a named, labelled set of networks and containers on one engine.

Every method stands for one ``docker`` CLI command and says which. Everything a lab
creates carries the label ``course.lab=<lab name>``; ``cleanup()`` removes exactly
that, and ``reset()`` removes every course resource and nothing a user made.
Creating is idempotent: re-running a notebook cell never fails with "already exists".
"""

from __future__ import annotations

import ipaddress
import re
import shlex
import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import replace
from typing import TYPE_CHECKING, NamedTuple

import docker
from docker.models.containers import Container
from docker.models.networks import Network

from . import adopted, commands, interfaces
from .cleanup import Removed, listed, name_of, remove_listed
from .engines import streams
from .engines.client import cli_flags, client
from .engines.daemon import DNS_OPTIONS  # one try of one second for a name nobody knows
from .engines.images import KEEPALIVE, LAB_IMAGE, require_lab_image
from .errors import CourseError, EngineError, ForeignResource, UnknownResource, engine_call, kind_name, reason
from .i18n import _
from .interfaces import Interface
from .names import BUILTIN_NETWORKS, LABEL, check_name, owner
from .parallel import parallel

if TYPE_CHECKING:
    from .topology import Snapshot

# How ``cleanup()`` reads as docker commands: list by label, then remove.
_CLEANUP = (("ps -aq", "rm -f"), ("network ls -q", "network rm"), ("volume ls -q", "volume rm"))
SWARM_TASK = "com.docker.swarm.task.id"  # the label of a swarm service's task containers
_IPV4 = re.compile(r"\d{1,3}(\.\d{1,3}){3}")


class ExecResult(NamedTuple):
    """What a command run in a container gave back, like ``docker exec``."""

    exit_code: int
    output: str


class Command(NamedTuple):
    """One docker command a lab ran: its arguments (after ``docker``), the exact line, and whether it
    changed the engine (create, run, connect, rm) or only looked (exec)."""

    argv: tuple[str, ...]
    line: str
    changes: bool


class Lab:
    """A named set of networks and containers, all labelled ``course.lab=<name>``.

    Use it as a context manager to clean up on exit::

        with Lab("redblue") as lab:
            lab.network("red")                 # docker network create red
            lab.run("ubuntu1", network="red")  # docker run -d --net=red --name ubuntu1 course/lab
    """

    def __init__(
        self, name: str, host: str | None = None, *, echo: bool = False, whole_engine: bool = False
    ) -> None:
        self.name = check_name("lab", name)
        self.host = host
        # an engine the course made itself (a simulated host's): everything on it is the course's, what
        # the learner typed there too, so the lab may read any of it (a swarm's task containers aside)
        self.whole_engine = whole_engine
        self.labels = {LABEL: self.name}
        self.echo = echo  # print each docker command as it runs (the notebooks switch it on)
        self.history: list[Command] = []
        self._lock = threading.Lock()
        self._muted = 0
        self._known: dict[str, Container] = {}  # while probing from a snapshot: its containers, by name
        self._engine_id: str | None = None
        self.asked: dict[str, str] = {}  # what the exercises named, {name: "container" or "network"}
        self.matrix_shown = False  # reachability() worked out who reaches whom: a prediction is too late
        if host is None:
            commands.use(self)  # what a %%docker cell creates joins the notebook's lab

    def __repr__(self) -> str:
        return f"Lab({self.name!r})"

    def __enter__(self) -> Lab:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.cleanup()

    @property
    def engine(self) -> docker.DockerClient:
        """The connected SDK client for this lab's engine."""
        return client(self.host)

    @property
    def engine_id(self) -> str:
        """The engine's own ID (``docker info``): what the lab's ``%%docker`` record is kept under."""
        if self._engine_id is None:
            self._engine_id = self.engine.info()["ID"]
        return self._engine_id

    # --- creating ---------------------------------------------------------------

    def network(
        self,
        name: str,
        *,
        driver: str = "bridge",
        internal: bool = False,
        attachable: bool = False,
        encrypted: bool = False,
        subnet: str | None = None,
    ) -> Network:
        """Create a network, or return it if this lab already has it.

        Similar to ``docker network create [--driver D] [--attachable] [--opt encrypted] [--subnet S] NAME``.
        """
        check_name("network", name)
        if name in BUILTIN_NETWORKS:
            raise CourseError(
                _("{name} is a network every engine has built in; it cannot be created.").format(
                    name=repr(name)
                ),
                _("Use it directly: lab.run('web', network={name}).").format(name=repr(name)),
            )
        existing = self._find_network(name)
        if existing is not None:
            self._require_ours("network", name, existing.attrs.get("Labels"), existing.id)
            attrs = existing.attrs
            have = {
                "driver": attrs.get("Driver"),
                "internal": bool(attrs.get("Internal")),
                "attachable": bool(attrs.get("Attachable")),
                "encrypted": "encrypted" in (attrs.get("Options") or {}),
            }
            asked = {"driver": driver, "internal": internal, "attachable": attachable, "encrypted": encrypted}
            _same_or_explain("network", name, have, asked, f"lab.remove_network({name!r})")
            return existing
        argv = ["network", "create", "--label", f"{LABEL}={self.name}"]
        argv += ["--driver", driver] if driver != "bridge" else []
        argv += ["--internal"] * internal + ["--attachable"] * attachable + ["--opt", "encrypted"] * encrypted
        argv += ["--subnet", subnet] if subnet else []
        with self._running([*argv, name], _("create network {name}").format(name=repr(name))):
            return self.engine.networks.create(
                name,
                driver=driver,
                internal=internal,
                attachable=attachable,
                options={"encrypted": "true"} if encrypted else None,
                ipam=_ipam(subnet),
                labels=self.labels,
                check_duplicate=True,
            )

    def run(
        self,
        name: str,
        network: str = "bridge",
        *,
        publish: Mapping[int, int | None] | None = None,
        command: list[str] | None = None,
    ) -> Container:
        """Start a lab container, or return it (started) if this lab already has it.

        Similar to ``docker run -d --net=NETWORK --name NAME course/lab``. ``publish``
        maps a container TCP port to a host port, bound to 127.0.0.1 only
        (``-p 127.0.0.1:HOST:CONTAINER``); a host port of None lets the engine pick a free one
        (``-p 127.0.0.1::CONTAINER``), and ``port()`` reads it back.
        """
        check_name("container", name)
        check_name("network", network)
        existing = find_container(self.engine, name)
        if existing is not None:
            self._require_ours("container", name, existing.labels, existing.id)
            self._check_started_as(existing, network, publish, command)
            if existing.status != "running":
                with self._running(["start", name], _("start container {name}").format(name=repr(name))):
                    existing.start()
                existing.reload()
            return existing
        ports = {f"{c}/tcp": ("127.0.0.1", h) for c, h in (publish or {}).items()}
        # No local look-up of the network first: on a swarm worker an attachable overlay network
        # only appears once a container joins it, so the engine is the one to ask.
        try:
            argv = self._run_argv(name, network, publish, command)
            with self._running(argv, _("run container {name}").format(name=repr(name))):
                return self._create(name, network, ports, command)
        except EngineError as exc:
            if isinstance(exc.__cause__, docker.errors.NotFound) and "network" in reason(exc.__cause__):
                raise UnknownResource(
                    "network",
                    network,
                    self.name,
                    self.networks(),
                    _("Create it first: lab.network({name})  # docker network create {network}").format(
                        name=repr(network), network=network
                    ),
                ) from None
            raise

    @staticmethod
    def _check_started_as(
        box: Container, network: str, publish: Mapping[int, int | None] | None, command: list[str] | None
    ) -> None:
        """A container this lab already has must be the one asked for again, or we say what differs."""
        attached = set(box.attrs["NetworkSettings"]["Networks"])
        mode = box.attrs["HostConfig"].get("NetworkMode")
        bindings = box.attrs["HostConfig"].get("PortBindings") or {}
        have = {
            "network": network if network in attached or network == mode else ", ".join(sorted(attached)),
            "command": box.attrs["Config"].get("Cmd") or [],
            "published ports": sorted(int(p.split("/")[0]) for p in bindings),
        }
        asked = {
            "network": network,
            "command": list(command or KEEPALIVE),
            "published ports": sorted(publish or {}),
        }
        fixed = {c: h for c, h in (publish or {}).items() if h is not None}  # host ports that were named
        for port, host_port in fixed.items():
            bound = bindings.get(f"{port}/tcp") or [{}]
            if str(host_port) != bound[0].get("HostPort"):
                on = _("{port} on host port {host_port}")
                have["published ports"] = [on.format(port=port, host_port=bound[0].get("HostPort") or "?")]
                asked["published ports"] = [on.format(port=port, host_port=host_port)]
        _same_or_explain("container", box.name, have, asked, f"lab.remove({box.name!r})")

    def _run_argv(
        self, name: str, network: str, publish: Mapping[int, int | None] | None, command: list[str] | None
    ) -> list[str]:
        """``docker run`` exactly as ``_create`` asks the engine for it."""
        argv = ["run", "-d", "--name", name, "--label", f"{LABEL}={self.name}", "--network", network]
        if network not in ("host", "none"):
            argv += [arg for option in DNS_OPTIONS for arg in ("--dns-opt", option)]
        for inside, outside in (publish or {}).items():
            argv += ["-p", f"127.0.0.1:{outside or ''}:{inside}"]
        return [*argv, LAB_IMAGE, *(command or KEEPALIVE)]

    def _create(self, name: str, network: str, ports: dict, command: list[str] | None) -> Container:
        return self.engine.containers.run(
            require_lab_image(self.host),
            command or KEEPALIVE,
            name=name,
            detach=True,
            labels=self.labels,
            network_mode=network if network in ("host", "none") else None,
            network=None if network in ("host", "none") else network,
            dns_opt=None if network in ("host", "none") else DNS_OPTIONS,
            ports=ports or None,
        )

    def run_many(self, containers: Mapping[str, str]) -> list[Container]:
        """Start several containers at once: ``{name: network}``, in parallel.

        Their ``docker run`` commands are echoed afterwards, in the order given.
        """
        with self.muted():
            started = len(self.history)
            boxes = parallel(lambda item: self.run(*item), containers.items())
            ran = {c.argv[3]: c for c in self.history[started:] if c.argv[:1] == ("run",)}
        for name in containers:
            if name in ran:
                self._show(ran[name])
        return boxes

    # --- changing ---------------------------------------------------------------

    def connect(self, container: str, network: str) -> None:
        """Attach a running container to one more network: ``docker network connect NETWORK CONTAINER``.

        Connecting twice is not an error: the second call changes nothing.
        """
        box = self.container(container)
        if network in self._networks_of(box):
            return
        net = self._network(network)
        argv = ["network", "connect", network, container]
        with self._running(
            argv,
            _("connect {container} to {network}").format(container=repr(container), network=repr(network)),
        ):
            net.connect(box)

    def disconnect(self, container: str, network: str) -> None:
        """Detach a container from a network: ``docker network disconnect NETWORK CONTAINER``."""
        box = self.container(container)
        if network not in self._networks_of(box):
            return
        net = self._network(network)
        argv = ["network", "disconnect", network, container]
        with self._running(
            argv,
            _("disconnect {container} from {network}").format(
                container=repr(container), network=repr(network)
            ),
        ):
            net.disconnect(box)

    def remove(self, container: str) -> None:
        """Remove one of this lab's containers, running or not: ``docker rm -f CONTAINER``."""
        box = self.container(container)
        with self._running(
            ["rm", "-f", container], _("remove container {name}").format(name=repr(container))
        ):
            box.remove(force=True)

    def remove_network(self, network: str) -> None:
        """Remove one of this lab's networks: ``docker network rm NETWORK``."""
        if network in BUILTIN_NETWORKS:
            raise CourseError(
                _("{network} is built into the engine.").format(network=repr(network)),
                _("It cannot be removed, nor need be."),
            )
        net = self._network(network)
        with self._running(["network", "rm", network], _("remove network {name}").format(name=repr(network))):
            net.remove()

    # --- looking ----------------------------------------------------------------

    def exec(self, container: str, argv: list[str]) -> ExecResult:
        """Run ``argv`` in a lab container: ``docker exec CONTAINER ARGV...``.

        ``argv`` is a list, never a shell string: nothing is interpreted by a shell.
        """
        if not isinstance(argv, list | tuple) or not argv or not all(isinstance(a, str) for a in argv):
            raise CourseError(
                _("The command must be a list of strings, got {argv}.").format(argv=repr(argv)),
                _("Write it as a list, e.g. lab.exec('ubuntu4', ['cat', '/etc/hosts'])."),
            )
        return self._exec_in(self.container(container), argv, f"lab.run({container!r}, ...)")

    def ping(self, src: str, dst: str, count: int = 1, timeout: int = 1) -> bool:
        """True when ``dst`` (a name or IP) answers ``src``: ``docker exec SRC ping -c1 -W1 DST``.

        ``src`` may be any container, the learner's own too: a ping changes nothing.
        """
        argv = ["ping", "-c", str(count), "-W", str(timeout), _target(dst)]
        return self._probe(src, argv).exit_code == 0

    def resolve(self, src: str, name: str) -> str | None:
        """The IPv4 address ``name`` has as seen from ``src``, or None: ``docker exec SRC nslookup NAME``.

        Bounded by ``timeout 2``: busybox's nslookup ignores the resolver options and waits 5 s for an
        embedded DNS that never answers an unknown name (Docker 20.10); a known name answers at once."""
        out = self._probe(src, ["timeout", "2", "nslookup", check_name("container", name)]).output
        after_name = out.split("Name:", 1)[1] if "Name:" in out else ""
        found = re.search(r"Address:?\s*(\d{1,3}(?:\.\d{1,3}){3})", after_name)
        return found.group(1) if found else None

    def addresses(self, container: str) -> dict[str, str]:
        """``{network: IPv4}`` of a container (any container: reading changes nothing), as ``docker inspect``
        reports it."""
        nets = self._any_container(container).attrs["NetworkSettings"]["Networks"]
        return {net: info["IPAddress"] for net, info in sorted(nets.items()) if info.get("IPAddress")}

    def interfaces(self, container: str) -> list[Interface]:
        """The interfaces inside a container: ``docker exec C ip -o link`` (and ``ip -o addr``,
        and each one's peer index from ``/sys/class/net``, in the same exec)."""
        return interfaces.parse(self._probe(container, interfaces.COMMAND).output)

    def _any_container(self, name: str, fix: str | None = None) -> Container:
        """A container to read or probe, the lab's or not; one that does not exist is UnknownResource."""
        check_name("container", name)
        box = find_container(self.engine, name)
        if box is None:
            fix = fix or _("Is it running? docker ps -a --filter name={name}").format(name=name)
            raise UnknownResource("container", name, self.name, self.containers(), fix)
        return box

    def _probe(self, container: str, argv: list[str]) -> ExecResult:
        """Run a command that only looks (ping, nslookup, ip) in any container: ``docker exec``.

        Recorded, never echoed: a probe is the course checking, not a step of the lesson."""
        known = self._known.get(container)  # while probing from a snapshot: no lookup
        with self.muted():
            return self._exec_in(known or self._any_container(container), argv)

    def _exec_in(self, box: Container, argv: list[str], start: str = "") -> ExecResult:
        """``docker exec BOX ARGV...`` in a running container, recorded; ``start``, the lab's own way to
        start it, comes first in the fix."""
        if box.status != "running":
            if start:
                fix = _("Start it with {start} or docker start {name}.")
            else:
                fix = _("Start it with docker start {name}.")
            raise CourseError(
                _("Container {name} is {state}, not running.").format(name=repr(box.name), state=box.status),
                fix.format(start=start, name=box.name),
            )
        what = _("run {command} in {name}").format(command=repr(" ".join(argv)), name=repr(box.name))
        with self._running(["exec", box.name, *argv], what, changes=False):
            code, out = streams.run(box.client.api, box.id, list(argv))
        return ExecResult(code, out.decode(errors="replace"))

    def port(self, container: str, port: int) -> int:
        """The host port a container's TCP ``port`` is published on: ``docker port CONTAINER PORT``."""
        box = self.container(container)
        bound = (box.attrs["NetworkSettings"].get("Ports") or {}).get(f"{port}/tcp") or []
        if not bound:
            raise CourseError(
                _("Port {port}/tcp of {container} is not published.").format(
                    port=port, container=repr(container)
                ),
                _("Publish it when starting it: lab.run({container}, ..., publish={publish}).").format(
                    container=repr(container), publish=f"{{{port}: None}}"
                ),
            )
        return int(bound[0]["HostPort"])

    def containers(self) -> list[str]:
        """Names of this lab's containers: ``docker ps -a --filter label=course.lab=NAME``, and those
        its ``%%docker`` cells created (kept by ID); on a whole engine, every container but a swarm
        service's tasks."""
        if self.whole_engine:
            boxes = self.engine.containers.list(all=True, sparse=True)
            return sorted(name_of(c) for c in boxes if not _swarm_task(c.attrs.get("Labels")))
        return sorted(name_of(c) for c in listed(self.engine, "container", self._label, self._made()))

    def networks(self) -> list[str]:
        """Names of this lab's networks: ``docker network ls --filter label=course.lab=NAME``, and those
        its ``%%docker`` cells created (kept by ID)."""
        return sorted(n.name for n in listed(self.engine, "network", self._label, self._made()))

    @property
    def _label(self) -> str:
        return f"{LABEL}={self.name}"

    def _made(self) -> adopted.Adopted:
        """What this lab's ``%%docker`` cells made, by ID."""
        return adopted.load(self.name, self.engine_id)

    # --- removing ---------------------------------------------------------------

    def cleanup(self) -> Removed:
        """Remove this lab's containers, then its networks; nothing else.

        Similar to ``docker rm -f $(docker ps -aq --filter label=course.lab=NAME)`` and
        ``docker network rm $(docker network ls -q --filter label=course.lab=NAME)``, then ``docker rm -f``
        and ``docker network rm`` of what the lab's ``%%docker`` cells made (by ID; named here).
        """
        docker_ = self._docker()
        for listing, remove in _CLEANUP:
            self._did_line(f"{docker_} {listing} --filter label={self._label} | xargs -r {docker_} {remove}")
        record = self._made()
        boxes = listed(self.engine, "container", self._label, record)
        nets = listed(self.engine, "network", self._label, record)
        typed = {  # what the lab's %%docker cells made, by the command that removes it
            "rm -f": sorted(name_of(c) for c in boxes if c.id in record.of("container")),
            "network rm": sorted(n.name for n in nets if n.id in record.of("network")),
        }
        for remove, names in typed.items():
            if names:
                self._did_line(f"{docker_} {remove} {' '.join(names)}")
        removed = remove_listed(self.engine, boxes, nets, self._label, record)
        if not removed.left:
            adopted.forget(self.name, self.engine_id)
        return replace(removed, yours=self._yours())

    def _yours(self) -> tuple[str, ...]:
        """``docker rm``/``docker network rm`` for what an exercise named and the learner made outside the
        course's cells (in a terminal): theirs to remove, so the cleanup only says how."""
        asked = sorted(self.asked.items())
        boxes = {name_of(c) for c in self.engine.containers.list(all=True, sparse=True)} if asked else set()
        nets = {n.name for n in self.engine.networks.list()} if asked else set()
        return tuple(
            f"docker rm -f {name}" if kind == "container" else f"docker network rm {name}"
            for name, kind in asked
            if name in (boxes if kind == "container" else nets)
        )

    # --- the docker commands it stands for -----------------------------------------

    def script(self, everything: bool = False) -> str:
        """The docker commands this lab ran, as a shell script to paste into a terminal.

        By default only those that changed the engine (create, run, connect, ...); ``everything``
        adds the ``docker exec`` commands that only looked.
        """
        lines = [c.line for c in self.history if everything or c.changes]
        return "\n".join(["#!/bin/sh", "set -e", *lines]) + "\n"

    @property
    def last(self) -> str | None:
        """The last docker command this lab ran."""
        return self.history[-1].line if self.history else None

    @contextmanager
    def probing(self, snap: Snapshot) -> Iterator[None]:
        """Probe the containers of ``snap`` without looking each one up again: for the reachability
        matrix and the exercise checks, which run many execs. Each probe is then one ``docker exec``
        (three API calls) whatever the size of the lab; a container missing from ``snap`` is looked up."""
        engine = self.engine
        known = {
            c.name: Container(
                attrs={"Id": c.id, "Name": f"/{c.name}", "State": {"Status": c.state}}, client=engine
            )
            for c in snap.containers
            if c.id
        }
        with self._lock:
            self._known = known
        try:
            yield
        finally:
            with self._lock:
                self._known = {}

    @contextmanager
    def muted(self) -> Iterator[None]:
        """Record without echoing, for helpers that run many probes (the reachability matrix)."""
        with self._lock:
            self._muted += 1
        try:
            yield
        finally:
            with self._lock:
                self._muted -= 1

    def _docker(self) -> str:
        return shlex.join(["docker", *cli_flags(self.host)])

    def _did(self, argv: list[str], changes: bool = True) -> Command:
        line = f"{self._docker()} {shlex.join(argv)}"
        command = Command(tuple(argv), line, changes)
        self._record(command)
        return command

    @contextmanager
    def _running(self, argv: list[str], what: str, changes: bool = True) -> Iterator[None]:
        """Record (and echo) a docker command, then run it; one the engine refuses stays in the
        history as a comment, so that the script replays what happened."""
        command = self._did(argv, changes)
        try:
            with engine_call(what):
                yield
        except CourseError:
            with self._lock:
                where = next(i for i, c in enumerate(self.history) if c is command)
                refused = f"# refused by the engine: {command.line}"  # a comment: replays as it went
                self.history[where] = Command(command.argv, refused, command.changes)
            raise

    def recorded(self, line: str, changes: bool) -> None:
        """Add a docker command line run outside the lab (a ``%%docker`` cell's, as typed) to its
        history, unechoed."""
        with self.muted():
            self._record(Command(tuple(shlex.split(line)[1:]), line, changes))

    def _did_line(self, line: str) -> None:
        self._record(Command((), line, True))

    def _record(self, command: Command) -> None:
        with self._lock:
            self.history.append(command)
            muted = self._muted
        if not muted:
            self._show(command)

    def _show(self, command: Command) -> None:
        if self.echo:
            print(f"$ {command.line}")

    # --- inside -----------------------------------------------------------------

    def _find_network(self, name: str) -> Network | None:
        # networks.list filters by substring; keep the exact match only
        for net in self.engine.networks.list(names=[name]):
            if net.name == name:
                return net
        return None

    def _network(self, name: str) -> Network:
        check_name("network", name)
        net = self._find_network(name)
        if net is None:
            raise UnknownResource(
                "network",
                name,
                self.name,
                self.networks(),
                _("Create it first: lab.network({name})  # docker network create {network}").format(
                    name=repr(name), network=name
                ),
            )
        if name not in BUILTIN_NETWORKS:
            self._require_ours("network", name, net.attrs.get("Labels"), net.id)
        return net

    def container(self, name: str) -> Container:
        """This lab's container called exactly ``name``: ``docker inspect NAME``.

        Raises UnknownResource when there is none, ForeignResource when the name is someone else's.
        """
        start = _(
            "Start it first: lab.run({name}, network=...)  # docker run -d --name {container} ..."
        ).format(name=repr(name), container=name)
        box = self._any_container(name, start)
        self._require_ours("container", name, box.labels, box.id)
        return box

    def _require_ours(self, kind: str, name: str, labels: dict[str, str] | None, ident: str) -> None:
        """The lab's own: its label, or made by one of its ``%%docker`` cells (its ID is in the record)."""
        found = owner(labels)
        if self.whole_engine and not _swarm_task(labels):
            return
        if found != self.name and ident not in self._made().of(kind):
            raise ForeignResource(kind, name, found)

    @staticmethod
    def _networks_of(box: Container) -> set[str]:
        return set(box.attrs["NetworkSettings"]["Networks"])


def _swarm_task(labels: dict[str, str] | None) -> bool:
    """Whether a container is a swarm service's task (the swarm's, not a lab's, even on a whole engine)."""
    return SWARM_TASK in (labels or {})


def _ipam(subnet: str | None) -> docker.types.IPAMConfig | None:
    """``--subnet``: the network's range, or None to let the engine pick from its pools."""
    return docker.types.IPAMConfig(pool_configs=[docker.types.IPAMPool(subnet=subnet)]) if subnet else None


def _same_or_explain(kind: str, name: str, have: dict, asked: dict, remove: str) -> None:
    """Raise a CourseError naming each setting in which an existing resource differs from the request."""
    differs = [
        _("{setting} {have} (you asked for {asked})").format(
            setting=key, have=repr(have[key]), asked=repr(asked[key])
        )
        for key in asked
        if have[key] != asked[key]
    ]
    if differs:
        raise CourseError(
            _("This lab already has a {kind} {name}, made with other settings: {settings}.").format(
                kind=kind_name(kind), name=repr(name), settings="; ".join(differs)
            ),
            _("To make it again as you now ask, remove it first: {remove}, then run this cell again.").format(
                remove=remove
            ),
        )


def find_container(engine: docker.DockerClient, name: str) -> Container | None:
    """The container called exactly ``name``, or None.

    ``containers.get`` also accepts an ID prefix, so a lab container called ``cafe`` or ``db`` could
    find someone else's container whose ID starts that way; a name filter plus an exact match cannot.
    """
    for box in engine.containers.list(all=True, filters={"name": name}):
        if box.name == name:
            return box
    return None


def _target(dst: str) -> str:
    if isinstance(dst, str) and _IPV4.fullmatch(dst):
        try:
            ipaddress.IPv4Address(dst)
        except ValueError:
            raise CourseError(
                _("{address} is not an IPv4 address (each of its four numbers must be 0 to 255).").format(
                    address=repr(dst)
                ),
                _("Use a container's name, or an address from lab.addresses(...)."),
            ) from None
        return dst
    return check_name("container", dst)
