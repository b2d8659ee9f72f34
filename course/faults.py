"""Notebook 07's troubleshooting lab: the course breaks a small app one way at a time, the learner finds
the cause with the tools a practitioner uses, names it, and fixes it with ``docker`` commands.

The app is a busybox ``httpd`` (the server) and a client that fetches ``/hostname`` from it. Cases 1 to 4
run on the learner's engine, in lab ``trouble``; cases 5 to 7 on two simulated hosts (cluster ``wire``),
since a firewall rule, a link's MTU or a blocked VXLAN port must never be set on the learner's own host.
A case's check (``case_1`` ... ``case_7``, or ``Trouble.check``) reads the learner's diagnosis, one of
``CAUSES``, and then asks the engine whether the app works now: the very request that failed, never
what was typed. A wrong diagnosis is told what it overlooked, in this case's own terms.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from dataclasses import dataclass, field

import docker

from . import commands
from .cluster import Cluster
from .engines.images import KEEPALIVE, LAB_IMAGE
from .errors import CourseError
from .exercises import Feedback, _unanswered, exercise
from .i18n import N_, _
from .lab import Lab
from .waiting import TimedOut, until

CAUSES = {  # in alphabetical order, not the cases' order: the list gives nothing away
    "firewall": N_("a firewall rule drops the app's own packets"),
    "listening": N_("the server listens on 127.0.0.1 only, inside its container"),
    "mtu": N_("packets larger than the path's MTU are lost on the way"),
    "names": N_("the network has no name resolution (the default bridge)"),
    "networks": N_("the two containers share no network"),
    "published": N_("the port is published to the wrong container port"),
    "underlay": N_("the hosts' network drops the overlay's own packets, VXLAN on UDP 4789"),
}
PORT = 18080  # the host port of case 4, on 127.0.0.1 of the engine's host
SERVE = ["httpd", "-f", "-p", "80", "-h", "/etc"]  # GET /hostname answers with the server's hostname
BUILTIN = {"bridge", "host", "none", "ingress", "docker_gwbridge"}

# What rules each cause out, where a case says nothing of its own (each true wherever it is not the cause)
RULED_OUT = {
    "networks": N_(
        "The client and the server share a network, or the client comes in through a published "
        "port, which needs none: docker inspect -f '{{json .NetworkSettings.Networks}}' on each says which."
    ),
    "names": N_(
        "Names are not the trouble: the client's nslookup of the server's name answers with its "
        "address, or the client uses an address and no name at all."
    ),
    "listening": N_(
        "The server listens on every address: netstat -lnt inside it shows :::80 (or 0.0.0.0:80), "
        "not 127.0.0.1:80."
    ),
    "published": N_(
        "No published port stands between the client and the server here: the client reaches "
        "the server's own address and port."
    ),
    "firewall": N_(
        "No rule drops these packets: nothing in DOCKER-USER, nor in the host's INPUT, names "
        "them, and Docker's own rules let them through."
    ),
    "mtu": N_("Small and large requests fail alike, so the size of the packets is not the cause."),
    "underlay": N_("No overlay network is involved: no packet of this app travels inside VXLAN."),
}


@dataclass(frozen=True)
class Case:
    """One way of breaking the app: what the learner is told, how it is set up, and what "works" means.

    Its words are marked with ``N_`` and translated when shown (``_fill``); ``{port}``, ``{node1}`` and
    ``{node2}`` in them are filled in then with case 4's port and the hosts' addresses."""

    key: str
    cause: str
    story: str  # the symptom, as a user would report it
    works: str  # what the check asks of the engine, in words
    fixed: str  # what the fix was, said once it works
    overlooked: dict[str, str] = field(default_factory=dict)  # per wrong cause, where RULED_OUT is not enough
    then: str = ""  # once the cause is named: how a fix goes, where the page does not say


CASES = {
    "07.1": Case(
        "07.1",
        "networks",
        N_("app-client cannot fetch http://app-server/hostname."),
        N_("app-client fetches http://app-server/hostname"),
        N_(
            "app-client and app-server now share a network: the name resolves (Docker's DNS answers for the "
            "containers of the networks a container is on) and the packets flow on that bridge."
        ),
        {
            "names": N_(
                "nslookup fails, but not for want of a name service: app-client's network is "
                "user-defined and resolves the names of its own containers. Is app-server on it?"
            ),
            "firewall": N_(
                "Docker's rules do keep two bridges apart, as they should: that is isolation, not a "
                "rule gone wrong. Which networks is each container on?"
            ),
        },
    ),
    "07.2": Case(
        "07.2",
        "names",
        N_("app-client cannot fetch http://app-server/hostname, though both run on the same network."),
        N_("app-client fetches http://app-server/hostname, by name"),
        N_(
            "On a user-defined network, Docker's DNS server (127.0.0.11 in each container) answers for the "
            "containers' names; on the default bridge there is none, only addresses."
        ),
    ),
    "07.3": Case(
        "07.3",
        "listening",
        N_("app-client cannot fetch http://app-server/hostname: the connection is refused."),
        N_("app-client fetches http://app-server/hostname"),
        N_(
            "The server now listens on every address of its container, its eth0 included: a server bound to "
            "127.0.0.1 answers only inside its own network namespace."
        ),
    ),
    "07.4": Case(
        "07.4",
        "published",
        N_(
            "On the engine's host, http://127.0.0.1:{port}/hostname does not answer, though app-server is "
            "published on port {port}."
        ),
        N_("http://127.0.0.1:{port}/hostname answers on the engine's host"),
        N_(
            "-p HOST:CONTAINER sends the host's port to the container's port: the container port must be the "
            "one the server listens on (docker port and netstat -lnt inside it must agree)."
        ),
        {
            "listening": N_(
                "The server listens on every address, on port 80: netstat -lnt inside it says "
                ":::80. Is 80 where the published port leads?"
            ),
            "networks": N_("A published port needs no shared network: the host reaches it through NAT."),
        },
    ),
    "07.5": Case(
        "07.5",
        "firewall",
        N_(
            "From node2, http://{node1}:8080/hostname does not answer: web runs on node1, published with "
            "-p 8080:80."
        ),
        N_("node2 fetches http://{node1}:8080/hostname"),
        N_(
            "The rule in DOCKER-USER dropped every packet for the container's port 80 (the port after DNAT): "
            "DOCKER-USER is where an administrator's own rules for containers go, and Docker runs it first."
        ),
        {
            "published": N_(
                "docker port web says 8080 -> 80, and the server listens on 80: the mapping is "
                "right. Something drops the packets on the way (a capture on node1 sees them arrive)."
            ),
            "listening": N_("netstat -lnt inside web shows :::80: it listens on every address."),
        },
    ),
    "07.6": Case(
        "07.6",
        "mtu",
        N_(
            "On node1, client fetches small files from big (on node2, published on 8080), and large ones "
            "hang."
        ),
        N_("client fetches http://{node2}:8080/bin/busybox, 2 MB, within 5 s"),
        N_(
            "The containers now send and ask for packets no larger than the path carries: with the network's "
            "MTU at 1400, the client's TCP announces a segment size that fits, and the big file comes in "
            "1400-byte packets. Before, node2's 1500-byte packets were lost silently at node1's narrower "
            "link: no ICMP 'fragmentation needed' came back, so TCP never learned to send smaller ones (a "
            "path MTU black hole)."
        ),
        {
            "published": N_(
                "node2's port 8080 leads to big's port 80, and small files come through it: the "
                "mapping is right. What differs between a small and a large answer?"
            ),
            "firewall": N_(
                "The small request passes through the very same rules: a rule would drop it too. "
                "What differs between a small and a large answer?"
            ),
            "underlay": N_(
                "The hosts reach each other, and no overlay is involved: the client reaches node2's "
                "published port over the LAN. What differs between a small and a large answer?"
            ),
        },
        N_(
            "You cannot widen a VPN: make the containers fit it. A network created with --opt "
            "com.docker.network.driver.mtu=N gives its containers that MTU; N is the narrowest link's."
        ),
    ),
    "07.7": Case(
        "07.7",
        "underlay",
        N_(
            "c1 (on node1) and c2 (on node2), on the overlay network ov, cannot ping each other; the swarm "
            "says both nodes are Ready."
        ),
        N_("c1 pings c2 over ov"),
        N_(
            "VXLAN (UDP 4789) between the hosts carries the overlay's packets: the swarm's management (2377) "
            "and gossip (7946) can pass while the data does not."
        ),
        {
            "firewall": N_(
                "Close: a rule does drop something, but which traffic? Not the ping between the "
                "containers as such: capture on node2's eth0 while c1 pings c2, and see what arrives."
            ),
            "listening": N_("No server is involved: the ping itself gets no answer."),
            "names": N_("The name resolves: ping prints c2's address before it waits for a reply."),
        },
    ),
}


class Trouble:
    """The troubleshooting lab: the app on this engine, and two simulated hosts when a case needs them."""

    def __init__(self, name: str = "trouble", hosts: str = "wire") -> None:
        self.lab = Lab(name)
        self._hosts_name = hosts
        self._cluster: Cluster | None = None

    @property
    def cluster(self) -> Cluster:
        """The two simulated hosts (started by the first case that needs them)."""
        if self._cluster is None or not self._cluster.nodes:
            self._cluster = Cluster(self._hosts_name, size=2)
            self._cluster.up()
            commands.use(self.lab)  # what the learner's docker run makes on this engine joins this lab
        return self._cluster

    def start(self, key: str) -> str:
        """Set case ``key`` up, broken, after removing the previous case's app; say what the user sees."""
        case = _case(key)
        with self.lab.muted():
            self.lab.cleanup()
            if int(key[-1]) >= 5:
                self._reset_hosts()
            _SETUP[key](self)
        return _("Case {number}. {story} Find why, name the cause, and fix it.").format(
            number=key[-1], story=_fill(self, case.story)
        )

    def check(self, key: str, cause: object = None) -> Feedback:
        """Case ``key``'s check: the diagnosis, then whether the app works now (exercise ``key``)."""
        return _CHECKS[_case(key).key](self, cause)

    def works(self, key: str) -> bool:
        """Whether case ``key``'s app works now, as the engine answers (the request the user made)."""
        with self.lab.muted():
            return _WORKS[_case(key).key](self)

    def down(self) -> str:
        """Remove everything: the hosts (and all inside them), then the app on this engine; also what an
        earlier, interrupted run left."""
        cluster = self._cluster or Cluster(self._hosts_name, size=2)
        hosts = cluster.down()
        commands.use(self.lab)
        self._cluster = None
        app = self.lab.cleanup()
        return _("The hosts: {hosts}\nThe app: {app}").format(hosts=hosts, app=app)

    # --- the hosts ----------------------------------------------------------------

    def _reset_hosts(self) -> None:
        """Each host as it started: no container or network of an earlier case, no fault left behind."""
        cluster = self.cluster
        for node in cluster.nodes:
            engine = node.engine
            for box in engine.containers.list(all=True):
                if "com.docker.swarm.task.id" not in box.labels:
                    box.remove(force=True)
            for net in engine.networks.list():
                if net.name not in BUILTIN and net.attrs.get("Scope") == "local":
                    with contextlib.suppress(docker.errors.APIError):
                        net.remove()
        for node, rule in FAULT_RULES.values():
            cluster.exec(node, ["iptables", "-D", *rule])  # fails harmlessly when the rule is not there
        cluster.exec("node1", ["ip", "link", "set", "eth0", "mtu", "1500"])

    def node_ip(self, name: str) -> str:
        return self.cluster.node(name).ip


