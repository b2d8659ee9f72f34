"""Exercise checks: each reads the live engine and says what is right, or what is wrong with *that* answer.

A check never raises on a wrong answer; it returns Feedback, and records the verdict in the learner's
progress (``course progress``). A prediction (01.1, 03.1, 04.1) is written down with ``predict()``
before anything on the page answers it, and ``predict()`` refuses one once the answer is there to read:
the check then compares the engine with the prediction written first, not with one edited afterwards.
Answers are accepted in every reasonable form (``"4789"``, ``4789``, ``"4789/udp"``; ``vethXXXX@if12``
as ``ip link`` prints it). Solutions live in the notebooks in
``%%solution`` cells, which run in the course's tests and not in a learner's Run All.
"""

from __future__ import annotations

import copy
import functools
import ipaddress
import os
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from . import progress
from .errors import CourseError
from .hostview import host_interfaces, same_stack, veth_peer
from .i18n import N_, _
from .lab import Lab, find_container
from .reachability import probe, reachability
from .topology import snapshot
from .waiting import TimedOut, until

if TYPE_CHECKING:
    from .cluster import Cluster
    from .topology import Snapshot


@dataclass(frozen=True)
class Feedback:
    """The verdict of a check: ``ok``, and a message that says why (and a hint when not ok)."""

    ok: bool
    message: str
    answered: bool = True

    def __str__(self) -> str:
        if not self.answered:
            return _("No answer yet. {message}").format(message=self.message)
        if self.ok:
            return _("Correct! {message}").format(message=self.message)
        return _("Not yet. {message}").format(message=self.message)

    def _repr_pretty_(self, printer, cycle: bool) -> None:
        printer.text(str(self))

    def __bool__(self) -> bool:
        return self.ok


def solving() -> bool:
    """Whether ``%%solution`` cells run: in the course's tests (``COURSE_SOLUTIONS=1``), not for learners."""
    return os.environ.get("COURSE_SOLUTIONS") == "1"


def exercise(key: str) -> Callable[[Callable[..., Feedback]], Callable[..., Feedback]]:
    """Mark a check as exercise ``key``: its verdict goes to the learner's progress."""

    def wrap(check: Callable[..., Feedback]) -> Callable[..., Feedback]:
        @functools.wraps(check)
        def run(*args: object, **kwargs: object) -> Feedback:
            labs = [a for a in [*args, *kwargs.values()] if isinstance(a, Lab)]
            if labs:
                with labs[0].muted():  # the check's probes are not the learner's commands
                    verdict = check(*args, **kwargs)
            else:
                verdict = check(*args, **kwargs)
            if verdict.answered:
                progress.record(key, verdict.ok)
            return verdict

        run.exercise = key
        return run

    return wrap


# --- predictions, written down before the answer is there to read ------------------------------------

# (lab, exercise) -> the prediction predict() wrote down; this kernel's only, so a restart starts afresh
_predicted: dict[tuple[str, str], object] = {}


def _ex_net_exists(lab: Lab) -> str | None:
    if "ex-net" in {n.name for n in snapshot(lab, everything=True).networks}:
        return _(
            "ex-net exists already, and its subnet is there to read. Remove it (docker network rm ex-net)"
        )
    return None


def _web2_resolves(lab: Lab) -> str | None:
    own = set(lab.addresses("web2").values()) if find_container(lab.engine, "web2") is not None else set()
    if find_container(lab.engine, "web1") is not None and lab.resolve("web1", "web2") in own:
        return _(
            "web1 reaches web2 by name already, and `docker exec web1 nslookup web2` would say which "
            "address. Undo your commands (docker network disconnect NETWORK web2)"
        )
    return None


def _matrix_shown(lab: Lab) -> str | None:
    if lab.matrix_shown:
        return _(
            "This lab's reachability matrix has been worked out already. Restart the kernel, put your new "
            "prediction in its cell, and Run All"
        )
    return None


