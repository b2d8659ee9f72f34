"""Notebook 06's exercises: Docker's bridge built by hand in simulated host node1, checked on node1.

Every check reads what node1 reports (``ip -j``, ``iptables -S``, a ping from a namespace), never what
the notebook typed. The learner builds ``br0`` (10.10.0.1/24) with namespaces ``red`` (.2) and ``blue``
(.3); node2 is another machine on the same LAN, the "outside". Two exercises start from a fault the
course puts in (``break_route``, ``break_nat``): the learner finds it with ``ip`` and ``iptables`` and
fixes it the same way.
"""

from __future__ import annotations

import ipaddress
import time
from typing import TYPE_CHECKING

from . import hostnet
from .errors import CourseError
from .exercises import Feedback, _unanswered, exercise, predicted

if TYPE_CHECKING:
    from .cluster import Cluster

HOST = "node1"  # where the bridge is built
OUTSIDE = "node2"  # another host on the LAN
BRIDGE, SUBNET, GATEWAY = "br0", ipaddress.ip_network("10.10.0.0/24"), "10.10.0.1"
MASQUERADE = ["-s", str(SUBNET), "!", "-o", BRIDGE, "-j", "MASQUERADE"]


def ping(cluster: Cluster, space: str, address: str, within: float = 3) -> bool:
    """``docker exec byhand-node1 ip netns exec SPACE ping -c 1 -W 1 ADDRESS`` succeeds, once within
    ``within`` seconds: the first packets of a path just put right can be lost (a neighbour still
    resolving, connection tracking still holding an earlier flow), and a check must not call that a
    failure. A check waits longer only where the path looks right on paper."""
    argv = ["ip", "netns", "exec", space, "ping", "-c", "1", "-W", "1", address]
    deadline = time.monotonic() + within
    while True:
        if cluster.exec(HOST, argv).exit_code == 0:
            return True
        if time.monotonic() >= deadline:
            return False


def _yes_no(value: object) -> bool | None:
    said = str(value).strip().strip("'\"").lower()
    return {"yes": True, "no": False, "true": True, "false": False}.get(said)


def unreadable_yes_no(text: str) -> str | None:
    """What is wrong with a yes/no prediction's text (for ``exercises.predict``), or None."""
    return None if _yes_no(text) is not None else f'{text!r}: write "yes" or "no".'


def green_exists(cluster_lab) -> str | None:
    """Why a prediction for 06.1 comes too late (namespace green exists on node1), or None."""
    ran = cluster_lab.exec(f"{cluster_lab.name}-{HOST}", ["ip", "netns", "list"])
    if any(line.split()[:1] == ["green"] for line in ran.output.splitlines()):
        return (
            "green exists already, and a ping from it would answer. Remove it "
            f"(docker exec {cluster_lab.name}-{HOST} ip netns del green)"
        )
    return None


def _on_bridge(net: hostnet.HostNet, space: str) -> tuple[hostnet.Link, hostnet.Link] | str:
    """The veth pair joining ``space`` to br0, or what is missing (a sentence)."""
    pairs = [(host_end, end) for host_end, where, end in net.pairs() if where == space]
    if not pairs:
        return (
            f"{space} has no veth pair to node1's namespace (ip link add ... type veth peer name eth0 "
            f"netns {space})"
        )
    on = [(host_end, end) for host_end, end in pairs if host_end.master == BRIDGE]
    if not on:
        return (
            f"{space}'s veth ({pairs[0][0].name}) is not plugged into {BRIDGE} (ip link set NAME "
            f"master {BRIDGE} up)"
        )
    host_end, end = on[0]
    if not (host_end.up and end.up):
        down = host_end.name if not host_end.up else f"{end.name} in {space}"
        return f"{down} is down (ip link set ... up)"
    return host_end, end


