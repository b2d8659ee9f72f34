"""Every exercise check: right answers in the forms a learner writes them, and wrong ones, each with the
feedback that says what is wrong with *that* answer. Checks that read the engine use a real one."""

import json

import pytest

from course import CourseError, exercises, progress
from course.hostview import host_interfaces, veth_peer
from course.topology import snapshot


@pytest.fixture(autouse=True)
def own_progress(tmp_path, monkeypatch):
    monkeypatch.setenv("COURSE_PROGRESS", str(tmp_path / "progress.json"))


# --- no engine ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("right", ["none", "None", " none ", "--network none", "--net=none"])
def test_02_1_accepts_none_in_every_form(right):
    assert exercises.network_without_eth0(right).ok


@pytest.mark.parametrize(
    ("wrong", "says"),
    [
        ("null", "null is the driver of that network"),
        ("host", "sees every interface of the host"),
        ("bridge", "gets eth0 as well"),
        ("macvlan", "not one of the network types here"),
    ],
)
def test_02_1_says_what_is_wrong_with_each_wrong_answer(wrong, says):
    verdict = exercises.network_without_eth0(wrong)
    assert not verdict.ok and says in verdict.message


@pytest.mark.parametrize("right", [4789, "4789", "4789/udp", "udp 4789", " UDP/4789 "])
def test_05_1_accepts_the_port_in_every_form(right):
    assert exercises.overlay_data_port(right).ok


@pytest.mark.parametrize(
    ("wrong", "says"),
    [
        (7946, "gossip between hosts"),
        ("2377", "cluster management"),
        ("4789/tcp", "VXLAN travels over UDP"),
        ("vxlan", "has no port number"),
        (8080, "Nothing of the overlay uses 8080"),
    ],
)
def test_05_1_says_what_is_wrong_with_each_wrong_answer(wrong, says):
    verdict = exercises.overlay_data_port(wrong)
    assert not verdict.ok and says in verdict.message


def test_no_answer_is_no_try_and_the_message_says_this_cell():
    verdict = exercises.overlay_data_port(None)
    assert not verdict.answered and str(verdict).startswith("No answer yet. Set `answer`")
    assert "cell above" not in str(verdict)
    assert progress.load() == {}


def test_progress_keeps_a_solved_exercise_solved_and_exports_one_file(tmp_path):
    exercises.overlay_data_port(7946)
    assert progress.load()["05.1"] == {"ok": False, "tries": 1}
    exercises.overlay_data_port(4789)
    exercises.overlay_data_port(2377)  # a later wrong try does not unsolve it
    assert progress.load()["05.1"]["ok"] and progress.load()["05.1"]["tries"] == 3
    report = str(progress.report())
    total = sum(len(book) for book in progress.EXERCISES.values())
    assert report.startswith(f"Exercises solved: 1 of {total}")
    assert "[x] 05.1" in report and "[ ] 05.2" in report
    exported = json.loads(progress.export(tmp_path / "mine.json").read_text())
    assert exported["solved"] == 1 and exported["exercises"]["05.1"]["ok"]


# --- on the engine -----------------------------------------------------------------------------------


@pytest.mark.integration
def test_01_1_the_subnet_of_a_new_network(lab):
    not_yet = exercises.subnet_of(lab, "t-exnet", "10.0.0.0/16")  # predicted; no such network yet
    assert not not_yet.answered and "Create the network: docker network create t-exnet" in not_yet.message
    assert "Write your prediction first" in exercises.subnet_of(lab, "t-exnet", None).message
    lab.network("t-exnet")
    real = snapshot(lab).network("t-exnet")
    assert exercises.subnet_of(lab, "t-exnet", real.subnet).ok
    assert exercises.subnet_of(lab, "t-exnet", f" {real.subnet} ").ok
    gateway = exercises.subnet_of(lab, "t-exnet", f"{real.gateway}/{real.subnet.split('/')[1]}")
    assert not gateway.ok and "(its gateway)" in gateway.message
    no_prefix = exercises.subnet_of(lab, "t-exnet", real.subnet.split("/")[0])
    assert not no_prefix.ok and "give the range, with its /N" in no_prefix.message
    docker0 = exercises.subnet_of(lab, "t-exnet", snapshot(everything=True).network("bridge").subnet)
    assert not docker0.ok and "docker0's, the default bridge's" in docker0.message
    missed = exercises.subnet_of(lab, "t-exnet", "10.99.0.0/16")
    assert not missed.ok and f"got {real.subnet}, not 10.99.0.0/16" in missed.message
    assert "not an address range" in exercises.subnet_of(lab, "t-exnet", "ex-net").message


