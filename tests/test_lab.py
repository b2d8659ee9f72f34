"""The workshop's red/blue lab, and the Lab lifecycle, on the real engine."""

import io
import tarfile

import docker
import pytest

from course import capture, hostview
from course.engines import images
from course.errors import CourseError, ForeignResource, ImageMissing, InvalidName, UnknownResource
from course.lab import Lab
from course.names import LABEL
from course.reachability import reachability

pytestmark = pytest.mark.integration


def build_red_blue(lab: Lab) -> None:
    lab.network("red")  # docker network create red
    lab.network("blue")  # docker network create blue
    lab.run_many({"t-ubuntu1": "red", "t-ubuntu2": "red", "t-ubuntu3": "blue", "t-ubuntu4": "blue"})


@pytest.mark.parametrize("round_", [1, 2])  # the same scenario twice in a row must pass
def test_blue_cannot_resolve_red_until_connected(lab, round_):
    build_red_blue(lab)
    assert lab.resolve("t-ubuntu4", "t-ubuntu2") is None  # red is another network: no DNS entry
    assert not lab.ping("t-ubuntu4", "t-ubuntu2")
    assert lab.resolve("t-ubuntu4", "t-ubuntu3") == lab.addresses("t-ubuntu3")["blue"]
    assert lab.ping("t-ubuntu4", "t-ubuntu3")

    lab.connect("t-ubuntu1", "blue")  # docker network connect blue ubuntu1

    assert lab.ping("t-ubuntu4", "t-ubuntu1")
    assert set(lab.addresses("t-ubuntu1")) == {"red", "blue"}
    eths = [i for i in lab.interfaces("t-ubuntu1") if i.name != "lo"]
    assert len(eths) == 2
    assert all(i.peer_index is not None and i.addresses for i in eths)

    removed = lab.cleanup()
    assert removed.containers == ("t-ubuntu1", "t-ubuntu2", "t-ubuntu3", "t-ubuntu4")
    assert removed.networks == ("blue", "red")
    assert lab.containers() == [] and lab.networks() == []


def test_by_ip_the_isolation_rules_drop_packets_between_bridges(lab):
    build_red_blue(lab)
    red_ip = lab.addresses("t-ubuntu2")["red"]
    assert not lab.ping("t-ubuntu4", red_ip)
    lab.disconnect("t-ubuntu1", "blue")  # not connected: nothing to do, no error


def test_creating_twice_is_idempotent(lab):
    first = lab.network("red")
    box = lab.run("t-web", "red")
    assert lab.network("red").id == first.id
    assert lab.run("t-web", "red").id == box.id
    box.stop(timeout=2)
    assert lab.run("t-web", "red").status == "running"  # a stopped container is started again
    lab.connect("t-web", "bridge")
    lab.connect("t-web", "bridge")
    assert set(lab.addresses("t-web")) == {"bridge", "red"}


def test_published_port_answers_on_loopback_only(lab):
    lab.network("web")
    lab.run("t-httpd", "web", publish={80: None}, command=["httpd", "-f", "-p", "80", "-h", "/var/www"])
    box = lab.container("t-httpd")
    bound = box.attrs["NetworkSettings"]["Ports"]["80/tcp"]  # what the engine reports it bound
    assert [b["HostIp"] for b in bound] == ["127.0.0.1"]
    assert lab.port("t-httpd", 80) == int(bound[0]["HostPort"])
    assert hostview.fetch(lab.port("t-httpd", 80)) == "hello from the course lab image\n"


def test_a_users_own_resources_are_never_touched(lab, engine):
    mine_net = engine.networks.create("t-users-own-net")
    mine_box = engine.containers.run(images.LAB_IMAGE, ["sleep", "300"], name="t-users-own", detach=True)
    try:
        with pytest.raises(ForeignResource, match="not created by the course"):
            lab.network("t-users-own-net")
        with pytest.raises(ForeignResource, match="not created by the course"):
            lab.run("t-users-own", "bridge")
        with pytest.raises(ForeignResource):
            lab.exec("t-users-own", ["true"])
        lab.network("red")
        lab.run("t-ours", "red")
        # The lab's own cleanup only; course reset (every lab) is tested in tests/scenarios, on an engine
        # the course started, since here it would also remove a learner's open notebooks' labs.
        removed = lab.cleanup()
        assert removed.containers == ("t-ours",) and removed.networks == ("red",)
        assert engine.containers.get("t-users-own").status == "running"
        assert engine.networks.get(mine_net.id).name == "t-users-own-net"
        assert not engine.containers.list(all=True, filters={"label": f"{LABEL}={lab.name}"})
    finally:
        mine_box.remove(force=True)
        mine_net.remove()