def _not_a_range(lab: Lab, text: str) -> str | None:
    try:
        ipaddress.ip_network(text)
    except ValueError:
        return _("{text} is not an address range from its first address; write it like 10.1.0.0/16.").format(
            text=repr(text)
        )
    return (
        None if "/" in text else _("{text} has no /N; write the range, like 10.1.0.0/16.").format(text=text)
    )


def _not_bridge_or_new(lab: Lab, text: str) -> str | None:
    said = text.strip("'\"").lower()
    return (
        None if said in ("bridge", "new") else _('{text}: write "bridge" or "new".').format(text=repr(text))
    )


def _not_pairs(lab: Lab, text: str) -> str | None:
    read = _read_pairs(text, _running(lab))
    return read if isinstance(read, str) else None


@dataclass(frozen=True)
class _Asked:
    """What one prediction exercise asks for, how it is read, what gives it away, and what comes next."""

    what: str  # the prompt's words for the prediction (marked with N_, translated where shown)
    unreadable: Callable[[Lab, str], str | None]  # what is wrong with a prediction's text, or None
    answered: Callable[[Lab], str | None]  # why a prediction now comes too late, or None
    then: str  # what to do once it is written down (marked with N_)


_PREDICTIONS = {
    "01.1": _Asked(
        N_('the subnet you expect ex-net to get (e.g. "10.1.0.0/16")'),
        _not_a_range,
        _ex_net_exists,
        N_("Now create ex-net with docker network create, then run the check."),
    ),
    "03.1": _Asked(
        N_('"bridge" or "new"'),
        _not_bridge_or_new,
        _web2_resolves,
        N_("Now run your commands, then the check."),
    ),
    "04.1": _Asked(
        N_('the pairs you expect to work by name (e.g. "ubuntu1 -> ubuntu3, ubuntu3 -> ubuntu1")'),
        _not_pairs,
        _matrix_shown,
        N_("Now run the check below."),
    ),
    "06.1": _Asked(
        N_('"yes" or "no"'),
        lambda lab, text: _handmade().unreadable_yes_no(text),
        lambda lab: _handmade().green_exists(lab),
        N_("Now type your commands for green, then run the check."),
    ),
}


def _handmade():
    from . import handmade  # notebook 06's checks, which import this module

    return handmade


@dataclass(frozen=True)
class Prediction:
    """What ``predict()`` says: written down, or why not."""

    written: bool
    message: str

    def __str__(self) -> str:
        return self.message

    def _repr_pretty_(self, printer, cycle: bool) -> None:
        printer.text(self.message)


def predict(lab: Lab, exercise: str, prediction: object) -> Prediction:
    """Write down a prediction for ``exercise`` (01.1, 03.1, 04.1 or 06.1) before the page answers it.

    Run again with another prediction, it replaces the first, as long as the answer is not yet there
    to read (ex-net made, web2 resolving from web1, the matrix worked out); after that it is refused, and
    the check compares the engine with the prediction written before.
    """
    asked = _PREDICTIONS.get(exercise)
    if asked is None:
        known = ", ".join(_PREDICTIONS)
        raise CourseError(
            _("Exercise {exercise} takes no prediction.").format(exercise=repr(exercise)),
            _("Use one of {known}.").format(known=known),
        )
    too_late = asked.answered(lab)
    if too_late is not None:
        kept = _predicted.get((lab.name, exercise))
        if kept is not None:
            return Prediction(
                False,
                _(
                    "Too late for a prediction: {reason}, then predict again. Your prediction {kept} stands."
                ).format(reason=too_late, kept=repr(kept)),
            )
        return Prediction(
            False, _("Too late for a prediction: {reason}, then predict again.").format(reason=too_late)
        )
    if prediction is None:  # a Run All from the top: no prediction of an earlier run counts
        _predicted.pop((lab.name, exercise), None)
        return Prediction(
            False,
            _("No prediction yet. Put {what} in place of None, and run this.").format(what=_(asked.what)),
        )
    unreadable = asked.unreadable(lab, str(prediction).strip())
    if unreadable is not None:  # said now, while it can still be put right
        return Prediction(False, _("Not written down: {reason}").format(reason=unreadable))
    _predicted[lab.name, exercise] = copy.deepcopy(prediction)  # not the learner's dict, which may change
    return Prediction(
        True, _("Written down: {prediction}. {then}").format(prediction=repr(prediction), then=_(asked.then))
    )


