"""``until()``: wait for something the engine will make true, and say why when it does not happen."""

from __future__ import annotations

import inspect
import time
from collections.abc import Callable

import docker
import requests

from .errors import CourseError
from .i18n import _

# What may fail while we wait (an engine restarting, a name not yet known): retried, and remembered.
_PASSING = (docker.errors.APIError, requests.exceptions.RequestException, CourseError)


class TimedOut(CourseError):
    """What we waited for did not happen in time; the message says what it was and the last error."""


def until(
    predicate: Callable[[], object],
    timeout: float = 60,
    every: float = 0.5,
    what: str = "",
    retry: tuple[type[BaseException], ...] = _PASSING,
) -> bool:
    """Call ``predicate()`` until it is true and return True; after ``timeout`` s raise TimedOut.

    Errors of the kinds in ``retry`` (by default the engine's, and the course's own) are retried along
    the way, and the last one is in the message; any other error ends the wait at once.
    """
    what = what or _describe(predicate)
    deadline = time.monotonic() + timeout
    last: BaseException | None = None
    while True:
        try:
            if predicate():
                return True
        except retry as exc:
            last = exc
        if time.monotonic() > deadline:
            if last:
                said = _("Waited {seconds} s for {what}, in vain. The last error was: {error}")
            else:
                said = _("Waited {seconds} s for {what}, in vain. It stayed false.")
            raise TimedOut(
                said.format(seconds=f"{timeout:.0f}", what=what, error=last),
                _("Look at the step before; if the machine is busy, run the cell again."),
            )
        time.sleep(every)


def _describe(predicate: Callable[[], object]) -> str:
    """A lambda's own text (``on1.ping("c1", "c3")``), else the function's name."""
    name = getattr(predicate, "__name__", None) or _("a condition")
    if name != "<lambda>":
        return name
    try:
        source = inspect.getsource(predicate)
    except (OSError, TypeError):
        return _("a condition")
    body = source.split("lambda:", 1)[-1]
    depth, end = 0, len(body)
    for i, char in enumerate(body):  # up to the comma or parenthesis that ends the lambda
        depth += char in "([{"
        depth -= char in ")]}"
        if depth < 0 or (depth == 0 and char == ","):
            end = i
            break
    return body[:end].strip()
