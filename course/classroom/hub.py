"""The classroom's JupyterHub on one machine: settings, and the spawner that gives each learner's
notebook server the learner's own engine.

``course classroom hub`` writes a ``jupyterhub_config.py`` that calls ``configure()`` and runs
JupyterHub with it. The hub listens on loopback (or the address given); learners' servers reach the
hub's API on the gateway of its own network, ``classroom-hub``, which only containers on this host
can reach.
"""

from __future__ import annotations

import asyncio
import os
import secrets
import shutil
import socket
import subprocess
import sys
from pathlib import Path, PurePosixPath

import docker
from dockerspawner import DockerSpawner
from traitlets import Unicode

from .. import process
from ..engines.client import address, client
from ..errors import CourseError, engine_call
from ..i18n import _, folder
from . import instructor as room
from .learner_engine import CLASSROOM_LABEL, HOME, SERVER_LIMITS, LearnerEngine, check_learner, free_subnet
from .learner_image import LAB_SETTINGS, LEARNER_IMAGE, build_learner_image

STATE = Path("/var/lib/dockernet-course/hub")
PROXY = (
    Path(__file__).resolve().parents[2]
    / "build"
    / "hub"
    / "node_modules"
    / ".bin"
    / "configurable-http-proxy"
)


class LearnerSpawner(DockerSpawner):
    """DockerSpawner whose server joins the learner's own engine (``learner_engine.LearnerEngine``):
    its network namespace, its socket volume, ``DOCKER_HOST``; and the learner's home volume. A server
    that stops (the learner's Stop, or the idle culler) stops its engine too."""

    image = Unicode(LEARNER_IMAGE, config=True)

    async def start(self):
        learner = LearnerEngine(self.user.name)  # checks the name
        await asyncio.to_thread(learner.start)
        await asyncio.to_thread(learner.load_images)
        options = learner.server_options()
        self.network_name = options["network_mode"]
        self.volumes = options["volumes"]
        self.environment = {**self.environment, **options["environment"]}
        # no exposed port: the server shares its engine container's network, where ports cannot be set
        self.extra_create_kwargs = {
            **self.extra_create_kwargs,
            "labels": options["labels"],
            "ports": None,
            "user": options["user"],
        }
        self.notebook_dir = HOME
        return await super().start()

    async def run_post_stop_hook(self) -> None:
        """After the server stopped, whatever stopped it (the learner's Stop, the idle culler, File > Shut
        Down, a crash): stop the learner's engine and every container in it (notebook 05's simulated
        hosts too), so an idle learner holds no memory. Their next start starts both again."""
        try:
            await asyncio.to_thread(LearnerEngine(self.user.name).stop)
        finally:
            super().run_post_stop_hook()

    def get_network_ip(self, network_settings):
        """The server lives in its engine container's network namespace: that container's address."""
        return LearnerEngine(self.user.name).address()


def ensure_proxy() -> Path:
    """JupyterHub's proxy (configurable-http-proxy), from the npm registry into ``build/hub``."""
    if not PROXY.exists():
        if shutil.which("npm") is None:
            raise CourseError(_("The hub's proxy needs Node.js and npm."), "apt-get install npm")
        process.run(
            ["npm", "install", "--silent", "--prefix", str(PROXY.parents[2]), "configurable-http-proxy@5"],
            "npm install configurable-http-proxy",
            _("Check that npm reaches its registry (npm ping), then run course classroom hub again."),
        )
    return PROXY


def free_port(address: str) -> int:
    """A TCP port nothing listens on at ``address`` now (the kernel's pick)."""
    with socket.socket() as probe:
        probe.bind((address, 0))
        return probe.getsockname()[1]


HUB_NETWORK = "classroom-hub"
HUB_LABEL = f"{CLASSROOM_LABEL}.hub"  # its own key: no learner's label value can ever match it


def hub_address() -> str:
    """Where learners' servers reach the hub's API: the gateway of a network of its own on the host
    engine (``docker network create classroom-hub``), an address of the host that every learner's
    server reaches, only from containers on this host, and that no network a learner makes in their own
    engine can hide (it is outside Docker's default address pools, as the learners' networks are)."""
    engine = client()
    with engine_call(_("create the network {network}").format(network=HUB_NETWORK)):
        found = [n for n in engine.networks.list(names=[HUB_NETWORK]) if n.name == HUB_NETWORK]
        if not found:
            ipam = docker.types.IPAMConfig(pool_configs=[docker.types.IPAMPool(subnet=free_subnet(engine))])
            found = [engine.networks.create(HUB_NETWORK, labels={HUB_LABEL: "api"}, ipam=ipam)]
        net = engine.networks.get(found[0].id)
    if (net.attrs.get("Labels") or {}).get(HUB_LABEL) != "api":
        raise CourseError(
            _("The network {network} exists and is not this classroom's.").format(network=HUB_NETWORK),
            _("Remove it yourself if it is yours to remove (docker network rm {network}).").format(
                network=HUB_NETWORK
            ),
        )
    return net.attrs["IPAM"]["Config"][0]["Gateway"]


