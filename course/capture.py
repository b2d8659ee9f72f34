"""Packets on the underlay: tcpdump on a node's eth0, parsed into records for a table.

Similar to ``docker exec node1 tcpdump -ni eth0 udp port 4789``. The outer packet goes between node
IPs on UDP 4789 with a VXLAN network identifier (VNI); the inner one is the container's own packet.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import TYPE_CHECKING

from .engines import streams
from .engines.node_image import node_image_source
from .errors import CourseError
from .table import align

if TYPE_CHECKING:
    from .cluster import Cluster

# The capture filters the course uses; nothing else reaches tcpdump's command line.
FILTERS = {
    "vxlan": ["udp", "port", "4789"],
    "gossip": ["port", "7946"],
    "esp": ["esp"],
}
_OUTER = re.compile(
    r"^(?P<time>\d\d:\d\d:\d\d\.\d+) IP "
    r"(?P<src>\d+\.\d+\.\d+\.\d+)(?:\.(?P<sport>\d+))? > (?P<dst>\d+\.\d+\.\d+\.\d+)(?:\.(?P<dport>\d+))?: "
    r"(?P<rest>.*)$"
)
_INNER = re.compile(r"^IP (?P<src>[\d.]+) > (?P<dst>[\d.]+): (?P<what>[^,]+(?:, id \d+, seq \d+)?)")


@dataclass(frozen=True)
class Packet:
    """One captured packet: the outer (underlay) header, and the inner one for VXLAN."""

    src: str
    dst: str
    protocol: str  # VXLAN, UDP, TCP, ESP
    dport: int | None = None
    vni: int | None = None
    inner_src: str | None = None
    inner_dst: str | None = None
    inner: str | None = None  # e.g. "ICMP echo request, id 26, seq 0"


def parse(text: str) -> list[Packet]:
    """Parse ``tcpdump -n -l`` output (one or two lines per packet) into Packets."""
    packets: list[Packet] = []
    for line in text.splitlines():
        outer = _OUTER.match(line)
        if outer:
            rest = outer["rest"]
            vni = re.search(r"VXLAN.*vni (\d+)", rest)
            if vni:
                protocol = "VXLAN"
            elif rest.startswith("ESP"):
                protocol = "ESP"
            elif rest.startswith("UDP"):
                protocol = "UDP"
            else:
                protocol = "TCP"
            packets.append(
                Packet(
                    outer["src"],
                    outer["dst"],
                    protocol,
                    int(outer["dport"]) if outer["dport"] else None,
                    int(vni.group(1)) if vni else None,
                )
            )
            continue
        inner = _INNER.match(line)
        if inner and packets and packets[-1].protocol == "VXLAN" and packets[-1].inner is None:
            last = packets[-1]
            packets[-1] = Packet(
                last.src,
                last.dst,
                last.protocol,
                last.dport,
                last.vni,
                inner["src"],
                inner["dst"],
                inner["what"],
            )
    return packets


def table(packets: list[Packet]) -> str:
    """Outer and inner headers side by side, one packet per line."""
    rows = [("OUTER SRC", "OUTER DST", "PROTO", "VNI", "INNER SRC", "INNER DST", "INNER")]
    rows += [
        (
            p.src,
            f"{p.dst}:{p.dport}" if p.dport else p.dst,
            p.protocol,
            str(p.vni or "-"),
            p.inner_src or "-",
            p.inner_dst or "-",
            p.inner or "-",
        )
        for p in packets
    ]
    return "\n".join(align(rows))


def capture(
    cluster: Cluster,
    node: str,
    what: str,
    during: Callable[[], object] | None = None,
    count: int = 4,
    seconds: int = 20,
) -> list[Packet]:
    """Capture ``count`` packets of ``what`` (vxlan, gossip, esp) on ``node``'s underlay interface.

    ``during`` runs (e.g. a ping) once tcpdump reports that it is listening, so no packet of it is
    missed. Stops after ``count`` packets or ``seconds``, whichever comes first: the window is wide,
    since ``during`` itself may take seconds to start on a loaded machine or an engine elsewhere, and
    it costs nothing when the packets come.
    """
    if what not in FILTERS:
        raise CourseError(f"Unknown capture {what!r}.", f"Use one of: {', '.join(FILTERS)}.")
    argv = ["timeout", str(seconds), "tcpdump", "-Z", "root", "-n", "-l", "-i", "eth0", "-c", str(count)]
    box = cluster.container(node)
    api = cluster.lab.engine.api
    run = api.exec_create(box.id, [*argv, *FILTERS[what]], stdout=True, stderr=True)["Id"]
    out = bytearray()
    said = ""
    with ThreadPoolExecutor(max_workers=1) as pool:
        acting = None
        # docker exec node1 tcpdump ...: read as it runs, and act once tcpdump says it is listening
        for stream, data in streams.frames(api, run):
            if stream == streams.STDOUT:
                out.extend(data)
                continue
            said += data.decode(errors="replace")
            if acting is None and during is not None and "listening on" in said:
                acting = pool.submit(during)
        if "tcpdump" in said and ("not found" in said or "No such file" in said):
            raise CourseError(
                f"{node} has no tcpdump: its node image came from {node_image_source(cluster.lab.host)}.",
                "Official docker:<version>-dind images have no tcpdump. Make the node image where the engine "
                "runs, as root (course images export course-images.tar), and bring it here with course "
                "images import course-images.tar.",
            )
        if during is not None and acting is None:
            raise CourseError(
                f"tcpdump on {node} never started listening.", f"It said: {said.strip() or 'nothing'}"
            )
        if acting is not None:
            acting.result()  # re-raises what went wrong in ``during``
    return parse(out.decode(errors="replace"))
