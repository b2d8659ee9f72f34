"""Classroom mode: each learner's notebook server sees only the learner's own engine.

A learner's server is stood in for by a container of the node image (it has the ``docker`` CLI) run
with ``server_options()``, exactly as the hub runs the real one. Everything is checked on what the
engines report.
"""

from __future__ import annotations

import asyncio
import socket
import subprocess

import pytest

from course.classroom import learner_engine
from course.engines.images import KEEPALIVE, LAB_IMAGE
from course.engines.node_image import build_node_image
from course.errors import CourseError
from course.waiting import until

# On the first engine only, as the classroom hub scenario: a room is served from the engine make test
# starts first (Docker 29), and the learners' engines inside it are the course's own.
pytestmark = [pytest.mark.integration, pytest.mark.one_engine]


def test_learner_names_are_checked():
    for bad in ("Ann", "1ann", "ann bob", "", "a" * 40, "../x"):
        with pytest.raises(CourseError, match="not a usable learner name"):
            learner_engine.check_learner(bad)
    for taken in ("hub", "instructor"):  # the hub's network is classroom-hub; instructor is the room's admin
        with pytest.raises(CourseError, match="the classroom's own name"):
            learner_engine.check_learner(taken)
    assert learner_engine.check_learner("learner-07") == "learner-07"


@pytest.fixture
def room(engine):
    made = [learner_engine.LearnerEngine(name) for name in ("t-ann", "t-bob")]
    for learner in made:
        learner.remove()
    servers = []

    def server(learner: learner_engine.LearnerEngine):
        box = engine.containers.run(
            build_node_image(), ["sleep", "600"], name=f"classroom-{learner.learner}-server", detach=True,
            **learner.server_options(),
        )  # fmt: skip
        servers.append(box)
        return box

    yield made, server
    for learner in made:
        learner.remove()
    assert engine.containers.list(all=True, filters={"label": learner_engine.CLASSROOM_LABEL}) == []
    assert engine.volumes.list(filters={"label": learner_engine.CLASSROOM_LABEL}) == []


def _docker(box, *argv: str) -> tuple[int, str]:
    code, out = box.exec_run(["docker", *argv])  # DOCKER_HOST comes from server_options()
    return code, out.decode(errors="replace").strip()


