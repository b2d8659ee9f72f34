"""Re-record the committed outputs of notebooks (``make record``, or ``python tests/record_notebooks.py 03``;
``--language ko`` records the Korean ones, ``notebooks/ko/``, which speak Korean as they run).

The outputs nbval compares are the ones a learner first sees: each notebook is run top to bottom as a
learner's Run All runs it (``COURSE_SOLUTIONS`` unset, so no exercise is solved; a progress file of its
own), on the engine that answers, and written back in place. Run it on a fresh engine of the newest
version CI tests (Docker 29), with nothing else on it. (The outputs committed before Docker 29 came into
CI were recorded on 28.5; engine-specific values are sanitized or not compared, so either passes.)
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

import nbformat
from nbclient import NotebookClient
from notebooks_side_by_side import language_folder


def record(path: Path) -> None:
    """Run ``path`` as a learner would, in its own folder, and write its outputs back."""
    nb = nbformat.read(path, as_version=4)
    where = {"metadata": {"path": str(path.parent)}}
    NotebookClient(nb, timeout=1200, kernel_name="python3", resources=where).execute()
    for cell in nb.cells:
        if "solution" in cell.metadata.get("tags", []):
            cell.outputs = []  # under test the solution runs and prints nothing; a learner reads the note
    nbformat.write(nb, path)


def main(args: list[str]) -> int:
    os.environ.pop("COURSE_SOLUTIONS", None)
    os.environ.pop("COURSE_LANGUAGE", None)  # each notebook speaks its own folder's language
    folder, prefixes = language_folder(args)
    every = sorted(folder.glob("[0-9][0-9]_*.ipynb"))
    chosen = [p for p in every if not prefixes or p.name[:2] in prefixes]
    with tempfile.TemporaryDirectory() as scratch:
        os.environ["COURSE_PROGRESS"] = str(Path(scratch) / "progress.json")
        for path in chosen:
            print(f"recording {path.name}", flush=True)
            record(path)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