# The rules two cases put in, on a simulated host (never on the learner's own)
FAULT_RULES = {
    "07.5": ("node1", ["DOCKER-USER", "-p", "tcp", "-m", "tcp", "--dport", "80", "-j", "DROP"]),
    "07.7": ("node2", ["INPUT", "-p", "udp", "-m", "udp", "--dport", "4789", "-j", "DROP"]),
}


def _case(key: str) -> Case:
    if key not in CASES:
        raise CourseError(
            _("There is no case {key}.").format(key=repr(key)),
            _("The cases are {cases}.").format(cases=", ".join(CASES)),
        )
    return CASES[key]


def _fill(trouble: Trouble, text: str) -> str:
    """A case's words in the learner's language, with case 4's port in place of {port} and the hosts'
    addresses in place of {node1} and {node2} (the hosts are started only where a case names them)."""
    text = _(text).replace("{port}", str(PORT))
    for name in ("node1", "node2"):
        if "{" + name + "}" in text:
            text = text.replace("{" + name + "}", trouble.node_ip(name))
    return text


# --- setting each case up ---------------------------------------------------------


def _server(lab: Lab, network: str, command: list[str] = SERVE, publish=None) -> None:
    lab.run("app-server", network, command=command, publish=publish)


def _setup_networks(t: Trouble) -> None:
    t.lab.network("app-front")
    t.lab.network("app-back")
    _server(t.lab, "app-back")
    t.lab.run("app-client", "app-front")


