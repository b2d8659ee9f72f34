"""Validation of the names learners type, before anything reaches the engine."""

from __future__ import annotations

import re

from .errors import InvalidName
from .i18n import _

# Docker's own rule for container names, capped at 63 so a name is also a valid hostname.
_NAME = re.compile(r"[a-zA-Z0-9][a-zA-Z0-9_.-]{1,62}")
LABEL = "course.lab"
# Networks every engine has; the course uses them but never creates or removes them.
BUILTIN_NETWORKS = frozenset({"bridge", "host", "none"})


def check_name(kind: str, name: object) -> str:
    """Return ``name`` if Docker would accept it for a ``kind``; raise InvalidName otherwise."""
    if not isinstance(name, str):
        raise InvalidName(kind, name, _("it is a {type}, not text").format(type=type(name).__name__))
    if not name:
        raise InvalidName(kind, name, _("it is empty"))
    if len(name) > 63:
        raise InvalidName(kind, name, _("it has {n} characters, at most 63 fit").format(n=len(name)))
    if _NAME.fullmatch(name) is None:
        bad = sorted({c for c in name if not (c.isascii() and (c.isalnum() or c in "_.-"))})
        if bad:
            why = _("it contains {characters}").format(characters=" ".join(repr(c) for c in bad))
        else:
            why = _("it is too short")
        if not bad and not name[0].isalnum():
            why = _("it must start with a letter or digit")
        raise InvalidName(kind, name, why)
    return name


def owner(labels: dict[str, str] | None) -> str | None:
    """The course lab a resource belongs to, from its labels; None for a user's own resource."""
    return (labels or {}).get(LABEL)
