"""Every exercise that asks for something on the engine, solved with the docker CLI in a subprocess, as in
a terminal of the learner's own: the checks read the engine by name, whoever made it, and accept it. The
wrong commands learners really type get feedback about *that* command."""

from __future__ import annotations

import shutil
import subprocess

import pytest

from course import exercises
from course.topology import snapshot

pytestmark = [
    pytest.mark.integration,
    pytest.mark.skipif(shutil.which("docker") is None, reason="needs the docker CLI"),
]


@pytest.fixture(autouse=True)
def own_progress(tmp_path, monkeypatch):
    monkeypatch.setenv("COURSE_PROGRESS", str(tmp_path / "progress.json"))


@pytest.fixture
def terminal(engine):
    """``terminal("docker network create x")``: a command run as a terminal runs it. What the commands
    made is the learner's, not the course's: the test removes it itself, by name, at the end."""
    made: list[tuple[str, str]] = []

    def run(line: str) -> str:
        words = line.split()
        done = subprocess.run(words, capture_output=True, text=True, check=True)
        if words[1:3] == ["network", "create"]:
            made.append(("network", words[-1]))
        if "--name" in words:
            made.append(("container", words[words.index("--name") + 1]))
        return done.stdout

    yield run
    for kind, name in sorted(made, key=lambda m: m[0] != "container"):  # containers first, then networks
        argv = ["docker", "rm", "-f", name] if kind == "container" else ["docker", "network", "rm", name]
        subprocess.run(argv, capture_output=True, check=False)


def test_01_1_a_network_made_in_a_terminal_is_checked_by_name(lab, terminal):
    assert "docker network create t-cli-net" in exercises.subnet_of(lab, "t-cli-net", None).message
    terminal("docker network create t-cli-net")
    subnet = snapshot(everything=True).network("t-cli-net").subnet
    assert exercises.subnet_of(lab, "t-cli-net", subnet).ok
    assert lab.networks() == []  # the learner's, not the lab's: its cleanup leaves it alone...
    said = str(lab.cleanup())
    assert "left to you: docker network rm t-cli-net" in said  # ...and says how to remove it
    assert snapshot(everything=True).network("t-cli-net")


def test_02_2_the_host_network_by_the_cli_and_the_missing_name(lab, terminal):
    terminal("docker run -d --network bridge --name t-cli-host course/lab sleep 600")
    on_bridge = exercises.host_network_shares_stack(lab, "t-cli-host")
    assert not on_bridge.ok and "is on bridge, which gives it a namespace of its own" in on_bridge.message
    terminal("docker rm -f t-cli-host")
    made = terminal("docker run -d --network host course/lab sleep 600").strip()  # no --name
    try:
        unnamed = exercises.host_network_shares_stack(lab, "t-cli-host")
        assert not unnamed.ok and "since the command gave no --name" in unnamed.message
        assert "Run it again with --name t-cli-host" in unnamed.message
    finally:
        subprocess.run(["docker", "rm", "-f", made], capture_output=True, check=True)
    terminal("docker run --network host --name t-cli-host course/lab ls /sys/class/net")  # and it exits
    exited = exercises.host_network_shares_stack(lab, "t-cli-host")
    assert not exited.ok and "has exited: its command ended" in exited.message
    assert "docker rm -f t-cli-host" in exited.message and "-itd" in exited.message
    terminal("docker rm -f t-cli-host")
    terminal("docker run -d --network host --name t-cli-host course/lab sleep 600")
    assert exercises.host_network_shares_stack(lab, "t-cli-host").ok
    terminal("docker run -d --network container:t-cli-host --name t-cli-shared course/lab sleep 600")
    shared = exercises.host_network_shares_stack(lab, "t-cli-shared")
    assert shared.ok and "--network host says the same directly" in shared.message
    terminal("docker rm -f t-cli-shared")
    terminal("docker run -d --name t-cli-box course/lab sleep 600")
    terminal("docker run -d --network container:t-cli-box --name t-cli-shared course/lab sleep 600")
    elsewhere = exercises.host_network_shares_stack(lab, "t-cli-shared")
    assert not elsewhere.ok and "shares another container's namespace, not the host's" in elsewhere.message


def test_03_web1_reaches_web2_with_the_cli_and_the_default_bridge_says_why_not(lab, terminal):
    terminal("docker run -itd --name web1 course/lab")  # on the default bridge, as docker run puts them
    terminal("docker run -itd --name web2 course/lab")
    default = exercises.web1_reaches_web2(lab, "bridge")
    assert not default.ok and "the default bridge has no embedded DNS" in default.message
    assert "Put both on a network you create" in default.message
    terminal("docker network create t-cli-webnet")
    terminal("docker network connect t-cli-webnet web1")
    terminal("docker network connect t-cli-webnet web2")
    assert exercises.web1_reaches_web2(lab, "new").ok


def test_04_2_connect_with_the_cli_and_the_wrong_network_or_container(lab, terminal):
    terminal("docker network create red")
    terminal("docker network create blue")
    for name, net in (("ubuntu2", "red"), ("ubuntu4", "blue")):
        terminal(f"docker run -itd --net={net} --name {name} course/lab")
    apart = exercises.ubuntu4_reaches_ubuntu2(lab, {"blue"})
    assert not apart.ok and "ubuntu4 is on blue, ubuntu2 on red" in apart.message
    terminal("docker network connect bridge ubuntu2")  # the default bridge: ubuntu4 is not on it
    assert "ubuntu2 on bridge, red" in exercises.ubuntu4_reaches_ubuntu2(lab, {"blue"}).message
    terminal("docker network connect red ubuntu4")  # the wrong container moved
    moved = exercises.ubuntu4_reaches_ubuntu2(lab, {"blue"})
    assert not moved.ok and "the task was to leave it" in moved.message
    terminal("docker network disconnect red ubuntu4")
    terminal("docker network connect blue ubuntu2")
    assert exercises.ubuntu4_reaches_ubuntu2(lab, {"blue"}).ok
