"""Lab images built on this machine, no registry needed.

``course/lab`` is the static busybox with one symlink per applet, and it has
``sh ping ip nslookup wget nc httpd`` and friends. It stands in for the ``ubuntu``
image the workshop pulled (and then had to ``apt-get install`` ping into). It also has this
machine's ``tcpdump``, with the shared libraries ``ldd`` names for it (some 15 MB in all), so that
``docker run --net=host course/lab tcpdump -ni docker0`` watches the packets, as the well-known
``nicolaka/netshoot`` image does.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import os
import re
import shutil
import subprocess
import tarfile
from pathlib import Path

import docker

from ..errors import CourseError, EngineError, ImageMissing, reason
from ..i18n import _
from .client import client
from .releases import install_debian_packages

LAB_IMAGE = "course/lab:latest"
IMAGE_LABEL = "course.image"
BUSYBOX = Path("/bin/busybox")
REQUIRED_TOOLS = ("sh", "ping", "ip", "nslookup", "wget", "nc", "httpd", "sleep")
# PID 1 ignores SIGTERM unless it traps it: with the trap `docker stop` takes no 10 s.
KEEPALIVE = ["/bin/sh", "-c", 'trap "exit 0" TERM INT; while :; do sleep 3600 & wait $!; done']
STANDARD_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
# tcpdump drops root for its own user (Debian builds it --with-user=tcpdump), so the image has one
_PASSWD = (
    "root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/false\n"
    "tcpdump:x:101:101:tcpdump:/nonexistent:/bin/false\n"
)
_GROUP = "root:x:0:\nnobody:x:65534:\ntcpdump:x:101:\n"


def shared_libraries(paths: list[str]) -> set[str]:
    """Every shared library ``ldd`` names for these binaries, the dynamic loader included.

    Raises CourseError when ``ldd`` finds one missing: an image without it would not start the binary.
    """
    done = subprocess.run(["ldd", *paths], capture_output=True, text=True, check=False)
    missing = sorted(set(re.findall(r"^\s+(\S+)\s+=>\s+not found", done.stdout, re.M)))
    if missing:
        raise CourseError(
            _("{binaries} need {libraries}, which this machine lacks (ldd says so).").format(
                binaries=", ".join(paths), libraries=", ".join(missing)
            ),
            _("Reinstall the package that brings them (Debian: apt-get install --reinstall tcpdump)."),
        )
    found = set(re.findall(r"=>\s+(/\S+)", done.stdout))
    found |= set(re.findall(r"^\s+(/\S+)\s+\(0x", done.stdout, re.M))  # the loader: no "=>"
    return found


def add_with_libraries(tar: tarfile.TarFile, binaries: dict[str, str]) -> hashlib._Hash:
    """Put each binary at ``usr/bin/<name>`` with its shared libraries at their own paths.

    Returns the sha256 of the binaries, which changes when this machine updates them.
    """
    digest = hashlib.sha256()
    for name, source in binaries.items():
        data = Path(source).read_bytes()
        digest.update(data)
        _add_file(tar, f"usr/bin/{name}", data, 0o755)
    for lib in sorted(shared_libraries(list(binaries.values()))):
        _add_file(tar, lib.lstrip("/"), Path(os.path.realpath(lib)).read_bytes(), 0o755)
    return digest


def tcpdump() -> str:
    """This machine's tcpdump, installed first on Debian when it is missing (as root)."""
    if shutil.which("ldd") is None:
        raise CourseError(
            _(
                "The lab image carries this machine's tcpdump with its libraries, found by ldd, and this "
                "machine has no ldd."
            ),
            _("Install it (Debian: apt-get install libc-bin)."),
        )
    found = shutil.which("tcpdump", path=STANDARD_PATH)
    if found is None and shutil.which("apt-get"):
        install_debian_packages(["tcpdump"])
        found = shutil.which("tcpdump", path=STANDARD_PATH)
    if found is None:
        raise CourseError(
            _("The lab image carries this machine's tcpdump, and it has none."),
            _("Install it (Debian: apt-get install tcpdump)."),
        )
    return found


def lab_image_tar(busybox: Path = BUSYBOX) -> tuple[bytes, str]:
    """Return the root filesystem tar of the lab image and its sha256 (the tar is the same, byte for
    byte, from the same files: each entry's time is 0 and the libraries are sorted)."""
    binary = busybox.read_bytes()
    applets = subprocess.run(
        [str(busybox), "--list"], capture_output=True, text=True, check=True
    ).stdout.split()
    missing = [t for t in REQUIRED_TOOLS if t not in applets]
    if missing:
        raise CourseError(
            _("{busybox} lacks the applets {applets}.").format(busybox=busybox, applets=", ".join(missing)),
            _("Install Debian's busybox-static (apt-get install busybox-static)."),
        )
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tar:
        for folder in ("bin", "usr/bin", "etc", "root", "tmp", "var/www", "proc", "sys", "dev"):
            info = tarfile.TarInfo(folder)
            info.type, info.mode = tarfile.DIRTYPE, 0o1777 if folder == "tmp" else 0o755
            tar.addfile(info)
        add_busybox(tar, binary, applets)
        add_with_libraries(tar, {"tcpdump": tcpdump()})
        _add_file(tar, "etc/passwd", _PASSWD.encode(), 0o644)
        _add_file(tar, "etc/group", _GROUP.encode(), 0o644)
        _add_file(tar, "var/www/index.html", b"hello from the course lab image\n", 0o644)
    return buf.getvalue(), hashlib.sha256(buf.getvalue()).hexdigest()