def _setup_names(t: Trouble) -> None:
    _server(t.lab, "bridge")
    t.lab.run("app-client", "bridge")


def _setup_listening(t: Trouble) -> None:
    t.lab.network("app-net")
    _server(t.lab, "app-net", ["httpd", "-f", "-p", "127.0.0.1:80", "-h", "/etc"])
    t.lab.run("app-client", "app-net")


def _setup_published(t: Trouble) -> None:
    t.lab.network("app-net")
    _server(t.lab, "app-net", publish={8080: PORT})


def _on(t: Trouble, node: str, *argv: str) -> None:
    ran = t.cluster.exec(node, list(argv))
    if ran.exit_code != 0:
        raise CourseError(
            _("Setting the case up failed on {node}: {output}").format(node=node, output=ran.output.strip()),
            _("Run the cell again."),
        )


def _setup_firewall(t: Trouble) -> None:
    _on(t, "node1", "docker", "run", "-d", "--name", "web", "-p", "8080:80", LAB_IMAGE, *SERVE)
    node, rule = FAULT_RULES["07.5"]
    _on(t, node, "iptables", "-I", *rule)


def _setup_mtu(t: Trouble) -> None:
    _on(
        t,
        "node2",
        "docker",
        "run",
        "-d",
        "--name",
        "big",
        "-p",
        "8080:80",
        LAB_IMAGE,
        "httpd",
        "-f",
        "-p",
        "80",
        "-h",
        "/",
    )
    _on(t, "node1", "docker", "network", "create", "appnet")
    _on(t, "node1", "docker", "run", "-d", "--name", "client", "--network", "appnet", LAB_IMAGE, *KEEPALIVE)
    _on(t, "node1", "ip", "link", "set", "eth0", "mtu", "1400")  # the path is narrower: a VPN, say


