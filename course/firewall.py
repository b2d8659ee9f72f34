"""Which of the engine host's firewall rules decides a packet between two bridges, read from the rules.

Engines differ here, so nothing is assumed from a version: Docker 20.10 drops traffic between bridges in
``DOCKER-ISOLATION-STAGE-2``; 28.x still does, with its new ``DOCKER-FORWARD``/``DOCKER-BRIDGE``/``DOCKER``
chains behind; 29 has no isolation chains (moby#49981) and the ``DOCKER`` chain drops it; with
``--firewall-backend=nftables`` (29, experimental) the rules live in nftables' ``ip docker-bridges`` table.

``trace(rules, packet)`` follows a new packet through ``iptables -S`` output rule by rule, as the kernel
does, and ``trace_nft(ruleset, packet)`` through ``nft list table ip docker-bridges``. Both are pure and
unit-tested on each engine's recorded rules; ``hostview.forward_trace()`` reads the live rules through
the engine and traces them. A match this reader does not model (an address set, ``fib``, marks) makes
the rule count as not matching; Docker's own forwarding rules use none of them for a plain ping.
"""

from __future__ import annotations

import ipaddress
import re
import shlex
from dataclasses import dataclass, field, replace

from .i18n import _

_TERMINAL = {"ACCEPT", "DROP", "REJECT"}


@dataclass(frozen=True)
class Packet:
    """A new packet forwarded from one interface to another (``ping`` is ICMP)."""

    iif: str
    oif: str
    src: str = "0.0.0.0"
    dst: str = "0.0.0.0"
    proto: str = "icmp"
    dport: int | None = None


@dataclass(frozen=True)
class Trace:
    """What happened to the packet: each matching rule in order, and the verdict."""

    backend: str  # "iptables" or "nftables"
    verdict: str  # ACCEPT or DROP (REJECT counts as DROP for reachability)
    steps: tuple[str, ...] = field(default=())  # the rules that matched, as the engine host prints them
    chain: str = ""  # the chain whose rule (or policy) gave the verdict
    by_policy: bool = False  # no rule decided: the built-in chain's policy did

    @property
    def rule(self) -> str:
        """The rule that decided (the last step), or the policy."""
        if self.by_policy or not self.steps:
            return _("the {chain} policy").format(chain=self.chain)
        return self.steps[-1]

    @property
    def dropped(self) -> bool:
        return self.verdict != "ACCEPT"

    def __str__(self) -> str:
        verdict = _("=> {verdict} ({backend}, chain {chain})").format(
            verdict=self.verdict, backend=self.backend, chain=self.chain
        )
        return "\n".join([*self.steps, verdict])


# --- iptables -------------------------------------------------------------------------------------


def _chains(rules: list[str]) -> tuple[dict[str, list[str]], dict[str, str]]:
    chains: dict[str, list[str]] = {}
    policies: dict[str, str] = {}
    for line in rules:
        words = line.split()
        if len(words) >= 3 and words[0] == "-P":
            policies[words[1]] = words[2]
            chains.setdefault(words[1], [])
        elif len(words) >= 2 and words[0] == "-N":
            chains.setdefault(words[1], [])
        elif len(words) >= 2 and words[0] == "-A":
            chains.setdefault(words[1], []).append(line)
    return chains, policies


def _iface(pattern: str, name: str, wildcard: str = "+") -> bool:
    """An interface name against a pattern: ``br+`` (iptables) or ``br*`` (nftables) is a prefix."""
    return name.startswith(pattern[:-1]) if pattern.endswith(wildcard) else name == pattern


def _in(address: str, cidr: str) -> bool:
    try:
        return ipaddress.ip_address(address) in ipaddress.ip_network(cidr, strict=False)
    except ValueError:
        return False


