"""Parsing tcpdump output, on lines recorded from a real cross-node ping and swarm gossip."""

from course.capture import Packet, parse, table

VXLAN = """\
tcpdump: verbose output suppressed, use -v[v]... for full protocol decode
listening on eth0, link-type EN10MB (Ethernet), snapshot length 262144 bytes
11:42:31.453914 IP 172.29.0.3.47518 > 172.29.0.4.4789: VXLAN, flags [I] (0x08), vni 4097
IP 10.0.1.2 > 10.0.1.4: ICMP echo request, id 26, seq 0, length 64
11:42:31.453996 IP 172.29.0.4.47518 > 172.29.0.3.4789: VXLAN, flags [I] (0x08), vni 4097
IP 10.0.1.4 > 10.0.1.2: ICMP echo reply, id 26, seq 0, length 64
2 packets captured
"""
GOSSIP = """\
11:42:32.662871 IP 172.29.0.4.7946 > 172.29.0.3.7946: UDP, length 110
11:42:33.001122 IP 172.29.0.3.41234 > 172.29.0.4.7946: Flags [S], seq 1, win 64240, length 0
"""
ESP = "11:50:01.000001 IP 172.29.0.3 > 172.29.0.4: ESP(spi=0x0a1b2c3d,seq=0x1), length 140\n"


def test_vxlan_outer_and_inner_headers():
    first, second = parse(VXLAN)
    assert first == Packet(
        "172.29.0.3",
        "172.29.0.4",
        "VXLAN",
        4789,
        4097,
        "10.0.1.2",
        "10.0.1.4",
        "ICMP echo request, id 26, seq 0",
    )
    assert (second.inner_src, second.inner_dst, second.inner) == (
        "10.0.1.4",
        "10.0.1.2",
        "ICMP echo reply, id 26, seq 0",
    )


def test_gossip_is_udp_and_tcp_on_7946():
    udp, tcp = parse(GOSSIP)
    assert (udp.protocol, udp.dport, udp.vni, udp.inner) == ("UDP", 7946, None, None)
    assert (tcp.protocol, tcp.dport) == ("TCP", 7946)


def test_encrypted_overlay_shows_esp_without_ports_or_inner_packet():
    (packet,) = parse(ESP)
    assert (packet.protocol, packet.dport, packet.inner) == ("ESP", None, None)


def test_table_lines_up_outer_and_inner():
    lines = table(parse(VXLAN)).splitlines()
    assert lines[0].split() == [
        "OUTER",
        "SRC",
        "OUTER",
        "DST",
        "PROTO",
        "VNI",
        "INNER",
        "SRC",
        "INNER",
        "DST",
        "INNER",
    ]
    assert "172.29.0.4:4789  VXLAN  4097  10.0.1.2" in lines[1]


def test_noise_and_partial_lines_are_ignored():
    assert parse("listening on eth0\nIP 10.0.0.1 > 10.0.0.2: ICMP echo request\n") == []
