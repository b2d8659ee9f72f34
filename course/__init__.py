"""Helpers for the dockernet course: each call stands for one ``docker`` CLI command.

A notebook starts with ``from course import *`` and ``library()``; the names below are
introduced, one at a time, where a lesson first needs them.
"""

from . import behaviours, doctor, exercises, hostview, progress, solutions, widgets
from .cleanup import reset
from .diagram import draw, library
from .errors import CourseError
from .lab import Lab
from .reachability import reachability
from .topology import diff, snapshot

solutions.register()  # %%solution cells, in a notebook

__all__ = [
    "CourseError",
    "Lab",
    "behaviours",
    "diff",
    "doctor",
    "draw",
    "exercises",
    "hostview",
    "library",
    "progress",
    "reachability",
    "reset",
    "snapshot",
    "widgets",
]
