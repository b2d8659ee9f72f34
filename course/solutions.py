"""``%%solution``: a notebook cell that holds an exercise's solution.

Its command lines (``docker ...``, or ``NAME=$(docker ...)``) run as a ``%%docker`` cell runs them
(the real CLI, as typed); the others are Python (the check that the solution passes). It runs in
the course's tests (``COURSE_SOLUTIONS=1``), proving that the solution passes its check, and not in
a learner's Run All, which would otherwise solve the exercise for them. What it prints is not kept
either, so no committed output gives a solution away. The cell's source is collapsed; a learner
expands it to read it, and copies what they like into their own cell.
"""

from __future__ import annotations

from . import commands
from .exercises import solving
from .i18n import _


def solution(line: str, cell: str) -> None:
    """The body of the ``%%solution`` cell magic."""
    from IPython import get_ipython

    if not solving():
        print(_("This cell holds the solution. Expand it to read it; Run All does not run it for you."))
        return
    from IPython.utils.capture import capture_output

    shell = get_ipython()
    with capture_output(display=True):  # its prints and displays are dropped; its asserts still fail loudly
        for is_docker, chunk in _chunks(cell):
            if is_docker:
                commands.magic("", chunk)  # the solution's docker commands, run as a learner types them
            else:
                exec(compile(chunk, "<solution>", "exec"), shell.user_ns)


def _chunks(cell: str) -> list[tuple[bool, str]]:
    """The cell in runs of lines: docker commands (True), or Python (False), in order."""
    runs: list[tuple[bool, list[str]]] = []
    for line in cell.splitlines():
        continued = bool(runs) and runs[-1][0] and runs[-1][1][-1].rstrip().endswith("\\")
        docker_line = continued or commands.is_command(line)
        if runs and (runs[-1][0] == docker_line or not line.strip()):
            runs[-1][1].append(line)
        else:
            runs.append((docker_line, [line]))
    return [(kind, "\n".join(lines) + "\n") for kind, lines in runs]


def register() -> None:
    """Make ``%%solution`` available in the running IPython kernel, if there is one."""
    commands.register_cell_magic(solution, "solution")
