"""Showing what a long step is doing: a bar and the current phase while a learner waits.

In a notebook it is one widget whose bar and phase line change as the work goes on. Its plain-text
form is fixed when it is shown (what the step does, never how far it got), so a compared output is the
same on every machine and every run. Outside a notebook (the CLI, tests, benches) it shows nothing.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager

from .i18n import _


def _in_kernel() -> bool:
    try:
        from IPython import get_ipython
    except ImportError:
        return False
    shell = get_ipython()
    return shell is not None and getattr(shell, "kernel", None) is not None


class Progress:
    """A bar with a phase line; ``step()`` advances it, ``phase`` says what is happening now.

    It holds its widgets rather than being one, so ipywidgets loads only when a notebook shows one:
    every ``import course``, the CLI's included, imports this module.
    """

    def __init__(self, what: str, total: int) -> None:
        import ipywidgets as w

        self.what = what
        self.bar = w.IntProgress(value=0, min=0, max=max(total, 1), description="", bar_style="info")
        self.line = w.Label(value=_("{what}: starting").format(what=what))
        self.box = w.VBox([self.bar, self.line])
        self._start = time.monotonic()

    def step(self, phase: str, by: int = 1) -> None:
        """One more part done (``by`` parts); ``phase`` is shown as what happens next."""
        self.bar.value = min(self.bar.value + by, self.bar.max)
        self.line.value = _("{what}: {phase} ({seconds} s)").format(
            what=self.what, phase=phase, seconds=f"{time.monotonic() - self._start:.1f}"
        )

    def finish(self, failed: bool = False) -> None:
        self.bar.value = self.bar.max
        self.bar.bar_style = "danger" if failed else "success"
        took = time.monotonic() - self._start
        said = _("{what}: stopped by an error in {seconds} s") if failed else _("{what}: done in {seconds} s")
        self.line.value = said.format(what=self.what, seconds=f"{took:.1f}")

    def _repr_mimebundle_(self, **kwargs):
        bundle = self.box._repr_mimebundle_(**kwargs)
        if isinstance(bundle, tuple):
            bundle = bundle[0]
        bundle["text/plain"] = _("(progress: {what})").format(what=self.what)
        return bundle


class _Silent:
    """Stands in for Progress where no notebook shows it."""

    def step(self, phase: str, by: int = 1) -> None:
        pass


@contextmanager
def progress(what: str, total: int) -> Iterator[Progress | _Silent]:
    """Show a Progress for the duration of a ``with`` block, in a notebook only."""
    if not _in_kernel():
        yield _Silent()
        return
    from IPython.display import display

    shown = Progress(what, total)
    display(shown)
    try:
        yield shown
    except BaseException:
        shown.finish(failed=True)
        raise
    shown.finish()
