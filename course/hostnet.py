"""A simulated host's network stack as ``ip -j`` reports it: its namespaces, links, addresses and routes.

Notebook 06 builds a bridge by hand inside a simulated host (a ``course/node`` container) and draws it
after each step. What is drawn is read, never remembered: ``ip -j -d addr`` and ``ip -j route`` in the
host's own namespace, in each namespace ``ip netns list`` names, and in each running container of the
host's Docker engine (through ``nsenter --net=`` its ``SandboxKey``, which ``ip netns`` does not list).
A veth pair is matched the way the kernel links it: one end's ``link_index`` is the other end's
``ifindex``, in the namespace that ``link_netnsid`` names.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from .errors import CourseError
from .i18n import _, ngettext

if TYPE_CHECKING:
    from .cluster import Cluster

HOST = "host"  # the name given to the simulated host's own (root) namespace


@dataclass(frozen=True)
class Link:
    """One interface in one namespace."""

    name: str
    ifindex: int
    kind: str  # "veth", "bridge", "loopback", "ether" (the host's own NIC), ...
    up: bool
    addresses: tuple[str, ...] = ()  # "10.10.0.2/24"
    master: str | None = None  # the bridge it is plugged into
    peer_index: int | None = None  # a veth's other end: its ifindex, in the namespace peer_netnsid names
    peer_netnsid: int | None = None
    mtu: int = 1500


@dataclass(frozen=True)
class Space:
    """A network namespace: a host's own, one ``ip netns add`` made, or a container's."""

    name: str
    links: tuple[Link, ...]
    gateway: str | None = None  # the default route's gateway ("via"), if any
    container: bool = False  # Docker made it (a container's), not ``ip netns add``
    netnsid: int | None = None  # the id the host's namespace knows it by (``ip netns list``)

    def link(self, name: str) -> Link | None:
        return next((link for link in self.links if link.name == name), None)


@dataclass(frozen=True)
class HostNet:
    """Every namespace of one simulated host, and the veth pairs that join them."""

    host: str
    spaces: dict[str, Space] = field(default_factory=dict)

    @property
    def root(self) -> Space:
        return self.spaces[HOST]

    def bridges(self) -> list[Link]:
        return [link for link in self.root.links if link.kind == "bridge"]

    def pairs(self) -> list[tuple[Link, str, Link]]:
        """``(host end, namespace, its end)`` for each veth pair with one end in the host's namespace."""
        found = []
        ids = {space.netnsid: name for name, space in self.spaces.items() if space.netnsid is not None}
        for name, space in self.spaces.items():
            if name == HOST:
                continue
            for end in space.links:
                if end.kind != "veth" or end.peer_index is None:
                    continue
                host_end = next(
                    (
                        link
                        for link in self.root.links
                        if link.kind == "veth"
                        and link.ifindex == end.peer_index
                        and link.peer_index == end.ifindex
                    ),
                    None,
                )
                # the host end must point back into this very namespace (by its id, for ip netns ones)
                if host_end is not None and (space.container or ids.get(host_end.peer_netnsid) == name):
                    found.append((host_end, name, end))
        return found

    def namespaces(self) -> list[str]:
        """The namespaces ``ip netns add`` made, by name (not the host's, not containers')."""
        return [name for name, space in self.spaces.items() if name != HOST and not space.container]

    def summary(self) -> str:
        """One line per namespace and per bridge: what a learner checks a diagram against."""
        lines = []
        for bridge in self.bridges():
            n = len([link for link in self.root.links if link.master == bridge.name])
            addresses = " ".join(bridge.addresses) or _("(no address)")
            line = ngettext("bridge {name} {addresses}: {n} port", "bridge {name} {addresses}: {n} ports", n)
            lines.append(line.format(name=bridge.name, addresses=addresses, n=n))
        for name, space in self.spaces.items():
            if name == HOST:
                continue
            ifaces = ", ".join(
                f"{link.name} {' '.join(link.addresses) or _('(no address)')}"
                for link in space.links
                if link.kind != "loopback"
            )
            route = f"default via {space.gateway}" if space.gateway else _("no default route")
            line = (
                _("container {name}: {interfaces}; {route}")
                if space.container
                else _("namespace {name}: {interfaces}; {route}")
            )
            lines.append(line.format(name=name, interfaces=ifaces or _("no interface but lo"), route=route))
        return "\n".join(lines)