def predicted(lab: Lab, exercise: str) -> object:
    """The prediction ``predict()`` wrote down for ``exercise`` in this kernel, or None."""
    return _predicted.get((lab.name, exercise))


def _unanswered(what: str, hint: str) -> Feedback:
    return Feedback(False, _("{what} Hint: {hint}").format(what=what, hint=hint), answered=False)


def _given(answer: object, ask: str, hint: str) -> str | Feedback:
    """The learner's answer as trimmed lower-case text, or the feedback that asks for one (``ask``)."""
    if answer is None:
        return _unanswered(ask, hint)
    return str(answer).strip().lower()


# --- 01 · the networking model ---------------------------------------------------------------------


@exercise("01.1")
def subnet_of(lab: Lab, network: str, prediction: object = None) -> Feedback:
    """Exercise 01.1: the learner's prediction of the subnet the engine gives a network they create.

    The prediction is written before the network exists (``predict(lab, "01.1", ...)``, or given here);
    the check compares it with what the engine gave, and says why the engine chose that range when the
    prediction missed it."""
    hint = _("docker network inspect {network} shows it under IPAM.Config.Subnet.").format(network=network)
    lab.asked[network] = "network"
    prediction = predicted(lab, "01.1") if prediction is None else prediction
    snap = snapshot(lab, everything=True)  # by name, whoever made it: a cell, or a terminal
    if network not in {n.name for n in snap.networks}:
        if prediction is None:
            create = _(
                "Write your prediction first (exercises.predict), then create the network: "
                "docker network create {network}."
            )
        else:
            create = _("Create the network: docker network create {network}.")
        return _unanswered(create.format(network=network), hint)
    if prediction is None:
        return _unanswered(
            _(
                "{network} exists, and no prediction was written before it. Remove it (docker network rm "
                "{network}), write your prediction (exercises.predict), then create it again."
            ).format(network=network),
            hint,
        )
    real = ipaddress.ip_network(snap.network(network).subnet)
    text = str(prediction).strip()
    try:
        given = ipaddress.ip_interface(text)
    except ValueError:
        return Feedback(
            False,
            _("{text} is not an address range; write it like 10.1.0.0/16. {hint}").format(
                text=repr(text), hint=hint
            ),
        )
    if "/" not in text:
        if given.ip in real:
            return Feedback(
                False,
                _("{text} is one address in {network}; give the range, with its /N. {hint}").format(
                    text=text, network=network, hint=hint
                ),
            )
        return Feedback(
            False,
            _("{text} is a single address, and not in {network}. {hint}").format(
                text=text, network=network, hint=hint
            ),
        )
    if given.network == real and given.ip != real.network_address:
        if str(given.ip) == snap.network(network).gateway:
            said = _(
                "{text} names an address in the range (its gateway); write the range from its first address."
            )
        else:
            said = _("{text} names an address in the range; write the range from its first address.")
        return Feedback(False, said.format(text=text))
    if int(snap.host.engine_version.split(".")[0]) >= 27:
        pools = _(
            "The engine hands out ranges from its default pools: 172.18.0.0/16 to 172.31.0.0/16 (172.17 is "
            "docker0's), then 192.168.0.0/16 cut into /20s, the lowest that no network uses now."
        )
    else:
        pools = _(
            "The engine hands out ranges from its default pools: 172.18.0.0/16 to 172.31.0.0/16 (172.17 is "
            "docker0's), then 192.168.0.0/16 cut into /20s, going round them from the range it gave last "
            "(before Docker 27), until it restarts."
        )
    if given.network == real:
        return Feedback(
            True,
            _("{network} got {real}, as you predicted. {pools}").format(
                network=network, real=real, pools=pools
            ),
        )
    for other in snap.networks:
        if other.name != network and other.subnet and ipaddress.ip_network(other.subnet) == given.network:
            if other.name == "bridge":
                said = _(
                    "{network} got {real}, not {text}: {text} is docker0's, the default bridge's subnet, "
                    "and a range in use is skipped. {pools}"
                )
            else:
                said = _(
                    "{network} got {real}, not {text}: {text} is {other}'s subnet, and a range in use is "
                    "skipped. {pools}"
                )
            return Feedback(
                False, said.format(network=network, real=real, text=text, other=other.name, pools=pools)
            )
    return Feedback(
        False,
        _("{network} got {real}, not {text}. {pools} {hint}").format(
            network=network, real=real, text=text, pools=pools, hint=hint
        ),
    )


