"""The engine-node image ``course/node``: a Docker engine in a container, for the simulated hosts.

The nodes run the same engine version as the engine the course talks to. The image comes from the first
of these that works, and ``node_image_source()`` says which one did:

1. **the running engine's own binaries**, when this machine runs that engine and this user can read its
   process (root, the engine's version): they are assembled with every shared library ``ldd`` names for
   them, the xtables modules iptables loads (without them dockerd dies with "Couldn't load target
   'standard'") and busybox, and imported with ``docker import``. No registry. (Packet captures run the
   lab image's tcpdump on a node, so a node image needs none.)
2. **a ``course/node`` image already on the engine** (``course images import``, or loaded by the
   classroom).
3. **``docker:<engine version>-dind`` from a registry**: Docker Hub, or the registry named by
   ``COURSE_REGISTRY`` (e.g. ``127.0.0.1:5000``), tagged ``course/node``. For Docker Desktop, where the
   engine runs in a VM, and for a learner who is not root, whose engine's process belongs to root.
4. else the error says how to bring an image file: ``course images export FILE`` where the course runs
   as root, ``course images import FILE`` here.
"""

from __future__ import annotations

import contextlib
import getpass
import hashlib
import io
import json
import os
import re
import shutil
import subprocess
import tarfile
from pathlib import Path

import docker
import requests

from ..errors import CourseError, reason
from ..i18n import _
from .certs import state_dir
from .client import address, client
from .daemon import PIDFILE
from .images import BUSYBOX, IMAGE_LABEL, _add_file, add_busybox, add_with_libraries, import_rootfs, symlink

NODE_IMAGE = "course/node:latest"
# the Docker version a node image runs, on the images the course assembles (dind images say DOCKER_VERSION)
VERSION_LABEL = f"{IMAGE_LABEL}.version"
# Found the way the running dockerd finds them: next to it, then on its own PATH.
ENGINE_BINARIES = ("dockerd", "containerd", "containerd-shim-runc-v2", "runc", "docker-proxy")
# The node also needs these; they come from this machine's PATH. Notebook 06 builds a bridge by hand
# with iproute2's ``ip`` (busybox's has no ``netns`` and no ``-j``), and enters a container's namespace
# with util-linux's ``nsenter`` (busybox's runs its own ``ip`` applet, not the one on PATH).
TOOLS = ("docker", "xtables-legacy-multi", "ip", "nsenter")
IPTABLES_LINKS = (
    "iptables",
    "iptables-save",
    "iptables-restore",
    "ip6tables",
    "ip6tables-save",
    "ip6tables-restore",
)
_SYSTEM_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"


REGISTRY_SETTING = "COURSE_REGISTRY"
_source: dict[str, str] = {}  # the engine address -> where its node image came from


class NoLocalEngine(CourseError):
    """The engine's own binaries cannot be read on this machine; the message says why."""


def _dockerd_pids() -> list[int]:
    """PIDs of dockerd processes on this machine: the course's and the system's pidfiles first."""
    pids: list[int] = []
    for pidfile in (PIDFILE, Path("/var/run/docker.pid")):
        try:
            pids.append(int(pidfile.read_text().strip()))
        except (OSError, ValueError):
            continue
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and int(entry.name) not in pids:
            try:
                if (entry / "comm").read_text().strip() == "dockerd":
                    pids.append(int(entry.name))
            except OSError:
                continue
    return pids


def _release(version: str) -> str:
    """``28.5.2`` from ``28.5.2+dfsg4`` or ``Docker version 28.5.2+dfsg4, build ...``."""
    found = re.search(r"(\d+\.\d+\.\d+)", version)
    return found.group(1) if found else version


