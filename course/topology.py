"""``Snapshot``: what is on the engine right now, read in a constant number of API calls.

Data flows one way: the engine is read here once, and every view (the text table, the
diagram, the widgets, the exercise checks) takes a Snapshot and never calls the engine.
Similar to ``docker info``, ``docker network ls``/``inspect`` and ``docker ps -a`` together.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from . import adopted
from .cleanup import by_id
from .engines.client import client
from .i18n import _
from .lab import Lab
from .names import LABEL
from .table import align


@dataclass(frozen=True)
class Host:
    """The machine the engine runs on (for a simulated node: the node)."""

    hostname: str
    kernel: str
    engine_version: str
    swarm: str = "inactive"


@dataclass(frozen=True)
class NetworkInfo:
    """One network, as ``docker network inspect`` describes it."""

    name: str
    id: str
    driver: str
    scope: str
    subnet: str | None
    gateway: str | None
    bridge: str | None  # the Linux bridge behind it: docker0, br-<id>; None for host/none/overlay
    internal: bool = False
    attachable: bool = False
    lab: str | None = None
    vni: int | None = None  # an overlay network's VXLAN network identifier
    options: tuple[tuple[str, str], ...] = ()  # the driver options, as docker network inspect lists them


@dataclass(frozen=True)
class ContainerInfo:
    """One container: name, state (running, exited...), image and its course lab."""

    name: str
    state: str
    image: str
    lab: str | None = None
    id: str = field(default="", compare=False)  # a container recreated under its name is the same to a view


@dataclass(frozen=True)
class Endpoint:
    """A container's attachment to a network: one veth pair on a bridge network."""

    container: str
    network: str
    ipv4: str | None  # with prefix length, e.g. 172.19.0.2/16
    mac: str | None
    aliases: tuple[str, ...] = ()

    @property
    def ip(self) -> str | None:
        """The address without its prefix length."""
        return self.ipv4.split("/")[0] if self.ipv4 else None


@dataclass(frozen=True)
class Node:
    """A swarm node, as ``docker node ls`` lists it."""

    hostname: str
    role: str
    state: str
    availability: str
    address: str


@dataclass(frozen=True)
class Snapshot:
    """Everything a view needs, frozen. ``str()`` gives a stable, sorted table."""

    host: Host
    networks: tuple[NetworkInfo, ...]
    containers: tuple[ContainerInfo, ...]
    endpoints: tuple[Endpoint, ...]
    nodes: tuple[Node, ...] = ()

    def network(self, name: str) -> NetworkInfo:
        """The network called ``name``; KeyError if the snapshot has none."""
        for net in self.networks:
            if net.name == name:
                return net
        raise KeyError(name)

    def endpoints_of(self, container: str) -> dict[str, Endpoint]:
        """``{network: Endpoint}`` for one container."""
        return {e.network: e for e in self.endpoints if e.container == container}

    def members(self, network: str) -> list[str]:
        """Names of the containers attached to ``network``."""
        return sorted(e.container for e in self.endpoints if e.network == network)

    def overlays(self) -> Snapshot:
        """Only the overlay networks a user made (not swarm mode's ``ingress``), the containers on them,
        and their endpoints: what a simulated host adds to a drawing of the swarm."""
        nets = tuple(n for n in self.networks if n.driver == "overlay" and n.name != "ingress")
        names = {n.name for n in nets}
        eps = tuple(e for e in self.endpoints if e.network in names)
        on = {e.container for e in eps}
        boxes = tuple(c for c in self.containers if c.name in on)
        return Snapshot(self.host, nets, boxes, eps, self.nodes)

    def table(self) -> str:
        """The snapshot as aligned text: host, networks, then endpoints; sorted, so stable."""
        h = self.host
        # The hostname and kernel stay in ``host`` but out of the table: a compared output holds neither.
        lines = [
            _("Docker host: Docker {version}, swarm {swarm}").format(version=h.engine_version, swarm=h.swarm),
            "",
        ]
        lines += align(
            [("NETWORK", "DRIVER", "SCOPE", "SUBNET", "GATEWAY", "BRIDGE")]
            + [
                (n.name, n.driver, n.scope, n.subnet or "-", n.gateway or "-", n.bridge or "-")
                for n in self.networks
            ]
        )
        lines.append("")
        states = {c.name: c.state for c in self.containers}
        rows = [
            (e.container, states.get(e.container, "?"), e.network, e.ipv4 or "-", e.mac or "-")
            for e in self.endpoints
        ]
        rows += [(c.name, c.state, "-", "-", "-") for c in self.containers if not self.endpoints_of(c.name)]
        lines += align([("CONTAINER", "STATE", "NETWORK", "IPV4", "MAC"), *sorted(rows)])
        if self.nodes:
            lines.append("")
            lines += align(
                [("NODE", "ROLE", "STATE", "AVAILABILITY", "ADDRESS")]
                + [(n.hostname, n.role, n.state, n.availability, n.address) for n in self.nodes]
            )
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.table()

    def _repr_pretty_(self, printer, cycle: bool) -> None:
        printer.text(self.table())


