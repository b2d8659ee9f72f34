"""The engine host's side of the network: its interfaces, veth peers, and iptables rules.

Everything here is read through the engine, with short-lived helper containers, so it works wherever
the engine runs: on this machine, inside Docker Desktop's VM, or in a container reached by ``DOCKER_HOST``.

- Interfaces: ``docker run --rm --net=host course/lab ip -o link`` (the helper shares the host's stack).
- iptables: the engine host's own ``iptables`` binary, run read-only through ``chroot`` in a helper on the
  host's network (``--cap-add NET_ADMIN -v /:/host:ro``), so its rules are listed with the same iptables
  (nft or legacy) that the engine itself uses. A tmpfs over ``/host/run`` gives iptables its lock file
  and also hides the engine's socket from the helper.
- nftables (Docker 29's ``--firewall-backend=nftables``): the engine host's own ``nft``, the same way.
"""

from __future__ import annotations

import docker

from . import firewall
from .engines.client import client
from .engines.images import require_lab_image
from .errors import CourseError
from .i18n import _
from .interfaces import COMMAND, Interface, parse
from .names import LABEL

_SBIN_PATH = "/usr/sbin:/usr/bin:/sbin:/bin"
_TABLES = ("filter", "nat")


def host_interfaces(host: str | None = None) -> list[Interface]:
    """The engine host's interfaces: ``docker run --rm --net=host course/lab ip -o link``."""
    out = client(host).containers.run(
        require_lab_image(host),
        COMMAND,
        network_mode="host",
        remove=True,
        labels={LABEL: "host-helper"},
    )
    return parse(out.decode())


def host_netns(host: str | None = None) -> str:
    """The engine host's network namespace (an inode number, different on every machine).

    Similar to ``docker run --rm --net=host course/lab readlink /proc/self/ns/net``.
    """
    out = client(host).containers.run(
        require_lab_image(host),
        ["readlink", "/proc/self/ns/net"],
        network_mode="host",
        remove=True,
        labels={LABEL: "host-helper"},
    )
    return out.decode().strip()


def fetch(port: int, path: str = "/", host: str | None = None) -> str:
    """GET a page from the engine host's loopback, where ``-p 127.0.0.1:...`` publishes a port.

    Similar to ``docker run --rm --net=host course/lab wget -qO- http://127.0.0.1:PORT/PATH``; it tries
    for up to 5 s, since a server that was just started needs a moment to listen.
    """
    if not isinstance(port, int) or not 0 < port < 65536 or not path.startswith("/") or " " in path:
        raise CourseError(
            _("Cannot fetch port {port}, path {path}.").format(port=repr(port), path=repr(path)),
            _("Use e.g. hostview.fetch(8080)."),
        )
    url = f"http://127.0.0.1:{port}{path}"
    # The URL is passed as $0, never spliced into the script.
    retry = 'for i in $(seq 50); do wget -qO- "$0" && exit 0; sleep 0.1; done; exit 1'
    try:
        out = client(host).containers.run(
            require_lab_image(host),
            ["sh", "-c", retry, url],
            network_mode="host",
            remove=True,
            labels={LABEL: "host-helper"},
        )
    except docker.errors.ContainerError as exc:
        raise CourseError(
            _("Nothing answered at {url} on the engine host within 5 s.").format(url=url),
            _("Is the container running, and its port published (lab.port(...))?"),
        ) from exc
    return out.decode()


def processes(host: str | None = None) -> list[str]:
    """The command lines of the engine host's processes (e.g. ``docker-proxy``), read only.

    Similar to ``docker run --rm --pid=host course/lab ps -o args``.
    """
    out = client(host).containers.run(
        require_lab_image(host),
        ["ps", "-o", "args"],
        pid_mode="host",
        remove=True,
        labels={LABEL: "host-helper"},
    )
    return out.decode(errors="replace").splitlines()[1:]


def same_stack(inside: set[str], on_host: set[str]) -> bool:
    """Whether two readings of interface names show the host's own stack (docker0 among them), the same
    but for the veths and bridges other labs (another notebook, running beside) made or removed between."""
    return "docker0" in inside and all(n.startswith(("veth", "br-")) for n in inside ^ on_host)


def veth_peer(container: Interface, on_host: list[Interface]) -> Interface:
    """The host-side veth whose index is the container interface's peer index (``@ifN``)."""
    for iface in on_host:
        if iface.index == container.peer_index:
            return iface
    raise CourseError(
        _("No host interface has index {index}.").format(index=container.peer_index),
        _("Is the container on a bridge network of this engine? Host and none networks have no veth."),
    )


