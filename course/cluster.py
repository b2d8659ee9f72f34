"""Simulated Docker hosts: engines running as containers ("nodes") on an "underlay" network.

The Play-with-Docker pattern: each node is a container with its own hostname (node1, node2, ...),
its own IP on the underlay bridge, and its own Docker engine, reachable from the course through a
port bound to 127.0.0.1 only. ``Lab``, ``snapshot()`` and the diagrams work on each node's engine.
Everything (nodes, their ``/var/lib/docker`` volumes, the underlay) carries the cluster's
``course.lab`` label, so ``cleanup()`` and ``course reset`` remove it.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass

import docker

from . import underlay
from .busy import progress as busy
from .cleanup import Removed
from .engines import certs
from .engines.client import address, answers, client, trust
from .engines.daemon import LOOKUPS
from .engines.dind import RUNTIME, start_engine_container
from .engines.images import KEEPALIVE, LAB_IMAGE, build_lab_image
from .engines.node_image import build_node_image
from .engines.tunnel import Tunnel
from .errors import CourseError, ForeignResource, engine_call
from .i18n import _
from .lab import ExecResult, Lab, find_container
from .locks import locked
from .names import check_name, owner
from .parallel import parallel
from .topology import ClusterSnapshot, snapshot
from .waiting import TimedOut, until

ENGINE_PORT = certs.PORT
# What the node's dockerd runs with: its own socket, TCP 2376 with mutual TLS for the course (published
# on the host's loopback only; engines/certs.py), and the same loopback DNS as the host engine, so no lookup
# leaves the machine. No plain-TCP port: anyone who reached one would drive a root engine.
DOCKERD = ["dockerd", "-H", "unix:///var/run/docker.sock", *LOOKUPS]
# Heartbeat every 2 s instead of 5 s, so a stopped node shows as down within seconds.
HEARTBEAT_NS = 2_000_000_000


@dataclass(frozen=True)
class Node:
    """One simulated host: its name (= hostname), underlay IP, and the address of its engine."""

    name: str
    ip: str
    url: str

    @property
    def engine(self) -> docker.DockerClient:
        """The SDK client of this node's own engine."""
        return client(self.url)