def _json(text: str) -> list:
    try:
        return json.loads(text or "[]")
    except ValueError:
        raise CourseError(
            _("ip said something other than JSON: {text}").format(text=text.strip()[:200]),
            _("Run the cell again."),
        ) from None


def _links(addr_json: str) -> tuple[Link, ...]:
    links = []
    for item in _json(addr_json):
        info = item.get("linkinfo", {})
        kind = info.get("info_kind") or ("loopback" if item.get("link_type") == "loopback" else "ether")
        links.append(
            Link(
                name=item["ifname"],
                ifindex=item["ifindex"],
                kind=kind,
                up="UP" in item.get("flags", []),
                addresses=tuple(
                    f"{a['local']}/{a['prefixlen']}"
                    for a in item.get("addr_info", [])
                    if a.get("family") == "inet"
                ),
                master=item.get("master"),
                peer_index=item.get("link_index") if kind == "veth" else None,
                peer_netnsid=item.get("link_netnsid") if kind == "veth" else None,
                mtu=item.get("mtu", 1500),
            )
        )
    return tuple(links)


def _gateway(route_json: str) -> str | None:
    routes = _json(route_json)
    return next((r["gateway"] for r in routes if r.get("dst") == "default" and "gateway" in r), None)


def read(cluster: Cluster, node: str) -> HostNet:
    """Read host ``node``'s namespaces: ``docker exec <node> ip -j -d addr``, and the same in each one."""

    def run(*argv: str) -> str:
        ran = cluster.exec(node, list(argv))
        if ran.exit_code != 0 and "BusyBox" in ran.output:  # a docker:*-dind node: busybox's ip only
            raise CourseError(
                _(
                    "{node} runs a docker:*-dind image, whose ip is busybox's: it has no netns and no -j."
                ).format(node=node),
                _(
                    "Notebook 06 needs the course's own node image (it carries iproute2): where the course "
                    "runs as root on Linux, `course images export course-images.tar`; here, "
                    "`course images import course-images.tar`, then `docker rm -f` the hosts and run the "
                    "notebook again."
                ),
            )
        if ran.exit_code != 0:
            raise CourseError(
                _("`{command}` failed on {node}: {output}").format(
                    command=" ".join(argv), node=node, output=ran.output.strip()
                ),
                _(
                    "The simulated host needs iproute2's ip (its node image has it when the course builds "
                    "it); run cluster.up() again."
                ),
            )
        return ran.output

    spaces = {
        HOST: Space(HOST, _links(run("ip", "-j", "-d", "addr", "show")), _gateway(run("ip", "-j", "route")))
    }
    for item in _json(run("ip", "-j", "netns", "list")):
        name = item["name"]
        spaces[name] = Space(
            name,
            _links(run("ip", "-n", name, "-j", "-d", "addr", "show")),
            _gateway(run("ip", "-n", name, "-j", "route")),
            netnsid=item.get("id"),
        )
    engine = cluster.lab_on(node).engine
    for box in sorted(engine.containers.list(), key=lambda c: c.name):
        key = box.attrs["NetworkSettings"].get("SandboxKey")
        if not key or box.attrs["HostConfig"].get("NetworkMode") == "host":
            continue
        net = f"--net={key}"
        spaces[box.name] = Space(
            box.name,
            _links(run("nsenter", net, "ip", "-j", "-d", "addr", "show")),
            _gateway(run("nsenter", net, "ip", "-j", "route")),
            container=True,
        )
    return HostNet(node, spaces)
