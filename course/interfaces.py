"""Network interfaces as a container (or the engine host) sees them, and how each veth finds its peer.

``ip -o link`` prints a veth as ``eth0@ifN``, N being the index of its other end. That holds inside a
container on every engine, but not on the host side from Docker 28 on: the engine now creates the veth
pair inside the container's namespace and moves one end out, so the host end's peer index refers to the
container's namespace (eth0 there is index 2), and ``ip`` prints it as the name of the *host's* index 2
(``vethXXXX@ifb0``). ``/sys/class/net/<if>/iflink`` holds the peer's index on every engine, so that is
what the course reads.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# One constant script, no user input: links, IPv4 addresses, and each interface's index and peer index.
SCRIPT = (
    "ip -o link; echo ---; ip -o -4 addr; echo ---; "
    'for d in /sys/class/net/*; do echo "${d##*/} $(cat $d/ifindex) $(cat $d/iflink)"; done'
)
COMMAND = ["sh", "-c", SCRIPT]


@dataclass(frozen=True)
class Interface:
    """One network interface, from ``ip -o link``, ``ip -o addr`` and ``/sys/class/net``."""

    name: str
    index: int
    peer_index: int | None  # the other end's index (for a veth), from /sys/class/net/NAME/iflink
    mac: str
    addresses: tuple[str, ...]
    master: str | None = None  # the bridge a host-side veth is plugged into


def parse(output: str) -> list[Interface]:
    """Parse the output of ``COMMAND``: links, then addresses, then ``name ifindex iflink`` lines."""
    links, _, rest = output.partition("---")
    addrs, _, sysfs = rest.partition("---")
    return parse_interfaces(links, addrs, sysfs)


def parse_interfaces(links: str, addrs: str, sysfs: str = "") -> list[Interface]:
    """Parse ``ip -o link`` and ``ip -o -4 addr`` output (busybox or iproute2) into Interfaces.

    ``sysfs`` lines (``name ifindex iflink``) give each veth's peer index; without them the ``@ifN``
    of ``ip -o link`` is used, which only a container's own side prints reliably.
    """
    found: dict[str, list[str]] = {}
    for line in addrs.splitlines():
        parts = line.split()
        if len(parts) >= 4 and parts[2] == "inet":
            found.setdefault(parts[1], []).append(parts[3])
    iflink: dict[str, int] = {}
    for line in sysfs.splitlines():
        parts = line.split()
        if len(parts) == 3 and parts[1].isdigit() and parts[2].isdigit() and parts[1] != parts[2]:
            iflink[parts[0]] = int(parts[2])
    result = []
    for line in links.splitlines():
        m = re.match(r"(\d+):\s+([^:@\s]+)(?:@([^:\s]+))?:.*?link/\S+\s+([0-9a-f:]{17})", line)
        if m:
            index, name, at, mac = m.groups()
            peer = iflink.get(name)
            if peer is None and at and re.fullmatch(r"if\d+", at) and not sysfs:
                peer = int(at[2:])
            master = re.search(r"\smaster\s+(\S+)", line)
            result.append(
                Interface(
                    name,
                    int(index),
                    peer,
                    mac,
                    tuple(found.get(name, [])),
                    master.group(1) if master else None,
                )
            )
    return result