def snapshot(
    lab: Lab | str | None = None,
    *,
    everything: bool = False,
    host: str | None = None,
    nodes: bool | None = None,
) -> Snapshot:
    """Read the engine once: one lab's resources, every course lab's (``lab=None``), or ``everything``.

    Three API calls whatever the number of containers (four with the swarm's nodes): ``info``,
    the network list and the container list, which carries each container's endpoints.
    The swarm's node table (``docker node ls``) is read with ``everything`` or ``nodes=True``:
    a learner's own swarm is not part of a lab.
    """
    if isinstance(lab, Lab):
        host = host or lab.host
        everything = everything or lab.whole_engine  # a simulated host's engine: all of it is the lab's
        lab = lab.name
    engine = client(host)
    api = engine.api
    label = None if everything else (f"{LABEL}={lab}" if lab else LABEL)
    filters = {"label": label} if label else {}
    info = api.info()
    raw_boxes = api.containers(all=True, filters=filters)
    raw_nets = api.networks()
    if lab and not everything:  # and what the lab's %%docker cells created, known by ID: one call more
        record = adopted.load(lab, info.get("ID", ""))
        raw_boxes, raw_nets = _with_adopted(engine, record, raw_boxes, raw_nets)
    swarm = info.get("Swarm", {})
    want_nodes = everything if nodes is None else nodes
    raw_nodes = api.nodes() if want_nodes and swarm.get("ControlAvailable") else []
    return build(info, raw_nets, raw_boxes, raw_nodes, label)


def _with_adopted(engine, record: adopted.Adopted, raw_boxes: list, raw_nets: list) -> tuple[list, list]:
    """The raw answers with the lab's adopted containers and networks marked as the lab's own."""
    lab = record.lab

    def mark(raw: dict) -> dict:
        return {**raw, "Labels": {**(raw.get("Labels") or {}), LABEL: lab}}

    have = {b["Id"] for b in raw_boxes}
    missing = [i for i in record.of("container") if i not in have]
    raw_boxes = raw_boxes + [mark(c.attrs) for c in by_id(engine, "container", missing)]
    nets = set(record.of("network"))
    return raw_boxes, [mark(n) if n["Id"] in nets else n for n in raw_nets]


def build(info: dict, raw_nets: list, raw_boxes: list, raw_nodes: list, label: str | None) -> Snapshot:
    """Assemble a Snapshot from the raw API answers (kept apart so it is testable without an engine)."""
    containers, endpoints, gateways = [], [], {}
    for box in raw_boxes:
        name = box["Names"][0].lstrip("/")
        labels = box.get("Labels") or {}
        containers.append(
            ContainerInfo(name, box["State"], box["Image"], labels.get(LABEL), box.get("Id", ""))
        )
        for net, ep in (box.get("NetworkSettings") or {}).get("Networks", {}).items():
            gateways.setdefault(net, ep.get("Gateway") or None)
            ip = f"{ep['IPAddress']}/{ep['IPPrefixLen']}" if ep.get("IPAddress") else None
            endpoints.append(
                Endpoint(name, net, ip, ep.get("MacAddress") or None, tuple(sorted(ep.get("Aliases") or ())))
            )
    networks = [
        _network(raw, gateways.get(raw["Name"]))
        for raw in raw_nets
        if label is None or _matches(raw.get("Labels") or {}, label) or raw["Name"] in gateways
    ]
    nodes = [
        Node(
            n["Description"]["Hostname"],
            n["Spec"]["Role"],
            n["Status"]["State"],
            n["Spec"]["Availability"],
            n["Status"].get("Addr", ""),
        )
        for n in raw_nodes
    ]
    return Snapshot(
        Host(
            info.get("Name", "?"),
            info.get("KernelVersion", "?"),
            info.get("ServerVersion", "?"),
            info.get("Swarm", {}).get("LocalNodeState", "inactive"),
        ),
        tuple(sorted(networks, key=lambda n: n.name)),
        tuple(sorted(containers, key=lambda c: c.name)),
        tuple(sorted(endpoints, key=lambda e: (e.container, e.network))),
        tuple(sorted(nodes, key=lambda n: n.hostname)),
    )