def remove_hub_network() -> bool:
    """``docker network rm classroom-hub`` once the hub has stopped, unless a learner's server still runs
    (it would lose the hub's address). Whether it was removed."""
    engine = client()
    with engine_call(_("remove the network {network}").format(network=HUB_NETWORK)):
        running = engine.containers.list(filters={"label": CLASSROOM_LABEL})
        if any(box.name.endswith("-server") for box in running):
            return False
        for net in engine.networks.list(filters={"label": f"{HUB_LABEL}=api"}):
            net.remove()
    return True


INSTRUCTOR = "instructor"  # the admin who sees the room's page, /services/room/


def configure(c, learners: list[str], password: str, ip: str = "127.0.0.1", port: int = 8000,
              api_token: str | None = None, admin_password: str | None = None,
              state: Path = STATE, own_passwords: bool = False, language: str = "en") -> None:  # fmt: skip
    """Fill JupyterHub's config object ``c`` for a classroom of ``learners`` sharing ``password``; with
    ``admin_password`` (32 characters or more), ``instructor`` logs in with it and sees the room's page.

    With ``own_passwords``, no password is shared: each learner, and the instructor, sets their own at
    their first login (JupyterHub's FirstUseAuthenticator), and only that one opens their account after.
    """
    state.mkdir(parents=True, exist_ok=True, mode=0o700)
    c.JupyterHub.ip, c.JupyterHub.port = ip, port
    # the hub's API (for the learners' servers) and the proxy's (for the hub): free ports, none assumed
    api = hub_address()
    c.JupyterHub.hub_bind_url = f"http://{api}:{free_port(api)}"
    c.ConfigurableHTTPProxy.api_url = f"http://127.0.0.1:{free_port('127.0.0.1')}"
    c.JupyterHub.db_url = f"sqlite:///{state / 'jupyterhub.sqlite'}"
    c.JupyterHub.cookie_secret_file = str(state / "cookie_secret")
    c.ConfigurableHTTPProxy.pid_file = str(state / "proxy.pid")
    c.JupyterHub.cleanup_servers = True  # a hub that stops stops every server, and so every engine
    c.ConfigurableHTTPProxy.command = [
        str(PROXY if PROXY.exists() else shutil.which("configurable-http-proxy"))
    ]
    c.Authenticator.allowed_users = set(map(check_learner, learners))
    c.Authenticator.allow_existing_users = False  # a learner of an earlier workshop is not one of this room
    if own_passwords:
        c.JupyterHub.authenticator_class = "firstuseauthenticator"
        c.FirstUseAuthenticator.dbm_path = str(state / "passwords.dbm")
        c.FirstUseAuthenticator.min_password_length = 8
        c.Authenticator.admin_users = {INSTRUCTOR}
        c.Authenticator.allowed_users = c.Authenticator.allowed_users | {INSTRUCTOR}
    else:
        c.JupyterHub.authenticator_class = "shared-password"
        c.SharedPasswordAuthenticator.user_password = password
        if admin_password:
            c.Authenticator.admin_users = {INSTRUCTOR}
            c.SharedPasswordAuthenticator.admin_password = admin_password
    c.JupyterHub.spawner_class = LearnerSpawner
    c.DockerSpawner.remove = True  # the server container goes; the learner's home volume stays
    c.DockerSpawner.name_template = "classroom-{raw_username}-server"  # learner names are checked
    # a fork bomb or a busy loop in one learner's terminal stays in their server
    c.DockerSpawner.mem_limit = SERVER_LIMITS["mem_limit"]
    c.DockerSpawner.cpu_limit = SERVER_LIMITS["nano_cpus"] / 1e9
    c.DockerSpawner.extra_host_config = {"pids_limit": SERVER_LIMITS["pids_limit"]}
    # the room's language: Korean opens ko/00_setup.ipynb, with JupyterLab's menus in Korean (the image
    # holds JupyterLab's settings for each language, made by course.jupyterlab.settings_dir)
    c.Spawner.args = [f"--LabApp.app_settings_dir={LAB_SETTINGS}/{language}"]
    c.Spawner.default_url = f"/lab/tree/{PurePosixPath(folder(language), '00_setup.ipynb')}"  # home's
    # and the course command in a learner's terminal (a notebook's kernel follows its notebook's folder)
    c.Spawner.environment = {"LANGUAGE": language}
    c.Spawner.start_timeout = 180
    c.Spawner.http_timeout = 120
    services = [{
        "name": "idle-culler",
        "command": [sys.executable, "-m", "jupyterhub_idle_culler", "--timeout=3600"],
    }, {
        "name": room.NAME,  # the instructor's page: admins only (access:services, which learners lack)
        "url": f"http://127.0.0.1:{free_port('127.0.0.1')}",
        "command": [sys.executable, "-m", "course.classroom.instructor"],
        "environment": {
            "COURSE_LEARNERS": " ".join(learners),
            "COURSE_LANGUAGE": language,  # the instructor's page speaks the room's language
            "DOCKER_HOST": address(),
            **{k: v for k, v in os.environ.items() if k in ("DOCKER_TLS_VERIFY", "DOCKER_CERT_PATH")},
        },
        "oauth_no_confirm": True,
        "display": True,
    }]  # fmt: skip
    roles = [{
        "name": "idle-culler",
        "scopes": ["list:users", "read:users:activity", "read:servers", "delete:servers"],
        "services": ["idle-culler"],
    }, {
        "name": "room-page",
        "scopes": room.SCOPES,
        "services": [room.NAME],
    }]  # fmt: skip
    if api_token:  # for the instructor's command and the tests
        services.append({"name": "instructor", "api_token": api_token})
        roles.append({"name": "instructor", "scopes": ["admin:users", "admin:servers", "access:servers"],
                      "services": ["instructor"]})  # fmt: skip
    c.JupyterHub.services = services
    c.JupyterHub.load_roles = roles