@exercise("01.2")
def veth_peer_of(lab: Lab, container: str, answer: object) -> Feedback:
    """Exercise 01.2: the host interface that is the other end of ``container``'s eth0."""
    hint = _(
        "in {container}, /sys/class/net/eth0/iflink (or the N of eth0@ifN) is the index N of the other "
        "end; in docker run --rm --net=host course/lab ip -o link, the line that starts with N: names it."
    ).format(container=container)
    if answer is None:
        return _unanswered(_("Set `answer` to the name of a host interface and run this cell again."), hint)
    eth0 = next((i for i in lab.interfaces(container) if i.name == "eth0"), None)
    if eth0 is None:
        return Feedback(
            False,
            _("{container} has no eth0 (on host or none?). Start it on a bridge network.").format(
                container=container
            ),
        )
    host = host_interfaces(lab.host)
    peer = veth_peer(eth0, host)
    # as `ip link` prints it: vethXXXX@if12, or its whole line: "15: vethXXXX@if12: <BROADCAST,..."
    text = re.sub(r"^\d+:\s*(?=\S)", "", str(answer).strip())
    name = re.sub(r"(@\S*|:)$", "", text.split()[0] if text else "")
    if name.isdigit():
        if int(name) == peer.index:
            said = _(
                "{name} is the index of the other end; the answer is the name on the host's line {name}: ..."
            )
        else:
            said = _("{name} is an interface index; the answer is the name on the host's line {name}: ...")
        return Feedback(False, said.format(name=name))
    if name == peer.name:
        return Feedback(
            True,
            _("{peer} (index {index}) is {container}'s cable, plugged into {master}.").format(
                peer=peer.name, index=peer.index, container=container, master=peer.master
            ),
        )
    if name == "eth0":
        return Feedback(
            False,
            _("eth0 is {container}'s own end, inside it; the answer is the host's end. Hint: {hint}").format(
                container=container, hint=hint
            ),
        )
    found = next((i for i in host if i.name == name), None)
    if found is None:
        return Feedback(
            False,
            _("The host has no interface called {name}. Hint: {hint}").format(name=repr(name), hint=hint),
        )
    if not name.startswith("veth"):
        return Feedback(
            False,
            _("{name} is a host interface, but not a veth: one end of a cable is. Hint: {hint}").format(
                name=name, hint=hint
            ),
        )
    return Feedback(
        False,
        _("{name} is a veth, but the other end of another container's cable. Hint: {hint}").format(
            name=name, hint=hint
        ),
    )


# --- 02 · network types ----------------------------------------------------------------------------

_OTHER_TYPES = {
    "host": N_("a container on host sees every interface of the host"),
    "bridge": N_("a container on bridge gets eth0 as well, one end of a veth pair"),
    "default": N_("the default network is bridge, which gives a container eth0 as well"),
    "overlay": N_("a container on an overlay gets eth0 (and eth1 on docker_gwbridge)"),
}


