"""The engine-node image ``course/node``: a Docker engine in a container, built without a registry.

A simulated host for the overlay lesson. Where the user has ``docker:dind`` it is used; otherwise
the image is assembled from this machine's own engine binaries (Debian's ``docker.io``), every
shared library ``ldd`` names for them, the xtables modules iptables loads (without them dockerd
dies with "Couldn't load target 'standard'"), busybox and tcpdump, and imported with ``docker import``.
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

from .engine import client
from .errors import CourseError
from .images import BUSYBOX, IMAGE_LABEL, _add_file, add_busybox, import_rootfs, symlink

NODE_IMAGE = "course/node:latest"
BINARIES = {
    # name in the image: where Debian's packages put it
    "dockerd": "/usr/sbin/dockerd",
    "containerd": "/usr/bin/containerd",
    "containerd-shim-runc-v2": "/usr/bin/containerd-shim-runc-v2",
    "runc": "/usr/sbin/runc",
    "docker-proxy": "/usr/sbin/docker-proxy",
    "docker": "/usr/bin/docker",
    "xtables-legacy-multi": "/usr/sbin/xtables-legacy-multi",
    "tcpdump": "/usr/bin/tcpdump",
}
IPTABLES_LINKS = (
    "iptables",
    "iptables-save",
    "iptables-restore",
    "ip6tables",
    "ip6tables-save",
    "ip6tables-restore",
)
XTABLES_DIR = Path("/usr/lib/x86_64-linux-gnu/xtables")


def _libraries(paths: list[str]) -> set[str]:
    done = subprocess.run(["ldd", *paths], capture_output=True, text=True, check=False)
    found = set(re.findall(r"=>\s+(/\S+)", done.stdout))
    found |= set(re.findall(r"^\s+(/lib\S*ld-linux\S*)", done.stdout, re.M))
    return found


def node_image_tar() -> tuple[bytes, str]:
    """The root filesystem of the node image as a tar, and a digest of its binaries."""
    missing = [p for p in [*BINARIES.values(), str(BUSYBOX)] if not os.path.exists(p)]
    if missing or not XTABLES_DIR.is_dir():
        raise CourseError(
            f"The node image needs {', '.join(missing) or XTABLES_DIR}, which this machine lacks.",
            "On Debian: apt-get install docker.io iptables tcpdump busybox-static.",
        )
    digest = hashlib.sha256()
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tar:
        for folder in ("bin", "sbin", "usr/bin", "usr/sbin", "etc", "tmp", "run", "var/lib/docker", "root"):
            info = tarfile.TarInfo(folder)
            info.type, info.mode = tarfile.DIRTYPE, 0o755
            tar.addfile(info)
        for name, source in BINARIES.items():
            data = Path(source).read_bytes()
            digest.update(data)
            _add_file(tar, f"usr/bin/{name}", data, 0o755)
        for link in IPTABLES_LINKS:
            symlink(tar, f"usr/sbin/{link}", "/usr/bin/xtables-legacy-multi")
        for lib in sorted(_libraries(list(BINARIES.values()))):
            real = os.path.realpath(lib)
            _add_file(tar, lib.lstrip("/"), Path(real).read_bytes(), 0o755)
        for module in sorted(XTABLES_DIR.iterdir()):
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
    data, digest = node_image_tar()
    changes = ["ENV PATH=/usr/sbin:/usr/bin:/sbin:/bin", f"LABEL {IMAGE_LABEL}=node"]
    import_rootfs(NODE_IMAGE, data, f"{IMAGE_LABEL}.binaries", digest, changes, host)
    return NODE_IMAGE