def config_source(learners: list[str], password: str | None, ip: str, port: int, admin_password: str,
                  own_passwords: bool = False, language: str = "en") -> str:  # fmt: skip
    """The ``jupyterhub_config.py`` ``run()`` writes: it imports this module and calls ``configure()``."""
    return (
        "from course.classroom import hub\n"
        f"hub.configure(c, {learners!r}, {password!r}, {ip!r}, {port}, admin_password={admin_password!r}, "
        f"own_passwords={own_passwords!r}, language={language!r})\n"
    )


def write_config(path: Path, text: str) -> Path:
    """Write the hub's config, which holds the workshop password, readable by its owner only from the
    first byte (not written, then narrowed)."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    path.unlink(missing_ok=True)
    with os.fdopen(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "w") as out:
        out.write(text)
    return path


def _admin_password() -> str:
    """The instructor's password: made once, kept in a file only root reads, never printed."""
    path = STATE / "instructor-password"
    if path.exists():
        path.chmod(0o600)
        kept = path.read_text().strip()
        if len(kept) >= 32:
            return kept
        path.unlink()  # too short for JupyterHub's admin password: a new one
    made = secrets.token_urlsafe(32)  # 43 characters: JupyterHub asks 32 or more of an admin's
    write_config(path, made + "\n")
    return made


def run(learners: list[str], password: str | None, ip: str = "127.0.0.1", port: int = 8000,
        own_passwords: bool = False, language: str = "en") -> int:  # fmt: skip
    """Build what the hub needs and run it in the foreground (``course classroom hub``): Ctrl-C stops it.
    With ``own_passwords`` there is no workshop password: each sets their own at first login."""
    if not learners or (not own_passwords and (not password or len(password) < 8)):
        raise CourseError(
            _("The hub needs the learners' names and a workshop password of 8 characters or more."),
            _(
                "Set it in COURSE_CLASSROOM_PASSWORD, or name a file with --password-file, or type it when "
                "course classroom hub ann bob asks."
            ),
        )
    for name in learners:
        check_learner(name)
    print(_("Building {image} and the proxy ...").format(image=build_learner_image()), flush=True)
    ensure_proxy()
    admin = _admin_password()
    source = config_source(learners, password, ip, port, admin, own_passwords, language)
    config = write_config(STATE / "jupyterhub_config.py", source)
    site, names = f"http://{ip}:{port}/", ", ".join(learners)
    room_url = f"{site}services/{room.NAME}/"
    if own_passwords:
        print(
            _("The hub serves {site}: {names} each set a password at their first login.").format(
                site=site, names=names
            )
        )
        print(
            _(
                "Log in as {instructor} first, before the room does, to set yours; the room is at {room}."
            ).format(instructor=INSTRUCTOR, room=room_url)
        )
    else:
        print(
            _("The hub serves {site} (log in as {names} with the workshop password).").format(
                site=site, names=names
            )
        )
        print(
            _(
                "The instructor logs in as {instructor} with the password in {path} "
                "(readable by root only), and sees the room at {room}."
            ).format(instructor=INSTRUCTOR, path=STATE / "instructor-password", room=room_url)
        )
    command = [str(Path(sys.executable).parent / "jupyterhub"), "-f", str(config)]
    jupyterhub = subprocess.Popen(command, cwd=STATE)
    try:
        return jupyterhub.wait()
    except KeyboardInterrupt:  # the hub had the same Ctrl-C: let it stop every server (and engine) first
        return jupyterhub.wait()
    finally:
        remove_hub_network()
