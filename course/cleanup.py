"""Removing what the course made, by label only: a lab's ``cleanup()`` and ``course reset``.

Everything the course creates carries ``course.lab=<lab>``; nothing without that label is ever removed.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import docker

from .engine import client
from .names import LABEL
from .parallel import parallel


@dataclass(frozen=True)
class Removed:
    """What a cleanup removed, by name."""

    containers: tuple[str, ...]
    networks: tuple[str, ...]
    volumes: tuple[str, ...] = ()
    left: tuple[str, ...] = ()  # what the engine refused to remove, with its reason

    def __str__(self) -> str:
        refused = f" Could not remove: {'; '.join(self.left)}." if self.left else ""
        if not (self.containers or self.networks or self.volumes):
            return "Removed nothing." + (refused or " There was nothing to remove.")
        kinds = {"containers": self.containers, "networks": self.networks, "volumes": self.volumes}
        parts = [
            f"{len(names)} {kind}" + (f" ({', '.join(names)})" if names else "")
            for kind, names in kinds.items()
            if names or kind != "volumes"
        ]
        return "Removed " + ", ".join(parts) + "." + refused


def remove_labelled(engine: docker.DockerClient, label: str) -> Removed:
    """Remove containers, then networks, then volumes carrying ``label`` (``key`` or ``key=value``).

    Always goes to the end: what is already gone (removed meanwhile, or auto-removed) is fine, and
    what the engine refuses to remove is reported in ``Removed.left`` instead of stopping the rest.
    """
    left: list[str] = []

    def remove(kind: str, name: str, action: Callable[[], object]) -> bool:
        try:
            action()
        except docker.errors.NotFound:
            return False  # already gone
        except docker.errors.APIError as exc:
            left.append(f"{kind} {name} ({exc.explanation or exc})")
            return False
        return True

    boxes = engine.containers.list(all=True, sparse=True, filters={"label": label})
    names = {c.id: c.attrs["Names"][0].lstrip("/") for c in boxes}
    gone = parallel(lambda c: remove("container", names[c.id], lambda: c.remove(force=True, v=True)), boxes)
    nets = engine.networks.list(filters={"label": label})
    nets_gone = parallel(lambda n: remove("network", n.name, n.remove), nets)
    vols = engine.volumes.list(filters={"label": label})
    vols_gone = [remove("volume", v.name, lambda v=v: v.remove(force=True)) for v in vols]
    return Removed(
        tuple(sorted(names[c.id] for c, ok in zip(boxes, gone, strict=True) if ok)),
        tuple(sorted(n.name for n, ok in zip(nets, nets_gone, strict=True) if ok)),
        tuple(sorted(v.name for v, ok in zip(vols, vols_gone, strict=True) if ok)),
        tuple(sorted(left)),
    )


def reset(host: str | None = None) -> Removed:
    """Remove every resource of every course lab, and nothing a user made: ``course reset``."""
    return remove_labelled(client(host), LABEL)
