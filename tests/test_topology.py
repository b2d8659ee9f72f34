"""Snapshot, diff, diagram and widget results: the red/blue lab as the views see it."""

import contextlib
import re
from collections.abc import Iterator

import pytest

from course import hostview, widgets
from course.diagram import colour, draw, library
from course.reachability import reachability
from course.topology import build, diff, snapshot

RAW_INFO = {"Name": "h1", "KernelVersion": "6.1.0", "ServerVersion": "20.10.24", "Swarm": {}}
RAW_NETS = [
    {"Name": "bridge", "Id": "a" * 64, "Driver": "bridge", "Scope": "local", "Labels": {},
     "IPAM": {"Config": [{"Subnet": "172.17.0.0/16"}]},
     "Options": {"com.docker.network.bridge.name": "docker0"}},
    {"Name": "red", "Id": "0123456789ab" + "c" * 52, "Driver": "bridge", "Scope": "local",
     "Labels": {"course.lab": "x"},
     "IPAM": {"Config": [{"Subnet": "172.18.0.0/16", "Gateway": "172.18.0.1"}]}},
    {"Name": "theirs", "Id": "d" * 64, "Driver": "bridge", "Scope": "local", "Labels": {}, "IPAM": {}},
]  # fmt: skip
RAW_BOXES = [
    {"Names": ["/ubuntu1"], "State": "running", "Image": "course/lab", "Labels": {"course.lab": "x"},
     "NetworkSettings": {"Networks": {
         "red": {"IPAddress": "172.18.0.2", "IPPrefixLen": 16, "MacAddress": "02:42:ac:12:00:02"},
         "bridge": {"IPAddress": "172.17.0.2", "IPPrefixLen": 16, "Gateway": "172.17.0.1"}}}},
]  # fmt: skip


def test_build_reads_bridges_gateways_and_skips_foreign_networks():
    snap = build(RAW_INFO, RAW_NETS, RAW_BOXES, [], "course.lab=x")
    assert [n.name for n in snap.networks] == ["bridge", "red"]  # "theirs" is not ours, nor used
    assert snap.network("red").bridge == "br-0123456789ab"
    assert snap.network("bridge").bridge == "docker0"
    assert snap.network("bridge").gateway == "172.17.0.1"  # taken from the endpoint
    assert snap.endpoints_of("ubuntu1")["red"].ipv4 == "172.18.0.2/16"
    assert str(snap) == str(build(RAW_INFO, RAW_NETS[::-1], RAW_BOXES, [], "course.lab=x"))


def test_a_network_named_after_a_colour_gets_it():
    assert colour("red", []) == "#e5484d"
    assert colour("b-blue", []) == "#3e82f7"
    assert colour("backend", ["backend", "frontend"]) != colour("frontend", ["backend", "frontend"])


@pytest.fixture
def red_blue(lab):
    lab.network("red")
    lab.network("blue")
    lab.run_many({"t-ubuntu1": "red", "t-ubuntu2": "red", "t-ubuntu3": "blue", "t-ubuntu4": "blue"})
    return lab


@pytest.mark.integration
def test_snapshot_of_red_blue(red_blue):
    snap = snapshot(red_blue)
    assert [n.name for n in snap.networks] == ["blue", "red"]
    for net in snap.networks:
        assert net.bridge == f"br-{net.id[:12]}"
        assert net.subnet and net.gateway and net.lab == red_blue.name
    assert snap.members("red") == ["t-ubuntu1", "t-ubuntu2"]
    assert snap.members("blue") == ["t-ubuntu3", "t-ubuntu4"]
    assert all(e.ipv4 and e.mac for e in snap.endpoints)
    assert "t-ubuntu4  running  blue" in snap.table()


@pytest.mark.integration
def test_diff_after_connect_reports_exactly_the_new_endpoint(red_blue):
    before = snapshot(red_blue)
    red_blue.connect("t-ubuntu1", "blue")
    after = snapshot(red_blue)
    changes = diff(before, after)
    assert [(e.container, e.network) for e in changes.added_endpoints] == [("t-ubuntu1", "blue")]
    assert not (changes.added_networks or changes.added_containers or changes.removed_endpoints)
    assert str(changes).startswith("+ endpoint t-ubuntu1 on blue (")
    assert not diff(after, snapshot(red_blue))


@contextlib.contextmanager
def _counting(api) -> Iterator[list[str]]:
    """The paths of the requests the SDK client ``api`` sends to the engine meanwhile, in order."""
    calls: list[str] = []
    original = api.send

    def counting(request, **kwargs):
        calls.append(request.path_url)  # list.append is atomic: probes run in threads
        return original(request, **kwargs)

    api.send = counting
    try:
        yield calls
    finally:
        del api.send


