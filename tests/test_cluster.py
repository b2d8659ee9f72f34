"""Simulated hosts on the real engine: ports, swarm, overlay, VXLAN on the wire, failure and rejoin.

One 3-node cluster serves the module (it takes ~20 s to start) and is removed at its end; a 1-node
cluster of its own shows that down() leaves nothing on the host engine, so no test depends on order.
"""

import grp
import os
import pwd
import re
import shutil
import subprocess
import sys

import docker
import pytest

from course import exercises, underlay
from course.capture import capture
from course.cluster import Cluster
from course.diagram import draw_cluster
from course.engines import streams
from course.engines.images import KEEPALIVE, LAB_IMAGE
from course.errors import CourseError
from course.names import LABEL

# On the first engine only: notebook 05 runs the simulated hosts under nbval on every engine (nodes of
# that engine's version, their swarm, an overlay, VXLAN on the wire, a host down and back), and what
# these tests add is the course's own plumbing (TLS, tunnels, images, cleanup, the diagram).
pytestmark = [pytest.mark.integration, pytest.mark.one_engine]
NAME = "t-cluster"


@pytest.fixture(scope="module")
def cluster(engine):
    made = Cluster(NAME)
    made.down()
    made.up()
    made.swarm()
    made.lab_on("node1").network("t-ov", driver="overlay", attachable=True)
    made.lab_on("node1").run("t-c1", "t-ov")
    made.lab_on("node3").run("t-c3", "t-ov")
    on1, on3 = made.lab_on("node1"), made.lab_on("node3")
    # node1 hears of t-c3 by gossip from node3, a moment after it starts
    assert made.wait_for(lambda: on1.resolve("t-c1", "t-c3") == on3.addresses("t-c3")["t-ov"], timeout=20)
    yield made
    made.down()


def test_nodes_are_hosts_with_their_own_names_addresses_and_kernel(cluster):
    assert [n.name for n in cluster.nodes] == ["node1", "node2", "node3"]
    underlay = {c.name: c.attrs["NetworkSettings"]["Networks"] for c in map(cluster.container, cluster.names)}
    assert len({nets[cluster.underlay]["IPAddress"] for nets in underlay.values()}) == 3  # as the engine says
    assert cluster.node("node2").engine.info()["Name"] == "node2"  # node2's own engine answers as node2
    major, minor = map(int, cluster.kernel("node1").split(".")[:2])
    assert (major, minor) >= (3, 16)


def test_05_2_a_container_typed_on_node2_is_checked_and_a_wrong_one_says_why(cluster):
    def typed(*argv: str) -> None:  # as a %%docker cell runs it: the docker CLI inside node2
        node2 = cluster.container_name("node2")
        subprocess.run(["docker", "exec", node2, "docker", *argv], check=True, capture_output=True)

    assert not exercises.reached_across_hosts(cluster, "t-c1", "node2").answered  # nothing there yet
    typed("run", "-itd", "--name", "t-lonely", "course/lab")  # on node2's default bridge
    wrong = exercises.reached_across_hosts(cluster, "t-c1", "node2")
    assert not wrong.ok and "cannot reach t-lonely by name" in wrong.message and "t-ov" in wrong.message
    typed("run", "-itd", "--net=t-ov", "--name", "t-c2", "course/lab")
    right = exercises.reached_across_hosts(cluster, "t-c1", "node2")
    assert right.ok and "reaches t-c2 on node2" in right.message
    page = draw_cluster(cluster.snapshot()).html  # typed on a host, it is drawn; off the overlay, not
    assert '"label":"t-c2' in page and '"label":"overlay t-ov' in page and "t-lonely" not in page
    typed("rm", "-f", "t-lonely", "t-c2")


def test_overlay_ports_answer_between_nodes(cluster):
    to_manager = {(c.port, c.proto): c.ok for c in underlay.check_ports(cluster, "node2", "node1")}
    assert to_manager == {(2377, "tcp"): True, (7946, "tcp"): True, (7946, "udp"): True, (4789, "udp"): True}
    to_worker = {(c.port, c.proto): c.ok for c in underlay.check_ports(cluster, "node1", "node3")}
    assert to_worker[(2377, "tcp")] is False  # only managers listen on 2377
    assert to_worker[(7946, "tcp")] and to_worker[(4789, "udp")]


def test_containers_on_two_hosts_reach_each_other_by_name(cluster):
    on1 = cluster.lab_on("node1")
    assert on1.resolve("t-c1", "t-c3") == cluster.lab_on("node3").addresses("t-c3")["t-ov"]
    assert on1.ping("t-c1", "t-c3")
    assert cluster.node_states() == {"node1": "ready", "node2": "ready", "node3": "ready"}


def test_the_ping_crosses_the_underlay_as_vxlan(cluster):
    on1 = cluster.lab_on("node1")
    packets = capture(cluster, "node1", "vxlan", during=lambda: on1.ping("t-c1", "t-c3", count=2))
    assert packets, "no VXLAN packet seen"
    first = packets[0]
    assert (first.src, first.dst, first.dport) == (cluster.node("node1").ip, cluster.node("node3").ip, 4789)
    assert first.vni and first.inner.startswith("ICMP echo request")
    assert first.inner_dst == cluster.lab_on("node3").addresses("t-c3")["t-ov"]
    gossip = capture(cluster, "node1", "gossip", count=2, seconds=6)
    assert any(p.dport == 7946 for p in gossip)


