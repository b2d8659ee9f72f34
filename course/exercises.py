"""Exercise checks: each inspects the live engine and answers with what is right or wrong, and a hint.

A check never raises on a wrong answer; it returns Feedback. Solutions in the notebooks
``assert check(...).ok``, so CI proves every exercise is solvable on the real engine.
"""

from __future__ import annotations

from dataclasses import dataclass

from .hostview import host_interfaces, veth_peer
from .lab import Lab
from .reachability import probe, reachability
from .topology import snapshot


@dataclass(frozen=True)
class Feedback:
    """The verdict of a check: ``ok``, and a message that says why (and a hint when not ok)."""

    ok: bool
    message: str

    def __str__(self) -> str:
        return ("Correct! " if self.ok else "Not yet. ") + self.message

    def _repr_pretty_(self, printer, cycle: bool) -> None:
        printer.text(str(self))

    def __bool__(self) -> bool:
        return self.ok


def _unanswered(hint: str) -> Feedback:
    return Feedback(False, f"Set `answer` in the cell above, then run this check again. Hint: {hint}")


def subnet_of_docker0(answer: str | None) -> Feedback:
    """Exercise 01.1: the subnet this engine gave the default bridge (docker0)."""
    hint = "docker network inspect bridge shows it under IPAM.Config.Subnet."
    if answer is None:
        return _unanswered(hint)
    real = snapshot(everything=True).network("bridge").subnet
    if answer.strip() == real:
        return Feedback(True, f"docker0's subnet on this engine is {real}.")
    return Feedback(False, f"{answer!r} is not docker0's subnet here. {hint}")


def veth_peer_of(lab: Lab, container: str, answer: str | None) -> Feedback:
    """Exercise 01.2: the host interface that is the other end of ``container``'s eth0."""
    hint = f"In {container}, `ip -o link` shows eth0@ifN; on the host, the interface with index N is it."
    if answer is None:
        return _unanswered(hint)
    eth0 = next((i for i in lab.interfaces(container) if i.name == "eth0"), None)
    if eth0 is None:
        return Feedback(False, f"{container} has no eth0 (on host or none?). Start it on a bridge network.")
    peer = veth_peer(eth0, host_interfaces(lab.host))
    if answer.strip() == peer.name:
        return Feedback(True, f"{peer.name} (index {peer.index}) is plugged into {peer.master}.")
    if answer.startswith("veth"):
        return Feedback(False, f"{answer} is a veth, but not {container}'s peer. {hint}")
    return Feedback(False, f"Look for a name starting with 'veth'. {hint}")


def network_without_eth0(answer: str | None) -> Feedback:
    """Exercise 02.1: the network type whose containers have only a loopback interface."""
    if answer is None:
        return _unanswered("run `ip addr` in a container of each type and count the interfaces.")
    if answer.strip().lower() == "none":
        return Feedback(True, "--network none gives a container its own namespace with only lo.")
    return Feedback(False, f"Containers on {answer!r} do have interfaces besides lo. Try --network none.")


def host_network_shares_stack(lab: Lab, container: str) -> Feedback:
    """Exercise 02.2: ``container`` runs with --network host, so it sees the host's interfaces."""
    boxes = snapshot(lab).endpoints_of(container)
    if "host" not in boxes:
        return Feedback(
            False, f"{container} is not on the host network. Hint: lab.run({container!r}, 'host')."
        )
    inside = {i.name for i in lab.interfaces(container)}
    on_host = {i.name for i in host_interfaces(lab.host)}
    if inside == on_host:
        return Feedback(True, f"{container} sees the host's {len(on_host)} interfaces, docker0 among them.")
    return Feedback(False, "The interface lists differ; is the container running?")


def reach_by_name(lab: Lab, src: str, dst: str) -> Feedback:
    """Exercises 03.x: ``src`` reaches ``dst`` by name."""
    result = probe(lab, snapshot(lab), src, dst)
    if result.by_name:
        return Feedback(True, f"{src} resolves {dst} to {result.resolved} and it answers.")
    return Feedback(
        False,
        f"{src} cannot reach {dst} by name ({result.reason}). Hint: names resolve only on a "
        "user-defined network that both containers are attached to.",
    )


def predict_matrix(lab: Lab, prediction: dict[tuple[str, str], bool] | None) -> Feedback:
    """Exercise 04.1: predict, for every ordered pair, whether ping by name works."""
    if prediction is None:
        return _unanswered("containers reach each other by name only on a network they share.")
    actual = reachability(lab)
    wrong = [
        f"{s} -> {d}: you said {'yes' if prediction.get((s, d)) else 'no'}, it is "
        f"{'yes' if actual[s, d].by_name else 'no'}"
        for s in actual.names
        for d in actual.names
        if s != d and bool(prediction.get((s, d))) != actual[s, d].by_name
    ]
    if not wrong:
        return Feedback(True, f"all {len(actual.probes)} pairs predicted right.")
    return Feedback(False, f"{len(wrong)} pairs differ:\n" + "\n".join(wrong))


def reachable_without_touching(lab: Lab, src: str, dst: str, networks_of_src: set[str]) -> Feedback:
    """Exercise 04.2: make ``dst`` reachable by name from ``src`` without changing ``src``'s networks."""
    now = set(snapshot(lab).endpoints_of(src))
    if now != networks_of_src:
        return Feedback(
            False,
            f"{src} is now on {sorted(now)}, not {sorted(networks_of_src)}: the task was to leave it alone.",
        )
    return reach_by_name(lab, src, dst)
