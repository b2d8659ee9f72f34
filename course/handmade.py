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
from .i18n import _

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
    return None if _yes_no(text) is not None else _('{text}: write "yes" or "no".').format(text=repr(text))


def green_exists(cluster_lab) -> str | None:
    """Why a prediction for 06.1 comes too late (namespace green exists on node1), or None."""
    ran = cluster_lab.exec(f"{cluster_lab.name}-{HOST}", ["ip", "netns", "list"])
    if any(line.split()[:1] == ["green"] for line in ran.output.splitlines()):
        return _(
            "green exists already, and a ping from it would answer. Remove it "
            "(docker exec {container} ip netns del green)"
        ).format(container=f"{cluster_lab.name}-{HOST}")
    return None


def _on_bridge(net: hostnet.HostNet, space: str) -> tuple[hostnet.Link, hostnet.Link] | str:
    """The veth pair joining ``space`` to br0, or what is missing (a sentence)."""
    pairs = [(host_end, end) for host_end, where, end in net.pairs() if where == space]
    if not pairs:
        return _(
            "{space} has no veth pair to node1's namespace (ip link add ... type veth peer name eth0 "
            "netns {space})"
        ).format(space=space)
    on = [(host_end, end) for host_end, end in pairs if host_end.master == BRIDGE]
    if not on:
        return _(
            "{space}'s veth ({veth}) is not plugged into {bridge} (ip link set NAME master {bridge} up)"
        ).format(space=space, veth=pairs[0][0].name, bridge=BRIDGE)
    host_end, end = on[0]
    if not (host_end.up and end.up):
        if not host_end.up:
            return _("{interface} is down (ip link set ... up)").format(interface=host_end.name)
        return _("{interface} in {space} is down (ip link set ... up)").format(
            interface=end.name, space=space
        )
    return host_end, end


@exercise("06.1")
def green_reaches(cluster: Cluster, prediction: object = None) -> Feedback:
    """Exercise 06.1: a third namespace, green, on br0, that reaches red and node2.

    The prediction (written with ``exercises.predict(cluster.lab, "06.1", ...)``) is whether green
    reaches node2 with no new iptables rule: it does, since step 5's MASQUERADE names the subnet."""
    hint = _("The steps you typed for red, with green's own names and 10.10.0.4.")
    prediction = predicted(cluster.lab, "06.1") if prediction is None else prediction
    net = hostnet.read(cluster, HOST)
    if "green" not in net.namespaces():
        return _unanswered(
            _("No namespace green on node1 yet."),
            f"docker exec {cluster.container_name(HOST)} ip netns add green",
        )
    joined = _on_bridge(net, "green")
    if isinstance(joined, str):
        # capitalised for English; each Korean sentence of _on_bridge starts in Hangul, which has no case
        return Feedback(False, f"{joined[0].upper()}{joined[1:]}. {hint}")
    end = joined[1]
    mine = [a for a in end.addresses if ipaddress.ip_interface(a).network == SUBNET]
    if not mine:
        return Feedback(
            False,
            _("green's {interface} has no address in {subnet} ({addresses}). {hint}").format(
                interface=end.name, subnet=SUBNET, addresses=", ".join(end.addresses) or _("none"), hint=hint
            ),
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
            _(
                "{address} is taken already on {bridge}: give green an address of its own, like 10.10.0.4/24."
            ).format(address=mine[0], bridge=BRIDGE),
        )
    if not ping(cluster, "green", "10.10.0.2"):
        return Feedback(
            False,
            _("green does not reach red (10.10.0.2) on {bridge}. {hint}").format(bridge=BRIDGE, hint=hint),
        )
    outside = cluster.node(OUTSIDE).ip
    if net.spaces["green"].gateway != GATEWAY:
        return Feedback(
            False,
            _(
                "green reaches red, on its own subnet, but has no default route via {gateway}, the bridge's "
                "address: node2 ({outside}) is on no network green knows (ip -n green route add default via "
                "{gateway})."
            ).format(gateway=GATEWAY, outside=outside),
        )
    if not ping(cluster, "green", outside, within=15):
        return Feedback(
            False,
            _(
                "green has its route, and node2 ({outside}) still does not answer: is step 5's MASQUERADE "
                "rule still there (iptables -t nat -S POSTROUTING)?"
            ).format(outside=outside),
        )
    said = _yes_no(prediction) if prediction is not None else None
    verdict = (
        _("You wrote no prediction down first.")
        if said is None
        else _("You predicted that: right.")
        if said
        else _("You predicted it would not: the rule names no namespace, only the source range.")
    )
    reached = _(
        "green reaches red and node2. No new rule was needed: step 5's MASQUERADE matches every packet "
        "from {subnet} that leaves by another interface than {bridge}, and green's address is in that "
        "range; Docker's rule for docker0 works the same way for every container on it."
    ).format(subnet=SUBNET, bridge=BRIDGE)
    return Feedback(True, f"{reached} {verdict}")