class Cluster:
    """N nodes on one underlay network, all labelled ``course.lab=<name>`` on the host engine.

    As a context manager it removes everything it made on exit::

        with Cluster("overlay") as cluster:
            cluster.up()
            cluster.swarm()
    """

    def __init__(self, name: str = "overlay", size: int = 3, host: str | None = None) -> None:
        if not 1 <= size <= 9:
            raise CourseError(
                _("A cluster of {n} nodes is not supported.").format(n=size),
                _("Use 1 to 9 nodes."),
            )
        self.lab = Lab(name, host)
        self.size = size
        self.nodes: list[Node] = []
        self.certs = certs.ensure(self.lab.name, self.names)
        # Scoped by the cluster's name, so a notebook's, a test's and a bench's clusters never collide;
        # the hostnames (node1, node2, ...) are what the lessons talk about.
        self.underlay = f"{self.lab.name}-underlay"
        self._tunnels: dict[str, Tunnel] = {}  # node name -> its engine's port, when the engine is elsewhere

    def __enter__(self) -> Cluster:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.down()

    def container_name(self, name: str) -> str:
        """The container that is host ``name``: ``overlay-node1`` for node1 of cluster ``overlay``."""
        if name not in self.names:
            raise self._no_such_node(name)
        return f"{self.lab.name}-{name}"

    def container(self, name: str):
        """The container of host ``name``: exactly that name, and this cluster's own."""
        return self.lab.container(self.container_name(name))

    @property
    def names(self) -> list[str]:
        return [f"node{i}" for i in range(1, self.size + 1)]

    def up(self, timeout: float = 90) -> list[Node]:
        """Start every node (idempotent) and wait until each engine answers; load the lab image.

        Similar to ``docker network create underlay`` and, per node,
        ``docker run -d --privileged --hostname node1 --name node1 --net underlay``
        ``-v node1:/var/lib/docker -p 127.0.0.1::2376 course/node dockerd --tlsverify ...``
        (its certificates copied in first: ``docker cp``).
        """
        engine = self.lab.engine
        with busy(_("starting {n} simulated hosts").format(n=self.size), 3 + 3 * self.size) as shown:
            shown.step(_("building the lab and node images (once)"))
            with locked(certs.state_dir() / "images.lock"):  # two notebooks' hosts starting at once
                build_lab_image()
                image = build_node_image(self.lab.host)
            shown.step(_("creating the underlay network"))
            if self.underlay not in self.lab.networks():  # docker network create --subnet <a free /24> ...
                underlay.in_free_subnet(
                    lambda subnet: self.lab.network(self.underlay, subnet=subnet),
                    lambda: underlay.free_subnet(self.lab.host),
                )
            shown.step(_("starting the nodes"))

            def start(name: str) -> Node:
                self._start(engine, image, name)
                shown.step(_("{node} started, waiting for its engine").format(node=name))
                node = self._wait(engine, name, timeout)
                shown.step(_("{node}'s engine answers").format(node=name))
                return node

            self.nodes = parallel(start, self.names)
            lab = engine.images.get(LAB_IMAGE)
            lab_tar = b"".join(lab.save(named=True))

            def load(node: Node) -> None:
                self._load(node, lab_tar, lab.id)
                shown.step(_("lab image loaded on {node}").format(node=node.name))

            parallel(load, self.nodes)
        return self.nodes

    def _manager(self) -> Node:
        if not self.nodes:
            raise CourseError(_("The cluster has no running nodes yet."), _("Start them first: cluster.up()"))
        return self.nodes[0]

    def node(self, name: str) -> Node:
        """The node called ``name`` (after ``up()``)."""
        for node in self.nodes:
            if node.name == name:
                return node
        if name in self.names:  # a real node, but up() did not bring the cluster up (or down() took it)
            raise CourseError(
                _("{node} is not running: the simulated hosts are not up.").format(node=name),
                _("Run the cell with cluster.up() again; if it fails, its error says why."),
            )
        raise self._no_such_node(name)

    def _no_such_node(self, name: str) -> CourseError:
        return CourseError(
            _("No node {name} in this cluster.").format(name=repr(name)),
            _("Its nodes are {nodes}.").format(nodes=", ".join(self.names)),
        )

    def lab_on(self, name: str) -> Lab:
        """A Lab on one node's engine: ``cluster.lab_on("node1").run(...)`` is ``docker -H node1 run ...``.
        The node is the course's, so what a learner typed there (``docker exec overlay-node1 docker run
        ...``) is the lab's too."""
        return Lab(self.lab.name, host=self.node(name).url, whole_engine=True)

    def docker_command(self, name: str, *args: str) -> str:
        """The ``docker`` command line for a node's engine: ``docker_command("node1", "ps")``."""
        url = self.node(name).url
        return " ".join(["docker", *self.certs.cli_flags(), "-H", url, *args])

    def exec(self, name: str, argv: list[str]) -> ExecResult:
        """Run ``argv`` on the node itself (not in a container on it): ``docker exec node1 ...``."""
        return self.lab.exec(self.container_name(name), argv)

    def swarm(self) -> None:
        """``docker swarm init`` on node1, ``docker swarm join`` on the others (idempotent)."""
        manager = self._manager()
        with busy(_("forming the swarm"), len(self.nodes)) as shown, engine_call(_("form the swarm")):
            self._form(manager, shown)

    def _form(self, manager: Node, shown) -> None:
        if manager.engine.info()["Swarm"]["LocalNodeState"] != "active":
            manager.engine.swarm.init(
                advertise_addr=manager.ip,
                listen_addr=f"{manager.ip}:2377",
                dispatcher_heartbeat_period=HEARTBEAT_NS,
            )
        shown.step(_("{node} is the manager").format(node=manager.name))
        manager.engine.swarm.reload()
        token = manager.engine.swarm.attrs["JoinTokens"]["Worker"]
        for node in self.nodes[1:]:
            if node.engine.info()["Swarm"]["LocalNodeState"] != "active":
                node.engine.swarm.join(
                    remote_addrs=[f"{manager.ip}:2377"], join_token=token, advertise_addr=node.ip
                )
            shown.step(_("{node} joined").format(node=node.name))

    def kernel(self, name: str) -> str:
        """The kernel a node runs on (nodes share the host's kernel): ``docker exec node1 uname -r``."""
        return self.exec(name, ["uname", "-r"]).output.strip()

    def stop_node(self, name: str) -> None:
        """Stop a node, as if the host went down: ``docker stop node2``."""
        self.container(name).stop(timeout=5)

    def start_node(self, name: str, timeout: float = 60) -> Node:
        """Start a stopped node again (``docker start node2``); its engine rejoins the swarm by itself."""
        box = self.container(name)
        self._boot(box)
        try:
            node = self._wait(self.lab.engine, name, timeout)  # its published port may have changed
        except CourseError:
            box.reload()
            if box.status == "running":
                raise
            # Once, on an engine reached through DOCKER_HOST, a restarted node's dockerd found no
            # /certs/server/cert.pem though the copy had been made: copy and start once more.
            self._boot(box)
            node = self._wait(self.lab.engine, name, timeout)
        self.nodes = [node if n.name == name else n for n in self.nodes]
        return node

    def service(self, name: str, network: str, replicas: int = 3):
        """A replicated service of lab containers on ``network``, created on the manager.

        Similar to ``docker service create --name NAME --replicas N --network NETWORK course/lab ...``.
        """
        check_name("container", name)
        manager = self._manager().engine
        with engine_call(_("create service {name}").format(name=repr(name))):
            return manager.services.create(
                LAB_IMAGE,
                command=KEEPALIVE,
                name=name,
                networks=[network],
                labels=self.lab.labels,
                mode=docker.types.ServiceMode("replicated", replicas=replicas),
            )

    def placement(self, name: str) -> list[str]:
        """The hosts running the service's tasks, sorted: ``docker service ps NAME``."""
        manager = self._manager().engine
        with engine_call(_("list the tasks of {name}").format(name=repr(name))):
            hosts = {n.id: n.attrs["Description"]["Hostname"] for n in manager.nodes.list()}
            tasks = manager.services.get(name).tasks()
        return sorted(
            hosts.get(t.get("NodeID"), "?")
            for t in tasks
            if t["Status"]["State"] == "running" and t["DesiredState"] == "running"
        )

    def vip(self, name: str) -> str:
        """The service's virtual IP on its network: ``docker service inspect NAME`` (Endpoint.VirtualIPs)."""
        with engine_call(_("inspect service {name}").format(name=repr(name))):
            service = self._manager().engine.services.get(name)
        return service.attrs["Endpoint"]["VirtualIPs"][0]["Addr"].split("/")[0]

    def node_states(self) -> dict[str, str]:
        """``{hostname: state}`` as the manager sees them, sorted by name: ``docker node ls``."""
        manager = self._manager().engine
        states = {
            n.attrs["Description"]["Hostname"]: n.attrs["Status"]["State"] for n in manager.nodes.list()
        }
        return dict(sorted(states.items()))

    def wait_for(self, predicate, timeout: float = 60, every: float = 0.5) -> bool:
        """Poll ``predicate()`` until it is true (True), or raise TimedOut with the last error seen."""
        return until(predicate, timeout, every)

    def snapshot(self) -> ClusterSnapshot:
        """Read the host's view (nodes on the underlay) and each node's engine, for ``draw_cluster``."""
        return ClusterSnapshot(
            snapshot(self.lab),
            # each node whole (the course made it): the overlays on it, typed there or made by a helper
            {node.name: snapshot(host=node.url, everything=True).overlays() for node in self.nodes},
            {node.name: self.container_name(node.name) for node in self.nodes},  # node1 is overlay-node1
        )

    def down(self) -> Removed:
        """Remove the nodes, their volumes and the underlay: everything the cluster made."""
        self.nodes = []
        for tunnel in self._tunnels.values():
            tunnel.close()
        self._tunnels.clear()
        return self.lab.cleanup()

    # --- inside -----------------------------------------------------------------

    def _start(self, engine: docker.DockerClient, image: str, name: str) -> None:
        box = find_container(engine, self.container_name(name))
        if box is not None:
            if owner(box.labels) != self.lab.name:
                raise ForeignResource("container", name, owner(box.labels))
            if box.status != "running":
                self._boot(box)
            return
        volume = engine.volumes.create(f"course-{self.lab.name}-{name}", labels=self.lab.labels)
        # docker volume create gives back an existing volume of that name as it is: reuse only our own
        if owner(volume.attrs.get("Labels") or {}) != self.lab.name:
            raise ForeignResource("volume", volume.name, owner(volume.attrs.get("Labels") or {}))
        start_engine_container(
            engine,
            image,
            [*DOCKERD, *self.certs.dockerd_args()],
            _("node {name}").format(name=repr(name)),
            volumes={volume.name: {"bind": "/var/lib/docker", "mode": "rw"}},
            prepare=lambda box: box.put_archive("/", self.certs.server_tar()),
            name=self.container_name(name),
            hostname=name,
            labels=self.lab.labels,
            network=self.underlay,
            ports={f"{ENGINE_PORT}/tcp": ("127.0.0.1", None)},
            tmpfs=RUNTIME,  # its pidfiles and runtime state, afresh at each start (docker start node2)
        )

    def _boot(self, box) -> None:
        """Copy the cluster's certificates in (they may be new since it stopped), then start it."""
        box.put_archive("/", self.certs.server_tar())  # docker cp certs/server node1:/certs/server
        box.start()

    def _wait(self, engine: docker.DockerClient, name: str, timeout: float) -> Node:
        box = self.container(name)
        if box.status != "running":  # it stopped at once: no port to reach, and its log says why
            raise self._not_started(box, name)
        ip = box.attrs["NetworkSettings"]["Networks"][self.underlay]["IPAddress"]
        if (self.lab.host or address()).startswith("unix://"):
            # the engine's loopback is ours (this machine, Docker Desktop's forwarding, a shared namespace)
            port = box.attrs["NetworkSettings"]["Ports"][f"{ENGINE_PORT}/tcp"][0]["HostPort"]
        else:  # an engine elsewhere: its loopback is not ours, so reach the port through the engine
            old = self._tunnels.pop(name, None)
            if old is not None:
                old.close()
            self._tunnels[name] = Tunnel(engine.api, box.id, ENGINE_PORT)
            port = self._tunnels[name].port
        url = f"tcp://127.0.0.1:{port}"
        trust(url, self.certs.tls())

        def settled() -> bool:  # its engine answers, or the node stopped (no use waiting then)
            box.reload()
            return box.status != "running" or answers(url)

        with contextlib.suppress(TimedOut):  # what it timed out on is said below, with the node's log
            until(settled, timeout, 0.3, _("the engine in {node} to answer").format(node=name))
        if box.status != "running" or not answers(url):
            raise self._not_started(box, name)
        return Node(name, ip, url)

    @staticmethod
    def _not_started(box, name: str) -> CourseError:
        logs = box.logs(tail=8).decode(errors="replace")
        return CourseError(
            _("The engine in {node} did not start ({status}).").format(node=name, status=box.status),
            _("Its last log lines say why; then run cluster.up() again:\n{logs}").format(logs=logs),
        )

    @staticmethod
    def _load(node: Node, lab_tar: bytes, lab_id: str) -> None:
        """The host's lab image on a node, unless the node has that very image (by ID) already."""
        try:
            if node.engine.images.get(LAB_IMAGE).id == lab_id:
                return
        except docker.errors.ImageNotFound:
            pass
        node.engine.images.load(lab_tar)  # docker save course/lab | docker -H node load
