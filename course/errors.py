"""Every failure a learner can cause or meet, each with a message that ends with the fix.

Catch :class:`CourseError` to catch them all. The CLI prints ``str(error)`` and exits 1,
never a traceback; notebooks show the same sentence.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import docker

from .i18n import N_, _

# The kinds of thing a message names, in the learner's language (``docker KIND rm`` keeps the English).
KINDS = {
    "container": N_("container"),
    "network": N_("network"),
    "volume": N_("volume"),
    "lab": N_("lab"),
}


def kind_name(kind: str) -> str:
    """``kind`` (container, network, volume, lab) as a learner reads it."""
    return _(KINDS[kind]) if kind in KINDS else kind


class CourseError(Exception):
    """Base of every expected failure: what happened, then what to do about it."""

    def __init__(self, what: str, fix: str) -> None:
        if not fix.strip():  # a learner who meets it must be told what to do: a bug in the course
            raise ValueError(f"CourseError({what!r}) needs a fix: say what the learner should do.")
        self.what = what
        self.fix = fix
        super().__init__(f"{what} {fix}")

    def _render_traceback_(self) -> list[str]:
        """In a notebook, IPython shows these lines instead of a traceback: what happened, and the fix."""
        return [
            f"\x1b[0;31m{type(self).__name__}\x1b[0m: {self.what}",
            _("To fix it: {fix}").format(fix=self.fix),
        ]


class EngineUnreachable(CourseError):
    """No Docker engine answers where we looked."""

    def __init__(self, where: str, fix: str | None = None) -> None:
        super().__init__(
            _("Docker engine not reachable at {where}.").format(where=where),
            fix or _("Start it with: course engine start"),
        )


class SocketPermissionDenied(CourseError):
    """The engine's socket exists but this user may not open it."""

    def __init__(self, where: str) -> None:
        super().__init__(
            _("Permission denied on the Docker socket {where}.").format(where=where),
            _(
                "Add yourself to the docker group (sudo usermod -aG docker $USER, then log in "
                "again) or run the course as root."
            ),
        )


class EngineStartFailed(CourseError):
    """We tried to start dockerd and it did not come up."""


class InvalidName(CourseError):
    """A name Docker (or the course) would refuse."""

    def __init__(self, kind: str, name: object, why: str) -> None:
        super().__init__(
            _("{name} is not a valid {kind} name: {why}.").format(
                name=repr(name), kind=kind_name(kind), why=why
            ),
            _(
                "Use letters, digits, '_', '.' or '-', starting with a letter or digit "
                "(2 to 63 characters), e.g. 'ubuntu1' or 'red'."
            ),
        )


class UnknownResource(CourseError):
    """A container or network the lab does not have."""

    def __init__(self, kind: str, name: str, lab: str, known: list[str], fix: str) -> None:
        have = ", ".join(sorted(known)) or _("none yet")
        super().__init__(
            _("No {kind} named {name} in lab {lab} (it has: {have}).").format(
                kind=kind_name(kind), name=repr(name), lab=repr(lab), have=have
            ),
            fix,
        )


class ForeignResource(CourseError):
    """The name is taken by something the course did not create: we never touch it."""

    def __init__(self, kind: str, name: str, owner: str | None) -> None:
        if owner is None:
            what = _("A {kind} named {name} already exists and was not created by the course.").format(
                kind=kind_name(kind), name=repr(name)
            )
            fix = _(
                "The course never changes it. Choose another name, or remove it yourself "
                "if it is yours to remove (docker {kind} rm {name})."
            ).format(kind=kind, name=name)
        else:
            what = _("The {kind} name {name} is already used by course lab {owner}.").format(
                kind=kind_name(kind), name=repr(name), owner=repr(owner)
            )
            fix = _("Clean that lab first: Lab({owner}).cleanup(), or course reset.").format(
                owner=repr(owner)
            )
        super().__init__(what, fix)


class ImageMissing(CourseError):
    """The lab image has not been built on this engine."""

    def __init__(self, image: str) -> None:
        super().__init__(
            _("The image {image} is not on this engine.").format(image=repr(image)),
            _("Build it (no registry needed) with: course images build"),
        )


class EngineError(CourseError):
    """The engine refused a request; the message carries its reason."""


def reason(exc: docker.errors.APIError) -> str:
    """The engine's own words for a refusal, without a closing period (the course's sentence ends it)."""
    return str(exc.explanation or exc).rstrip(".")


@contextmanager
def engine_call(what: str) -> Iterator[None]:
    """Turn an engine refusal into one readable EngineError saying what we were doing."""
    try:
        yield
    except docker.errors.APIError as exc:
        said = reason(exc)
        fix = _("Read the engine's reason above; course doctor checks the usual causes.")
        if "non-overlapping" in said or "address pool" in said.lower():
            fix = _(
                "The engine has run out of private subnets. Free some: course reset "
                "(course networks only), or remove networks of your own you no longer need."
            )
        raise EngineError(_("Could not {what}: {reason}.").format(what=what, reason=said), fix) from exc
