"""Notebook 06's checks against a bridge built by hand in a real simulated host, wrong answers first.

One 2-node cluster serves the module: node1 gets br0 with red and blue as the notebook builds them
(by ``docker exec``, the way a learner's commands reach it), and each test puts node1 into the state a
wrong answer leaves, then the right one. The checks read node1; nothing here tells them what was typed.
"""

import pytest

from course import exercises, handmade, hostnet
from course.cluster import Cluster

# Notebook 06 runs these checks' right answers on every engine; the wrong ones need one engine only.
pytestmark = [pytest.mark.integration, pytest.mark.one_engine]

BUILD = [
    "ip netns add red",
    "ip netns add blue",
    "ip link add br0 type bridge",
    "ip addr add 10.10.0.1/24 dev br0",
    "ip link set br0 up",
    "ip link add veth-red type veth peer name eth0 netns red",
    "ip link set veth-red master br0 up",
    "ip link add veth-blue type veth peer name eth0 netns blue",
    "ip link set veth-blue master br0 up",
    "ip -n red addr add 10.10.0.2/24 dev eth0",
    "ip -n red link set eth0 up",
    "ip -n blue addr add 10.10.0.3/24 dev eth0",
    "ip -n blue link set eth0 up",
    "ip -n red route add default via 10.10.0.1",
    "ip -n blue route add default via 10.10.0.1",
    "iptables -I FORWARD -i br0 -j ACCEPT",
    "iptables -I FORWARD -o br0 -j ACCEPT",
    "iptables -t nat -A POSTROUTING -s 10.10.0.0/24 ! -o br0 -j MASQUERADE",
]


def on(cluster: Cluster, node: str, *lines: str) -> None:
    for line in lines:
        ran = cluster.exec(node, line.split())
        assert ran.exit_code == 0, (line, ran.output)


@pytest.fixture(scope="module")
def cluster(engine):
    made = Cluster("t-byhand", size=2)
    made.down()
    made.up()
    on(made, "node2", "ip route add blackhole 10.10.0.0/16")
    on(made, "node1", *BUILD)
    yield made
    made.down()


def test_the_host_is_read_from_ip_and_drawn(cluster):
    net = hostnet.read(cluster, "node1")
    assert sorted(net.namespaces()) == ["blue", "red"]
    pairs = sorted((h.name, h.master, space, e.name) for h, space, e in net.pairs())
    assert pairs == [("veth-blue", "br0", "blue", "eth0"), ("veth-red", "br0", "red", "eth0")]
    assert net.spaces["red"].gateway == "10.10.0.1"
    assert net.spaces["red"].link("eth0").addresses == ("10.10.0.2/24",)
    from course.diagram import draw_host

    drawn = draw_host(net, caption="t")
    assert "veth-red \\u21c4 eth0" in drawn.html and "2 veth pairs" in str(drawn)  # JSON-escaped ⇄


def test_06_1_says_what_green_lacks_at_each_step_and_weighs_the_prediction(cluster):
    assert exercises.predict(cluster.lab, "06.1", "maybe").written is False  # unreadable: said at once
    assert exercises.predict(cluster.lab, "06.1", "no").written
    first = handmade.green_reaches(cluster)
    assert not first.answered and "No namespace green" in first.message
    on(cluster, "node1", "ip netns add green")
    assert "no veth pair" in handmade.green_reaches(cluster).message
    assert not exercises.predict(cluster.lab, "06.1", "yes").written  # too late: green exists
    on(cluster, "node1", "ip link add veth-green type veth peer name eth0 netns green")
    assert "not plugged into br0" in handmade.green_reaches(cluster).message
    on(cluster, "node1", "ip link set veth-green master br0 up")
    assert "is down" in handmade.green_reaches(cluster).message
    on(cluster, "node1", "ip -n green link set eth0 up", "ip -n green addr add 10.10.1.4/24 dev eth0")
    assert "no address in 10.10.0.0/24" in handmade.green_reaches(cluster).message
    on(cluster, "node1", "ip -n green addr flush dev eth0", "ip -n green addr add 10.10.0.2/24 dev eth0")
    assert "taken already" in handmade.green_reaches(cluster).message
    on(cluster, "node1", "ip -n green addr flush dev eth0", "ip -n green addr add 10.10.0.4/24 dev eth0")
    no_route = handmade.green_reaches(cluster)
    assert not no_route.ok and "no default route via 10.10.0.1" in no_route.message
    on(cluster, "node1", "ip -n green route add default via 10.10.0.1")
    right = handmade.green_reaches(cluster)
    assert right.ok and "You predicted it would not" in right.message  # the prediction written first


def test_06_2_a_missing_route_is_found_and_a_wrong_gateway_is_named(cluster):
    handmade.break_route(cluster)
    broken = handmade.red_reaches_outside(cluster)
    assert not broken.ok and "Network is unreachable" in broken.message
    on(cluster, "node1", "ip -n red route add default via 10.10.0.3")
    wrong = handmade.red_reaches_outside(cluster)
    assert not wrong.ok and "via 10.10.0.3 (blue)" in wrong.message
    on(cluster, "node1", "ip -n red route replace default via 10.10.0.1")
    assert handmade.red_reaches_outside(cluster).ok


def test_06_3_a_missing_masquerade_is_found_and_half_fixes_are_named(cluster):
    handmade.break_nat(cluster)
    broken = handmade.masquerade_back(cluster)
    assert not broken.ok and "no reply comes back" in broken.message
    wrong_way = "iptables -t nat -A POSTROUTING -s 10.10.0.0/24 -o br0 -j MASQUERADE"
    on(cluster, "node1", wrong_way)
    assert "does not match" in handmade.masquerade_back(cluster).message
    on(cluster, "node1", wrong_way.replace("-A", "-D"))
    only_red = "iptables -t nat -A POSTROUTING -s 10.10.0.2/32 ! -o br0 -j MASQUERADE"
    on(cluster, "node1", only_red)
    half = handmade.masquerade_back(cluster)
    assert not half.ok and "leaves the others out" in half.message
    on(cluster, "node1", only_red.replace("-A", "-D"))
    node1 = cluster.node("node1").ip
    on(cluster, "node2", f"ip route replace 10.10.0.0/24 via {node1}")  # a route back instead of NAT
    routed = handmade.masquerade_back(cluster)
    assert not routed.ok and "no MASQUERADE" in routed.message
    on(cluster, "node2", "ip route del 10.10.0.0/24")
    on(cluster, "node1", "iptables -t nat -A POSTROUTING -s 10.10.0.0/24 ! -o br0 -j MASQUERADE")
    assert handmade.masquerade_back(cluster).ok
