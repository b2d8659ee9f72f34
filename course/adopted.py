"""What a learner's own ``docker`` commands created in a course cell, kept by ID for the lab.

A typed ``docker network create red`` carries no course label (the course adds nothing to a learner's
command), so the lab knows it by the ID the engine gave it. The IDs are kept in the course's state
folder, one small file per lab, so that a restarted or killed kernel still knows them: the lab's
cleanup removes exactly these IDs (and its labelled resources), and nothing else.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path

from .engines.certs import state_dir

KINDS = ("container", "network", "volume")


@dataclass
class Adopted:
    """The IDs (a volume's: its name) a lab's cells created with the docker CLI, by kind."""

    lab: str
    ids: dict[str, list[str]] = field(default_factory=lambda: {kind: [] for kind in KINDS})

    def of(self, kind: str) -> list[str]:
        """The IDs of one kind, oldest first."""
        return list(self.ids.get(kind, []))

    def __bool__(self) -> bool:
        return any(self.ids.values())


def _path(lab: str) -> Path:
    return state_dir() / "adopted" / f"{lab}.json"


def load(lab: str) -> Adopted:
    """The lab's record; an empty one when there is none (or it cannot be read)."""
    try:
        raw = json.loads(_path(lab).read_text())
    except (OSError, ValueError):
        return Adopted(lab)
    return Adopted(lab, {kind: [str(i) for i in raw.get(kind, [])] for kind in KINDS})


def add(lab: str, kind: str, ident: str) -> None:
    """Keep ``ident`` (a container's or network's ID, a volume's name) as part of ``lab``."""
    record = load(lab)
    if ident not in record.ids[kind]:
        record.ids[kind].append(ident)
        _save(record)


def forget(lab: str, kind: str | None = None, idents: list[str] | None = None) -> None:
    """Drop IDs from the record: the given ones of ``kind``, or all of the lab's."""
    if kind is None:
        _path(lab).unlink(missing_ok=True)
        return
    record = load(lab)
    record.ids[kind] = [i for i in record.ids[kind] if i not in (idents or [])]
    _save(record)


def labs() -> list[str]:
    """Every lab that has a record."""
    folder = state_dir() / "adopted"
    return sorted(p.stem for p in folder.glob("*.json")) if folder.is_dir() else []


def _save(record: Adopted) -> None:
    path = _path(record.lab)
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(".partial")
    partial.write_text(json.dumps(record.ids, indent=1))
    os.replace(partial, path)  # a kernel killed mid-write leaves the old record whole
