"""What a learner's own ``docker`` commands created in a course cell, kept by ID for the lab.

A typed ``docker network create red`` carries no course label (the course adds nothing to a learner's
command), so the lab knows it by the ID the engine gave it. The IDs are kept in the course's state
folder, one small file per engine and lab, so that a restarted or killed kernel still knows them: the
lab's cleanup removes exactly these IDs (and its labelled resources), and nothing else. A volume has no
ID but its name, which a learner may give to one of their own later: it is kept with its creation time,
and removed only while both still match.
"""

from __future__ import annotations

import json
import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from .engines.certs import state_dir
from .locks import locked

KINDS = ("container", "network", "volume")


@dataclass
class Adopted:
    """The IDs a lab's cells created with the docker CLI, by kind (a volume's: ``name@created``)."""

    lab: str
    ids: dict[str, list[str]] = field(default_factory=lambda: {kind: [] for kind in KINDS})

    def of(self, kind: str) -> list[str]:
        """The IDs of one kind, oldest first."""
        return list(self.ids.get(kind, []))

    def volumes(self) -> dict[str, str]:
        """``{name: creation time}`` of the volumes."""
        return dict(v.rsplit("@", 1) for v in self.of("volume"))

    def __bool__(self) -> bool:
        return any(self.ids.values())


def volume_ident(name: str, created: str) -> str:
    """How a volume is kept: its name and the time the engine says it was created."""
    return f"{name}@{created}"


def _folder(engine_id: str) -> Path:
    return state_dir() / "adopted" / (engine_id.replace(":", "")[:16] or "unknown")


def load(lab: str, engine_id: str) -> Adopted:
    """The lab's record on the engine ``engine_id`` (``docker info``'s ID); empty when there is none."""
    try:
        raw = json.loads((_folder(engine_id) / f"{lab}.json").read_text())
    except (OSError, ValueError):
        return Adopted(lab)
    return Adopted(lab, {kind: [str(i) for i in raw.get(kind, [])] for kind in KINDS})


def add(lab: str, engine_id: str, kind: str, ident: str) -> None:
    """Keep ``ident`` as part of ``lab`` on that engine."""
    with _locked(engine_id):
        record = load(lab, engine_id)
        if ident not in record.ids[kind]:
            record.ids[kind].append(ident)
            _save(record, engine_id)


def forget(lab: str, engine_id: str) -> None:
    """Drop the lab's record on that engine (its cleanup removed everything in it)."""
    with _locked(engine_id):
        (_folder(engine_id) / f"{lab}.json").unlink(missing_ok=True)


def labs(engine_id: str) -> list[str]:
    """Every lab with a record on that engine."""
    folder = _folder(engine_id)
    return sorted(p.stem for p in folder.glob("*.json")) if folder.is_dir() else []


def _locked(engine_id: str):
    """One writer at a time (two kernels on one lab): an advisory lock on the engine's folder."""
    return locked(_folder(engine_id) / ".lock")


def _save(record: Adopted, engine_id: str) -> None:
    folder = _folder(engine_id)
    with tempfile.NamedTemporaryFile("w", dir=folder, suffix=".partial", delete=False) as out:
        json.dump(record.ids, out, indent=1)
    os.replace(out.name, folder / f"{record.lab}.json")  # a kernel killed mid-write leaves the old record
