"""Who reaches whom: every ordered pair of a lab's containers, by name and by IP.

Similar to running ``docker exec SRC nslookup DST`` and ``docker exec SRC ping -c1 -W1 DST``
for every pair, in parallel. Each failure carries its reason.
"""

from __future__ import annotations

import html
from dataclasses import dataclass

from . import firewall, hostview
from .busy import progress as busy
from .errors import CourseError
from .i18n import _
from .lab import Lab
from .parallel import parallel
from .topology import Snapshot, snapshot


@dataclass(frozen=True)
class Probe:
    """One ordered pair: does ``dst``'s name resolve from ``src``, and do packets get through."""

    src: str
    dst: str
    resolved: str | None  # the address the name resolved to, or None (no DNS entry)
    by_name: bool
    by_ip: bool
    ip: str | None  # the address probed by IP
    reason: str  # empty when both work

    @property
    def code(self) -> str:
        """``name+ip``, ``ip only``, ``name only`` or ``none``."""
        return {(True, True): "name+ip", (False, True): "ip only", (True, False): "name only"}.get(
            (self.by_name, self.by_ip), "none"
        )


@dataclass(frozen=True)
class Reachability:
    """The matrix. ``str()`` is a stable text grid; in a notebook it shows as a coloured table."""

    names: tuple[str, ...]
    probes: tuple[Probe, ...]

    def __getitem__(self, pair: tuple[str, str]) -> Probe:
        for probe in self.probes:
            if (probe.src, probe.dst) == pair:
                return probe
        raise KeyError(pair)

    def table(self) -> str:
        """Rows are sources, columns destinations; then each failure's reason."""
        width = max(len(n) for n in (*self.names, "from \\ to", "name only"))
        lines = ["from \\ to".ljust(width) + "  " + "  ".join(n.ljust(width) for n in self.names)]
        for src in self.names:
            cells = ["-" if src == dst else self[src, dst].code for dst in self.names]
            lines.append(src.ljust(width) + "  " + "  ".join(c.ljust(width) for c in cells).rstrip())
        reasons = [f"{p.src} -> {p.dst}: {p.reason}" for p in self.probes if p.reason]
        return "\n".join([*lines, "", *reasons] if reasons else lines)

    def __str__(self) -> str:
        return self.table()

    def _repr_pretty_(self, printer, cycle: bool) -> None:
        printer.text(self.table())

    def _repr_html_(self) -> str:
        colours = {"name+ip": "#c9f0d6", "ip only": "#fff3bf", "name only": "#fff3bf", "none": "#ffd6d6"}
        head = "".join(f"<th>{html.escape(n)}</th>" for n in self.names)
        rows = []
        for src in self.names:
            cells = []
            for dst in self.names:
                if src == dst:
                    cells.append('<td style="background:#eee;text-align:center">-</td>')
                    continue
                p = self[src, dst]
                tip = html.escape(
                    p.reason
                    or _("{dst} resolves to {address} and answers").format(dst=dst, address=p.resolved)
                )
                cells.append(
                    f'<td title="{tip}" style="background:{colours[p.code]};text-align:center;'
                    f'padding:4px 10px">{p.code}</td>'
                )
            rows.append(f"<tr><th>{html.escape(src)}</th>{''.join(cells)}</tr>")
        reasons = "".join(
            f"<li><code>{html.escape(p.src)} → {html.escape(p.dst)}</code>: {html.escape(p.reason)}</li>"
            for p in self.probes
            if p.reason
        )
        return (
            '<table style="border-collapse:collapse;font-family:monospace">'
            f"<tr><th>from \\ to</th>{head}</tr>{''.join(rows)}</table>"
            + (f'<ul style="font-size:12px">{reasons}</ul>' if reasons else "")
        )


def _best_ip(snap: Snapshot, src: str, dst: str) -> tuple[str | None, bool]:
    """dst's address on a network it shares with src if any (True), else its first address."""
    src_nets, dst_eps = snap.endpoints_of(src), snap.endpoints_of(dst)
    for net, ep in dst_eps.items():
        if net in src_nets and ep.ip:
            return ep.ip, True
    return next((ep.ip for ep in dst_eps.values() if ep.ip), None), False


def _nets_between(snap: Snapshot, src: str, dst: str) -> set[str]:
    return snap.endpoints_of(src).keys() & snap.endpoints_of(dst).keys()


def _bridge(snap: Snapshot, container: str) -> tuple[str, str] | None:
    """The Linux bridge and address of the container's first bridge network, if it has one."""
    for net, ep in snap.endpoints_of(container).items():
        bridge = snap.network(net).bridge
        if bridge and ep.ip:
            return bridge, ep.ip
    return None


def _rules(lab: Lab) -> firewall.Rules | None:
    """The engine host's rules, or None where they cannot be read (the reason then says less)."""
    try:
        return hostview.rules(lab.host)
    except CourseError:
        return None


