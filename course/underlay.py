"""The hosts' own network under the overlay: the ports an overlay needs between hosts, and how it breaks.

Each check runs on the simulated hosts (``docker exec nodeN ...``); nothing here touches the host engine.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, TypeVar

import docker

from . import hostview
from .engines.client import client
from .errors import CourseError
from .i18n import N_, _

if TYPE_CHECKING:
    from .cluster import Cluster

# Where the underlay's subnet comes from: outside the engine's default pools (172.17-31, 192.168), and
# far from the 10.0.x.0/24 that swarm gives overlays inside the nodes.
UNDERLAY_RANGE = ipaddress.ip_network("10.99.0.0/16")
Made = TypeVar("Made")


def in_free_subnet(create: Callable[[str], Made], pick: Callable[[], str], attempts: int = 5) -> Made:
    """``create(subnet)`` with the subnet ``pick()`` finds free; when another process took it between the
    two (two notebooks, or two learners, starting at once: "Pool overlaps"), with the next free one."""
    for attempt in range(attempts):
        try:
            return create(pick())
        except (docker.errors.APIError, CourseError) as exc:
            if "overlaps" not in str(exc) or attempt == attempts - 1:
                raise
    raise AssertionError("unreachable")


def free_subnet(host: str | None = None) -> str:
    """A /24 for the underlay that no network of the engine, no NAT rule and no address of its host mentions.

    Why the rules too: a MASQUERADE rule left behind by a removed network (dockerd leaves some when
    it stops, and an engine that was switched leaves all of its own) goes on matching its old subnet,
    and with bridge netfilter on it also rewrites the traffic *between* containers on a new bridge
    that reuses that subnet: every VXLAN packet would then seem to come from the bridge itself.
    """
    taken = [
        ipaddress.ip_network(config["Subnet"])
        for net in client(host).api.networks()
        for config in (net.get("IPAM") or {}).get("Config") or []
        if config.get("Subnet") and ":" not in config["Subnet"]
    ]
    try:
        rules = hostview.nat_rules(host)  # iptables -t nat -S, or nftables' ip docker-bridges
    except CourseError:
        rules = []  # no rules to read on this host: the networks are all we can avoid
    for found in re.findall(r"(?:-s|ip saddr) (\d+\.\d+\.\d+\.\d+/\d+)", "\n".join(rules)):
        taken.append(ipaddress.ip_network(found, strict=False))
    # and the engine host's own addresses: an engine that itself runs in a container (on another
    # cluster's underlay) would otherwise route its own replies into the new bridge
    for iface in hostview.host_interfaces(host):
        for address in iface.addresses:
            if ":" not in address:
                taken.append(ipaddress.ip_interface(address).network)
    for candidate in UNDERLAY_RANGE.subnets(new_prefix=24):
        if not any(candidate.overlaps(t) for t in taken):
            return str(candidate)
    raise CourseError(
        _("No free /24 left in {range} for the underlay.").format(range=UNDERLAY_RANGE),
        _("Remove unused networks."),
    )


# The ports the workshop lists, and how each is checked between two nodes (purposes translated where shown).
OVERLAY_PORTS = (
    (2377, "tcp", N_("cluster management (managers only)")),
    (7946, "tcp", N_("node-to-node communication (gossip)")),
    (7946, "udp", N_("node-to-node communication (gossip)")),
    (4789, "udp", N_("overlay network traffic (VXLAN)")),
)


@dataclass(frozen=True)
class PortCheck:
    """Whether ``port/proto`` on ``node`` answers: a TCP connect, or a bound UDP socket."""

    node: str
    port: int
    proto: str
    purpose: str
    ok: bool
    how: str

    def __str__(self) -> str:
        state = "open" if self.ok else "CLOSED"
        return f"{self.node} {self.port}/{self.proto:3} {state:6}  {_(self.purpose)} ({self.how})"


def check_ports(cluster: Cluster, src: str, dst: str) -> list[PortCheck]:
    """Probe the overlay ports of ``dst`` from ``src``.

    TCP with ``docker exec SRC nc -w 1 DST_IP PORT``; UDP cannot be probed by a connect, so its
    check is that ``dst`` has the socket bound (``docker exec DST netstat -lnu``), and the capture
    shows the traffic itcluster.
    """
    ip = cluster.node(dst).ip
    bound = cluster.exec(dst, ["netstat", "-lnu"]).output
    checks = []
    for port, proto, purpose in OVERLAY_PORTS:
        if proto == "tcp":
            ok = cluster.exec(src, ["nc", "-w", "1", ip, str(port)]).exit_code == 0
            how = _("nc from {node}").format(node=src)
        else:
            ok = f":{port} " in bound
            how = _("socket bound on {node}").format(node=dst)
        checks.append(PortCheck(dst, port, proto, purpose, ok, how))
    return checks


def ipsec_capable(cluster: Cluster, name: str) -> bool:
    """Whether the node's kernel offers AES-GCM for IPsec, which ``--opt encrypted`` uses.

    ``docker exec node1 cat /proc/crypto``: the algorithm appears there once the kernel has it.
    """
    return "gcm(aes)" in cluster.exec(name, ["cat", "/proc/crypto"]).output


def block_vxlan(cluster: Cluster, name: str, blocked: bool = True) -> None:
    """Drop (or stop dropping) incoming VXLAN on a node.

    ``docker exec node3 iptables -I INPUT -p udp --dport 4789 -j DROP`` (``-D`` to undo).
    """
    rule = ["INPUT", "-p", "udp", "--dport", "4789", "-j", "DROP"]
    present = cluster.exec(name, ["iptables", "-C", *rule]).exit_code == 0
    if blocked and not present:
        cluster.exec(name, ["iptables", "-I", *rule])
    elif not blocked and present:
        cluster.exec(name, ["iptables", "-D", *rule])
