"""Snapshot (or a Diff) -> a pyvis diagram that works offline and stays small in a notebook.

Layout is computed here, not by physics: the same snapshot always draws the same
picture, and redrawing after a change moves nothing that did not change.

The vis-network JavaScript comes from the installed pyvis package, never a CDN. A
notebook loads it once, gzip-compressed, with ``library()`` in its first cell (~165 KB);
each diagram after that is a few KB of data (pyvis's own template would inline 470 KB
per diagram and still link a CDN stylesheet).
"""

from __future__ import annotations

import base64
import gzip
import html
import json
from dataclasses import dataclass
from functools import cache
from itertools import pairwise
from pathlib import Path
from typing import TYPE_CHECKING

import pyvis
from pyvis.network import Network

from .hostnet import HOST
from .i18n import N_, _, ngettext
from .topology import Diff, Snapshot

if TYPE_CHECKING:
    from .hostnet import HostNet, Link
    from .topology import ClusterSnapshot

VIS_JS = Path(pyvis.__file__).parent / "templates" / "lib" / "vis-9.1.2" / "vis-network.min.js"
COLOURS = {
    "red": "#e5484d",
    "blue": "#3e82f7",
    "green": "#30a46c",
    "yellow": "#f5d90a",
    "orange": "#f76b15",
    "purple": "#8e4ec6",
    "pink": "#d6409f",
    "brown": "#ad7f58",
    "gray": "#8b8d98",
    "grey": "#8b8d98",
}
PALETTE = ["#12a594", "#6e56cf", "#ffb224", "#0090ff", "#e54666", "#46a758", "#978365", "#0d74ce"]
DEFAULT_BRIDGE = "#8b8d98"
NEW = "#f76b15"
COLUMN, ROW = 360, 150
BOX = 210  # the width one namespace's box takes in a host diagram
CHAR_WIDTH = 8.5  # px per character of a box label (14 px monospace)
_TOOLTIP_CSS = (
    "div.vis-tooltip{position:absolute;visibility:hidden;padding:6px 8px;white-space:pre;"
    "font:12px/1.4 monospace;background:#fffbe6;border:1px solid #aaa;border-radius:4px;"
    "box-shadow:2px 2px 8px rgba(0,0,0,.2);pointer-events:none;z-index:5}"
)


def colour(network: str, others: list[str]) -> str:
    """A network named after a colour gets it (``red``, ``b-blue``); others a fixed palette."""
    for word, hex_ in COLOURS.items():
        if word in network.lower().replace("_", "-").split("-") or network.lower() == word:
            return hex_
    if network == "bridge":
        return DEFAULT_BRIDGE
    return PALETTE[others.index(network) % len(PALETTE)] if network in others else PALETTE[0]