@pytest.mark.integration
def test_01_2_the_host_end_of_a_veth_pair(lab):
    lab.run("t-beta")
    lab.run("t-other")
    eth0 = next(i for i in lab.interfaces("t-beta") if i.name == "eth0")
    host = host_interfaces()
    peer = veth_peer(eth0, host)
    assert exercises.veth_peer_of(lab, "t-beta", peer.name).ok
    assert exercises.veth_peer_of(lab, "t-beta", f"{peer.name}@if{eth0.index}").ok  # as ip link prints it
    other = veth_peer(next(i for i in lab.interfaces("t-other") if i.name == "eth0"), host)
    assert "another container's cable" in exercises.veth_peer_of(lab, "t-beta", other.name).message
    assert "own end, inside it" in exercises.veth_peer_of(lab, "t-beta", "eth0").message
    assert "not a veth" in exercises.veth_peer_of(lab, "t-beta", "docker0").message
    assert "no interface called 'vethnope'" in exercises.veth_peer_of(lab, "t-beta", "vethnope").message
    index = exercises.veth_peer_of(lab, "t-beta", str(peer.index))  # the number, not the name
    assert not index.ok and "the index of the other end; the answer is the name" in index.message
    line = f"{peer.index}: {peer.name}@if{eth0.index}: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500"
    assert exercises.veth_peer_of(lab, "t-beta", line).ok  # the whole line of ip -o link, pasted


@pytest.mark.integration
def test_02_2_a_container_on_the_host_network(lab):
    assert not exercises.host_network_shares_stack(lab, "t-exhost").answered
    lab.run("t-exhost", "bridge")
    wrong = exercises.host_network_shares_stack(lab, "t-exhost")
    assert not wrong.ok and "is on bridge, which gives it a namespace of its own" in wrong.message
    lab.remove("t-exhost")
    lab.run("t-exhost", "none")
    assert "is on none" in exercises.host_network_shares_stack(lab, "t-exhost").message
    lab.remove("t-exhost")
    lab.run("t-exhost", "host")
    assert exercises.host_network_shares_stack(lab, "t-exhost").ok


@pytest.mark.integration
def test_a_prediction_is_written_down_before_the_answer_and_refused_after_it(lab):
    assert not exercises.predict(lab, "01.1", None).written
    unreadable = exercises.predict(lab, "01.1", "10.1.0.0")  # no /N: said now, while it can be put right
    assert not unreadable.written and "has no /N" in unreadable.message
    assert "not an address range" in exercises.predict(lab, "01.1", "ex-net").message
    assert exercises.predict(lab, "01.1", "10.0.0.0/16").written
    assert exercises.predict(lab, "01.1", "10.1.0.0/16").written  # changed before the answer: it counts
    lab.network("ex-net")  # docker network create ex-net: its subnet is there to read now
    real = snapshot(lab).network("ex-net").subnet
    late = exercises.predict(lab, "01.1", real)
    assert not late.written and "Too late for a prediction: ex-net exists already" in late.message
    assert "Your prediction '10.1.0.0/16' stands" in late.message
    missed = exercises.subnet_of(lab, "ex-net")  # the prediction written down, not the late one
    assert not missed.ok and f"ex-net got {real}, not 10.1.0.0/16" in missed.message

    lab.run_many({"web1": "bridge", "web2": "bridge"})
    assert 'write "bridge" or "new"' in exercises.predict(lab, "03.1", "default bridge").message
    assert exercises.predict(lab, "03.1", "new").written
    assert not exercises.predict(lab, "03.1", None).written  # a Run All from the top forgets it
    assert exercises.predicted(lab, "03.1") is None
    assert exercises.predict(lab, "03.1", "bridge").written
    lab.connect("web1", "ex-net")
    lab.connect("web2", "ex-net")
    assert "web1 reaches web2 by name already" in exercises.predict(lab, "03.1", "new").message
    assert "Your prediction missed" in exercises.web1_reaches_web2(lab).message

    typo = exercises.predict(lab, "04.1", "web1 to web2")  # refused, and nothing is shown: no lock
    assert not typo.written and "Cannot read web1 to web2" in typo.message
    assert "Cannot read" in exercises.predict_matrix(lab, "web1 -> web9").message and not lab.matrix_shown
    assert exercises.predict(lab, "04.1", "web1 -> web2, web2 -> web1").written
    assert exercises.predict_matrix(lab).ok  # both on ex-net: by name, each way
    refused = exercises.predict(lab, "04.1", "web1 -> web2")
    assert not refused.written and "matrix has been worked out already" in refused.message
    with pytest.raises(CourseError, match="takes no prediction"):
        exercises.predict(lab, "02.1", "none")