def _matches(labels: dict, label: str) -> bool:
    key, _, value = label.partition("=")
    return key in labels and (not value or labels[key] == value)


def _network(raw: dict, seen_gateway: str | None) -> NetworkInfo:
    config = ((raw.get("IPAM") or {}).get("Config") or [{}])[0]
    options = raw.get("Options") or {}
    bridge = None
    if raw["Driver"] == "bridge":
        bridge = options.get("com.docker.network.bridge.name") or f"br-{raw['Id'][:12]}"
    return NetworkInfo(
        name=raw["Name"],
        id=raw["Id"],
        driver=raw["Driver"],
        scope=raw["Scope"],
        subnet=config.get("Subnet"),
        gateway=config.get("Gateway") or seen_gateway,  # the default bridge leaves it out
        bridge=bridge,
        internal=bool(raw.get("Internal")),
        attachable=bool(raw.get("Attachable")),
        lab=(raw.get("Labels") or {}).get(LABEL),
        vni=_vni(options),
        options=tuple(sorted(options.items())),
    )


def _vni(options: dict) -> int | None:
    first = options.get("com.docker.network.driver.overlay.vxlanid_list", "").split(",")[0]
    return int(first) if first.isdigit() else None


@dataclass(frozen=True)
class Diff:
    """What changed between two snapshots, by name; ``str()`` lists it as +/-/~ lines."""

    added_networks: tuple[str, ...] = ()
    removed_networks: tuple[str, ...] = ()
    added_containers: tuple[str, ...] = ()
    removed_containers: tuple[str, ...] = ()
    added_endpoints: tuple[Endpoint, ...] = ()
    removed_endpoints: tuple[Endpoint, ...] = ()
    changed_endpoints: tuple[tuple[Endpoint, Endpoint], ...] = field(default=())

    def __bool__(self) -> bool:
        return any(getattr(self, f) for f in self.__dataclass_fields__)

    def __str__(self) -> str:
        lines = [f"+ network {n}" for n in self.added_networks]
        lines += [f"- network {n}" for n in self.removed_networks]
        lines += [f"+ container {c}" for c in self.added_containers]
        lines += [f"- container {c}" for c in self.removed_containers]
        on = _("{sign} endpoint {container} on {network} ({ipv4})")
        lines += [
            on.format(sign="+", container=e.container, network=e.network, ipv4=e.ipv4)
            for e in self.added_endpoints
        ]
        lines += [
            on.format(sign="-", container=e.container, network=e.network, ipv4=e.ipv4)
            for e in self.removed_endpoints
        ]
        lines += [
            _("~ endpoint {container} on {network}: {before} -> {after}").format(
                container=a.container, network=a.network, before=a.ipv4, after=b.ipv4
            )
            for a, b in self.changed_endpoints
        ]
        return "\n".join(lines) or _("no change")

    def _repr_pretty_(self, printer, cycle: bool) -> None:
        printer.text(str(self))


def diff(before: Snapshot, after: Snapshot) -> Diff:
    """What appeared, disappeared or changed from ``before`` to ``after``."""
    nets_a, nets_b = {n.name for n in before.networks}, {n.name for n in after.networks}
    boxes_a, boxes_b = {c.name for c in before.containers}, {c.name for c in after.containers}
    eps_a = {(e.container, e.network): e for e in before.endpoints}
    eps_b = {(e.container, e.network): e for e in after.endpoints}
    return Diff(
        added_networks=tuple(sorted(nets_b - nets_a)),
        removed_networks=tuple(sorted(nets_a - nets_b)),
        added_containers=tuple(sorted(boxes_b - boxes_a)),
        removed_containers=tuple(sorted(boxes_a - boxes_b)),
        added_endpoints=tuple(eps_b[k] for k in sorted(eps_b.keys() - eps_a.keys())),
        removed_endpoints=tuple(eps_a[k] for k in sorted(eps_a.keys() - eps_b.keys())),
        changed_endpoints=tuple(
            (eps_a[k], eps_b[k])
            for k in sorted(eps_a.keys() & eps_b.keys())
            if (eps_a[k].ipv4, eps_a[k].mac) != (eps_b[k].ipv4, eps_b[k].mac)
        ),
    )


__all__ = ["ClusterSnapshot", "Diff", "Endpoint", "NetworkInfo", "Snapshot", "diff", "snapshot"]


@dataclass(frozen=True)
class ClusterSnapshot:
    """The host engine's snapshot of the cluster lab (nodes, underlay) and one snapshot per node."""

    host: Snapshot
    nodes: dict[str, Snapshot]  # by hostname
    containers: dict[str, str] = field(default_factory=dict)  # hostname -> its container on the host
