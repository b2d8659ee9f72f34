"""``course/learner``: the single-user notebook server image a classroom hub starts for each learner.

Built on this machine with no registry: ``debootstrap`` makes a Debian root filesystem with Python
(from the system's own Debian mirror), a virtual environment in it gets the course package and its
dependencies plus ``jupyterhub`` (for ``jupyterhub-singleuser``) through a ``chroot``, at the versions
``constraints.txt`` locks (those ``make`` installs), and the tree is imported with ``docker import``. The
notebooks are copied in and given to each learner's home on its first start. Needs root (debootstrap and
chroot) and about 1 GB of disk while building.
"""

from __future__ import annotations

import hashlib
import io
import os
import re
import shutil
import subprocess
import sys
import tarfile
from importlib.metadata import version
from pathlib import Path

from .. import process
from ..engines.client import client
from ..engines.images import IMAGE_LABEL, import_rootfs
from ..engines.releases import debian_uri
from ..errors import CourseError
from ..i18n import _
from .learner_engine import HOME, LEARNER_UID

LEARNER_IMAGE = "course/learner:latest"
# the image's venv, and in it JupyterLab's settings for each language of the course (course.jupyterlab)
VENV = "/opt/course/venv"
LAB_SETTINGS = f"{VENV}/share/jupyter/lab/course-settings"
ROOT = Path(__file__).resolve().parents[2]
# The lock `make` installs from (`make lock` refreshes it); the image's packages follow it too.
CONSTRAINTS = ROOT / "constraints.txt"
CACHE = Path("/var/cache/dockernet-course/learner")
PACKAGES = ["python3", "python3-venv", "busybox-static", "ca-certificates", "tini"]
# the kernel's folders stay empty in the image: the engine mounts them
SKIP = ("proc/", "sys/", "dev/")
# What the server starts with: the notebooks into an empty home (or the Korean ones into a home kept
# from before they came: -n overwrites nothing), then the hub's single-user server.
START = """#!/bin/sh
set -e
[ -e "$HOME/ko/00_setup.ipynb" ] || cp -rn /opt/course/notebooks/. "$HOME/"
exec jupyterhub-singleuser "$@"
"""


def _inputs() -> str:
    """The digest of everything that goes into the image."""
    files = sorted(
        [
            ROOT / "pyproject.toml",
            CONSTRAINTS,
            *(ROOT / "course").rglob("*.py"),
            *(ROOT / "course" / "locale").rglob("*.po"),
            *(ROOT / "notebooks").rglob("*"),
        ]
    )
    files = [f for f in files if f.is_file()] + [_docker_cli()]
    digest = hashlib.sha256(" ".join([*PACKAGES, version("jupyterhub"), START, str(LEARNER_UID)]).encode())
    for f in files:
        digest.update(f.read_bytes())
    return digest.hexdigest()[:16]


def _run(argv: list[str], what: str) -> None:
    process.run(
        argv,
        _("Building the learner image: {step}").format(step=what),
        _(
            "Fix what it says below (for pip: the network or the package index), then run course classroom "
            "hub again."
        ),
        tail=1500,
    )


def _name(requirement: str) -> str:
    return re.sub(r"[-_.]+", "-", re.match(r"[A-Za-z0-9_.-]+", requirement).group()).lower()


def _constraints(pinned: list[str]) -> str:
    """constraints.txt without the packages ``pinned`` asks for by version itself (jupyterhub: the
    hub's own, whatever the lock says, so a hub installed some other way still gets a matching one)."""
    own = {_name(p) for p in pinned if "==" in p}
    lines = CONSTRAINTS.read_text().splitlines()
    return "".join(
        f"{line}\n" for line in lines if line.strip() and not line.startswith("#") and _name(line) not in own
    )


