"""Every expected failure is one sentence of what happened and one of what to do."""

import ast
from pathlib import Path

import docker
import pytest
import requests

import course
from course.engines import client
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
        error = client.translate(outer, "unix:///var/run/docker.sock")
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
        error = client.translate(outer, "unix:///var/run/docker.sock")
    assert isinstance(error, SocketPermissionDenied)
    assert str(error) == (
        "Permission denied on the Docker socket /var/run/docker.sock. Add yourself to the docker "
        "group (sudo usermod -aG docker $USER, then log in again) or run the course as root."
    )


def test_docker_host_elsewhere_is_never_started_by_us():
    error = client.translate(OSError("refused"), "tcp://10.0.0.5:2375")
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


def test_an_empty_fix_is_a_programming_error():
    with pytest.raises(ValueError, match="needs a fix"):
        CourseError("Something happened.", "")
    with pytest.raises(ValueError, match="needs a fix"):
        CourseError("Something happened.", "  \n")


def _fix_positions(modules: list[ast.Module]) -> dict[str, int | None]:
    """Each CourseError subclass -> where its fix is among the positional arguments.

    None when the class writes its own fix (an ``__init__`` without a ``fix`` parameter). A class
    without ``__init__`` takes its base's; the subclasses are found by walking every class in the package.
    """
    classes = {
        node.name: node for module in modules for node in ast.walk(module) if isinstance(node, ast.ClassDef)
    }
    positions: dict[str, int | None] = {"CourseError": 1}
    grew = True
    while grew:  # a subclass may be defined before its base is known
        grew = False
        for name, node in classes.items():
            bases = [b.id for b in node.bases if isinstance(b, ast.Name) and b.id in positions]
            if name in positions or not bases:
                continue
            inits = [f for f in node.body if isinstance(f, ast.FunctionDef) and f.name == "__init__"]
            if not inits:
                positions[name] = positions[bases[0]]
            else:
                params = [a.arg for a in inits[0].args.args[1:]]
                positions[name] = params.index("fix") if "fix" in params else None
            grew = True
    return positions


def _is_empty_text(node: ast.expr) -> bool:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return not node.value.strip()
    return isinstance(node, ast.JoinedStr) and not node.values


def test_every_course_error_raised_in_the_package_has_a_fix():
    package = Path(course.__file__).parent
    modules = {path: ast.parse(path.read_text(), str(path)) for path in sorted(package.rglob("*.py"))}
    positions = _fix_positions(list(modules.values()))
    assert {"EngineError", "TimedOut", "NoLocalEngine"} <= positions.keys()
    checked, empty = 0, []
    for path, module in modules.items():
        for call in (n for n in ast.walk(module) if isinstance(n, ast.Call)):
            func = call.func
            name = func.id if isinstance(func, ast.Name) else getattr(func, "attr", None)
            if positions.get(name) is None:
                continue
            given = [k.value for k in call.keywords if k.arg == "fix"]
            if len(call.args) > positions[name] and not isinstance(call.args[positions[name]], ast.Starred):
                given.append(call.args[positions[name]])
            checked += 1
            empty += [f"{path.name}:{call.lineno} {name}" for fix in given if _is_empty_text(fix)]
    assert checked > 30  # the walk found the package's errors, not none of them
    assert not empty, "These errors tell the learner nothing to do; give each a fix: " + ", ".join(empty)
