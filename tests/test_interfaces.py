"""Interfaces and veth peers, parsed from what busybox prints on Docker 20.10 and on Docker 28.5."""

from course.interfaces import parse, parse_interfaces

# Recorded in a container on the default bridge of Docker 20.10: eth0 is a high index.
CONTAINER_2010 = """\
1: lo: <LOOPBACK,UP,LOWER_UP> mtu 65536 qdisc noqueue qlen 1000\\    link/loopback 00:00:00:00:00:00 brd 00:00:00:00:00:00
924: eth0@if925: <BROADCAST,MULTICAST,UP,LOWER_UP,M-DOWN> mtu 1500 qdisc noqueue \\    link/ether 02:42:ac:11:00:04 brd ff:ff:ff:ff:ff:ff
---
1: lo    inet 127.0.0.1/8 scope host lo\\       valid_lft forever preferred_lft forever
924: eth0    inet 172.17.0.4/16 brd 172.17.255.255 scope global eth0\\       valid_lft forever preferred_lft forever
---
eth0 924 925
lo 1 1
"""
# Docker 28.5 makes the pair inside the container (eth0 is index 2); on the host, busybox looks the
# peer's index 2 up among the host's own interfaces and prints ifb0. sysfs has the true index.
HOST_285 = """\
1: lo: <LOOPBACK,UP,LOWER_UP> mtu 65536 qdisc noqueue qlen 1000\\    link/loopback 00:00:00:00:00:00 brd 00:00:00:00:00:00
2: ifb0: <BROADCAST,NOARP> mtu 1500 qdisc noop qlen 32\\    link/ether 2e:a0:ce:bb:6f:5d brd ff:ff:ff:ff:ff:ff
5: docker0: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500 qdisc noqueue \\    link/ether 9a:42:42:f5:7a:be brd ff:ff:ff:ff:ff:ff
7: veth1a2b3c4@ifb0: <BROADCAST,MULTICAST,UP,LOWER_UP,M-DOWN> mtu 1500 qdisc noqueue master docker0 \\    link/ether c6:ab:da:34:b7:5a brd ff:ff:ff:ff:ff:ff
---
5: docker0    inet 172.17.0.1/16 brd 172.17.255.255 scope global docker0\\       valid_lft forever preferred_lft forever
---
docker0 5 5
ifb0 2 2
lo 1 1
veth1a2b3c4 7 2
"""


def test_a_container_on_20_10_names_its_peer_by_a_high_index():
    lo, eth0 = parse(CONTAINER_2010)
    assert (eth0.name, eth0.index, eth0.peer_index) == ("eth0", 924, 925)
    assert eth0.addresses == ("172.17.0.4/16",) and eth0.mac == "02:42:ac:11:00:04"
    assert lo.peer_index is None  # not a veth: its iflink is itself


def test_on_28_5_the_host_side_peer_comes_from_sysfs_not_from_the_name_ip_prints():
    by_name = {i.name: i for i in parse(HOST_285)}
    veth = by_name["veth1a2b3c4"]
    assert veth.peer_index == 2  # the container's eth0, not "ifb0"
    assert veth.master == "docker0" and veth.index == 7
    assert by_name["docker0"].addresses == ("172.17.0.1/16",) and by_name["docker0"].peer_index is None


def test_without_sysfs_lines_the_at_if_index_is_used_and_a_name_is_not_taken_for_one():
    links = CONTAINER_2010.split("---")[0]
    (eth0,) = [i for i in parse_interfaces(links, "") if i.name == "eth0"]
    assert eth0.peer_index == 925
    host_links = HOST_285.split("---")[0]
    (veth,) = [i for i in parse_interfaces(host_links, "") if i.name.startswith("veth")]
    assert veth.peer_index is None  # "@ifb0" is a name, not an index


def test_iproute2_output_parses_too():
    links = (
        "2: eth0@if7: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500 qdisc noqueue state UP mode DEFAULT "
        "group default \\    link/ether 5e:2f:11:aa:bb:cc brd ff:ff:ff:ff:ff:ff link-netnsid 0"
    )
    addrs = "2: eth0    inet 10.0.1.4/24 brd 10.0.1.255 scope global eth0\\       valid_lft forever"
    (eth0,) = parse_interfaces(links, addrs, "eth0 2 7\n")
    assert (eth0.index, eth0.peer_index, eth0.addresses) == (2, 7, ("10.0.1.4/24",))