def _setup_underlay(t: Trouble) -> None:
    cluster = t.cluster
    cluster.swarm()
    node1 = cluster.lab_on("node1")
    node1.network("ov", driver="overlay", attachable=True)  # kept from an earlier start of this case
    node1.run("c1", "ov")
    cluster.lab_on("node2").run("c2", "ov")
    until(lambda: node1.ping("c1", "c2"), 30, 0.5, _("c1 to reach c2 across the overlay"))
    node, rule = FAULT_RULES["07.7"]
    _on(t, node, "iptables", "-I", *rule)


_SETUP: dict[str, Callable[[Trouble], None]] = {
    "07.1": _setup_networks,
    "07.2": _setup_names,
    "07.3": _setup_listening,
    "07.4": _setup_published,
    "07.5": _setup_firewall,
    "07.6": _setup_mtu,
    "07.7": _setup_underlay,
}

# --- whether the app works ------------------------------------------------------------


def _hostname(engine: docker.DockerClient, name: str) -> str | None:
    try:
        return engine.containers.get(name).attrs["Config"]["Hostname"]
    except docker.errors.NotFound:
        return None


def _client_fetches(t: Trouble) -> bool:
    if {"app-client", "app-server"} - set(t.lab.containers()):
        return False
    got = t.lab.exec("app-client", ["timeout", "5", "wget", "-qO-", "http://app-server/hostname"])
    return got.exit_code == 0 and got.output.strip() == _hostname(t.lab.engine, "app-server")


def _host_fetches(t: Trouble) -> bool:
    url = f"http://127.0.0.1:{PORT}/hostname"
    try:  # docker run --rm --name trouble-probe --net=host course/lab timeout 5 wget -qO- URL: on the host
        said = t.lab.engine.containers.run(
            LAB_IMAGE,
            ["timeout", "5", "wget", "-qO-", url],
            name=f"{t.lab.name}-probe",  # named: notebook 02's check looks for unnamed host containers
            network_mode="host",
            remove=True,
            labels=t.lab.labels,
        )
    except docker.errors.ContainerError:
        return False
    return said.decode().strip() == _hostname(t.lab.engine, "app-server")


def _firewall_works(t: Trouble) -> bool:
    url = f"http://{t.node_ip('node1')}:8080/hostname"
    ran = t.cluster.exec("node2", ["timeout", "3", "wget", "-qO-", url])  # on node2 itself
    return ran.exit_code == 0 and ran.output.strip() == _hostname(t.cluster.node("node1").engine, "web")