def test_each_learner_sees_only_their_own_engine_and_a_reset_keeps_notebooks(engine, room):
    (ann, bob), server = room
    for learner in (ann, bob):
        learner.start()
        learner.load(LAB_IMAGE)
    assert {"t-ann", "t-bob"} <= set(learner_engine.learners())
    ann_server, bob_server = server(ann), server(bob)

    # each server runs as the learner's unprivileged user, and its docker answers, with their own engine
    assert ann_server.exec_run(["id", "-u"]).output.strip() == str(learner_engine.LEARNER_UID).encode()
    assert _docker(ann_server, "info", "--format", "{{.Name}}") == (0, "t-ann-engine")
    assert _docker(bob_server, "info", "--format", "{{.Name}}") == (0, "t-bob-engine")
    assert _docker(ann_server, "run", "-d", "--name", "ann-box", LAB_IMAGE, *KEEPALIVE)[0] == 0
    assert _docker(ann_server, "network", "create", "ann-net")[0] == 0
    assert _docker(ann_server, "ps", "--format", "{{.Names}}") == (0, "ann-box")
    assert _docker(bob_server, "ps", "-a", "--format", "{{.Names}}") == (0, "")
    assert engine.containers.list(all=True, filters={"name": "^ann-box$"}) == []  # not on the host engine

    # no learner container holds the host's socket, and each engine has its limits
    for box in (ann_server, bob_server, ann.container(), bob.container()):
        box.reload()
        assert not any("docker.sock" in m["Source"] for m in box.attrs["Mounts"]), box.name
    assert ann_server.exec_run(["test", "-e", "/var/run/docker.sock"]).exit_code != 0
    limits = ann.container().attrs["HostConfig"]
    assert (limits["Memory"], limits["NanoCpus"], limits["PidsLimit"]) == (3 * 1024**3, 10**9, 4096)
    assert ann.container().attrs["NetworkSettings"]["Ports"] in ({}, None)  # no TCP port at all

    # the learner's notebooks and progress live in their home volume; the instructor's table reads it
    assert ann_server.exec_run(["sh", "-c", "echo mine > /home/learner/notes.ipynb"]).exit_code == 0
    record = '{"exercises": {"04.2": {"ok": true}, "04.1": {"ok": false, "tries": 2}, "03.1": {"ok": true}}}'
    state = "/home/learner/.local/state/dockernet-course"
    assert (
        ann_server.exec_run(
            ["sh", "-c", f"mkdir -p {state} && echo '{record}' > {state}/progress.json"]
        ).exit_code
        == 0
    )
    table = learner_engine.class_progress(["t-ann", "t-bob"]).splitlines()
    assert table[0].split() == ["learner", "01", "02", "03", "04", "05", "06", "07", "solved"]
    assert table[1].split() == ["t-ann", "0/2", "0/2", "1/2", "1/2", "0/2", "0/3", "0/7", "2/20"]
    assert table[2].split() == ["t-bob", "0/2", "0/2", "0/2", "0/2", "0/2", "0/3", "0/7", "0/20"]  # none yet
    reset = ann.reset()
    assert reset.containers == ("ann-box",) and reset.networks == ("ann-net",)
    assert str(reset).startswith("Removed 1 containers (ann-box), 1 networks (ann-net)")
    assert _docker(ann_server, "ps", "-a", "-q") == (0, "")
    assert _docker(ann_server, "network", "ls", "--filter", "type=custom", "-q") == (0, "")
    assert ann_server.exec_run(["cat", "/home/learner/notes.ipynb"]).output == b"mine\n"
    assert learner_engine.class_progress(["t-ann"]).splitlines()[1].split()[-1] == "2/20"  # progress kept too
    assert _docker(ann_server, "image", "ls", "-q", LAB_IMAGE)[1] != ""  # images stay
    assert _docker(bob_server, "info", "--format", "{{.Containers}}") == (0, "0")


def test_a_fork_bomb_in_one_learners_server_stays_in_it(engine, room):
    """The server's process limit holds: ann's server fills it, and bob's server, his engine and the host
    engine keep answering."""
    (ann, bob), server = room
    for learner in (ann, bob):
        learner.start()
    ann_server, bob_server = server(ann), server(bob)
    ann_server.exec_run(["sh", "-c", "bomb() { bomb | bomb & }; bomb"], detach=True)
    limit = learner_engine.SERVER_LIMITS["pids_limit"]

    def processes() -> int:  # as the engine counts them, in the server's cgroup
        return ann_server.stats(stream=False)["pids_stats"].get("current", 0)

    until(lambda: processes() >= limit * 0.9, 60, 0.5, "the fork bomb to fill ann's server")
    assert processes() <= limit
    assert _docker(bob_server, "version", "--format", "{{.Server.Os}}") == (0, "linux")
    assert bob.docker("network", "create", "bob-net")[0] == 0  # bob's engine works
    assert engine.ping() and subprocess.run(["true"], check=False).returncode == 0  # the host forks
    ann_server.remove(force=True)  # docker rm -f: the whole bomb goes with its container


