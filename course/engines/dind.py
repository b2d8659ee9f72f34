"""An engine in a container (the Play-with-Docker pattern): how the cluster's simulated hosts and the
classroom's learner engines run.

``--privileged`` is the documented way to run dockerd in a container. Where a host refuses it (a
capability bounding set without ``CAP_SYS_RESOURCE``: "unable to apply caps: operation not
permitted"), all capabilities but that one, no seccomp or AppArmor profile, and the host's cgroup tree
run the engine instead. Neither is a security boundary: see the README's classroom notes.
"""

from __future__ import annotations

from collections.abc import Callable

import docker
from docker.models.containers import Container

from ..errors import EngineError, engine_call, reason
from ..i18n import _

PRIVILEGED = {"privileged": True}
FALLBACK = {
    "cap_add": ["ALL"],
    "cap_drop": ["SYS_RESOURCE"],
    "security_opt": ["seccomp=unconfined", "apparmor=unconfined"],
}
CGROUP = {"/sys/fs/cgroup": {"bind": "/sys/fs/cgroup", "mode": "rw"}}
# The engine's pidfiles, socket and runtime state, made afresh at each start of its container: kept
# across a `docker stop -t 5` that killed an engine whose containers were slow to stop, they made its
# next start refuse ("process with PID 1 is still running": dockerd's pidfile, then containerd's).
RUNTIME = {"/var/run": ""}


def start_engine_container(
    host: docker.DockerClient,
    image: str,
    argv: list[str],
    what: str,
    volumes: dict,
    prepare: Callable[[Container], None] = lambda box: None,
    **options,
) -> Container:
    """Create and start a container running an engine: ``docker run -d --privileged ... IMAGE ARGV``.

    ``prepare`` runs on the created container before it starts (e.g. to copy certificates in).
    """
    with engine_call(_("create {what}").format(what=what)):
        box = host.containers.create(image, argv, volumes=volumes, **PRIVILEGED, **options)
    try:
        prepare(box)
        box.start()
        return box
    except docker.errors.APIError as exc:
        box.remove(force=True)
        if "operation not permitted" not in str(exc.explanation):
            raise EngineError(
                _("Could not start {what}: {reason}.").format(what=what, reason=reason(exc)),
                _(
                    "Fix what the engine names (course doctor checks the usual causes), then run the step "
                    "again."
                ),
            ) from exc
    # --privileged was refused: this machine's capability bounding set lacks one it grants.
    with engine_call(_("create {what} without --privileged").format(what=what)):
        box = host.containers.create(image, argv, volumes=volumes | CGROUP, **FALLBACK, **options)
    with engine_call(_("start {what}").format(what=what)):
        prepare(box)
        box.start()
    return box