def running_dockerd(version: str | None = None) -> tuple[Path, str]:
    """The binary of a dockerd running on this machine (of ``version``, when given) and its PATH.

    Raises:
        NoLocalEngine: none runs here (Docker Desktop, an engine elsewhere), none of that version, or
            this user may not read it (the engine's process is root's). The message says which.
    """
    unreadable, others = [], []
    for pid in _dockerd_pids():
        try:
            exe = Path(os.readlink(f"/proc/{pid}/exe"))
            environ = Path(f"/proc/{pid}/environ").read_bytes().split(b"\0")
        except PermissionError:
            unreadable.append(pid)
            continue
        except (OSError, ValueError):
            continue
        if exe.name != "dockerd" or not exe.exists():
            continue
        if version is not None:
            said = subprocess.run([str(exe), "--version"], capture_output=True, text=True, check=False)
            if _release(said.stdout) != _release(version):
                others.append(f"{_release(said.stdout) or '?'} (pid {pid})")
                continue
        path = next((e[5:].decode() for e in environ if e.startswith(b"PATH=")), _SYSTEM_PATH)
        return exe, path
    if unreadable:
        raise NoLocalEngine(
            _(
                "The engine's dockerd (pid {pids}) belongs to another user, so this user ({user}) cannot "
                "read its binaries."
            ).format(pids=", ".join(map(str, unreadable)), user=getpass.getuser()),
            _("Run the course as root on the engine's machine to build the node image from it."),
        )
    if others:
        raise NoLocalEngine(
            _("The dockerd running here is Docker {found}, not the engine's {version}.").format(
                found=", ".join(others), version=version
            ),
            _("Start the engine of that version here (course engine start), or bring the node image."),
        )
    raise NoLocalEngine(
        _("No dockerd runs on this machine: the engine runs elsewhere (Docker Desktop's VM, DOCKER_HOST)."),
        _("With Docker Desktop, the node image comes from Docker Hub instead."),
    )


def binaries(version: str | None = None) -> dict[str, str]:
    """``{name in the image: path here}``: the running engine's binaries, then the tools."""
    dockerd, path = running_dockerd(version)
    engine_path = os.pathsep.join([str(dockerd.parent), path, _SYSTEM_PATH])
    found = {"dockerd": str(dockerd)}
    for name in ENGINE_BINARIES[1:]:
        found[name] = shutil.which(name, path=engine_path)
    for name in TOOLS:
        found[name] = shutil.which(name, path=os.pathsep.join([str(dockerd.parent), _SYSTEM_PATH]))
    missing = sorted(name for name, where in found.items() if where is None)
    if missing:
        raise CourseError(
            f"The node image needs {', '.join(missing)}, which this machine lacks.",
            "On Debian: apt-get install iptables runc iproute2 (course engine start installs them).",
        )
    return found


def xtables_dir() -> Path:
    """The folder of iptables' extension modules (its path depends on the architecture)."""
    for folder in [*sorted(Path("/usr/lib").glob("*/xtables")), Path("/usr/lib/xtables")]:
        if (folder / "libxt_standard.so").exists():
            return folder
    raise CourseError("iptables' modules (libxt_standard.so) are missing.", "apt-get install iptables")


def node_image_tar(found: dict[str, str]) -> tuple[bytes, str]:
    """The root filesystem of the node image as a tar, and a digest of its binaries (``binaries()``)."""
    modules = xtables_dir()
    if not BUSYBOX.exists():
        raise CourseError(f"The node image needs {BUSYBOX}.", "apt-get install busybox-static")
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tar:
        for folder in ("bin", "sbin", "usr/bin", "usr/sbin", "etc", "tmp", "run", "var/lib/docker", "root"):
            info = tarfile.TarInfo(folder)
            info.type, info.mode = tarfile.DIRTYPE, 0o755
            tar.addfile(info)
        digest = add_with_libraries(tar, found)
        for link in IPTABLES_LINKS:
            symlink(tar, f"usr/sbin/{link}", "/usr/bin/xtables-legacy-multi")
        for module in sorted(modules.iterdir()):
            if module.is_file():
                _add_file(tar, str(module).lstrip("/"), module.read_bytes(), 0o644)
        applets = subprocess.run([str(BUSYBOX), "--list"], capture_output=True, text=True, check=True).stdout
        add_busybox(tar, BUSYBOX.read_bytes(), applets.split())
        _add_file(tar, "etc/passwd", b"root:x:0:0:root:/root:/bin/sh\n", 0o644)
        _add_file(tar, "etc/group", b"root:x:0:\ndocker:x:999:\n", 0o644)
    return buf.getvalue(), digest.hexdigest()


