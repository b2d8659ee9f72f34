"""``course doctor``: one [OK]/[FAIL] line per thing the course needs, each failure with its fix."""

from __future__ import annotations

import ipaddress
import os
import platform
from dataclasses import dataclass

import docker

from . import behaviours, hostview
from .engines.client import address, client
from .engines.images import LAB_IMAGE
from .errors import CourseError
from .i18n import N_, _

# dockerd's default pools: 172.17-31.0.0/16 (15 subnets) and 192.168.0.0/16 cut in /20 (16).
DEFAULT_POOL_SUBNETS = 31
_POOLS = (ipaddress.ip_network("172.16.0.0/12"), ipaddress.ip_network("192.168.0.0/16"))


def _in_default_pools(raw: dict) -> bool:
    for config in (raw.get("IPAM") or {}).get("Config") or []:
        try:
            subnet = ipaddress.ip_network(config.get("Subnet", ""))
        except ValueError:
            continue
        if any(subnet.subnet_of(pool) for pool in _POOLS if subnet.version == 4):
            return True
    return False


@dataclass(frozen=True)
class Check:
    """One line of the checklist. ``required`` failures make the doctor fail."""

    name: str  # English: code and tests know a check by it; shown in the learner's language
    ok: bool
    detail: str
    fix: str = ""
    required: bool = True

    def __str__(self) -> str:
        mark = "OK" if self.ok else ("FAIL" if self.required else "WARN")
        line = f"[{mark:>4}] {_(self.name)}: {self.detail}"
        return line if self.ok else _("{line}\n       fix: {fix}").format(line=line, fix=self.fix)


@dataclass(frozen=True)
class Report:
    """All checks; ``ok`` is False when any required one failed. Prints as the checklist."""

    checks: tuple[Check, ...]

    @property
    def ok(self) -> bool:
        return all(c.ok or not c.required for c in self.checks)

    def __str__(self) -> str:
        verdict = (
            _("All required checks passed.") if self.ok else _("Some required checks failed: see the fixes.")
        )
        return "\n".join([*map(str, self.checks), verdict])

    def _repr_pretty_(self, printer, cycle: bool) -> None:  # IPython shows the checklist
        printer.text(str(self))


def _kernel_at_least(release: str, want: tuple[int, int]) -> bool:
    nums = [int(p) for p in release.split("-")[0].split(".")[:2] if p.isdigit()]
    return tuple(nums) >= want


def _behaviour_checks() -> list[Check]:
    """What this engine does where versions differ (the lessons mention each), read through the engine."""
    try:
        seen = behaviours.observe()
    except CourseError as exc:
        return [Check(N_("engine behaviours"), False, exc.what, exc.fix, required=False)]
    return [Check(N_("this engine"), True, line, required=False) for line in seen.lines()]


def _firewall_checks(info: dict) -> list[Check]:
    """The engine's firewall backend, and the one trap of the nftables backend on a host that ran iptables."""
    backend = hostview.backend_of(info)
    if backend != "nftables":
        return [
            Check(
                N_("firewall backend"),
                True,
                _("{backend} (its rules are read with iptables -S)").format(backend=backend),
                required=False,
            )
        ]
    checks = [
        Check(
            N_("firewall backend"),
            True,
            _(
                "nftables (experimental, Docker 29): rules in table ip docker-bridges, no DOCKER-USER chain, "
                "and this engine refuses swarm mode"
            ),
            required=False,
        )
    ]
    try:
        policy = next(
            (r.split()[2] for r in hostview.iptables("filter", "FORWARD") if r.startswith("-P ")), ""
        )
    except CourseError:
        return checks
    checks.append(
        Check(
            N_("iptables FORWARD policy"),
            policy != "DROP",
            (
                _("{policy} (an engine with the iptables backend sets DROP and leaves it)")
                if policy
                else _("unknown (an engine with the iptables backend sets DROP and leaves it)")
            ).format(policy=policy),
            _(
                "With bridge netfilter on, that policy also drops traffic inside one bridge network under "
                "nftables: sudo iptables -P FORWARD ACCEPT, or add ACCEPT rules for Docker's bridges."
            ),
            required=False,
        )
    )
    return checks


def run() -> Report:
    """Check everything the course needs, on the engine ``DOCKER_HOST`` (or the default) names."""
    where = address()
    checks: list[Check] = []
    try:
        api = client()
    except CourseError as exc:
        checks.append(Check(N_("engine"), False, exc.what, exc.fix))
        return Report(tuple(checks))
    version = api.version()
    info = api.info()
    checks.append(
        Check(
            N_("engine"),
            True,
            _("Docker {version} at {where}, API {api}").format(
                version=version["Version"], where=where, api=version["ApiVersion"]
            ),
        )
    )
    checks += _firewall_checks(info)
    sock = where.removeprefix("unix://")
    if where.startswith("unix://"):
        checks.append(
            Check(
                N_("socket permission"),
                os.access(sock, os.R_OK | os.W_OK),
                _("{socket} is readable and writable by this user").format(socket=sock),
                _("sudo usermod -aG docker $USER, then log in again"),
            )
        )
    kernel = info.get("KernelVersion", platform.release())
    checks.append(
        Check(
            N_("kernel >= 3.16 (overlay networks)"),
            _kernel_at_least(kernel, (3, 16)),
            _("engine kernel {kernel}").format(kernel=kernel),
            _("Overlay networks need a newer kernel; notebooks 00-04 still work."),
            required=False,
        )
    )
    try:
        image = api.images.get(LAB_IMAGE)
        checks.append(Check(N_("lab image"), True, f"{LAB_IMAGE}, {image.attrs['Size'] / 1e6:.1f} MB"))
    except docker.errors.ImageNotFound:
        checks.append(
            Check(
                N_("lab image"), False, _("{image} is missing").format(image=LAB_IMAGE), "course images build"
            )
        )
    checks += _behaviour_checks()
    swarm = info.get("Swarm", {}).get("LocalNodeState", "inactive")
    checks.append(
        Check(
            N_("swarm state"),
            swarm == "inactive",
            _("{state} (the overlay notebook runs its swarm on simulated nodes)").format(state=swarm),
            _("The course leaves your swarm alone; notebook 05 does not need this engine in one."),
            required=False,
        )
    )
    used = sum(1 for n in api.api.networks() if _in_default_pools(n))
    free = DEFAULT_POOL_SUBNETS - used
    checks.append(
        Check(
            N_("free address pools"),
            free >= 4,
            _(
                "{used} of the engine's {total} default subnets in use, {free} free (a lab needs up to 4)"
            ).format(used=used, total=DEFAULT_POOL_SUBNETS, free=free),
            _("Free subnets: course reset (course networks only), or remove networks you no longer use."),
        )
    )
    return Report(tuple(checks))