def _matches(words: list[str], packet: Packet) -> tuple[bool, str | None, bool]:
    """Does an ``-A CHAIN ...`` rule match? Returns (matches, target, goto)."""
    i, negate, target, goto, ok = 2, False, None, False, True
    while i < len(words):
        word = words[i]
        arg = words[i + 1] if i + 1 < len(words) else ""
        step = 2
        hit: bool | None = None
        if word == "!":
            negate, i = True, i + 1
            continue
        if word in ("-i", "--in-interface"):
            hit = _iface(arg, packet.iif)
        elif word in ("-o", "--out-interface"):
            hit = _iface(arg, packet.oif)
        elif word in ("-s", "--source"):
            hit = _in(packet.src, arg)
        elif word in ("-d", "--destination"):
            hit = _in(packet.dst, arg)
        elif word in ("-p", "--protocol"):
            hit = arg == packet.proto or arg == "all"
        elif word == "--dport":
            hit = packet.dport is not None and str(packet.dport) == arg
        elif word in ("--ctstate", "--state"):
            hit = "NEW" in arg.split(",")  # the packet opens a connection
        elif word in ("-j", "--jump", "-g", "--goto"):
            target, goto = arg, word in ("-g", "--goto")
        elif word == "-m":
            pass  # a match module's name: its options follow
        elif word.startswith("--"):
            # an option this reader does not model (a comment, a set, addrtype...): a comment never
            # decides; anything else makes the rule "unknown", treated as not matching
            if word != "--comment":
                ok = False
        else:
            step = 1
        if hit is not None and hit == negate:
            ok = False
        negate = False
        i += step
        if target is not None:
            break  # what follows the target are its own options (REJECT --reject-with ...)
    return ok, target, goto


def trace(rules: list[str], packet: Packet, start: str = "FORWARD") -> Trace:
    """Follow ``packet`` through ``iptables -S`` output of the filter table from ``start``."""
    chains, policies = _chains(rules)
    policy = Trace("iptables", policies.get(start, "ACCEPT"), (), start, by_policy=True)
    steps: list[str] = []
    stack: list[tuple[str, int]] = []
    chain, index = start, 0
    for _step in range(10_000):  # a loop guard: iptables itself refuses loops
        body = chains.get(chain, [])
        if index >= len(body):
            if not stack:  # the end of the built-in chain, or of a chain it went to (-g)
                return replace(policy, steps=tuple(steps))
            chain, index = stack.pop()
            continue
        line = body[index]
        index += 1
        ok, target, goto = _matches(shlex.split(line), packet)
        if not ok or target is None:
            continue
        if target in _TERMINAL:
            steps.append(line)
            return Trace("iptables", "ACCEPT" if target == "ACCEPT" else "DROP", tuple(steps), chain)
        if target == "RETURN":
            steps.append(line)
            if not stack:
                return replace(policy, steps=tuple(steps))
            chain, index = stack.pop()
        elif target in chains:
            steps.append(line)
            if not goto:
                stack.append((chain, index))
            chain, index = target, 0
    raise ValueError("the rules loop")


# --- nftables -------------------------------------------------------------------------------------


def _balanced(text: str) -> bool:
    return text.count("{") <= text.count("}")


def nft_blocks(ruleset: str) -> tuple[dict[str, list[str]], dict[str, dict[str, str]], dict[str, str]]:
    """The chains (``{chain: [rule, ...]}``), verdict maps (``{map: {key: verdict}}``) and base chains'
    policies (``{chain: "accept"}``) of one table, from ``nft list table ...`` text. A rule or map spread
    over several lines is joined into one.
    """
    chains: dict[str, list[str]] = {}
    maps: dict[str, dict[str, str]] = {}
    policies: dict[str, str] = {}
    kind = name = None
    lines: list[str] = []
    for raw in ruleset.splitlines():
        line = raw.strip()
        opened = re.match(r"(chain|map) (\S+) \{$", line)
        if kind is None:
            if opened:
                kind, name, lines = opened.group(1), opened.group(2), []
            continue
        if line == "}" and _balanced(" ".join(lines)):
            if kind == "chain":
                chains[name] = _joined(lines)
                declared = re.search(r"\bpolicy (\w+);", " ".join(lines))
                if declared:
                    policies[name] = declared.group(1)
            else:
                elements = re.search(r"elements = \{(.*)\}", " ".join(lines))
                pairs = re.findall(
                    r'"?([^",{}\s]+)"?\s*:\s*((?:jump|goto) \S+|accept|drop)',
                    elements.group(1) if elements else "",
                )
                maps[name] = {key: verdict.rstrip(",") for key, verdict in pairs}
            kind = None
            continue
        lines.append(line)
    return chains, maps, policies


def _joined(lines: list[str]) -> list[str]:
    """Rules, one per entry: lines joined while a brace is open; declarations left out."""
    rules: list[str] = []
    buffer = ""
    for line in lines:
        buffer = f"{buffer} {line}".strip()
        if not _balanced(buffer):
            continue
        if buffer and not buffer.startswith(("type ", "policy ")):
            rules.append(buffer)
        buffer = ""
    return rules


def nft_chains(ruleset: str) -> dict[str, list[str]]:
    """``{chain: [rule, ...]}`` of one table, from ``nft list table ...`` text."""
    return nft_blocks(ruleset)[0]