def iptables(table: str, chain: str | None = None, host: str | None = None) -> list[str]:
    """The rules of one chain (or a whole table) on the engine host, read only.

    Similar to ``docker run --rm --net=host --cap-add NET_ADMIN -v /:/host:ro course/lab``
    ``chroot /host iptables -t TABLE -S CHAIN``.
    """
    if table not in _TABLES or (chain is not None and not chain.replace("-", "").replace("_", "").isalnum()):
        raise CourseError(
            _("Unexpected table/chain {table}/{chain}.").format(table=table, chain=chain),
            _("Use e.g. iptables('nat', 'POSTROUTING')."),
        )
    argv = ["iptables", "-t", table, "-S", *([chain] if chain else [])]
    what = _("list iptables {table}/{chain}").format(table=table, chain=chain or "*")
    return _on_host(argv, what, "iptables (apt-get install iptables)", host)


def nft(table: str = "ip docker-bridges", host: str | None = None) -> str:
    """One nftables table on the engine host, read only: ``nft list table ip docker-bridges``.

    Similar to ``docker run --rm --net=host --cap-add NET_ADMIN -v /:/host:ro course/lab``
    ``chroot /host nft list table ip docker-bridges``.
    """
    if table not in ("ip docker-bridges", "ip6 docker-bridges"):
        raise CourseError(
            _("Unexpected nftables table {table}.").format(table=repr(table)),
            _("Use e.g. nft('ip docker-bridges')."),
        )
    what = _("list nftables {table}").format(table=table)
    return "\n".join(_on_host(["nft", "list", "table", *table.split()], what, "nft", host))


def backend(host: str | None = None) -> str:
    """The engine's firewall backend, as ``docker info`` reports it: ``iptables`` or ``nftables``.

    Engines before 28.2 do not report one: they have iptables only.
    """
    return backend_of(client(host).info())


def backend_of(info: dict) -> str:
    """The firewall backend in ``docker info``'s answer: ``iptables`` where none is reported."""
    return ((info.get("FirewallBackend") or {}).get("Driver") or "iptables").split("+")[0]


def nat_rules(host: str | None = None) -> list[str]:
    """The engine host's NAT rules, from its engine's own backend, read only.

    ``iptables -t nat -S``; or, with the nftables backend, the rules of the ``nat-*`` chains of
    ``nft list table ip docker-bridges``, each prefixed with its chain
    (``[nat-postrouting-out__docker0] ...``).
    """
    if backend(host) == "nftables":
        chains = firewall.nft_chains(nft(host=host))
        return [
            f"[{chain}] {rule}" for chain, body in chains.items() if chain.startswith("nat") for rule in body
        ]
    return iptables("nat", host=host)


def rules(host: str | None = None) -> firewall.Rules:
    """The engine host's forwarding rules, from its engine's own backend, read once.

    ``iptables -S`` (the filter table) or ``nft list table ip docker-bridges``, on the engine host.
    """
    if backend(host) == "nftables":
        return firewall.Rules("nftables", nft(host=host))
    return firewall.Rules("iptables", "\n".join(iptables("filter", host=host)))


def forward_trace(iif: str, oif: str, src: str, dst: str, host: str | None = None) -> firewall.Trace:
    """What the engine host's firewall does to a new ping forwarded from ``iif`` to ``oif``.

    The engine's own rules, followed rule by rule as the kernel would (``firewall.trace``).
    """
    return rules(host).trace(firewall.Packet(iif, oif, src, dst))


def _on_host(argv: list[str], what: str, needs: str, host: str | None) -> list[str]:
    """Run a read-only firewall tool of the engine host's own, chrooted, in a host-network helper."""
    try:
        out = client(host).containers.run(
            require_lab_image(host),
            ["chroot", "/host", *argv],
            network_mode="host",
            cap_add=["NET_ADMIN", "NET_RAW"],
            environment={"PATH": _SBIN_PATH},
            volumes={"/": {"bind": "/host", "mode": "ro"}},
            tmpfs={"/host/run": ""},
            remove=True,
            labels={LABEL: "host-helper"},
        )
    except docker.errors.ContainerError as exc:
        said = (exc.stderr or b"").decode(errors="replace").strip()
        raise CourseError(
            _("Could not {what} on the engine host: {reason}.").format(what=what, reason=said or exc),
            _(
                "The engine host needs {needs}; on Docker Desktop, its VM may not offer it to containers."
            ).format(needs=needs),
        ) from exc
    return out.decode().splitlines()


def chains(table: str = "filter", host: str | None = None) -> list[str]:
    """The names of the chains in ``table``, as ``iptables -t TABLE -S`` declares them."""
    return sorted(line.split()[1] for line in iptables(table, host=host) if line.startswith(("-N ", "-P ")))
