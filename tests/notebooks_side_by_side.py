"""Run the notebooks under nbval two at a time: ``python tests/notebooks_side_by_side.py [PYTEST ARGS]``
(``--language ko``: the Korean ones, ``notebooks/ko/``).

Two pytest processes side by side, each running its notebooks one after the other; the exit status is
the worse of the two, and each one's output is printed whole once both are done. The groups matter: 01
watches docker0 with tcpdump and counts the engine's default address pools, so it runs beside the
notebooks that build only inside simulated hosts of their own (05, 06); the others, which make networks
and containers on the engine's default bridge and pools, run one after the other in the second process.
(pytest-xdist's ``--dist loadgroup`` would split a notebook's cells from its kernel.)
"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

from course.i18n import folder

NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"
BESIDE_01 = ("01_networking_model", "05_overlay_networks", "06_bridge_by_hand")


def groups(names: list[str]) -> list[list[str]]:
    """The notebooks in two groups: 01 and the self-contained ones, then the rest."""
    beside = [n for n in names if Path(n).stem in BESIDE_01]
    return [g for g in (beside, [n for n in names if n not in beside]) if g]


def language_folder(args: list[str]) -> tuple[Path, list[str]]:
    """The notebooks' folder that ``--language LANG`` in ``args`` names (English without it), and the
    other arguments."""
    if "--language" not in args:
        return NOTEBOOKS, args
    at = args.index("--language")
    return NOTEBOOKS / folder(args[at + 1]), args[:at] + args[at + 2 :]


def main(args: list[str]) -> int:
    where, args = language_folder(args)
    chosen = [a for a in args if a.endswith(".ipynb")]
    options = [a for a in args if not a.endswith(".ipynb")]
    names = chosen or [str(p.relative_to(NOTEBOOKS.parent)) for p in sorted(where.glob("[0-9][0-9]_*.ipynb"))]
    started = time.monotonic()
    runs = [
        subprocess.Popen(
            [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *options, *group],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        for group in groups(names)
    ]
    said = [run.communicate()[0] for run in runs]
    for group, text, run in zip(groups(names), said, runs, strict=True):
        print(f"==> {' '.join(Path(n).stem[:2] for n in group)}: exit {run.returncode}\n{text}")
    print(f"==> notebooks side by side: {time.monotonic() - started:.0f} s")
    return max(run.returncode for run in runs)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