@exercise("02.1")
def network_without_eth0(answer: object) -> Feedback:
    """Exercise 02.1: the network type whose containers have only a loopback interface."""
    hint = _("list /sys/class/net in a container of each type and count the interfaces.")
    text = _given(answer, _("Set `answer` to a network type and run this cell again."), hint)
    if isinstance(text, Feedback):
        return text
    text = re.sub(r"^(--network|--net)[= ]", "", text).strip("'\" ")
    if text == "none":
        return Feedback(True, _("--network none gives a container its own namespace with only lo."))
    if text == "null":
        return Feedback(
            False,
            _("Close: null is the driver of that network; docker run --network takes the network's name."),
        )
    if text in _OTHER_TYPES:
        return Feedback(False, _("Not {type}: {why}.").format(type=text, why=_(_OTHER_TYPES[text])))
    return Feedback(
        False,
        _("{text} is not one of the network types here (bridge, host, none). Hint: {hint}").format(
            text=repr(text), hint=hint
        ),
    )


def _removed_when_done(lab: Lab, name: str) -> bool:
    box = find_container(lab.engine, name)
    return box is None or bool(box.attrs["HostConfig"].get("AutoRemove"))


_DOCKER_MADE_NAME = re.compile(r"[a-z]+_[a-z]+\d*")  # docker run without --name: eager_turing


@exercise("02.2")
def host_network_shares_stack(lab: Lab, container: str) -> Feedback:
    """Exercise 02.2: ``container`` sees the host's interfaces: it runs with --network host (or in the
    namespace of a container that does, --network container:NAME)."""
    lab.asked[container] = "container"
    snap = snapshot(lab, everything=True)  # by name, whoever made it: a cell, or a terminal
    boxes = snap.endpoints_of(container)
    if container not in {c.name for c in snap.containers}:
        unnamed = sorted(  # one of the learner's, on host, with a name Docker made up (adjective_surname)
            c.name
            for c in snap.containers
            if c.lab is None
            and _DOCKER_MADE_NAME.fullmatch(c.name)
            and "host" in snap.endpoints_of(c.name)
            and not _removed_when_done(lab, c.name)  # not a --rm one-off (another page's look at the host)
        )
        if unnamed:
            return Feedback(
                False,
                _(
                    "There is no container {container}, but {unnamed} runs on host: Docker named it, since "
                    "the command gave no --name. Run it again with --name {name}."
                ).format(container=repr(container), unnamed=", ".join(unnamed), name=container),
            )
        return _unanswered(
            _("There is no container {container} on the engine yet.").format(container=repr(container)),
            _("which network gives a container the host's own stack? docker run --network names it."),
        )
    box = find_container(lab.engine, container)
    if box is not None and box.status != "running":
        if box.status == "exited":
            said = _(
                "{container} has exited: its command ended, so there is nothing to look into. Remove it "
                "(docker rm -f {container}) and start it again with -itd, so that its shell keeps running."
            )
        else:
            said = _(
                "{container} is {status}, not running, so there is nothing to look into. Remove it "
                "(docker rm -f {container}) and start it again with -itd, so that its shell keeps running."
            )
        return Feedback(False, said.format(container=container, status=box.status))
    mode = box.attrs["HostConfig"]["NetworkMode"] if box is not None else ""
    if "host" not in boxes and not mode.startswith("container:"):
        if boxes:
            said = _(
                "{container} is on {on}, which gives it a namespace of its own. Remove it "
                "(docker rm -f {container}) and start it again."
            )
        else:
            said = _(
                "{container} is on no network, which gives it a namespace of its own. Remove it "
                "(docker rm -f {container}) and start it again."
            )
        return Feedback(False, said.format(container=container, on=", ".join(sorted(boxes))))
    inside = {i.name for i in lab.interfaces(container)}
    on_host = {i.name for i in host_interfaces(lab.host)}
    if same_stack(inside, on_host) and mode.startswith("container:"):
        return Feedback(
            True,
            _(
                "{container} shares the namespace of a container on host, which is the host's: it sees the "
                "host's own interfaces. --network host says the same directly."
            ).format(container=container),
        )
    if same_stack(inside, on_host):
        return Feedback(
            True,
            _("{container} sees the host's own interfaces, docker0 among them.").format(container=container),
        )
    if mode.startswith("container:"):
        return Feedback(
            False,
            _(
                "{container} shares another container's namespace, not the host's. Remove it "
                "(docker rm -f {container}) and start it again."
            ).format(container=container),
        )
    return Feedback(
        False,
        _(
            "{container} is on host but its interfaces differ from the host's. Remove it "
            "(docker rm -f {container}) and start it again, and look again."
        ).format(container=container),
    )


