"""Every notebook against an engine that is not on the kernel's machine, as with Docker Desktop.

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
from nested import SIDE_BY_SIDE, failures

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
    # its simulated hosts come up inside the remote engine: their engines, swarm, overlay and packet
    # captures reached through it, one level deeper (nothing of theirs published on this machine)
    "05_overlay_networks",
    # the bridge by hand inside simulated hosts, and the troubleshooting lab's app and hosts
    "06_bridge_by_hand",
    "07_troubleshooting",
]
PATHS = [f"notebooks/{name}.ipynb" for name in NOTEBOOKS]
LABS = {"overlay", "byhand", "wire", "trouble"}  # what the helpers make, labelled: hosts, 07's app
# what the learner's typed commands make (%%docker cells): no label, known by name here
TYPED = {"hello", "alpha", "beta", "on-bridge", "sidecar", "web1", "search1", "vault1", "ubuntu1", "ubuntu4"}
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
        self.names: set[str] = set()
        self._engine = engine
        self._stream = engine.events(decode=True, filters={"type": "container", "event": "create"})
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        try:
            for event in self._stream:
                self.labs.add(event["Actor"]["Attributes"].get("course.lab"))
                self.names.add(event["Actor"]["Attributes"].get("name"))
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


def test_every_notebook_passes_on_an_engine_reached_only_through_docker_host(remote, engine):
    node = remote.nodes[0]
    env = {
        **os.environ,
        "DOCKER_HOST": node.url,
        "DOCKER_TLS_VERIFY": "1",
        "DOCKER_CERT_PATH": str(remote.certs.client),
    }
    on_remote, on_kernels = CreatedLabs(node.engine), CreatedLabs(engine)
    done = subprocess.run(
        [sys.executable, SIDE_BY_SIDE, *PATHS],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
    )
    remote_labs, kernels_labs = on_remote.stop(), on_kernels.stop()
    assert done.returncode == 0, failures(done.stdout)
    assert remote_labs >= LABS and on_remote.names >= TYPED  # the work happened on the remote engine...
    assert not kernels_labs & LABS and not on_kernels.names & TYPED  # ...and none of it on the kernel's own
