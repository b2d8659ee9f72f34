"""A learner who is not root: a user in the ``docker`` group, with a clone of their own, runs every
notebook under nbval against the engine. Root's dockerd is unreadable to them, so notebook 05's node
image comes the way Docker Desktop users get it: ``docker:<version>-dind`` from a registry, here Debian's
distribution registry on loopback holding the course's node image under that name (nothing leaves the
machine). The errors on that path name the real cause.
"""

from __future__ import annotations

import grp
import os
import pwd
import shutil
import socket
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest
from nested import SIDE_BY_SIDE, failures

from course.engines import daemon
from course.engines.node_image import NODE_IMAGE, build_node_image, dind_reference
from course.process import stop
from course.waiting import until

pytestmark = pytest.mark.integration
ROOT = Path(__file__).resolve().parents[2]
LEARNER = "course-learner"
SOCKET = Path("/var/run/docker.sock")


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _listens(port: int) -> bool:
    try:
        socket.create_connection(("127.0.0.1", port), timeout=1).close()
    except OSError:
        return False
    return True


def _as_learner(argv: list[str], home: Path, cwd: Path, **env: str) -> subprocess.CompletedProcess:
    """Run ``argv`` as the learner, with the learner's own HOME and nothing of root's environment."""
    keep = {"PATH": os.environ["PATH"], "LANG": "C.UTF-8", "HOME": str(home), "USER": LEARNER, **env}
    return subprocess.run(
        ["runuser", "-u", LEARNER, "--", "env", "-i", *(f"{k}={v}" for k, v in keep.items()), *argv],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=1800,
    )


def _learners_venv(home: Path) -> Path:
    """A virtual environment of the learner's own, with this run's packages copied in.

    This run's interpreter may sit where the learner cannot go (root's home), so the learner's comes from
    the system's Python of the same version; the packages are copied rather than downloaded again.
    """
    system = Path("/usr/bin/python3")
    said = subprocess.run(
        [system, "-c", "import sys; print(sys.version_info[:2])"], capture_output=True, text=True
    )
    if said.stdout.strip() != str(sys.version_info[:2]):
        pytest.skip(f"the system's Python is not this run's {sys.version_info[:2]}: no packages to copy")
    venv = home / ".venv"
    shutil.rmtree(venv, ignore_errors=True)
    subprocess.run([system, "-m", "venv", "--without-pip", str(venv)], check=True)
    site = next((venv / "lib").glob("python3*/site-packages"))
    shutil.copytree(sysconfig.get_paths()["purelib"], site, dirs_exist_ok=True, symlinks=True)
    subprocess.run(["chown", "-R", f"{LEARNER}:{LEARNER}", str(venv)], check=True)
    return venv / "bin" / "python"


@pytest.fixture(scope="module")
def learner(engine):
    if os.geteuid() != 0 or daemon.started_engine() is None:
        pytest.skip(
            "it creates a user and changes the socket's group: only as root, on the course's own engine"
        )
    made_group = False
    try:
        grp.getgrnam("docker")
    except KeyError:
        subprocess.run(["groupadd", "--system", "docker"], check=True)
        made_group = True
    made_user = False
    try:
        pwd.getpwnam(LEARNER)
    except KeyError:
        subprocess.run(["useradd", "--create-home", "--groups", "docker", LEARNER], check=True)
        made_user = True
    # dockerd gives the socket to the docker group when that group exists as it starts; it may not have
    before = SOCKET.stat()
    shutil.chown(SOCKET, group="docker")
    SOCKET.chmod(0o660)
    home = Path(pwd.getpwnam(LEARNER).pw_dir)
    clone = home / "dockernet-course"
    shutil.rmtree(clone, ignore_errors=True)
    subprocess.run(["git", "clone", "-q", str(ROOT), str(clone)], check=True)  # git refuses others' repos
    subprocess.run(["chown", "-R", f"{LEARNER}:{LEARNER}", str(clone)], check=True)
    python = _learners_venv(home)
    seen = _as_learner(
        [str(python), "-c", "import docker, nbval, course"], home, clone, PYTHONPATH=str(clone)
    )
    assert seen.returncode == 0, f"the learner cannot use {python}: {seen.stderr[-800:]}"
    try:
        yield home, clone, python
    finally:
        shutil.rmtree(clone, ignore_errors=True)
        if made_user:
            subprocess.run(["userdel", "--remove", LEARNER], capture_output=True, check=False)
        os.chown(SOCKET, -1, before.st_gid)  # the socket as it was
        SOCKET.chmod(before.st_mode & 0o777)
        if made_group:
            subprocess.run(["groupdel", "docker"], capture_output=True, check=False)


@pytest.fixture(scope="module")
def registry(engine, tmp_path_factory):
    """Debian's distribution registry on 127.0.0.1 only, holding the node image as docker:<version>-dind."""
    serve = shutil.which("docker-registry")
    if serve is None:
        subprocess.run(["apt-get", "install", "-y", "-q", "docker-registry"], capture_output=True, check=True)
        serve = shutil.which("docker-registry")
    folder = tmp_path_factory.mktemp("registry")
    port = _free_port()
    config = folder / "config.yml"
    config.write_text(
        "version: 0.1\n"
        f"storage:\n  filesystem:\n    rootdirectory: {folder / 'data'}\n"
        f"http:\n  addr: 127.0.0.1:{port}\n"
    )
    log = (folder / "registry.log").open("wb")
    proc = subprocess.Popen([serve, "serve", str(config)], stdout=log, stderr=log)
    address = f"127.0.0.1:{port}"
    try:
        until(lambda: _listens(port), 30, 0.2, "the loopback registry to listen")
        build_node_image()  # the node image, from root's engine binaries
        reference = dind_reference(engine.version()["Version"], address)
        repository, tag = reference.rsplit(":", 1)
        engine.images.get(NODE_IMAGE).tag(repository, tag)
        for line in engine.images.push(repository, tag=tag, stream=True, decode=True):
            assert "error" not in line, line
        pushed = engine.images.get(NODE_IMAGE).id
        engine.images.remove(reference)
        engine.images.remove(NODE_IMAGE)  # the learner must get it through the registry
        yield address, pushed
    finally:
        stop(proc)
        log.close()
        for name in engine.images.list(name=f"{address}/docker"):
            engine.images.remove(name.id, force=True)
        build_node_image()  # back as root's runs expect it


def test_a_learner_in_the_docker_group_runs_every_notebook_and_gets_the_node_image_from_a_registry(
    engine, learner, registry
):
    home, clone, python = learner
    address, pushed = registry
    # with nothing to pull from, the error names the real cause and the way out
    failed = _as_learner(
        [str(python), "-c", "from course.engines.node_image import build_node_image; build_node_image()"],
        home, clone, PYTHONPATH=str(clone), COURSE_REGISTRY="127.0.0.1:1",
    )  # fmt: skip
    said = failed.stderr
    assert failed.returncode != 0
    assert "belongs to another user" in said and "course images import" in said, said[-1500:]
    assert "no local dockerd" not in said.lower()
    done = _as_learner(
        [str(python), SIDE_BY_SIDE],
        home, clone, PYTHONPATH=str(clone), COURSE_REGISTRY=address, COURSE_SOLUTIONS="1",
        COURSE_PROGRESS=str(home / "progress.json"),
    )  # fmt: skip
    assert done.returncode == 0, failures(done.stdout) + done.stderr[-2000:]
    # the engine has course/node again: the very image pushed to the registry, and no other name for it
    node = engine.images.get(NODE_IMAGE)
    assert node.id == pushed and node.tags == [NODE_IMAGE]
