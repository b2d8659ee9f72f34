"""Every notebook on an engine that is already in use, as a learner's often is: the Korean edition
(``notebooks/ko/``), so that it passes nbval on the first engine of CI without a run of its own (the
English notebooks run in the engine-elsewhere, browser and not-root scenarios, and on every engine).

The engine gets what a learner may have: a network, containers and a volume of their own, swarm mode
switched on (``docker swarm init``), and what an interrupted run of the course left behind. Every notebook
must pass, the leftovers must be gone, and the user's things and swarm must be exactly as before.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from nested import SIDE_BY_SIDE, failures

from course import progress
from course.cleanup import reset
from course.engines import daemon
from course.engines.images import KEEPALIVE, LAB_IMAGE
from course.lab import Lab
from course.names import LABEL

pytestmark = pytest.mark.integration
ROOT = Path(__file__).resolve().parents[2]
# (lab, container, network) that an interrupted run of notebooks 01, 03, 04 and 05 leaves behind
LEFTOVERS = [("model", "alpha", "bridge"), ("bridges", "web1", "bridge"), ("redblue", "ubuntu1", "red")]


def users_things(engine) -> dict:
    """Everything on the engine that the course did not make, as the engine reports it."""
    boxes = [c for c in engine.containers.list(all=True) if LABEL not in c.labels]
    nets = [n for n in engine.networks.list() if LABEL not in (n.attrs.get("Labels") or {})]
    vols = engine.volumes.list()
    swarm = engine.info()["Swarm"]
    return {
        "containers": sorted((c.name, c.id, c.status, c.attrs["HostConfig"]["NetworkMode"]) for c in boxes),
        "networks": sorted((n.name, n.id) for n in nets),
        "volumes": sorted(v.name for v in vols if LABEL not in (v.attrs.get("Labels") or {})),
        "swarm": (swarm["LocalNodeState"], swarm.get("NodeID"), swarm.get("Cluster", {}).get("ID")),
    }


@pytest.fixture
def engine_in_use(engine):
    if daemon.started_engine() is None:
        pytest.skip("it switches swarm mode on: it runs only on an engine the course started, never yours")
    assert engine.info()["Swarm"]["LocalNodeState"] == "inactive", "the test engine is already in a swarm"
    mine = engine.networks.create("my-net")
    boxes = [
        engine.containers.run(LAB_IMAGE, KEEPALIVE, name="my-app", network="my-net", detach=True),
        engine.containers.run(LAB_IMAGE, KEEPALIVE, name="my-web", detach=True),  # on the default bridge
    ]
    volume = engine.volumes.create("my-data")
    had_gwbridge = bool(engine.networks.list(names=["docker_gwbridge"]))
    engine.swarm.init(advertise_addr="127.0.0.1", listen_addr="127.0.0.1:2377")
    for lab, box, net in LEFTOVERS:
        left = Lab(lab)
        if net != "bridge":
            left.network(net)
        left.run(box, net)
    Lab("overlay").network("underlay")
    try:
        yield engine
    finally:
        engine.swarm.leave(force=True)
        if not had_gwbridge:  # swarm mode made it, and leaving the swarm keeps it: the test removes it
            for net in engine.networks.list(names=["docker_gwbridge"]):
                net.remove()
        for box in boxes:
            box.remove(force=True)
        mine.remove()
        volume.remove(force=True)
        for lab in {lab for lab, _, _ in LEFTOVERS} | {"overlay"}:
            Lab(lab).cleanup()


def test_every_notebook_passes_on_an_engine_in_use_and_leaves_the_users_things_alone(engine_in_use, tmp_path):
    engine = engine_in_use
    solved = tmp_path / "progress.json"
    before = users_things(engine)
    assert before["swarm"][0] == "active" and len(before["containers"]) == 2
    done = subprocess.run(
        [sys.executable, SIDE_BY_SIDE, "--language", "ko"],
        cwd=ROOT,
        env={**os.environ, "COURSE_SOLUTIONS": "1", "COURSE_PROGRESS": str(solved)},
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, failures(done.stdout)
    assert users_things(engine) == before
    # every %%solution cell ran and passed its check: all exercises solved
    assert json.loads(solved.read_text())["exercises"].keys() == {
        key for book in progress.EXERCISES.values() for key in book
    }
    assert all(entry["ok"] for entry in json.loads(solved.read_text())["exercises"].values())
    for lab, box, _ in LEFTOVERS:
        assert Lab(lab).containers() == [], f"{box}, left by an interrupted run, is still there"
    assert Lab("overlay").networks() == []
    # course reset removes every course lab (here: one a learner left open) and nothing of the user's
    Lab("t-open").run("t-open1")
    stuck = {n.name for n in engine.networks.list(filters={"label": LABEL})}  # left by earlier runs, if any
    removed = reset()
    assert "t-open1" in removed.containers
    assert all(any(f"network {name} " in left for name in stuck) for left in removed.left), removed.left
    assert not engine.containers.list(all=True, filters={"label": LABEL})
    assert users_things(engine) == before