def _nft_rule(rule: str, packet: Packet, maps: dict[str, dict[str, str]]) -> str | None:
    """The verdict of an nftables rule for ``packet`` (``accept``, ``drop``, ``jump X``...), or None
    when it does not match. Expressions this reader does not model make the rule not match."""
    words = shlex.split(re.sub(r"([{},])", r" \1 ", rule))
    fields = {"iifname": packet.iif, "oifname": packet.oif, "ip saddr": packet.src, "ip daddr": packet.dst}
    i = 0
    while i < len(words):
        pair = " ".join(words[i : i + 2])
        key = pair if pair in fields else words[i] if words[i] in fields else None
        if key is not None:
            i += len(key.split())
            negate = words[i] == "!="
            i += negate
            if words[i] == "vmap":  # a verdict map: the packet's value picks the verdict, or nothing
                if words[i + 1].startswith("@"):
                    table, i = maps.get(words[i + 1][1:], {}), i + 2
                else:
                    end = words.index("}", i)
                    items = " ".join(words[i + 2 : end]).split(",")
                    table = dict(item.split(" : ", 1) for item in items if " : " in item)
                    table = {k.strip(): v.strip() for k, v in table.items()}
                    i = end + 1
                return next((v for k, v in table.items() if _iface(k, fields[key], "*")), None)
            if words[i] == "{":
                end = words.index("}", i)
                values = [w for w in words[i + 1 : end] if w != ","]
                i = end + 1
            else:
                values, i = [words[i]], i + 1
            hit = any(_iface(v, fields[key], "*") if "/" not in v else _in(fields[key], v) for v in values)
            if hit == negate:
                return None
        elif words[i] == "ct" and words[i + 1 : i + 2] == ["state"]:
            i += 2
            negate = words[i] == "!="
            i += negate
            states = []
            while i < len(words) and words[i] in (
                "new",
                "established",
                "related",
                "invalid",
                "untracked",
                ",",
            ):
                states.append(words[i])
                i += 1
            if ("new" in states) == negate:
                return None
        elif words[i] == "counter":
            i += 5 if words[i + 1 : i + 2] == ["packets"] else 1
        elif words[i] == "comment":
            i += 2
        elif words[i] in ("accept", "drop", "reject", "return"):
            return words[i]
        elif words[i] in ("jump", "goto"):
            return f"{words[i]} {words[i + 1]}"
        else:
            return None  # meta, fib, th, tcp, mark...: not modelled; a plain ping matches none of Docker's
    return None


def _verdict(policy: str) -> str:
    return "ACCEPT" if policy == "ACCEPT" else "DROP"


def trace_nft(ruleset: str, packet: Packet, start: str = "filter-FORWARD") -> Trace:
    """Follow ``packet`` through ``nft list table ip docker-bridges`` from its forward base chain."""
    chains, maps, policies = nft_blocks(ruleset)
    policy = policies.get(start, "accept").upper()
    steps: list[str] = []
    stack: list[tuple[str, int]] = []
    chain, index = start, 0
    for _step in range(10_000):
        body = chains.get(chain, [])
        if index >= len(body):
            if not stack:  # the end of the base chain, or of a chain it went to: its policy decides
                return Trace(
                    "nftables", "ACCEPT" if policy == "ACCEPT" else "DROP", tuple(steps), start, True
                )
            chain, index = stack.pop()
            continue
        rule = body[index]
        index += 1
        verdict = _nft_rule(rule, packet, maps)
        if verdict is None:
            continue
        steps.append(f"[{chain}] {rule}")
        if verdict in ("accept", "drop", "reject"):
            return Trace("nftables", "ACCEPT" if verdict == "accept" else "DROP", tuple(steps), chain)
        if verdict == "return":
            if not stack:
                return Trace(
                    "nftables", "ACCEPT" if policy == "ACCEPT" else "DROP", tuple(steps), start, True
                )
            chain, index = stack.pop()
            continue
        how, target = verdict.split()
        if how == "jump":
            stack.append((chain, index))
        chain, index = target, 0
    raise ValueError("the rules loop")


@dataclass(frozen=True)
class Rules:
    """The engine host's forwarding rules as read once: its backend and what its tool printed."""

    backend: str
    text: str

    def trace(self, packet: Packet) -> Trace:
        """Follow ``packet`` through these rules."""
        if self.backend == "nftables":
            return trace_nft(self.text, packet)
        return trace(self.text.splitlines(), packet)