def build_node_image(host: str | None = None) -> str:
    """Make sure the engine has ``course/node`` for its version, and return its name.

    Tried in order (see the module's docstring): the running engine's binaries (cached by their
    digest), an image already on the engine, ``docker:<version>-dind`` from a registry. Similar to
    ``tar -c rootfs | docker import - course/node``, or ``docker pull docker:29.7.2-dind`` and
    ``docker tag``. ``node_image_source(host)`` then says where it came from.
    """
    engine = client(host)  # fail fast, with the fix, when no engine answers
    where = host or address()
    version = engine.version()["Version"]
    try:
        if shutil.which("ldd") is None:
            raise NoLocalEngine(
                _("ldd is missing, so the node image cannot be assembled (apt-get install libc-bin)."),
                "apt-get install libc-bin",
            )
        found = binaries(version)
    except NoLocalEngine as local:
        have = next(iter(engine.images.list(name=NODE_IMAGE)), None)
        made_for = image_version(have) if have is not None else None
        if made_for is not None and _release(made_for) == _release(version):
            _source[where] = _("the course/node image already on the engine")
            return NODE_IMAGE
        pulled, why = _pull_dind(engine, version)
        if pulled is None:
            if have:
                what = _(
                    "The simulated hosts need the node image course/node of this engine's version, Docker "
                    "{version}, and it cannot be made here. {reason} The course/node image on the engine is "
                    "Docker {made_for}'s. Nor could {image} be pulled ({why})."
                )
            else:
                what = _(
                    "The simulated hosts need the node image course/node of this engine's version, Docker "
                    "{version}, and it cannot be made here. {reason} Nor could {image} be pulled ({why})."
                )
            raise CourseError(
                what.format(
                    version=_release(version),
                    reason=local.what,
                    made_for=made_for or "?",
                    image=dind_reference(version, os.environ.get(REGISTRY_SETTING)),
                    why=why,
                ),
                _(
                    "Bring the image as a file: where the course runs as root on an engine of the same "
                    "version, run `course images export course-images.tar`; here, run `course images import "
                    "course-images.tar`. Or set {setting} to a registry that has docker:<version>-dind."
                ).format(setting=REGISTRY_SETTING),
            ) from local
        _source[where] = _("{image}, pulled ({reason})").format(image=pulled, reason=local.what)
        return NODE_IMAGE
    _source[where] = _("the running engine's own binaries")
    # The image's tar is some 200 MB: it is built only when the binaries changed since the image on the
    # engine was made from them (their paths, sizes and times, remembered with that image's digest).
    label = f"{IMAGE_LABEL}.binaries"
    fingerprint, known = _fingerprint(found), _digests()
    have = next(iter(engine.images.list(name=NODE_IMAGE)), None)
    if (
        have is not None
        and known.get(fingerprint)
        and have.labels.get(label) == known[fingerprint]
        and have.labels.get(VERSION_LABEL) == version
    ):
        return NODE_IMAGE
    data, digest = node_image_tar(found)
    changes = ["ENV PATH=/usr/sbin:/usr/bin:/sbin:/bin", f"LABEL {IMAGE_LABEL}=node"]
    changes.append(f"LABEL {VERSION_LABEL}={version}")
    labelled = have is not None and have.labels.get(VERSION_LABEL) == version  # not one from before the label
    import_rootfs(NODE_IMAGE, data, label, digest, changes, host, force=not labelled)
    _remember_digest(fingerprint, digest)
    return NODE_IMAGE


def _digest_file() -> Path:
    return state_dir() / "node-image-digests.json"


def _fingerprint(found: dict[str, str]) -> str:
    """What the node image is made of, cheaply: each binary's real path, size and modification time."""
    lines = []
    for name, path in sorted(found.items()):
        real = os.path.realpath(path)
        stat = os.stat(real)
        lines.append(f"{name} {real} {stat.st_size} {stat.st_mtime_ns}")
    return hashlib.sha256("\n".join(lines).encode()).hexdigest()


