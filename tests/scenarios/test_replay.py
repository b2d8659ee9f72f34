"""The docker commands a lab records are exactly what it did: replayed with the real docker CLI on a
clean engine, they build the same topology (networks, memberships, who reaches whom).

Each of notebooks 01-04 runs up to its "Cleaning up" section; then one more cell reads the lab's
recorded script and what the engine shows, and cleans up. The script is replayed with ``docker``
itself, and the engine is read again.
"""

from __future__ import annotations

import inspect
import json
import shlex
import shutil
import subprocess
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

from course import commands
from course.lab import Lab
from course.reachability import reachability
from course.topology import snapshot

pytestmark = pytest.mark.integration
NOTEBOOKS = Path(__file__).resolve().parents[2] / "notebooks"

NAMES = ["01_networking_model", "02_network_types", "03_bridge_networks", "04_red_blue_lab"]
# Run in the notebook's kernel, after topology()'s source: what the lab built as the engine shows it,
# the lab's own commands; then clean up.
_READ = """
import json
from course.lab import Lab
from course.reachability import reachability
from course.topology import snapshot
{source}
print(json.dumps({{"lab": lab.name, "script": lab.script(), "built": topology(lab)}}))
lab.cleanup()
"""


def topology(lab: Lab) -> dict:
    """Networks with their drivers, each container's networks, and who reaches whom, by name and IP
    (among the first five containers by name with a network namespace of their own on a network: 20
    ordered pairs show DNS and isolation as well as 90). A sniffer on the host's network or in another
    container's namespace is left out of the pairs: whether it still runs depends on whether its tcpdump
    caught its packets, and a script that replays the commands does not wait for it to listen."""
    snap = snapshot(lab)
    own = [
        c.name
        for c in snap.containers
        if c.state == "running" and set(snap.endpoints_of(c.name)) - {"host", "none"}
    ]
    matrix = reachability(lab, sorted(own)[:5])
    return {
        "networks": sorted([n.name, n.driver] for n in snap.networks if n.lab == lab.name),
        "members": {c.name: sorted(snap.endpoints_of(c.name)) for c in snap.containers},
        "reach": {f"{p.src} > {p.dst}": p.code for p in matrix.probes},
    }


def run_until_cleanup(name: str) -> dict:
    nb = nbformat.read(NOTEBOOKS / f"{name}.ipynb", as_version=4)
    end = next(i for i, c in enumerate(nb.cells) if c.cell_type == "markdown" and "Cleaning up" in c.source)
    read = _READ.format(source=inspect.getsource(topology))
    nb.cells = [*nb.cells[:end], nbformat.v4.new_code_cell(read)]
    where = {"metadata": {"path": str(NOTEBOOKS)}}
    NotebookClient(nb, timeout=300, kernel_name="python3", resources=where).execute()
    text = "".join(o.get("text", "") for o in nb.cells[-1].outputs if o.get("name") == "stdout")
    return json.loads(next(line for line in text.splitlines() if line.startswith('{"lab"')))


@pytest.mark.skipif(shutil.which("docker") is None, reason="the replay needs the docker CLI")
@pytest.mark.parametrize("name", NAMES)
def test_the_recorded_commands_rebuild_the_same_topology_with_the_docker_cli(name, engine):
    recorded = run_until_cleanup(name)
    lab = Lab(recorded["lab"])
    assert lab.containers() == [] and lab.networks() == []  # clean before the replay
    assert "docker run" in recorded["script"]
    try:
        for line in recorded["script"].splitlines():
            if line.startswith("docker ") and not set(line) & set("|$;&<>`"):
                # a plain docker command, as a %%docker cell runs it: what it makes joins the lab again
                ran = commands.run(shlex.split(line), lab)
                assert ran.exit_code == 0, ran.output
            elif line and not line.startswith(("#", "set ")):
                done = subprocess.run(["sh", "-c", line], capture_output=True, text=True, timeout=300)
                assert done.returncode == 0, done.stderr
        assert topology(lab) == recorded["built"]
    finally:
        lab.cleanup()