def test_blocking_udp_4789_breaks_pings_but_not_the_swarm(cluster):
    on1 = cluster.lab_on("node1")
    underlay.block_vxlan(cluster, "node3")
    try:
        assert not on1.ping("t-c1", "t-c3")
        assert cluster.node_states()["node3"] == "ready"  # gossip and management still get through
    finally:
        underlay.block_vxlan(cluster, "node3", blocked=False)
    assert cluster.wait_for(lambda: on1.ping("t-c1", "t-c3"), timeout=30)


def test_a_stopped_node_goes_down_its_tasks_move_and_it_rejoins(cluster):
    manager = cluster.nodes[0].engine
    service = manager.services.create(
        LAB_IMAGE,
        command=KEEPALIVE,
        name="t-web",
        networks=["t-ov"],
        mode=docker.types.ServiceMode("replicated", replicas=3),
    )
    hostnames = {n.id: n.attrs["Description"]["Hostname"] for n in manager.nodes.list()}

    def placed():
        return sorted(
            hostnames.get(t.get("NodeID"), "?")
            for t in service.tasks()
            if t["DesiredState"] == "running" and t["Status"]["State"] == "running"
        )

    try:
        assert cluster.wait_for(lambda: len(placed()) == 3, timeout=60)
        cluster.stop_node("node2")
        assert cluster.wait_for(lambda: cluster.node_states()["node2"] == "down", timeout=60)
        assert cluster.wait_for(lambda: len(placed()) == 3 and "node2" not in placed(), timeout=90)
        cluster.start_node("node2")
        assert cluster.wait_for(lambda: cluster.node_states()["node2"] == "ready", timeout=90)
    finally:
        service.remove()


def test_an_encrypted_overlay_is_esp_on_the_wire_where_the_kernel_has_ipsec(cluster):
    on1, on3 = cluster.lab_on("node1"), cluster.lab_on("node3")
    on1.network("t-secret", driver="overlay", attachable=True, encrypted=True)
    on1.run("t-s1", "t-secret")
    on3.run("t-s3", "t-secret")
    if not underlay.ipsec_capable(cluster, "node1") and not on1.ping("t-s1", "t-s3", count=2, timeout=2):
        pytest.skip("this kernel has no AES-GCM for IPsec: an encrypted overlay carries no traffic")
    packets = capture(cluster, "node1", "esp", during=lambda: on1.ping("t-s1", "t-s3", count=2))
    assert packets and all(p.protocol == "ESP" and p.inner is None for p in packets)


@pytest.mark.skipif(os.geteuid() != 0 or not shutil.which("setpriv"), reason="needs root to drop to nobody")
def test_a_local_user_without_the_certificates_cannot_drive_a_node_engine(cluster, engine):
    # What the engine reports: only 2376 is published, and only on loopback.
    for node in cluster.nodes:
        ports = cluster.container(node.name).attrs["NetworkSettings"]["Ports"]
        assert set(ports) == {"2376/tcp"}
        assert {b["HostIp"] for b in ports["2376/tcp"]} == {"127.0.0.1"}
    url = cluster.node("node1").url
    key = cluster.certs.client / "key.pem"
    as_nobody = ["setpriv", "--reuid=nobody", f"--regid={_nobody_group()}", "--clear-groups"]
    env = {"PATH": os.environ["PATH"], "DOCKER_CONFIG": "/tmp", "HOME": "/tmp"}

    def attempt(*argv: str) -> subprocess.CompletedProcess:
        return subprocess.run([*as_nobody, *argv], capture_output=True, text=True, env=env, timeout=30)

    docker_cli = shutil.which("docker")
    plain = attempt(docker_cli, "-H", url, "version", "--format", "{{.Server.Version}}")
    assert plain.returncode != 0 and "HTTPS" in plain.stderr  # plain HTTP: no engine behind it
    # TLS without the client's certificate: the engine ends the handshake ("certificate required").
    port = url.rsplit(":", 1)[1]
    no_cert = attempt(sys.executable, "-c", _TLS_WITHOUT_CERT, port)
    # Go's TLS says "certificate required" (TLS 1.3, Docker 28) or "bad certificate" (Docker 20.10)
    assert no_cert.returncode != 0, no_cert.stdout
    assert re.search(r"ALERT_(CERTIFICATE_REQUIRED|BAD_CERTIFICATE)", no_cert.stderr), no_cert.stderr
    stolen = attempt("cat", str(key))
    assert stolen.returncode != 0 and "Permission denied" in stolen.stderr
    # The course itself, with the certificates, does reach it.
    assert cluster.node("node1").engine.version()["Version"] == engine.version()["Version"]


_TLS_WITHOUT_CERT = """
import socket, ssl, sys
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
ctx.check_hostname, ctx.verify_mode = False, ssl.CERT_NONE
conn = ctx.wrap_socket(socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=10))
conn.sendall(b"GET /version HTTP/1.1\\r\\nHost: node\\r\\n\\r\\n")
print(conn.recv(200))
"""