@exercise("06.1")
def green_reaches(cluster: Cluster, prediction: object = None) -> Feedback:
    """Exercise 06.1: a third namespace, green, on br0, that reaches red and node2.

    The prediction (written with ``exercises.predict(cluster.lab, "06.1", ...)``) is whether green
    reaches node2 with no new iptables rule: it does, since step 5's MASQUERADE names the subnet."""
    hint = "The steps you typed for red, with green's own names and 10.10.0.4."
    prediction = predicted(cluster.lab, "06.1") if prediction is None else prediction
    net = hostnet.read(cluster, HOST)
    if "green" not in net.namespaces():
        return _unanswered(
            "No namespace green on node1 yet.",
            f"docker exec {cluster.container_name(HOST)} ip netns add green",
        )
    joined = _on_bridge(net, "green")
    if isinstance(joined, str):
        return Feedback(False, f"{joined[0].upper()}{joined[1:]}. {hint}")
    _, end = joined
    mine = [a for a in end.addresses if ipaddress.ip_interface(a).network == SUBNET]
    if not mine:
        return Feedback(
            False,
            f"green's {end.name} has no address in {SUBNET} ({', '.join(end.addresses) or 'none'}). {hint}",
        )
    taken = {
        a.split("/")[0]
        for s in net.spaces.values()
        if s.name != "green"
        for link in s.links
        for a in link.addresses
    }
    if mine[0].split("/")[0] in taken:
        return Feedback(
            False,
            f"{mine[0]} is taken already on {BRIDGE}: give green an address of its own, like 10.10.0.4/24.",
        )
    if not ping(cluster, "green", "10.10.0.2"):
        return Feedback(False, f"green does not reach red (10.10.0.2) on {BRIDGE}. {hint}")
    outside = cluster.node(OUTSIDE).ip
    if net.spaces["green"].gateway != GATEWAY:
        return Feedback(
            False,
            f"green reaches red, on its own subnet, but has no default route via {GATEWAY}, the bridge's "
            f"address: node2 ({outside}) is on no network green knows (ip -n green route add default via "
            f"{GATEWAY}).",
        )
    if not ping(cluster, "green", outside, within=15):
        return Feedback(
            False,
            f"green has its route, and node2 ({outside}) still does not answer: is step 5's MASQUERADE "
            f"rule still there (iptables -t nat -S POSTROUTING)?",
        )
    said = _yes_no(prediction) if prediction is not None else None
    verdict = (
        " You wrote no prediction down first."
        if said is None
        else " You predicted that: right."
        if said
        else " You predicted it would not: the rule names no namespace, only the source range."
    )
    return Feedback(
        True,
        f"green reaches red and node2. No new rule was needed: step 5's MASQUERADE matches every packet "
        f"from {SUBNET} that leaves by another interface than {BRIDGE}, and green's address is in that "
        f"range; "
        f"Docker's rule for docker0 works the same way for every container on it.{verdict}",
    )


def break_route(cluster: Cluster) -> str:
    """Exercise 06.2's fault: red loses its default route (``ip -n red route del default``)."""
    cluster.exec(HOST, ["ip", "-n", "red", "route", "del", "default"])
    return "Something changed on node1: red no longer reaches node2. Find what, and put it right."


@exercise("06.2")
def red_reaches_outside(cluster: Cluster) -> Feedback:
    """Exercise 06.2: red reaches node2 again, through a default route via the bridge's address."""
    net = hostnet.read(cluster, HOST)
    if "red" not in net.spaces:
        return _unanswered("There is no namespace red on node1.", "Run the steps above first, in order.")
    outside = cluster.node(OUTSIDE).ip
    gateway = net.spaces["red"].gateway
    if gateway is None:  # as the fault left it: say where to look, not what is missing
        return Feedback(
            False,
            f'red still does not reach node2 ({outside}): its ping says "Network is unreachable", so the '
            "packet never leaves red. What does red know of the way out, and what does blue know?",
        )
    if gateway != GATEWAY:
        who = {"10.10.0.3": "blue", "10.10.0.4": "green"}.get(gateway, "no router")
        return Feedback(
            False,
            f"red's default route goes via {gateway} ({who}), not via {GATEWAY}: only the bridge's address "
            "is node1 itself, which routes and masquerades; a namespace does not forward for others.",
        )
    if not ping(cluster, "red", outside, within=15):  # the route is right: a lost first reply is waited out
        return Feedback(
            False,
            f"red's route is right, and node2 ({outside}) still does not answer: look at the MASQUERADE "
            f"rule and FORWARD.",
        )
    return Feedback(
        True,
        f"red reaches node2 again: `default via {GATEWAY}` sends what is not on {SUBNET} to node1, which "
        f"routes it out of eth0.",
    )