@pytest.mark.integration
def test_03_reaching_by_name_and_with_the_networks_there_are(lab):
    lab.run_many({"web1": "bridge", "web2": "bridge"})
    on_default = exercises.web1_reaches_web2(lab, "new")
    assert not on_default.ok and "the default bridge has no embedded DNS" in on_default.message
    lab.network("t-webnet")
    lab.connect("web1", "t-webnet")
    one_side = exercises.web1_reaches_web2(lab, "new")  # they still share only the default bridge
    assert not one_side.ok and "the default bridge has no embedded DNS" in one_side.message
    lab.connect("web2", "t-webnet")
    assert not exercises.web1_reaches_web2(lab, None).answered  # reached, but no prediction yet
    missed = exercises.web1_reaches_web2(lab, "bridge")
    assert not missed.ok and "Your prediction missed: web2 resolves to" in missed.message
    assert "its address on t-webnet" in missed.message
    assert "neither" in exercises.web1_reaches_web2(lab, "eth0").message
    assert exercises.web1_reaches_web2(lab, "new").ok and exercises.web1_reaches_web2(lab, "t-webnet").ok
    lab.network("front")
    lab.network("back")
    lab.run_many({"front1": "front", "back1": "back"})
    before = lab.networks()
    lab.network("t-bridge3")
    lab.connect("front1", "t-bridge3")
    added = exercises.front1_reaches_back1(lab, before)
    assert not added.ok and "You created t-bridge3" in added.message
    lab.disconnect("front1", "t-bridge3")
    lab.remove_network("t-bridge3")
    assert "no DNS entry" in exercises.front1_reaches_back1(lab, before).message
    lab.connect("front1", "back")
    assert exercises.front1_reaches_back1(lab, before).ok


@pytest.mark.integration
def test_04_predictions_must_cover_every_pair_and_the_networks_of_ubuntu4_stay(lab):
    lab.network("red")
    lab.network("blue")
    lab.run_many({"ubuntu1": "red", "ubuntu2": "red", "ubuntu3": "blue", "ubuntu4": "blue"})
    names = ["ubuntu1", "ubuntu2", "ubuntu3", "ubuntu4"]
    red, blue = {"ubuntu1", "ubuntu2"}, {"ubuntu3", "ubuntu4"}
    right = {(s, d): ({s, d} <= red or {s, d} <= blue) for s in names for d in names if s != d}
    only_reachable = {pair: True for pair, ok in right.items() if ok}
    partial = exercises.predict_matrix(lab, only_reachable)
    assert not partial.ok and "You gave 4 of the 12 ordered pairs" in partial.message
    everyone = exercises.predict_matrix(lab, ", ".join(f"{s} -> {d}" for s, d in right))  # as text
    assert not everyone.ok and "8 of 12 pairs differ" in everyone.message
    assert "ubuntu4 -> ubuntu2: you said yes, it is no" in everyone.message
    as_text = "ubuntu1 -> ubuntu2, ubuntu2 -> ubuntu1,\nubuntu3 -> ubuntu4; ubuntu4 -> ubuntu3"
    assert exercises.predict_matrix(lab, as_text).ok  # the pairs that work; the rest do not
    odd = exercises.predict_matrix(lab, "ubuntu1 - ubuntu2, ubuntu1 -> ubuntu9")
    assert not odd.ok and "Cannot read ubuntu1 - ubuntu2, ubuntu1 -> ubuntu9" in odd.message
    moved = lab.connect("ubuntu4", "red") or exercises.ubuntu4_reaches_ubuntu2(lab, {"blue"})
    assert not moved.ok and "the task was to leave it" in moved.message
    lab.disconnect("ubuntu4", "red")
    assert "cannot reach ubuntu2 by name yet" in exercises.ubuntu4_reaches_ubuntu2(lab, {"blue"}).message
    lab.connect("ubuntu2", "blue")
    assert exercises.ubuntu4_reaches_ubuntu2(lab, {"blue"}).ok