def _tint(hex_: str) -> str:
    """A light version of a colour, for container boxes."""
    r, g, b = (int(hex_[i : i + 2], 16) for i in (1, 3, 5))
    return "#{:02x}{:02x}{:02x}".format(*(c + (255 - c) * 3 // 4 for c in (r, g, b)))


def network_graph(snap: Snapshot, changes: Diff | None = None) -> Network:
    """Build the pyvis Network: host, one node per network (with its Linux bridge), containers.

    An edge per endpoint stands for the veth pair; its tooltip gives IP and MAC. What
    ``changes`` added is drawn thick and orange.
    """
    graph = Network(height="100%", width="100%", cdn_resources="remote")
    new_boxes = set(changes.added_containers) if changes else set()
    new_nets = set(changes.added_networks) if changes else set()
    new_eps = {(e.container, e.network) for e in changes.added_endpoints} if changes else set()
    plain = [n.name for n in snap.networks if colour(n.name, []) == PALETTE[0] and n.name != "bridge"]
    # the lab's own networks side by side, builtin ones (bridge, host, none) after them, so a
    # container on two lab networks sits between them
    ordered = sorted(snap.networks, key=lambda n: (n.lab is None, n.name))
    column = {net.name: i * COLUMN for i, net in enumerate(ordered)}
    middle = (max(column.values()) / 2) if column else 0
    h = snap.host
    graph.add_node(
        "host",
        label=_("Docker host"),
        # no hostname or kernel: they differ from machine to machine, and the diagram is a compared output
        title=_("The Docker host: Docker {version}, swarm {swarm}").format(
            version=h.engine_version, swarm=h.swarm
        ),
        shape="box",
        color="#1c2024",
        font={"color": "white", "face": "monospace"},
        x=middle,
        y=0,
        physics=False,
    )
    for net in snap.networks:
        hue = colour(net.name, plain)
        if net.bridge:
            kind = _("Linux bridge {bridge}").format(bridge=net.bridge)
        else:
            kind = _("driver {driver}").format(driver=net.driver)
        subnet = net.subnet or _("no subnet")
        label = f"{net.name}\n{subnet}\n{kind}"
        lines = [
            _("network {name} (driver {driver}, scope {scope})").format(
                name=net.name, driver=net.driver, scope=net.scope
            ),
            _("subnet {subnet}, gateway {gateway}").format(
                subnet=net.subnet or "-", gateway=net.gateway or "-"
            ),
            _("Linux bridge on the host: {bridge}").format(bridge=net.bridge)
            if net.bridge
            else _("no Linux bridge"),
        ]
        if net.internal:
            lines.append(_("internal: no route out"))
        title = "\n".join(lines)
        graph.add_node(
            f"net:{net.name}",
            label=label,
            title=title,
            shape="box",
            color={"background": hue, "border": NEW if net.name in new_nets else hue},
            borderWidth=4 if net.name in new_nets else 1,
            font={"color": "white", "face": "monospace"},
            x=column[net.name],
            y=ROW,
            physics=False,
        )
        graph.add_edge("host", f"net:{net.name}", color="#b0b4ba", dashes=True, width=1)
    _add_containers(graph, snap, column, plain, new_boxes, new_eps)
    return graph


def _add_containers(graph, snap, column, plain, new_boxes, new_eps) -> None:
    by_row: dict[tuple[float, float], list[str]] = {}
    for box in snap.containers:
        nets = [n for n in snap.endpoints_of(box.name) if n in column]
        if len(nets) == 1:
            key = (column[nets[0]], 2)
        elif nets:  # multi-homed: between its networks, one row lower
            key = (sum(column[n] for n in nets) / len(nets), 2.6)
        else:
            key = (0, 4)
        by_row.setdefault(key, []).append(box.name)
    place = {}
    for (x, row), names in by_row.items():
        # boxes side by side as wide as the widest label could be: a multi-homed box names each
        # network beside its address. Addresses count as their longest (15 characters), so the layout
        # is the same whichever pool the engine hands out (a diagram is a compared output).
        widest = max(len(line) for name in names for line in _box_label(snap, name, widest=True).split("\n"))
        step = max(120, CHAR_WIDTH * widest + 40)
        for k, name in enumerate(sorted(names)):
            # stagger crowded rows so labels do not overlap
            place[name] = (x + (k - (len(names) - 1) / 2) * step, row * ROW + (k % 2) * 40 * (len(names) > 2))
    states = {c.name: c for c in snap.containers}
    for name, (x, y) in sorted(place.items()):
        eps = snap.endpoints_of(name)
        fill = _tint(colour(next(iter(eps)), plain)) if len(eps) == 1 else "#ffffff"
        graph.add_node(
            f"ctr:{name}",
            label=_box_label(snap, name),
            title=_("container {name} ({state})\nimage {image}").format(
                name=name, state=states[name].state, image=states[name].image
            ),
            shape="box",
            color={"background": fill, "border": NEW if name in new_boxes else "#444"},
            borderWidth=4 if name in new_boxes else 1,
            font={"face": "monospace"},
            x=x,
            y=y,
            physics=False,
        )
        for net, ep in eps.items():
            if net not in column:
                continue
            new = (name, net) in new_eps
            if net in NO_VETH:  # host and none give a container no veth pair: a dashed line, said so
                graph.add_edge(
                    f"ctr:{name}", f"net:{net}", title=_(NO_VETH[net]).format(name=name), dashes=True
                )
                continue
            graph.add_edge(
                f"ctr:{name}",
                f"net:{net}",
                title=_(
                    "veth pair: {name}'s interface <-> the bridge on the host\nIPv4 {ipv4}\nMAC {mac}"
                ).format(name=name, ipv4=ep.ipv4 or "-", mac=ep.mac or "-")
                + ("\n" + _("NEW: added by network connect") if new else ""),
                color=NEW if new else "#555",
                width=5 if new else 2,
            )


def _box_label(snap: Snapshot, name: str, widest: bool = False) -> str:
    """A container's name and its addresses; with several, which address is on which network.

    With ``widest``, every address is written at its longest, to space the boxes by.
    """
    eps = snap.endpoints_of(name)
    ips = {net: "255.255.255.255" if widest else ep.ip for net, ep in eps.items() if ep.ip}
    lines = [f"{net} {ip}" for net, ip in ips.items()] if len(eps) > 1 else list(ips.values())
    return "\n".join([name, *lines])


# What a container on a network without a veth pair has instead (the edge's tooltip; translated where shown).
NO_VETH = {
    "host": N_("{name} uses the host's own network stack: no veth pair, no address of its own"),
    "none": N_("{name} has no network: only its loopback interface, no veth pair"),
}


@dataclass(frozen=True)
class Diagram:
    """A drawn snapshot. Shows as an interactive graph in JupyterLab; ``str()`` is a summary."""

    html: str
    summary: str

    def _repr_html_(self) -> str:
        return self.html

    def __str__(self) -> str:
        return self.summary

    def _repr_pretty_(self, printer, cycle: bool) -> None:
        printer.text(self.summary)

    def save(self, path: str | Path) -> Path:
        """Write a standalone page (library included) that opens offline in any browser."""
        path = Path(path)
        path.write_text(
            f"<!doctype html><html><head><meta charset='utf-8'><style>{_TOOLTIP_CSS}</style>"
            f"<script>{VIS_JS.read_text()}</script></head><body style='margin:0'>{self.html}</body></html>"
        )
        return path


def draw(
    snap: Snapshot, changes: Diff | None = None, caption: str = "", height: int | None = None
) -> Diagram:
    """Draw a snapshot; with ``changes`` (a Diff) what it added is highlighted in orange."""
    graph = network_graph(snap, changes)
    # the counts as they were always written ("1 networks"): one form whatever the number
    if changes:
        summary = _(
            "diagram: {networks} networks, {containers} containers, {endpoints} endpoints; "
            "highlighted: {changes} changes"
        )
    else:
        summary = _("diagram: {networks} networks, {containers} containers, {endpoints} endpoints")
    summary = summary.format(
        networks=len(snap.networks),
        containers=len(snap.containers),
        endpoints=len(snap.endpoints),
        changes=str(changes).count(chr(10)) + 1,
    )
    legend = [
        _("Top boxes: networks, each a Linux bridge on the host. Lines: veth pairs (hover for IP and MAC).")
    ]
    if any(net.name in NO_VETH for net in snap.networks if snap.members(net.name)):
        legend.append(_("Dashed: on host or none, which give a container no veth pair."))
    if changes:
        legend.append(_("Orange: new since the last step."))
    return _render(graph, caption, summary, " ".join(legend), height)


def _in_script(text: str) -> str:
    """JSON that is safe inside <script>: a name or label holding ``</script>`` cannot end it early."""
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def _in_quotes(text: str) -> str:
    """Text that is safe inside a single-quoted JavaScript string in a <script>."""
    return _in_script(text.replace("\\", "\\\\").replace("'", "\\'"))


def _render(graph: Network, caption: str, summary: str, legend: str, height: int | None = None) -> Diagram:
    """The HTML of a diagram: a caption line, a div, and a small script that draws into it."""
    rows = max((int(n["y"]) for n in graph.nodes), default=0)
    height = height or rows + 140
    nodes = [{k: v for k, v in n.items() if k not in ("physics",)} for n in graph.nodes]
    graph_json = json.dumps({"nodes": nodes, "edges": graph.edges}, sort_keys=True, separators=(",", ":"))
    data = _in_script(graph_json)
    options = json.dumps(
        {
            "physics": {"enabled": False},
            "interaction": {"hover": True, "tooltipDelay": 100},
            "edges": {"smooth": False},
            "nodes": {"margin": 8},
        },
        sort_keys=True,
    )
    note = html.escape(f"{caption} — {legend}" if caption else legend)
    missing = _in_quotes(_("Run the first code cell of this notebook to load the diagram library."))
    page = (
        f'<div style="font:12px sans-serif;color:#555;margin:4px 0">{note}</div>'
        f'<div class="course-diagram" style="width:100%;height:{height}px;'
        'border:1px solid #d0d7de;border-radius:6px;background:#fff"></div>'
        "<script>(function(el){"
        f"var d={data},o={options};"
        "function go(vis){var n=new vis.Network(el,{nodes:new vis.DataSet(d.nodes),"
        "edges:new vis.DataSet(d.edges)},o);"
        "if(window.ResizeObserver){new ResizeObserver(function(){n.fit()}).observe(el)}}"
        "if(window.vis&&window.vis.Network){go(window.vis)}"
        "else if(window.courseVis){window.courseVis.then(go)}"
        f"else{{el.textContent='{missing}'}}"
        "})(document.currentScript.previousElementSibling);</script>"
    )
    return Diagram(page, f"{caption}\n{summary}" if caption else summary)


@dataclass(frozen=True)
class Library:
    """The vis-network loader a notebook displays once, in its first cell."""

    html: str

    def _repr_html_(self) -> str:
        return self.html

    def __repr__(self) -> str:
        return _("diagram library: vis-network 9.1.2 from the installed pyvis, loaded offline")


@cache
def library() -> Library:
    """Load vis-network once per page: gzip+base64 of pyvis's copy, unpacked in the browser.

    Display it in a notebook's first code cell; every later ``draw()`` waits for it.
    """
    packed = base64.b64encode(gzip.compress(VIS_JS.read_bytes(), compresslevel=9, mtime=0)).decode()
    script = (
        "<script>window.courseVis=window.courseVis||(function(){"
        f'var b=atob("{packed}"),a=new Uint8Array(b.length);'
        "for(var i=0;i<b.length;i++){a[i]=b.charCodeAt(i)}"
        "var s=new Blob([a]).stream().pipeThrough(new DecompressionStream('gzip'));"
        "return new Response(s).text().then(function(code){"
        # hide an AMD loader (require.js in rendered docs) so the UMD bundle sets window.vis
        "var d=window.define;window.define=undefined;try{(0,eval)(code)}finally{window.define=d}"
        "return window.vis})})();</script>"
    )
    style = f"<style>{_TOOLTIP_CSS}</style>"
    note = html.escape(_("Diagram library loaded (vis-network, offline)."))
    return Library(f'{style}{script}<div style="color:#888;font-size:11px">{note}</div>')


def _filled_box(graph: Network, ident: str, label: str, title: str, colour: str, x: float, y: float) -> None:
    """A box in a colour with white monospace text, where the layout puts it (hosts, bridges, networks)."""
    graph.add_node(
        ident,
        label=label,
        title=title,
        shape="box",
        color=colour,
        font={"color": "white", "face": "monospace"},
        x=x,
        y=y,
        physics=False,
    )


def draw_cluster(cluster: ClusterSnapshot, caption: str = "") -> Diagram:
    """Draw simulated hosts: the underlay on top, each node, the overlay networks spanning the
    nodes that carry them, a VXLAN tunnel between each pair of those nodes, and the containers.
    """
    graph = Network(height="100%", width="100%", cdn_resources="remote")
    host = cluster.host
    names = sorted(cluster.nodes)
    width = COLUMN * 1.1
    x_of = {name: (i - (len(names) - 1) / 2) * width for i, name in enumerate(names)}
    underlay = next((n for n in host.networks if n.driver == "bridge"), None)
    if underlay is not None:
        _filled_box(
            graph,
            "underlay",
            f"{underlay.name}\n{underlay.subnet}\n"
            + _("Linux bridge {bridge}").format(bridge=underlay.bridge),
            _("The underlay: the hosts' own network (here a bridge on the real host)"),
            DEFAULT_BRIDGE,
            0,
            0,
        )
    roles = {}
    for snap in cluster.nodes.values():
        roles.update({n.hostname: f"{n.role}, {n.state}" for n in snap.nodes})
    for name in names:
        box = cluster.containers.get(name, name)
        ep = host.endpoints_of(box).get(underlay.name) if underlay else None
        _filled_box(
            graph,
            f"node:{name}",
            f"{name}\n{ep.ip if ep else ''}\n{roles.get(name, '')}".rstrip(),
            _("Docker host {name} (a container running its own engine)").format(name=name),
            "#1c2024",
            x_of[name],
            ROW,
        )
        if underlay is not None:
            graph.add_edge(
                "underlay",
                f"node:{name}",
                color="#8b8d98",
                width=2,
                title=_("{name} on the underlay").format(name=name),
            )
    overlays: dict[str, tuple] = {}
    for name in names:
        for net in cluster.nodes[name].networks:
            if net.driver == "overlay" and net.name != "ingress":
                carried = [n for n in names if cluster.nodes[n].members(net.name)]
                overlays.setdefault(net.name, (net, carried))
    for k, (name, (net, carried)) in enumerate(sorted(overlays.items())):
        hue = colour(name, sorted(overlays))
        _filled_box(
            graph,
            f"ov:{name}",
            f"overlay {name}\n{net.subnet}\nVXLAN VNI {net.vni or '?'}",
            (
                _("overlay network {name}: one subnet across {nodes}")
                if carried
                else _("overlay network {name}: one subnet across no node yet")
            ).format(name=name, nodes=", ".join(carried)),
            hue,
            0,
            2.2 * ROW + k * ROW,
        )
        for a, b in pairwise(carried):
            graph.add_edge(
                f"node:{a}",
                f"node:{b}",
                label=f"VXLAN udp/4789 vni {net.vni or '?'}",
                title=_("{name}'s packets travel between {a} and {b} inside UDP 4789 (VXLAN)").format(
                    name=name, a=a, b=b
                ),
                color=NEW,
                dashes=True,
                width=3,
                smooth={"enabled": True, "type": "curvedCW", "roundness": 0.25},
                font={"size": 11, "align": "top"},
            )
    row = 2.2 * ROW + max(len(overlays), 1) * ROW
    for name in names:
        boxes = [c.name for c in cluster.nodes[name].containers]
        for j, box in enumerate(sorted(boxes)):
            eps = cluster.nodes[name].endpoints_of(box)
            graph.add_node(
                f"ctr:{name}:{box}",
                label="\n".join([box, *(e.ip for e in eps.values() if e.ip)]),
                title=_("container {container} on {node}").format(container=box, node=name),
                shape="box",
                color={"background": "#ffffff", "border": "#444"},
                font={"face": "monospace"},
                x=x_of[name] + (j - (len(boxes) - 1) / 2) * 110,
                y=row,
                physics=False,
            )
            graph.add_edge(
                f"node:{name}", f"ctr:{name}:{box}", color="#b0b4ba", dashes=True, title=_("runs on")
            )
            for net in eps:
                if net in overlays:
                    graph.add_edge(
                        f"ov:{net}",
                        f"ctr:{name}:{box}",
                        color="#555",
                        width=2,
                        title=_("on {network}").format(network=net),
                    )
    summary = _("cluster diagram: {nodes} nodes, {overlays} overlay networks").format(
        nodes=len(names), overlays=len(overlays)
    )
    return _render(
        graph, caption, summary, _("Dark boxes: Docker hosts. Orange dashes: VXLAN tunnels on UDP 4789.")
    )


def draw_host(net: HostNet, caption: str = "") -> Diagram:
    """Draw one simulated host from what ``ip -j`` says inside it (``hostnet.read``): its own NIC and
    bridges on top, each namespace (``ip netns add``) and each container below the bridge its veth is
    plugged into, and a line per veth pair, labelled with both ends' names.
    """
    graph = Network(height="100%", width="100%", cdn_resources="remote")
    bridges = net.bridges()
    columns = ["(none)", *(b.name for b in bridges)]  # veths on no bridge hang under the host itself
    under: dict[str, list[tuple[Link | None, str, Link | None]]] = {}
    placed: set[str] = set()
    pairs = net.pairs()
    for host_end, space, end in pairs:
        column = host_end.master if host_end.master in columns else "(none)"
        if space not in placed:  # a namespace with two veths is drawn once, under the first
            under.setdefault(column, []).append((host_end, space, end))
            placed.add(space)
        else:
            _veth_edge(graph, net.host, column, host_end, space, end)
    for space in net.spaces:  # a namespace with no veth yet hangs under the host, unconnected
        if space != HOST and space not in placed:
            under.setdefault("(none)", []).append((None, space, None))
    # each column as wide as the boxes under it, side by side, centred on 0
    widths = [max(1, len(under.get(name, []))) * BOX for name in columns]
    left = -sum(widths) / 2
    x_of = {}
    for name, width in zip(columns, widths, strict=True):
        x_of[name] = left + width / 2
        left += width
    nic = net.root.link("eth0")
    _filled_box(
        graph,
        "host",
        f"host {net.host}\neth0 {' '.join(nic.addresses) if nic else ''}".rstrip(),
        _("{host}'s own namespace: its NIC on the underlay, its routes and its firewall").format(
            host=net.host
        ),
        "#1c2024",
        x_of["(none)"],
        0,
    )
    for k, bridge in enumerate(bridges):
        hue = DEFAULT_BRIDGE if bridge.name == "docker0" else PALETTE[k % len(PALETTE)]
        _filled_box(
            graph,
            f"br:{bridge.name}",
            f"bridge {bridge.name}\n{' '.join(bridge.addresses) or _('(no address)')}",
            _("Linux bridge {bridge} in {host}'s namespace ({state})").format(
                bridge=bridge.name, host=net.host, state="up" if bridge.up else "DOWN"
            ),
            hue,
            x_of[bridge.name],
            0,
        )
    for column, ends in under.items():
        for j, (host_end, space, end) in enumerate(ends):
            inside = net.spaces[space]
            route = f"default via {inside.gateway}" if inside.gateway else _("no default route")
            addresses = [
                f"{link.name} {a}" for link in inside.links if link.kind != "loopback" for a in link.addresses
            ]
            graph.add_node(
                f"ns:{space}",
                label="\n".join(
                    [f"{'container' if inside.container else 'netns'} {space}", *addresses, route]
                ),
                title=(
                    _("network namespace {name} (a container's, made by Docker)")
                    if inside.container
                    else _("network namespace {name}")
                ).format(name=space),
                shape="box",
                color={"background": "#ffffff", "border": "#444"},
                font={"face": "monospace"},
                x=x_of[column] + (j - (len(ends) - 1) / 2) * BOX,
                y=ROW * 1.4,
                physics=False,
            )
            if host_end is not None:
                _veth_edge(graph, net.host, column, host_end, space, end)
    count = len(pairs)
    summary = _("host diagram: {bridges}, {pairs}\n{summary}").format(
        bridges=ngettext("{n} bridge", "{n} bridges", len(bridges)).format(n=len(bridges)),
        pairs=ngettext("{n} veth pair", "{n} veth pairs", count).format(n=count),
        summary=net.summary(),
    )
    legend = _(
        "Top: the host's NIC and its bridges. Boxes below: namespaces. "
        "Lines: veth pairs (dashed red: an end is down)."
    )
    return _render(graph, caption, summary, legend)


def _veth_edge(graph: Network, host: str, column: str, host_end: Link, space: str, end: Link) -> None:
    both_up = host_end.up and end.up
    graph.add_edge(
        f"br:{column}" if column != "(none)" else "host",
        f"ns:{space}",
        label=f"{host_end.name} ⇄ {end.name}",
        title=(
            _("veth pair: {host_end} in {host}'s namespace, {end} in {space}")
            if both_up
            else _("veth pair: {host_end} in {host}'s namespace, {end} in {space} (an end is DOWN)")
        ).format(host_end=host_end.name, host=host, end=end.name, space=space),
        color="#555" if both_up else "#e54666",
        dashes=not both_up,
        width=2,
        font={"size": 11, "align": "horizontal"},
    )
