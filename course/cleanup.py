"""What a lab owns on the engine, and removing it: a lab's ``cleanup()`` and ``course reset``.

What the course creates carries ``course.lab=<lab>``; what a lab's ``%%docker`` cells create is recorded
by ID (``adopted.py``). ``listed`` is the one place that answers "what is this lab's"; nothing else is
ever removed. (A simulated host's engine is the course's whole: ``Lab(whole_engine=True)`` reads all
of it, and the cluster removes it with its node.)
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from dataclasses import dataclass

import docker

from . import adopted
from .adopted import Adopted
from .engines.client import client
from .errors import kind_name
from .i18n import _
from .names import LABEL
from .parallel import parallel
from .waiting import TimedOut, until


@dataclass(frozen=True)
class Removed:
    """What a cleanup removed, by name."""

    containers: tuple[str, ...]
    networks: tuple[str, ...]
    volumes: tuple[str, ...] = ()
    left: tuple[str, ...] = ()  # what the engine refused to remove, with its reason
    yours: tuple[str, ...] = ()  # what the learner made outside the course's cells: the commands to remove it

    def __str__(self) -> str:
        refused = []
        if self.left:
            refused.append(_("Could not remove: {what}.").format(what="; ".join(self.left)))
        if self.yours:
            refused.append(
                _("Made outside this notebook's cells, so left to you: {commands}.").format(
                    commands="; ".join(self.yours)
                )
            )
        if not (self.containers or self.networks or self.volumes):
            return " ".join([_("Removed nothing."), *(refused or [_("There was nothing to remove.")])])
        kinds = {  # the counts as they were always written ("1 containers"): one form whatever the number
            "containers": (self.containers, _("{n} containers ({names})"), _("{n} containers")),
            "networks": (self.networks, _("{n} networks ({names})"), _("{n} networks")),
            "volumes": (self.volumes, _("{n} volumes ({names})"), _("{n} volumes")),
        }
        parts = [
            (named if names else counted).format(n=len(names), names=", ".join(names))
            for kind, (names, named, counted) in kinds.items()
            if names or kind != "volumes"
        ]
        return " ".join([_("Removed {parts}.").format(parts=", ".join(parts)), *refused])


def listed(engine: docker.DockerClient, kind: str, label: str, also: Adopted | None = None) -> list:
    """What a lab has on the engine now, of one ``kind`` (``container`` or ``network``): what carries
    ``label``, and what ``also`` names by ID (what its ``%%docker`` cells made), each once.

    Similar to ``docker ps -a --filter label=LABEL`` plus ``docker ps -a --filter id=ID ...`` (or the
    same with ``docker network ls``). The one place the course answers "what is this lab's"."""
    found = _by_id(_listing(engine, kind, {"label": label}))
    found |= _by_id(by_id(engine, kind, [i for i in (also.of(kind) if also else []) if i not in found]))
    return list(found.values())


def by_id(engine: docker.DockerClient, kind: str, ids: list[str]) -> list:
    """The containers or networks with exactly these IDs that are still there (one listing; an ID
    filter matches prefixes, so only the exact IDs are kept)."""
    return [m for m in _listing(engine, kind, {"id": ids}) if m.id in ids] if ids else []


def _listing(engine: docker.DockerClient, kind: str, filters: dict) -> list:
    if kind == "container":
        return engine.containers.list(all=True, sparse=True, filters=filters)
    return engine.networks.list(filters=filters)


def name_of(item) -> str:
    """A listed container's or network's name (a sparse container's is in its ``Names``)."""
    names = item.attrs.get("Names")
    return names[0].lstrip("/") if names else item.name


def remove_labelled(engine: docker.DockerClient, label: str, also: Adopted | None = None) -> Removed:
    """Remove containers, then networks, then volumes carrying ``label`` (``key`` or ``key=value``),
    and those ``also`` names by ID: what a lab's cells created with the docker CLI."""
    boxes, nets = listed(engine, "container", label, also), listed(engine, "network", label, also)
    return remove_listed(engine, boxes, nets, label, also)


def remove_listed(
    engine: docker.DockerClient, boxes: list, nets: list, label: str, also: Adopted | None
) -> Removed:
    """Remove ``boxes``, then ``nets`` (as ``listed`` gave them), then the volumes carrying ``label`` or
    recorded in ``also``.

    Always goes to the end: what is already gone (removed meanwhile, or auto-removed) is fine, and
    what the engine refuses to remove is reported in ``Removed.left`` instead of stopping the rest.
    """
    also = also or Adopted("")
    left: list[str] = []

    def removed(kind: str, name: str, action: Callable[[], object]) -> bool:
        try:
            action()
        except docker.errors.NotFound:
            return False  # already gone
        except docker.errors.APIError as exc:
            left.append(f"{kind_name(kind)} {name} ({exc.explanation or exc})")
            return False
        return True

    boxes_gone = parallel(
        lambda c: removed("container", name_of(c), lambda: c.remove(force=True, v=True)), boxes
    )
    nets_gone = parallel(lambda n: removed("network", n.name, lambda: _remove_network(n)), nets)
    vols = engine.volumes.list(filters={"label": label})
    if also.of("volume"):  # a name, and the creation time it had: not a later volume of the same name
        made = also.volumes()
        vols += [
            v for v in engine.volumes.list() if made.get(v.name) == v.attrs.get("CreatedAt") and v not in vols
        ]
    vols_gone = [removed("volume", v.name, lambda v=v: v.remove(force=True)) for v in vols]
    return Removed(
        tuple(sorted(name_of(c) for c, ok in zip(boxes, boxes_gone, strict=True) if ok)),
        tuple(sorted(n.name for n, ok in zip(nets, nets_gone, strict=True) if ok)),
        tuple(sorted(v.name for v, ok in zip(vols, vols_gone, strict=True) if ok)),
        tuple(sorted(left)),
    )


def _by_id(found) -> dict[str, object]:
    return {item.id: item for item in found}


def _remove_network(net) -> None:
    """``docker network rm``. A network whose containers were just removed may still hold endpoints
    for a moment, or for good (a stale endpoint, seen on Docker 20.10 after many removals at once):
    those of containers that are gone, or are the course's, are dropped with
    ``docker network disconnect --force``; a user's container on it is never touched."""

    def removed() -> bool:
        try:
            net.remove()
            return True
        except docker.errors.APIError as exc:
            if "active endpoints" not in str(exc.explanation):
                raise
        _drop_stale_endpoints(net)
        return False

    try:
        until(
            removed, 10, 0.2, _("network {network} to lose its endpoints").format(network=net.name), retry=()
        )
    except TimedOut:
        net.remove()  # once more: the engine's refusal says what holds it


def _drop_stale_endpoints(net) -> None:
    """``docker network disconnect --force`` the endpoints of containers that are gone or the course's."""
    net.reload()
    for endpoint, info in (net.attrs.get("Containers") or {}).items():
        try:
            box = net.client.containers.get(endpoint)
        except docker.errors.NotFound:
            box = None
        if box is None or LABEL in box.labels:
            with contextlib.suppress(docker.errors.APIError):
                net.disconnect(info.get("Name") or endpoint, force=True)


def reset(host: str | None = None) -> Removed:
    """Remove every resource of every course lab, and nothing a user made: ``course reset``."""
    engine = client(host)
    engine_id, every = engine.info()["ID"], Adopted("")
    for lab in adopted.labs(engine_id):
        for kind, idents in adopted.load(lab, engine_id).ids.items():
            every.ids[kind] += idents
    removed = remove_labelled(engine, LABEL, every)
    if not removed.left:  # what the engine refused stays known, for the next try
        for lab in adopted.labs(engine_id):
            adopted.forget(lab, engine_id)
    return removed