def firewall_path(lab: Lab, src: str, dst: str) -> firewall.Trace:
    """The path of a new ping from ``src`` to ``dst`` (on two bridge networks) through the engine host's
    firewall: the engine's own rules (``iptables -S``, or ``nft list table ip docker-bridges``), followed
    rule by rule as the kernel would (``hostview.forward_trace``). ``print()`` it to read the path."""
    snap = snapshot(lab, everything=True)  # by name, whoever made them
    for name in (src, dst):
        box = next((c for c in snap.containers if c.name == name), None)
        if box is None:
            raise CourseError(
                _("There is no container {name}.").format(name=name), _("docker ps -a lists the containers.")
            )
        if box.state != "running":
            raise CourseError(
                _("{name} is not running ({state}).").format(name=name, state=box.state),
                _("Start it: docker start {name}").format(name=name),
            )
    here, there = _bridge(snap, src), _bridge(snap, dst)
    if here is None or there is None:
        missing = src if here is None else dst
        raise CourseError(
            _("{name} is on no bridge network with an address.").format(name=missing),
            _("Trace a path between containers on bridges: docker inspect {name} names its networks.").format(
                name=missing
            ),
        )
    return hostview.forward_trace(here[0], there[0], here[1], there[1], lab.host)


def _dropped_by(rules: firewall.Rules | None, snap: Snapshot, src: str, dst: str, ip: str) -> str:
    """Why a new ping from src's bridge to dst's, at ``ip``, got no answer: which of the engine host's
    rules drops it (read, not assumed)."""
    there, here = _bridge(snap, dst), _bridge(snap, src)
    if rules is None or there is None or here is None:
        return _("{ip} is on another bridge: dropped between the bridges").format(ip=ip)
    found = rules.trace(firewall.Packet(here[0], there[0], here[1], there[1]))
    if not found.dropped:
        return _(
            "{ip} is on another bridge: the engine host's rules let it through, yet it did not answer"
        ).format(ip=ip)
    return _("{ip} is on another bridge: dropped by the {backend} rule in {chain}").format(
        ip=ip, backend=found.backend, chain=found.chain
    )


def probe(lab: Lab, snap: Snapshot, src: str, dst: str, rules: firewall.Rules | None = None) -> Probe:
    """Probe one ordered pair; ``snap`` supplies the addresses (one engine read for the matrix).

    ``rules`` (``hostview.rules()``) name the firewall rule that drops a packet between two bridges;
    without them they are read from the engine host when needed.
    """
    ip, shared = _best_ip(snap, src, dst)
    resolved = lab.resolve(src, dst)
    by_ip = bool(ip) and lab.ping(src, ip)
    by_name = bool(resolved) and (by_ip if resolved == ip else lab.ping(src, resolved))
    reasons = []
    if resolved is None:
        if not shared:
            reasons.append(_("no DNS entry (no network in common)"))
        elif _nets_between(snap, src, dst) == {"bridge"}:
            reasons.append(_("no DNS entry (the default bridge has no embedded DNS)"))
        else:
            reasons.append(_("no DNS entry (the embedded DNS does not know it)"))
    if not by_ip:
        if ip is None:
            reasons.append(_("{dst} has no IP address (on host or none, or not running)").format(dst=dst))
        elif shared:
            reasons.append(_("{ip} did not answer").format(ip=ip))
        else:
            if rules is None:
                rules = _rules(lab)
            reasons.append(_dropped_by(rules, snap, src, dst, ip))
    return Probe(src, dst, resolved, by_name, by_ip, ip, "; ".join(reasons))


def reachability(lab: Lab, containers: list[str] | None = None) -> Reachability:
    """Probe every ordered pair of the lab's running containers (or of ``containers``), in parallel.

    ``containers`` may name any containers, the learner's own (made in a terminal) too: probing only
    looks, it changes nothing.
    """
    lab.matrix_shown = True  # what it shows answers exercise 04.1's prediction
    snap = snapshot(lab, everything=containers is not None)
    running = [c.name for c in snap.containers if c.state == "running"]
    names = tuple(sorted(containers or running))
    pairs = [(s, d) for s in names for d in names if s != d]
    apart = any(not _best_ip(snap, s, d)[1] for s, d in pairs)
    rules = _rules(lab) if apart else None  # read once, for every pair across bridges
    busy_line = _("probing {n} pairs by name and by IP").format(n=len(pairs))
    with busy(busy_line, len(pairs)) as shown, lab.muted(), lab.probing(snap):

        def one(pair: tuple[str, str]) -> Probe:
            found = probe(lab, snap, *pair, rules=rules)
            shown.step(f"{pair[0]} -> {pair[1]}: {found.code}")
            return found

        return Reachability(names, tuple(parallel(one, pairs)))