def test_a_name_used_by_another_lab_names_that_lab(lab):
    other = Lab("t-other")
    try:
        other.network("t-shared")
        with pytest.raises(ForeignResource, match=r"used by course lab 't-other'.*Lab\('t-other'\)"):
            lab.network("t-shared")
    finally:
        other.cleanup()


def test_unknown_container_and_network_list_what_the_lab_has(lab):
    lab.network("red")
    lab.run("t-ubuntu1", "red")
    with pytest.raises(UnknownResource) as caught:
        lab.ping("t-nobody", "t-ubuntu1")
    assert str(caught.value).startswith("No container named 't-nobody' in lab")
    assert "(it has: t-ubuntu1)" in str(caught.value)
    with pytest.raises(UnknownResource, match=r"No network named 'green'.*lab.network\('green'\)"):
        lab.connect("t-ubuntu1", "green")
    with pytest.raises(UnknownResource, match="Create it first"):
        lab.run("t-ubuntu5", "green")


def test_bad_input_is_refused_before_the_engine_sees_it(lab):
    with pytest.raises(InvalidName):
        lab.network("red net")
    with pytest.raises(InvalidName):
        lab.run("ubuntu;rm", "bridge")
    with pytest.raises(InvalidName):
        lab.ping("t-a1", "$(reboot)")
    with pytest.raises(CourseError, match="must be a list of strings"):
        lab.exec("t-a1", "cat /etc/hosts")
    with pytest.raises(CourseError, match="built in"):
        lab.network("bridge")


def test_a_missing_image_says_how_to_build_it(lab, monkeypatch):
    lab.network("red")
    monkeypatch.setattr(images, "LAB_IMAGE", "course/not-built:latest")
    with pytest.raises(ImageMissing, match="course images build"):
        lab.run("t-noimage", "red")


def test_lab_image_is_small_and_has_the_workshop_tools(engine):
    image = images.build_lab_image()
    assert image.attrs["Size"] < 25_000_000  # busybox, and tcpdump with its libraries
    listing = engine.containers.run(images.LAB_IMAGE, ["ls", "/bin"], remove=True).decode().split()
    assert set(images.REQUIRED_TOOLS) <= set(listing)
    said = engine.containers.run(images.LAB_IMAGE, ["tcpdump", "--version"], remove=True).decode()
    assert said.startswith("tcpdump version ")  # it runs: every library it needs is in the image
    assert images.build_lab_image().id == image.id  # cached: built once


def test_tcpdump_in_a_sniffer_container_sees_a_ping_and_its_errors_are_named(lab):
    lab.run("t-pinger")
    pinger_ip = lab.addresses("t-pinger")["bridge"]
    sniff = ["tcpdump", "-lni", "docker0", "-c", "2", f"icmp and host {pinger_ip}"]  # no other lab's pings
    lab.run("t-sniff", "host", command=sniff)
    assert "listening on docker0" in capture.listening(lab, "t-sniff")
    gateway = lab.exec("t-pinger", ["ip", "route"]).output.split()[2]  # default via GATEWAY dev eth0
    assert lab.ping("t-pinger", gateway)
    said = capture.finished(lab, "t-sniff")
    assert [(p.src, p.dst) for p in capture.parse(said)] == [(pinger_ip, gateway), (gateway, pinger_ip)]
    lab.run("t-sniff-bad", "host", command=["tcpdump", "-lni", "no-such-if0", "-c", "2"])
    with pytest.raises(CourseError, match=r"The tcpdump in t-sniff-bad ended \(exited, .*no-such-if0"):
        capture.listening(lab, "t-sniff-bad")
    lab.run("t-sniff-idle", "host", command=["tcpdump", "-lni", "lo", "-c", "2", "udp port 9"])
    capture.listening(lab, "t-sniff-idle")  # nothing will come: it never gets its two packets
    with pytest.raises(CourseError, match="caught 0 packets in 2 s") as raised:
        capture.finished(lab, "t-sniff-idle", timeout=2)
    assert "docker stop t-sniff-idle" in raised.value.fix
    with pytest.raises(CourseError, match="There is no container t-sniff-none"):
        capture.listening(lab, "t-sniff-none")


def test_creating_again_with_other_settings_says_what_differs_and_how_to_redo_it(lab):
    lab.network("red")
    with pytest.raises(CourseError, match=r"network 'red', made with other settings: internal False \(you"):
        lab.network("red", internal=True)
    lab.network("blue")
    lab.run("t-one", "red")
    with pytest.raises(CourseError, match=r"network 'red' \(you asked for 'blue'\).*lab\.remove\('t-one'\)"):
        lab.run("t-one", "blue")
    with pytest.raises(CourseError, match=r"command .*you asked for \['sleep', '60'\]"):
        lab.run("t-one", "red", command=["sleep", "60"])
    with pytest.raises(CourseError, match=r"published ports \[\] \(you asked for \[80\]\)"):
        lab.run("t-one", "red", publish={80: None})
    lab.connect("t-one", "blue")
    assert lab.run("t-one", "red").name == "t-one"  # the same request again, even after a connect
    lab.remove("t-one")  # docker rm -f t-one
    lab.run("t-one", "red", publish={80: None})
    assert lab.port("t-one", 80) > 1024  # the port the engine picked, as it reports it
    lab.remove("t-one")
    lab.remove_network("red")  # docker network rm red
    assert lab.containers() == [] and lab.networks() == ["blue"]


