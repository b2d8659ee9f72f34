"""Packets: what tcpdump printed, parsed into records for a table and for the checks.

A learner runs tcpdump in a container of the lab image, in the background, on the interface to watch
(``docker run -d --name sniff --net=host course/lab tcpdump -lni docker0 -c 4 icmp``), and reads it
with ``docker logs sniff``. ``listening()`` waits, in a check cell, until that tcpdump listens, so the
traffic a learner sends next is never missed. ``capture()`` does the same in one call, for the tests:
tcpdump on a node's underlay ``eth0``. There the outer packet goes between node IPs on UDP 4789 with
a VXLAN network identifier (VNI); the inner one is the container's own packet.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import TYPE_CHECKING

from .engines import streams
from .engines.images import LAB_IMAGE
from .errors import CourseError, engine_call
from .i18n import _
from .lab import find_container
from .table import align
from .waiting import TimedOut, until

if TYPE_CHECKING:
    from .cluster import Cluster
    from .lab import Lab

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
    """Capture ``count`` packets of ``what`` (vxlan, gossip, esp) on ``node``'s underlay interface:
    ``docker exec NODE docker run --rm --net=host course/lab tcpdump -nli eth0 -c COUNT FILTER``.

    ``during`` runs (e.g. a ping) once tcpdump reports that it is listening, so no packet of it is
    missed. Stops after ``count`` packets or ``seconds``, whichever comes first: the window is wide,
    since ``during`` itself may take seconds to start on a loaded machine or an engine elsewhere, and
    it costs nothing when the packets come.
    """
    if what not in FILTERS:
        raise CourseError(
            _("Unknown capture {what}.").format(what=repr(what)),
            _("Use one of: {known}.").format(known=", ".join(FILTERS)),
        )
    # the lab image's tcpdump, in a sniffer on the node's own network: a node image pulled from a
    # registry (docker:<version>-dind) has none of its own
    sniffer = ["docker", "run", "--rm", "--pull=never", "--net=host", LAB_IMAGE]
    argv = [*sniffer, "timeout", str(seconds), "tcpdump", "-n", "-l", "-i", "eth0", "-c", str(count)]
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
        if _no_tcpdump(said):
            raise CourseError(
                _("The lab image on {node} has no tcpdump: it is not the course's own build.").format(
                    node=node
                ),
                _("Build it on this machine (course images build --force), then run cluster.up() again."),
            )
        if api.exec_inspect(run).get("ExitCode") == 125:  # docker run itself failed: no sniffer ran
            raise CourseError(
                (
                    _("No sniffer could start on {node}: {said}.")
                    if said.strip()
                    else _("No sniffer could start on {node}: docker run failed.")
                ).format(node=node, said=said.strip()),
                _("Bring the lab image to the nodes again: cluster.up() reloads it."),
            )
        if during is not None and acting is None:
            raise CourseError(
                _("tcpdump on {node} never started listening.").format(node=node),
                (_("It said: {said}") if said.strip() else _("It said: nothing")).format(said=said.strip()),
            )
        if acting is not None:
            acting.result()  # re-raises what went wrong in ``during``
    return parse(out.decode(errors="replace"))


def _no_tcpdump(said: str) -> bool:
    """Whether a sniffer's words say its image has no tcpdump (``exec: "tcpdump": executable file not
    found``, busybox's ``can't execute 'tcpdump': No such file``)."""
    said = said.lower()
    return "tcpdump" in said and ("not found" in said or "no such file" in said)


def _sniffer(lab: Lab, container: str) -> tuple[dict, str]:
    """The sniffer's state (``docker inspect``) and what it said (``docker logs``), whoever started it."""
    with engine_call(_("read the container {name}").format(name=container)):
        box = find_container(lab.engine, container)
        if box is None:
            raise CourseError(
                _("There is no container {name}.").format(name=container),
                _(
                    "Start the sniffer first (the docker run -d --name {name} ... tcpdump command above)."
                ).format(name=container),
            )
        return box.attrs["State"], box.logs().decode(errors="replace")


def _ended(container: str, state: dict, said: str) -> CourseError:
    """Why a sniffer stopped early, as one error with the fix."""
    why = (state.get("Error") or said).strip()  # a start that failed leaves no logs
    if _no_tcpdump(why):
        return CourseError(
            _("{name} has no tcpdump: the lab image here is not the course's own build.").format(
                name=container
            ),
            _(
                "Build it on this machine (course images build --force), or put nicolaka/netshoot in place "
                "of course/lab in that command."
            ),
        )
    if why:
        ended = _("The tcpdump in {name} ended ({status}, exit code {code}): {why}.")
    else:
        ended = _("The tcpdump in {name} ended ({status}, exit code {code}): it said nothing.")
    return CourseError(
        ended.format(name=container, status=state.get("Status"), code=state.get("ExitCode"), why=why),
        _(
            "Check the interface's name (docker run --rm --net=host course/lab ip -o link lists the host's), "
            "remove the container (docker rm {name}) and run the command again."
        ).format(name=container),
    )


def listening(lab: Lab, container: str, timeout: float = 30) -> str:
    """Wait until the tcpdump in ``container`` says it is listening (``docker logs CONTAINER``).

    Returns what it said. Raises CourseError with the fix when it cannot run: an image without
    tcpdump (busybox pulled from a registry), or an interface that does not exist.
    """

    def said() -> str:
        state, text = _sniffer(lab, container)
        if "listening on" in text:
            return text
        if state.get("Status") == "running":
            return ""
        raise _ended(container, state, text)

    until(said, timeout=timeout, what=_("the tcpdump in {name} to listen").format(name=container), retry=())
    return said()


def finished(lab: Lab, container: str, timeout: float = 30) -> str:
    """Wait until the tcpdump in ``container`` has its ``-c`` packets and has exited, as ``docker wait
    CONTAINER`` does (tcpdump hands packets on in blocks, up to a second late: reading its logs the
    moment a ping ends may miss the last ones). Returns its logs."""

    def ended() -> bool:
        state, text = _sniffer(lab, container)
        if state.get("Status") == "running":
            return False
        if state.get("Status") == "exited" and state.get("ExitCode") == 0:
            return True
        raise _ended(container, state, text)

    try:
        until(ended, timeout=timeout, what=_("the tcpdump in {name} to end").format(name=container), retry=())
    except TimedOut:
        caught = len(parse(_sniffer(lab, container)[1]))
        raise CourseError(
            _("The tcpdump in {name} caught {caught} packets in {seconds} s, fewer than its -c asks.").format(
                name=container, caught=caught, seconds=f"{timeout:.0f}"
            ),
            _(
                "Send the traffic again (the command above), or stop it (docker stop {name}); docker logs "
                "{name} shows what it saw."
            ).format(name=container),
        ) from None
    return _sniffer(lab, container)[1]
