"""Notebook 07's seven faults on a real engine: each is in place after ``start``, a wrong diagnosis is
told what it overlooked, the right one is not accepted until the app works, and after the fix (typed as
a learner types it, through the docker CLI) the very request that failed succeeds.
"""

import shlex

import pytest

from course import commands, faults, progress
from course.faults import CASES, Trouble

# Notebook 07 runs every right answer and fix on every engine; the wrong answers need one engine only.
pytestmark = [pytest.mark.integration, pytest.mark.one_engine]

# case -> (a wrong diagnosis and words from what it is told, the fix as the learner types it)
FAULTS = {
    "07.1": ("names", "user-defined", ["docker network connect app-back app-client"]),
    "07.2": ("networks", "share a network", [
        "docker network create app-net",
        "docker network connect app-net app-server",
        "docker network connect app-net app-client",
    ]),
    "07.3": ("firewall", "No rule drops", [
        "docker rm -f app-server",
        "docker run -d --name app-server --network app-net course/lab httpd -f -p 80 -h /etc",
    ]),
    "07.4": ("listening", "Is 80 where the published port leads", [
        "docker rm -f app-server",
        "docker run -d --name app-server --network app-net -p 127.0.0.1:18080:80 course/lab "
        "httpd -f -p 80 -h /etc",
    ]),
    "07.5": ("published", "the mapping is right", [
        "docker exec wire-node1 iptables -D DOCKER-USER -p tcp -m tcp --dport 80 -j DROP",
    ]),
    "07.6": ("firewall", "a rule would drop it too", [
        "docker exec wire-node1 docker rm -f client",
        "docker exec wire-node1 docker network rm appnet",
        "docker exec wire-node1 docker network create --opt com.docker.network.driver.mtu=1400 appnet",
        "docker exec wire-node1 docker run -d --name client --network appnet course/lab sleep 86400",
    ]),
    "07.7": ("firewall", "which traffic", [
        "docker exec wire-node2 iptables -D INPUT -p udp -m udp --dport 4789 -j DROP",
    ]),
}  # fmt: skip


@pytest.fixture(scope="module")
def trouble(engine, tmp_path_factory, monkeypatch_module):
    monkeypatch_module.setenv("COURSE_PROGRESS", str(tmp_path_factory.mktemp("progress") / "progress.json"))
    made = Trouble("t-trouble", hosts="t-wire")
    made.down()
    yield made
    made.down()


@pytest.fixture(scope="module")
def monkeypatch_module():
    with pytest.MonkeyPatch.context() as patch:
        yield patch


def typed(trouble: Trouble, line: str) -> None:
    line = line.replace("wire-node", "t-wire-node")
    ran = commands.run(shlex.split(line), trouble.lab)
    assert ran.exit_code == 0, (line, ran.output)


def test_every_case_has_a_fault_here():
    assert set(FAULTS) == set(CASES) and {case.cause for case in CASES.values()} == set(faults.CAUSES)


@pytest.mark.parametrize("key", sorted(FAULTS))
def test_a_fault_is_found_named_and_fixed(trouble, key):
    wrong, overlooked, fix = FAULTS[key]
    assert "Find why" in trouble.start(key)
    unnamed = trouble.check(key, None)
    assert not unnamed.answered and "Name the cause first" in unnamed.message
    assert "not one of the causes" in trouble.check(key, "dns").message
    told = trouble.check(key, wrong)
    assert not told.ok and overlooked in told.message, told.message
    right_too_soon = trouble.check(key, CASES[key].cause)  # the fault is in place: the request still fails
    assert not right_too_soon.ok and "Right cause" in right_too_soon.message
    assert "NODE" not in right_too_soon.message  # the hosts' addresses, filled in
    if key == "07.6":  # the page keeps the fix's option to itself until the cause is named
        assert "com.docker.network.driver.mtu" in right_too_soon.message
    for line in fix:
        typed(trouble, line)
    assert trouble.works(key)  # the request that failed succeeds
    solved = trouble.check(key, CASES[key].cause)
    assert solved.ok, solved.message
    assert progress.load()[key]["ok"]


def test_widening_the_vpn_is_not_the_fix(trouble):
    trouble.start("07.6")
    typed(trouble, "docker exec wire-node1 ip link set eth0 mtu 1500")
    widened = trouble.check("07.6", "mtu")
    assert not widened.ok and "cannot widen the path" in widened.message


def test_down_leaves_nothing(trouble):
    trouble.start("07.1")
    trouble.down()
    assert trouble.lab.containers() == [] and trouble.lab.networks() == []
    assert [c.name for c in trouble.lab.engine.containers.list(all=True) if c.name.startswith("t-wire")] == []