def _calls_as_the_lab_grows(lab, sizes: tuple[int, ...], measure) -> Iterator[tuple[int, object, list[str]]]:
    """For each size n: n containers on one network, then what ``measure(lab)`` returned and the API
    paths it sent."""
    lab.network("flat")
    for n in sizes:
        lab.run_many({f"t-c{i}": "flat" for i in range(n)})
        with _counting(lab.engine.api) as calls:
            result = measure(lab)
        yield n, result, list(calls)


@pytest.mark.integration
@pytest.mark.one_engine  # counts the course's own API calls: the same on every engine
def test_snapshot_api_calls_do_not_grow_with_containers(lab):
    counts = []
    for n, snap, calls in _calls_as_the_lab_grows(lab, (2, 50), snapshot):
        assert len(snap.containers) == n
        counts.append(len(calls))
    assert counts[0] == counts[1], calls
    assert counts[0] <= 4
    # One at a time: fifty containers removed at once from one network can leave a stale endpoint
    # on Docker 20.10, and then the network cannot be removed until the engine restarts.
    for i in range(50):
        lab.remove(f"t-c{i}")


@pytest.mark.integration
def test_the_matrix_probes_each_pair_with_one_exec_per_question_however_large_the_lab(lab):
    """Three API calls per exec (create, start, inspect) and two execs per pair (nslookup, ping): six
    calls a pair, and a constant few for the whole matrix (one snapshot), at 2 containers as at 4."""
    per_lab = []
    for n, matrix, calls in _calls_as_the_lab_grows(lab, (2, 4), reachability):
        assert all(p.code == "name+ip" for p in matrix.probes)
        execs = [c for c in calls if "/exec" in c]
        assert len(execs) == 3 * 2 * n * (n - 1), execs  # 3 calls an exec, 2 execs a pair, n(n-1) pairs
        per_lab.append(len(calls) - len(execs))
    assert per_lab[0] == per_lab[1] <= 6, per_lab  # the rest: the engine's answer and one snapshot


@pytest.mark.integration
def test_diagram_is_offline_complete_and_stable(red_blue):
    snap = snapshot(red_blue)
    page = draw(snap).html
    assert page == draw(snapshot(red_blue)).html  # same engine state, same bytes
    for text in (page, library().html):
        assert not re.search(r"""(src|href)\s*=\s*["']?https?:""", text)
    assert "cdn" not in page.lower()
    for name in ("t-ubuntu1", "t-ubuntu2", "t-ubuntu3", "t-ubuntu4", "red", "blue"):
        assert f'"label":"{name}' in page
    assert len(page) < 20_000


@pytest.mark.integration
def test_connect_is_highlighted_in_the_diagram(red_blue):
    before = snapshot(red_blue)
    red_blue.connect("t-ubuntu1", "blue")
    after = snapshot(red_blue)
    highlighted = draw(after, diff(before, after)).html
    assert highlighted.count("NEW: added by network connect") == 1
    assert "new since the last step" in highlighted


@pytest.mark.integration
def test_widget_plain_results_for_red_blue(red_blue):
    matrix = reachability(red_blue)
    assert matrix["t-ubuntu4", "t-ubuntu3"].code == "name+ip"
    assert matrix["t-ubuntu4", "t-ubuntu2"].code == "none"
    assert "no DNS entry (no network in common)" in matrix["t-ubuntu4", "t-ubuntu2"].reason
    # the reason names the chain the engine host's own rules drop it in (each engine has its own)
    snap = snapshot(red_blue)
    blue, red = snap.network("blue").bridge, snap.network("red").bridge
    ip4, ip2 = red_blue.addresses("t-ubuntu4")["blue"], red_blue.addresses("t-ubuntu2")["red"]
    trace = hostview.forward_trace(blue, red, ip4, ip2)
    assert trace.dropped and red in trace.rule
    assert f"dropped by the {trace.backend} rule in {trace.chain}" in matrix["t-ubuntu4", "t-ubuntu2"].reason
    assert sum(p.code == "name+ip" for p in matrix.probes) == 4  # two pairs per network, both ways
    red_blue.connect("t-ubuntu1", "blue")
    after = reachability(red_blue)
    assert after["t-ubuntu4", "t-ubuntu1"].code == "name+ip"
    assert after["t-ubuntu1", "t-ubuntu2"].code == "name+ip"  # still on red too
    assert "t-ubuntu1" in after.table().splitlines()[0]
    assert "<table" in after._repr_html_()

    view = widgets.topology(red_blue)
    assert view._repr_mimebundle_()["text/plain"] == snapshot(red_blue).table()
    hosts = widgets.run_command(red_blue, "t-ubuntu4", "cat /etc/hosts")
    assert hosts.exit_code == 0 and "localhost" in hosts.output
    # the widget's plain result against what the engine itself answers to a plain docker exec ping
    row = next(line for line in widgets.matrix(red_blue).plain.splitlines() if line.startswith("t-ubuntu4"))
    assert row.split()[1:] == ["name+ip", "none", "name+ip", "-"]  # to ubuntu1, 2, 3, itself
    boxes = {n: red_blue.engine.containers.get(f"t-ubuntu{n}") for n in (1, 2, 3, 4)}
    for n, answers in ((1, True), (2, False), (3, True)):
        nets = boxes[n].attrs["NetworkSettings"]["Networks"]
        ip = (nets.get("blue") or nets["red"])["IPAddress"]  # on blue if it is there, as the matrix probes
        said = boxes[4].exec_run(["ping", "-c1", "-W1", ip]).exit_code == 0
        assert said == answers, (n, ip)


