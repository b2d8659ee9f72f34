"""Classroom mode: an engine of their own for every learner, on one host engine.

For a learner called ``ann`` the host engine runs, all labelled ``course.classroom=ann``:

- ``classroom-ann-engine``: a Docker engine in a container (``course/node``: the host's own Docker
  version), with memory, CPU and process limits, its state on the volume ``classroom-ann-docker``.
  It serves only a Unix socket, on the volume ``classroom-ann-socket``: no TCP port at all.
- ``classroom-ann-home``: the learner's notebooks and progress, which a reset keeps.
- ``classroom-ann``: a network of the learner's own, the engine's (and so the server's) only one. Between
  two learners' networks the host's firewall drops everything, as between any two bridges: no learner
  reaches another's engine, server or published ports. Only the host itself, where the hub's proxy runs,
  reaches every learner's server.

The learner's notebook server (a container the hub starts) joins the engine container's network
namespace and mounts the socket volume (``server_options()``), so ``docker`` in a notebook talks to
``unix:///run/learner/docker.sock``: the learner's own engine. The host's Docker socket is mounted into
no learner container. The server runs as an unprivileged user (``LEARNER_UID``), whose group owns the
engine's socket, with a memory, CPU and process limit of its own: a fork bomb in a learner's terminal
stays in their server. When the server stops (the learner's Stop, or the idle culler), the hub stops
the engine too (``stop()``), and with it every container inside it, notebook 05's simulated hosts too.

This isolates learners from each other's mistakes, not from a hostile learner: an engine in a
container runs with broad capabilities (see ``course/engines/dind.py`` and the README's classroom notes).
"""

from __future__ import annotations

import io
import ipaddress
import re
import tarfile
import threading
from pathlib import Path

import docker
from docker.models.containers import Container

from .. import progress
from ..cleanup import Removed
from ..engines.client import client
from ..engines.daemon import LOOKUPS
from ..engines.dind import start_engine_container
from ..engines.images import LAB_IMAGE, build_lab_image
from ..engines.node_image import build_node_image
from ..errors import CourseError, engine_call
from ..i18n import _
from ..table import align
from ..underlay import in_free_subnet
from ..waiting import TimedOut, until

CLASSROOM_LABEL = "course.classroom"
SOCKET_DIR = "/run/learner"
DOCKER_HOST = f"unix://{SOCKET_DIR}/docker.sock"
HOME = "/home/learner"
# Per learner engine: enough for notebook 05's three simulated hosts, not enough to starve the room.
LIMITS = {"mem_limit": "3g", "nano_cpus": 1_000_000_000, "pids_limit": 4096}
# Per learner server: kernels, terminals, the docker CLI; not a fork bomb, nor a busy loop for the room.
SERVER_LIMITS = {"mem_limit": "1G", "nano_cpus": 1_000_000_000, "pids_limit": 1024}
# The server's user: no root in it. The engine gives its socket to this group (dockerd --group).
LEARNER_UID = 1000
# learners' own networks on the host, and the hub's (classroom-hub, where its API listens): outside
# Docker's default address pools (172.17-31, 192.168), so no network a learner makes in their own engine
# (their docker0 is 172.17.0.1, as on any engine) ever hides the hub's address from their server
LEARNER_RANGE = ipaddress.ip_network("10.210.0.0/16")
_NAME = re.compile(r"[a-z][a-z0-9-]{0,30}")
RESERVED = ("hub", "instructor")  # classroom-hub is the hub's network; instructor is the room's admin
_PICKING = threading.Lock()  # one learner's network at a time picks its /24 (the hub starts many at once)


def check_learner(name: str) -> str:
    """A learner name: lower-case letters, digits and dashes, starting with a letter (it names containers)."""
    if not isinstance(name, str) or not _NAME.fullmatch(name):
        raise CourseError(
            _("{name} is not a usable learner name.").format(name=repr(name)),
            _("Use lower-case letters, digits and dashes, starting with a letter, e.g. ann or learner-07."),
        )
    if name in RESERVED:
        raise CourseError(
            _("{name} is the classroom's own name here.").format(name=repr(name)),
            _("Give that learner another name."),
        )
    return name