def break_route(cluster: Cluster) -> str:
    """Exercise 06.2's fault: red loses its default route (``ip -n red route del default``)."""
    cluster.exec(HOST, ["ip", "-n", "red", "route", "del", "default"])
    return _("Something changed on node1: red no longer reaches node2. Find what, and put it right.")


@exercise("06.2")
def red_reaches_outside(cluster: Cluster) -> Feedback:
    """Exercise 06.2: red reaches node2 again, through a default route via the bridge's address."""
    net = hostnet.read(cluster, HOST)
    if "red" not in net.spaces:
        return _unanswered(
            _("There is no namespace red on node1."), _("Run the steps above first, in order.")
        )
    outside = cluster.node(OUTSIDE).ip
    gateway = net.spaces["red"].gateway
    if gateway is None:  # as the fault left it: say where to look, not what is missing
        return Feedback(
            False,
            _(
                'red still does not reach node2 ({outside}): its ping says "Network is unreachable", so the '
                "packet never leaves red. What does red know of the way out, and what does blue know?"
            ).format(outside=outside),
        )
    if gateway != GATEWAY:
        who = {"10.10.0.3": "blue", "10.10.0.4": "green"}.get(gateway) or _("no router")
        return Feedback(
            False,
            _(
                "red's default route goes via {gateway} ({who}), not via {bridge_address}: only the bridge's "
                "address is node1 itself, which routes and masquerades; a namespace does not forward for "
                "others."
            ).format(gateway=gateway, who=who, bridge_address=GATEWAY),
        )
    if not ping(cluster, "red", outside, within=15):  # the route is right: a lost first reply is waited out
        return Feedback(
            False,
            _(
                "red's route is right, and node2 ({outside}) still does not answer: look at the MASQUERADE "
                "rule and FORWARD."
            ).format(outside=outside),
        )
    return Feedback(
        True,
        _(
            "red reaches node2 again: `default via {gateway}` sends what is not on {subnet} to node1, which "
            "routes it out of eth0."
        ).format(gateway=GATEWAY, subnet=SUBNET),
    )


def break_nat(cluster: Cluster) -> str:
    """Exercise 06.3's fault: the MASQUERADE rule of step 5 is deleted (``iptables -t nat -D ...``)."""
    deleted = 0  # every copy: a cell run twice appends the rule twice
    while cluster.exec(HOST, ["iptables", "-t", "nat", "-D", "POSTROUTING", *MASQUERADE]).exit_code == 0:
        deleted += 1
    if not deleted:
        raise CourseError(
            _("node1 has no MASQUERADE rule for 10.10.0.0/24 to take away."), _("Run steps 1 to 5 first.")
        )
    return _("Something changed on node1: no namespace reaches node2 now. Find what, and put it right.")


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
            _("No namespace on node1 has a default route via 10.10.0.1."),
            _("Run the steps above first, in order."),
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
                _(
                    "No namespace reaches node2 ({outside}), and your rule ({rule}) does not match their "
                    "packets: they come from 10.10.0.0/24 and leave by eth0, not by br0."
                ).format(outside=outside, rule=own[0]),
            )
        return Feedback(  # as the fault left it: say where to look, not what is missing
            False,
            _(
                'No namespace reaches node2 ({outside}): their pings leave (no "unreachable"), and no reply '
                "comes back. What let the replies come home in step 5?"
            ).format(outside=outside),
        )
    if lost:
        return Feedback(
            False,
            _(
                "{spaces} should all reach node2; {lost} still do not. A rule for one "
                "address (-s 10.10.0.2) leaves the others out: name the whole range, -s {subnet}."
            ).format(spaces=", ".join(spaces), lost=", ".join(lost), subnet=SUBNET),
        )
    if not own:
        return Feedback(
            False,
            _(
                "They reach node2, yet no MASQUERADE (or SNAT) rule names 10.10.0.0/24: node2 must have been "
                "given a route back to that range. That works on a LAN whose routers you run; Docker's way, "
                "and this exercise's, is a source NAT on node1. Take the route away again (docker exec "
                "{node2} ip route replace blackhole 10.10.0.0/16) and put the rule back."
            ).format(node2=cluster.container_name(OUTSIDE)),
        )
    return Feedback(
        True,
        _(
            "Every namespace on {bridge} reaches node2 again: node1 rewrites their source to its own "
            "address, node2 answers node1, and node1 rewrites the reply back (conntrack remembers each flow)."
        ).format(bridge=BRIDGE),
    )
