"""Every expected failure is one sentence of what happened and one of what to do."""

import docker
import pytest
import requests

from course import engine
from course.errors import (
    CourseError,
    EngineUnreachable,
    ForeignResource,
    ImageMissing,
    SocketPermissionDenied,
    UnknownResource,
)


def test_a_missing_socket_means_engine_unreachable_with_how_to_start_it():
    try:
        try:
            raise requests.exceptions.ConnectionError(FileNotFoundError(2, "No such file or directory"))
        except requests.exceptions.ConnectionError as missing:
            raise docker.errors.DockerException("Error while fetching server API version") from missing
    except docker.errors.DockerException as outer:
        error = engine.translate(outer, "unix:///var/run/docker.sock")
    assert isinstance(error, EngineUnreachable)
    assert error.what == "Docker engine not reachable at unix:///var/run/docker.sock."
    assert error.fix.startswith("Start ")  # course engine start on Linux, Docker Desktop elsewhere


def test_a_permission_error_anywhere_in_the_chain_means_socket_permission():
    try:
        try:
            raise PermissionError(13, "Permission denied")
        except PermissionError as inner:
            raise docker.errors.DockerException("Error while fetching server API version") from inner
    except docker.errors.DockerException as outer:
        error = engine.translate(outer, "unix:///var/run/docker.sock")
    assert isinstance(error, SocketPermissionDenied)
    assert str(error) == (
        "Permission denied on the Docker socket /var/run/docker.sock. Add yourself to the docker "
        "group (sudo usermod -aG docker $USER, then log in again) or run the course as root."
    )


def test_docker_host_elsewhere_is_never_started_by_us():
    error = engine.translate(OSError("refused"), "tcp://10.0.0.5:2375")
    assert "unset DOCKER_HOST" in str(error)


@pytest.mark.parametrize(
    ("error", "text"),
    [
        (ForeignResource("container", "web", None), "was not created by the course. The course never"),
        (ForeignResource("network", "red", "other"), "Lab('other').cleanup(), or course reset"),
        (ImageMissing("course/lab:latest"), "course images build"),
        (
            UnknownResource("container", "ubuntu9", "redblue", ["ubuntu2", "ubuntu1"], "Start it."),
            "No container named 'ubuntu9' in lab 'redblue' (it has: ubuntu1, ubuntu2). Start it.",
        ),
    ],
)
def test_messages_carry_what_and_fix(error, text):
    assert isinstance(error, CourseError)
    assert text in str(error)
    assert error.what and error.fix


def test_a_cluster_used_before_up_says_to_start_it(tmp_path, monkeypatch):
    from course.cluster import Cluster

    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path))
    cluster = Cluster("t-unstarted")
    with pytest.raises(CourseError, match=r"no running nodes yet\. Start them first: cluster\.up\(\)"):
        cluster.swarm()
    with pytest.raises(CourseError, match=r"No node 'node7' in this cluster\. Its nodes are node1, node2"):
        cluster.container_name("node7")
    assert cluster.container_name("node2") == "t-unstarted-node2"
    assert cluster.underlay == "t-unstarted-underlay"
