"""What a learner sees before solving gives no solution away: no markdown, hint or committed output holds
a solution's key text, and every solution sits in a collapsed ``%%solution`` cell."""

import json
from pathlib import Path

import pytest

from course import exercises, faults, handmade, progress

NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"
# What only a solution says: its docker command as the lab would echo it, or its idea in words.
SOLUTIONS = {
    "01.1": ['lab.network("ex-net")', "network create --label course.lab=model ex-net"],
    "02.2": ['lab.run("ex-host", "host")', "--name ex-host", "lab.run('ex-host', 'host')"],
    "03.1": ["network connect webnet web1", "user-defined network both share"],
    "03.2": ["network connect back front1", "attach one of them to the other's network"],
    "04.1": ["{s, d} <= red or {s, d} <= blue", "ubuntu1 -> ubuntu2, ubuntu2 -> ubuntu1, ubuntu3 -> ubuntu4"],
    "04.2": ["network connect blue ubuntu2", "connect ubuntu2 to blue"],
    "05.2": ['on2.run("c2"', "--name c2", "overlay-node2 docker run -itd --net=ov"],
    "06.1": ["veth-green master br0", "netns green"],
    "07.1": ["network connect app-back app-client"],
    "07.5": ["-D DOCKER-USER"],
    "07.6": ["mtu=1400 appnet"],
    "07.7": ["wire-node2 iptables -D INPUT"],
}


def _cells():
    for path in sorted(NOTEBOOKS.glob("0*.ipynb")):
        for cell in json.loads(path.read_text())["cells"]:
            yield path.name, cell


def _visible(cell) -> str:
    """What a learner sees of a cell without expanding anything: markdown, code, and outputs."""
    outputs = json.dumps(cell.get("outputs", []))
    if "solution" in cell.get("metadata", {}).get("tags", []):
        return outputs  # the source is collapsed
    return "".join(cell["source"]) + outputs


@pytest.mark.parametrize("key", sorted(SOLUTIONS))
def test_no_visible_cell_or_output_gives_the_solution_away(key):
    leaks = [(name, text) for name, cell in _cells() for text in SOLUTIONS[key] if text in _visible(cell)]
    assert leaks == []


def test_every_solution_is_a_collapsed_solution_cell_and_prints_nothing():
    solutions = [(name, cell) for name, cell in _cells() if "solution" in cell["metadata"].get("tags", [])]
    assert len(solutions) == sum(len(book) for book in progress.EXERCISES.values())
    for name, cell in solutions:
        assert "".join(cell["source"]).startswith("%%solution\n"), name
        assert cell["metadata"].get("jupyter", {}).get("source_hidden"), name
        assert cell.get("outputs") == [], (name, cell["outputs"])


def test_every_exercise_has_a_check_that_records_it():
    modules = (exercises, handmade, faults)
    checks = {getattr(f, "exercise", None) for module in modules for f in vars(module).values()} - {None}
    assert checks == {key for book in progress.EXERCISES.values() for key in book}