class LearnerEngine:
    """One learner's engine on the host engine: ``start()``, ``reset()``, ``remove()``."""

    def __init__(self, learner: str, host: str | None = None) -> None:
        self.learner = check_learner(learner)
        self.host = client(host)
        self.labels = {CLASSROOM_LABEL: learner}
        self.container_name = f"classroom-{learner}-engine"
        self.network = f"classroom-{learner}"  # the learner's own: no other learner's container is on it
        self.volumes = {kind: f"classroom-{learner}-{kind}" for kind in ("docker", "socket", "home")}

    # --- the host's side ----------------------------------------------------------

    def container(self) -> Container | None:
        with engine_call(_("look up {container}").format(container=self.container_name)):
            found = self.host.containers.list(all=True, filters={"name": f"^{self.container_name}$"})
        return found[0] if found else None

    def start(self, timeout: float = 60) -> LearnerEngine:
        """Start the learner's engine (``docker run -d --privileged --memory 3g --cpus 1 --pids-limit
        4096 -v classroom-ann-docker:/var/lib/docker -v classroom-ann-socket:/run/learner course/node
        dockerd -H unix:///run/learner/docker.sock``) and wait until it answers; a second start does nothing.
        """
        box = self.container()
        if box is not None and box.labels.get(CLASSROOM_LABEL) != self.learner:
            raise CourseError(
                _("{container} exists and is not this classroom's.").format(container=self.container_name),
                _("Pick another name."),
            )
        if box is None:
            for volume in self.volumes.values():
                with engine_call(_("create volume {volume}").format(volume=volume)):
                    made = self.host.volumes.create(volume, labels=self.labels)  # an existing one comes back
                if (made.attrs.get("Labels") or {}).get(CLASSROOM_LABEL) != self.learner:
                    raise CourseError(
                        _(
                            "The volume {volume} exists and is not this classroom's, so it is not reused."
                        ).format(volume=volume),
                        _(
                            "Remove it yourself if it is yours to remove (docker volume rm {volume}), or "
                            "pick another learner name."
                        ).format(volume=volume),
                    )
            self._own_network()
            argv = ["dockerd", "-H", DOCKER_HOST, "--group", str(LEARNER_UID), *LOOKUPS]
            box = start_engine_container(
                self.host,
                build_node_image(),
                argv,
                _("{learner}'s engine").format(learner=self.learner),
                volumes={
                    self.volumes["docker"]: {"bind": "/var/lib/docker", "mode": "rw"},
                    self.volumes["socket"]: {"bind": SOCKET_DIR, "mode": "rw"},
                },
                name=self.container_name,
                hostname=f"{self.learner}-engine",
                labels=self.labels,
                network=self.network,
                **LIMITS,
            )
        elif box.status != "running":
            box.start()
        self._own_home()  # every start: a home from before (root's) becomes the learner's too
        try:
            until(lambda: self.docker("version", "--format", "{{.Server.Version}}")[0] == 0, timeout, 0.3,
                  _("{learner}'s engine to answer").format(learner=self.learner))  # fmt: skip
        except TimedOut:
            raise CourseError(
                _("{learner}'s engine did not answer in {seconds} s.").format(
                    learner=self.learner, seconds=f"{timeout:.0f}"
                ),
                _(
                    "Its log says why (docker logs {container}); then run course classroom start {learner} "
                    "again."
                ).format(container=self.container_name, learner=self.learner),
            ) from None
        return self

    def _own_network(self) -> None:
        """``docker network create classroom-ann``: the engine's (and so the server's) network. Between
        two learners' networks the host's firewall drops everything, as between any two bridges; only
        the host itself (the hub's proxy) reaches a learner's server."""
        with engine_call(_("create network {network}").format(network=self.network)), _PICKING:
            found = self.host.networks.list(names=[self.network])
            mine = [n for n in found if n.name == self.network]
            if not mine:  # learners who log in at the same moment: another process may take a /24 first

                def create(subnet: str) -> None:
                    ipam = docker.types.IPAMConfig(pool_configs=[docker.types.IPAMPool(subnet=subnet)])
                    self.host.networks.create(self.network, labels=self.labels, ipam=ipam)

                in_free_subnet(create, lambda: free_subnet(self.host))
                return
        if (mine[0].attrs.get("Labels") or {}).get(CLASSROOM_LABEL) != self.learner:
            raise CourseError(
                _("The network {network} exists and is not this classroom's, so it is not reused.").format(
                    network=self.network
                ),
                _(
                    "Remove it yourself if it is yours to remove (docker network rm {network}), or pick "
                    "another learner name."
                ).format(network=self.network),
            )

    def _own_home(self) -> None:
        """The home volume belongs to the server's user (``docker run --rm -v classroom-ann-home:/home/learner
        course/lab chown -R 1000:1000 /home/learner``): a new volume is root's, and so are the files of a
        server that ran as root before."""
        volume = {self.volumes["home"]: {"bind": HOME, "mode": "rw"}}
        owner = f"{LEARNER_UID}:{LEARNER_UID}"
        with engine_call(_("give {volume} to the learner's user").format(volume=self.volumes["home"])):
            image, argv = build_lab_image().id, ["chown", "-R", owner, HOME]
            self.host.containers.run(image, argv, volumes=volume, remove=True, network_mode="none")

    def address(self) -> str:
        """The engine's (and its server's) address on the learner's own network: where the proxy goes."""
        box = self.container()
        if box is None:
            raise CourseError(
                _("{learner}'s engine is not running.").format(learner=self.learner),
                f"course classroom start {self.learner}",
            )
        return box.attrs["NetworkSettings"]["Networks"][self.network]["IPAddress"]

    def server_options(self) -> dict:
        """What the learner's notebook server container needs, as Docker SDK ``containers.run`` keywords
        (DockerSpawner's ``extra_host_config`` / ``volumes`` / ``environment`` carry the same)."""
        return {
            "user": f"{LEARNER_UID}:{LEARNER_UID}",
            **SERVER_LIMITS,
            "network_mode": f"container:{self.container_name}",
            "volumes": {
                self.volumes["socket"]: {"bind": SOCKET_DIR, "mode": "rw"},
                self.volumes["home"]: {"bind": HOME, "mode": "rw"},
            },
            "environment": {"DOCKER_HOST": DOCKER_HOST},
            "labels": self.labels,
        }

    def stop(self, timeout: int = 30) -> bool:
        """Stop the learner's engine, and so every container inside it (``docker stop
        classroom-ann-engine``); its volumes, and the learner's notebooks, stay. False if none ran."""
        box = self.container()
        if box is None or box.status != "running":
            return False
        with engine_call(_("stop {container}").format(container=self.container_name)):
            box.stop(timeout=timeout)
        return True

    def remove(self) -> None:
        """Remove the engine container and every volume of this learner, notebooks included."""
        with engine_call(
            _("remove {learner}'s classroom containers and volumes").format(learner=self.learner)
        ):
            for box in self.host.containers.list(
                all=True, filters={"label": f"{CLASSROOM_LABEL}={self.learner}"}
            ):
                box.remove(force=True, v=True)
            for volume in self.host.volumes.list(filters={"label": f"{CLASSROOM_LABEL}={self.learner}"}):
                volume.remove(force=True)
            for network in self.host.networks.list(filters={"label": f"{CLASSROOM_LABEL}={self.learner}"}):
                network.remove()

    # --- the learner's side ------------------------------------------------------

    def docker(self, *argv: str) -> tuple[int, str]:
        """Run ``docker ARGV`` against the learner's engine, inside its container."""
        box = self.container()
        if box is None or box.status != "running":
            raise CourseError(
                _("{learner}'s engine is not running.").format(learner=self.learner),
                f"course classroom start {self.learner}",
            )
        with engine_call(
            _("run docker {arguments} in {learner}'s engine").format(
                arguments=" ".join(argv), learner=self.learner
            )
        ):
            code, out = box.exec_run(["docker", "-H", DOCKER_HOST, *argv])
        return code, out.decode(errors="replace")

    def load_images(self) -> None:
        """The lab image, and the node image notebook 05 runs its simulated hosts on, into the
        learner's engine (a learner's server has no local dockerd to build the node image from)."""
        for image in (LAB_IMAGE, build_node_image()):  # the host's very image (by ID), or it is loaded
            code, have = self.docker("image", "inspect", "--format", "{{.Id}}", image)
            if code != 0 or have.strip() != self.host.images.get(image).id:
                self.load(image)

    def load(self, image: str = LAB_IMAGE) -> None:
        """Copy an image from the host engine into the learner's: ``docker save IMAGE | docker load``."""
        data = b"".join(self.host.images.get(image).save(named=True))
        packed = io.BytesIO()
        with tarfile.open(fileobj=packed, mode="w") as tar:
            info = tarfile.TarInfo("image.tar")
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
        box = self.container()
        box.put_archive("/tmp", packed.getvalue())
        code, out = self.docker("load", "-i", "/tmp/image.tar")
        box.exec_run(["rm", "-f", "/tmp/image.tar"])
        if code != 0:
            raise CourseError(
                _("Could not load {image} into {learner}'s engine: {output}.").format(
                    image=image, learner=self.learner, output=out.strip()
                ),
                _(
                    "Check that it answers and has disk space (docker logs {container}), "
                    "then run course classroom start {learner} again."
                ).format(container=self.container_name, learner=self.learner),
            )

    def reset(self) -> Removed:
        """Remove every container, network and volume in the learner's engine (and leave any swarm);
        images and the learner's notebooks stay."""
        self.docker("swarm", "leave", "--force")  # an error when in no swarm: nothing to leave
        lists = {
            "containers": ("ps", "-a", "--format", "{{.Names}}"),
            "networks": ("network", "ls", "--filter", "type=custom", "--format", "{{.Name}}"),
            "volumes": ("volume", "ls", "--format", "{{.Name}}"),
        }
        removers = {
            "containers": ("rm", "-f"),
            "networks": ("network", "rm"),
            "volumes": ("volume", "rm", "-f"),
        }
        removed = {}
        for kind, listing in lists.items():
            names = sorted(self.docker(*listing)[1].split())
            if names:
                code, out = self.docker(*removers[kind], *names)
                if code != 0:
                    raise CourseError(
                        _("Could not remove {kind} in {learner}'s engine: {output}.").format(
                            kind=kind, learner=self.learner, output=out.strip()
                        ),
                        _(
                            "Run course classroom reset {learner} again; if it fails the same way, "
                            "course classroom remove {learner} removes the whole engine (notebooks too)."
                        ).format(learner=self.learner),
                    )
            removed[kind] = names
        return Removed(*(tuple(removed[kind]) for kind in ("containers", "networks", "volumes")))

    def progress(self) -> dict[str, dict]:
        """The learner's exercise verdicts (``progress.load()`` in their server), read from their home
        volume by a short-lived container: ``docker run --rm -v classroom-ann-home:/home/learner:ro
        course/lab cat /home/learner/.local/state/dockernet-course/progress.json``."""
        where = progress.default_path(Path(HOME))
        volume = {self.volumes["home"]: {"bind": HOME, "mode": "ro"}}
        with engine_call(_("read {learner}'s progress").format(learner=self.learner)):
            # never make the volume by reading it: one made here would lack the label, and their engine's
            # start would refuse it; a learner who never logged in has solved nothing
            found = self.host.volumes.list(filters={"name": f"^{self.volumes['home']}$"})
            if not [v for v in found if (v.attrs.get("Labels") or {}).get(CLASSROOM_LABEL) == self.learner]:
                return {}
            argv = ["sh", "-c", 'cat "$0" 2>/dev/null || true', str(where)]  # the path as $0, not spliced
            out = self.host.containers.run(LAB_IMAGE, argv, volumes=volume, remove=True, network_mode="none")
        return progress.parse(out)


