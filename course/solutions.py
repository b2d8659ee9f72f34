"""``%%solution``: a notebook cell that holds an exercise's solution.

It runs in the course's tests (``COURSE_SOLUTIONS=1``), proving that the solution passes its check, and
not in a learner's Run All, which would otherwise solve the exercise for them. What it prints is not
kept either, so no committed output gives a solution away. The cell's source is collapsed; a learner
expands it to read it, and copies what they like into their own cell.
"""

from __future__ import annotations

from .exercises import solving


def solution(line: str, cell: str) -> None:
    """The body of the ``%%solution`` cell magic."""
    from IPython import get_ipython

    if not solving():
        print("This cell holds the solution. Expand it to read it; Run All does not run it for you.")
        return
    from IPython.utils.capture import capture_output

    shell = get_ipython()
    with capture_output(display=True):  # its prints and displays are dropped; its asserts still fail loudly
        exec(compile(cell, "<solution>", "exec"), shell.user_ns)


def register() -> None:
    """Make ``%%solution`` available in the running IPython kernel, if there is one."""
    try:
        from IPython import get_ipython
    except ImportError:
        return
    shell = get_ipython()
    if shell is not None:
        shell.register_magic_function(solution, "cell", "solution")