def _digests() -> dict[str, str]:
    try:
        known = json.loads(_digest_file().read_text())
    except (OSError, ValueError):
        return {}
    return known if isinstance(known, dict) else {}


def _remember_digest(fingerprint: str, digest: str) -> None:
    known = {**_digests(), fingerprint: digest}
    with contextlib.suppress(OSError):
        _digest_file().parent.mkdir(parents=True, exist_ok=True)
        _digest_file().write_text(json.dumps(dict(list(known.items())[-8:])))  # a few engines' worth


def image_version(image: docker.models.images.Image) -> str | None:
    """The Docker version a node image runs: the course's label, or a dind image's ``DOCKER_VERSION``."""
    labelled = (image.labels or {}).get(VERSION_LABEL)
    if labelled:
        return labelled
    env = image.attrs.get("Config", {}).get("Env") or []
    return next((e.split("=", 1)[1] for e in env if e.startswith("DOCKER_VERSION=")), None)


def node_image_source(host: str | None = None) -> str:
    """Where ``build_node_image(host)`` got the node image: binaries, the engine, or a registry pull."""
    return _source.get(host or address()) or _("not made yet")


def dind_reference(version: str, registry: str | None = None) -> str:
    """``docker:29.7.2-dind``, or ``127.0.0.1:5000/docker:29.7.2-dind`` with a registry named."""
    name = f"docker:{_release(version)}-dind"
    return f"{registry.rstrip('/')}/{name}" if registry else name


def _pull_dind(engine: docker.DockerClient, version: str) -> tuple[str | None, str]:
    """``docker pull`` the dind image of ``version``, tag it ``course/node`` and drop the pulled name.

    Returns the reference pulled, or None and why not.
    """
    reference = dind_reference(version, os.environ.get(REGISTRY_SETTING))
    repository, tag = reference.rsplit(":", 1)
    try:
        image = engine.images.pull(repository, tag=tag)
        image.tag(*NODE_IMAGE.split(":"))
        engine.images.remove(reference)  # only the course's name stays: the course knows it by that name
    except docker.errors.APIError as exc:
        return None, str(exc.explanation or exc)
    except (docker.errors.DockerException, requests.exceptions.RequestException) as exc:
        return None, str(exc)
    return reference, ""


def export_images(path: str, host: str | None = None) -> str:
    """Write the lab and node images to one file, for an engine that cannot make them.

    Similar to ``docker save -o FILE course/lab course/node``.
    """
    from .images import LAB_IMAGE, build_lab_image

    build_lab_image()
    build_node_image(host)
    engine = client(host)
    # GET /images/get?names=A&names=B: both in one file (the SDK's get_image takes one name)
    api = engine.api
    answer = api._get(api._url("/images/get"), params={"names": [LAB_IMAGE, NODE_IMAGE]}, stream=True)
    with open(path, "wb") as out:
        for chunk in api._stream_raw_result(answer, chunk_size=1 << 20, decode=False):
            out.write(chunk)
    return _("Wrote {lab} and {node} (Docker {version}) to {path}.").format(
        lab=LAB_IMAGE, node=NODE_IMAGE, version=engine.version()["Version"], path=path
    )


def import_images(path: str, host: str | None = None) -> str:
    """Load an image file made by ``export_images``: ``docker load -i FILE``."""
    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        raise CourseError(
            _("Cannot read {path} ({reason}).").format(path=path, reason=exc.strerror),
            _("Name the file course images export wrote."),
        ) from exc
    try:
        loaded = client(host).images.load(data)
    except docker.errors.APIError as exc:
        raise CourseError(
            _("The engine refused {path}: {reason}.").format(path=path, reason=reason(exc)),
            _("Export the file again with course images export."),
        ) from exc
    tags = sorted(tag for image in loaded for tag in image.tags)
    if NODE_IMAGE not in tags:
        raise CourseError(
            _("{path} holds {images}, not {node}.").format(
                path=path, images=", ".join(tags) or _("no tagged image"), node=NODE_IMAGE
            ),
            _("Make it with course images export, where the course runs as root."),
        )
    return _("Loaded {images} from {path}.").format(images=", ".join(tags), path=path)