def break_nat(cluster: Cluster) -> str:
    """Exercise 06.3's fault: the MASQUERADE rule of step 5 is deleted (``iptables -t nat -D ...``)."""
    deleted = 0  # every copy: a cell run twice appends the rule twice
    while cluster.exec(HOST, ["iptables", "-t", "nat", "-D", "POSTROUTING", *MASQUERADE]).exit_code == 0:
        deleted += 1
    if not deleted:
        raise CourseError(
            "node1 has no MASQUERADE rule for 10.10.0.0/24 to take away.", "Run steps 1 to 5 first."
        )
    return "Something changed on node1: no namespace reaches node2 now. Find what, and put it right."


def _spaces_with_route(net: hostnet.HostNet) -> list[str]:
    return [name for name in net.namespaces() if net.spaces[name].gateway == GATEWAY]


@exercise("06.3")
def masquerade_back(cluster: Cluster) -> Feedback:
    """Exercise 06.3: every namespace on br0 with a default route reaches node2 again (node2 has no route
    back to 10.10.0.0/24, so only a source NAT on node1 lets the replies come home)."""
    net = hostnet.read(cluster, HOST)
    spaces = _spaces_with_route(net)
    if not spaces:
        return _unanswered(
            "No namespace on node1 has a default route via 10.10.0.1.", "Run the steps above first, in order."
        )
    outside = cluster.node(OUTSIDE).ip
    rules = cluster.exec(HOST, ["iptables", "-t", "nat", "-S", "POSTROUTING"]).output
    nat = [line for line in rules.splitlines() if "MASQUERADE" in line or "SNAT" in line]
    looks_right = f"-A POSTROUTING {' '.join(MASQUERADE)}" in rules.splitlines()  # then wait a loss out
    lost = [name for name in spaces if not ping(cluster, name, outside, within=15 if looks_right else 0)]
    own = [line for line in nat if "10.10.0." in line]
    if lost and len(lost) == len(spaces):
        if own:
            return Feedback(
                False,
                f"No namespace reaches node2 ({outside}), and your rule ({own[0]}) does not match their "
                "packets: they come from 10.10.0.0/24 and leave by eth0, not by br0.",
            )
        return Feedback(  # as the fault left it: say where to look, not what is missing
            False,
            f'No namespace reaches node2 ({outside}): their pings leave (no "unreachable"), and no reply '
            "comes back. What let the replies come home in step 5?",
        )
    if lost:
        return Feedback(
            False,
            f"{', '.join(spaces)} should all reach node2; {', '.join(lost)} still do not. A rule for one "
            f"address (-s 10.10.0.2) leaves the others out: name the whole range, -s {SUBNET}.",
        )
    if not own:
        return Feedback(
            False,
            "They reach node2, yet no MASQUERADE (or SNAT) rule names 10.10.0.0/24: node2 must have been "
            "given a route back to that range. That works on a LAN whose routers you run; Docker's way, "
            "and this exercise's, is a source NAT on node1. Take the route away again (docker exec "
            f"{cluster.container_name(OUTSIDE)} ip route replace blackhole 10.10.0.0/16) and put the rule "
            "back.",
        )
    return Feedback(
        True,
        f"Every namespace on {BRIDGE} reaches node2 again: node1 rewrites their source to its own address, "
        "node2 answers node1, and node1 rewrites the reply back (conntrack remembers each flow).",
    )
