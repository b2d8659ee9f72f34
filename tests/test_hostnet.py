"""A simulated host read from ``ip -j`` (canned here, as iproute2 6.1 prints it), paired and drawn."""

import json

from course.diagram import draw_host
from course.hostnet import HOST, HostNet, Space, _gateway, _links

ROOT = [
    {"ifindex": 1, "ifname": "lo", "flags": ["LOOPBACK", "UP"], "link_type": "loopback", "addr_info": []},
    {"ifindex": 2, "ifname": "eth0", "flags": ["UP"], "link_index": 9, "linkinfo": {"info_kind": "veth"},
     "addr_info": [{"family": "inet", "local": "10.99.0.2", "prefixlen": 24}]},
    {"ifindex": 3, "ifname": "docker0", "flags": ["UP"], "linkinfo": {"info_kind": "bridge"},
     "addr_info": [{"family": "inet", "local": "172.17.0.1", "prefixlen": 16}]},
    {"ifindex": 4, "ifname": "br0", "flags": ["UP"], "linkinfo": {"info_kind": "bridge"},
     "addr_info": [{"family": "inet", "local": "10.10.0.1", "prefixlen": 24}]},
    {"ifindex": 5, "ifname": "veth-red", "flags": ["UP"], "master": "br0", "link_index": 2,
     "link_netnsid": 1, "linkinfo": {"info_kind": "veth"}, "addr_info": []},
]  # fmt: skip
RED = [
    {"ifindex": 1, "ifname": "lo", "flags": ["LOOPBACK"], "link_type": "loopback", "addr_info": []},
    {"ifindex": 2, "ifname": "eth0", "flags": ["UP"], "link_index": 5, "link_netnsid": 0,
     "linkinfo": {"info_kind": "veth"},
     "addr_info": [{"family": "inet", "local": "10.10.0.2", "prefixlen": 24}]},
]  # fmt: skip
# blue's eth0 claims br0's index as its peer: no veth pair joins them, and none must be drawn
BLUE = [
    {"ifindex": 2, "ifname": "eth0", "flags": ["UP"], "link_index": 4, "link_netnsid": 0,
     "linkinfo": {"info_kind": "veth"}, "addr_info": []},
]  # fmt: skip


def default(gateway: str) -> str:
    return json.dumps([{"dst": "default", "gateway": gateway, "dev": "eth0"}])


def host() -> HostNet:
    spaces = [
        Space(HOST, _links(json.dumps(ROOT)), _gateway(default("10.99.0.1"))),
        Space("red", _links(json.dumps(RED)), _gateway(default("10.10.0.1")), netnsid=1),
        Space("blue", _links(json.dumps(BLUE)), _gateway("[]"), netnsid=2),
    ]
    return HostNet("node1", {space.name: space for space in spaces})


def test_a_veth_pair_is_matched_both_ways_and_in_its_own_namespace():
    net = host()
    assert [(h.name, space, e.name) for h, space, e in net.pairs()] == [("veth-red", "red", "eth0")]
    assert [b.name for b in net.bridges()] == ["docker0", "br0"]
    assert sorted(net.namespaces()) == ["blue", "red"]
    assert net.spaces["red"].gateway == "10.10.0.1" and net.spaces["blue"].gateway is None


def test_the_summary_says_what_each_namespace_has():
    lines = host().summary().splitlines()
    assert "bridge br0 10.10.0.1/24: 1 port" in lines
    assert "namespace red: eth0 10.10.0.2/24; default via 10.10.0.1" in lines
    assert "namespace blue: eth0 (no address); no default route" in lines


def test_the_drawing_has_one_box_per_namespace_and_a_line_per_pair():
    drawn = draw_host(host(), caption="t")
    data = json.loads(drawn.html.split("var d=")[1].split(",o=")[0])
    ids = [n["id"] for n in data["nodes"]]
    assert sorted(ids) == ["br:br0", "br:docker0", "host", "ns:blue", "ns:red"]
    assert [(e["from"], e["to"]) for e in data["edges"]] == [("br:br0", "ns:red")]  # blue is not joined
    assert str(drawn).startswith("t\nhost diagram: 2 bridges, 1 veth pair\n")