def _mtu_works(t: Trouble) -> bool:
    url = f"http://{t.node_ip('node2')}:8080/bin/busybox"
    with contextlib.suppress(docker.errors.NotFound):
        box = t.cluster.node("node1").engine.containers.get("client")
        return box.exec_run(["timeout", "5", "wget", "-qO", "/dev/null", url]).exit_code == 0
    return False


def _underlay_works(t: Trouble) -> bool:
    node1 = t.cluster.lab_on("node1")
    try:
        return until(lambda: node1.ping("c1", "c2"), 6, 0.5)  # gossip and VXLAN catch up within moments
    except (TimedOut, CourseError):
        return False


_WORKS: dict[str, Callable[[Trouble], bool]] = {
    "07.1": _client_fetches,
    "07.2": _client_fetches,
    "07.3": _client_fetches,
    "07.4": _host_fetches,
    "07.5": _firewall_works,
    "07.6": _mtu_works,
    "07.7": _underlay_works,
}

# --- the checks --------------------------------------------------------------------------


def _verdict(t: Trouble, key: str, cause: object) -> Feedback:
    case = _case(key)
    works = _fill(t, case.works)
    choices = ", ".join(f'"{c}"' for c in CAUSES)
    if cause is None:
        return _unanswered(
            _("Name the cause first: put one of {choices} in place of None.").format(choices=choices),
            _("Then the check tries it: {works}.").format(works=works),
        )
    said = str(cause).strip().strip("'\"").lower()
    if said not in CAUSES:
        return Feedback(  # a typo
            False,
            _("{answer} is not one of the causes: {choices}.").format(answer=repr(cause), choices=choices),
            answered=False,
        )
    meaning = _(CAUSES[said])
    if said != case.cause:
        overlooked = _fill(t, case.overlooked.get(said, RULED_OUT[said]))
        return Feedback(
            False,
            _("Not {cause} ({meaning}). {overlooked}").format(
                cause=said, meaning=meaning, overlooked=overlooked
            ),
        )
    problem = _misfix(t, key)
    if problem:
        return Feedback(
            False, _("Right cause: {meaning}. {problem}").format(meaning=meaning, problem=problem)
        )
    if not t.works(key):
        if case.then:
            told = _(
                "Right cause: {meaning}. Now fix it (docker commands; on a simulated host, its own tools), "
                "until {works}. {then}"
            ).format(meaning=meaning, works=works, then=_fill(t, case.then))
        else:
            told = _(
                "Right cause: {meaning}. Now fix it (docker commands; on a simulated host, its own tools), "
                "until {works}."
            ).format(meaning=meaning, works=works)
        return Feedback(False, told)
    return Feedback(
        True, _("Right, and fixed: {works}. {fixed}").format(works=works, fixed=_fill(t, case.fixed))
    )


def _misfix(t: Trouble, key: str) -> str | None:
    """A fix that makes the app work the wrong way, or opens a door: said instead of accepting it."""
    if key == "07.4" and "app-server" in t.lab.containers():
        ports = t.lab.container("app-server").attrs["NetworkSettings"]["Ports"] or {}
        wide = [
            b for bound in ports.values() for b in bound or [] if b.get("HostIp") not in ("127.0.0.1", "::1")
        ]
        if wide:
            return _(
                "The port is published on every address of the host, where anyone on your network reaches "
                "it: publish it on 127.0.0.1 only (-p 127.0.0.1:{port}:PORT)."
            ).format(port=PORT)
    if key == "07.6":
        mtu = t.cluster.exec("node1", ["cat", "/sys/class/net/eth0/mtu"]).output.strip()
        if mtu.isdigit() and int(mtu) > 1400:
            node1 = t.cluster.container_name("node1")
            return _(
                "node1's own link is at MTU {mtu} again: on a real VPN you cannot widen the path. Put it "
                "back (docker exec {node1} ip link set eth0 mtu 1400) and make the containers' packets "
                "fit it."
            ).format(mtu=mtu, node1=node1)
    return None


def _check_for(key: str) -> Callable[[Trouble, object], Feedback]:
    @exercise(key)
    def check(trouble: Trouble, cause: object = None) -> Feedback:
        with trouble.lab.muted():
            return _verdict(trouble, key, cause)

    check.__name__ = check.__qualname__ = f"case_{key[-1]}"
    check.__doc__ = f"Exercise {key}: {CASES[key].works}, after naming the cause."
    return check


_CHECKS = {key: _check_for(key) for key in CASES}
case_1, case_2, case_3, case_4, case_5, case_6, case_7 = _CHECKS.values()