# --- 03 and 04 · bridges and the red/blue lab -----------------------------------------------------------


def _reach(lab: Lab, src: str, dst: str) -> Feedback:
    return _reaching(lab, src, dst)[0]


def _reaching(lab: Lab, src: str, dst: str) -> tuple[Feedback, Snapshot, str | None]:
    """Whether ``src`` reaches ``dst`` by name, with the one read of the engine it made and the address
    the name gave (for a check that says more about it)."""
    # one read of the engine: every container by name, whoever made it, and each probe's by ID
    snap = snapshot(lab, everything=True)
    for name in (src, dst):
        lab.asked[name] = "container"
        if name not in {c.name for c in snap.containers}:
            missing = _("There is no container {name} on the engine: the task keeps both.").format(
                name=repr(name)
            )
            return Feedback(False, missing), snap, None
    with lab.probing(snap):
        result = probe(lab, snap, src, dst)
    if result.by_name:
        said = _("{src} resolves {dst} to {address} and it answers.").format(
            src=src, dst=dst, address=result.resolved
        )
        return Feedback(True, said), snap, result.resolved
    mine, theirs = set(snap.endpoints_of(src)), set(snap.endpoints_of(dst))
    if mine & theirs == {"bridge"}:
        said = _(
            "{src} cannot reach {dst} by name yet: {reason}. Put both on a network you create: "
            "docker network create, then connect."
        )
    elif not mine & theirs:
        said = _(
            "{src} cannot reach {dst} by name yet: {reason}. {src} is on {mine}, {dst} on {theirs}: docker "
            "network connect NETWORK CONTAINER joins one."
        )
    else:
        said = _("{src} cannot reach {dst} by name yet: {reason}.")
    said = said.format(
        src=src,
        dst=dst,
        reason=result.reason,
        mine=", ".join(sorted(mine)) or _("no network"),
        theirs=", ".join(sorted(theirs)) or _("no network"),
    )
    return Feedback(False, said), snap, result.resolved


@exercise("03.1")
def web1_reaches_web2(lab: Lab, prediction: object = None) -> Feedback:
    """Exercise 03.1: web1 reaches web2 by name (both were on the default bridge), and the learner's
    prediction, made before their commands (``predict(lab, "03.1", ...)``, or given here), of which of
    web2's addresses the name gives: ``"bridge"`` (its address on the default bridge) or ``"new"`` (on
    the network they create)."""
    prediction = predicted(lab, "03.1") if prediction is None else prediction
    reached, snap, resolved = _reaching(lab, "web1", "web2")  # the read and the lookup it made
    if not reached.ok:
        return reached
    if prediction is None:
        return _unanswered(
            _(
                "web1 reaches web2 by name, and no prediction was written before. Undo your commands (docker "
                "network disconnect NETWORK web2), write your prediction in its cell, then run them again."
            ),
            _('"bridge" or "new".'),
        )
    said = str(prediction).strip().strip("'\"").lower()
    on = next(
        (net for net, ep in snap.endpoints_of("web2").items() if ep.ip and ep.ip.split("/")[0] == resolved),
        "",
    )
    expected_new = on != "bridge"
    if said in ("bridge", "default", "docker0"):
        guessed_new = False
    elif said and said in ("new", on, "user-defined", "mine"):
        guessed_new = True
    else:
        return Feedback(
            False,
            _('{prediction} is neither "bridge" nor "new". Hint: the name gave {resolved}.').format(
                prediction=repr(prediction), resolved=resolved
            ),
        )
    why = _(
        "web2 resolves to {resolved}, its address on {on}: the embedded DNS answers only on user-defined "
        "networks, with the address on the network the two share; the default bridge has no DNS at all."
    ).format(resolved=resolved, on=on)
    if guessed_new == expected_new:
        return Feedback(True, _("As you predicted: {why}").format(why=why))
    return Feedback(False, _("Your prediction missed: {why}").format(why=why))