def test_a_name_that_is_the_start_of_another_containers_id_is_not_that_container(lab, engine):
    stranger = engine.containers.run(images.LAB_IMAGE, ["sleep", "300"], detach=True)  # no name given
    prefix = stranger.id[:6]  # hex digits: a valid container name
    try:
        with pytest.raises(UnknownResource):
            lab.exec(prefix, ["true"])  # docker would take the ID prefix; the course does not
        mine = lab.run(prefix, "bridge")
        assert mine.id != stranger.id and mine.name == prefix
    finally:
        stranger.remove(force=True)


def test_the_lab_records_each_docker_command_exactly_and_a_refused_one_as_a_comment(lab, engine, capsys):
    lab.echo = True
    lab.network("red")
    lab.run("t-rec", "red", publish={80: None})
    lab.connect("t-rec", "bridge")
    lab.exec("t-rec", ["true"])
    shown = capsys.readouterr().out.splitlines()
    assert shown[0] == f"$ docker network create --label course.lab={lab.name} red"
    assert shown[1].startswith(f"$ docker run -d --name t-rec --label course.lab={lab.name} --network red ")
    assert " -p 127.0.0.1::80 course/lab:latest /bin/sh -c " in shown[1]
    assert shown[2:] == ["$ docker network connect bridge t-rec", "$ docker exec t-rec true"]
    script = lab.script()
    assert "docker exec" not in script and lab.script(everything=True).endswith("docker exec t-rec true\n")
    if engine.info()["Swarm"]["LocalNodeState"] == "inactive":
        with pytest.raises(CourseError, match="swarm"):
            lab.network("t-multi", driver="overlay")
        refused = f"# refused by the engine: docker network create --label course.lab={lab.name} --driver"
        assert refused in lab.script()


def test_a_learners_own_containers_can_be_probed_but_not_changed(lab, engine):
    mine = [
        engine.containers.run(images.LAB_IMAGE, ["sleep", "300"], name=name, detach=True, network="bridge")
        for name in ("t-mine1", "t-mine2")
    ]
    try:
        ip = lab.addresses("t-mine2")["bridge"]
        assert lab.ping("t-mine1", ip)  # probing only looks: allowed
        assert lab.resolve("t-mine1", "t-mine2") is None  # the default bridge has no names
        matrix = reachability(lab, ["t-mine1", "t-mine2"])
        assert matrix["t-mine1", "t-mine2"].code == "ip only"
        with pytest.raises(ForeignResource):
            lab.connect("t-mine1", "bridge")  # changing stays the course's own business
        with pytest.raises(ForeignResource):
            lab.exec("t-mine1", ["touch", "/tmp/x"])
        assert all(c.reload() is None and c.status == "running" for c in mine)
    finally:
        for box in mine:
            box.remove(force=True)


def test_exec_or_probe_in_a_stopped_container_says_how_to_start_it(lab):
    lab.network("t-net")
    lab.run("t-off", "t-net")
    lab.container("t-off").stop(timeout=1)
    with pytest.raises(
        CourseError, match=r"'t-off' is exited, not running.*lab.run\('t-off', \.\.\.\) or docker start t-off"
    ):
        lab.exec("t-off", ["true"])
    with pytest.raises(
        CourseError, match=r"'t-off' is exited, not running.*Start it with docker start t-off"
    ):
        lab.ping("t-off", "127.0.0.1")


def test_an_image_imported_again_leaves_no_untagged_copy_behind(engine):
    from course.engines.images import import_rootfs

    def rootfs(text: bytes) -> bytes:
        packed = io.BytesIO()
        with tarfile.open(fileobj=packed, mode="w") as tar:
            info = tarfile.TarInfo("hello")
            info.size = len(text)
            tar.addfile(info, io.BytesIO(text))
        return packed.getvalue()

    try:
        first = import_rootfs("course/t-import:latest", rootfs(b"one"), "course.t", "1", [])
        second = import_rootfs("course/t-import:latest", rootfs(b"two"), "course.t", "2", [])
        assert second.id != first.id
        with pytest.raises(docker.errors.ImageNotFound):
            engine.images.get(first.id)  # replaced, and gone: no <none> image left
        assert import_rootfs("course/t-import:latest", rootfs(b"two"), "course.t", "2", []).id == second.id
    finally:
        engine.images.remove("course/t-import:latest", force=True)
