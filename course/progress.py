"""A learner's progress: which exercises they solved, kept in one small file on their own machine.

Every exercise check records its verdict here (``record``); ``course progress`` and notebook 00 print
it per notebook, and ``export`` writes it to one file a learner can hand to an instructor. Standard
library only; no server. The file is ``$XDG_STATE_HOME/dockernet-course/progress.json``
(``~/.local/state/...``), or ``COURSE_PROGRESS`` when set.
"""

from __future__ import annotations

import datetime
import getpass
import json
import os
import socket
import tempfile
from dataclasses import dataclass
from pathlib import Path

from .i18n import N_, _
from .locks import locked

# Every exercise of the course, by notebook, with its title (marked with N_, translated where shown): the
# checklist progress is read against.
EXERCISES: dict[str, dict[str, str]] = {
    "01_networking_model": {
        "01.1": N_("the subnet a new network gets"),
        "01.2": N_("the host end of a container's veth pair"),
    },
    "02_network_types": {
        "02.1": N_("the network type with nothing but lo"),
        "02.2": N_("a container that sees the host's interfaces"),
    },
    "03_bridge_networks": {
        "03.1": N_("web1 reaches web2 by name"),
        "03.2": N_("front1 reaches back1 by name, no network added"),
    },
    "04_red_blue_lab": {
        "04.1": N_("predict who reaches whom"),
        "04.2": N_("ubuntu4 reaches ubuntu2, its own networks unchanged"),
    },
    "05_overlay_networks": {
        "05.1": N_("the port that carries containers' packets between hosts"),
        "05.2": N_("a container on node2 that c1 reaches by name"),
    },
    "06_bridge_by_hand": {
        "06.1": N_("a third namespace that reaches the outside"),
        "06.2": N_("red cannot get out"),
        "06.3": N_("no replies come back"),
    },
    "07_troubleshooting": {
        "07.1": N_("case 1: a client that cannot fetch"),
        "07.2": N_("case 2: the same, on one network"),
        "07.3": N_("case 3: a connection refused"),
        "07.4": N_("case 4: a published port that does not answer"),
        "07.5": N_("case 5: a published port, from another host"),
        "07.6": N_("case 6: small files pass, large ones hang"),
        "07.7": N_("case 7: an overlay across hosts"),
    },
}


def path() -> Path:
    """Where this learner's progress is kept."""
    if os.environ.get("COURSE_PROGRESS"):
        return Path(os.environ["COURSE_PROGRESS"])
    if os.environ.get("XDG_STATE_HOME"):
        return Path(os.environ["XDG_STATE_HOME"]) / "dockernet-course" / "progress.json"
    return default_path(Path.home())


def default_path(home: Path) -> Path:
    """Where a learner whose home is ``home`` keeps their progress, with no setting to say otherwise."""
    return home / ".local" / "state" / "dockernet-course" / "progress.json"


def load() -> dict[str, dict]:
    """``{exercise id: {"ok": bool, "when": iso time, "tries": n}}``; empty when nothing is recorded."""
    try:
        return parse(path().read_text())
    except OSError:
        return {}


def parse(text: str | bytes) -> dict[str, dict]:
    """The exercise verdicts a progress file holds; empty when it holds none or is not one."""
    try:
        data = json.loads(text or "{}")
    except ValueError:
        return {}
    return data.get("exercises", {}) if isinstance(data, dict) else {}


def record(exercise: str, ok: bool) -> None:
    """Note one check's verdict. A solved exercise stays solved when a later check fails. Two notebooks
    checking at once (two kernels) take turns, so neither verdict is lost."""
    with locked(path().with_name(path().name + ".lock")):
        done = load()
        entry = done.get(exercise, {"ok": False, "tries": 0})
        entry["tries"] = int(entry.get("tries", 0)) + 1
        if ok and not entry.get("ok"):
            entry["ok"] = True
            entry["when"] = datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds")
        done[exercise] = entry
        _write({"exercises": done})


def _write(data: dict) -> None:
    target = path()
    target.parent.mkdir(parents=True, exist_ok=True)
    # written to a temporary file and renamed, so a kernel killed mid-write leaves the old file whole
    with tempfile.NamedTemporaryFile("w", dir=target.parent, delete=False, suffix=".tmp") as out:
        json.dump(data, out, indent=1, sort_keys=True)
    os.replace(out.name, target)


@dataclass(frozen=True)
class Report:
    """Progress per notebook; prints as a checklist."""

    done: dict[str, dict]

    @property
    def solved(self) -> int:
        return sum(1 for book in EXERCISES.values() for key in book if self.done.get(key, {}).get("ok"))

    @property
    def total(self) -> int:
        return sum(len(book) for book in EXERCISES.values())

    def __str__(self) -> str:
        lines = [_("Exercises solved: {solved} of {total}").format(solved=self.solved, total=self.total)]
        for notebook, book in EXERCISES.items():
            marks = []
            for key, title in book.items():
                entry = self.done.get(key, {})
                mark = "x" if entry.get("ok") else ("~" if entry.get("tries") else " ")
                marks.append(f"  [{mark}] {key} {_(title)}")
            lines += [notebook, *marks]
        lines.append(_("([x] solved, [~] tried, [ ] not yet)"))
        return "\n".join(lines)

    def _repr_pretty_(self, printer, cycle: bool) -> None:
        printer.text(str(self))


def report() -> Report:
    """This learner's progress: ``course progress``."""
    return Report(load())


def export(target: str | Path) -> Path:
    """Write the progress to one file for an instructor: who, when, and each exercise's verdict."""
    target = Path(target)
    target.write_text(
        json.dumps(
            {
                "learner": getpass.getuser(),
                "machine": socket.gethostname(),
                "exported": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
                "solved": report().solved,
                "total": report().total,
                "exercises": load(),
            },
            indent=1,
            sort_keys=True,
        )
    )
    return target