def test_learners_are_walled_off_from_each_other_and_the_host_still_reaches_each(engine, room):
    """ann's engine and server cannot reach bob's engine, server or a port bob published; bob's own port
    answers bob, and the host (where the hub's proxy runs) reaches both: a wall, not a broken network."""
    (ann, bob), server = room
    for learner in (ann, bob):
        learner.start()
        learner.load(LAB_IMAGE)
    ann_server, bob_server = server(ann), server(bob)
    for learner in (ann, bob):  # as the engine reports it: on the learner's own network, and only there
        assert set(learner.container().attrs["NetworkSettings"]["Networks"]) == {learner.network}
    web = ["-p", "8080:80", "--name", "bob-web", LAB_IMAGE, "httpd", "-f", "-p", "80", "-h", "/var/www"]
    assert _docker(bob_server, "run", "-d", *web)[0] == 0
    bob_ip = bob.address()

    def fetch(server, url: str, network: str) -> tuple[int, str]:
        """wget in a lab container the learner's own engine runs, on ``host`` (their engine's and server's
        namespace) or ``bridge`` (a container of theirs). busybox's wget -T crashes, so timeout bounds it,
        under sh that stays (the exit after it): as the container's PID 1, wget would ignore the kill."""
        wget = ["sh", "-c", f"timeout 5 wget -q -O - {url}; exit $?"]
        return _docker(server, "run", "--rm", "--network", network, LAB_IMAGE, *wget)

    for network in ("host", "bridge"):  # bob reaches his own published port: from his namespace, a container
        assert fetch(bob_server, f"http://{bob_ip}:8080/", network) == (0, "hello from the course lab image")
    for network in ("host", "bridge"):  # ann does not: from her engine's namespace, or a container of hers
        code, said = fetch(ann_server, f"http://{bob_ip}:8080/", network)
        assert code != 0 and "hello" not in said, (network, said)
    ping = ["ping", "-c", "1", "-W", "1"]
    for box in (ann_server, ann.container()):
        assert box.exec_run([*ping, bob_ip]).exit_code == 1, box.name  # 1: no answer (not a crash)
    assert ann.container().exec_run([*ping, ann.address()]).exit_code == 0  # and ping itself works
    with socket.create_connection((bob_ip, 8080), timeout=5):  # the host reaches bob, as the proxy does
        pass


def test_with_own_passwords_each_sets_theirs_at_first_login_and_no_other_opens_it(engine, tmp_path):
    """``course classroom hub --own-passwords``: JupyterHub's FirstUseAuthenticator, as configure() sets
    it up; the first password a learner gives is theirs, another is refused, and a name not in the
    room gets nowhere."""
    traitlets = pytest.importorskip("traitlets.config")
    first_use = pytest.importorskip("firstuseauthenticator")
    from course.classroom import hub

    c, korean = traitlets.Config(), traitlets.Config()
    try:
        hub.configure(c, ["t-cat"], None, state=tmp_path, own_passwords=True)
        hub.configure(korean, ["t-cat"], None, state=tmp_path, own_passwords=True, language="ko")
    finally:
        hub.remove_hub_network()
    # the room's language: where a learner starts, and JupyterLab's settings (its menus' language)
    assert c.Spawner.default_url == "/lab/tree/00_setup.ipynb"
    assert korean.Spawner.default_url == "/lab/tree/ko/00_setup.ipynb"
    assert c.Spawner.args == [f"--LabApp.app_settings_dir={hub.LAB_SETTINGS}/en"]
    assert korean.Spawner.args == [f"--LabApp.app_settings_dir={hub.LAB_SETTINGS}/ko"]
    assert korean.Spawner.environment == {"LANGUAGE": "ko"}  # the course command in their terminals
    room_page = next(s for s in korean.JupyterHub.services if s["name"] == hub.room.NAME)
    assert room_page["environment"]["COURSE_LANGUAGE"] == "ko"
    assert c.JupyterHub.authenticator_class == "firstuseauthenticator"
    assert "user_password" not in c.SharedPasswordAuthenticator  # nothing shared
    assert c.Authenticator.admin_users == {hub.INSTRUCTOR} and hub.INSTRUCTOR in c.Authenticator.allowed_users
    authenticator = first_use.FirstUseAuthenticator(config=c)

    def log_in(name: str, password: str):
        data = {"username": name, "password": password}
        return asyncio.run(authenticator.get_authenticated_user(None, data))

    assert log_in("t-cat", "cats-own-1")["name"] == "t-cat"  # the first login sets it
    assert log_in("t-cat", "someone-else-2") is None
    assert log_in("t-cat", "cats-own-1")["name"] == "t-cat"
    assert log_in("t-dog", "dogs-own-1") is None  # not in the room
    assert (tmp_path / "passwords.dbm").exists() or list(tmp_path.glob("passwords.dbm*"))