@exercise("03.2")
def front1_reaches_back1(lab: Lab, networks: list[str]) -> Feedback:
    """Exercise 03.2: front1 reaches back1 by name, with no network added to the lab."""
    added = sorted(set(lab.networks()) - set(networks))
    if added:
        return Feedback(
            False,
            _("You created {added}; the task was to use the networks there are.").format(
                added=", ".join(added)
            ),
        )
    return _reach(lab, "front1", "back1")


def _running(lab: Lab) -> tuple[str, ...]:
    """The lab's running containers, sorted, as the matrix lists them."""
    return tuple(sorted(c.name for c in snapshot(lab).containers if c.state == "running"))


def _read_pairs(text: str, names: tuple[str, ...]) -> list[tuple[str, str]] | str:
    """``"ubuntu1 -> ubuntu2, ubuntu2 -> ubuntu1"`` as pairs of ``names``, or what cannot be read."""
    named = [
        tuple(p.strip() for p in part.split("->")) for part in re.split(r"[,;\n]+", text) if part.strip()
    ]
    odd = [" -> ".join(p) for p in named if len(p) != 2 or p[0] == p[1] or not set(p) <= set(names)]
    if odd:
        return _(
            "Cannot read {odd}: write each pair as SOURCE -> DESTINATION, with two of {names}, and commas "
            "between pairs."
        ).format(odd=", ".join(odd), names=", ".join(names))
    return named


def _pairs(pairs: list[tuple[str, str]]) -> str:
    shown = ", ".join(f"{s}->{d}" for s, d in pairs[:4])
    return shown + (" ..." if len(pairs) > 4 else "")


@exercise("04.1")
def predict_matrix(lab: Lab, prediction: str | dict[tuple[str, str], bool] | None = None) -> Feedback:
    """Exercise 04.1: predict, for every ordered pair, whether ping by name works.

    The prediction (``predict(lab, "04.1", ...)``, or given here) is text naming the pairs that work,
    ``"ubuntu1 -> ubuntu2, ubuntu2 -> ubuntu1"`` (every pair left out is predicted to fail), or a
    dictionary ``{(source, destination): bool}``."""
    hint = _("containers reach each other by name only on a user-defined network they share.")
    prediction = predicted(lab, "04.1") if prediction is None else prediction
    if prediction is None:  # no hint yet: it would be the answer, and this is a prediction
        return _unanswered(
            _("Write your prediction first, in the exercises.predict(lab, '04.1', ...) cell, then run this."),
            _("look at which network each container is on (Steps 2 and 4, and the diagram after Step 4)."),
        )
    names = _running(lab)
    pairs = [(s, d) for s in names for d in names if s != d]
    if isinstance(prediction, str):
        read = _read_pairs(prediction, names)
        if isinstance(read, str):
            return Feedback(False, read)
        prediction = {pair: pair in read for pair in pairs}
    if not isinstance(prediction, dict):
        return Feedback(False, _('Give text: "ubuntu1 -> ubuntu2, ..." (the pairs that work).'))
    missing = [p for p in pairs if p not in prediction]
    if missing:
        return Feedback(
            False,
            _(
                "You gave {given} of the {total} ordered pairs; give each one True or False "
                "(missing: {missing})."
            ).format(given=len(pairs) - len(missing), total=len(pairs), missing=_pairs(missing)),
        )
    actual = reachability(lab)  # only now: what it shows answers the prediction
    wrong = [
        (
            _("{src} -> {dst}: you said yes, it is no")
            if prediction[s, d]
            else _("{src} -> {dst}: you said no, it is yes")
        ).format(src=s, dst=d)
        for s, d in pairs
        if bool(prediction[s, d]) != actual[s, d].by_name
    ]
    if not wrong:
        return Feedback(True, _("all {total} pairs predicted right.").format(total=len(pairs)))
    return Feedback(
        False,
        _("{wrong} of {total} pairs differ:\n{lines}\nHint: {hint}").format(
            wrong=len(wrong), total=len(pairs), lines="\n".join(wrong), hint=hint
        ),
    )


