"""Where the engines the course starts come from, on a bare Linux machine (Debian, root).

Three engines, chosen with ``course engine start --engine NAME``:

- ``29``: Docker 29 from Docker's static release archive (``docker-<version>.tgz``: dockerd, docker-proxy,
  the docker CLI, containerd, runc, docker-init in one ``docker/`` folder). The archive is a file or a URL
  named by ``--archive`` or ``COURSE_DOCKER_ARCHIVE``; by default Docker's own download for that version.
  Its sha256 is checked when one is known (``--sha256``, ``COURSE_DOCKER_ARCHIVE_SHA256``, or a
  ``SHA256SUMS`` file beside the archive), then it is unpacked into a private prefix. Docker 29 needs
  runc 1.2 or later; the archive's own runc is used, never the system's.
- ``current`` (the default): the newest ``docker.io`` Debian carries, from its unstable suite (Debian 13's
  as a fallback when that one has moved on or does not run here), unpacked into a private prefix under
  ``/opt/dockernet-course``. The system's apt lists and dpkg database are not changed: apt reads a
  private sources file and private lists, and ``dpkg-deb -x`` unpacks without installing.
- ``20.10``: the system's own ``docker.io`` (Debian 12's is 20.10), installed with apt.

The Debian engines use the system's ``runc`` (the newer suites' runc needs a newer glibc); every engine uses
the system's ``iptables`` (and ``nft`` for the nftables backend), and each has a data root of its own,
since one engine's state is not meant to be upgraded in place by another.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import tarfile
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from .. import process
from ..errors import EngineStartFailed
from ..i18n import _

NAMES = ("29", "current", "20.10")
DEFAULT = "current"
# The Docker 29 release the course is tested on, and where Docker publishes its static archive.
STATIC_VERSION = "29.7.2"
STATIC_URL = "https://download.docker.com/linux/static/stable/x86_64/docker-{version}.tgz"
ARCHIVE_SETTING = "COURSE_DOCKER_ARCHIVE"
SHA256_SETTING = "COURSE_DOCKER_ARCHIVE_SHA256"
FIREWALLS = ("iptables", "nftables")
PREFIX = Path("/opt/dockernet-course/engines")
STATE = Path("/var/lib/dockernet-course")
# Tried in order: the newest first, then Debian 13's (26.1), whose dockerd also runs on glibc 2.34.
SUITES = ("sid", "trixie")
CURRENT_PACKAGES = ("docker.io", "containerd", "docker-cli")
SYSTEM_PACKAGES = ["iptables", "runc", "busybox-static", "tcpdump", "iproute2"]
SOURCES = Path("/etc/apt/sources.list.d/debian.sources")


@dataclass(frozen=True)
class Engine:
    """An engine ready to start: the folders to put first on PATH, and its own state folders."""

    name: str
    bin_dirs: tuple[str, ...]
    data_root: Path
    exec_root: Path
    origin: str  # where it came from, for messages

    def env(self) -> dict[str, str]:
        """The environment dockerd runs with: its own binaries first on PATH."""
        path = os.environ.get("PATH", "/usr/sbin:/usr/bin:/sbin:/bin")
        return {**os.environ, "PATH": os.pathsep.join([*self.bin_dirs, path])}


def prepare(
    name: str = DEFAULT, archive: str | None = None, sha256: str | None = None, firewall: str = "iptables"
) -> Engine:
    """Install what engine ``name`` needs, unless already there, and say how to start it.

    ``archive`` and ``sha256`` are for ``29`` only: Docker's static archive (a path or a URL) and its
    checksum. ``firewall`` ``nftables`` also installs the ``nft`` tool the engine then needs.
    """
    if name not in NAMES:
        raise EngineStartFailed(
            _("There is no engine called {name}.").format(name=repr(name)),
            _("Choose one of: {names}.").format(names=", ".join(NAMES)),
        )
    if firewall not in FIREWALLS:
        raise EngineStartFailed(
            _("There is no firewall backend {name}.").format(name=repr(firewall)),
            _("Choose {first} or {second}.").format(first=FIREWALLS[0], second=FIREWALLS[1]),
        )
    missing = [p for p in SYSTEM_PACKAGES if not _has_package_files(p)]
    if firewall == "nftables" and shutil.which("nft", path="/usr/sbin:/usr/bin:/sbin:/bin") is None:
        missing.append("nftables")
    if name == "29":
        install_debian_packages([p for p in missing if p != "runc"])  # the archive has its own (1.2+)
        root = unpacked_static(archive or os.environ.get(ARCHIVE_SETTING), sha256)
        return Engine(
            name,
            (str(root),),
            STATE / "29",
            Path("/run/dockernet-course/29"),
            _("Docker's static archive in {path}").format(path=root),
        )
    if name == "20.10":
        if shutil.which("dockerd", path="/usr/sbin:/usr/bin") is None:
            missing.append("docker.io")
        install_debian_packages(missing)
        return Engine(name, (), Path("/var/lib/docker"), Path("/var/run/docker"), _("the system's docker.io"))
    install_debian_packages(missing)
    root, suite = _unpacked_current()
    return Engine(
        name,
        (str(root / "usr/sbin"), str(root / "usr/bin")),
        STATE / "current",
        Path("/run/dockernet-course/current"),
        _("Debian {suite}'s docker.io in {path}").format(suite=suite, path=root),
    )


def _has_package_files(package: str) -> bool:
    marker = {"iptables": "iptables", "runc": "runc", "tcpdump": "tcpdump"}.get(package)
    if marker is not None:
        return shutil.which(marker, path="/usr/sbin:/usr/bin:/sbin:/bin") is not None
    return Path("/bin/busybox").exists()


def _unpacked_current() -> tuple[Path, str]:
    """The prefix holding the newest docker.io that runs here; downloaded and unpacked on first use."""
    failures = []
    for suite in SUITES:
        root = PREFIX / suite
        if not _runs(root):
            try:
                _download_and_unpack(suite, root)
            except EngineStartFailed as exc:
                failures.append(f"{suite}: {exc.what}")
                continue
        if _runs(root):
            return root, suite
        failures.append(_("{suite}: its dockerd does not run on this machine").format(suite=suite))
    raise EngineStartFailed(
        _("Could not get a current Docker engine from Debian ({failures}).").format(
            failures="; ".join(failures)
        ),
        _(
            "Start the older engine instead: course engine start --engine 20.10, or install Docker "
            "Engine from your distribution and start it."
        ),
    )


def unpacked_static(archive: str | None, sha256: str | None = None) -> Path:
    """The ``docker/`` folder of Docker's static archive, unpacked under ``PREFIX`` on first use.

    ``archive`` is a file or a URL (default: Docker's download of ``STATIC_VERSION``). The checksum is
    ``sha256``, else ``COURSE_DOCKER_ARCHIVE_SHA256``, else the archive's line in a ``SHA256SUMS`` file
    beside it; an archive whose checksum is known and differs is refused.
    """
    if not archive:  # no setting: the tested release, unpacked before from whichever archive
        for home in [PREFIX / f"docker-{STATIC_VERSION}", *sorted(PREFIX.glob(f"docker-{STATIC_VERSION}-*"))]:
            if (home / ".sha256").exists() and (home / "docker" / "dockerd").exists():
                return home / "docker"
    source = archive or STATIC_URL.format(version=STATIC_VERSION)
    name = Path(source.rsplit("/", 1)[-1])
    if not name.name.startswith("docker-") or not name.name.endswith((".tgz", ".tar.gz")):
        raise EngineStartFailed(
            _("{source} does not look like Docker's static archive (docker-<version>.tgz).").format(
                source=source
            ),
            _("Point {setting} (or --archive) at a docker-<version>.tgz file or URL.").format(
                setting=ARCHIVE_SETTING
            ),
        )
    home = PREFIX / name.name.removesuffix(".tgz").removesuffix(".tar.gz")
    root = home / "docker"
    expected = (sha256 or os.environ.get(SHA256_SETTING) or _listed_sha256(source) or "").lower() or None
    stamp = home / ".sha256"  # written last: an unpack without it is incomplete
    unpacked = read_text(stamp)
    if unpacked and (root / "dockerd").exists() and expected in (None, unpacked):
        return root
    local = _fetch(source)
    actual = hashlib.sha256(local.read_bytes()).hexdigest()
    if expected is not None and actual != expected:
        raise EngineStartFailed(
            _("{source} has sha256 {actual}, not the expected {expected}.").format(
                source=source, actual=actual, expected=expected
            ),
            _("Download the archive again, or fix the checksum you gave."),
        )
    partial = home.with_name(home.name + ".partial")
    shutil.rmtree(partial, ignore_errors=True)
    partial.mkdir(parents=True)
    try:
        with tarfile.open(local) as tar:
            members = [
                m for m in tar.getmembers() if m.name.startswith("docker/") and (m.isfile() or m.isdir())
            ]
            if any(".." in Path(m.name).parts for m in members):
                raise tarfile.TarError("a member's path leaves the folder")
            # the "data" filter (Python 3.11.4 and later; Debian 12 has 3.11.2) also refuses odd modes
            safe = {"filter": "data"} if hasattr(tarfile, "data_filter") else {}
            tar.extractall(partial, members=members, **safe)
    except (tarfile.TarError, OSError) as exc:
        shutil.rmtree(partial, ignore_errors=True)
        raise EngineStartFailed(
            _("Could not unpack {source} ({reason}).").format(source=source, reason=exc),
            _("Download the archive again: it may be cut short."),
        ) from exc
    if not (partial / "docker" / "dockerd").exists():
        shutil.rmtree(partial, ignore_errors=True)
        raise EngineStartFailed(
            _("{source} holds no docker/dockerd.").format(source=source),
            _("Use Docker's static release archive."),
        )
    shutil.rmtree(home, ignore_errors=True)
    partial.rename(home)
    stamp.write_text(actual)
    return root


def read_text(path: Path) -> str | None:
    """A small state file's text, stripped; None when it cannot be read."""
    try:
        return path.read_text().strip()
    except OSError:
        return None


def _listed_sha256(source: str) -> str | None:
    """The archive's checksum from a ``SHA256SUMS`` file beside a local archive, if there is one."""
    if "://" in source:
        return None
    sums = Path(source).parent / "SHA256SUMS"
    for line in (read_text(sums) or "").splitlines():
        digest, _, listed = line.partition(" ")
        if listed.strip().lstrip("*") == Path(source).name:
            return digest
    return None


def _fetch(source: str) -> Path:
    """A local path to the archive: the file itself, or a download into ``PREFIX``."""
    if "://" not in source:
        path = Path(source)
        if not path.is_file():
            raise EngineStartFailed(
                _("No Docker archive at {path}.").format(path=path),
                _("Point {setting} (or --archive) at docker-<version>.tgz.").format(setting=ARCHIVE_SETTING),
            )
        return path
    target = PREFIX / ".downloads" / source.rsplit("/", 1)[-1]
    target.parent.mkdir(parents=True, exist_ok=True)
    try:
        with urllib.request.urlopen(source, timeout=60) as answer, target.open("wb") as out:
            shutil.copyfileobj(answer, out)
    except OSError as exc:
        target.unlink(missing_ok=True)
        raise EngineStartFailed(
            _("Could not download {source} ({reason}).").format(source=source, reason=exc),
            _("Download it where you can, then point {setting} (or --archive) at the file.").format(
                setting=ARCHIVE_SETTING
            ),
        ) from exc
    return target


def _runs(root: Path) -> bool:
    """True when the unpacked dockerd and containerd execute here (the right glibc)."""
    for binary in (root / "usr/sbin/dockerd", root / "usr/bin/containerd"):
        if not binary.exists():
            return False
        done = subprocess.run([str(binary), "--version"], capture_output=True, check=False)
        if done.returncode != 0:
            return False
    return True


def debian_uri() -> str:
    """The Debian mirror this system already uses (the first ``URIs:`` of its sources)."""
    try:
        for line in SOURCES.read_text().splitlines():
            if line.startswith("URIs:"):
                return line.split()[1]
    except (OSError, IndexError):
        pass
    raise EngineStartFailed(
        _("No Debian package source found in {path}, so no current engine can be fetched.").format(
            path=SOURCES
        ),
        _(
            "On a system other than Debian, install Docker Engine the way your system does, start it, "
            "and run the course again: it uses the engine that answers."
        ),
    )


def _download_and_unpack(suite: str, root: Path) -> None:
    """``apt-get download`` the engine packages of ``suite`` with private lists, then ``dpkg-deb -x``."""
    work = PREFIX / f".apt-{suite}"
    lists, debs = work / "lists", work / "debs"
    for folder in (lists / "partial", debs):
        folder.mkdir(parents=True, exist_ok=True)
    sources = work / "sources.list"
    sources.write_text(f"deb {debian_uri()} {suite} main\n")
    private = [
        "-o",
        f"Dir::Etc::sourcelist={sources}",
        "-o",
        "Dir::Etc::sourceparts=-",
        "-o",
        f"Dir::State::Lists={lists}",
        "-o",
        "APT::Get::List-Cleanup=0",
        "-o",
        "APT::Sandbox::User=root",
    ]
    _apt([*private, "update", "-q"])
    for old in debs.glob("*.deb"):
        old.unlink()
    _apt([*private, "download", *(f"{p}/{suite}" for p in CURRENT_PACKAGES)], cwd=debs)
    shutil.rmtree(root, ignore_errors=True)
    root.mkdir(parents=True)
    for deb in sorted(debs.glob("*.deb")):
        process.run(
            ["dpkg-deb", "-x", str(deb), str(root)],
            _("Unpacking {package}").format(package=deb.name),
            _(
                "Check the free space under {path} (df -h), then run course engine start again: "
                "it downloads the packages anew."
            ).format(path=root.parent),
            error=EngineStartFailed,
        )


def _apt(args: list[str], cwd: Path | None = None) -> None:
    if shutil.which("apt-get") is None:
        raise EngineStartFailed(
            _("apt-get is missing."), _("Install Docker Engine the way your system does.")
        )
    process.run(
        ["apt-get", *args],
        f"apt-get {' '.join(a for a in args if not a.startswith(('-o', 'Dir', 'APT')))}",
        _("Check that this machine reaches {uri}, then run course engine start again.").format(
            uri=debian_uri()
        ),
        error=EngineStartFailed,
        cwd=cwd,
    )


def install_debian_packages(packages: list[str]) -> None:
    """``apt-get install`` the given packages (Debian/Ubuntu, root); a clear error elsewhere."""
    if not packages:
        return
    if shutil.which("apt-get") is None or os.geteuid() != 0:
        raise EngineStartFailed(
            _("Missing system packages: {packages}.").format(packages=" ".join(packages)),
            _(
                "Install them with your system's package manager (on Debian: sudo apt-get install "
                "{packages})."
            ).format(packages=" ".join(packages)),
        )
    env = process.with_env(DEBIAN_FRONTEND="noninteractive")
    for argv in (["apt-get", "update", "-q"], ["apt-get", "install", "-y", "-q", *packages]):
        process.run(
            argv,
            " ".join(argv),
            _("Fix the package manager, then try again."),
            error=EngineStartFailed,
            env=env,
        )