def _nobody_group() -> str:
    return grp.getgrgid(pwd.getpwnam("nobody").pw_gid).gr_name


def test_down_leaves_nothing_on_the_host(engine):
    """A cluster of its own, so that no other test depends on running before this one."""
    small = Cluster("t-down", size=1)
    small.up()
    assert engine.volumes.list(filters={"label": f"{LABEL}=t-down"})  # it made things to remove
    small.down()
    label = f"{LABEL}=t-down"
    assert not engine.containers.list(all=True, filters={"label": label})
    assert not engine.networks.list(filters={"label": label})
    assert not engine.volumes.list(filters={"label": label})


def test_a_cluster_that_is_not_up_says_so_not_that_its_node_is_unknown(engine):
    idle = Cluster("t-notup", size=2)
    with pytest.raises(CourseError) as caught:
        idle.node("node1")
    assert "node1 is not running: the simulated hosts are not up" in str(caught.value)
    assert "cluster.up()" in caught.value.fix
    with pytest.raises(CourseError) as caught:
        idle.node("node7")
    assert str(caught.value) == "No node 'node7' in this cluster. Its nodes are node1, node2."


def test_a_volume_of_the_same_name_that_is_not_the_clusters_is_never_reused(engine):
    mine = engine.volumes.create("course-t-foreign-node1")  # a user's volume, no course label
    cluster = Cluster("t-foreign", size=1)
    try:
        with pytest.raises(CourseError) as caught:
            cluster.up()
        assert "course-t-foreign-node1" in str(caught.value) and "not created by the course" in str(
            caught.value
        )
        assert not engine.containers.list(all=True, filters={"label": f"{LABEL}=t-foreign"})
    finally:
        cluster.down()
        assert engine.volumes.get(mine.name).attrs.get("Labels") in (None, {})  # untouched, still there
        mine.remove()


def test_an_exec_through_tls_is_read_as_it_prints_not_when_it_ends(cluster):
    """streams.frames sees a line while its process still runs, on a node's engine reached with TLS: the
    reader docker-py uses waits on the socket while TLS holds the line, until the process ends."""
    api = cluster.node("node1").engine.api
    made = api.exec_create("t-c1", ["sh", "-c", "echo ready; sleep 15"], stdout=True, stderr=True)["Id"]
    reading = streams.frames(api, made)
    stream, data = next(reading)
    running = api.exec_inspect(made)["Running"]
    reading.close()
    assert (stream, data, running) == (streams.STDOUT, b"ready\n", True)


def test_a_capture_on_a_node_whose_lab_image_lacks_tcpdump_says_how_to_build_one(cluster):
    """As with busybox pulled from a registry as the lab image: it has no tcpdump."""
    engine = cluster.node("node2").engine
    built = engine.images.get(LAB_IMAGE)
    stripped = engine.containers.run(LAB_IMAGE, ["rm", "/usr/bin/tcpdump"], detach=True)
    image = None
    try:
        assert stripped.wait()["StatusCode"] == 0
        image = stripped.commit(*LAB_IMAGE.split(":"))  # docker commit: course/lab without tcpdump
        with pytest.raises(CourseError, match="The lab image on node2 has no tcpdump") as raised:
            capture(cluster, "node2", "gossip", count=1, seconds=2)
        assert "course images build" in raised.value.fix
    finally:
        stripped.remove()
        built.tag(*LAB_IMAGE.split(":"))
        if image is not None:
            engine.images.remove(image.id)


def test_the_cluster_diagram_labels_each_host_with_its_underlay_address(cluster):
    page = draw_cluster(cluster.snapshot()).html
    for node in cluster.nodes:  # the address the engine gave the node's container on the underlay
        box = cluster.container(node.name)
        ip = box.attrs["NetworkSettings"]["Networks"][cluster.underlay]["IPAddress"]
        assert f'"label":"{node.name}\\n{ip}' in page, node.name


def test_a_node_whose_engine_will_not_start_is_given_its_certificates_again(cluster, monkeypatch):
    """``start_node``: a node whose dockerd exits at once for want of its certificate (seen once, on an
    engine reached through DOCKER_HOST) gets them copied again and starts; the engine says so."""
    import io
    import tarfile

    cluster.stop_node("node3")
    real, boots = cluster._boot, []

    def first_without_a_certificate(box):
        boots.append(box.name)
        if len(boots) > 1:
            return real(box)
        bad = io.BytesIO()
        with tarfile.open(fileobj=bad, mode="w") as tar:
            info = tarfile.TarInfo("certs/server/cert.pem")
            info.size = 5
            tar.addfile(info, io.BytesIO(b"wrong"))
        box.put_archive("/", bad.getvalue())
        box.start()
        return None

    monkeypatch.setattr(cluster, "_boot", first_without_a_certificate)
    cluster.start_node("node3", timeout=30)
    assert len(boots) == 2
    assert cluster.wait_for(lambda: cluster.node_states()["node3"] == "ready", timeout=90)
