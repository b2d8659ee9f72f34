"""The engine host's side of the network: its interfaces, veth peers, and iptables rules.

Interfaces are read through a short-lived helper container on the host network
(``docker run --rm --net=host course/lab ip -o link``), so this works where the engine
runs inside a VM (Docker Desktop) too. The iptables rules need the engine's own machine.
"""

from __future__ import annotations

import platform
import shutil
import subprocess

from .engine import DEFAULT_HOST, address, client
from .errors import CourseError
from .images import require_lab_image
from .lab import Interface, parse_interfaces
from .names import LABEL

# One constant script, no user input: both listings in one helper run.
_LIST = "ip -o link; echo ---; ip -o -4 addr"


def host_interfaces(host: str | None = None) -> list[Interface]:
    """The engine host's interfaces: ``docker run --rm --net=host course/lab ip -o link``."""
    out = client(host).containers.run(
        require_lab_image(),
        ["sh", "-c", _LIST],
        network_mode="host",
        remove=True,
        labels={LABEL: "host-helper"},
    )
    links, _, addrs = out.decode().partition("---")
    return parse_interfaces(links, addrs)


def veth_peer(container: Interface, host: list[Interface]) -> Interface:
    """The host-side veth whose index is the container interface's ``@ifN``."""
    for iface in host:
        if iface.index == container.peer_index:
            return iface
    raise CourseError(
        f"No host interface has index {container.peer_index}.",
        "Is the container on a bridge network of this engine? Host and none networks have no veth.",
    )


def engine_is_local() -> bool:
    """True when the engine runs on this very machine (so its iptables are ours to read)."""
    return platform.system() == "Linux" and address() == DEFAULT_HOST and shutil.which("iptables") is not None


def iptables(table: str, chain: str) -> list[str]:
    """The rules of one chain: ``iptables -t TABLE -S CHAIN`` on the engine host (read only)."""
    if table not in {"filter", "nat"} or not chain.replace("-", "").replace("_", "").isalnum():
        raise CourseError(
            f"Unexpected table/chain {table}/{chain}.", "Use e.g. iptables('nat', 'POSTROUTING')."
        )
    if not engine_is_local():
        raise CourseError(
            "The engine runs elsewhere (a VM or a remote host): its iptables rules are not on this machine.",
            "Read them there, e.g. in a --net=host --cap-add NET_ADMIN container that has iptables.",
        )
    done = subprocess.run(["iptables", "-t", table, "-S", chain], capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise CourseError(f"iptables could not list {table}/{chain}: {done.stderr.strip()}", "Run as root.")
    return done.stdout.splitlines()
