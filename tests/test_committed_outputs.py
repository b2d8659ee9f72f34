"""The committed outputs are what a learner first sees on a fresh engine: nothing solved for them, no
solution's resources, and no network a fresh engine does not have (no engine needed)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

NOTEBOOKS = sorted((Path(__file__).resolve().parents[1] / "notebooks").glob("[0-9][0-9]_*.ipynb"))
# what only swarm mode makes: a fresh engine has bridge, host and none
SWARM_NETWORKS = ("docker_gwbridge", "ingress")
# how a solution creates something: lab.network("x"), lab.run("x", ...), docker ... --name x, network create x
_CREATES = re.compile(
    r"""lab\.(?:network|run)\(\s*["']([\w.-]+)["']"""
    r"|--name[= ]([\w.-]+)"
    r"|network create (?:-\S+ \S+ )*([\w.-]+)"
)


def _cells(path: Path, kind: str = "code") -> list[dict]:
    return [c for c in json.loads(path.read_text())["cells"] if c["cell_type"] == kind]


def _shown(cell: dict) -> str:
    """Everything a cell's committed outputs show, as text (stream text, and every text-like MIME type)."""
    parts = []
    for out in cell.get("outputs", []):
        parts.append("".join(out.get("text", "")))
        for kind, data in (out.get("data") or {}).items():
            if kind.startswith("text/") or kind.endswith("json"):
                parts.append(data if isinstance(data, str) else json.dumps(data))
    return "\n".join(parts)


def solved_in(text: str) -> list[str]:
    """Progress reports that count a solved exercise: "Exercises solved: 3 of 10"."""
    return [
        m.group(0) for m in re.finditer(r"solved\D{0,20}?(\d+)\s*(?:of|/)\s*\d+", text, re.I) if int(m[1])
    ]


def created_by_solutions(cells: list[dict]) -> set[str]:
    """The names of the networks and containers the notebook's solution cells create."""
    names = set()
    for cell in cells:
        if "solution" in cell["metadata"].get("tags", []):
            for found in _CREATES.finditer("".join(cell["source"])):
                names.add(next(g for g in found.groups() if g))
    return names


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_no_committed_output_shows_a_solved_exercise(path):
    assert [s for c in _cells(path) for s in solved_in(_shown(c))] == []


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_no_committed_output_names_what_a_solution_creates(path):
    cells = _cells(path)
    told = "".join("".join(c["source"]) for c in _cells(path, "markdown"))
    names = {n for n in created_by_solutions(cells) if n not in told}  # the task names give nothing away
    shown = "\n".join(_shown(c) for c in cells)
    assert [n for n in sorted(names) if re.search(rf"(?<![\w.-]){re.escape(n)}(?![\w.-])", shown)] == []


@pytest.mark.parametrize("path", [p for p in NOTEBOOKS if not p.name.startswith("05")], ids=lambda p: p.name)
def test_outside_the_swarm_lesson_no_output_shows_a_network_only_swarm_mode_makes(path):
    shown = "\n".join(_shown(c) for c in _cells(path))
    assert [n for n in SWARM_NETWORKS if n in shown] == []


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_a_check_shows_nothing(path):
    """A check cell is collapsed, and the site leaves it out (``remove-cell``): what it printed or
    returned would be half-seen in JupyterLab and missing on the site. It asserts and says nothing.
    (A check that shows what it read keeps its output, and the site its output only: ``remove-input``.)"""
    hidden = [c for c in _cells(path) if {"check", "remove-cell"} <= set(c["metadata"].get("tags", []))]
    noisy = [c for c in hidden if c.get("outputs")]
    assert ["".join(c["source"])[:80] for c in noisy] == []


def test_the_checks_can_fail():
    assert solved_in("Exercises solved: 10 of 10") and not solved_in("Exercises solved: 0 of 10")
    cells = [
        {
            "metadata": {"tags": ["solution"]},
            "source": ['lab.network("webnet")\n', "docker run --name ex-c x"],
        },
        {"metadata": {"tags": ["solution"]}, "source": ["docker network create --driver bridge ex-net\n"]},
    ]
    assert created_by_solutions(cells) == {"webnet", "ex-c", "ex-net"}
    shown = {
        "outputs": [{"output_type": "stream", "text": ["Removed 1 networks (webnet, docker_gwbridge)."]}]
    }
    assert "webnet" in _shown(shown) and "docker_gwbridge" in _shown(shown)
