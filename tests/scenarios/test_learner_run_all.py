"""Run All, as a learner does it: every notebook runs without an error, and no exercise is solved for
them (the ``%%solution`` cells only say where the solution is)."""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

from course import progress

pytestmark = pytest.mark.integration
NOTEBOOKS = Path(__file__).resolve().parents[2] / "notebooks"


def test_run_all_leaves_every_exercise_unsolved_and_shows_no_error(engine, tmp_path, monkeypatch):
    monkeypatch.delenv("COURSE_SOLUTIONS", raising=False)  # as on a learner's machine
    monkeypatch.setenv("COURSE_PROGRESS", str(tmp_path / "progress.json"))
    ran = 0
    for path in sorted(NOTEBOOKS.glob("0*.ipynb")):
        nb = nbformat.read(path, as_version=4)
        where = {"metadata": {"path": str(NOTEBOOKS)}}
        NotebookClient(
            nb, timeout=600, kernel_name="python3", resources=where
        ).execute()  # raises on an error
        for cell in nb.cells:
            if "solution" in cell.metadata.get("tags", []):
                shown = "".join(o.get("text", "") for o in cell.outputs)
                assert shown.startswith("This cell holds the solution."), (path.name, shown)
                ran += 1
    assert ran == sum(len(book) for book in progress.EXERCISES.values())
    assert [key for key, entry in progress.load().items() if entry.get("ok")] == []
