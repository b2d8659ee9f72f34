"""The engine-node image ``course/node``: a Docker engine in a container, built without a registry.

A simulated host for the overlay lesson, running the same engine version as the host: the image is
assembled from the running engine's own binaries (found through its process, wherever they are
installed), every shared library ``ldd`` names for them, the xtables modules iptables loads (without
them dockerd dies with "Couldn't load target 'standard'"), busybox and tcpdump, and imported with
``docker import``.
"""

from __future__ import annotations

import hashlib
import io
import os
import re
import shutil
import subprocess
import tarfile
from pathlib import Path

from .engine import PIDFILE, client
from .errors import CourseError
from .images import BUSYBOX, IMAGE_LABEL, _add_file, add_busybox, import_rootfs, symlink

NODE_IMAGE = "course/node:latest"
# Found the way the running dockerd finds them: next to it, then on its own PATH.
ENGINE_BINARIES = ("dockerd", "containerd", "containerd-shim-runc-v2", "runc", "docker-proxy")
# The node also needs these; they come from this machine's PATH.
TOOLS = ("docker", "xtables-legacy-multi", "tcpdump")
IPTABLES_LINKS = (
    "iptables",
    "iptables-save",
    "iptables-restore",
    "ip6tables",
    "ip6tables-save",
    "ip6tables-restore",
)
_SYSTEM_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"


def running_dockerd() -> tuple[Path, str]:
    """The binary of the dockerd serving this machine's default socket, and the PATH it runs with.

    The course's own engine is found by its pidfile, a system engine by ``/var/run/docker.pid``.
    """
    for pidfile in (PIDFILE, Path("/var/run/docker.pid")):
        try:
            pid = int(pidfile.read_text().strip())
            exe = Path(os.readlink(f"/proc/{pid}/exe"))
            environ = Path(f"/proc/{pid}/environ").read_bytes().split(b"\0")
        except (OSError, ValueError):
            continue
        if exe.name == "dockerd" and exe.exists():
            path = next((e[5:].decode() for e in environ if e.startswith(b"PATH=")), _SYSTEM_PATH)
            return exe, path
    raise CourseError(
        "The node image is built from the running engine's own binaries, and no local dockerd was found.",
        "Run the course on the machine where the engine runs (course engine start starts one).",
    )


def binaries() -> dict[str, str]:
    """``{name in the image: path here}``: the running engine's binaries, then the tools."""
    dockerd, path = running_dockerd()
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
            "On Debian: apt-get install iptables tcpdump runc (course engine start installs them).",
        )
    return found


def xtables_dir() -> Path:
    """The folder of iptables' extension modules (its path depends on the architecture)."""
    for folder in [*sorted(Path("/usr/lib").glob("*/xtables")), Path("/usr/lib/xtables")]:
        if (folder / "libxt_standard.so").exists():
            return folder
    raise CourseError("iptables' modules (libxt_standard.so) are missing.", "apt-get install iptables")


def _libraries(paths: list[str]) -> set[str]:
    done = subprocess.run(["ldd", *paths], capture_output=True, text=True, check=False)
    found = set(re.findall(r"=>\s+(/\S+)", done.stdout))
    found |= set(re.findall(r"^\s+(/lib\S*ld-linux\S*)", done.stdout, re.M))
    return found


def node_image_tar() -> tuple[bytes, str]:
    """The root filesystem of the node image as a tar, and a digest of its binaries."""
    found = binaries()
    modules = xtables_dir()
    if not BUSYBOX.exists():
        raise CourseError(f"The node image needs {BUSYBOX}.", "apt-get install busybox-static")
    digest = hashlib.sha256()
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tar:
        for folder in ("bin", "sbin", "usr/bin", "usr/sbin", "etc", "tmp", "run", "var/lib/docker", "root"):
            info = tarfile.TarInfo(folder)
            info.type, info.mode = tarfile.DIRTYPE, 0o755
            tar.addfile(info)
        for name, source in found.items():
            data = Path(source).read_bytes()
            digest.update(data)
            _add_file(tar, f"usr/bin/{name}", data, 0o755)
        for link in IPTABLES_LINKS:
            symlink(tar, f"usr/sbin/{link}", "/usr/bin/xtables-legacy-multi")
        for lib in sorted(_libraries(list(found.values()))):
            real = os.path.realpath(lib)
            _add_file(tar, lib.lstrip("/"), Path(real).read_bytes(), 0o755)
        for module in sorted(modules.iterdir()):
            if module.is_file():
                _add_file(tar, str(module).lstrip("/"), module.read_bytes(), 0o644)
        applets = subprocess.run([str(BUSYBOX), "--list"], capture_output=True, text=True, check=True).stdout
        add_busybox(tar, BUSYBOX.read_bytes(), applets.split())
        _add_file(tar, "etc/passwd", b"root:x:0:0:root:/root:/bin/sh\n", 0o644)
        _add_file(tar, "etc/group", b"root:x:0:\ndocker:x:999:\n", 0o644)
    return buf.getvalue(), digest.hexdigest()


def build_node_image(host: str | None = None) -> str:
    """Build ``course/node`` (cached by binary digest) and return its name.

    Similar to ``tar -c rootfs | docker import - course/node``; nodes run it with ``dockerd ...``.
    """
    client(host)  # fail fast, with the fix, when no engine answers
    if shutil.which("ldd") is None:
        raise CourseError(
            "ldd is missing, so the node image cannot be assembled.", "apt-get install libc-bin"
        )
    try:
        data, digest = node_image_tar()
    except CourseError:
        # no local dockerd to copy (a classroom learner's server, whose engine runs next door): an
        # image put there for it (course classroom start loads one) is used as it is
        if not client(host).images.list(name=NODE_IMAGE):
            raise
        return NODE_IMAGE
    changes = ["ENV PATH=/usr/sbin:/usr/bin:/sbin:/bin", f"LABEL {IMAGE_LABEL}=node"]
    import_rootfs(NODE_IMAGE, data, f"{IMAGE_LABEL}.binaries", digest, changes, host)
    return NODE_IMAGE