def _install(rootfs: Path) -> None:
    """The course and jupyterhub into a venv in ``rootfs``: wheels fetched on this side (with this
    machine's pip settings: its index, proxy and certificates), installed in a chroot with no network."""
    wheels = rootfs / "opt" / "course" / "wheels"
    shutil.rmtree(wheels, ignore_errors=True)
    venv = VENV
    chroot = ["env", "-i", "PATH=/usr/sbin:/usr/bin:/sbin:/bin", "HOME=/root", "chroot", str(rootfs)]
    if not (rootfs / venv.lstrip("/") / "bin" / "pip").exists():
        _run([*chroot, "python3", "-m", "venv", venv], "python3 -m venv")
    found = subprocess.run([*chroot, "python3", "-c", "import platform; print(platform.python_version())"],
                           capture_output=True, text=True, check=True)  # fmt: skip
    pip = [sys.executable, "-m", "pip", "-q"]
    _run([*pip, "wheel", "--no-deps", "-w", str(wheels), str(ROOT)], "pip wheel (the course)")
    course_wheel = next(wheels.glob("dockernet_course-*.whl"))
    target = ["--only-binary=:all:", "--python-version", found.stdout.strip(), "--implementation", "cp"]
    for platform in ("manylinux_2_36_x86_64", "manylinux_2_28_x86_64", "manylinux2014_x86_64", "any"):
        target += ["--platform", platform]
    # nbval and pytest too, so the course's own notebook tests run inside a learner's server
    needs = [str(course_wheel), f"jupyterhub=={version('jupyterhub')}", "nbval", "pytest"]
    # the lock's versions, here and in the chroot (where they also replace what a previous build left)
    outside, inside = [], []
    if CONSTRAINTS.is_file():
        (wheels / "constraints.txt").write_text(_constraints(needs[1:]))
        outside, inside = (
            ["-c", str(wheels / "constraints.txt")],
            ["-c", "/opt/course/wheels/constraints.txt"],
        )
    _run([*pip, "download", "-d", str(wheels), *target, *outside, *needs], "pip download")
    offline = ["--no-index", "--find-links", "/opt/course/wheels", "--no-cache-dir", "-q"]
    # the same version number with changed code: put this checkout's course in first, whatever was there,
    # so that the install after it reads this checkout's dependencies (a new one included), not the old's
    again = ["--force-reinstall", "--no-deps", f"/opt/course/wheels/{course_wheel.name}"]
    _run([*chroot, f"{venv}/bin/pip", "install", *offline, *again], "pip install (the course)")
    _run(
        [*chroot, f"{venv}/bin/pip", "install", *offline, *inside, "dockernet-course", *needs[1:]],
        "pip install",
    )
    languages = "from course.jupyterlab import settings_dir; [settings_dir(lang) for lang in ('en', 'ko')]"
    _run([*chroot, f"{venv}/bin/python", "-c", languages], "JupyterLab's settings for each language")
    shutil.rmtree(wheels)


def _add_learner(rootfs: Path) -> None:
    """The unprivileged user the server runs as, ``learner`` (``LEARNER_UID``), owner of its home: a new
    home volume takes that owner from the image when Docker first fills it."""
    for table, line in (("passwd", f"learner:x:{LEARNER_UID}:{LEARNER_UID}:learner:{HOME}:/bin/sh"),
                        ("group", f"learner:x:{LEARNER_UID}:")):  # fmt: skip
        path = rootfs / "etc" / table
        if not any(entry.startswith("learner:") for entry in path.read_text().splitlines()):
            with path.open("a") as out:
                out.write(line + "\n")
    home = rootfs / HOME.lstrip("/")
    home.mkdir(parents=True, exist_ok=True)
    os.chown(home, LEARNER_UID, LEARNER_UID)


def _docker_cli() -> Path:
    """This machine's docker CLI, for the image (a static build, or one linked to Debian 12's libc)."""
    found = shutil.which("docker")
    if found is None:
        raise CourseError(
            _("The learner image needs the docker CLI, and this machine has none on its PATH."),
            _("Install it (apt-get install docker.io), or start an engine with course engine start."),
        )
    return Path(found).resolve()


def build_learner_image(host: str | None = None, force: bool = False) -> str:
    """Build ``course/learner`` (skipped when the engine has it from the same inputs); returns its name."""
    engine = client(host)
    digest = _inputs()
    label = f"{IMAGE_LABEL}.inputs"
    if not force and any(i.labels.get(label) == digest for i in engine.images.list(name=LEARNER_IMAGE)):
        return LEARNER_IMAGE
    if shutil.which("debootstrap") is None:
        _run(
            ["sh", "-c", "apt-get update -q && apt-get install -y -q debootstrap"],
            "apt-get install debootstrap",
        )
    rootfs = CACHE / "rootfs"
    if not (rootfs / "usr" / "bin" / "python3").exists():
        shutil.rmtree(rootfs, ignore_errors=True)
        rootfs.parent.mkdir(parents=True, exist_ok=True)
        include = ",".join(PACKAGES)
        argv = ["debootstrap", "--variant=minbase", f"--include={include}", "bookworm", str(rootfs)]
        _run([*argv, debian_uri()], "debootstrap")
    _install(rootfs)
    notebooks = rootfs / "opt" / "course" / "notebooks"
    shutil.rmtree(notebooks, ignore_errors=True)
    shutil.copytree(ROOT / "notebooks", notebooks, ignore=shutil.ignore_patterns(".ipynb_checkpoints"))
    # the learner's %%docker cells run the real docker CLI (DOCKER_HOST points it at their own engine)
    shutil.copy2(_docker_cli(), rootfs / "usr" / "local" / "bin" / "docker")
    start = rootfs / "usr" / "local" / "bin" / "start-learner"
    start.write_text(START)
    start.chmod(0o755)
    _add_learner(rootfs)
    packed = io.BytesIO()
    with tarfile.open(fileobj=packed, mode="w") as tar:
        tar.add(
            rootfs,
            arcname="/",
            filter=lambda info: None if info.name.startswith(SKIP) else info,
        )
    changes = [
        f"USER {LEARNER_UID}:{LEARNER_UID}",
        "ENV PATH=/opt/course/venv/bin:/usr/local/bin:/usr/bin:/bin",
        "ENV HOME=/home/learner",
        "WORKDIR /home/learner",
        'ENTRYPOINT ["tini", "--"]',
        'CMD ["start-learner"]',
        f"LABEL {IMAGE_LABEL}=learner",
    ]
    import_rootfs(LEARNER_IMAGE, packed.getvalue(), label, digest, changes, host, force=True)
    return LEARNER_IMAGE
