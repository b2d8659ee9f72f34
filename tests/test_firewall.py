"""Following a packet through the engine host's rules, on each engine's own recorded rules (no engine).

The files in ``tests/rules/`` are ``iptables -S`` and ``nft list table ip docker-bridges`` as each engine
wrote them with three bridge networks (two of them named in each file's first comment line), recorded on
this machine type. An integration test in ``test_topology.py`` checks the same on the live engine.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from course import firewall

RULES = Path(__file__).parent / "rules"


def _recorded(name: str) -> tuple[str, str, str]:
    """The rules in a recorded file, and the two bridges its first line names (``# A B``)."""
    text = (RULES / name).read_text()
    first, _, rest = text.partition("\n")
    a, b = first.lstrip("# ").split()
    return rest, a, b


@pytest.mark.parametrize(
    ("recorded", "chain"),
    [
        ("iptables-20.10.txt", "DOCKER-ISOLATION-STAGE-2"),
        ("iptables-28.5.txt", "DOCKER-ISOLATION-STAGE-2"),
        ("iptables-29.7.txt", "DOCKER"),  # no isolation chains since 29.0 (moby#49981)
    ],
)
def test_a_ping_between_two_bridges_is_dropped_by_the_engines_own_chain(recorded, chain):
    rules, a, b = _recorded(recorded)
    found = firewall.trace(rules.splitlines(), firewall.Packet(a, b))
    assert found.dropped and found.chain == chain
    assert b in found.rule and found.rule.endswith("-j DROP")
    assert found.steps[0] == "-A FORWARD -j DOCKER-USER"  # the user's chain comes first, on every engine


@pytest.mark.parametrize("recorded", ["iptables-20.10.txt", "iptables-28.5.txt", "iptables-29.7.txt"])
def test_inside_one_bridge_and_out_to_the_world_are_accepted(recorded):
    rules, a, _ = _recorded(recorded)
    assert firewall.trace(rules.splitlines(), firewall.Packet(a, a)).verdict == "ACCEPT"
    assert firewall.trace(rules.splitlines(), firewall.Packet(a, "eth0")).verdict == "ACCEPT"


def test_a_user_rule_in_docker_user_decides_first():
    rules, a, _ = _recorded("iptables-29.7.txt")
    mine = f"-A DOCKER-USER -i {a} -o {a} -j DROP"
    found = firewall.trace([*rules.splitlines(), mine], firewall.Packet(a, a))
    assert found.dropped and found.chain == "DOCKER-USER" and found.rule == mine


def test_the_policy_decides_when_no_rule_does():
    rules = ["-P FORWARD DROP", "-N DOCKER-USER", "-A FORWARD -j DOCKER-USER", "-A DOCKER-USER -j RETURN"]
    found = firewall.trace(rules, firewall.Packet("br-a", "br-b"))
    assert found.verdict == "DROP" and found.rule == "the FORWARD policy" and found.chain == "FORWARD"
    assert found.steps[-1] == "-A DOCKER-USER -j RETURN"  # the way there is still shown
    assert firewall.trace(["-P FORWARD ACCEPT"], firewall.Packet("a", "b")).rule == "the FORWARD policy"
    # a chain reached by goto (-g) that ends without a verdict also leaves it to the built-in policy
    went = firewall.trace(["-P FORWARD DROP", "-N X", "-A FORWARD -g X"], firewall.Packet("a", "b"))
    assert went.dropped and went.chain == "FORWARD" and went.by_policy


def test_a_target_s_own_options_and_quoted_comments_are_not_read_as_matches():
    reject = ["-P FORWARD ACCEPT", "-A FORWARD -o br-b -j REJECT --reject-with icmp-port-unreachable"]
    assert firewall.trace(reject, firewall.Packet("br-a", "br-b")).rule == reject[1]
    commented = ['-A FORWARD -o br-b -m comment --comment "not for -o all" -j DROP', "-P FORWARD ACCEPT"]
    assert firewall.trace(commented, firewall.Packet("br-a", "br-b")).dropped


def test_matches_this_reader_cannot_model_never_match():
    rules = ["-P FORWARD ACCEPT", "-A FORWARD -m set --match-set blocked dst -j DROP"]
    assert firewall.trace(rules, firewall.Packet("br-a", "br-b")).verdict == "ACCEPT"


def test_published_ports_match_tcp_to_their_port_only():
    rules = [
        "-P FORWARD DROP",
        "-A FORWARD -d 172.18.0.2/32 ! -i br-a -o br-a -p tcp -m tcp --dport 80 -j ACCEPT",
    ]
    web = firewall.Packet("eth0", "br-a", "10.0.0.9", "172.18.0.2", "tcp", 80)
    assert firewall.trace(rules, web).verdict == "ACCEPT"
    assert firewall.trace(rules, firewall.Packet("eth0", "br-a", "10.0.0.9", "172.18.0.2")).dropped  # ping
    assert firewall.trace(rules, firewall.Packet("eth0", "br-a", "10.0.0.9", "172.18.0.2", "tcp", 81)).dropped


def test_nftables_a_base_chain_s_policy_decides_when_no_rule_does():
    ruleset = "\n".join(
        [
            "table ip t {",
            "chain filter-FORWARD {",
            "type filter hook forward priority filter; policy drop;",
            "}",
            "}",
        ]
    )
    found = firewall.trace_nft(ruleset, firewall.Packet("br-a", "br-b"))
    assert found.dropped and found.by_policy and found.rule == "the filter-FORWARD policy"


def test_nftables_a_ping_between_two_bridges_is_dropped_and_inside_one_accepted():
    ruleset, a, b = _recorded("nftables-29.7.txt")
    across = firewall.trace_nft(ruleset, firewall.Packet(a, b))
    assert across.backend == "nftables" and across.dropped and b in across.rule
    assert firewall.trace_nft(ruleset, firewall.Packet(a, a)).verdict == "ACCEPT"
    assert firewall.trace_nft(ruleset, firewall.Packet(a, "eth0")).verdict == "ACCEPT"