def test_diff_reports_removed_and_changed_endpoints_and_removed_things():
    before = build(RAW_INFO, RAW_NETS, RAW_BOXES, [], "course.lab=x")
    moved = {
        "red": {"IPAddress": "172.18.0.9", "IPPrefixLen": 16, "MacAddress": "02:42:ac:12:00:09"},  # restarted
    }  # and no longer on the default bridge
    after_boxes = [{**RAW_BOXES[0], "NetworkSettings": {"Networks": moved}}]
    after = build(RAW_INFO, RAW_NETS, after_boxes, [], "course.lab=x")
    changes = diff(before, after)
    assert [(e.container, e.network) for e in changes.removed_endpoints] == [("ubuntu1", "bridge")]
    assert [(a.ipv4, b.ipv4) for a, b in changes.changed_endpoints] == [("172.18.0.2/16", "172.18.0.9/16")]
    assert str(changes).splitlines() == [
        "- network bridge",  # a lab's view holds the default bridge only while one of its containers is on it
        "- endpoint ubuntu1 on bridge (172.17.0.2/16)",
        "~ endpoint ubuntu1 on red: 172.18.0.2/16 -> 172.18.0.9/16",
    ]
    gone = diff(before, build(RAW_INFO, RAW_NETS[:1], [], [], "course.lab=x"))
    assert gone.removed_containers == ("ubuntu1",) and gone.removed_networks == ("bridge", "red")
    assert not diff(before, before) and str(diff(before, before)) == "no change"


def test_boxes_on_the_same_networks_do_not_overlap():
    """Two containers on both red and blue sit side by side, far enough apart for their wider labels;
    so do two on one network with long (/20 pool) addresses."""
    nets = [*RAW_NETS[:2], {**RAW_NETS[1], "Name": "blue", "Id": "e" * 64}]
    both = {
        "red": {"IPAddress": "172.18.0.2", "IPPrefixLen": 16},
        "blue": {"IPAddress": "172.19.0.5", "IPPrefixLen": 16},
    }
    boxes = [
        {"Names": [f"/{n}"], "State": "running", "Image": "course/lab", "Labels": {"course.lab": "x"},
         "NetworkSettings": {"Networks": both}}
        for n in ("ubuntu1", "ubuntu2")
    ]  # fmt: skip
    from course.diagram import network_graph

    graph = network_graph(build(RAW_INFO, nets, boxes, [], "course.lab=x"))
    xs = sorted(n["x"] for n in graph.nodes if n["id"].startswith("ctr:"))
    assert len(xs) == 2 and xs[1] - xs[0] >= 8.5 * len("blue 172.19.0.5") + 30  # box width and a gap

    one = {"red": {"IPAddress": "192.168.144.2", "IPPrefixLen": 20}}
    boxes = [{**box, "NetworkSettings": {"Networks": one}} for box in boxes]
    graph = network_graph(build(RAW_INFO, nets, boxes, [], "course.lab=x"))
    xs = sorted(n["x"] for n in graph.nodes if n["id"].startswith("ctr:"))
    assert xs[1] - xs[0] >= 8.5 * len("192.168.144.2") + 30
    # and the layout does not depend on which addresses the engine handed out
    short = [{**box, "NetworkSettings": {"Networks": {"red": {"IPAddress": "10.0.0.2", "IPPrefixLen": 8}}}}
             for box in boxes]  # fmt: skip
    again = network_graph(build(RAW_INFO, nets, short, [], "course.lab=x"))
    assert sorted(n["x"] for n in again.nodes if n["id"].startswith("ctr:")) == xs