def progress_rows(names: list[str], host: str | None = None) -> list[dict]:
    """Per learner: ``{"learner", "notebooks": {"01": "1/2", ...}, "solved": "3/10"}``, read from each
    learner's home volume (``LearnerEngine.progress()``)."""
    books = list(progress.EXERCISES)
    found = []
    for name in names:
        done = LearnerEngine(name, host).progress()
        per = [sum(bool(done.get(k, {}).get("ok")) for k in progress.EXERCISES[b]) for b in books]
        counts = {b[:2]: f"{n}/{len(progress.EXERCISES[b])}" for n, b in zip(per, books, strict=True)}
        total = f"{sum(per)}/{progress.Report({}).total}"
        found.append({"learner": name, "notebooks": counts, "solved": total})
    return found


def free_subnet(host: docker.DockerClient) -> str:
    """A /24 of LEARNER_RANGE that no network of the host engine uses (a learner's, or the hub's)."""
    taken = [
        ipaddress.ip_network(config["Subnet"])
        for net in host.api.networks()
        for config in (net.get("IPAM") or {}).get("Config") or []
        if config.get("Subnet") and ":" not in config["Subnet"]
    ]
    for candidate in LEARNER_RANGE.subnets(new_prefix=24):
        if not any(candidate.overlaps(t) for t in taken):
            return str(candidate)
    raise CourseError(
        _("No free /24 left in {range}.").format(range=LEARNER_RANGE), "course classroom remove LEARNER..."
    )


def class_progress(names: list[str], host: str | None = None) -> str:
    """A table: one row per learner, solved/total per notebook (``course classroom progress``)."""
    found = progress_rows(names, host)
    books = list(found[0]["notebooks"]) if found else [b[:2] for b in progress.EXERCISES]
    rows = [["learner", *books, "solved"]]
    rows += [[row["learner"], *row["notebooks"].values(), row["solved"]] for row in found]
    return "\n".join(align(rows))


def learners(host: str | None = None) -> list[str]:
    """The learners with an engine on the host engine."""
    boxes = client(host).containers.list(all=True, filters={"label": CLASSROOM_LABEL})
    return sorted({box.labels[CLASSROOM_LABEL] for box in boxes if box.name.endswith("-engine")})