def add_busybox(tar: tarfile.TarFile, binary: bytes, applets: list[str]) -> None:
    """Put busybox at /bin/busybox with one /bin/<applet> symlink per applet."""
    _add_file(tar, "bin/busybox", binary, 0o755)
    for applet in applets:
        if applet != "busybox":
            symlink(tar, f"bin/{applet}", "busybox")


def symlink(tar: tarfile.TarFile, name: str, target: str) -> None:
    """Add a symbolic link ``name -> target`` to a tar being built."""
    link = tarfile.TarInfo(name)
    link.type, link.linkname = tarfile.SYMTYPE, target
    tar.addfile(link)


def import_rootfs(
    image: str,
    data: bytes,
    digest_label: str,
    digest: str,
    changes: list[str],
    host: str | None = None,
    force: bool = False,
) -> docker.models.images.Image:
    """``docker import`` a root filesystem tar as ``image``, unless the engine already has it with
    the same digest in ``digest_label`` (so a rebuild happens only when the inputs changed).
    """
    engine = client(host)
    try:
        have = engine.images.get(image)
        if have.labels.get(digest_label) == digest and not force:
            return have
    except docker.errors.ImageNotFound:
        have = None
    repo, tag = image.split(":")
    try:
        engine.api.import_image_from_data(
            data, repository=repo, tag=tag, changes=[*changes, f"LABEL {digest_label}={digest}"]
        )
    except docker.errors.APIError as exc:
        raise EngineError(
            _("The engine refused to import {image}: {reason}.").format(image=image, reason=reason(exc)),
            _("Fix what the engine names (docker system df shows its disk use), then run the step again."),
        ) from exc
    made = engine.images.get(image)
    if have is not None and have.id != made.id:
        # the image it replaces would stay behind untagged (hundreds of MB for the node and learner
        # images); a container still using it keeps it, and that is fine
        with contextlib.suppress(docker.errors.APIError):
            engine.images.remove(have.id)
    return made


def _add_file(tar: tarfile.TarFile, name: str, data: bytes, mode: int) -> None:
    info = tarfile.TarInfo(name)
    info.size, info.mode = len(data), mode
    tar.addfile(info, io.BytesIO(data))


def build_lab_image(force: bool = False, busybox: Path = BUSYBOX) -> docker.models.images.Image:
    """Build ``course/lab`` from the host's static busybox; cached once built.

    Similar to ``tar -C rootfs -c . | docker import -c 'CMD ["/bin/sh"]' - course/lab``.
    """
    engine = client()  # fail fast, with the fix, when no engine answers
    try:
        if not busybox.exists():
            if shutil.which("apt-get") and busybox == BUSYBOX:
                install_debian_packages(["busybox-static"])
            else:
                raise CourseError(
                    _("No static busybox at {busybox} to build the lab image from.").format(busybox=busybox),
                    _(
                        "Install one (Debian: apt-get install busybox-static), or if you can reach a "
                        "registry: course images pull"
                    ),
                )
        data, digest = lab_image_tar(busybox)
    except CourseError:
        # its parts are not here (a learner's server, Docker Desktop, a user who is not root): the
        # engine's own course/lab, loaded, pulled or built before, is the one
        have = engine.images.list(name=LAB_IMAGE)
        if have and not force:
            return have[0]
        raise
    # the usual PATH, so that `chroot /host iptables` in a --net=host helper finds the host's sbin tools
    changes = ['CMD ["/bin/sh"]', f"ENV PATH={STANDARD_PATH}", f"LABEL {IMAGE_LABEL}=lab"]
    digest = hashlib.sha256(f"{digest} {changes}".encode()).hexdigest()  # a new setting rebuilds it
    return import_rootfs(LAB_IMAGE, data, f"{IMAGE_LABEL}.busybox", digest, changes, force=force)


def pull_lab_image() -> docker.models.images.Image:
    """Optional path for users with a registry: ``docker pull busybox`` tagged as the lab image."""
    engine = client()
    try:
        image = engine.images.pull("busybox", tag="stable")
    except docker.errors.APIError as exc:
        raise CourseError(
            _("Could not pull busybox from a registry ({reason}).").format(reason=exc.explanation),
            _("Build the image locally instead: course images build"),
        ) from exc
    image.tag(*LAB_IMAGE.split(":"))
    return engine.images.get(LAB_IMAGE)


def require_lab_image(host: str | None = None) -> str:
    """Return the lab image name, or raise ImageMissing with the command that builds it."""
    try:
        client(host).images.get(LAB_IMAGE)
    except docker.errors.ImageNotFound as exc:
        raise ImageMissing(LAB_IMAGE) from exc
    return LAB_IMAGE