@exercise("04.2")
def ubuntu4_reaches_ubuntu2(lab: Lab, networks_of_ubuntu4: set[str]) -> Feedback:
    """Exercise 04.2: ubuntu4 reaches ubuntu2 by name, ubuntu4's own networks unchanged."""
    now = set(snapshot(lab, everything=True).endpoints_of("ubuntu4"))
    if now != set(networks_of_ubuntu4):
        return Feedback(
            False,
            _("ubuntu4 is now on {now}, not {before}: the task was to leave it.").format(
                now=sorted(now), before=sorted(networks_of_ubuntu4)
            ),
        )
    return _reach(lab, "ubuntu4", "ubuntu2")


# --- 05 · overlay networks ---------------------------------------------------------------------------

_PORTS = {
    2377: N_("2377/tcp is cluster management, from the workers to the managers"),
    7946: N_("7946 (TCP and UDP) is the gossip between hosts: who runs which container"),
}


@exercise("05.1")
def overlay_data_port(answer: object) -> Feedback:
    """Exercise 05.1: the port that carries the containers' own packets between hosts."""
    hint = _("in the capture above, read the outer destination port of a packet that carries an ICMP echo.")
    text = _given(answer, _("Set `answer` to a port number and run this cell again."), hint)
    if isinstance(text, Feedback):
        return text
    number = re.search(r"\d+", text)
    if number is None:
        return Feedback(
            False, _("{text} has no port number in it. Hint: {hint}").format(text=repr(text), hint=hint)
        )
    port = int(number.group())
    if port == 4789 and "tcp" in text:
        return Feedback(False, _("The port is right, but VXLAN travels over UDP, not TCP."))
    if port == 4789:
        return Feedback(
            True, _("UDP 4789, VXLAN: each container packet travels inside a UDP packet between hosts.")
        )
    if port in _PORTS:
        return Feedback(
            False, _("Not {port}: {why}. Hint: {hint}").format(port=port, why=_(_PORTS[port]), hint=hint)
        )
    return Feedback(False, _("Nothing of the overlay uses {port}. Hint: {hint}").format(port=port, hint=hint))


@exercise("05.2")
def reached_across_hosts(cluster: Cluster, src: str, on: str) -> Feedback:
    """Exercise 05.2: some container on host ``on`` that ``src`` (on node1) reaches by name."""
    here, there = cluster.lab_on("node1"), cluster.lab_on(on)
    with here.muted(), there.muted():
        names = there.containers()
        if not names:
            start = f"docker exec {cluster.container_name(on)} docker run -itd --net=NETWORK --name NAME"
            return _unanswered(
                _("No container runs on {node} yet.").format(node=on),
                _("{command} course/lab starts one there.").format(command=start),
            )
        shared = set(snapshot(here).endpoints_of(src))
        for name in names:
            nets = set(snapshot(there).endpoints_of(name))
            try:  # node1 hears of a new container by gossip, a moment after it starts
                reached = bool(nets & shared) and until(lambda n=name: here.ping(src, n), timeout=30)
            except TimedOut:
                reached = False
            if reached:
                return Feedback(
                    True,
                    _("{src} on node1 reaches {name} on {node} by name, across the overlay.").format(
                        src=src, name=name, node=on
                    ),
                )
        return Feedback(
            False,
            _(
                "{src} cannot reach {names} by name: a container on {node} must join a network {src} is on "
                "({shared}), an attachable overlay."
            ).format(src=src, names=", ".join(names), node=on, shared=", ".join(sorted(shared))),
        )
