"""Helpers for the dockernet course: each call stands for one ``docker`` CLI command.

A notebook starts with ``from course import *`` and ``library()``; the names below are
introduced, one at a time, where a lesson first needs them.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING

from . import behaviours, commands, doctor, exercises, hostview, progress, solutions
from .cleanup import reset
from .errors import CourseError
from .lab import Lab
from .reachability import firewall_path, reachability
from .topology import diff, snapshot

if TYPE_CHECKING:
    from . import widgets
    from .diagram import draw, library

solutions.register()  # %%solution cells, in a notebook
commands.register()  # %%docker cells: the learner's docker commands, run as typed

__all__ = [
    "CourseError",
    "Lab",
    "behaviours",
    "diff",
    "doctor",
    "draw",
    "exercises",
    "firewall_path",
    "hostview",
    "library",
    "progress",
    "reachability",
    "reset",
    "snapshot",
    "widgets",
]

# Loaded on first use: they need ipywidgets and pyvis, which the ``course`` command never does.
_DISPLAY = {"widgets": ("widgets", None), "draw": ("diagram", "draw"), "library": ("diagram", "library")}


def __getattr__(name: str) -> object:
    """``widgets``, ``draw`` and ``library``, imported when a notebook first asks for them (PEP 562)."""
    if name not in _DISPLAY:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    module, attribute = _DISPLAY[name]
    # import_module, not ``from . import``: that would ask this __getattr__ for the name again
    found = import_module(f".{module}", __name__)
    value = found if attribute is None else getattr(found, attribute)
    globals()[name] = value
    return value
