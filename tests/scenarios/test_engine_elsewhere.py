"""Notebooks 00-04 against an engine that is not on the kernel's machine, as with Docker Desktop.

The engine runs in a container (a course node) and is reached only through ``DOCKER_HOST`` with TLS,
as ``docker`` itself would reach it. Its files, sockets, binaries and iptables are not the kernel's, so
every lesson must read the engine's side through the engine. The host engine's own event stream shows
that none of the notebooks' labs was made there.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from course.cluster import Cluster
from course.engines.images import LAB_IMAGE
from course.names import LABEL
from course.waiting import until

pytestmark = pytest.mark.integration
ROOT = Path(__file__).resolve().parents[2]
NOTEBOOKS = [
    "00_setup",
    "01_networking_model",
    "02_network_types",
    "03_bridge_networks",
    "04_red_blue_lab",
    # Not 05: its simulated hosts come up inside the remote engine and form their swarm through it, but
    # there tcpdump on a node often misses the VXLAN packets of a ping started as soon as it says it is
    # listening (a start-up race, gone with a 2 s pause); until that is solved with an event to wait for,
    # the overlay lesson is checked on every engine directly, not one level deeper.
]
PATHS = [f"notebooks/{name}.ipynb" for name in NOTEBOOKS]
LABS = {"setup", "model", "types", "bridges", "redblue"}
SENTINEL = "t-sentinel"


@pytest.fixture(scope="module")
def remote(engine):
    made = Cluster("t-elsewhere", size=1)
    made.down()
    made.up()
    yield made
    made.down()


class CreatedLabs:
    """The course labs of the containers an engine creates while this watches its event stream.

    Streamed live: an engine keeps only its last 256 events, and the notebooks' execs push old ones out.
    """

    def __init__(self, engine) -> None:
        self.labs: set[str] = set()
        self._engine = engine
        self._stream = engine.events(decode=True, filters={"type": "container", "event": "create"})
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        try:
            for event in self._stream:
                self.labs.add(event["Actor"]["Attributes"].get("course.lab"))
        except Exception:  # the stream ends with an error when stop() closes it
            pass

    def stop(self) -> set[str]:
        """Stop watching once every event before now has arrived: a sentinel container's own create
        event comes after all of them."""
        sentinel = self._engine.containers.create(LAB_IMAGE, ["true"], labels={LABEL: SENTINEL})
        try:
            until(lambda: SENTINEL in self.labs, 30, 0.1, "the engine's event for a sentinel container")
        finally:
            sentinel.remove(force=True)
        self._stream.close()
        self._reader.join(5)
        return self.labs - {None, SENTINEL}


def test_notebooks_00_to_04_pass_on_an_engine_reached_only_through_docker_host(remote, engine):
    node = remote.nodes[0]
    env = {
        **os.environ,
        "DOCKER_HOST": node.url,
        "DOCKER_TLS_VERIFY": "1",
        "DOCKER_CERT_PATH": str(remote.certs.client),
    }
    on_remote, on_kernels = CreatedLabs(node.engine), CreatedLabs(engine)
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *PATHS],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
    )
    remote_labs, kernels_labs = on_remote.stop(), on_kernels.stop()
    assert done.returncode == 0, done.stdout[-6000:]
    assert remote_labs >= LABS  # the work happened on the remote engine...
    assert not kernels_labs & LABS  # ...and none of it on the kernel's own


_NESTED = """
from course.cluster import Cluster
from course.waiting import until
cluster = Cluster("t-nested", size=2)
cluster.down()
try:
    cluster.up()
    cluster.swarm()
    on1, on2 = cluster.lab_on("node1"), cluster.lab_on("node2")
    on1.network("t-ov", driver="overlay", attachable=True)
    on1.run("t-c1", "t-ov")
    on2.run("t-c2", "t-ov")
    until(lambda: on1.resolve("t-c1", "t-c2") == on2.addresses("t-c2")["t-ov"], 60)
    assert on1.ping("t-c1", "t-c2")
    print("nodes", sorted(cluster.node_states().items()))
finally:
    print(cluster.down())
"""


def test_simulated_hosts_come_up_inside_an_engine_elsewhere_and_reach_each_other_over_the_overlay(remote):
    """Notebook 05's hosts, one level deeper: made in the remote engine, their engines reached through it
    (nothing of theirs published on this machine), a swarm, and a ping across hosts on an overlay."""
    node = remote.nodes[0]
    env = {
        **os.environ,
        "DOCKER_HOST": node.url,
        "DOCKER_TLS_VERIFY": "1",
        "DOCKER_CERT_PATH": str(remote.certs.client),
    }
    done = subprocess.run([sys.executable, "-c", _NESTED], cwd=ROOT, env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr[-4000:]
    assert "nodes [('node1', 'ready'), ('node2', 'ready')]" in done.stdout
    assert "Removed 2 containers (t-nested-node1, t-nested-node2)" in done.stdout
